import Foundation
import Testing
@testable import Tally

/// Sketches in segments (format-spec.md, "Sketch entries and sketch columns"): the segment's
/// entry table, each row's keys as positions in it (binary interpolative code), dense rows as
/// registers. Every rule (SK1–SK3) is checked when a column is decoded.
@Suite struct SketchColumnTests {
    func sketch(_ units: some Sequence<String>) -> HyperLogLog {
        var sketch = HyperLogLog()
        for unit in units { sketch.insert(hash: XXHash64.hash(unit)) }
        return sketch.normalized()
    }

    func sketch(hashes: [UInt64]) -> HyperLogLog {
        var sketch = HyperLogLog()
        for hash in hashes { sketch.insert(hash: hash) }
        return sketch.normalized()
    }

    /// Rows of as many events as keys (a dense row 3 073, a row without units 1).
    func counts(_ rows: [HyperLogLog?]) -> [UInt64] {
        rows.map { row in row.map { $0.isSparse ? UInt64(max($0.sortedKeys.count, 1)) : 3_073 } ?? 1 }
    }

    /// The table and column of `rows` with `counts` events, as the segment writer builds them.
    func encoded(_ rows: [HyperLogLog?], counts: [UInt64]? = nil) -> (table: SketchEntryTable?, column: [UInt8]) {
        let table = SketchEntryTable(collecting: rows.flatMap { $0?.sortedKeys ?? [] })
        let counts = counts ?? self.counts(rows)
        return (table, SketchColumn.encode(rows[...], counts: counts[...], table: table.map(SketchKeyLookup.init)))
    }

    func decoded(_ column: [UInt8], counts: [UInt64], table: SketchEntryTable?) -> SketchColumn? {
        SketchColumn(ByteReader(column), counts: counts, table: table)
    }

    /// The worked example of the format spec, byte for byte.
    @Test func layoutMatchesTheSpecExample() throws {
        let a = sketch(hashes: [1 << 39, 2048 << 39 | 1 << 30])
        let b = sketch(hashes: [4097 << 39])
        let c = sketch(hashes: [2048 << 39 | 1 << 30])
        #expect(a.sortedKeys == [128, 262_163] && b.sortedKeys == [524_416])
        // Rows of 2, 1, 1 and 3 events.
        let (table, column) = encoded([a, nil, b, c], counts: [2, 1, 1, 3])
        #expect(table?.encode() == [0x03, 0x00, 0x00, 0x01, 0x00, 0x07, 0xFF, 0x24, 0x00, 0x20, 0x04])
        #expect(column == [0x00, 0x01, 0x00, 0x02, 0x70])
        let back = try #require(decoded(column, counts: [2, 1, 1, 3], table: table))
        #expect(back.sketch(at: 0) == a && back.sketch(at: 1) == nil && back.sketch(at: 2) == b && back.sketch(at: 3) == c)
    }

