import ArgumentParser

/// Spans of time on the command line: a whole number and a unit, `90m`, `12h`, `30d` or `2w`
/// (minutes, hours, days, weeks). Printed back by `describeDuration`.
enum DurationArgument {
    static let help = "a whole number and m, h, d or w, e.g. 30d"

    /// A positive span in milliseconds, or a `ValidationError` that shows the accepted form.
    @Sendable
    static func parse(_ text: String) throws -> Int64 {
        guard let milliseconds = milliseconds(from: text), milliseconds > 0 else {
            throw ValidationError("'\(text)' is not a duration: use \(help)")
        }
        return milliseconds
    }

    /// The span in milliseconds (zero allowed), or `nil` when `text` is not `<digits><unit>` or
    /// overflows.
    static func milliseconds(from text: String) -> Int64? {
        guard let unit = text.last, let width = unitWidths[unit] else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.count <= 15, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let count = Int64(digits)
        else { return nil }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: width)
        return overflow ? nil : milliseconds
    }

    private static let unitWidths: [Character: Int64] = [
        "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
    ]
}
