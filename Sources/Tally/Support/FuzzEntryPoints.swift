/// Entry points for the libFuzzer targets of `Fuzz/` (issue 7, procedure 6), as an SPI that
/// ordinary clients never see: `@_spi(Fuzzing) import Tally`.
///
/// Each entry point feeds bytes to one reader of the format and must return normally for any
/// input: a reader that traps, overflows or allocates beyond its caps is a bug. Where a reader
/// accepts the bytes, the entry point also checks an oracle with `precondition` (a failed one is
/// a crash the fuzzer reports): what decodes re-encodes to bytes that decode to the same thing,
/// and segments written from valid batches read back and pass `verify`'s invariants.
///
/// Checksums stop a fuzzer at the framing, so the entry points that test what lies behind them
/// first repair every checksum they can find (`repairingChecksums`).
@_spi(Fuzzing) public enum FuzzEntryPoints {
    static let partition = Granularity.day.milliseconds

    /// The bytes as a write-ahead log (rules W1–W6): scanned as a writer and as a reader
    /// would, every record decoded and validated. With `repairingChecksums`, the file header
    /// and each frame that fits get valid checksums first.
    public static func writeAheadLog(_ input: [UInt8], repairingChecksums: Bool) {
        var bytes = input
        if repairingChecksums { repairLogChecksums(&bytes) }
        let file = MemoryFile(bytes)
        let salt = WALFormat.decodeFileHeader(bytes) ?? 1
        for expected in [nil, salt] {
            guard let scan = try? WALReader.scan(file, expectedSalt: expected) else { continue }
            for record in scan.records {
                guard let batch = BatchRecord.decode(record.payload) else { continue }
                _ = Validator.isReplayable(batch.events)
            }
        }
    }

    /// The bytes as the payload of a batch record. What decodes must re-encode canonically;
    /// what also validates is folded into a head and an experiment state, written as segments,
    /// and read back: the segments must satisfy every `verify` invariant.
    public static func batchRecord(_ input: [UInt8]) {
        guard let record = BatchRecord.decode(input) else { return }
        let encoded = record.encode()
        precondition(BatchRecord.decode(encoded)?.encode() == encoded, "batch record does not re-encode canonically")
        guard Validator.isReplayable(record.events) else { return }
        var head = Head(bucketMilliseconds: Granularity.hour.milliseconds)
        var experiments = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        _ = head.apply(record.events, horizon: .min)
        experiments.apply(record.events, horizon: .min)
        for content in head.segmentContents(partitionMilliseconds: partition) {
            let segment = SegmentWriter.encode(content)
            let info = SegmentInfo(
                id: 1, offset: 0, length: UInt64(segment.bytes.count), footerOffset: UInt64(segment.footerOffset),
                footerLength: UInt64(segment.bytes.count - segment.footerOffset), partitionStart: content.partitionStart,
                bucketMilliseconds: content.bucketMilliseconds, minTime: segment.footer.minTime,
                maxTime: segment.footer.maxTime, rowCount: UInt64(content.rowCount), eventCount: content.eventCount,
                rawBytes: UInt64(segment.rawBytes), metrics: content.metrics.map(\.name))
            let reader = SegmentReader(file: MemoryFile(segment.bytes), info: info, partitionMilliseconds: partition)
            guard let footer = try? reader.readFooter(), let back = try? reader.readContent() else {
                preconditionFailure("a segment written from a valid batch does not read back")
            }
            let violations = Engine.invariantViolations(back, segment: info, footer: footer)
            precondition(violations.isEmpty, "a segment written from a valid batch breaks \(violations)")
        }
        for experiment in experiments.experiments {
            _ = try? VariantReport(state: experiments, experiment: experiment, metrics: nil, control: nil, weights: nil)
        }
        assertReencodes(experiments)
    }

