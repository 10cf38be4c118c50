/// Compaction: rewrite the database into `<db>.compacting`, then swap it in (format-spec.md,
/// rules K1–K9).
///
/// Steps, and the locks they hold:
/// 1. Snapshot (`stateLock`, briefly): the catalog and the file handle.
/// 2. Merge (no engine lock): the temporary gets the header, then for each partition of the
///    snapshot one segment: its segments merged (and maybe downsampled), or copied byte for byte
///    when it has a single segment already at its bucket. Segments committed meanwhile are copied
///    too. Then the temporary is synced, so the last step syncs little.
/// 3. Swap (`stateLock`): flush the head into the old file (an ordinary commit that retires the
///    log); copy the segments committed since step 2; leave out merged partitions that retention
///    dropped meanwhile; write the catalog — the engine's current catalog with the new segment
///    list, so batch ids, horizon, totals and every other field carry over — and a superblock of
///    the next generation; sync; rename over the database; sync the directory; then use the new
///    file.
///
/// From the flush in step 3 on, both files hold the same committed state, so a crash at any
/// point leaves a complete database under the name: the old file until the rename is durable,
/// then the new one. Queries keep the handle they started with and finish on the old file, which
/// the operating system keeps until its last handle closes.
///
/// Locking: `compactionLock` for the whole run (one compaction at a time), then `stateLock`
/// as above; ingest and queries proceed during steps 1–2 and wait only during step 3.
extension Engine {
    func compact(_ options: CompactOptions) throws -> CompactionResult {
        let downsampler = try Downsampler(
            rules: options.downsample, databaseBucket: bucketMilliseconds, partitionMilliseconds: partitionMilliseconds)
        return try compactionLock.withLock { () throws -> CompactionResult in
            var run = try CompactionRun(engine: self, downsampler: downsampler, progress: options.progress)
            return try run.execute()
        }
    }

    /// Makes the compacted file the engine's file. Caller holds `stateLock`. The old handle is
    /// not closed: queries that hold it finish on it, and it closes when the last one lets go.
    fileprivate func install(file newFile: any FileHandle, superblock newSuperblock: Superblock, catalog newCatalog: Catalog) {
        file = newFile
        superblock = newSuperblock
        catalog = newCatalog
        let live = Set(newCatalog.segments.map(\.id))
        segmentCache.withLock { cache in cache = cache.filter { live.contains($0.key) } }
        columnCache.withLock { $0.keepOnly(segments: live) }
    }
}

extension Engine {
    /// Opens the database file for writing, takes its lock and loads it (R1, R2–R4), making sure
    /// the lock is on the file that the name refers to (rule K9): a compaction may rename a new
    /// file over the name between this process opening the old one and locking it, after the
    /// compacting writer let the old one go. Then this handle's committed superblock differs
    /// from the name's (the new file has a higher generation), and opening starts over.
    /// Only then is a compaction's leftover temporary removed.
    static func loadLocked(path: String, options: Options) throws -> Engine {
        let fileSystem = options.fileSystem
        for _ in 0..<100 {
            let file = try fileSystem.openFile(atPath: path, mode: .readWrite)
            try file.lockExclusive()
            let engine = try load(path: path, file: file, options: options)
            let check = try fileSystem.openFile(atPath: path, mode: .readOnly)
            defer { check.close() }
            guard try readSuperblock(file: check, size: check.size()) == engine.superblock else {
                file.close()
                continue
            }
            if fileSystem.fileExists(atPath: path + ".compacting") {
                try fileSystem.removeFile(atPath: path + ".compacting")
            }
            try removeCreationLeftovers(path: path, fileSystem: fileSystem)
            return engine
        }
        throw TallyError(.io, "the database file kept being replaced while it was being opened; try again", path: path)
    }
}

/// The state of one compaction: the temporary file and what has been written to it.
private struct CompactionRun {
    let engine: Engine
    let downsampler: Downsampler
    let progress: (@Sendable (CompactionProgress) -> Void)?
    let temporaryPath: String
    /// The database file when compaction started; every segment is read from it (only compaction
    /// replaces the engine's file, and one compaction runs at a time).
    let source: any FileHandle
    let snapshot: Catalog
    let temporary: any FileHandle
    /// Where the next segment goes in the temporary.
    var offset = Superblock.dataStart
    var written: [Written] = []
    /// Ids of the database's segments that something in `written` stands for.
    var covered: Set<UInt64> = []
    var partitionsDone = 0
    var partitionsTotal = 0
    /// Set once the rename may have happened: from then on the temporary is the database.
    var renamed = false

