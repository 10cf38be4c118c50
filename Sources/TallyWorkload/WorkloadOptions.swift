/// What to generate. The stream depends only on these values: same options, same events, on
/// every platform.
public struct WorkloadOptions: Sendable, Hashable {
    /// About this many events (sessions are planned from it; the exact count varies a little).
    public var events = 1_000_000
    /// Length of the window in which sessions start, in days.
    public var days = 30
    /// Epoch milliseconds of the first hour (default 2026-10-01T00:00Z).
    public var start: Int64 = 1_790_812_800_000
    public var seed: UInt64 = 1
    /// Fraction of non-exposure events that arrive late (up to two hours after their `ts`).
    public var lateFraction = 0.01

    public init(
        events: Int = 1_000_000, days: Int = 30, start: Int64 = 1_790_812_800_000, seed: UInt64 = 1,
        lateFraction: Double = 0.01
    ) {
        self.events = events
        self.days = days
        self.start = start
        self.seed = seed
        self.lateFraction = lateFraction
    }
}