    /// The bytes as a segment: a run of blocks whose last complete block is the footer. Block
    /// checksums are repaired first; then the segment is read whole, as `verify` and
    /// compaction read it, and column by column, as queries do.
    public static func segment(_ input: [UInt8]) {
        var bytes = input
        let blocks = repairBlockChecksums(&bytes, from: 0)
        guard let footerStart = blocks.last, bytes.count - footerStart >= Block.headerSize else { return }
        let end = footerStart + Block.headerSize + Int(ByteReader(bytes).getUInt32(at: footerStart)!)
        guard let raw = try? Block.decode(Array(bytes[footerStart..<end]), expectedKind: .segmentFooter, path: "", offset: 0)
        else { return }
        let summary = try? SegmentFooter.decodeSummary(
            raw, segmentLength: UInt64(end), footerLength: UInt64(end - footerStart), path: "", offset: 0)
        guard let footer = try? SegmentFooter.decode(
            raw, segmentLength: UInt64(end), footerLength: UInt64(end - footerStart), path: "", offset: 0)
        else { return }
        // The summary steps over what the full decode checks, never the other way round.
        precondition(summary == footer.summary, "a footer decodes whole but its summary differs")
        let info = SegmentInfo(
            id: 1, offset: 0, length: UInt64(end), footerOffset: UInt64(footerStart), footerLength: UInt64(end - footerStart),
            partitionStart: footer.partitionStart, bucketMilliseconds: footer.bucketMilliseconds, minTime: footer.minTime,
            maxTime: footer.maxTime, rowCount: UInt64(footer.rowCount), eventCount: 0, rawBytes: 0, metrics: [])
        for partition in [partition, Granularity.week.milliseconds] {
            let reader = SegmentReader(file: MemoryFile(bytes), info: info, partitionMilliseconds: partition)
            if let content = try? reader.readContent() {
                _ = Engine.invariantViolations(content, segment: info, footer: footer)
            }
            let sketchEntries = try? reader.readSketchEntries(footer)
            for metric in footer.metrics {
                _ = try? reader.readTotals(metric, footer: footer)
                for group in metric.groups {
                    for columns: SegmentReader.Columns in [[], .values, .sketches, .all] {
                        _ = try? reader.readColumns(group, footer: footer, columns: columns, sketchEntries: sketchEntries)
                    }
                }
            }
        }
    }

    /// The bytes as a catalog's content: what decodes must survive encoding and decoding again.
    public static func catalog(_ input: [UInt8]) {
        guard let catalog = try? Catalog.decode(input, path: "", offset: 0) else { return }
        precondition((try? Catalog.decode(catalog.encode(), path: "", offset: 0)) == catalog, "catalog does not round-trip")
    }

    /// The bytes as a list of experiment state blocks' contents, each preceded by a 16-bit
    /// little-endian length, loaded in order (rule X1–X3). After each block that loads, the
    /// reports are computed and the state must re-encode canonically.
    public static func experimentState(_ input: [UInt8]) {
        var state = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        var position = 0
        while position + 2 <= input.count {
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            position += 2
            let block = Array(input[position..<min(input.count, position + length)])
            position += block.count
            guard state.load(block) else { return }
            for experiment in state.experiments {
                _ = try? VariantReport(state: state, experiment: experiment, metrics: nil, control: nil, weights: nil)
            }
            assertReencodes(state)
        }
    }

    private static func assertReencodes(_ state: ExperimentState) {
        let base = state.encode(full: true)
        var again = ExperimentState(
            exposureMetric: state.exposureMetric, experimentDimension: state.experimentDimension,
            variantDimension: state.variantDimension)
        precondition(again.load(base) && again.encode(full: true) == base, "experiment state does not re-encode canonically")
    }

    // MARK: Checksum repair

    /// Gives a log's header and every frame that fits valid checksums.
    static func repairLogChecksums(_ bytes: inout [UInt8]) {
        guard bytes.count >= WALFormat.fileHeaderSize else { return }
        var header = ByteWriter(capacity: 4)
        header.writeUInt32(CRC32.checksum(bytes[0..<24]))
        bytes.replaceSubrange(24..<28, with: header.bytes)
        guard let salt = WALFormat.decodeFileHeader(bytes) else { return }
        var position = WALFormat.fileHeaderSize
        while bytes.count - position >= WALFormat.frameHeaderSize {
            let length = Int(ByteReader(bytes).getUInt32(at: position)!)
            guard length <= bytes.count - position - WALFormat.frameHeaderSize else { return }
            let payloadStart = position + WALFormat.frameHeaderSize
            var crc = ByteWriter(capacity: 4)
            crc.writeUInt32(WALFormat.frameChecksum(
                header: bytes[position..<position + 16], payload: bytes[payloadStart..<payloadStart + length], salt: salt))
            bytes.replaceSubrange(position + 16..<position + 20, with: crc.bytes)
            position += WALFormat.paddedLength(payload: length)
        }
    }

