import Testing
@testable import Tally

/// Strings (escapes, surrogates, control characters, UTF-8 validation) and numbers (grammar,
/// rounding, range) in `NDJSONEventParser`.
@Suite struct NDJSONStringAndNumberTests {
    func metric(of line: String) throws -> String { try parseLine(line).metric }

    @Test func decodesEveryEscape() throws {
        #expect(try metric(of: #"{"ts":1,"metric":"q\"b\\s\/b\bf\fn\nr\rt\t!"}"#) == "q\"b\\s/b\u{8}f\u{C}n\nr\rt\t!")
        #expect(try metric(of: #"{"ts":1,"metric":"\u00e9\u4E2D\u0000\u001f"}"#) == "é中\u{0}\u{1F}")
        #expect(try metric(of: #"{"ts":1,"metric":"\ud83d\ude00 \uD834\uDD1E"}"#) == "😀 𝄞")
        #expect(try parseLine(lineWith(#""dims":{"k\u0041":"v\n"}"#)).dimensions == ["kA": "v\n"])
    }

    @Test func keepsRawUTF8() throws {
        #expect(try metric(of: #"{"ts":1,"metric":"é中😀\u007f"}"#) == "é中😀\u{7F}")
        let long = String(repeating: "abcdefgh", count: 40) + "é"
        #expect(try metric(of: #"{"ts":1,"metric":"\#(long)"}"#) == long)
    }

