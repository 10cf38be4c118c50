/// The index of one metric's cells: (series, bucket) → cell id.
///
/// Open addressing over a power-of-two table with linear probing; each slot holds its whole key,
/// so a lookup touches the table only, and the hash is a few multiplications rather than
/// SipHash.
struct CellTable {
    private struct Slot {
        var bucket: Int64
        var series: UInt32
        /// Cell id + 1; 0 is an empty slot.
        var cellPlusOne: UInt32
    }

    private var slots = [Slot](repeating: Slot(bucket: 0, series: 0, cellPlusOne: 0), count: 16)
    /// `64 - log2(slots.count)`: a key's slot is `hash >> slotShift`.
    private var slotShift = 60
    private(set) var count = 0

    /// Where `key` is: its cell id, or `nil` and the empty slot to pass to ``insert(_:id:at:)``.
    @inline(__always)
    func find(_ key: CellKey) -> (slot: Int, id: Int?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key) >> UInt64(slotShift))
        while true {
            let entry = slots[slot]
            if entry.cellPlusOne == 0 { return (slot, nil) }
            if entry.series == key.series && entry.bucket == key.bucket { return (slot, Int(entry.cellPlusOne) - 1) }
            slot = (slot + 1) & mask
        }
    }

    /// Records cell `id` at `key`, which ``find(_:)`` did not hold and placed at `slot`; no
    /// other insertion may come in between.
    @inline(__always)
    mutating func insert(_ key: CellKey, id: Int, at slot: Int) {
        precondition(id < Int(UInt32.max), "too many cells in one metric")
        slots[slot] = Slot(bucket: key.bucket, series: key.series, cellPlusOne: UInt32(id + 1))
        count += 1
        if count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        precondition(slotShift > 1, "cell index full")
        slotShift -= 1
        var grown = [Slot](repeating: Slot(bucket: 0, series: 0, cellPlusOne: 0), count: slots.count * 2)
        let mask = grown.count - 1
        for entry in slots where entry.cellPlusOne != 0 {
            var slot = Int(truncatingIfNeeded: Self.hash(CellKey(series: entry.series, bucket: entry.bucket)) >> UInt64(slotShift))
            while grown[slot].cellPlusOne != 0 { slot = (slot + 1) & mask }
            grown[slot] = entry
        }
        slots = grown
    }

    /// Mixes both fields into the high bits, which place the slot (not stored: free to change).
    @inline(__always)
    private static func hash(_ key: CellKey) -> UInt64 {
        var h = UInt64(bitPattern: key.bucket) &+ UInt64(key.series) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        h &*= 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }
}
