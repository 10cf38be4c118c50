import Foundation
import Tally

/// A stand-in NDJSON reader for `tally-bench import`, used by peers/compare.py until
/// `Tally.importNDJSON(fromPath:options:)` is merged into this branch. It reads the format of
/// `shared/workload/gen_events.py` — one object per line with `ts`, `metric`, optional `unit`,
/// `dims` (an object of strings) and optional `value` — and rejects anything else with the
/// line number. Not the product's parser: its speed is not Tally's import speed.
public struct NDJSONReader {
    public struct Failure: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Calls `body` with batches of up to `batchSize` events, in file order.
    public static func read(path: String, batchSize: Int, _ body: ([Event]) throws -> Void) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var batch: [Event] = []
            batch.reserveCapacity(batchSize)
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                if end > start {
                    var parser = LineParser(bytes: bytes, position: start, end: end)
                    do {
                        if let event = try parser.event() { batch.append(event) }
                    } catch {
                        throw Failure(line: lineNumber, reason: (error as? ParseError)?.reason ?? "\(error)")
                    }
                    if batch.count == batchSize {
                        try body(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                start = end + 1
            }
            if !batch.isEmpty { try body(batch) }
        }
    }
}

private struct ParseError: Error, ExpressibleByStringInterpolation {
    var reason: String
    init(stringLiteral value: String) { reason = value }
    init(stringInterpolation: DefaultStringInterpolation) { reason = String(stringInterpolation: stringInterpolation) }
}

private struct LineParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    mutating func skipSpace() {
        while position < end, [0x20, 0x09, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ byte: UInt8) throws(ParseError) {
        skipSpace()
        guard position < end, bytes[position] == byte else {
            throw "expected '\(Character(UnicodeScalar(byte)))' at column \(position)"
        }
        position += 1
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return position < end ? bytes[position] : nil
    }

    /// `nil` for a blank line.
    mutating func event() throws(ParseError) -> Event? {
        guard peek() != nil else { return nil }
        try expect(UInt8(ascii: "{"))
        var timestamp: Int64?
        var metric: String?
        var unit: String?
        var value: Double?
        var dimensions: [String: String] = [:]
        if peek() == UInt8(ascii: "}") { throw "empty object" }
        repeat {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            switch key {
            case "ts": timestamp = try integer()
            case "metric": metric = try string()
            case "unit": unit = try nullableString()
            case "value": value = try nullableNumber()
            case "dims":
                try expect(UInt8(ascii: "{"))
                if peek() == UInt8(ascii: "}") {
                    position += 1
                } else {
                    repeat {
                        let name = try string()
                        try expect(UInt8(ascii: ":"))
                        dimensions[name] = try string()
                    } while try commaOr(UInt8(ascii: "}"))
                }
            default: throw "unknown field \"\(key)\""
            }
        } while try commaOr(UInt8(ascii: "}"))
        guard let timestamp else { throw "missing ts" }
        guard let metric else { throw "missing metric" }
        return Event(timestamp: timestamp, metric: metric, dimensions: dimensions, value: value, unit: unit)
    }

    /// True after a comma, false after `close`.
    mutating func commaOr(_ close: UInt8) throws(ParseError) -> Bool {
        switch peek() {
        case UInt8(ascii: ","): position += 1; return true
        case close: position += 1; return false
        default: throw "expected ',' or '\(Character(UnicodeScalar(close)))' at column \(position)"
        }
    }

    mutating func string() throws(ParseError) -> String {
        try expect(UInt8(ascii: "\""))
        let first = position
        var escaped = false
        while position < end, bytes[position] != UInt8(ascii: "\"") {
            if bytes[position] == UInt8(ascii: "\\") { escaped = true; position += 1 }
            position += 1
        }
        guard position < end else { throw "unterminated string" }
        let slice = UnsafeBufferPointer(rebasing: bytes[first..<position])
        position += 1
        if !escaped { return String(decoding: slice, as: UTF8.self) }
        // Rare: let Foundation decode the escapes.
        let quoted = [UInt8(ascii: "\"")] + Array(slice) + [UInt8(ascii: "\"")]
        guard let decoded = try? JSONDecoder().decode(String.self, from: Data(quoted)) else { throw "bad string escape" }
        return decoded
    }

    mutating func nullableString() throws(ParseError) -> String? {
        if try literalNull() { return nil }
        return try string()
    }

    mutating func literalNull() throws(ParseError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        guard end - position >= 4, bytes[position + 1] == UInt8(ascii: "u") else { throw "bad literal" }
        position += 4
        return true
    }

    mutating func integer() throws(ParseError) -> Int64 {
        skipSpace()
        var negative = false
        if position < end, bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        var result: Int64 = 0
        let first = position
        while position < end, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            let (m, o1) = result.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[position] - 0x30))
            if o1 || o2 { throw "integer out of range" }
            result = a
            position += 1
        }
        if position == first { throw "expected an integer at column \(position)" }
        return negative ? -result : result
    }

    mutating func nullableNumber() throws(ParseError) -> Double? {
        if try literalNull() { return nil }
        skipSpace()
        let first = position
        while position < end, let c = Optional(bytes[position]),
              (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            position += 1
        }
        guard position > first,
              let number = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<position]), as: UTF8.self))
        else { throw "expected a number at column \(first)" }
        return number
    }
}