    struct Written {
        /// Offsets are the temporary's. The id is fixed at the swap for merged segments.
        var info: SegmentInfo
        /// The segments it replaces: it is kept only if they all still exist at the swap.
        var sources: [UInt64]
        /// Merged segments get fresh ids (a new content must not hit a cached footer); copied
        /// ones keep theirs (same bytes, and footers refer to blocks relative to the segment).
        var isMerged: Bool
        var isDownsampled: Bool
    }

    init(engine: Engine, downsampler: Downsampler, progress: (@Sendable (CompactionProgress) -> Void)?) throws {
        self.engine = engine
        self.downsampler = downsampler
        self.progress = progress
        temporaryPath = engine.path + ".compacting"
        (snapshot, source) = try engine.stateLock.withLock { () throws -> (Catalog, any FileHandle) in
            try engine.checkWritable()
            return (engine.catalog, engine.file)
        }
        temporary = try engine.fileSystem.openFile(atPath: temporaryPath, mode: .truncate)
    }

    mutating func execute() throws -> CompactionResult {
        do {
            // K2: the temporary is locked before it can become the database by name.
            try temporary.lockExclusive()
            try writeHeader()
            try engine.crashPoint(.compactTemporaryCreated)
            try mergePartitions()
            try engine.crashPoint(.compactPartitionsWritten)
            try copySegmentsCommittedMeanwhile()
            try temporary.sync()
            try engine.crashPoint(.compactDataSynced)
            report(.committing)
            let result = try engine.stateLock.withLock { () throws -> CompactionResult in try swap() }
            report(.finished)
            return result
        } catch {
            if !renamed {
                temporary.close()
                try? engine.fileSystem.removeFile(atPath: temporaryPath)
            }
            throw error
        }
    }

    /// The header is immutable (H3): copied byte for byte; the superblock slots start zeroed.
    private mutating func writeHeader() throws {
        guard let header = try source.readExactly(at: 0, count: FileHeader.size) else {
            throw TallyError.corruption("file header is truncated", path: engine.path, offset: 0)
        }
        try temporary.write(header + [UInt8](repeating: 0, count: Int(Superblock.dataStart) - FileHeader.size), at: 0)
    }

    /// K3, K7: one segment per partition of the snapshot.
    private mutating func mergePartitions() throws {
        let partitions = Dictionary(grouping: snapshot.segments, by: \.partitionStart)
        partitionsTotal = partitions.count
        let now = engine.clock.nowMilliseconds()
        for start in partitions.keys.sorted() {
            let sources = partitions[start]!.sorted { $0.id < $1.id }
            let sourceBucket = sources.map(\.bucketMilliseconds).max()!
            let bucket = downsampler.bucket(
                partitionStart: start, sourceBuckets: sources.map(\.bucketMilliseconds), now: now)
            if sources.count == 1 && sources[0].bucketMilliseconds == bucket {
                try copy(sources[0])
            } else {
                var merger = SegmentMerger(partitionStart: start, bucketMilliseconds: bucket)
                for segment in sources { merger.add(try reader(segment).readContent()) }
                let content = merger.content()
                let encoded = SegmentWriter.encode(content)
                try temporary.write(encoded.bytes, at: offset)
                written.append(Written(
                    info: SegmentInfo(id: 0, offset: offset, encoded: encoded, content: content),
                    sources: sources.map(\.id), isMerged: true, isDownsampled: bucket > sourceBucket))
                covered.formUnion(sources.map(\.id))
                offset += UInt64(encoded.bytes.count)
            }
            partitionsDone += 1
            report(.merging)
        }
    }

    /// Copies the segments flushed since the snapshot, without the state lock, so that the swap
    /// has little left to copy. A few rounds at most: ingest may keep flushing.
    private mutating func copySegmentsCommittedMeanwhile() throws {
        for _ in 0..<3 {
            let current = try engine.stateLock.withLock { () throws -> [SegmentInfo] in
                try engine.checkWritable()
                return engine.catalog.segments
            }
            let fresh = current.filter { !covered.contains($0.id) }
            if fresh.isEmpty { return }
            for segment in fresh { try copy(segment) }
            report(.copying)
        }
    }

