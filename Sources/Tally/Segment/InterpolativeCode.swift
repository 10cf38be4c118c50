/// Binary interpolative coding (Moffat and Stuiver, "Binary Interpolative Coding for Effective
/// Index Compression", 2000) of a strictly increasing list of integers within a known range, as
/// the sketch column stores each row's positions in its segment's entry table (format-spec.md,
/// "Sketch entries and sketch columns").
///
/// The middle element is written first, in truncated binary over the values it can take given
/// its position and the range; then the left half within `low…middle − 1` and the right half
/// within `middle + 1…high`, recursively. A list of k values out of n costs close to
/// log2(n choose k) bits. Bits are written most significant first.
///
/// The code is complete: every bit string decodes to exactly one list (or runs out), and
/// encoding that list gives the same bits. Decoding never yields a value outside its range.
enum InterpolativeCode {
    /// Appends the code of `values` (strictly increasing, each in `0..<rangeCount`) to `bits`.
    static func encode(_ values: UnsafeBufferPointer<UInt32>, rangeCount: Int, into bits: inout BitWriter) {
        precondition(values.count <= rangeCount)
        encode(values, values.indices, low: 0, high: rangeCount - 1, into: &bits)
    }

    /// Decodes `count` values in `0..<rangeCount` into `output` (which holds `count`); false when
    /// the bits run out. Requires `count <= rangeCount`.
    static func decode(
        count: Int, rangeCount: Int, from bits: inout BitReader, into output: UnsafeMutableBufferPointer<UInt32>
    ) -> Bool {
        precondition(count <= rangeCount && output.count == count)
        return decode(0..<count, low: 0, high: rangeCount - 1, from: &bits, into: output)
    }

    private static func encode(
        _ values: UnsafeBufferPointer<UInt32>, _ span: Range<Int>, low: Int, high: Int, into bits: inout BitWriter
    ) {
        guard !span.isEmpty else { return }
        let middle = (span.lowerBound + span.upperBound) / 2
        let smallest = low + (middle - span.lowerBound)
        let largest = high - (span.upperBound - 1 - middle)
        let value = Int(values[middle])
        bits.writeTruncatedBinary(value - smallest, count: largest - smallest + 1)
        encode(values, span.lowerBound..<middle, low: low, high: value - 1, into: &bits)
        encode(values, middle + 1..<span.upperBound, low: value + 1, high: high, into: &bits)
    }

    private static func decode(
        _ span: Range<Int>, low: Int, high: Int, from bits: inout BitReader, into output: UnsafeMutableBufferPointer<UInt32>
    ) -> Bool {
        guard !span.isEmpty else { return true }
        let middle = (span.lowerBound + span.upperBound) / 2
        let smallest = low + (middle - span.lowerBound)
        let largest = high - (span.upperBound - 1 - middle)
        guard let offset = bits.readTruncatedBinary(count: largest - smallest + 1) else { return false }
        let value = smallest + offset
        output[middle] = UInt32(value)
        return decode(span.lowerBound..<middle, low: low, high: value - 1, from: &bits, into: output)
            && decode(middle + 1..<span.upperBound, low: value + 1, high: high, from: &bits, into: output)
    }
}

/// Appends bits, most significant first, to a byte array.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// The last `pendingCount` (< 8) bits of `pending` are written but not yet a whole byte.
    private var pending: UInt64 = 0
    private var pendingCount = 0

    /// Appends the low `count` (0…32) bits of `value`.
    mutating func write(_ value: UInt64, bits count: Int) {
        guard count > 0 else { return }
        pending = pending << UInt64(count) | (value & ((1 << UInt64(count)) - 1))
        pendingCount += count
        while pendingCount >= 8 {
            pendingCount -= 8
            bytes.append(UInt8(truncatingIfNeeded: pending >> UInt64(pendingCount)))
        }
    }

    /// Truncated binary code of `value` in `0..<count` (count ≥ 1): with k = ⌊log2 count⌋ and
    /// u = 2^(k+1) − count, a value below u takes k bits, any other `value + u` in k + 1 bits.
    /// Nothing is written when count is 1.
    mutating func writeTruncatedBinary(_ value: Int, count: Int) {
        let k = Int.bitWidth - 1 - count.leadingZeroBitCount
        let short = (1 << (k + 1)) - count
        if value < short {
            write(UInt64(value), bits: k)
        } else {
            write(UInt64(value + short), bits: k + 1)
        }
    }

    /// The bytes written, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if pendingCount > 0 { write(0, bits: 8 - pendingCount) }
        return bytes
    }
}

/// Reads bits, most significant first, from bytes.
struct BitReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remainingBits: Int { bytes.count * 8 - position }

    /// Moves past `count` bits (at most the bits that remain).
    mutating func skip(bits count: Int) {
        precondition(count <= remainingBits)
        position += count
    }

    /// The next `count` (0…57) bits as a number; nil (nothing consumed) when fewer remain.
    @inline(__always)
    mutating func read(bits count: Int) -> UInt64? {
        guard count <= remainingBits else { return nil }
        guard count > 0 else { return 0 }
        let value = window() >> UInt64(64 - count)
        position += count
        return value
    }

    /// The number of one bits from the current position up to the first zero bit (at most 56),
    /// consuming them and the zero; nil when the bits run out first.
    @inline(__always)
    mutating func readOnes(max limit: Int) -> Int? {
        let ones = min((~window()).leadingZeroBitCount, limit + 1)
        guard ones <= limit, ones + 1 <= remainingBits else { return nil }
        position += ones + 1
        return ones
    }

    /// The next 57 or more bits, most significant first, in a word (zeros past the end).
    @inline(__always)
    private func window() -> UInt64 {
        let byte = position >> 3
        var word: UInt64 = 0
        if byte + 8 <= bytes.count {
            word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
        } else {
            for index in byte..<bytes.count { word |= UInt64(bytes[index]) << UInt64(56 - 8 * (index - byte)) }
        }
        return word << UInt64(position & 7)
    }

    /// Reads what ``BitWriter/writeTruncatedBinary(_:count:)`` writes: a value in `0..<count`.
    @inline(__always)
    mutating func readTruncatedBinary(count: Int) -> Int? {
        let k = Int.bitWidth - 1 - count.leadingZeroBitCount
        let short = (1 << (k + 1)) - count
        guard let head = read(bits: k).map(Int.init) else { return nil }
        if head < short { return head }
        guard let last = read(bits: 1) else { return nil }
        return (head << 1 | Int(last)) - short
    }
}
