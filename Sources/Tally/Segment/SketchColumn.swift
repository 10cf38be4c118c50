/// A row group's sketch column (format-spec.md, "Sketch entries and sketch columns"), decoded:
/// each row's sparse keys, resolved through the segment's ``SketchEntryTable`` (or, for a column
/// of more than ``decodedKeyLimit`` keys, their codes), or its dense registers. Reading checks
/// every row, so using a row cannot fail; a query merges a row's keys straight into its
/// accumulating sketch.
///
/// Raw block, for a group of n rows and a table of D keys:
/// - shapes: n varints, each the row's event count minus its shape s: s = 0 when the row has no
///   units, s in 1…3072 for a sparse sketch of s keys, 3073 for a dense one. (A sketch never
///   has more keys than its row has events; most rows have one key per event, so these are
///   mostly 0.)
/// - the dense rows' registers, in row order: 16384 bytes each, every byte at most 51.
/// - the sparse rows' table positions, in row order, each row's s ascending positions as the
///   binary interpolative code (``InterpolativeCode``) over 0..<D; then zero bits to the byte
///   boundary, and nothing after.
struct SketchColumn {
    static let denseShape = HyperLogLog.sparseEntryLimit + 1
    /// The most keys a column holds (rule SK2): a reader refuses a column claiming more. The
    /// writer stays far below: it closes a row group at the first series boundary at or past
    /// ``SegmentFooter/sketchKeysPerGroup`` keys, and one series has at most 10 080 rows
    /// (minutes of a week) of at most 3072 keys.
    static let maxKeys = 1 << 26

    /// Columns of at most this many keys are kept decoded (4 MiB); larger ones keep their
    /// position codes and decode a row when it is used, so that a column whose rows cost few
    /// bits (a row holding most of a small table costs almost none) cannot turn a small block
    /// into a large allocation. A row group of 512 rows of a few keys each is far below it.
    static let decodedKeyLimit = 1 << 20

    /// Row `r` has `starts[r + 1] − starts[r]` sparse keys: `keys[starts[r]..<starts[r + 1]]`,
    /// ascending, when the column is kept decoded; else in `codes`.
    private let keys: [UInt32]
    private let starts: [UInt32]
    private let codes: Codes?
    /// The dense rows' registers, by row (their key ranges are empty).
    private let dense: [Int: [UInt8]]

    /// A large column's position codes, checked when the column was read.
    private struct Codes {
        let bits: [UInt8]
        /// Per row, the bit where its code starts.
        let rowBits: [UInt32]
        let table: SketchEntryTable

        /// Decodes row `row`'s `count` keys and passes them to `body`.
        func withKeys(ofRow row: Int, count: Int, _ body: (UnsafeBufferPointer<UInt32>) -> Void) {
            bits.withUnsafeBytes { raw in
                var reader = BitReader(raw)
                reader.skip(bits: Int(rowBits[row]))
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { keys in
                    // Checked when the column was read: cannot fail.
                    guard SketchColumn.decodeKeys(from: &reader, into: keys, table: table) else {
                        preconditionFailure("a checked sketch column no longer decodes")
                    }
                    body(UnsafeBufferPointer(keys))
                }
            }
        }
    }

    /// Decodes and checks `reader`'s bytes as the sketches of rows with `counts` events; nil
    /// when they break a rule (a sparse row needs `table`, and holds at most its count of keys).
    init?(_ reader: ByteReader, counts: [UInt64], table: SketchEntryTable?) {
        var reader = reader
        // Every shape takes at least one byte: check before reserving.
        guard counts.count <= reader.remaining else { return nil }
        var starts: [UInt32] = [0]
        starts.reserveCapacity(counts.count + 1)
        var denseRows: [Int] = []
        for (row, count) in counts.enumerated() {
            guard let missing = reader.readVarint(), missing <= count, count - missing <= UInt64(Self.denseShape) else {
                return nil
            }
            var keyCount = Int(starts.last!)
            let shape = Int(count - missing)
            if shape == Self.denseShape {
                denseRows.append(row)
            } else if shape > 0 {
                guard let table, shape <= table.count else { return nil }
                keyCount += shape
                guard keyCount <= Self.maxKeys else { return nil }
            }
            starts.append(UInt32(keyCount))
        }
        guard denseRows.count <= reader.remaining / HyperLogLog.registerCount else { return nil }
        var dense: [Int: [UInt8]] = [:]
        for row in denseRows {
            let start = reader.position
            _ = reader.skip(HyperLogLog.registerCount)
            let registers = Array(reader.bytes[start..<reader.position])
            guard !registers.contains(where: { $0 > HyperLogLog.maxRegisterValue }) else { return nil }
            dense[row] = registers
        }
        let bits = reader.bytes[reader.position..<reader.end]
        let keyCount = Int(starts.last!)
        var valid = false
        if keyCount <= Self.decodedKeyLimit {
            self.keys = [UInt32](unsafeUninitializedCapacity: keyCount) { keys, initialized in
                valid = Self.visitRows(bits, starts: starts, table: table, decodingInto: keys) { _, _ in }
                // Rows decode in order, each into its range: all of it on success.
                initialized = valid ? keyCount : 0
            }
            self.codes = nil
        } else {
            var rowBits = [UInt32](repeating: 0, count: counts.count)
            valid = Self.visitRows(bits, starts: starts, table: table, decodingInto: nil) { row, bit in
                rowBits[row] = UInt32(bit)
            }
            self.keys = []
            self.codes = valid ? Codes(bits: Array(bits), rowBits: rowBits, table: table!) : nil
        }
        guard valid else { return nil }
        self.starts = starts
        self.dense = dense
    }

