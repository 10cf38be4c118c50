extension HyperLogLog {
    /// The in-memory form of a sparse entry, ordered by (idx′, rho′), with `key >> 7 == idx′`:
    /// - `idx′ << 7 | rho′ << 1 | 1` ("flagged") when the low 11 bits of idx′ (hash bits 49…39,
    ///   between p and p′) are all zero, so that the dense rho depends on rho′;
    /// - `idx′ << 7` otherwise: those 11 bits fix the dense rho.
    ///
    /// (The paper's encoding, `idx′ << 1` when not flagged, sorts unflagged entries among flagged
    /// ones differently; keys keep one idx′'s candidates adjacent, and segments store keys.)
    enum SparseKey {
        /// p′ − p: the hash bits that idx′ has beyond the dense register index.
        static let betweenBits: UInt32 = 11
        static let betweenMask: UInt32 = (1 << betweenBits) - 1

        @inline(__always)
        static func make(hash: UInt64) -> UInt32 {
            let index = UInt32(truncatingIfNeeded: hash >> 39)
            guard index & betweenMask == 0 else { return index << 7 }
            // 1 + the leading zeros of bits 38…0; the sentinel bit 24 caps it at 40.
            let tail = (hash << 25) | (1 << 24)
            let rho = UInt32(truncatingIfNeeded: tail.leadingZeroBitCount + 1)
            return index << 7 | rho << 1 | 1
        }

        /// The dense register and rho that the key's hashes give.
        @inline(__always)
        static func register(of key: UInt32) -> (index: Int, rho: UInt8) {
            let index = Int(truncatingIfNeeded: key >> (7 + betweenBits))
            if key & 1 == 1 {
                // The 11 bits between p and p′ are zero: they add 11 to rho′.
                return (index, UInt8(truncatingIfNeeded: (key >> 1) & 63) &+ UInt8(betweenBits))
            }
            // 1 + the leading zeros of the (nonzero) 11 bits between p and p′.
            let between = (key >> 7) & betweenMask
            return (index, UInt8(truncatingIfNeeded: between.leadingZeroBitCount - 20))
        }

        /// Whether `key` is one that ``make(hash:)`` can produce: flagged, rho′ 1…40 and the 11
        /// bits between p and p′ zero; unflagged, bits 6…0 zero and those 11 bits not all zero.
        static func isValidKey(_ key: UInt32) -> Bool {
            let between = (key >> 7) & betweenMask
            if key & 1 == 1 {
                let rho = (key >> 1) & 63
                return rho >= 1 && rho <= HyperLogLog.maxSparseRho && between == 0
            }
            return key & 0x7F == 0 && between != 0
        }
    }

    /// The buffer size at which inserts merge it into the sorted entries.
    var pendingLimit: Int { max(Self.minimumPendingLimit, sortedCount >> 2) }

    /// Called when the key array is full: makes room for the buffer to fill to ``pendingLimit``,
    /// growing by half at least but never past a full buffer on a full sparse list.
    mutating func growSparseCapacity() {
        let largest = Self.sparseEntryLimit + Self.sparseEntryLimit / 4
        let grown = min(keyList.capacity + keyList.capacity / 2, largest)
        keyList.reserveCapacity(max(grown, sortedCount + pendingLimit, keyList.count + 1))
    }

    /// Moves the inline entry to the front of the (empty) key list, as its one sorted key: called
    /// when a second idx′ arrives.
    mutating func spillInlineKey() {
        growSparseCapacity()
        keyList.append(inlineKey)
        sortedCount = 1
        inlineKey = 0
    }

    /// Merges the buffer into the sorted entries; turns dense past ``sparseEntryLimit``.
    mutating func flushPending() {
        let sorted = sortedCount
        let pending = keyList.count - sorted
        guard pending > 0 else { return }
        let mergedCount = keyList.withUnsafeMutableBufferPointer { keys in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * pending) { buffer in
                let scratch = UnsafeMutableBufferPointer(rebasing: buffer[..<pending])
                // Move the pending keys out: the merge writes over their slots.
                _ = scratch.initialize(fromContentsOf: keys[sorted...])
                Self.sort(scratch, using: UnsafeMutableBufferPointer(rebasing: buffer[pending...]))
                let unique = Self.keepLargestPerIndex(scratch)
                return Self.mergeSortedKeys(
                    into: keys, sortedCount: sorted,
                    incoming: UnsafeBufferPointer(rebasing: scratch[..<unique]))
            }
        }
        finishMerge(count: mergedCount)
    }

    private mutating func finishMerge(count: Int) {
        keyList.removeLast(keyList.count - count)
        sortedCount = count
        if count > Self.sparseEntryLimit { convertToDense() }
    }

    /// Turns the sketch dense for good (no-op when it is). Exact: the registers equal those of
    /// inserting every hash densely.
    mutating func convertToDense() {
        guard registers.isEmpty else { return }
        registers = [UInt8](repeating: 0, count: Self.registerCount)
        applyToRegisters(keyList)
        if inlineKey != 0 { applyToRegisters([inlineKey]) }
        keyList = []
        sortedCount = 0
        inlineKey = 0
    }

    /// Raises the dense registers to what `keys` (sorted or not) stand for.
    mutating func applyToRegisters(_ keys: [UInt32]) {
        registers.withUnsafeMutableBufferPointer { registers in
            for key in keys {
                let (index, rho) = SparseKey.register(of: key)
                if registers[index] < rho { registers[index] = rho }
            }
        }
    }

    /// Sorts `keys` ascending, with `buffer` (as many slots) as scratch: a least-significant-digit
    /// radix sort, four passes of one byte, for all but short runs. Comparison sorts of random
    /// keys mispredict a branch per comparison; the buffer merges of a query's growing sparse
    /// sketches sort hundreds of keys at a time.
    static func sort(_ keys: UnsafeMutableBufferPointer<UInt32>, using buffer: UnsafeMutableBufferPointer<UInt32>) {
        guard keys.count >= 64 else {
            var keys = keys
            return keys.sort()
        }
        precondition(buffer.count >= keys.count)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * 256) { counts in
            counts.initialize(repeating: 0)
            for key in keys {
                for digit in 0..<4 { counts[digit * 256 + Int((key >> UInt32(8 * digit)) & 0xFF)] += 1 }
            }
            var from = keys, to = buffer
            for digit in 0..<4 {
                // Exclusive prefix sums: where each byte value's keys start.
                var total = 0
                for value in 0..<256 {
                    let count = counts[digit * 256 + value]
                    counts[digit * 256 + value] = total
                    total += count
                }
                for key in from {
                    let slot = digit * 256 + Int((key >> UInt32(8 * digit)) & 0xFF)
                    to[counts[slot]] = key
                    counts[slot] += 1
                }
                swap(&from, &to)
            }
            // Four passes: the sorted keys are back in `keys`.
        }
    }

    /// Compacts ascending `keys` to one per idx′, the largest; returns how many remain in front.
    static func keepLargestPerIndex(_ keys: UnsafeMutableBufferPointer<UInt32>) -> Int {
        var written = 0
        for key in keys {
            if written > 0 && keys[written - 1] >> 7 == key >> 7 {
                keys[written - 1] = key
            } else {
                keys[written] = key
                written += 1
            }
        }
        return written
    }

    /// Merges `incoming` into `keys[..<sortedCount]` in place, keeping the larger key for an
    /// idx′ in both, and returns the merged count (the result is `keys[..<count]`).
    ///
    /// Requires: both runs strictly ascending with distinct idx′; `keys.count >= sortedCount +
    /// incoming.count`, the slots after the run being free; `incoming` not inside `keys`.
    static func mergeSortedKeys(
        into keys: UnsafeMutableBufferPointer<UInt32>, sortedCount: Int,
        incoming: UnsafeBufferPointer<UInt32>
    ) -> Int {
        let total = sortedCount + incoming.count
        var mine = sortedCount - 1
        var theirs = incoming.count - 1
        var write = total - 1
        // Back to front, so nothing unread is overwritten.
        while theirs >= 0 {
            let incomingKey = incoming[theirs]
            if mine >= 0 {
                let myKey = keys[mine]
                if myKey >> 7 > incomingKey >> 7 {
                    keys[write] = myKey
                    mine -= 1
                } else if myKey >> 7 < incomingKey >> 7 {
                    keys[write] = incomingKey
                    theirs -= 1
                } else {
                    keys[write] = max(myKey, incomingKey)
                    mine -= 1
                    theirs -= 1
                }
            } else {
                keys[write] = incomingKey
                theirs -= 1
            }
            write -= 1
        }
        // keys[...mine] never moved; one slot was left free per shared idx′. Close the gap.
        let gap = write - mine
        if gap > 0 {
            for source in (write + 1)..<total { keys[source - gap] = keys[source] }
        }
        return total - gap
    }
}
