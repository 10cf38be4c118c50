/// The committed list of segments and the engine state persisted with each flush, stored as one
/// framed block (kind `catalog`) that the superblock points to (format-spec.md, "Catalog").
///
/// A new catalog is appended with every commit; older ones become dead space that compaction
/// reclaims. Dropping a partition or swapping in a rewritten file is a new catalog.
struct Catalog: Equatable {
    static let version: UInt32 = 1

    var segments: [SegmentInfo] = []
    /// Identifier given to the next segment written.
    var nextSegmentID: UInt64 = 1
    /// Partitions that end at or before this time were dropped by retention; events older than
    /// it are dropped at ingest. `Int64.min` when nothing was dropped.
    var retentionHorizon: Int64 = .min
    /// Remembered batch ids with their ingest time (dedupe window).
    var batchIDs: [BatchIDHash: Int64] = [:]
    /// Events accepted since the database was created (all time, including dropped partitions).
    var totalEventsIngested: UInt64 = 0
    /// Experiment state blocks (kind `experimentState`) to apply in order: a base, then deltas.
    var experimentBlocks: [BlockLocation] = []
}

/// Where a framed block lies in the database file.
struct BlockLocation: Equatable, Sendable {
    var offset: UInt64
    var length: UInt64
}

/// What the catalog knows about one segment: enough to prune it without reading it.
struct SegmentInfo: Equatable, Sendable {
    var id: UInt64
    /// Offset of the segment's first byte in the database file.
    var offset: UInt64
    var length: UInt64
    /// Offset (from the file start) and framed length of the segment's footer block.
    var footerOffset: UInt64
    var footerLength: UInt64
    var partitionStart: Int64
    /// Bucket width of the rows (the database bucket, or coarser after downsampling).
    var bucketMilliseconds: Int64
    /// Smallest and largest bucket start of any row.
    var minTime: Int64
    var maxTime: Int64
    var rowCount: UInt64
    var eventCount: UInt64
    /// Bytes of the segment's blocks before compression (for the compression ratio).
    var rawBytes: UInt64
    var metrics: [String]

    var timeRangeEnd: Int64 { maxTime + bucketMilliseconds }
}

/// A 128-bit hash of a batch id (two XXH64 with seeds 0 and 1 of its UTF-8 bytes).
struct BatchIDHash: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ batchID: String) {
        high = XXHash64.hash(batchID, seed: 0)
        low = XXHash64.hash(batchID, seed: 1)
    }
}

