import Testing
@testable import Tally

/// A batch record's bytes are those format-spec.md's "WAL batch record" lays out, field by field,
/// at the extremes of every field, and decode back to the batch.
@Suite struct BatchRecordEncodingTests {
    /// The record written field by field as the spec reads, with the plain byte writer.
    static func reference(_ record: BatchRecord) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeUInt8(record.batchID == nil ? 0 : 1)
        if let id = record.batchID {
            writer.writeUInt64(id.high)
            writer.writeUInt64(id.low)
        }
        writer.writeInt64(record.ingestTime)
        let events = record.events
        writer.writeVarint(UInt64(events.strings.count))
        for string in events.strings { writer.writeString(string) }
        writer.writeVarint(UInt64(events.count))
        var previous: Int64 = 0
        for i in 0..<events.count {
            writer.writeSignedVarint(events.timestamps[i] &- previous)
            previous = events.timestamps[i]
            writer.writeVarint(UInt64(events.metrics[i]))
            writer.writeVarint(events.units[i] == EventBatch.noUnit ? 0 : UInt64(events.units[i]) + 1)
            writer.writeUInt8(events.hasValue[i] ? 1 : 0)
            if events.hasValue[i] { writer.writeDouble(events.values[i]) }
            let range = events.dimensionRange(of: i)
            writer.writeVarint(UInt64(range.count))
            for d in range {
                writer.writeVarint(UInt64(events.dimensionKeys[d]))
                writer.writeVarint(UInt64(events.dimensionValues[d]))
            }
        }
        return writer.bytes
    }

    @Test func recordsAreTheSpecsBytesAndDecodeBack() throws {
        var random = RandomEvents(seed: 5)
        var builder = EventBatchBuilder()
        let strings = (0..<300).map { builder.intern("s\($0)") }
        // Timestamps that jump both ways by up to the whole range, ids past one varint byte,
        // values of every sign and size, events with no dimensions and with sixteen.
        let timestamps: [Int64] = [0, 253_402_299_999_999, 1, 1_790_812_800_000, 1_790_812_800_001, 0, 127, 128]
        for i in 0..<2_000 {
            let dimensionCount = [0, 1, 4, 16][i % 4]
            let dimensions = (0..<dimensionCount).map { d in (strings[d], strings[random.below(strings.count)]) }
            let value: Double? = [nil, 0, -1.5, .greatestFiniteMagnitude, 3.25e-300][i % 5]
            builder.append(
                timestamp: timestamps[i % timestamps.count] &+ Int64(random.below(1_000)),
                metric: strings[i % 200], unit: i % 3 == 0 ? nil : strings[random.below(strings.count)],
                value: value, dimensions: dimensions)
        }
        for batchID in [nil, BatchIDHash(high: .max, low: 7)] {
            let record = BatchRecord(batchID: batchID, ingestTime: -5, events: builder.batch)
            let bytes = record.encode()
            #expect(bytes == Self.reference(record))
            #expect(BatchRecord.decode(bytes) == record)
        }
        let empty = BatchRecord(batchID: nil, ingestTime: 0, events: EventBatch())
        #expect(empty.encode() == Self.reference(empty) && BatchRecord.decode(empty.encode()) == empty)
    }
}
