import Testing
@testable import Tally

/// Varints as the writer writes them, read back one by one or stepped over.
@Suite struct ByteReaderTests {
    /// Values around every 7-bit boundary, the one-byte fast path's edge and the largest.
    static let values: [UInt64] = [0, 1, 127, 128, 255, 16_383, 16_384, 1 << 21, (1 << 35) + 5, 1 << 56, .max - 1, .max]

    @Test func varintsReadBackAcrossTheOneByteFastPath() {
        var writer = ByteWriter(capacity: 0)
        for value in Self.values { writer.writeVarint(value) }
        var reader = ByteReader(writer.bytes)
        for value in Self.values { #expect(reader.readVarint() == value) }
        #expect(reader.isAtEnd && reader.readVarint() == nil)
    }

    @Test func malformedVarintsAreRefused() {
        func first(_ bytes: [UInt8], end: Int? = nil) -> [UInt64?] {
            var reader = ByteReader(bytes, end: end)
            return [reader.readVarint(), reader.readVarint()]
        }
        #expect(first([0x80, 0x80]) == [nil, nil])  // truncated
        #expect(first([UInt8](repeating: 0xFF, count: 10) + [0x01])[0] == nil)  // over 10 bytes
        #expect(first([UInt8](repeating: 0xFF, count: 9) + [0x02])[0] == nil)  // bit 64 set
        #expect(first([0x05, 0x7F], end: 1) == [5, nil])  // the end bounds the fast path too
    }

    @Test func skippingLandsWhereReadingDoes() {
        var writer = ByteWriter(capacity: 0)
        for value in Self.values { writer.writeVarint(value) }
        writer.writeUInt32(0xDEAD_BEEF)
        for count in 0...Self.values.count {
            var skipped = ByteReader(writer.bytes)
            var read = ByteReader(writer.bytes)
            let found = skipped.skipVarints(count)
            #expect(found)
            for _ in 0..<count { _ = read.readVarint() }
            #expect(skipped.position == read.position)
        }
        var past = ByteReader(writer.bytes, end: 3)
        let found = past.skipVarints(Self.values.count)
        #expect(!found && past.position == 0)
    }
}
