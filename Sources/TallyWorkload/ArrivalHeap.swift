/// Events waiting for their arrival time, earliest first: the `heapq` of
/// `(arrival, seq, line)` tuples in the reference script. Ties in arrival keep the order in
/// which events were pushed.
///
/// The binary heap orders small plain keys; the events themselves wait in slots of a slab
/// (reused through a free list), so sifting never retains or releases anything.
struct ArrivalHeap {
    private struct Key {
        var arrival: Int64
        var sequence: Int
        var slot: Int

        @inline(__always)
        func precedes(_ other: Key) -> Bool {
            arrival < other.arrival || (arrival == other.arrival && sequence < other.sequence)
        }
    }

    private var keys: [Key] = []
    private var slots: [GeneratedEvent?] = []
    private var freeSlots: [Int] = []
    private var nextSequence = 0

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }
    /// The earliest arrival waiting, if any.
    var earliestArrival: Int64? { keys.first?.arrival }

    mutating func push(_ event: GeneratedEvent, arrival: Int64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        let key = Key(arrival: arrival, sequence: nextSequence, slot: slot)
        nextSequence += 1
        keys.append(key)
        keys.withUnsafeMutableBufferPointer { heap in
            // Sift the new key up from its leaf.
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) >> 1
                guard key.precedes(heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = key
        }
    }

    /// Removes and returns the earliest event and its arrival time.
    mutating func pop() -> (arrival: Int64, event: GeneratedEvent)? {
        guard let first = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys.withUnsafeMutableBufferPointer { heap in
                // Sift the last key down from the root.
                var hole = 0
                let count = heap.count
                while true {
                    var child = 2 * hole + 1
                    if child >= count { break }
                    if child + 1 < count && heap[child + 1].precedes(heap[child]) { child += 1 }
                    guard heap[child].precedes(last) else { break }
                    heap[hole] = heap[child]
                    hole = child
                }
                heap[hole] = last
            }
        }
        let event = slots[first.slot].take()!
        freeSlots.append(first.slot)
        return (first.arrival, event)
    }
}
