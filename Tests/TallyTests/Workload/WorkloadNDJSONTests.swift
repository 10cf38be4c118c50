import Testing
@testable import TallyWorkload

/// `appendNDJSON` / `ndjsonLine` write the reference script's line format.
@Suite struct WorkloadNDJSONTests {
    static let pageview = GeneratedEvent(
        timestamp: 1_790_812_801_234, metric: "pageview", unit: "u00000042",
        dimensions: [("country", "US"), ("device", "mobile"), ("utm_source", "google"), ("template_id", "t0001")])

    @Test func lineHasTheScriptsKeyOrder() {
        #expect(Self.pageview.ndjsonLine() == #"{"ts":1790812801234,"metric":"pageview","unit":"u00000042","dims":{"country":"US","device":"mobile","utm_source":"google","template_id":"t0001"}}"#)
        let purchase = GeneratedEvent(
            timestamp: 5, metric: "purchase", unit: "u00000001", dimensions: [("country", "DE"), ("device", "tablet")],
            value: 37.5)
        #expect(purchase.ndjsonLine() == #"{"ts":5,"metric":"purchase","unit":"u00000001","dims":{"country":"DE","device":"tablet"},"value":37.5}"#)
        let bare = GeneratedEvent(timestamp: -12, metric: "m", unit: "u", dimensions: [])
        #expect(bare.ndjsonLine() == #"{"ts":-12,"metric":"m","unit":"u","dims":{}}"#)
    }

    @Test func appendAddsTheLineAndANewline() {
        var bytes = Array("x".utf8)
        Self.pageview.appendNDJSON(to: &bytes)
        Self.pageview.appendNDJSON(to: &bytes)
        let line = Self.pageview.ndjsonLine()
        #expect(String(decoding: bytes, as: UTF8.self) == "x" + line + "\n" + line + "\n")
    }

    /// Python's `repr(round(x, 2))`, e.g. `37.5`, `12.34`, `105.0`.
    @Test(arguments: [
        (37.5, "37.5"), (12.34, "12.34"), (105.0, "105.0"), (0.01, "0.01"), (0.1, "0.1"), (0.5, "0.5"),
        (1.05, "1.05"), (10.1, "10.1"), (99.99, "99.99"), (1234567.89, "1234567.89"), (-0.5, "-0.5"),
        (-12.07, "-12.07"), (0.0, "0.0"), (-0.0, "-0.0"), (29.96, "29.96"), (1e12, "1000000000000.0"),
        // Not multiples of 0.01: Swift's shortest round-trip form, which is also Python's repr.
        (0.1 + 0.2, "0.30000000000000004"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-05, "1e-05"),
        (0.001, "0.001"), (123.456, "123.456"),
    ])
    func valuesAreFormattedLikePythonRepr(value: Double, expected: String) {
        var event = Self.pageview
        event.value = value
        #expect(event.ndjsonLine().hasSuffix(#"},"value":\#(expected)}"#), "\(value)")
    }

    @Test func everyTwoDecimalAmountIsExact() {
        // Each cents amount formats back to itself (the generator's values: round(x, 2)).
        for cents in Swift.stride(from: 1, through: 2_000_000, by: 7) {
            let value = Double(cents) / 100
            var writer = [UInt8](repeating: 0, count: 64)
            let count = writer.withUnsafeMutableBufferPointer { buffer in
                var line = LineWriter(buffer.baseAddress!)
                line.writeValue(value)
                return line.count
            }
            let text = String(decoding: writer.prefix(count), as: UTF8.self)
            #expect(Double(text) == value)
            let whole = cents / 100, fraction = cents % 100
            let expected = fraction == 0 ? "\(whole).0" : fraction % 10 == 0 ? "\(whole).\(fraction / 10)"
                : "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
            if text != expected { Issue.record("\(cents) cents: \(text)") }
        }
    }

    @Test func nonFiniteValuesBecomeNull() {
        var event = Self.pageview
        event.value = .infinity
        #expect(event.ndjsonLine().hasSuffix(#","value":null}"#))
    }

    @Test func stringsAreEscaped() {
        let event = GeneratedEvent(
            timestamp: 1, metric: "a\"b", unit: "back\\slash", dimensions: [("tab\t", "nl\n\u{1}"), ("é", "😀")])
        #expect(event.ndjsonLine() == #"{"ts":1,"metric":"a\"b","unit":"back\\slash","dims":{"tab\u0009":"nl\u000a\u0001","é":"😀"}}"#)
    }

    @Test func longStringsFit() {
        let long = String(repeating: "\"", count: 5_000)
        let event = GeneratedEvent(timestamp: 1, metric: long, unit: "u", dimensions: [(long, long)])
        #expect(event.ndjsonLine().utf8.count == 3 * (2 * 5_000 + 2) + 40)
    }

    @Test func generatedLinesHaveTheScriptsShape() {
        for event in Array(WorkloadGenerator(WorkloadOptions(events: 3_000, days: 1))) {
            let line = event.ndjsonLine()
            #expect(line.hasPrefix(#"{"ts":\#(event.timestamp),"metric":"\#(event.metric)","unit":"\#(event.unit)","dims":{"#))
            let dims = event.dimensions.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
            #expect(line.contains(#""dims":{\#(dims)}"#))
            #expect(line.hasSuffix(event.value == nil ? "}}" : "}"))
        }
    }
}
