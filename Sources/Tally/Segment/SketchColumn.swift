/// A metric's sketch column, checked whole but kept serialized: a row's sketch is decoded, or
/// merged straight into an accumulating one, only when it is used, so a query that merges rows
/// allocates nothing per row.
///
/// The block is, per row, a varint length and that many bytes: empty when the row has no units,
/// else the serialized ``HyperLogLog`` (format-spec.md, "Distinct-count sketch").
struct SketchColumn {
    private let bytes: [UInt8]
    /// Per row: where its serialized sketch lies in `bytes`; empty when the row has no units.
    private let ranges: [Range<Int>]

    /// Reads `rows` sketches from `reader`, which must then be at its end; nil when the column
    /// is truncated, has trailing bytes or holds a sketch that is not a valid serialization.
    init?(_ reader: ByteReader, rows: Int) {
        var reader = reader
        // Every row takes at least one byte: check before reserving.
        guard rows <= reader.remaining else { return nil }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(rows)
        let blockBytes = reader.bytes
        let valid = blockBytes.withUnsafeBytes { block in
            for _ in 0..<rows {
                guard let length = reader.readCount(max: reader.remaining) else { return false }
                let range = reader.position..<reader.position + length
                _ = reader.readBytes(length)
                guard range.isEmpty || HyperLogLog.isValidSerialization(UnsafeRawBufferPointer(rebasing: block[range]))
                else { return false }
                ranges.append(range)
            }
            return reader.isAtEnd
        }
        guard valid else { return nil }
        self.bytes = reader.bytes
        self.ranges = ranges
    }

    /// Row `row`'s sketch; nil when the row has no units.
    func sketch(at row: Int) -> HyperLogLog? {
        let range = ranges[row]
        guard !range.isEmpty else { return nil }
        // Checked when the column was read.
        return bytes.withUnsafeBytes { HyperLogLog.deserialize(UnsafeRawBufferPointer(rebasing: $0[range]))! }
    }

    /// Merges row `row`'s sketch, if it has one, into `units` (starting one when nil).
    @inline(__always)
    func mergeSketch(at row: Int, into units: inout HyperLogLog?) {
        let range = ranges[row]
        guard !range.isEmpty else { return }
        if units == nil { units = HyperLogLog() }
        let merged = bytes.withUnsafeBytes { units!.merge(serialized: UnsafeRawBufferPointer(rebasing: $0[range])) }
        // Checked when the column was read.
        precondition(merged, "sketch column changed after it was checked")
    }
}
