/// A line that is not a valid event: where (1-based byte column) and why.
struct NDJSONParseError: Error, Equatable, Sendable {
    var column: Int
    var reason: String
}

/// A JSON lexer over the bytes of one line, for ``NDJSONEventParser``.
///
/// `position` is a 0-based byte offset; errors report it as a 1-based column. Every scan
/// validates what it passes over (grammar, escapes, UTF-8), so a token it returns can be
/// converted without failing.
struct NDJSONScanner {
    /// Containers nested deeper than this (counting the event object as 1) are rejected.
    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    let count: Int
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        count = bytes.count
    }

    var isAtEnd: Bool { position >= count }

    /// The byte at `position`, or 0 at the end (0 is never valid JSON outside a string).
    @inline(__always)
    func peek() -> UInt8 { position < count ? bytes[position] : 0 }

    func error(at position: Int, _ reason: String) -> NDJSONParseError {
        NDJSONParseError(column: position + 1, reason: reason)
    }

    /// The end-of-line error if at the end, else `reason` at the current byte.
    func unexpected(_ reason: String) -> NDJSONParseError {
        isAtEnd ? error(at: position, "unexpected end of line") : error(at: position, reason)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) or throws `expected "<byte>"`.
    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(NDJSONParseError) {
        skipWhitespace()
        guard peek() == byte else {
            throw unexpected("expected \"\(Character(Unicode.Scalar(byte)))\"")
        }
        position += 1
    }

    /// After a member of an object or array: consumes `,` (returning true) or `closing`
    /// (returning false).
    @inline(__always)
    mutating func separatorOrEnd(_ closing: UInt8) throws(NDJSONParseError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            position += 1
            return true
        case closing:
            position += 1
            return false
        default:
            throw unexpected("expected \",\" or \"\(Character(Unicode.Scalar(closing)))\"")
        }
    }

    /// Consumes `null` if it is next (after whitespace).
    mutating func skipNull() throws(NDJSONParseError) -> Bool {
        skipWhitespace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try skipLiteral("null")
        return true
    }

    mutating func skipLiteral(_ literal: StaticString) throws(NDJSONParseError) {
        let start = position
        let length = literal.utf8CodeUnitCount
        guard matches(literal, at: position, length: min(length, count - position)) else {
            throw error(at: start, "invalid literal")
        }
        position += length
    }

    /// Whether the `length` bytes at `index` are exactly `text`.
    @inline(__always)
    func matches(_ text: StaticString, at index: Int, length: Int) -> Bool {
        guard length == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for offset in 0..<length where bytes[index + offset] != expected[offset] { return false }
        return true
    }

    /// Whether a number starts at `position`.
    var atNumber: Bool {
        let byte = peek()
        return byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private func checkDepth(_ depth: Int) throws(NDJSONParseError) {
        guard depth <= NDJSONScanner.maxDepth else {
            throw error(at: position, "nesting deeper than \(NDJSONScanner.maxDepth)")
        }
    }

    /// Skips any JSON value whose containers start at nesting level `depth`.
    mutating func skipValue(depth: Int) throws(NDJSONParseError) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "["):
            try checkDepth(depth)
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return
            }
            repeat { try skipValue(depth: depth + 1) } while try separatorOrEnd(UInt8(ascii: "]"))
        case UInt8(ascii: "{"):
            try checkDepth(depth)
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                position += 1
                return
            }
            repeat {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpected("expected a string key") }
                _ = try scanString()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try separatorOrEnd(UInt8(ascii: "}"))
        default:
            throw unexpected("expected a JSON value")
        }
    }
}