    /// Decodes every sparse row's positions (rule SK3) in row order, each into its range of
    /// `output` (`starts[r]..<starts[r + 1]`) when given, else into scratch, and passes the row
    /// and the bit its code starts at to `body`; false at the first broken rule, or when more
    /// than 7 bits, or a nonzero one, follow the last row.
    private static func visitRows(
        _ bits: ArraySlice<UInt8>, starts: [UInt32], table: SketchEntryTable?,
        decodingInto output: UnsafeMutableBufferPointer<UInt32>?, _ body: (Int, Int) -> Void
    ) -> Bool {
        bits.withUnsafeBytes { raw in
            var reader = BitReader(raw)
            return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: HyperLogLog.sparseEntryLimit) { scratch in
                for row in 0..<starts.count - 1 {
                    let range = Int(starts[row])..<Int(starts[row + 1])
                    guard !range.isEmpty else { continue }
                    let table = table!  // the shapes were checked: a sparse row has a table
                    let start = reader.position
                    let keys = output.map { UnsafeMutableBufferPointer(rebasing: $0[range]) }
                        ?? UnsafeMutableBufferPointer(rebasing: scratch[..<range.count])
                    guard decodeKeys(from: &reader, into: keys, table: table) else { return false }
                    body(row, start)
                }
                let padding = reader.remainingBits
                return padding < 8 && reader.read(bits: padding) == 0
            }
        }
    }

    /// Decodes one row's `keys.count` positions at `reader` and replaces them by the table's
    /// keys; false when the bits run out or the row breaks rule SK3.
    fileprivate static func decodeKeys(
        from reader: inout BitReader, into keys: UnsafeMutableBufferPointer<UInt32>, table: SketchEntryTable
    ) -> Bool {
        InterpolativeCode.decode(count: keys.count, rangeCount: table.count, from: &reader, into: keys)
            && resolve(keys, in: table)
    }

    /// Replaces the positions in `row` by the table's keys; false when two of them share an idx′
    /// (a sketch keeps one key per idx′, rule SK3). Positions ascend, so keys do, and keys
    /// sharing an idx′ are neighbours.
    private static func resolve(_ row: UnsafeMutableBufferPointer<UInt32>, in table: SketchEntryTable) -> Bool {
        table.keys.withUnsafeBufferPointer { tableKeys in
            var previousIndex: UInt32?
            for i in row.indices {
                let key = tableKeys[Int(row[i])]
                guard key >> 7 != previousIndex else { return false }
                previousIndex = key >> 7
                row[i] = key
            }
            return true
        }
    }

    /// Heap bytes held: the keys or codes, the row starts and the dense registers.
    var approximateBytes: Int {
        4 * (keys.count + starts.count) + (codes.map { $0.bits.count + 4 * $0.rowBits.count } ?? 0)
            + dense.count * (HyperLogLog.registerCount + 64)
    }

    /// Passes row `row`'s sparse keys (`range` of them, non-empty) to `body`.
    @inline(__always)
    private func withKeys(ofRow row: Int, _ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt32>) -> Void) {
        if let codes {
            codes.withKeys(ofRow: row, count: range.count, body)
        } else {
            keys.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
        }
    }

    /// Row `row`'s sketch; nil when the row has no units.
    func sketch(at row: Int) -> HyperLogLog? {
        let range = self.range(of: row)
        var sketch = HyperLogLog()
        if !range.isEmpty {
            withKeys(ofRow: row, range) { sketch = HyperLogLog(sortedKeys: $0) }
        } else if let registers = dense[row] {
            sketch.registers = registers
        } else {
            return nil
        }
        return sketch
    }

    /// Merges row `row`'s sketch, if it has one, into `units` (starting one when nil).
    @inline(__always)
    func mergeSketch(at row: Int, into units: inout HyperLogLog?) {
        let range = self.range(of: row)
        if !range.isEmpty {
            withKeys(ofRow: row, range) { keys in units.updateStarted { $0.insert(sparseKeys: keys) } }
        } else if !dense.isEmpty, let registers = dense[row] {
            registers.withUnsafeBytes { theirs in units.updateStarted { $0.mergeRegisters(theirs) } }
        }
    }

    /// Merges each row `r`'s sketch with `rowCells[r] >= 0` into `cells[rowCells[r]].units`, as
    /// ``mergeSketch(at:into:)`` would, in row order.
    func mergeSketches(of rowCells: [Int32], into cells: UnsafeMutableBufferPointer<RollupCell>) {
        guard codes == nil, dense.isEmpty else {
            for (row, cell) in rowCells.enumerated() where cell >= 0 { mergeSketch(at: row, into: &cells[Int(cell)].units) }
            return
        }
        keys.withUnsafeBufferPointer { keys in
            starts.withUnsafeBufferPointer { starts in
                for (row, cell) in rowCells.enumerated() where cell >= 0 && starts[row] < starts[row + 1] {
                    let rowKeys = UnsafeBufferPointer(rebasing: keys[Int(starts[row])..<Int(starts[row + 1])])
                    cells[Int(cell)].units.updateStarted { $0.insert(sparseKeys: rowKeys) }
                }
            }
        }
    }

    @inline(__always)
    private func range(of row: Int) -> Range<Int> {
        Int(starts[row])..<Int(starts[row + 1])
    }

    /// The raw column of `units` (one per row, each normalized: no pending inserts) of rows
    /// with `counts` events, whose sparse keys `table` holds.
    static func encode(_ units: ArraySlice<HyperLogLog?>, counts: ArraySlice<UInt64>, table: SketchKeyLookup?) -> [UInt8] {
        var shapes = ByteWriter(capacity: units.count)
        var dense: [UInt8] = []
        var bits = BitWriter()
        var positions: [UInt32] = []
        for (sketch, count) in zip(units, counts) {
            guard let sketch else {
                shapes.writeVarint(count)
                continue
            }
            precondition(sketch.keyList.count == sketch.sortedCount, "sketch not normalized")
            let entries = sketch.sortedEntryCount
            let shape = sketch.registers.isEmpty ? entries : denseShape
            precondition(UInt64(shape) <= count, "a sketch with more keys than its row has events")
            if !sketch.registers.isEmpty {
                shapes.writeVarint(count - UInt64(denseShape))
                dense.append(contentsOf: sketch.registers)
                continue
            }
            shapes.writeVarint(count - UInt64(entries))
            guard entries > 0 else { continue }
            let table = table!
            positions.removeAll(keepingCapacity: true)
            sketch.withSortedKeys { keys in
                for key in keys { positions.append(UInt32(table.position(of: key))) }
            }
            positions.withUnsafeBufferPointer { InterpolativeCode.encode($0, rangeCount: table.table.count, into: &bits) }
        }
        return shapes.bytes + dense + bits.finish()
    }
}