    @Test(arguments: [
        (#"{"ts":1,"metric":"\ud83d"}"#, 19, "lone surrogate in \\u escape"),
        (#"{"ts":1,"metric":"\ud83dx"}"#, 19, "lone surrogate in \\u escape"),
        (#"{"ts":1,"metric":"\ud83d\u0041"}"#, 19, "lone surrogate in \\u escape"),
        (#"{"ts":1,"metric":"\ud83d\ud83d"}"#, 19, "lone surrogate in \\u escape"),
        (#"{"ts":1,"metric":"\ude00"}"#, 19, "lone surrogate in \\u escape"),
        (#"{"ts":1,"metric":"\u12G4"}"#, 19, "invalid \\u escape"),
        (#"{"ts":1,"metric":"\u12"}"#, 19, "invalid \\u escape"),
        (#"{"ts":1,"metric":"\x"}"#, 19, "invalid escape"),
        (#"{"ts":1,"metric":"\'"}"#, 19, "invalid escape"),
        (#"{"ts":1,"metric":"abc"#, 18, "unterminated string"),
        (#"{"ts":1,"metric":"abc\"#, 22, "unterminated string"),
        ("{\"ts\":1,\"metric\":\"a\tb\"}", 20, "control character in string"),
        ("{\"ts\":1,\"metric\":\"\u{1F}\"}", 19, "control character in string"),
        ("{\"ts\":1,\"metric\":\"m\",\"x\":\"\n\"}", 27, "control character in string"),
    ])
    func rejectsBadStrings(line: String, column: Int, reason: String) {
        #expect(parseFailure(line) == NDJSONParseError(column: column, reason: reason), "\(line)")
    }

    /// `{"ts":1,"metric":"ab<bytes>"}`: the bad sequence starts at byte 21.
    @Test(arguments: [
        [0xC0, 0x80],  // overlong NUL
        [0xC1, 0xBF],  // overlong
        [0xE0, 0x80, 0x80],  // overlong 3-byte
        [0xE0, 0x9F, 0xBF],  // overlong 3-byte
        [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
        [0xED, 0xA0, 0x80],  // U+D800 encoded
        [0xED, 0xBF, 0xBF],  // U+DFFF encoded
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80],  // byte above F4
        [0xFF],
        [0x80],  // lone continuation byte
        [0xBF, 0x41],
        [0xE2, 0x82],  // truncated by the closing quote
        [0xE2, 0x82, 0x41],  // bad continuation
        [0xF0, 0x9F, 0x98],  // truncated 4-byte
        [0xC3],  // lead byte then the quote
    ] as [[UInt8]])
    func rejectsInvalidUTF8(sequence: [UInt8]) {
        let line = Array(#"{"ts":1,"metric":"ab"#.utf8) + sequence + Array(#""}"#.utf8)
        #expect(parseFailure(line) == NDJSONParseError(column: 21, reason: "invalid UTF-8 at byte 21"), "\(sequence)")
    }

    @Test func rejectsInvalidUTF8InKeysAndSkippedValuesAndAtTheEnd() {
        let key = Array(#"{"ts":1,"metric":"m","dims":{""#.utf8) + [0xED, 0xA0, 0x80] + Array(#"":"v"}}"#.utf8)
        #expect(parseFailure(key) == NDJSONParseError(column: 31, reason: "invalid UTF-8 at byte 31"))
        let skipped = Array(#"{"ts":1,"metric":"m","x":["#.utf8) + [0x22, 0xC0, 0xAF, 0x22] + Array("]}".utf8)
        #expect(parseFailure(skipped) == NDJSONParseError(column: 28, reason: "invalid UTF-8 at byte 28"))
        let truncated = Array(#"{"ts":1,"metric":"#.utf8) + [0x22, 0xE4, 0xB8]
        #expect(parseFailure(truncated) == NDJSONParseError(column: 19, reason: "invalid UTF-8 at byte 19"))
    }

    func value(_ text: String) throws -> Double? { try parseLine(lineWith(#""value":\#(text)"#)).value }

    @Test func parsesNumbersCorrectlyRounded() throws {
        #expect(try value("0") == 0)
        #expect(try value("-0")?.sign == .minus)
        #expect(try value("-0.0")?.sign == .minus)
        #expect(try value("37.5") == 37.5)
        #expect(try value("0.1") == 0.1)
        #expect(try value("2.5e-3") == 0.0025)
        #expect(try value("1E+2") == 100)
        #expect(try value("1e308") == 1e308)
        #expect(try value("-1.7976931348623157e308") == -Double.greatestFiniteMagnitude)
        #expect(try value("1e-400") == 0)
        #expect(try value("4.9e-324") == Double.leastNonzeroMagnitude)
        #expect(try value("9007199254740993") == 9_007_199_254_740_992)  // ties to even
        #expect(try value("123456789012345678901234567890") == 1.2345678901234568e29)
        #expect(try value("0.30000000000000004") == 0.1 + 0.2)
        #expect(try value("1" + String(repeating: "0", count: 400) + "e-400") == 1)
        #expect(try value("2.2250738585072011e-308") == Double(bitPattern: 0x000F_FFFF_FFFF_FFFF))
        #expect(try value("2.2250738585072012e-308") == Double(bitPattern: 0x0010_0000_0000_0000))
    }

    /// Every token, fast path or not, converts like the standard library's correctly rounded
    /// `Double(String)` does.
    @Test func agreesWithTheStandardLibrary() throws {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        for _ in 0..<20_000 {
            let digits = String(next() % 10_000_000_000_000_000)
            let point = Int(next() % UInt64(digits.count + 1))
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            if next() % 3 == 0 { text += "e\(Int(next() % 60) - 30)" }
            if text.hasPrefix("0") && !text.hasPrefix("0.") { continue }
            #expect(try value(text) == Double(text)!, "\(text)")
        }
    }

    @Test(arguments: [
        ("1e309", #""value" is not a finite number"#),
        ("-1e309", #""value" is not a finite number"#),
        ("1" + String(repeating: "0", count: 400), #""value" is not a finite number"#),
        ("01", "leading zero in number"),
        ("-01", "leading zero in number"),
        ("1.", "invalid number"),
        ("1.e5", "invalid number"),
        ("1e", "invalid number"),
        ("1e+", "invalid number"),
        ("-", "invalid number"),
        ("-a", "invalid number"),
    ])
    func rejectsBadValues(text: String, reason: String) {
        #expect(parseFailure(lineWith(#""value":\#(text)"#)) == NDJSONParseError(column: 30, reason: reason), "\(text)")
    }

    @Test(arguments: [".5", "+1", "Infinity", "NaN", "0x10"])
    func rejectsNonJSONNumbers(text: String) {
        #expect(parseFailure(lineWith(#""value":\#(text)"#)) != nil, "\(text)")
    }
}
