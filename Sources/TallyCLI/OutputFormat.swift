import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--format` of `tally query`: a table for people, JSON lines or CSV for programs.
enum RowFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
}

/// `--format` of `tally info` and `tally dump`.
enum DisplayFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json
}

/// A cell of CSV output: quoted when it holds a comma, a quote or a line break (RFC 4180).
func csvField(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 })
    else { return text }
    return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
}

/// Numbers for people: whole values without decimals, others with `decimals` decimals.
func formatNumber(_ value: Double, decimals: Int = 2) -> String {
    guard value.isFinite else { return String(value) }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    var buffer = [CChar](repeating: 0, count: 64)
    let length = withVaList([value]) { arguments in
        vsnprintf(&buffer, buffer.count, "%.\(decimals)f", arguments)
    }
    guard length > 0, Int(length) < buffer.count else { return String(value) }
    return String(decoding: buffer[..<Int(length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// An estimate of distinct units, shown as the nearest whole number.
func formatUnits(_ estimate: Double) -> String {
    estimate.isFinite ? String(Int64(estimate.rounded())) : String(estimate)
}

extension String {
    /// Every occurrence of `target` replaced, without Foundation.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
