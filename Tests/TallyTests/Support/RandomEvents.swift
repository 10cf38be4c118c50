@testable import Tally
import TallyTesting

/// Small deterministic random streams for engine tests (the realistic workload comes from
/// `TallyWorkload`).
struct RandomEvents {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 | 1) }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// `count` events over `days` days from `start`, three metrics, a few dimensions, some
    /// values and units; some events lack some dimensions.
    mutating func events(count: Int, start: Int64 = 1_790_812_800_000, days: Int = 3) -> [Event] {
        let metrics = ["pageview", "purchase", "error"]
        let countries = ["US", "DE", "IN", "BR", "JP"]
        let devices = ["mobile", "desktop", "tablet"]
        return (0..<count).map { _ in
            let metric = metrics[below(metrics.count)]
            var dimensions = ["country": countries[below(countries.count)]]
            if below(4) != 0 { dimensions["device"] = devices[below(devices.count)] }
            let value: Double? = metric == "purchase" ? Double(below(10_000)) / 100 : nil
            let unit: String? = below(10) == 0 ? nil : "u\(below(500))"
            let timestamp = start + Int64(below(days * 86_400_000))
            return Event(timestamp: timestamp, metric: metric, dimensions: dimensions, value: value, unit: unit)
        }
    }
}
