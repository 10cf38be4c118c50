/// A metric's sketch column, kept serialized: a row's sketch is decoded, or merged straight
/// into an accumulating one, only when it is used, so a query that merges rows allocates
/// nothing per row. Each sketch is checked when it is used (``HyperLogLog/deserialize(_:)``'s
/// rules), not when the column is read: rows a query skips cost nothing.
///
/// The block is, per row, a varint length and that many bytes: empty when the row has no units,
/// else the serialized ``HyperLogLog`` (format-spec.md, "Distinct-count sketch").
struct SketchColumn {
    private let bytes: [UInt8]
    /// Per row: where its serialized sketch lies in `bytes`; empty when the row has no units.
    private let ranges: [Range<Int>]
    /// Thrown when a row's bytes are not a valid sketch.
    private let malformed: TallyError

    /// Splits `reader`'s bytes into `rows` sketches; nil when the column is truncated or has
    /// trailing bytes.
    init?(_ reader: ByteReader, rows: Int, malformed: TallyError) {
        var reader = reader
        // Every row takes at least one byte: check before reserving.
        guard rows <= reader.remaining else { return nil }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(rows)
        for _ in 0..<rows {
            guard let length = reader.readCount(max: reader.remaining) else { return nil }
            ranges.append(reader.position..<reader.position + length)
            _ = reader.skip(length)
        }
        guard reader.isAtEnd else { return nil }
        self.bytes = reader.bytes
        self.ranges = ranges
        self.malformed = malformed
    }

    /// Heap bytes held: the column's bytes and the row ranges.
    var approximateBytes: Int { bytes.count + ranges.count * MemoryLayout<Range<Int>>.stride }

    /// Row `row`'s sketch; nil when the row has no units.
    func sketch(at row: Int) throws -> HyperLogLog? {
        let range = ranges[row]
        guard !range.isEmpty else { return nil }
        guard let sketch = bytes.withUnsafeBytes({ HyperLogLog.deserialize(UnsafeRawBufferPointer(rebasing: $0[range])) })
        else { throw malformed }
        return sketch
    }

    /// Merges row `row`'s sketch, if it has one, into `units` (starting one when nil). When the
    /// row's bytes are malformed it throws, `units` then holding part of them.
    @inline(__always)
    func mergeSketch(at row: Int, into units: inout HyperLogLog?) throws {
        let range = ranges[row]
        guard !range.isEmpty else { return }
        if units == nil { units = HyperLogLog() }
        let merged = bytes.withUnsafeBytes { units!.merge(serialized: UnsafeRawBufferPointer(rebasing: $0[range])) }
        guard merged else { throw malformed }
    }
}