    /// Gives every block that fits, walking from `start`, a valid checksum; returns their offsets.
    @discardableResult
    static func repairBlockChecksums(_ bytes: inout [UInt8], from start: Int) -> [Int] {
        var offsets: [Int] = []
        var position = start
        while bytes.count - position >= Block.headerSize {
            let stored = Int(ByteReader(bytes).getUInt32(at: position)!)
            guard stored <= bytes.count - position - Block.headerSize else { break }
            let end = position + Block.headerSize + stored
            var crc = CRC32.update(0, bytes[position..<position + 8])
            crc = CRC32.update(crc, bytes[position + 12..<end])
            var field = ByteWriter(capacity: 4)
            field.writeUInt32(crc)
            bytes.replaceSubrange(position + 8..<position + 12, with: field.bytes)
            offsets.append(position)
            position = end
        }
        return offsets
    }

    /// Repairs the header's, both superblock copies' and every block's checksums of a database
    /// file, so that a fuzzer mutating it reaches the catalog, segments and experiment state.
    public static func repairDatabaseChecksums(_ bytes: inout [UInt8]) {
        if bytes.count >= 16 {
            let length = Int(ByteReader(bytes).getUInt32(at: 12)!)
            if length >= 60, length <= min(FileHeader.size, bytes.count) {
                var crc = ByteWriter(capacity: 4)
                crc.writeUInt32(CRC32.checksum(bytes[0..<length - 4]))
                bytes.replaceSubrange(length - 4..<length, with: crc.bytes)
            }
        }
        for slot in Superblock.slotOffsets.map(Int.init) {
            for copy in [slot, slot + Superblock.copySize] where bytes.count >= copy + Superblock.copySize {
                var crc = ByteWriter(capacity: 4)
                crc.writeUInt32(CRC32.checksum(bytes[copy..<copy + 56]))
                bytes.replaceSubrange(copy + 56..<copy + 60, with: crc.bytes)
            }
        }
        repairBlockChecksums(&bytes, from: Int(Superblock.dataStart))
    }

    // MARK: Seeds

    /// Seed inputs for each target from a real database file and log: the log itself, each
    /// record payload, each segment, the committed catalog's content and the experiment state
    /// blocks' contents (in the target's length-prefixed form).
    public static func seeds(database: [UInt8], log: [UInt8]?) throws -> [String: [[UInt8]]] {
        let file = MemoryFile(database)
        let superblock = try Engine.readSuperblock(file: file, size: UInt64(database.count))
        func raw(_ offset: UInt64, _ length: UInt64, _ kind: BlockKind) throws -> [UInt8] {
            try Block.decode(Array(database[Int(offset)..<Int(offset + length)]), expectedKind: kind, path: "", offset: offset)
        }
        let catalogRaw = try raw(superblock.catalogOffset, superblock.catalogLength, .catalog)
        let catalog = try Catalog.decode(catalogRaw, path: "", offset: 0)
        var seeds: [String: [[UInt8]]] = ["catalog": [catalogRaw], "database": [database]]
        seeds["segment"] = catalog.segments.map { Array(database[Int($0.offset)..<Int($0.offset + $0.length)]) }
        var experimentInput: [UInt8] = []
        for block in catalog.experimentBlocks {
            let content = try raw(block.offset, block.length, .experimentState)
            experimentInput += [UInt8(content.count & 0xFF), UInt8(content.count >> 8 & 0xFF)] + content.prefix(0xFFFF)
        }
        seeds["experiment-state"] = [experimentInput]
        if let log {
            seeds["wal"] = [log]
            seeds["batch-record"] = try WALReader.scan(MemoryFile(log)).records.map(\.payload)
        }
        return seeds
    }
}

/// A read-only file over bytes in memory, for the entry points above.
final class MemoryFile: FileHandle, @unchecked Sendable {
    let path = "memory"
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0, offset < UInt64(bytes.count) else { return [] }
        return Array(bytes[Int(offset)..<Int(offset) + min(count, bytes.count - Int(offset))])
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws { throw TallyError(.readOnly, "in-memory file", path: path) }
    func size() throws -> UInt64 { UInt64(bytes.count) }
    func truncate(to size: UInt64) throws { throw TallyError(.readOnly, "in-memory file", path: path) }
    func sync() throws {}
    func lockExclusive() throws {}
    func close() {}
}
