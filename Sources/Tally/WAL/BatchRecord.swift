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
        batch.timestamps.reserveCapacity(eventCount)
        batch.metrics.reserveCapacity(eventCount)
        batch.units.reserveCapacity(eventCount)
        batch.values.reserveCapacity(eventCount)
        batch.hasValue.reserveCapacity(eventCount)
        batch.dimensionStart.reserveCapacity(eventCount + 1)
        guard eventCount == 0 || stringCount > 0 else { return nil }
        var previous: Int64 = 0
        let maxIndex = max(stringCount - 1, 0)
        for _ in 0..<eventCount {
            guard let delta = reader.readSignedVarint(), let metric = reader.readCount(max: maxIndex),
                  let unit = reader.readCount(max: stringCount), let valueFlag = reader.readUInt8(), valueFlag <= 1
            else { return nil }
            previous = previous &+ delta
            batch.timestamps.append(previous)
            batch.metrics.append(UInt32(metric))
            batch.units.append(unit == 0 ? EventBatch.noUnit : UInt32(unit - 1))
            if valueFlag == 1 {
                guard let value = reader.readDouble() else { return nil }
                batch.values.append(value)
                batch.hasValue.append(true)
            } else {
                batch.values.append(0)
                batch.hasValue.append(false)
            }
            guard let dimensionCount = reader.readCount(max: Limits.maxDimensionsPerEvent) else { return nil }
            for _ in 0..<dimensionCount {
                guard let key = reader.readCount(max: maxIndex), let value = reader.readCount(max: maxIndex) else {
                    return nil
                }
                batch.dimensionKeys.append(UInt32(key))
                batch.dimensionValues.append(UInt32(value))
            }
            batch.dimensionStart.append(batch.dimensionKeys.count)
        }
        guard reader.isAtEnd else { return nil }
        return BatchRecord(batchID: batchID, ingestTime: ingestTime, events: batch)
    }
}
