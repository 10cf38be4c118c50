import Testing
import TallyWorkload
@testable import Tally

/// The event fields, keys, structure and error reporting of `NDJSONEventParser`.
@Suite struct NDJSONEventParserTests {
    @Test func parsesGeneratedLines() throws {
        for generated in WorkloadGenerator(WorkloadOptions(events: 5_000, days: 1)) {
            let event = try parseLine(generated.ndjsonLine())
            #expect(event == Event(
                timestamp: generated.timestamp, metric: generated.metric,
                dimensions: generated.dimensionDictionary, value: generated.value, unit: generated.unit))
        }
    }

    @Test func parsesTheScriptsExampleLine() throws {
        let event = try parseLine(#"{"ts":1790812801234,"metric":"purchase","unit":"u00000042","dims":{"country":"US","device":"mobile"},"value":37.5}"#)
        #expect(event == Event(
            timestamp: 1_790_812_801_234, metric: "purchase", dimensions: ["country": "US", "device": "mobile"],
            value: 37.5, unit: "u00000042"))
    }

    @Test func acceptsKeysInAnyOrderAndWhitespace() throws {
        let event = try parseLine(" \t{ \"value\" : -2.5 ,\r\n \"dims\" : { \"a\" : \"b\" } , \"unit\":null, \"metric\":\"m\", \"ts\" : -7 } \r")
        #expect(event == Event(timestamp: -7, metric: "m", dimensions: ["a": "b"], value: -2.5, unit: nil))
    }

    @Test func optionalFieldsMayBeAbsentOrNull() throws {
        let minimal = try parseLine(#"{"ts":0,"metric":"m"}"#)
        #expect(minimal == Event(timestamp: 0, metric: "m"))
        let nulls = try parseLine(lineWith(#""unit":null,"dims":null,"value":null"#))
        #expect(nulls == Event(timestamp: 1, metric: "m"))
        #expect(try parseLine(lineWith(#""dims":{}"#)).dimensions.isEmpty)
    }

    @Test func skipsUnknownKeysHoldingAnyValue() throws {
        let line = lineWith(#""a":{"x":[1,-2.5e3,true,false,null,"s\"\u00e9",{}],"y":{}},"b":[],"c":"\ud83d\ude00","d":0,"e":null"#)
        #expect(try parseLine(line) == Event(timestamp: 1, metric: "m"))
    }

    @Test(arguments: [
        ("", 1, "empty line"),
        ("   \t", 1, "empty line"),
        ("[1]", 1, "expected a JSON object"),
        (#""ts""#, 1, "expected a JSON object"),
        (#"{"metric":"m"}"#, 1, #"missing "ts""#),
        (#" {"ts":1}"#, 2, #"missing "metric""#),
        (#"{}"#, 1, #"missing "ts""#),
        (#"{"ts":1,"metric":"m"} x"#, 23, "unexpected data after the event"),
        (#"{"ts":1,"metric":"m"}{}"#, 22, "unexpected data after the event"),
        (#"{"ts":1,"metric":"m""#, 21, "unexpected end of line"),
        (#"{"ts":1,"metric":"m",}"#, 22, "expected a string key"),
        (#"{"ts":1 "metric":"m"}"#, 9, #"expected "," or "}""#),
        (#"{"ts" 1}"#, 7, #"expected ":""#),
        (#"{ts:1}"#, 2, "expected a string key"),
        (#"{"ts":1,"metric":"m","ts":2}"#, 22, #"duplicate key "ts""#),
        (#"{"ts":1,"metric":"m","\u0074s":2}"#, 22, #"duplicate key "ts""#),
        (#"{"ts":1,"metric":"m","x":1,"x":2}"#, 28, #"duplicate key "x""#),
        (#"{"ts":"1","metric":"m"}"#, 7, #""ts" must be an integer"#),
        (#"{"ts":1.5,"metric":"m"}"#, 7, #""ts" must be an integer"#),
        (#"{"ts":1e3,"metric":"m"}"#, 7, #""ts" must be an integer"#),
        (#"{"ts":null,"metric":"m"}"#, 7, #""ts" must be an integer"#),
        (#"{"ts":9223372036854775808,"metric":"m"}"#, 7, #""ts" is out of range"#),
        (#"{"ts":-9223372036854775809,"metric":"m"}"#, 7, #""ts" is out of range"#),
        (#"{"ts":123456789012345678901234567890,"metric":"m"}"#, 7, #""ts" is out of range"#),
        (#"{"ts":1,"metric":5}"#, 18, #""metric" must be a string"#),
        (#"{"ts":1,"metric":null}"#, 18, #""metric" must be a string"#),
        (#"{"ts":01,"metric":"m"}"#, 7, "leading zero in number"),
        (#"{"ts":1,"metric":"m","unit":7}"#, 29, #""unit" must be a string or null"#),
        (#"{"ts":1,"metric":"m","dims":[]}"#, 29, #""dims" must be an object"#),
        (#"{"ts":1,"metric":"m","dims":{"a":1}}"#, 34, #"dimension "a" must be a string"#),
        (#"{"ts":1,"metric":"m","dims":{"a":null}}"#, 34, #"dimension "a" must be a string"#),
        (#"{"ts":1,"metric":"m","dims":{"a":{}}}"#, 34, #"dimension "a" must be a string"#),
        (#"{"ts":1,"metric":"m","dims":{"a":"x","a":"y"}}"#, 38, #"duplicate dimension "a""#),
        (#"{"ts":1,"metric":"m","dims":{"a":"x",}}"#, 38, "expected a string key"),
        (#"{"ts":1,"metric":"m","value":"1"}"#, 30, #""value" must be a number or null"#),
        (#"{"ts":1,"metric":"m","value":true}"#, 30, #""value" must be a number or null"#),
        (#"{"ts":1,"metric":"m","x":[1,]}"#, 29, "expected a JSON value"),
        (#"{"ts":1,"metric":"m","x":tru}"#, 26, "invalid literal"),
        (#"{"ts":1,"metric":"m","x":{"a"}}"#, 30, #"expected ":""#),
        (#"{"ts":1,"metric":"m","x":[1 2]}"#, 29, #"expected "," or "]""#),
        (#"{"ts":1,"metric":"m","x":NaN}"#, 26, "expected a JSON value"),
    ])
    func rejectsWithColumnAndReason(line: String, column: Int, reason: String) {
        #expect(parseFailure(line) == NDJSONParseError(column: column, reason: reason), "\(line)")
    }

    @Test func longNamesAreCutInMessages() {
        let name = String(repeating: "k", count: 500)
        let failure = parseFailure(lineWith(#""dims":{"\#(name)":1}"#))
        #expect(failure?.reason == "dimension \"\(String(repeating: "k", count: 40))…\" must be a string")
    }

    @Test func manyUnknownKeysAreCheapAndDuplicatesFound() throws {
        let members = (0..<20_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        #expect(try parseLine(lineWith(members)) == Event(timestamp: 1, metric: "m"))
        #expect(parseFailure(lineWith(members + #","k19999":0"#))?.reason == #"duplicate key "k19999""#)
    }

    @Test func parsesASliceOfALargerBuffer() throws {
        let bytes = Array("xx\n{\"ts\":3,\"metric\":\"m\"}\nyy".utf8)
        #expect(try NDJSONEventParser.parse(bytes[3..<24]) == Event(timestamp: 3, metric: "m"))
        #expect(throws: NDJSONParseError(column: 1, reason: "empty line")) { try NDJSONEventParser.parse(bytes[3..<3]) }
    }

    @Test func timestampsSpanInt64() throws {
        #expect(try parseLine(#"{"ts":9223372036854775807,"metric":"m"}"#).timestamp == .max)
        #expect(try parseLine(#"{"ts":-9223372036854775808,"metric":"m"}"#).timestamp == .min)
        #expect(try parseLine(#"{"ts":-0,"metric":"m"}"#).timestamp == 0)
    }

    @Test func nestingIsLimitedTo64Levels() throws {
        // The event object is level 1, so an unknown key's value may nest 63 more levels.
        func nested(_ levels: Int, open: String, innermost: String, close: String) -> String {
            lineWith(#""x":"# + String(repeating: open, count: levels - 1) + innermost
                + String(repeating: close, count: levels - 1))
        }
        func nested(_ levels: Int, open: String, close: String) -> String {
            nested(levels, open: open, innermost: open + close, close: close)
        }
        #expect(try parseLine(nested(63, open: "[", close: "]")) == Event(timestamp: 1, metric: "m"))
        #expect(try parseLine(nested(63, open: #"{"a":"#, innermost: "{}", close: "}")) == Event(timestamp: 1, metric: "m"))
        let tooDeep = nested(64, open: "[", close: "]")
        #expect(parseFailure(tooDeep) == NDJSONParseError(column: 26 + 63, reason: "nesting deeper than 64"))
        let hostile = lineWith(#""x":"# + String(repeating: "[", count: 100_000))
        #expect(parseFailure(hostile)?.reason == "nesting deeper than 64")
    }

    @Test func commonNamesAreReturnedIntact() throws {
        for name in NDJSONCommonNames.all {
            let event = try parseLine(#"{"ts":1,"metric":"\#(name)","dims":{"\#(name)":"\#(name)"}}"#)
            #expect(event.metric == name && event.dimensions == [name: name])
            let near = String(name.dropLast()) + "Z"
            #expect(try parseLine(#"{"ts":1,"metric":"\#(near)"}"#).metric == near)
        }
    }
}
