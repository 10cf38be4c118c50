import Testing
@testable import TallyWorkload

/// A 100k-event stream shared by the shape tests (generated once, with arrival times).
enum WorkloadSample {
    static let options = WorkloadOptions(events: 100_000)
    static let stream = generate(options)

    static func generate(_ options: WorkloadOptions) -> [(arrival: Int64, event: GeneratedEvent)] {
        var iterator = WorkloadGenerator(options).makeIterator()
        var stream: [(arrival: Int64, event: GeneratedEvent)] = []
        while let next = iterator.nextWithArrival() { stream.append(next) }
        return stream
    }

    static func ndjson(_ options: WorkloadOptions) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in WorkloadGenerator(options) { event.appendNDJSON(to: &bytes) }
        return bytes
    }
}

@Suite struct WorkloadGeneratorTests {
    @Test func sameOptionsGiveTheSameEvents() {
        let options = WorkloadOptions(events: 20_000, days: 3, seed: 7)
        #expect(Array(WorkloadGenerator(options)) == Array(WorkloadGenerator(options)))
        #expect(WorkloadSample.ndjson(options) == WorkloadSample.ndjson(options))
    }

    @Test func differentSeedsGiveDifferentEvents() {
        let first = Array(WorkloadGenerator(WorkloadOptions(events: 5_000, seed: 1)))
        let second = Array(WorkloadGenerator(WorkloadOptions(events: 5_000, seed: 2)))
        #expect(first != second)
        #expect(first.prefix(100) != second.prefix(100))
    }

    /// The stream is a fixed function of the options on every platform: a change here means the
    /// model or its random draws changed (update the constants deliberately, not casually).
    @Test func streamMatchesGoldenChecksum() {
        let bytes = WorkloadSample.ndjson(WorkloadOptions(events: 10_000, days: 2))
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let firstLine = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        #expect(firstLine == Golden.firstLine)
        #expect(hash == Golden.checksum, "checksum \(String(hash, radix: 16))")
        #expect(bytes.count == Golden.byteCount)
    }

    private enum Golden {
        static let firstLine = #"{"ts":1790813677070,"metric":"pageview","unit":"u00000015","dims":{"country":"IN","device":"mobile","utm_source":"direct","template_id":"t0004"}}"#
        static let checksum: UInt64 = 0xD353_0351_A6B8_2D05
        static let byteCount = 1_521_830
    }

    @Test func arrivalTimesNeverDecrease() {
        let arrivals = WorkloadSample.stream.map(\.arrival)
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func timestampsLieInTheWindowPlusASessionTail() {
        let options = WorkloadSample.options
        let end = options.start + Int64(options.days) * 86_400_000
        for (arrival, event) in WorkloadSample.stream {
            #expect(event.timestamp >= options.start && event.timestamp < end + 3 * WorkloadModel.hourMs)
            #expect(arrival >= event.timestamp && arrival - event.timestamp < WorkloadModel.maxLatenessMs)
            if event.metric == WorkloadModel.exposureMetric { #expect(arrival == event.timestamp) }
        }
        let late = WorkloadSample.stream.filter { $0.event.timestamp >= end }.count
        #expect(late < WorkloadSample.stream.count / 1000, "only session tails pass the window's end")
    }

    @Test func everyExposureFollowsItsUnitsFirstPageview() {
        var firstPageview: [String: Int64] = [:]
        for (_, event) in WorkloadSample.stream where event.metric == WorkloadModel.pageviewMetric {
            firstPageview[event.unit] = min(firstPageview[event.unit] ?? .max, event.timestamp)
        }
        for (_, event) in WorkloadSample.stream where event.metric == WorkloadModel.exposureMetric {
            let pageview = firstPageview[event.unit]
            #expect(pageview != nil && pageview! < event.timestamp, "\(event.unit)")
        }
    }

    @Test func pendingEventsStayBounded() {
        // 1M events over 3 days: about 14k events an hour. Only events not yet due wait.
        var iterator = WorkloadGenerator(WorkloadOptions(events: 1_000_000, days: 3)).makeIterator()
        var largest = 0
        for _ in 0..<200_000 {
            _ = iterator.next()
            largest = max(largest, iterator.pending.count)
        }
        #expect(largest < 60_000, "\(largest) events pending")
    }

    @Test func unitsAreNumberedLikeTheScript() {
        #expect(WorkloadGenerator.Iterator.unitName(42) == "u00000042")
        #expect(WorkloadGenerator.Iterator.unitName(123_456_789) == "u123456789")
        let units = Set(WorkloadSample.stream.map(\.event.unit))
        #expect(units.contains("u00000001"))
        #expect(units.allSatisfy { $0.utf8.count == 9 && $0.hasPrefix("u") })
    }

    @Test func variantAssignmentIsAFunctionOfUnitAndExperiment() {
        var seen: [String: String] = [:]
        for (_, event) in WorkloadSample.stream where event.metric == WorkloadModel.exposureMetric {
            let key = "\(event.unit)/\(event.dimension("experiment")!)"
            #expect(seen[key] == nil, "a unit is exposed at most once per experiment")
            seen[key] = event.dimension("variant")
            let experiment = WorkloadModel.experiments.first { $0.name == event.dimension("experiment") }!
            let expected = VariantAssignment.variant(
                unit: event.unit, experiment: experiment.name, variantCount: experiment.variants.count)
            #expect(event.dimension("variant") == experiment.variants[expected])
        }
    }

    @Test func dimensionsFollowTheScriptsOrder() {
        let orders: [String: [String]] = [
            "pageview": ["country", "device", "utm_source", "template_id"],
            "exposure": ["experiment", "variant", "country", "device"],
            "error": ["error_type", "device"],
            "conversion": ["country", "device", "utm_source"],
            "purchase": ["country", "device"],
        ]
        for (_, event) in WorkloadSample.stream.prefix(20_000) {
            #expect(event.dimensions.map(\.key) == orders[event.metric], "\(event.metric)")
            #expect((event.value != nil) == (event.metric == WorkloadModel.purchaseMetric))
        }
    }

    @Test func deterministicMathAgreesWithLibm() {
        // Reference values from Python's math module (the platform libm), within a few ulps.
        func close(_ x: Double, _ reference: Double) -> Bool { abs(x - reference) <= 4 * reference.ulp }
        #expect(close(DeterministicMath.log(2), 0.6931471805599453))
        #expect(close(DeterministicMath.log(1e-300), -690.7755278982137))
        #expect(close(DeterministicMath.exp(3.645), 38.28277285155798))
        #expect(close(DeterministicMath.exp(-5.5), 0.004086771438464067))
        #expect(close(DeterministicMath.sin(1), 0.8414709848078965))
        #expect(close(DeterministicMath.sin(-2.3561944901923448), -0.7071067811865476))
        #expect(DeterministicMath.exp(0) == 1 && DeterministicMath.log(1) == 0)
    }
}
