import Foundation

/// One generated event, in the shape of `TallyWorkload.GeneratedEvent`.
public struct BenchEvent: Sendable {
    public var timestamp: Int64
    public var metric: String
    public var unit: String
    public var dimensions: [(key: String, value: String)]
    public var value: Double?
}

/// A stand-in for the project's generator (`TallyWorkload`) until it lands in this branch: the
/// traffic model of `shared/workload/gen_events.py` (sessions with a daily cycle, Zipf-distributed
/// countries, sources and templates, five A/B experiments, conversions, purchases, errors, 1% of
/// non-exposure events arriving up to two hours late), deterministic for a seed. It gives the
/// same shape of stream as the Python script, not the same bytes.
public struct LocalEventSource {
    public var events: Int
    public var days: Int
    public var start: Int64
    public var seed: UInt64
    public var late: Double

    public init(events: Int, seed: UInt64, days: Int = 30, start: Int64 = 1_790_812_800_000, late: Double = 0.01) {
        self.events = events
        self.seed = seed
        self.days = days
        self.start = start
        self.late = late
    }

    static let experiments: [(name: String, variants: [String], effects: [Double])] = [
        ("checkout_button", ["control", "green"], [0.0, 0.008]),
        ("pricing_page", ["control", "annual_first", "monthly_first"], [0.0, -0.005, 0.002]),
        ("onboarding_v2", ["control", "treatment"], [0.0, 0.0]),
        ("search_ranker", ["control", "bm25", "neural", "hybrid"], [0.0, 0.001, 0.004, 0.003]),
        ("email_capture", ["control", "modal"], [0.0, -0.003]),
    ]
    static let countries = [
        "US", "IN", "BR", "DE", "GB", "FR", "JP", "CA", "MX", "ID", "ES", "IT", "NG", "PH", "TR",
        "PL", "NL", "AU", "KR", "VN", "AR", "CO", "EG", "ZA", "SE", "CH", "BE", "AT", "PT", "CZ",
        "RO", "GR", "HU", "IL", "IE", "DK", "FI", "NO", "NZ", "SG", "MY", "TH", "PK", "BD", "CL",
        "PE", "UA", "KE", "MA", "SA",
    ]
    static let devices = ["mobile", "desktop", "tablet"]
    static let deviceCDF = [0.60, 0.95, 1.0]
    static let sources = [
        "direct", "google", "facebook", "newsletter", "twitter", "bing", "reddit", "linkedin",
        "youtube", "tiktok", "instagram", "partner_a", "partner_b", "affiliate", "podcast",
        "hackernews", "producthunt", "duckduckgo", "yahoo", "baidu",
    ]
    static let errors = ["timeout", "http_500", "validation", "payment_declined", "rate_limited"]
    static let templates = (0..<1000).map { "t" + String(repeating: "0", count: 4 - String($0).count) + String($0) }
    static let hourMilliseconds: Int64 = 3_600_000

    static func zipf(_ n: Int, _ s: Double) -> [Double] {
        let weights = (0..<n).map { 1.0 / pow(Double($0 + 1), s) }
        let total = weights.reduce(0, +)
        var acc = 0.0
        return weights.map { acc += $0 / total; return acc }
    }

