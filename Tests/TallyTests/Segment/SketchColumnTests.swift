import Testing
@testable import Tally

/// The sketch column keeps each row's serialized sketch where it lies, checking lengths up front
/// and each sketch only when a row is used.
@Suite struct SketchColumnTests {
    let malformed = TallyError.corruption("malformed sketch", path: "t", offset: 0)

    func column(_ rows: [[UInt8]]) -> [UInt8] {
        var writer = ByteWriter()
        for row in rows {
            writer.writeVarint(UInt64(row.count))
            writer.writeBytes(row)
        }
        return writer.bytes
    }

    func serialized(_ units: [String]) -> [UInt8] {
        var sketch = HyperLogLog()
        for unit in units { sketch.insert(hash: XXHash64.hash(unit)) }
        var bytes: [UInt8] = []
        sketch.serialize(into: &bytes)
        return bytes
    }

    @Test func rowsComeBackAsTheirSketches() throws {
        let dense = (0..<5_000).map { "u\($0)" }
        let rows = [serialized(["a", "b"]), [], serialized(dense), serialized(["c"])]
        let sketches = try #require(SketchColumn(ByteReader(column(rows)), rows: rows.count, malformed: malformed))
        #expect(try sketches.sketch(at: 1) == nil)
        #expect(try sketches.sketch(at: 0)?.estimate().rounded() == 2)
        #expect(try sketches.sketch(at: 3)?.estimate().rounded() == 1)
        var merged: HyperLogLog?
        for row in 0..<rows.count { try sketches.mergeSketch(at: row, into: &merged) }
        var expected = HyperLogLog()
        for unit in ["a", "b", "c"] + dense { expected.insert(hash: XXHash64.hash(unit)) }
        #expect(merged?.estimate() == expected.estimate())
    }

    /// No valid sketch is 2^16 bytes or longer (a dense one is 16 385): such a length is refused
    /// when the column is read, and a malformed sketch of a valid length when its row is used.
    @Test func overlongRowsAndMalformedSketchesAreRefused() throws {
        let long = [UInt8](repeating: 2, count: 70_000)
        #expect(SketchColumn(ByteReader(column([serialized(["a"]), long])), rows: 2, malformed: malformed) == nil)
        #expect(SketchColumn(ByteReader(column([serialized(["a"])])), rows: 2, malformed: malformed) == nil)
        let junk = try #require(SketchColumn(ByteReader(column([[9, 9, 9]])), rows: 1, malformed: malformed))
        #expect(throws: TallyError.self) { try junk.sketch(at: 0) }
        var units: HyperLogLog?
        #expect(throws: TallyError.self) { try junk.mergeSketch(at: 0, into: &units) }
    }
}
