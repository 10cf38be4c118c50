import Testing
@testable import Tally

/// A batch's strings get one id per distinct byte sequence, in order of first appearance.
@Suite struct BatchInternerTests {
    @Test func idsAgreeWithADictionaryOfByteArrays() {
        // Every length the short-string hash reads differently (0, 1–3, 4–7, 8–16) and longer
        // ones; strings that differ only in their middle byte, or by a byte past the words the
        // hash loads twice; enough strings to grow the table several times; each one repeated.
        var inputs: [[UInt8]] = []
        for length in 0...40 {
            for variant in 0..<40 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                if length > 0 { bytes[length / 2] = UInt8(truncatingIfNeeded: variant) }
                if length > 2 && variant % 3 == 0 { bytes[1] = 0 }
                inputs.append(bytes)
            }
        }
        inputs += inputs.reversed()
        var interner = BatchInterner()
        var oracle: [[UInt8]: UInt32] = [:]
        for bytes in inputs {
            let expected = oracle[bytes]
            let (id, isNew) = bytes.withUnsafeBytes { interner.intern(bytes: $0) }
            if let expected {
                #expect(id == expected && !isNew, "\(bytes)")
            } else {
                #expect(id == UInt32(oracle.count) && isNew, "\(bytes)")
                oracle[bytes] = id
            }
        }
        #expect(interner.count == oracle.count)
        #expect(interner.count > 1_000)
    }

    @Test func theBuilderKeepsEachDistinctStringOnceAndByBytes() {
        var builder = EventBatchBuilder()
        let ids = ["pageview", "café", "cafe\u{301}", "pageview", "", "café"].map { builder.intern($0) }
        #expect(ids == [0, 1, 2, 0, 3, 1], "canonically equal strings with other bytes are other strings")
        #expect(builder.batch.strings == ["pageview", "café", "cafe\u{301}", ""])
        let fromBytes = Array("café".utf8).withUnsafeBytes { builder.intern(bytes: $0) }
        #expect(fromBytes == 1)
    }

    /// Building from `Event`s finds strings through their `String` words first: equal strings in
    /// other storage, small and large, and thousands of distinct ones (the table grows) still
    /// get one id each, and every event reads back its own strings.
    @Test func eventsBuildIntoTheirOwnStringsOncePerDistinctString() {
        let long = String(repeating: "x", count: 40)
        let events = (0..<5_000).map { i in
            // The same text built anew per event: other storage for the long strings.
            Event(
                timestamp: Int64(i), metric: i % 2 == 0 ? "pageview" : "page" + "view",
                dimensions: ["template": "t\(i % 700)", "long": long + "\(i % 3)", "country": ["US", "DE"][i % 2]],
                unit: "unit-\(i % 1_900)")
        }
        let batch = EventBatchBuilder.build(events)
        #expect(Set(batch.strings).count == batch.strings.count)
        #expect(batch.strings.count == 1 + 3 + 700 + 3 + 2 + 1_900)
        for (i, event) in events.enumerated() {
            #expect(batch.strings[Int(batch.metrics[i])] == event.metric)
            #expect(batch.strings[Int(batch.units[i])] == event.unit)
            let dimensions = batch.dimensionRange(of: i).map {
                (batch.strings[Int(batch.dimensionKeys[$0])], batch.strings[Int(batch.dimensionValues[$0])])
            }
            #expect(Dictionary(uniqueKeysWithValues: dimensions) == event.dimensions)
        }
    }
}