    /// Copies one segment byte for byte after decoding it once, so that compaction never carries
    /// damage over unnoticed (a damaged segment fails the compaction with its offset).
    private mutating func copy(_ segment: SegmentInfo) throws {
        _ = try reader(segment).readContent()
        var done: UInt64 = 0
        while done < segment.length {
            let count = Int(min(segment.length - done, 1 << 20))
            guard let bytes = try source.readExactly(at: segment.offset + done, count: count) else {
                throw TallyError.corruption(
                    "segment \(segment.id) extends past the end of the file", path: engine.path, offset: segment.offset)
            }
            try temporary.write(bytes, at: offset + done)
            done += UInt64(count)
        }
        var info = segment
        info.offset = offset
        info.footerOffset = offset + (segment.footerOffset - segment.offset)
        written.append(Written(info: info, sources: [segment.id], isMerged: false, isDownsampled: false))
        covered.insert(segment.id)
        offset += segment.length
    }

    private func reader(_ segment: SegmentInfo) -> SegmentReader {
        SegmentReader(file: source, info: segment, partitionMilliseconds: engine.partitionMilliseconds)
    }

    /// Step 3 (K4–K6, K8). Caller holds the engine's `stateLock`.
    private mutating func swap() throws -> CompactionResult {
        try engine.checkWritable()
        try engine.flushLocked()
        try engine.crashPoint(.compactHeadFlushed)
        let current = engine.catalog
        for segment in current.segments where !covered.contains(segment.id) { try copy(segment) }
        let present = Set(current.segments.map(\.id))
        let kept = written.filter { $0.sources.allSatisfy(present.contains) }
        var catalog = current
        catalog.segments = []
        for entry in kept {
            var info = entry.info
            if entry.isMerged {
                info.id = catalog.nextSegmentID
                catalog.nextSegmentID += 1
            }
            catalog.segments.append(info)
        }
        // The experiment state blocks lie in the old file: the new one gets a single base.
        if !current.experimentBlocks.isEmpty {
            let block = Block.encode(engine.experiments.encode(full: true), kind: .experimentState)
            try temporary.write(block, at: offset)
            catalog.experimentBlocks = [BlockLocation(offset: offset, length: UInt64(block.count))]
            offset += UInt64(block.count)
        }
        let catalogBlock = Block.encode(catalog.encode(), kind: .catalog)
        try temporary.write(catalogBlock, at: offset)
        let superblock = Superblock(
            generation: engine.superblock.generation + 1, committedEnd: offset + UInt64(catalogBlock.count),
            catalogOffset: offset, catalogLength: UInt64(catalogBlock.count),
            walSalt: UInt64.random(in: 1...UInt64.max))
        try temporary.write(superblock.encode(), at: Superblock.slotOffsets[Superblock.slot(for: superblock.generation)])
        try engine.crashPoint(.compactCatalogWritten)
        try temporary.sync()
        try engine.crashPoint(.compactTemporarySynced)
        let result = CompactionResult(
            bytesBefore: try engine.file.size(), bytesAfter: superblock.committedEnd,
            segmentsBefore: current.segments.count, segmentsAfter: catalog.segments.count,
            partitions: Set(catalog.segments.map(\.partitionStart)).count,
            partitionsRewritten: kept.filter(\.isMerged).count, partitionsDownsampled: kept.filter(\.isDownsampled).count,
            rowsBefore: current.segments.reduce(0) { $0 + $1.rowCount },
            rowsAfter: catalog.segments.reduce(0) { $0 + $1.rowCount })
        do {
            try engine.fileSystem.renameFile(atPath: temporaryPath, to: engine.path)
        } catch {
            // A failed rename changes nothing: the temporary keeps its name. If the name is gone
            // the rename happened after all, and the new file is the database.
            guard !engine.fileSystem.fileExists(atPath: temporaryPath) else { throw error }
            renamed = true
            engine.install(file: temporary, superblock: superblock, catalog: catalog)
            throw engine.poison(error)
        }
        renamed = true
        try engine.crashPoint(.compactRenamed)
        do {
            try engine.fileSystem.syncDirectory(containing: engine.path)
        } catch {
            // Which file a power loss would leave is unknown; both are complete, but a log
            // started for the new one would not apply to the old one. Refuse writes until reopened.
            engine.install(file: temporary, superblock: superblock, catalog: catalog)
            throw engine.poison(error)
        }
        try engine.crashPoint(.compactDirectorySynced)
        engine.install(file: temporary, superblock: superblock, catalog: catalog)
        return result
    }

    private func report(_ phase: CompactionProgress.Phase) {
        progress?(CompactionProgress(
            phase: phase, partitionsDone: partitionsDone, partitionsTotal: partitionsTotal, bytesWritten: offset))
    }
}
