@testable import Tally
import TallyTesting

/// Forges database files whose checksums are all valid around hostile content (issue 7,
/// procedure 6): what a reader must survive when the bytes were written by someone else.
struct ForgedDatabase {
    var bytes: [UInt8]
    var superblock: Superblock
    var catalog: Catalog
    var wal: [UInt8]?

    /// A small real database (one flushed batch of metric `m`) to forge on.
    init() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 5))
        try db.close()
        bytes = fileSystem.snapshotFiles()[Fixtures.path]!
        superblock = try Engine.readSuperblock(file: MemoryFile(bytes), size: UInt64(bytes.count))
        let framed = Array(bytes[Int(superblock.catalogOffset)..<Int(superblock.catalogOffset + superblock.catalogLength)])
        catalog = try Catalog.decode(
            try Block.decode(framed, expectedKind: .catalog, path: "", offset: 0), path: "", offset: 0)
    }

    /// Appends `data` at the end of the file; returns its offset.
    mutating func append(_ data: [UInt8]) -> UInt64 {
        let offset = UInt64(bytes.count)
        bytes += data
        return offset
    }

    /// Makes `catalogRaw` (encoded, possibly hostile) the committed catalog: a new generation.
    mutating func commit(catalogRaw: [UInt8]) {
        let framed = ForgedDatabase.frame(catalogRaw, kind: .catalog)
        let offset = append(framed)
        superblock = Superblock(
            generation: superblock.generation + 1, committedEnd: UInt64(bytes.count), catalogOffset: offset,
            catalogLength: UInt64(framed.count), walSalt: superblock.walSalt)
        let slot = Int(Superblock.slotOffsets[Superblock.slot(for: superblock.generation)])
        bytes.replaceSubrange(slot..<slot + Superblock.encodedSize, with: superblock.encode())
    }

    mutating func commit() { commit(catalogRaw: catalog.encode()) }

    /// A simulated disk holding the forged files.
    func disk() -> SimulatedFileSystem {
        let disk = SimulatedFileSystem()
        disk.setContents(bytes, atPath: Fixtures.path)
        if let wal { disk.setContents(wal, atPath: WALFormat.path(forDatabase: Fixtures.path)) }
        return disk
    }

    /// A block with a valid checksum around any header values (format-spec.md, "Blocks").
    static func frame(
        _ stored: [UInt8], kind: BlockKind, codec: UInt8 = 0, rawLength: UInt32? = nil, storedLength: UInt32? = nil
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + stored.count)
        writer.writeUInt32(storedLength ?? UInt32(stored.count))
        writer.writeUInt32(rawLength ?? UInt32(stored.count))
        writer.writeUInt32(0)
        writer.writeUInt8(codec)
        writer.writeUInt8(kind.rawValue)
        writer.writeUInt16(0)
        writer.writeBytes(stored)
        var crc = CRC32.update(0, writer.bytes[0..<8])
        crc = CRC32.update(crc, writer.bytes[12...])
        writer.setUInt32(crc, at: 8)
        return writer.bytes
    }

    static func varints(_ values: [UInt64]) -> [UInt8] {
        var writer = ByteWriter(capacity: values.count * 2)
        for value in values { writer.writeVarint(value) }
        return writer.bytes
    }

    /// Appends a segment of metric `m` in the first partition and lists it in the catalog.
    /// Columns (and the totals) default to one well-formed row; `columns` replaces framed blocks by kind
    /// (`.sketchEntries` included), and `rows`/`events`/`series`/`strings` override the counts the
    /// footer and catalog claim, `zones` the row group's zones.
    mutating func addSegment(
        columns: [BlockKind: [UInt8]] = [:], dictionary: [UInt8]? = nil, rows: Int = 1, events: UInt64 = 1, series: Int = 1,
        strings: Int = 3, zones: [SegmentFooter.Zone] = [SegmentFooter.Zone(key: 1, minValue: 2, maxValue: 2)]
    ) {
        let partition = TimeGrid.floor(Fixtures.start, width: Granularity.day.milliseconds)
        var blocks: [(BlockKind, [UInt8])] = [
            (.series, Self.frame(Self.varints([0, 1, 1, 2]), kind: .series)),  // shares 0 pairs, 1 more: (1, 2)
            (.seriesRuns, Self.frame(Self.varints([1]), kind: .seriesRuns)),
            (.buckets, Self.frame(Self.varints([0]), kind: .buckets)),
            (.counts, Self.frame(Self.varints([1]), kind: .counts)),
        ]
        blocks = blocks.map { ($0.0, columns[$0.0] ?? $0.1) }
        blocks += columns.filter { column in !blocks.contains { $0.0 == column.key } && column.key != .sketchEntries }
            .map { ($0.key, $0.value) }
        var dictionaryRaw = ByteWriter(capacity: 16)
        dictionaryRaw.writeVarint(3)
        for string in ["m", "k", "v"] { dictionaryRaw.writeString(string) }
        var segment = dictionary ?? Self.frame(dictionaryRaw.bytes, kind: .dictionary)
        let dictionaryRef = SegmentFooter.BlockRef(offset: 0, length: UInt64(segment.count))
        var sketchEntriesRef = SegmentFooter.BlockRef(offset: 0, length: 0)
        if let entries = columns[.sketchEntries] {
            sketchEntriesRef = SegmentFooter.BlockRef(offset: UInt64(segment.count), length: UInt64(entries.count))
            segment += entries
        }
        let totals = columns[.metricTotals] ?? Self.frame(Self.varints([1, 0, 1, 0]), kind: .metricTotals)
        let totalsRef = SegmentFooter.BlockRef(offset: UInt64(segment.count), length: UInt64(totals.count))
        segment += totals
        var refs: [SegmentFooter.BlockRef] = []
        for kind in SegmentFooter.columnKinds {
            guard let block = blocks.first(where: { $0.0 == kind })?.1 else {
                refs.append(SegmentFooter.BlockRef(offset: 0, length: 0))
                continue
            }
            refs.append(SegmentFooter.BlockRef(offset: UInt64(segment.count), length: UInt64(block.count)))
            segment += block
        }
        let footer = SegmentFooter(
            partitionStart: partition, bucketMilliseconds: Granularity.hour.milliseconds, rowCount: rows,
            minTime: partition, maxTime: partition, dictionary: dictionaryRef, stringCount: strings,
            sketchEntries: sketchEntriesRef,
            metrics: [SegmentFooter.Metric(nameIndex: 0, totals: totalsRef, groups: [SegmentFooter.RowGroup(
                rowCount: rows, eventCount: events, seriesCount: series, minTime: partition, maxTime: partition,
                columns: .init(refs), zones: zones[...])])])
        let footerOffset = segment.count
        segment += Self.frame(footer.encode(), kind: .segmentFooter)
        let offset = append(segment)
        catalog.segments.append(SegmentInfo(
            id: catalog.nextSegmentID, offset: offset, length: UInt64(segment.count),
            footerOffset: offset + UInt64(footerOffset), footerLength: UInt64(segment.count - footerOffset),
            partitionStart: partition, bucketMilliseconds: Granularity.hour.milliseconds, minTime: partition,
            maxTime: partition, rowCount: UInt64(rows), eventCount: events, rawBytes: 0, metrics: ["m"]))
        catalog.nextSegmentID += 1
        commit()
    }
}