extension Catalog {
    /// Caps that a reader applies before allocating.
    static let maxSegments = 1 << 20
    static let maxMetricsPerSegment = 1 << 16
    static let maxBatchIDs = 1 << 26
    /// A segment holds at most this many events, and all segments together at most
    /// ``maxTotalEvents``: sums of counts read from a file then never overflow.
    static let maxEventsPerSegment: UInt64 = 1 << 48
    static let maxTotalEvents: UInt64 = 1 << 62

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + segments.count * 64 + batchIDs.count * 24)
        writer.writeUInt32(Catalog.version)
        writer.writeVarint(nextSegmentID)
        writer.writeInt64(retentionHorizon)
        writer.writeVarint(totalEventsIngested)
        writer.writeVarint(UInt64(segments.count))
        for segment in segments {
            writer.writeVarint(segment.id)
            writer.writeVarint(segment.offset)
            writer.writeVarint(segment.length)
            writer.writeVarint(segment.footerOffset)
            writer.writeVarint(segment.footerLength)
            writer.writeSignedVarint(segment.partitionStart)
            writer.writeVarint(UInt64(segment.bucketMilliseconds))
            writer.writeSignedVarint(segment.minTime)
            writer.writeSignedVarint(segment.maxTime)
            writer.writeVarint(segment.rowCount)
            writer.writeVarint(segment.eventCount)
            writer.writeVarint(segment.rawBytes)
            writer.writeVarint(UInt64(segment.metrics.count))
            for metric in segment.metrics { writer.writeString(metric) }
        }
        // Sorted so that the same state always encodes to the same bytes.
        let ids = batchIDs.sorted { ($0.key.high, $0.key.low) < ($1.key.high, $1.key.low) }
        writer.writeVarint(UInt64(ids.count))
        for (hash, time) in ids {
            writer.writeUInt64(hash.high)
            writer.writeUInt64(hash.low)
            writer.writeInt64(time)
        }
        writer.writeVarint(UInt64(experimentBlocks.count))
        for block in experimentBlocks {
            writer.writeVarint(block.offset)
            writer.writeVarint(block.length)
        }
        return writer.bytes
    }

    /// Decodes a catalog's raw bytes (after the block layer checked and inflated them).
    /// `offset` is the block's position, for errors.
    static func decode(_ bytes: [UInt8], path: String, offset: UInt64) throws -> Catalog {
        func corrupt(_ what: String) -> TallyError {
            TallyError.corruption("catalog: \(what)", path: path, offset: offset)
        }
        var reader = ByteReader(bytes)
        guard let version = reader.readUInt32() else { throw corrupt("truncated") }
        guard version == Catalog.version else { throw corrupt("unknown version \(version)") }
        var catalog = Catalog()
        guard let nextID = reader.readVarint(), let horizon = reader.readInt64(),
              let total = reader.readVarint(),
              let segmentCount = reader.readCount(max: min(maxSegments, reader.remaining / 13))
        else { throw corrupt("truncated header") }
        guard horizon == .min || TimeGrid.plausible.contains(horizon), total <= maxTotalEvents else {
            throw corrupt("retention horizon or event total out of range")
        }
        catalog.nextSegmentID = nextID
        catalog.retentionHorizon = horizon
        catalog.totalEventsIngested = total
        // Every segment entry takes at least 13 bytes (13 fields of at least one byte).
        catalog.segments.reserveCapacity(segmentCount)
        var events: UInt64 = 0
        for index in 0..<segmentCount {
            guard let segment = decodeSegment(&reader) else { throw corrupt("segment entry \(index) is malformed") }
            guard segment.id < nextID else { throw corrupt("segment id \(segment.id) is not below the next id") }
            events += segment.eventCount  // each at most 2^48, at most 2^20 of them
            catalog.segments.append(segment)
        }
        guard events <= maxTotalEvents else { throw corrupt("segments hold more events than any database can") }
        guard let idCount = reader.readCount(max: min(maxBatchIDs, reader.remaining / 24)) else {
            throw corrupt("batch id count is malformed")
        }
        catalog.batchIDs.reserveCapacity(idCount)
        for _ in 0..<idCount {
            guard let high = reader.readUInt64(), let low = reader.readUInt64(), let time = reader.readInt64() else {
                throw corrupt("batch id table is truncated")
            }
            catalog.batchIDs[BatchIDHash(high: high, low: low)] = time
        }
        guard let blockCount = reader.readCount(max: min(maxSegments, reader.remaining / 2)) else {
            throw corrupt("experiment block count is malformed")
        }
        for _ in 0..<blockCount {
            guard let blockOffset = reader.readVarint(), let blockLength = reader.readVarint(),
                  blockLength >= UInt64(Block.headerSize), blockOffset <= UInt64.max / 2, blockLength <= UInt64(Block.maxRawLength) * 2
            else { throw corrupt("experiment block entry is malformed") }
            catalog.experimentBlocks.append(BlockLocation(offset: blockOffset, length: blockLength))
        }
        guard reader.isAtEnd else { throw corrupt("trailing bytes") }
        return catalog
    }

    private static func decodeSegment(_ reader: inout ByteReader) -> SegmentInfo? {
        guard let id = reader.readVarint(), let offset = reader.readVarint(), let length = reader.readVarint(),
              let footerOffset = reader.readVarint(), let footerLength = reader.readVarint(),
              let partitionStart = reader.readSignedVarint(), let bucket = reader.readVarint(),
              let minTime = reader.readSignedVarint(), let maxTime = reader.readSignedVarint(),
              let rows = reader.readVarint(), let events = reader.readVarint(),
              let rawBytes = reader.readVarint(),
              let metricCount = reader.readCount(max: min(maxMetricsPerSegment, reader.remaining))
        else { return nil }
        var metrics: [String] = []
        metrics.reserveCapacity(metricCount)
        for _ in 0..<metricCount {
            guard let name = reader.readString(maxLength: Limits.maxNameBytes) else { return nil }
            metrics.append(name)
        }
        // Every bound is checked before any arithmetic on the fields.
        let extent: UInt64 = 1 << 62
        guard bucket > 0, bucket <= UInt64(Granularity.week.milliseconds), minTime <= maxTime,
              offset < extent, length < extent, footerOffset < extent, footerLength < extent,
              footerOffset >= offset, footerOffset + footerLength == offset + length,
              TimeGrid.plausible.contains(partitionStart), TimeGrid.plausible.contains(minTime),
              TimeGrid.plausible.contains(maxTime), rows <= UInt64(Int32.max), events <= maxEventsPerSegment
        else { return nil }
        return SegmentInfo(
            id: id, offset: offset, length: length, footerOffset: footerOffset, footerLength: footerLength,
            partitionStart: partitionStart, bucketMilliseconds: Int64(bucket), minTime: minTime,
            maxTime: maxTime, rowCount: rows, eventCount: events, rawBytes: rawBytes, metrics: metrics)
    }
}
