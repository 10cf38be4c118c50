import Testing
@testable import TallyCLI

/// The three accepted time forms, their rejections, and that printed times parse back.
@Suite struct TimeArgumentTests {
    @Test func acceptsEpochMillisecondsDatesAndInstants() {
        #expect(TimeArgument.milliseconds(from: "1790812800000") == 1_790_812_800_000)
        #expect(TimeArgument.milliseconds(from: "0") == 0)
        #expect(TimeArgument.milliseconds(from: "2026-10-01") == 1_790_812_800_000)
        let instant = TimeArgument.milliseconds(from: "2026-10-01T13:05:09Z")
        #expect(instant == Int64(1_790_859_909_000))
        #expect(TimeArgument.milliseconds(from: "1970-01-01") == 0)
        #expect(TimeArgument.milliseconds(from: "2024-02-29") == 1_709_164_800_000)
    }

    @Test func rejectsEverythingElse() {
        for text in ["", "-5", "2026-13-01", "2026-02-30", "2025-02-29", "2026-10-01T24:00:00Z", "2026-10-01T10:00:00",
                     "2026-10-01 10:00:00Z", "26-10-01", "yesterday", "2026-10-01T10:00Z", "1.5"] {
            #expect(TimeArgument.milliseconds(from: text) == nil, "\(text)")
        }
    }

    @Test func formattedTimesParseBack() {
        for milliseconds: Int64 in [0, 1_790_812_800_000, 1_709_164_800_000 + 86_399_000, 253_402_300_799_000] {
            #expect(TimeArgument.milliseconds(from: TimeArgument.format(milliseconds)) == milliseconds)
        }
        #expect(TimeArgument.format(1_790_812_800_123) == "2026-10-01T00:00:00.123Z")
    }
}
