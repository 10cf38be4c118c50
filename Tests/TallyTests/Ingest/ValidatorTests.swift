import Testing
@testable import Tally

/// The validator's fast pass answers exactly whether the full check finds a problem.
@Suite struct ValidatorTests {
    /// One way to break an event, applied to event `index` of a valid batch.
    static let breakages: [(String, @Sendable (inout Event) -> Void)] = [
        ("timestamp below 0", { $0.timestamp = -1 }),
        ("timestamp past year 9999", { $0.timestamp = Limits.timestampRange.upperBound }),
        ("metric with a space", { $0.metric = "page view" }),
        ("empty metric", { $0.metric = "" }),
        ("NaN value", { $0.value = .nan }),
        ("infinite value", { $0.value = -.infinity }),
        ("empty unit", { $0.unit = "" }),
        ("unit with a control character", { $0.unit = "u\u{7F}1" }),
        ("unit too long", { $0.unit = String(repeating: "u", count: Limits.maxUnitBytes + 1) }),
        ("key with a slash", { $0.dimensions["a/b"] = "x" }),
        ("value with a newline", { $0.dimensions["country"] = "U\nS" }),
        ("value too long", { $0.dimensions["country"] = String(repeating: "é", count: Limits.maxDimensionValueBytes) }),
        ("too many dimensions", { event in
            for k in 0...Limits.maxDimensionsPerEvent { event.dimensions["k\(k)"] = "v" }
        }),
    ]

    @Test func theFastPassAgreesWithTheFullCheck() {
        var random = RandomEvents(seed: 41)
        let valid = random.events(count: 300)
        let batch = EventBatchBuilder.build(valid)
        #expect(Validator.isValid(batch) && Validator.problems(in: batch, limits: Limits()).isEmpty)
        for (name, breakEvent) in Self.breakages {
            for index in [0, 137, 299] {
                var events = valid
                breakEvent(&events[index])
                let broken = EventBatchBuilder.build(events)
                let problems = Validator.problems(in: broken, limits: Limits())
                #expect(!Validator.isValid(broken), "\(name) at \(index)")
                #expect(problems.map(\.index) == [index], "\(name) at \(index): \(problems)")
            }
        }
    }

    /// Keys repeat within an event only in a batch that did not come from a dictionary: one
    /// rebuilt from a damaged log record, say.
    @Test func aKeyTwiceInOneEventIsAProblem() {
        var builder = EventBatchBuilder()
        let (metric, key, one, two) = (builder.intern("pageview"), builder.intern("country"), builder.intern("US"), builder.intern("DE"))
        builder.append(timestamp: 1, metric: metric, unit: nil, value: nil, dimensions: [(key, one)])
        builder.append(timestamp: 2, metric: metric, unit: nil, value: nil, dimensions: [(key, one), (key, two)])
        #expect(!Validator.isValid(builder.batch))
        #expect(Validator.problems(in: builder.batch, limits: Limits()).map(\.index) == [1])
    }
}