    /// Calls `body` with every event in arrival order.
    public func forEach(_ body: (BenchEvent) throws -> Void) rethrows {
        var rng = Xoshiro(seed: seed)
        let countryCDF = Self.zipf(Self.countries.count, 1.1)
        let sourceCDF = Self.zipf(Self.sources.count, 0.9)
        let templateCDF = Self.zipf(1000, 1.05)
        let hours = days * 24
        let weights = (0..<hours).map { 1.0 + 0.6 * sin(Double($0 % 24 - 9) / 24 * 2 * .pi) }
        let weightSum = weights.reduce(0, +)
        let sessionsTotal = Double(events) / 4.09
        var heap = ArrivalHeap()
        var unitNumber = 0
        var carry = 0.0
        let lateFraction = late

        for h in 0..<hours {
            let hourStart = start + Int64(h) * Self.hourMilliseconds
            while let first = heap.peekArrival, first < hourStart { try body(heap.pop()) }
            carry += sessionsTotal * weights[h] / weightSum
            let n = Int(carry)
            carry -= Double(n)
            for _ in 0..<n {
                unitNumber += 1
                let unit = "u" + Self.padded(unitNumber, 8)
                var t = hourStart + rng.range(Self.hourMilliseconds)
                let country = Self.countries[rng.pick(countryCDF)]
                let device = Self.devices[rng.pick(Self.deviceCDF)]
                let source = Self.sources[rng.pick(sourceCDF)]
                func lateArrival(_ ts: Int64) -> Int64 {
                    rng.next() < lateFraction ? ts + rng.range(2 * Self.hourMilliseconds) : ts
                }
                let pages = 1 + min(Int(rng.exponential(mean: 2.2)), 40)
                heap.push(lateArrival(t), BenchEvent(
                    timestamp: t, metric: "pageview", unit: unit,
                    dimensions: [("country", country), ("device", device), ("utm_source", source),
                                 ("template_id", Self.templates[rng.pick(templateCDF)])]))
                var lift = 0.0
                let exposureTime = t + 500 + rng.range(5000)
                for experiment in Self.experiments where rng.next() < 0.25 {
                    let v = Self.assign(unit, experiment.name, experiment.variants.count)
                    lift += experiment.effects[v]
                    heap.push(exposureTime, BenchEvent(
                        timestamp: exposureTime, metric: "exposure", unit: unit,
                        dimensions: [("experiment", experiment.name), ("variant", experiment.variants[v]),
                                     ("country", country), ("device", device)]))
                }
                t = exposureTime
                for _ in 0..<(pages - 1) {
                    t += 1000 + Int64(rng.exponential(mean: 40000))
                    heap.push(lateArrival(t), BenchEvent(
                        timestamp: t, metric: "pageview", unit: unit,
                        dimensions: [("country", country), ("device", device), ("utm_source", source),
                                     ("template_id", Self.templates[rng.pick(templateCDF)])]))
                }
                if rng.next() < 0.02 {
                    t += 200 + rng.range(3000)
                    let error = Self.errors[Int(rng.range(Int64(Self.errors.count)))]
                    heap.push(lateArrival(t), BenchEvent(
                        timestamp: t, metric: "error", unit: unit,
                        dimensions: [("error_type", error), ("device", device)]))
                }
                if rng.next() < 0.05 + lift {
                    t += 2000 + rng.range(60000)
                    heap.push(lateArrival(t), BenchEvent(
                        timestamp: t, metric: "conversion", unit: unit,
                        dimensions: [("country", country), ("device", device), ("utm_source", source)]))
                    if rng.next() < 0.6 {
                        t += 1000 + rng.range(30000)
                        let value = (exp(rng.gaussian(mean: 3.4, deviation: 0.7)) * 100).rounded() / 100
                        heap.push(lateArrival(t), BenchEvent(
                            timestamp: t, metric: "purchase", unit: unit,
                            dimensions: [("country", country), ("device", device)], value: value))
                    }
                }
            }
        }
        while !heap.isEmpty { try body(heap.pop()) }
    }

    /// Every event, in arrival order.
    public func all() -> [BenchEvent] {
        var result: [BenchEvent] = []
        result.reserveCapacity(events + events / 20)
        forEach { result.append($0) }
        return result
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Deterministic variant assignment: FNV-1a of "unit/experiment".
    static func assign(_ unit: String, _ experiment: String, _ k: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (unit + "/" + experiment).utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(k))
    }
}

/// xoshiro256** seeded through SplitMix64.
struct Xoshiro {
    var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9e37_79b9_7f4a_7c15
            var z = x
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func nextBits() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    mutating func next() -> Double { Double(nextBits() >> 11) * 0x1.0p-53 }

    /// Uniform in [0, n).
    mutating func range(_ n: Int64) -> Int64 { Int64(nextBits() % UInt64(n)) }

    mutating func exponential(mean: Double) -> Double { -log(1 - next()) * mean }

    mutating func gaussian(mean: Double, deviation: Double) -> Double {
        let u1 = max(next(), 1e-300)
        let u2 = next()
        return mean + deviation * sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
    }

    mutating func pick(_ cdf: [Double]) -> Int {
        let r = next()
        var lo = 0
        var hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < r { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// A binary min-heap of events by (arrival, sequence).
struct ArrivalHeap {
    private var items: [(arrival: Int64, sequence: Int, event: BenchEvent)] = []
    private var sequence = 0

    var isEmpty: Bool { items.isEmpty }
    var peekArrival: Int64? { items.first?.arrival }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (items[a].arrival, items[a].sequence) < (items[b].arrival, items[b].sequence)
    }

    mutating func push(_ arrival: Int64, _ event: BenchEvent) {
        sequence += 1
        items.append((arrival, sequence, event))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> BenchEvent {
        let top = items[0].event
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var smallest = i
                if l < items.count && less(l, smallest) { smallest = l }
                if r < items.count && less(r, smallest) { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
