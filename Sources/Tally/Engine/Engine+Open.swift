#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening: create a new database atomically, or load one and recover (format-spec.md, rules R1–R6).
///
/// - R1. Leftover temporaries (`<db>.creating`, `<db>.compacting`) are removed by a writer
///   (`<db>.compacting` only once it holds the lock).
/// - R2. The committed state is the valid superblock slot with the highest generation; if no
///   slot is valid the file is corrupt.
/// - R3. Bytes past the committed end are ignored; a writer truncates them.
/// - R4. The catalog and every segment it lists lie inside [8192, committedEnd).
/// - R5. The write-ahead log is replayed when its salt equals the superblock's `walSalt`
///   (rules W1–W5); a writer deletes a log with another salt.
/// - R6. A read-only open reads one committed state and the log only if its salt matches, so
///   it never mixes two states; it retries a few times to return the newest one.
extension Engine {
    static func open(path: String, options: Options) throws -> Engine {
        try validate(options)
        let fileSystem = options.fileSystem
        if !fileSystem.fileExists(atPath: path) {
            guard options.createIfMissing, !options.readOnly else {
                throw TallyError(.notFound, "no database at this path", path: path)
            }
            try create(path: path, options: options)
        }
        if options.readOnly { return try openReadOnly(path: path, options: options) }
        let engine = try loadLocked(path: path, options: options)  // R1, K9
        let file = engine.file
        engine.restoreClosedThrough()
        try engine.recoverWAL()
        if try file.size() > engine.superblock.committedEnd {
            engine.options.logger.notice(
                "cutting uncommitted bytes past the committed end",
                metadata: ["path": "\(path)", "committedEnd": "\(engine.superblock.committedEnd)"])
            try file.truncate(to: engine.superblock.committedEnd)
            try file.sync()
        }
        try engine.applyAutomaticRetention()  // rule T4
        try engine.flushIfNeeded()
        return engine
    }

    private static func validate(_ options: Options) throws {
        guard [.minute, .hour, .day].contains(options.bucket) else {
            throw TallyError.invalid("bucket must be minute, hour or day")
        }
        guard [.hour, .day, .week].contains(options.partition),
              options.partition.milliseconds >= options.bucket.milliseconds
        else { throw TallyError.invalid("partition must be hour, day or week, and no shorter than the bucket") }
        guard options.dedupeWindowMilliseconds >= 0, (options.retentionMilliseconds ?? 1) > 0 else {
            throw TallyError.invalid("dedupe window and retention must be positive")
        }
        for name in [options.exposureMetric, options.experimentDimension, options.variantDimension] {
            if let reason = Validator.checkName(name) { throw TallyError.invalid("experiment option \(reason)") }
        }
        guard options.memoryBudgetBytes >= 1 << 20, options.walBudgetBytes >= 1 << 20,
              options.limits.maxEventsPerBatch >= 1, options.limits.maxEventsPerBatch <= BatchRecord.maxEvents,
              options.limits.maxSeriesPerMetric >= 1
        else { throw TallyError.invalid("memory and WAL budgets must be at least 1 MiB; limits must be positive") }
    }

