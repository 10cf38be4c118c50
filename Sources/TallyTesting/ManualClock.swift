import Tally

/// A ``WallClock`` that moves only when the test moves it. Thread-safe: any thread may read or
/// set it; every reader sees the latest value set.
public final class ManualClock: WallClock, Sendable {
    private let now: Guarded<Int64>

    public init(nowMilliseconds: Int64) {
        now = Guarded(nowMilliseconds)
    }

    public func nowMilliseconds() -> Int64 {
        now.withLock { $0 }
    }

    /// Moves the clock by `delta` milliseconds (negative moves it back, as a real clock may).
    public func advance(byMilliseconds delta: Int64) {
        now.withLock { $0 += delta }
    }

    /// Sets the clock to `milliseconds` since the Unix epoch.
    public func set(_ milliseconds: Int64) {
        now.withLock { $0 = milliseconds }
    }
}
