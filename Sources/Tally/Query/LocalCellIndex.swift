/// (local group, slot) → cell position, for ``LocalAccumulator``: open addressing with linear
/// probing and a multiplicative hash, because a row whose slot differs from its group's last one
/// looks its cell up here (an hourly query does so for most rows), and `Dictionary`'s SipHash
/// was the larger part of such a query's time.
struct LocalCellIndex {
    private var groups: [Int] = []
    private var slots: [Int64] = []
    /// Cell position + 1; 0 for an empty place.
    private var cells: [Int] = []
    private var count = 0

    init() {
        resize(to: 64)
    }

    /// The position stored for (`group`, `slot`), if any.
    @inline(__always)
    func cell(group: Int, slot: Int64) -> Int? {
        var place = Self.place(group, slot, mask: cells.count - 1)
        while cells[place] != 0 {
            if groups[place] == group && slots[place] == slot { return cells[place] - 1 }
            place = (place + 1) & (cells.count - 1)
        }
        return nil
    }

    /// Stores `cell` for (`group`, `slot`), which must not be stored yet.
    mutating func insert(group: Int, slot: Int64, cell: Int) {
        if (count + 1) * 2 > cells.count { resize(to: cells.count * 2) }
        var place = Self.place(group, slot, mask: cells.count - 1)
        while cells[place] != 0 { place = (place + 1) & (cells.count - 1) }
        (groups[place], slots[place], cells[place]) = (group, slot, cell + 1)
        count += 1
    }

    @inline(__always)
    private static func place(_ group: Int, _ slot: Int64, mask: Int) -> Int {
        let mixed = (UInt64(bitPattern: slot) &+ UInt64(truncatingIfNeeded: group) &* 0x9E37_79B9_7F4A_7C15)
            &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> 32) & mask
    }

    private mutating func resize(to capacity: Int) {
        let old = (groups, slots, cells)
        groups = Array(repeating: 0, count: capacity)
        slots = Array(repeating: 0, count: capacity)
        cells = Array(repeating: 0, count: capacity)
        count = 0
        for place in old.2.indices where old.2[place] != 0 {
            insert(group: old.0[place], slot: old.1[place], cell: old.2[place] - 1)
        }
    }
}
