extension GeneratedEvent {
    /// The event as one NDJSON line (no trailing newline), exactly as the reference script
    /// writes it: `{"ts":…,"metric":"…","unit":"…","dims":{"k":"v",…}}`, plus `,"value":…`
    /// after `dims` when there is a value.
    public func ndjsonLine() -> String {
        var bytes: [UInt8] = []
        appendNDJSON(to: &bytes)
        bytes.removeLast()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``ndjsonLine()`` and a newline to `bytes`, without Foundation.
    ///
    /// Strings are escaped as JSON requires (generated ones never need it). Values are written
    /// like Python's `repr` of a float for multiples of 0.01 below 10¹³ (`37.5`, `12.34`,
    /// `105.0`: what the generator produces); other values use Swift's shortest round-trip
    /// description. A non-finite value (not valid JSON) is written as `null`.
    public func appendNDJSON(to bytes: inout [UInt8]) {
        // The line is formatted on the stack, within a bound on its length, then appended.
        var bound = 96 + (value == nil ? 0 : 48) + 6 * (metric.utf8.count + unit.utf8.count)
        for dimension in dimensions { bound += 6 + 6 * (dimension.key.utf8.count + dimension.value.utf8.count) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var line = LineWriter(buffer.baseAddress!)
            line.write(#"{"ts":"#)
            line.writeInteger(timestamp)
            line.write(#","metric":"#)
            line.writeQuoted(metric)
            line.write(#","unit":"#)
            line.writeQuoted(unit)
            line.write(#","dims":{"#)
            var first = true
            for dimension in dimensions {
                if !first { line.write(UInt8(ascii: ",")) }
                first = false
                line.writeQuoted(dimension.key)
                line.write(UInt8(ascii: ":"))
                line.writeQuoted(dimension.value)
            }
            line.write(UInt8(ascii: "}"))
            if let value {
                line.write(#","value":"#)
                line.writeValue(value)
            }
            line.write("}\n")
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: line.count))
        }
    }
}

/// Writes JSON pieces into memory the caller sized for them.
struct LineWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func write(_ text: StaticString) {
        (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    mutating func writeInteger(_ value: Int64) {
        if value < 0 { write(UInt8(ascii: "-")) }
        writeDigits(value.magnitude)
    }

    /// The decimal digits of `value`, left-padded with zeros to `minimumDigits` (at most 20).
    mutating func writeDigits(_ value: UInt64, minimumDigits: Int = 1) {
        var digitCount = 1
        var power: UInt64 = 10
        while digitCount < 20 && value >= power {
            digitCount += 1
            power = power &* 10
        }
        let width = max(digitCount, minimumDigits)
        var remaining = value
        for index in stride(from: count + width - 1, through: count, by: -1) {
            let (quotient, digit) = remaining.quotientAndRemainder(dividingBy: 10)
            base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: digit)
            remaining = quotient
        }
        count += width
    }

    /// `"text"` with `"`, `\` and control characters escaped (needs 2 + 6 × length bytes).
    mutating func writeQuoted(_ text: String) {
        write(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            for byte in utf8 {
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    write(byte)
                } else if byte >= 0x20 {
                    write(UInt8(ascii: "\\"))
                    write(byte)
                } else {
                    write(#"\u00"#)
                    write(byte >> 4 == 0 ? UInt8(ascii: "0") : UInt8(ascii: "1"))
                    let low = byte & 15
                    write(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
                }
            }
        }
        write(UInt8(ascii: "\""))
    }

    /// Python's `repr` for multiples of 0.01 below 10¹³ (see
    /// ``GeneratedEvent/appendNDJSON(to:)``); needs at most 48 bytes.
    mutating func writeValue(_ value: Double) {
        guard value.isFinite else { return write("null") }
        if value == 0 { return value.sign == .minus ? write("-0.0") : write("0.0") }
        let scaled = (value * 100).rounded()
        guard value.magnitude < 1e13, Double(Int64(scaled)) / 100 == value else {
            for byte in "\(value)".utf8 { write(byte) }
            return
        }
        // `value` is the double nearest cents/100, whose shortest round-trip form is that decimal.
        let cents = Int64(scaled)
        if cents < 0 { write(UInt8(ascii: "-")) }
        let (whole, fraction) = cents.magnitude.quotientAndRemainder(dividingBy: 100)
        writeDigits(whole)
        write(UInt8(ascii: "."))
        if fraction % 10 == 0 {
            write(UInt8(ascii: "0") + UInt8(fraction / 10))
        } else {
            writeDigits(fraction, minimumDigits: 2)
        }
    }
}
