/// A metric's sketch column, kept serialized: a row's sketch is decoded, or merged straight
/// into an accumulating one, only when it is used, so a query that merges rows allocates
/// nothing per row. Each sketch is checked when it is used (``HyperLogLog/deserialize(_:)``'s
/// rules), not when the column is read: rows a query skips cost nothing.
///
/// The block is, per row, a varint length and that many bytes: empty when the row has no units,
/// else the serialized ``HyperLogLog`` (format-spec.md, "Distinct-count sketch").
struct SketchColumn {
    private let bytes: [UInt8]
    /// Row `r`'s serialized sketch is `lengths[r]` bytes from `starts[r]` in `bytes`, none when
    /// the row has no units. 6 bytes per row, not a 16-byte range: decoded columns are what the
    /// query cache holds.
    private let starts: [UInt32]
    private let lengths: [UInt16]
    /// Thrown when a row's bytes are not a valid sketch.
    private let malformed: TallyError

    /// Splits `reader`'s bytes into `rows` sketches; nil when the column is truncated or has
    /// trailing bytes.
    init?(_ reader: ByteReader, rows: Int, malformed: TallyError) {
        var reader = reader
        // Every row takes at least one byte: check before reserving.
        guard rows <= reader.remaining else { return nil }
        // A block holds at most `Block.maxRawLength` bytes, so every start fits 32 bits; no
        // valid sketch reaches 2^16 bytes (a dense one is 16 385), so a longer row is malformed.
        guard reader.bytes.count <= Int(UInt32.max) else { return nil }
        var starts: [UInt32] = []
        var lengths: [UInt16] = []
        starts.reserveCapacity(rows)
        lengths.reserveCapacity(rows)
        for _ in 0..<rows {
            guard let length = reader.readCount(max: min(reader.remaining, Int(UInt16.max))) else { return nil }
            starts.append(UInt32(reader.position))
            lengths.append(UInt16(length))
            _ = reader.skip(length)
        }
        guard reader.isAtEnd else { return nil }
        self.bytes = reader.bytes
        self.starts = starts
        self.lengths = lengths
        self.malformed = malformed
    }

    /// Heap bytes held: the column's bytes and where each row's sketch lies.
    var approximateBytes: Int { bytes.count + starts.count * 6 }

    /// Row `row`'s sketch; nil when the row has no units.
    func sketch(at row: Int) throws -> HyperLogLog? {
        let range = self.range(of: row)
        guard !range.isEmpty else { return nil }
        guard let sketch = bytes.withUnsafeBytes({ HyperLogLog.deserialize(UnsafeRawBufferPointer(rebasing: $0[range])) })
        else { throw malformed }
        return sketch
    }

    /// Merges row `row`'s sketch, if it has one, into `units` (starting one when nil). When the
    /// row's bytes are malformed it throws, `units` then holding part of them.
    @inline(__always)
    func mergeSketch(at row: Int, into units: inout HyperLogLog?) throws {
        let range = self.range(of: row)
        guard !range.isEmpty else { return }
        if units == nil { units = HyperLogLog() }
        let merged = bytes.withUnsafeBytes { units!.merge(serialized: UnsafeRawBufferPointer(rebasing: $0[range])) }
        guard merged else { throw malformed }
    }

    /// Where row `row`'s sketch lies in `bytes`.
    @inline(__always)
    private func range(of row: Int) -> Range<Int> {
        let start = Int(starts[row])
        return start..<start + Int(lengths[row])
    }
}
