/// A scanned number: its bytes, and whether it is an integer (no fraction, no exponent).
struct NumberToken {
    var start: Int
    var end: Int
    var isInteger: Bool
}

extension NDJSONScanner {
    /// Scans the number at `position` by the JSON grammar
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func scanNumber() throws(NDJSONParseError) -> NumberToken {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        switch peek() {
        case UInt8(ascii: "0"):
            position += 1
            if isDigit(peek()) { throw error(at: start, "leading zero in number") }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            skipDigits()
        default:
            throw error(at: start, "invalid number")
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            position += 1
            isInteger = false
            guard isDigit(peek()) else { throw error(at: start, "invalid number") }
            skipDigits()
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            position += 1
            isInteger = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard isDigit(peek()) else { throw error(at: start, "invalid number") }
            skipDigits()
        }
        return NumberToken(start: start, end: position, isInteger: isInteger)
    }

    /// An integer token's value, or nil beyond the range of Int64.
    func integerValue(_ token: NumberToken) -> Int64? {
        var index = token.start
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var magnitude: UInt64 = 0
        if token.end - index <= 19 {  // below 10¹⁹ < 2⁶⁴: cannot overflow
            while index < token.end {
                magnitude = magnitude &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
                index += 1
            }
        }
        while index < token.end {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
            index += 1
        }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// The token's value correctly rounded to a Double (±infinity when out of range).
    func doubleValue(_ token: NumberToken) -> Double {
        fastDoubleValue(token) ?? slowDoubleValue(token)
    }

    /// Clinger's fast path: at most 15 digits and a decimal exponent within ±22, so both the
    /// digits and the power of ten are exact doubles and one IEEE operation rounds correctly.
    private func fastDoubleValue(_ token: NumberToken) -> Double? {
        var index = token.start
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var digits: UInt64 = 0
        var digitCount = 0
        var exponent = 0
        var inFraction = false
        while index < token.end {
            let byte = bytes[index]
            if isDigit(byte) {
                digits = digits * 10 + UInt64(byte - UInt8(ascii: "0"))
                digitCount += 1
                if inFraction { exponent -= 1 }
                if digitCount > 15 { return nil }
            } else if byte == UInt8(ascii: ".") {
                inFraction = true
            } else {
                break  // the exponent
            }
            index += 1
        }
        if index < token.end {
            index += 1
            var exponentSign = 1
            if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                if bytes[index] == UInt8(ascii: "-") { exponentSign = -1 }
                index += 1
            }
            var written = 0
            while index < token.end {
                written = written * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                if written > 400 { return nil }
                index += 1
            }
            exponent += exponentSign * written
        }
        guard (-22...22).contains(exponent) else { return nil }
        var value = Double(digits)
        let power = NDJSONScanner.powersOfTen[abs(exponent)]
        value = exponent < 0 ? value / power : value * power
        return negative ? -value : value
    }

    /// Any other number, through the standard library's correctly rounded conversion of the
    /// exact (already validated) bytes.
    private func slowDoubleValue(_ token: NumberToken) -> Double {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[token.start..<token.end]), as: UTF8.self)
        guard let value = Double(text) else {
            // Only out-of-range magnitudes can fail here; their sign decides the infinity.
            return bytes[token.start] == UInt8(ascii: "-") ? -.infinity : .infinity
        }
        return value
    }

    /// 10⁰ … 10²², all exact doubles.
    private static let powersOfTen: [Double] = (0...22).map { power in
        (0..<power).reduce(1.0) { product, _ in product * 10 }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    private mutating func skipDigits() {
        while position < count && isDigit(bytes[position]) { position += 1 }
    }
}
