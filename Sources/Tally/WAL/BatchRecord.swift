/// The content of a WAL record of type `batch` (format-spec.md, "WAL batch record"): one
/// acknowledged-or-pending ingest, with every event and its unit, so that replay rebuilds the
/// head and the experiment state exactly.
struct BatchRecord: Equatable {
    var batchID: BatchIDHash?
    /// Wall-clock time of the ingest (ms); the dedupe window counts from it.
    var ingestTime: Int64
    var events: EventBatch

    /// Hard caps applied when decoding, before allocating.
    static let maxStrings = 1 << 24
    static let maxEvents = 1 << 24
    static let maxStringBytes = 1024

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + events.count * 24 + events.strings.count * 16)
        writer.writeUInt8(batchID == nil ? 0 : 1)
        if let batchID {
            writer.writeUInt64(batchID.high)
            writer.writeUInt64(batchID.low)
        }
        writer.writeInt64(ingestTime)
        writer.writeVarint(UInt64(events.strings.count))
        for string in events.strings { writer.writeString(string) }
        writer.writeVarint(UInt64(events.count))
        var previous: Int64 = 0
        for i in 0..<events.count {
            writer.writeSignedVarint(events.timestamps[i] &- previous)
            previous = events.timestamps[i]
            writer.writeVarint(UInt64(events.metrics[i]))
            let unit = events.units[i]
            writer.writeVarint(unit == EventBatch.noUnit ? 0 : UInt64(unit) + 1)
            if events.hasValue[i] {
                writer.writeUInt8(1)
                writer.writeDouble(events.values[i])
            } else {
                writer.writeUInt8(0)
            }
            let range = events.dimensionRange(of: i)
            writer.writeVarint(UInt64(range.count))
            for d in range {
                writer.writeVarint(UInt64(events.dimensionKeys[d]))
                writer.writeVarint(UInt64(events.dimensionValues[d]))
            }
        }
        return writer.bytes
    }

    /// Decodes a payload. Returns `nil` when it is malformed (a record whose checksum passed but
    /// whose content does not parse is corruption; the caller reports the offset).
    static func decode(_ payload: [UInt8]) -> BatchRecord? {
        var reader = ByteReader(payload)
        guard let flags = reader.readUInt8(), flags <= 1 else { return nil }
        var batchID: BatchIDHash?
        if flags == 1 {
            guard let high = reader.readUInt64(), let low = reader.readUInt64() else { return nil }
            batchID = BatchIDHash(high: high, low: low)
        }
        guard let ingestTime = reader.readInt64(),
              let stringCount = reader.readCount(max: min(maxStrings, reader.remaining))
        else { return nil }
        var batch = EventBatch()
        batch.strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            guard let string = reader.readString(maxLength: maxStringBytes) else { return nil }
            batch.strings.append(string)
        }
        // Every event takes at least 4 bytes, which bounds the count by what remains.
        guard let eventCount = reader.readCount(max: min(maxEvents, reader.remaining / 4)) else { return nil }
        guard eventCount == 0 || stringCount > 0,
              decodeEvents(&reader, count: eventCount, maxIndex: stringCount - 1, into: &batch)
        else { return nil }
        guard reader.isAtEnd else { return nil }
        return BatchRecord(batchID: batchID, ingestTime: ingestTime, events: batch)
    }

    /// Decodes `count` events whose string indices must not exceed `maxIndex`. The per-event
    /// columns are sized up front and filled by index (cheaper than appending to each).
    private static func decodeEvents(
        _ reader: inout ByteReader, count: Int, maxIndex: Int, into batch: inout EventBatch
    ) -> Bool {
        var timestamps = [Int64](repeating: 0, count: count)
        var metrics = [UInt32](repeating: 0, count: count)
        var units = [UInt32](repeating: 0, count: count)
        var values = [Double](repeating: 0, count: count)
        var hasValue = [Bool](repeating: false, count: count)
        var dimensionStart = [Int](repeating: 0, count: count + 1)
        var dimensionKeys: [UInt32] = []
        var dimensionValues: [UInt32] = []
        var previous: Int64 = 0
        for i in 0..<count {
            guard let delta = reader.readSignedVarint(), let metric = reader.readCount(max: maxIndex),
                  let unit = reader.readCount(max: maxIndex + 1), let valueFlag = reader.readUInt8(), valueFlag <= 1
            else { return false }
            previous = previous &+ delta
            timestamps[i] = previous
            metrics[i] = UInt32(metric)
            units[i] = unit == 0 ? EventBatch.noUnit : UInt32(unit - 1)
            if valueFlag == 1 {
                guard let value = reader.readDouble() else { return false }
                values[i] = value
                hasValue[i] = true
            }
            guard let dimensionCount = reader.readCount(max: Limits.maxDimensionsPerEvent) else { return false }
            for _ in 0..<dimensionCount {
                guard let key = reader.readCount(max: maxIndex), let value = reader.readCount(max: maxIndex) else {
                    return false
                }
                dimensionKeys.append(UInt32(key))
                dimensionValues.append(UInt32(value))
            }
            dimensionStart[i + 1] = dimensionKeys.count
        }
        batch.timestamps = timestamps
        batch.metrics = metrics
        batch.units = units
        batch.values = values
        batch.hasValue = hasValue
        batch.dimensionStart = dimensionStart
        batch.dimensionKeys = dimensionKeys
        batch.dimensionValues = dimensionValues
        return true
    }
}