    /// Writes header, an empty catalog and the first superblock to `<db>.creating`, syncs,
    /// and moves it into place if no file took the name meanwhile, so a database file either is
    /// complete or does not exist, and concurrent creators agree on one file.
    private static func create(path: String, options: Options) throws {
        let fileSystem = options.fileSystem
        let header = FileHeader(
            bucketMilliseconds: options.bucket.milliseconds, partitionMilliseconds: options.partition.milliseconds,
            createdAt: options.clock.nowMilliseconds(), dedupeWindowMilliseconds: options.dedupeWindowMilliseconds,
            retentionMilliseconds: options.retentionMilliseconds ?? 0, exposureMetric: options.exposureMetric,
            experimentDimension: options.experimentDimension, variantDimension: options.variantDimension)
        let catalogBlock = Block.encode(Catalog().encode(), kind: .catalog)
        let superblock = Superblock(
            generation: 1, committedEnd: Superblock.dataStart + UInt64(catalogBlock.count),
            catalogOffset: Superblock.dataStart, catalogLength: UInt64(catalogBlock.count),
            walSalt: UInt64.random(in: 1...UInt64.max))
        var bytes = header.encode()
        bytes.append(contentsOf: [UInt8](repeating: 0, count: Int(Superblock.dataStart) - bytes.count))
        let slot = Int(Superblock.slotOffsets[Superblock.slot(for: 1)])
        bytes.replaceSubrange(slot..<slot + Superblock.encodedSize, with: superblock.encode())
        bytes.append(contentsOf: catalogBlock)
        // A temporary of its own, published without replacing: several processes may create
        // the same database at once, and exactly one file must win, never one that a writer
        // already locked (rule R1).
        let temporary = path + ".creating-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let file = try fileSystem.openFile(atPath: temporary, mode: .truncate)
        do {
            try file.write(bytes, at: 0)
            try file.sync()
            file.close()
            try fileSystem.moveFileIfAbsent(atPath: temporary, to: path)
        } catch let error as TallyError where error.osErrno == EEXIST || (error.osErrno == ENOENT && fileSystem.fileExists(atPath: path)) {
            // Another process created it first (and a writer of it may have swept our temporary).
            file.close()
            try? fileSystem.removeFile(atPath: temporary)
        }
        try fileSystem.syncDirectory(containing: path)
    }

    /// Removes the temporaries of creations that did not complete (`NAME.creating-*`, and
    /// `NAME.creating` of older versions). Caller holds the database's lock: a creation still
    /// in progress then only loses its temporary and opens the database that exists.
    static func removeCreationLeftovers(path: String, fileSystem: any FileSystem) throws {
        let prefix = Paths.fileName(of: path) + ".creating"
        let directory = Paths.directory(of: path)
        for name in try fileSystem.contentsOfDirectory(atPath: directory) where name.hasPrefix(prefix) {
            try fileSystem.removeFile(atPath: directory == "/" ? "/" + name : directory + "/" + name)
        }
    }

    /// Reads header, superblocks and catalog (rules R2–R4).
    static func load(path: String, file: any FileHandle, options: Options) throws -> Engine {
        let size = try file.size()
        let header = try FileHeader.decode(try file.read(at: 0, count: FileHeader.size), path: path)
        guard size >= Superblock.dataStart else {
            throw TallyError.corruption("file is shorter than its fixed header area", path: path, offset: size)
        }
        let superblock = try readSuperblock(file: file, size: size)
        let catalogBytes = try file.readExactly(at: superblock.catalogOffset, count: Int(superblock.catalogLength))
        guard let catalogBytes else {
            throw TallyError.corruption("catalog extends past the end of the file", path: path, offset: superblock.catalogOffset)
        }
        let raw = try Block.decode(catalogBytes, expectedKind: .catalog, path: path, offset: superblock.catalogOffset)
        let catalog = try Catalog.decode(raw, path: path, offset: superblock.catalogOffset)
        for segment in catalog.segments {
            guard segment.offset >= Superblock.dataStart, segment.length <= superblock.committedEnd,
                  segment.offset <= superblock.committedEnd - segment.length,
                  segment.partitionStart == TimeGrid.floor(segment.partitionStart, width: header.partitionMilliseconds)
            else {
                throw TallyError.corruption(
                    "catalog lists segment \(segment.id) outside the committed file", path: path,
                    offset: superblock.catalogOffset)
            }
        }
        let engine = Engine(
            path: path, options: options, header: header, file: file, superblock: superblock, catalog: catalog,
            readOnly: options.readOnly)
        try engine.loadExperimentState(aggregatesOnly: options.readOnly)
        return engine
    }

