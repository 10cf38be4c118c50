import Testing
@testable import Tally
import TallyWorkload

/// Parsing straight into a batch (the import path) gives the same events as parsing into
/// `Event`s, and the same errors.
@Suite struct NDJSONBatchParsingTests {
    static func events(of batch: EventBatch) -> [Event] {
        (0..<batch.count).map { i in
            var dimensions: [String: String] = [:]
            for d in batch.dimensionRange(of: i) {
                dimensions[batch.strings[Int(batch.dimensionKeys[d])]] = batch.strings[Int(batch.dimensionValues[d])]
            }
            return Event(
                timestamp: batch.timestamps[i], metric: batch.strings[Int(batch.metrics[i])], dimensions: dimensions,
                value: batch.hasValue[i] ? batch.values[i] : nil,
                unit: batch.units[i] == EventBatch.noUnit ? nil : batch.strings[Int(batch.units[i])])
        }
    }

    @Test func bothPathsAgreeOnGeneratedLinesAndEscapes() throws {
        var lines = WorkloadGenerator(WorkloadOptions(events: 3_000, days: 1, seed: 4)).map { $0.ndjsonLine() }
        lines.append(#"{"ts":5,"metric":"m\u0031","unit":"caf\u00e9","dims":{"k\"q":"v\\w","emoji":"\ud83d\ude00"},"value":-0.5}"#)
        lines.append(#"{"metric":"a","ts":7,"dims":null,"unit":null,"value":null,"extra":[1,{"x":2}]}"#)
        lines.append(#"{"ts":8,"metric":"no-dims"}"#)
        lines.append(#"{"ts":9,"metric":"m","dims":{"country":"US"}}"#)
        var builder = EventBatchBuilder()
        // One scratch for every line, as an import uses it; a rejected line in between.
        var scratch = NDJSONEventParser.Scratch()
        var expected: [Event] = []
        for (index, line) in lines.enumerated() {
            if index == 1_000 {
                let rejected = Array(#"{"ts":1,"metric":"m","dims":{"a":"1","b":"2","a":"3"}}"#.utf8)
                let error = rejected.withUnsafeBytes { raw in
                    Result { () throws(NDJSONParseError) in try NDJSONEventParser.parse(raw, into: &builder, scratch: &scratch) }.error
                }
                #expect(error?.reason == #"duplicate dimension "a""#)
            }
            let bytes = Array(line.utf8)
            expected.append(try NDJSONEventParser.parse(bytes[...]))
            try bytes.withUnsafeBytes { raw in
                try Result { () throws(NDJSONParseError) in
                    try NDJSONEventParser.parse(raw, into: &builder, scratch: &scratch)
                }.get()
            }
        }
        #expect(Self.events(of: builder.batch) == expected)
        // Repeated strings are stored once.
        #expect(builder.batch.strings.count == Set(builder.batch.strings).count)
    }

    @Test(arguments: [
        #"{"ts":1,"metric":"m","dims":{"a":"1","a":"2"}}"#,
        #"{"ts":1,"metric":"m","dims":{"a":"1","\u0061":"2"}}"#,
        #"{"ts":1.5,"metric":"m"}"#,
        #"{"metric":"m"}"#,
        #"{"ts":1,"metric":"m"} x"#,
    ])
    func bothPathsRejectTheSameLines(line: String) throws {
        let bytes = Array(line.utf8)
        var eventError: NDJSONParseError?
        do { _ = try NDJSONEventParser.parse(bytes[...]) } catch { eventError = error }
        var builder = EventBatchBuilder()
        var scratch = NDJSONEventParser.Scratch()
        let batchError = bytes.withUnsafeBytes { raw in
            Result { () throws(NDJSONParseError) in try NDJSONEventParser.parse(raw, into: &builder, scratch: &scratch) }.error
        }
        #expect(eventError != nil)
        #expect(batchError == eventError)
        #expect(builder.count == 0)
    }
}

private extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
