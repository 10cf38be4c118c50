/// A deterministic stream of product-analytics events: the model of
/// `shared/workload/gen_events.py`, in arrival order.
///
/// Sessions (one unit each) start through `days` with a daily cycle; each views pages, may be
/// exposed to A/B experiments (assignment is a hash of unit and experiment), may convert at a
/// rate that depends on its variants, purchase, or hit an error. A fraction of non-exposure
/// events arrive late (up to two hours after their `ts`); exposures never do, so a unit's
/// exposure always arrives before the events it should be credited with.
///
/// Streaming: iterating holds only the events not yet due (about two hours of traffic), never
/// the whole stream. Same options, same events, on every platform. Byte-identity with the
/// Python script is not a goal (it uses another random generator and hash), equal shape is.
public struct WorkloadGenerator: Sequence, Sendable {
    public let options: WorkloadOptions

    public init(_ options: WorkloadOptions = WorkloadOptions()) {
        precondition(options.events >= 0 && options.days >= 0, "events and days must not be negative")
        precondition((0...1).contains(options.lateFraction), "lateFraction must be in [0, 1]")
        self.options = options
    }

    public func makeIterator() -> Iterator { Iterator(options) }

    public struct Iterator: IteratorProtocol {
        let options: WorkloadOptions
        let tables = SessionTables()
        var random: WorkloadRandom
        var pending = ArrivalHeap()
        /// Relative session-start weight of each hour (the daily cycle) and their sum.
        private let hourWeights: [Double]
        private let weightSum: Double
        private let sessionsTotal: Double
        private var carry = 0.0
        private var hour = 0
        var unitNumber = 0

        init(_ options: WorkloadOptions) {
            self.options = options
            random = WorkloadRandom(seed: options.seed)
            let twoPi = 2.0 * DeterministicMath.pi
            hourWeights = (0..<(options.days * 24)).map { h in
                1.0 + WorkloadModel.dailyCycleAmplitude * DeterministicMath.sin(Double(h % 24 - 9) / 24.0 * twoPi)
            }
            weightSum = hourWeights.reduce(0, +)
            sessionsTotal = Double(options.events) / WorkloadModel.eventsPerSession
        }

        public mutating func next() -> GeneratedEvent? { nextWithArrival()?.event }

        /// The next event and the time it arrives (its `ts`, or later for a late event).
        /// Arrival times never decrease along the stream.
        mutating func nextWithArrival() -> (arrival: Int64, event: GeneratedEvent)? {
            while hour < hourWeights.count {
                let hourStart = options.start + Int64(hour) * WorkloadModel.hourMs
                if let earliest = pending.earliestArrival, earliest < hourStart { return pending.pop() }
                // Everything due before this hour is out; the new sessions all arrive after it.
                carry += sessionsTotal * hourWeights[hour] / weightSum
                let sessions = Int(carry)
                carry -= Double(sessions)
                for _ in 0..<sessions { simulateSession(startingIn: hourStart) }
                hour += 1
            }
            return pending.pop()
        }
    }
}
