#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A mutual-exclusion lock backed by `pthread_mutex_t`.
///
/// The engine uses this one lock type everywhere (not `Synchronization.Mutex`): ThreadSanitizer
/// understands pthread mutexes, so `swift test --sanitize=thread` can be held at zero reports.
final class Lock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always)
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A value guarded by its own ``Lock``. Access only through ``withLock(_:)``.
final class Locked<Value>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    @inline(__always)
    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A condition variable used with a ``Lock``.
final class Condition: @unchecked Sendable {
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        precondition(pthread_cond_init(cond, nil) == 0)
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
    }

    /// Atomically releases `lock`, waits for a signal, and reacquires `lock`. The caller holds `lock`.
    func wait(_ lock: Lock) { pthread_cond_wait(cond, lock.mutex) }

    /// Like ``wait(_:)`` but returns after at most `seconds`.
    func wait(_ lock: Lock, seconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanos = Int(now.tv_nsec) + Int(seconds * 1e9)
        var deadline = timespec(tv_sec: now.tv_sec + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
        pthread_cond_timedwait(cond, lock.mutex, &deadline)
    }

    func broadcast() { pthread_cond_broadcast(cond) }
}

/// A value computed on a global-queue thread while the caller goes on; ``wait()`` returns it.
/// The work runs to its end even if nobody waits.
final class Deferred<Value: Sendable>: Sendable {
    private let result = Locked<Value?>(nil)
    private let done = DispatchGroup()

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async(group: done) { [result] in
            let value = work()
            result.withLock { $0 = value }
        }
    }

    func wait() -> Value {
        done.wait()
        return result.withLock { $0! }
    }
}
