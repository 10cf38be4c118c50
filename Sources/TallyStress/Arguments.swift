import Foundation

/// `COMMAND [POSITIONAL…] [--flag value | --switch]…`, read by name; unknown flags are an error.
struct Arguments {
    let command: String
    private(set) var positional: [String] = []
    private var flags: [String: String] = [:]

    init(_ words: [String]) {
        command = words.first ?? ""
        var index = 1
        while index < words.count {
            let word = words[index]
            if word.hasPrefix("--") {
                let next = index + 1 < words.count && !words[index + 1].hasPrefix("--") ? words[index + 1] : nil
                flags[String(word.dropFirst(2))] = next ?? ""
                index += next == nil ? 1 : 2
            } else {
                positional.append(word)
                index += 1
            }
        }
    }

    mutating func string(_ name: String, default value: String) -> String { flags.removeValue(forKey: name) ?? value }

    mutating func int(_ name: String, default value: Int) throws -> Int {
        guard let text = flags.removeValue(forKey: name) else { return value }
        guard let number = Int(text) else { throw UsageError("--\(name) needs a number, not \"\(text)\"") }
        return number
    }

    mutating func isSet(_ name: String) -> Bool { flags.removeValue(forKey: name) != nil }

    func path(_ index: Int) throws -> String {
        guard index < positional.count else { throw UsageError("\(command): a path is missing") }
        return positional[index]
    }

    /// A fresh directory under the system's temporary directory unless `--dir` names one.
    mutating func directory() throws -> String {
        let path = string("dir", default: NSTemporaryDirectory() + "tally-stress-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard output with one `write(2)`, so lines from several threads never
/// interleave and a line printed before a SIGKILL is in the output.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(1, raw.baseAddress! + done, raw.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

func milliseconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }
