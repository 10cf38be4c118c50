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
        writer.bytes.append(contentsOf: encodedEvents())
        return writer.bytes
    }

    /// The events' part of the payload, written through a pointer into a buffer of the largest
    /// size it can take (appending byte by byte was about 500 instructions per event).
    private func encodedEvents() -> [UInt8] {
        let e = events
        // Per event at most: timestamp delta 10, metric 5, unit 5, value flag and value 9,
        // dimension count 5; and 10 per dimension (the events' ranges are disjoint, each index
        // checked against the key column).
        let bound = e.count * 34 + e.dimensionKeys.count * 10
        guard bound > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            var cursor = buffer.baseAddress!
            @inline(__always) func varint(_ value: UInt64) {
                var rest = value
                while rest >= 0x80 {
                    cursor.pointee = UInt8(truncatingIfNeeded: rest) | 0x80
                    cursor += 1
                    rest >>= 7
                }
                cursor.pointee = UInt8(rest)
                cursor += 1
            }
            var previous: Int64 = 0
            for i in 0..<e.count {
                let delta = e.timestamps[i] &- previous
                varint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)))  // zig-zag
                previous = e.timestamps[i]
                varint(UInt64(e.metrics[i]))
                let unit = e.units[i]
                varint(unit == EventBatch.noUnit ? 0 : UInt64(unit) + 1)
                if e.hasValue[i] {
                    cursor.pointee = 1
                    UnsafeMutableRawPointer(cursor + 1).storeBytes(of: e.values[i].bitPattern.littleEndian, as: UInt64.self)
                    cursor += 9
                } else {
                    cursor.pointee = 0
                    cursor += 1
                }
                let range = e.dimensionRange(of: i)
                varint(UInt64(range.count))
                for d in range {
                    varint(UInt64(e.dimensionKeys[d]))
                    varint(UInt64(e.dimensionValues[d]))
                }
            }
            written = cursor - buffer.baseAddress!
            precondition(written <= bound, "a batch record outgrew its bound")
        }
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
