import Testing
@testable import Tally

/// A logged string must be valid UTF-8 (format-spec.md, "Conventions"); decoding keeps its bytes.
@Suite struct BatchRecordStringTests {
    func record(strings: [String]) -> [UInt8] {
        var batch = EventBatch()
        batch.strings = strings
        return BatchRecord(batchID: nil, ingestTime: 0, events: batch).encode()
    }

    @Test func validStringsDecodeToTheirBytes() throws {
        let strings = ["", "u1", "caf\u{E9}", "cafe\u{301}", "\u{FFFD}", "\u{1F600}", String(repeating: "x", count: 40)]
        let decoded = try #require(BatchRecord.decode(record(strings: strings)))
        #expect(decoded.events.strings.map { Array($0.utf8) } == strings.map { Array($0.utf8) })
    }

    @Test func invalidUTF8IsRejected() throws {
        let valid = record(strings: ["ab"])
        let at = try #require(valid.firstIndex(of: UInt8(ascii: "a")))
        for bad: [UInt8] in [[0xC3, 0x28], [0xFF, 0x61], [0xED, 0xA0], [0x80, 0x80]] {
            var payload = valid
            payload.replaceSubrange(at..<at + 2, with: bad)
            #expect(BatchRecord.decode(payload) == nil, "\(bad)")
        }
    }
}
