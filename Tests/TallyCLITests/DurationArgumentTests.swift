import Testing
@testable import TallyCLI

/// Spans such as `30d`, and the `AGE:BUCKET` rules built on them.
@Suite struct DurationArgumentTests {
    @Test func acceptsAWholeNumberAndAUnit() {
        #expect(DurationArgument.milliseconds(from: "90m") == Int64(90 * 60_000))
        #expect(DurationArgument.milliseconds(from: "12h") == Int64(12 * 3_600_000))
        #expect(DurationArgument.milliseconds(from: "30d") == Int64(30 * 86_400_000))
        #expect(DurationArgument.milliseconds(from: "2w") == Int64(14 * 86_400_000))
        #expect(DurationArgument.milliseconds(from: "0d") == 0)
        #expect(describeDuration(DurationArgument.milliseconds(from: "45d")!) == "45d")
    }

    @Test func rejectsEverythingElse() {
        for text in ["", "d", "30", "30s", "30D", "-1d", "1.5h", " 3d", "3 d", "99999999999999999w", "3d4h"] {
            #expect(DurationArgument.milliseconds(from: text) == nil, "\(text)")
        }
        #expect(throws: (any Error).self) { try DurationArgument.parse("0d") }
    }

    @Test func downsampleRulesNameAnAgeAndACoarserBucket() throws {
        let rule = try DownsampleArgument.parse("30d:day")
        #expect(rule.olderThan == 30 * 86_400_000 && rule.bucket == .day)
        #expect(try DownsampleArgument.parse("0m:hour").olderThan == 0)
        for text in ["30d", "30d:", ":day", "30d:minute", "30d:day:hour", "day:30d"] {
            #expect(throws: (any Error).self, "\(text)") { try DownsampleArgument.parse(text) }
        }
    }
}
