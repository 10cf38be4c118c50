/// The distinct series of one metric, by id, with an index from their dimension pairs to ids.
/// (Queries and `info()` use it for any short sequences of 64-bit words that need dense ids:
/// group-value tuples, series of interned strings.)
///
/// The pairs of every series are stored back to back in one array, so adding a series does not
/// allocate one. The index is open addressing over a power-of-two table with linear probing,
/// keyed by a 64-bit fingerprint of the packed pairs; a fingerprint match is confirmed by
/// comparing the pairs, so two distinct series never share an id.
struct SeriesIndex: RandomAccessCollection {
    /// Every series' packed pairs (``SeriesKey/pack(key:value:)``), sorted within each series.
    private var pairs: [UInt64] = []
    /// Series `i` is `pairs[starts[i]..<starts[i + 1]]`.
    private var starts: [Int] = [0]
    /// Per slot: the fingerprint's high 32 bits (which also place the slot) `<< 32 | id + 1`;
    /// 0 is an empty slot.
    private var slots = [UInt64](repeating: 0, count: 16)
    /// `64 - log2(slots.count)`: a fingerprint's slot is `fingerprint >> slotShift`.
    private var slotShift = 60

    var startIndex: Int { 0 }
    var endIndex: Int { starts.count - 1 }

    subscript(id: Int) -> SeriesKey { SeriesKey(packedPairs: pairs[starts[id]..<starts[id + 1]]) }

    /// The id of the series whose packed pairs, sorted, are `key`; `nil` if it is not held.
    func id(of key: UnsafeBufferPointer<UInt64>) -> UInt32? {
        probe(key, fingerprint: Self.fingerprint(key)).id
    }

    /// The id of the series whose packed pairs, sorted, are `key`, added if new.
    @inline(__always)
    mutating func insert(_ key: UnsafeBufferPointer<UInt64>) -> (id: UInt32, inserted: Bool) {
        let fingerprint = Self.fingerprint(key)
        let (slot, found) = probe(key, fingerprint: fingerprint)
        if let found { return (found, false) }
        precondition(count < Int(UInt32.max - 1), "too many series in one metric")
        let id = UInt32(count)
        pairs.append(contentsOf: key)
        starts.append(pairs.count)
        slots[slot] = fingerprint & 0xFFFF_FFFF_0000_0000 | UInt64(id + 1)
        if count * 2 > slots.count { grow() }
        return (id, true)
    }

    /// The slot holding `key` and its id, or the empty slot where it would go and `nil`.
    @inline(__always)
    private func probe(_ key: UnsafeBufferPointer<UInt64>, fingerprint: UInt64) -> (slot: Int, id: UInt32?) {
        let tag = fingerprint & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: fingerprint >> UInt64(slotShift))
        while true {
            let entry = slots[slot]
            if entry == 0 { return (slot, nil) }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if holds(id, key) { return (slot, UInt32(id)) }
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func holds(_ id: Int, _ key: UnsafeBufferPointer<UInt64>) -> Bool {
        let start = starts[id]
        guard starts[id + 1] - start == key.count else { return false }
        for i in 0..<key.count where pairs[start + i] != key[i] { return false }
        return true
    }

    /// Doubles the table; slots are placed again from the stored high fingerprint bits.
    private mutating func grow() {
        precondition(slotShift > 32, "series index full")
        slotShift -= 1
        var grown = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = grown.count - 1
        for entry in slots where entry != 0 {
            var slot = Int(truncatingIfNeeded: entry >> UInt64(slotShift))
            while grown[slot] != 0 { slot = (slot + 1) & mask }
            grown[slot] = entry
        }
        slots = grown
    }

    /// A well-mixed 64-bit hash of packed pairs (not stored on disk: free to change).
    @inline(__always)
    static func fingerprint(_ key: UnsafeBufferPointer<UInt64>) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: key.count) &* 0x9E37_79B9_7F4A_7C15
        for pair in key {
            h = (h ^ pair) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }
}
