/// The assignments changed since the last flush, as one bit per assignment index: marking one
/// (once per exposure or credit) costs a shift and an OR, not a hash.
///
/// `words` grows only to the word of the largest index inserted, so equal sets have equal words.
struct DirtyAssignments: Equatable, ExpressibleByArrayLiteral {
    private var words: [UInt64] = []
    private(set) var count = 0

    init(arrayLiteral indices: UInt32...) {
        for index in indices { insert(index) }
    }

    @inline(__always)
    mutating func insert(_ index: UInt32) {
        let word = Int(index >> 6)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word + 1 - words.count)) }
        let bit = UInt64(1) << UInt64(index & 63)
        if words[word] & bit == 0 {
            words[word] |= bit
            count += 1
        }
    }

    /// The indices, in increasing order.
    func sorted() -> [UInt32] {
        var indices: [UInt32] = []
        indices.reserveCapacity(count)
        for (w, word) in words.enumerated() {
            var remaining = word
            while remaining != 0 {
                indices.append(UInt32(w << 6 + remaining.trailingZeroBitCount))
                remaining &= remaining - 1
            }
        }
        return indices
    }
}
