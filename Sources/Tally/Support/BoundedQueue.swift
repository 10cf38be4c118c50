/// A first-in, first-out hand-over between one producer thread and one consumer thread, holding
/// at most `capacity` items: the producer waits while it is full, the consumer while it is empty.
///
/// The producer ``close()``s it when it has nothing more (the consumer then drains what is
/// queued); the consumer ``cancel()``s it when it gives up (what was queued is dropped, and the
/// producer's next ``put(_:)`` returns false).
final class BoundedQueue<Item>: @unchecked Sendable {
    private let lock = Lock()
    private let changed = Condition()
    /// At most `capacity` items: removing the first is cheap, and a taken item is not kept.
    private var items: [Item] = []
    private var isClosed = false
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Appends `item`, waiting for room. Returns false, dropping `item`, once the queue is closed.
    func put(_ item: Item) -> Bool {
        lock.withLock {
            while !isClosed && items.count >= capacity { changed.wait(lock) }
            guard !isClosed else { return false }
            items.append(item)
            changed.broadcast()
            return true
        }
    }

    /// The oldest item, waiting for one; nil once the queue is closed and drained.
    func take() -> Item? {
        lock.withLock {
            while items.isEmpty && !isClosed { changed.wait(lock) }
            guard !items.isEmpty else { return nil }
            changed.broadcast()
            return items.removeFirst()
        }
    }

    /// No more puts: waiting puts return false, takes return what is queued, then nil.
    func close() {
        lock.withLock {
            isClosed = true
            changed.broadcast()
        }
    }

    /// Closes the queue and drops what it holds (the consumer giving up).
    func cancel() {
        lock.withLock {
            isClosed = true
            items.removeAll()
            changed.broadcast()
        }
    }
}
