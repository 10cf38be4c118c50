/// A scanned string: its content bytes (between the quotes) and whether they hold escapes.
struct StringToken {
    var start: Int
    var end: Int
    var hasEscapes: Bool
}

extension NDJSONScanner {
    /// Scans the string at `position` (an opening quote) to just past its closing quote,
    /// validating escapes (surrogates must pair), rejecting control characters and invalid
    /// UTF-8 (overlong forms, encoded surrogates, bytes above F4).
    mutating func scanString() throws(NDJSONParseError) -> StringToken {
        let opening = position
        position += 1
        let start = position
        var hasEscapes = false
        while true {
            skipPlainBytes()
            guard position < count else { throw error(at: opening, "unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\\") {
                position += 1
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw error(at: position, "control character in string")
            } else {
                try scanMultibyteCharacter()
            }
        }
        defer { position += 1 }
        return StringToken(start: start, end: position, hasEscapes: hasEscapes)
    }

    /// Skips bytes 8 at a time up to the first that is a quote, a backslash, a control
    /// character or non-ASCII (SWAR: each test sets the high bit of the bytes where it holds;
    /// the lowest flag is exact, borrows only create flags above it).
    @inline(__always)
    private mutating func skipPlainBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while count - position >= 8 {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                | (word &- ones &* 0x20) | word
            let flags = special & highBits
            if flags != 0 {
                position += flags.trailingZeroBitCount >> 3
                return
            }
            position += 8
        }
    }

    /// The string's value. Without escapes its bytes are decoded in place.
    func decode(_ token: StringToken) -> String {
        let content = UnsafeRawBufferPointer(rebasing: bytes[token.start..<token.end])
        guard token.hasEscapes else {
            return NDJSONCommonNames.lookup(self, start: token.start, length: content.count)
                ?? String(decoding: content, as: UTF8.self)
        }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(content.count)
        var index = 0
        while index < content.count {
            let byte = content[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            let kind = content[index + 1]
            index += 2
            switch kind {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(NDJSONScanner.hexValue(content, at: index)!)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {  // validated: a low surrogate follows
                    let low = UInt32(NDJSONScanner.hexValue(content, at: index + 2)!)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                utf8.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default: utf8.append(kind)  // \" \\ \/
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Up to 8 bytes at `start` packed little-endian into a word (the rest zero): a fast way
    /// to compare short names with constants.
    @inline(__always)
    func packedWord(at start: Int, count length: Int) -> UInt64 {
        let length = min(length, 8)
        if count - start >= 8 {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            return length == 8 ? word : word & ((1 << UInt64(length * 8)) - 1)
        }
        var word: UInt64 = 0
        var index = start + length
        while index > start {
            index -= 1
            word = word << 8 | UInt64(bytes[index])
        }
        return word
    }

    /// Validates the escape at `position` (a backslash) and moves past it.
    private mutating func scanEscape() throws(NDJSONParseError) {
        let escape = position
        guard position + 1 < count else { throw error(at: escape, "unterminated string") }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            guard let unit = NDJSONScanner.hexValue(bytes, at: position + 2) else {
                throw error(at: escape, "invalid \\u escape")
            }
            position += 6
            if (0xDC00...0xDFFF).contains(unit) { throw error(at: escape, "lone surrogate in \\u escape") }
            if (0xD800...0xDBFF).contains(unit) {
                guard position + 1 < count,
                      bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u"),
                      let low = NDJSONScanner.hexValue(bytes, at: position + 2), (0xDC00...0xDFFF).contains(low)
                else { throw error(at: escape, "lone surrogate in \\u escape") }
                position += 6
            }
        default:
            throw error(at: escape, "invalid escape")
        }
    }

    /// The four hex digits at `index`, if there are four.
    private static func hexValue(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt16? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Validates the UTF-8 sequence led by the byte (≥ 0x80) at `position` (Unicode table 3-7)
    /// and moves past it.
    private mutating func scanMultibyteCharacter() throws(NDJSONParseError) {
        let lead = bytes[position]
        var continuationCount = 0
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: continuationCount = 1
        case 0xE0: continuationCount = 2; secondLow = 0xA0  // no overlongs
        case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
        case 0xED: continuationCount = 2; secondHigh = 0x9F  // no surrogates
        case 0xF0: continuationCount = 3; secondLow = 0x90  // no overlongs
        case 0xF1...0xF3: continuationCount = 3
        case 0xF4: continuationCount = 3; secondHigh = 0x8F  // nothing above U+10FFFF
        default: throw invalidUTF8()
        }
        guard position + continuationCount < count,
              (secondLow...secondHigh).contains(bytes[position + 1])
        else { throw invalidUTF8() }
        for offset in stride(from: 2, through: continuationCount, by: 1) where bytes[position + offset] & 0xC0 != 0x80 {
            throw invalidUTF8()
        }
        position += 1 + continuationCount
    }

    private func invalidUTF8() -> NDJSONParseError {
        error(at: position, "invalid UTF-8 at byte \(position + 1)")
    }
}
