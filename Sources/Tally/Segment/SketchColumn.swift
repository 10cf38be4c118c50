/// A row group's sketch column (format-spec.md, "Sketch entries and sketch columns"), decoded:
/// each row's sparse keys, resolved through the segment's ``SketchEntryTable``, or its dense
/// registers. Decoding checks every row, so using a row cannot fail; a query merges a row's keys
/// straight into its accumulating sketch.
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
    /// The most keys a column decodes to (256 MiB): a reader refuses a column claiming more,
    /// before allocating. The writer stays far below: it closes a row group at the first series
    /// boundary at or past ``SegmentFooter/sketchKeysPerGroup`` keys, and one series has at most
    /// 10 080 rows (minutes of a week) of at most 3072 keys.
    static let maxKeys = 1 << 26

    /// Row `r`'s sparse keys are `keys[starts[r]..<starts[r + 1]]`, ascending.
    private let keys: [UInt32]
    private let starts: [UInt32]
    /// The dense rows' registers, by row (their key ranges are empty).
    private let dense: [Int: [UInt8]]

    /// Decodes and checks `reader`'s bytes as the sketches of rows with `counts` events; nil
    /// when they break a rule (a sparse row needs `table`, and holds at most its count of keys).
    init?(_ reader: ByteReader, counts: [UInt64], table: SketchEntryTable?) {
        var reader = reader
        // Every shape takes at least one byte: check before reserving.
        guard counts.count <= reader.remaining else { return nil }
        var shapes: [Int] = []
        shapes.reserveCapacity(counts.count)
        var keyCount = 0
        var denseRows = 0
        for count in counts {
            guard let missing = reader.readVarint(), missing <= count, count - missing <= UInt64(Self.denseShape) else {
                return nil
            }
            let shape = Int(count - missing)
            if shape == Self.denseShape {
                denseRows += 1
            } else if shape > 0 {
                guard let table, shape <= table.count else { return nil }
                keyCount += shape
            }
            shapes.append(shape)
        }
        guard keyCount <= Self.maxKeys, denseRows <= reader.remaining / HyperLogLog.registerCount else { return nil }
        var dense: [Int: [UInt8]] = [:]
        for (row, shape) in shapes.enumerated() where shape == Self.denseShape {
            let start = reader.position
            _ = reader.skip(HyperLogLog.registerCount)
            let registers = Array(reader.bytes[start..<reader.position])
            guard !registers.contains(where: { $0 > HyperLogLog.maxRegisterValue }) else { return nil }
            dense[row] = registers
        }
        var starts: [UInt32] = [0]
        starts.reserveCapacity(counts.count + 1)
        var valid = true
        let keys = [UInt32](unsafeUninitializedCapacity: keyCount) { keys, initialized in
            reader.bytes.withUnsafeBytes { bytes in
                var bits = BitReader(UnsafeRawBufferPointer(rebasing: bytes[reader.position..<reader.end]))
                var next = 0
                for shape in shapes {
                    if shape > 0 && shape < Self.denseShape {
                        let row = UnsafeMutableBufferPointer(rebasing: keys[next..<next + shape])
                        guard InterpolativeCode.decode(count: shape, rangeCount: table!.count, from: &bits, into: row),
                              Self.resolve(row, in: table!)
                        else {
                            valid = false
                            break
                        }
                        next += shape
                    }
                    starts.append(UInt32(next))
                }
                initialized = next
                // At most 7 padding bits, all zero.
                let padding = bits.remainingBits
                valid = valid && padding < 8 && bits.read(bits: padding) == 0
            }
        }
        guard valid else { return nil }
        self.keys = keys
        self.starts = starts
        self.dense = dense
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

    /// Heap bytes held: the keys, the row starts and the dense registers.
    var approximateBytes: Int { 4 * (keys.count + starts.count) + dense.count * (HyperLogLog.registerCount + 64) }

    /// Row `row`'s sketch; nil when the row has no units.
    func sketch(at row: Int) -> HyperLogLog? {
        let range = self.range(of: row)
        var sketch = HyperLogLog()
        if !range.isEmpty {
            sketch.sparseKeys = Array(keys[range])
            sketch.sortedCount = range.count
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
            if units == nil { units = HyperLogLog() }
            keys.withUnsafeBufferPointer { keys in
                for key in keys[range] { units!.insert(sparseKey: key) }
            }
        } else if !dense.isEmpty, let registers = dense[row] {
            if units == nil { units = HyperLogLog() }
            registers.withUnsafeBytes { units!.mergeRegisters($0) }
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
            precondition(sketch.sortedCount == sketch.sparseKeys.count, "sketch not normalized")
            let shape = sketch.registers.isEmpty ? sketch.sortedCount : denseShape
            precondition(UInt64(shape) <= count, "a sketch with more keys than its row has events")
            if !sketch.registers.isEmpty {
                shapes.writeVarint(count - UInt64(denseShape))
                dense.append(contentsOf: sketch.registers)
                continue
            }
            shapes.writeVarint(count - UInt64(sketch.sortedCount))
            guard sketch.sortedCount > 0 else { continue }
            let table = table!
            positions.removeAll(keepingCapacity: true)
            for key in sketch.sparseKeys { positions.append(UInt32(table.position(of: key))) }
            positions.withUnsafeBufferPointer { InterpolativeCode.encode($0, rangeCount: table.table.count, into: &bits) }
        }
        return shapes.bytes + dense + bits.finish()
    }
}