    /// The committed superblock (rules R2, S1, S2): the valid copy with the highest generation.
    ///
    /// A valid superblock is written only after every byte it covers was synced, so one that
    /// does not fit the file means damage (a truncated file, or a forged slot), never a torn
    /// write: it is corruption, not a reason to fall back to the older slot and lose the newer
    /// commits. `size` may predate a commit by a concurrent writer; the file is measured again
    /// before concluding.
    static func readSuperblock(file: any FileHandle, size: UInt64) throws -> Superblock {
        var best: (superblock: Superblock, offset: UInt64)?
        for offset in Superblock.slotOffsets {
            guard let candidate = Superblock.decode(try file.read(at: offset, count: Superblock.encodedSize)) else { continue }
            if best.map({ candidate.generation > $0.superblock.generation }) ?? true { best = (candidate, offset) }
        }
        guard let (superblock, offset) = best else {
            throw TallyError.corruption(
                "no valid superblock (both slots are damaged, or the file was truncated)", path: file.path,
                offset: Superblock.slotOffsets[0])
        }
        guard superblock.isConsistent(fileSize: UInt64.max) else {
            throw TallyError.corruption(
                "superblock generation \(superblock.generation) describes an impossible layout", path: file.path,
                offset: offset)
        }
        if superblock.committedEnd > size {
            let current = try file.size()
            guard superblock.committedEnd <= current else {
                throw TallyError.corruption(
                    "the file ends at \(current) bytes but its committed state needs \(superblock.committedEnd): it was truncated",
                    path: file.path, offset: current)
            }
        }
        return superblock
    }

    /// Replays the write-ahead log into the head (rule R5). Caller is the only user of the engine.
    func recoverWAL() throws {
        guard fileSystem.fileExists(atPath: walPath) else { return }
        let walFile: any FileHandle
        do {
            walFile = try fileSystem.openFile(atPath: walPath, mode: isReadOnly ? .readOnly : .readWrite)
        } catch let error as TallyError where error.code == .notFound && isReadOnly {
            return  // a writer checkpointed it just now: its batches are in a newer state (R6)
        }
        let scan = try WALReader.scan(walFile, expectedSalt: superblock.walSalt)
        guard scan.salt == superblock.walSalt else {
            walFile.close()
            if !isReadOnly {
                options.logger.info("removing a write-ahead log already reflected in the file", metadata: ["path": "\(walPath)"])
                try fileSystem.removeFile(atPath: walPath)
            }
            return
        }
        if scan.headerDamaged {
            guard options.salvage else {
                throw TallyError.corruption(
                    "write-ahead log header is damaged, but records of this database follow it; open with salvage to keep them",
                    path: walPath, offset: 0)
            }
            options.logger.error(
                "salvaging: the write-ahead log header is damaged; its records are kept and the header rewritten",
                metadata: ["path": "\(walPath)"])
        }
        switch scan.ending {
        case .clean:
            break
        case .tornTail(let offset):
            options.logger.warning(
                "write-ahead log ends in a torn or unsynced tail; it is cut there",
                metadata: ["path": "\(walPath)", "offset": "\(offset)"])
        case .corruptMiddle(let offset):
            guard options.salvage else {
                throw TallyError.corruption(
                    "write-ahead log is damaged before its end; open with salvage to keep the records before the damage",
                    path: walPath, offset: offset)
            }
            options.logger.error(
                "salvaging: discarding the write-ahead log from a damaged frame on",
                metadata: ["path": "\(walPath)", "offset": "\(offset)"])
        }
        if experiments.aggregatesOnly && !scan.records.isEmpty {
            try loadExperimentState()  // the log's batches need the assignments
        }
        try replay(scan.records)
        options.logger.debug("replayed the write-ahead log", metadata: ["records": "\(scan.records.count)"])
        if !isReadOnly {
            wal = try WALWriter.resume(
                file: walFile, salt: scan.salt!, validEnd: scan.validEnd, rewriteHeader: scan.headerDamaged)
        }
    }

    /// Rule R6. Whatever this returns is consistent: the catalog comes from one committed
    /// superblock, read through one descriptor (a file replaced by compaction stays readable
    /// through it), and the log is replayed only if its salt is that superblock's, so a commit
    /// in between can only leave the log's batches out (an older state, never half of one).
    /// Retrying when the generation moved returns the newest state when the writer lets it; a
    /// writer that commits faster than a reader can open does not make the open fail.
    private static func openReadOnly(path: String, options: Options) throws -> Engine {
        let attempts = 5
        for attempt in 1...attempts {
            let file = try options.fileSystem.openFile(atPath: path, mode: .readOnly)
            let engine = try load(path: path, file: file, options: options)
            try engine.recoverWAL()
            let check = try options.fileSystem.openFile(atPath: path, mode: .readOnly)
            defer { check.close() }
            let current = try? readSuperblock(file: check, size: check.size())
            if current == engine.superblock || attempt == attempts { return engine }
        }
        fatalError("unreachable: the last attempt returns")
    }
}
