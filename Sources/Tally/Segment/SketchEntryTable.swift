/// A segment's sketch entry table (block kind 15; format-spec.md, "Sketch entries and sketch
/// columns"): every distinct sparse key (``HyperLogLog/SparseKey``) that some row's sparse sketch
/// holds, ascending. Rows store positions in this table instead of keys: a unit seen in several
/// rows of a segment is written once, and each row's positions cost about log2(table size) bits.
///
/// Raw block: varint count D (≥ 1), then bits (most significant first): per key, the gap from
/// the previous key's idx′ (the first from 0) in a Rice code of parameter
/// r = max(0, 25 − ⌈log2 D⌉) — ⌊gap / 2^r⌋ one bits, a zero bit, the low r bits of the gap —
/// then, for a flagged idx′ (low 11 bits zero), rho′ in 6 bits; then zero bits to the byte
/// boundary. The gaps of D keys spread over 2^25 indices average 2^25 / D, so a key costs about
/// 27 − log2 D bits.
struct SketchEntryTable: Equatable {
    /// Strictly ascending valid sparse keys.
    let keys: [UInt32]

    init(keys: [UInt32]) {
        self.keys = keys
    }

    /// The table of `keys` (any order, repeats allowed), or nil when there are none.
    init?(collecting keys: [UInt32]) {
        guard !keys.isEmpty else { return nil }
        var all = keys
        var scratch = [UInt32](repeating: 0, count: all.count)
        all.withUnsafeMutableBufferPointer { all in
            scratch.withUnsafeMutableBufferPointer { HyperLogLog.sort(all, using: $0) }
        }
        var unique = 0
        // By index: iterating `all` itself would hold a second reference, and the first write
        // would copy every key.
        for index in all.indices where unique == 0 || all[unique - 1] != all[index] {
            all[unique] = all[index]
            unique += 1
        }
        all.removeSubrange(unique...)
        self.keys = all
    }

    var count: Int { keys.count }

    /// The Rice parameter of a table of `count` keys.
    static func riceParameter(count: Int) -> Int {
        let ceilingLog2 = count <= 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount
        return max(0, HyperLogLog.sparsePrecision - ceilingLog2)
    }

    func encode() -> [UInt8] {
        var header = ByteWriter(capacity: 5)
        header.writeVarint(UInt64(keys.count))
        let r = Self.riceParameter(count: keys.count)
        var bits = BitWriter()
        var previousIndex: UInt32 = 0
        for key in keys {
            let index = key >> 7
            let gap = Int(index - previousIndex)
            for _ in 0..<(gap >> r) { bits.write(1, bits: 1) }
            bits.write(0, bits: 1)
            bits.write(UInt64(gap), bits: r)
            if key & 1 == 1 { bits.write(UInt64((key >> 1) & 63), bits: 6) }
            previousIndex = index
        }
        return header.bytes + bits.finish()
    }

    /// The table `bytes` encode, or nil when they break a rule (SK1): the count is 0 or more
    /// than the bits that follow (checked before anything is reserved), an idx′ passes 2^25, a
    /// rho′ is outside 1…40, keys do not ascend strictly, or more than 7 bits (or a nonzero one)
    /// follow the last key.
    static func decode(_ bytes: [UInt8]) -> SketchEntryTable? {
        var reader = ByteReader(bytes)
        guard let count = reader.readCount(max: 8 * reader.remaining), count > 0 else { return nil }
        let r = riceParameter(count: count)
        var keys: [UInt32] = []
        keys.reserveCapacity(count)
        let valid = bytes.withUnsafeBytes { raw in
            var bits = BitReader(UnsafeRawBufferPointer(rebasing: raw[reader.position...]))
            var index = 0
            for _ in 0..<count {
                // At most (2^25 − 1 − index) >> r one bits: the idx′ stays below 2^25. A run of
                // more than 56 is read 56 at a time.
                let maxQuotient = (HyperLogLog.sparseIndexCount - 1 - index) >> r
                var quotient = 0
                while true {
                    let run = min(56, maxQuotient - quotient)
                    if let ones = bits.readOnes(max: run) {
                        quotient += ones
                        break
                    }
                    // Either the bits ran out, or more than `run` ones follow.
                    guard run == 56, let chunk = bits.read(bits: 56), chunk == (1 << 56) - 1 else { return false }
                    quotient += 56
                }
                guard let low = bits.read(bits: r) else { return false }
                let gap = quotient << r | Int(low)
                guard gap <= HyperLogLog.sparseIndexCount - 1 - index else { return false }
                index += gap
                var key = UInt32(index) << 7
                if UInt32(index) & HyperLogLog.SparseKey.betweenMask == 0 {
                    guard let rho = bits.read(bits: 6) else { return false }
                    key |= UInt32(rho) << 1 | 1
                }
                guard HyperLogLog.SparseKey.isValidKey(key), keys.last.map({ $0 < key }) ?? true else { return false }
                keys.append(key)
            }
            let padding = bits.remainingBits
            return padding < 8 && bits.read(bits: padding) == 0
        }
        return valid ? SketchEntryTable(keys: keys) : nil
    }
}

/// Finds keys' positions in a ``SketchEntryTable`` for the writer: the table's keys are bucketed
/// by their top 16 bits, so a lookup is a short scan of one bucket (a table of D keys has about
/// D / 65 536 per bucket) instead of a binary search over all of them.
struct SketchKeyLookup {
    let table: SketchEntryTable
    /// Keys whose top 16 bits are `b` lie at `bucketStarts[b]..<bucketStarts[b + 1]`.
    private let bucketStarts: [UInt32]

    init(_ table: SketchEntryTable) {
        self.table = table
        var starts = [UInt32](repeating: 0, count: (1 << 16) + 1)
        for key in table.keys { starts[Int(key >> 16) + 1] += 1 }
        for bucket in 0..<(1 << 16) { starts[bucket + 1] += starts[bucket] }
        bucketStarts = starts
    }

    /// The position of `key`, which the table holds.
    @inline(__always)
    func position(of key: UInt32) -> Int {
        let bucket = Int(key >> 16)
        var position = Int(bucketStarts[bucket])
        let end = Int(bucketStarts[bucket + 1])
        table.keys.withUnsafeBufferPointer { keys in
            while position < end && keys[position] < key { position += 1 }
            precondition(position < end && keys[position] == key, "key missing from the sketch entry table")
        }
        return position
    }
}