    @Test func rowsComeBackAsTheirSketches() throws {
        let dense = sketch((0..<5_000).map { "u\($0)" })
        #expect(!dense.isSparse)
        let rows: [HyperLogLog?] = [
            sketch(["a", "b"]), nil, dense, sketch(["c"]), sketch((0..<3_000).map { "v\($0)" }), sketch(["a", "c"]),
        ]
        let (table, column) = encoded(rows)
        let back = try #require(decoded(column, counts: counts(rows), table: table))
        for (row, expected) in rows.enumerated() { #expect(back.sketch(at: row) == expected, "row \(row)") }
        var merged: HyperLogLog?
        for row in rows.indices { back.mergeSketch(at: row, into: &merged) }
        var expected = HyperLogLog()
        for case let row? in rows { expected.merge(row) }
        #expect(merged == expected)
        var none: HyperLogLog?
        back.mergeSketch(at: 1, into: &none)
        #expect(none == nil)
    }

    /// A unit in many rows is one table key; each reference costs about log2(table size) bits.
    @Test func sharedUnitsAreStoredOnceAndReferencesAreSmall() throws {
        let units = (0..<1_024).map { "unit-\($0)" }
        // 2 048 rows of one unit each: every unit in two rows.
        let rows: [HyperLogLog?] = (0..<2_048).map { sketch([units[$0 % units.count]]) }
        let (table, column) = encoded(rows)
        #expect(table?.count == 1_024)
        // Shapes (0: as many keys as events) take a byte per row; positions 10 bits each
        // (1 024 is a power of two).
        #expect(column.count == 2_048 + 2_048 * 10 / 8)
    }

    /// Rows holding a whole 3072-key table cost no bits: 342 of them (over a million keys) are
    /// kept as codes, a row decoded when used, so the column costs what its bytes do.
    @Test func columnsOfManyKeysStayCoded() throws {
        let table = SketchEntryTable(keys: (0..<3072).map { UInt32(2 * $0 + 1) << 7 })
        let rows = 342
        #expect(rows * 3072 > SketchColumn.decodedKeyLimit)
        let column = try #require(decoded([UInt8](repeating: 0, count: rows), counts: Array(repeating: 3072, count: rows), table: table))
        #expect(column.approximateBytes < 16 * 1024)
        #expect(column.sketch(at: 7)?.sortedKeys == table.keys)
        var merged: HyperLogLog?
        for row in 0..<rows { column.mergeSketch(at: row, into: &merged) }
        #expect(merged == column.sketch(at: 0))
        #expect(decoded([UInt8](repeating: 0, count: rows) + [1], counts: Array(repeating: 3072, count: rows), table: table) == nil)
    }

    /// The writer closes a row group at the first series boundary at or past its key budget
    /// (2^24 in files; 10 here), as well as at 512 rows: a group never splits a series.
    @Test func rowGroupsCloseAtTheKeyBudget() {
        // Series 0: 3 rows of 4 keys; series 1: 1 row of 1 key; series 2: 2 rows of 6 keys.
        let shapes = [(0, 4), (0, 4), (0, 4), (1, 1), (2, 6), (2, 6)]
        var metric = MetricContent(name: "m", series: [[], [], []], rows: [])
        var units: [HyperLogLog?] = []
        for (index, (series, keys)) in shapes.enumerated() {
            metric.rows.append(SegmentRow(series: series, bucket: Int64(index) * 3_600_000, cell: RollupCell()))
            units.append(sketch((0..<keys).map { "u\(index)-\($0)" }))
        }
        let groups = SegmentWriter.rowGroups(of: metric, units: units, keysPerGroup: 10)
        #expect(groups.map(\.rows) == [0..<3, 3..<6])
        #expect(groups.map(\.series) == [0..<1, 1..<3])
        #expect(SegmentWriter.rowGroups(of: metric, units: units).map(\.rows) == [0..<6])
    }

    @Test func interpolativeCodeRoundTripsNearTheBound() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let rangeCount = Int.random(in: 1...100_000, using: &generator)
            let count = Int.random(in: 0...min(rangeCount, 600), using: &generator)
            var chosen = Set<UInt32>()
            while chosen.count < count { chosen.insert(UInt32.random(in: 0..<UInt32(rangeCount), using: &generator)) }
            let values = chosen.sorted()
            var writer = BitWriter()
            values.withUnsafeBufferPointer { InterpolativeCode.encode($0, rangeCount: rangeCount, into: &writer) }
            let bytes = writer.finish()
            // log2(rangeCount choose count) + about one bit per value, rounded up to a byte.
            let bound = (0..<count).reduce(0.0) { $0 + log2(Double(rangeCount - $1) / Double($1 + 1)) }
            #expect(Double(bytes.count * 8) <= bound + Double(count) * 1.1 + 8, "\(count) of \(rangeCount)")
            var output = [UInt32](repeating: 0, count: count)
            let ok = bytes.withUnsafeBytes { raw in
                var reader = BitReader(raw)
                return output.withUnsafeMutableBufferPointer {
                    InterpolativeCode.decode(count: count, rangeCount: rangeCount, from: &reader, into: $0)
                } && reader.remainingBits < 8
            }
            #expect(ok && output == values, "\(count) of \(rangeCount)")
        }
    }

    /// The code is complete: any bit string decodes (or runs out), to values in range that
    /// encode back to the bits read.
    @Test func everyBitStringDecodesToWhatEncodesIt() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let rangeCount = Int.random(in: 1...5_000, using: &generator)
            let count = Int.random(in: 1...min(rangeCount, 40), using: &generator)
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var output = [UInt32](repeating: 0, count: count)
            var consumed = 0
            let ok = bytes.withUnsafeBytes { raw in
                var reader = BitReader(raw)
                defer { consumed = reader.position }
                return output.withUnsafeMutableBufferPointer {
                    InterpolativeCode.decode(count: count, rangeCount: rangeCount, from: &reader, into: $0)
                }
            }
            guard ok else { continue }
            #expect(zip(output, output.dropFirst()).allSatisfy { $0 < $1 } && output.last! < UInt32(rangeCount))
            var writer = BitWriter()
            output.withUnsafeBufferPointer { InterpolativeCode.encode($0, rangeCount: rangeCount, into: &writer) }
            let again = writer.finish()
            var original = BitWriter()
            bytes.withUnsafeBytes { raw in
                var reader = BitReader(raw)
                var left = consumed
                while left > 0 {
                    let step = min(left, 32)
                    original.write(reader.read(bits: step)!, bits: step)
                    left -= step
                }
            }
            #expect(again == original.finish())
        }
    }

    /// A table's bytes from (gap, rho′ or nil) pairs and a Rice parameter, for forging.
    static func forgedTable(count: Int, r: Int, _ keys: [(gap: Int, rho: Int?)], padding: UInt64 = 0) -> [UInt8] {
        var header = ByteWriter()
        header.writeVarint(UInt64(count))
        var bits = BitWriter()
        for (gap, rho) in keys {
            for _ in 0..<(gap >> r) { bits.write(1, bits: 1) }
            bits.write(0, bits: 1)
            bits.write(UInt64(gap), bits: r)
            if let rho { bits.write(UInt64(rho), bits: 6) }
        }
        if padding != 0 { bits.write(padding, bits: 1) }
        return header.bytes + bits.finish()
    }

    @Test func entryTablesRoundTripAndCostAboutTheirEntropy() throws {
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 100, 5_000, 80_000] {
            var keys = Set<UInt32>()
            while keys.count < count { keys.insert(HyperLogLog.SparseKey.make(hash: UInt64.random(in: 0...UInt64.max, using: &generator))) }
            let table = try #require(SketchEntryTable(collecting: Array(keys)))
            let bytes = table.encode()
            #expect(SketchEntryTable.decode(bytes) == table, "\(count) keys")
            let bound = Double(count) * (27.5 - log2(Double(count))) / 8 + 8
            #expect(count < 100 || Double(bytes.count) <= bound, "\(count) keys in \(bytes.count) bytes")
        }
    }

    /// A gap far above the table's average takes a long run of one bits (read 56 at a time).
    @Test func entryTablesWithAHugeGapRoundTrip() throws {
        let dense = (1..<70_000).filter { $0 % 2048 != 0 }.prefix(65_536).map { UInt32($0) << 7 }
        let table = SketchEntryTable(keys: dense + [UInt32(30_000_001) << 7])
        #expect(SketchEntryTable.riceParameter(count: table.count) == 8)
        #expect(SketchEntryTable.decode(table.encode()) == table)
        var truncated = table.encode()
        truncated.removeLast(truncated.count / 3)
        #expect(SketchEntryTable.decode(truncated) == nil)
    }

    @Test func entryTablesBreakingARuleAreRefused() {
        let valid = SketchEntryTable(keys: [128, 262_163, 524_416])
        #expect(SketchEntryTable.decode(valid.encode()) == valid)
        // D = 2: r = 24. idx′ 1 is key 128, idx′ 2048 flagged.
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(1, nil), (2047, 9)]))?.keys == [128, 262_163])
        #expect(SketchEntryTable.decode([0]) == nil, "empty")
        #expect(SketchEntryTable.decode([17, 0, 0]) == nil, "more keys than bits")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(1, nil), (0, nil)])) == nil, "repeated key")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(2048, 9), (0, 9)])) == nil, "repeated flagged key")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(2048, 9), (0, 8)])) == nil, "rho′ descending")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(2048, 9), (0, 10)]))?.count == 2, "rho′ ascending")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 1, r: 25, [(2048, 41)])) == nil, "rho′ 41")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 1, r: 25, [(2048, 0)])) == nil, "rho′ 0")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 2, r: 24, [(1 << 24, nil), (1 << 24, nil)])) == nil, "idx′ 2^25")
        #expect(SketchEntryTable.decode([2] + [UInt8](repeating: 0xFF, count: 64)) == nil, "a run of one bits")
        #expect(SketchEntryTable.decode(Self.forgedTable(count: 1, r: 25, [(1, nil)], padding: 1)) == nil, "nonzero padding")
        #expect(SketchEntryTable.decode(valid.encode() + [0]) == nil, "trailing byte")
    }

    @Test func columnsBreakingARuleAreRefused() throws {
        let table = SketchEntryTable(keys: [128, 262_163, 262_165, 524_416])  // two flagged keys of idx′ 2048
        let rows: [HyperLogLog?] = [sketch(hashes: [1 << 39]), sketch(hashes: [4097 << 39, 1 << 39])]
        let good = SketchColumn.encode(rows[...], counts: [1, 3], table: SketchKeyLookup(table))
        #expect(good.prefix(2) == [0, 1])  // 1 − 1 and 3 − 2
        #expect(decoded(good, counts: [1, 3], table: table) != nil)
        #expect(decoded(good, counts: [1, 3, 1], table: table) == nil, "a row more than the column holds")
        #expect(decoded(good, counts: [1, 3], table: nil) == nil, "sparse rows without a table")
        #expect(decoded(good, counts: [1, 1], table: table) == nil, "more keys than events")
        #expect(decoded([0] + [UInt8](repeating: 0, count: 8), counts: [5], table: table) == nil, "more keys than the table")
        #expect(decoded([0], counts: [3_074], table: table) == nil, "shape 3074")
        #expect(decoded(good + [0], counts: [1, 3], table: table) == nil, "trailing byte")
        var padded = good
        padded[padded.count - 1] |= 1
        #expect(decoded(padded, counts: [1, 3], table: table) == nil, "padding bits not zero")
        #expect(decoded([0], counts: [2], table: SketchEntryTable(keys: [262_163, 262_165])) == nil, "two keys of one idx′")
        let dense = [UInt8](repeating: 3, count: HyperLogLog.registerCount)
        #expect(decoded([1] + dense, counts: [3_074], table: nil)?.sketch(at: 0)?.registers == dense)
        #expect(decoded([1] + dense.dropLast(), counts: [3_074], table: nil) == nil, "short registers")
        #expect(decoded([1] + [52] + dense.dropLast(), counts: [3_074], table: nil) == nil, "register above 51")
    }
}
