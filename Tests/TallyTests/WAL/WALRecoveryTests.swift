import Testing
@testable import Tally
import TallyTesting

/// Rules W1–W6: torn tails are cut, mid-log damage refuses to open unless salvaging.
@Suite struct WALRecoveryTests {
    /// Ingests `batches` tagged batches and "kills" the process: returns the crashed disk.
    func crashedDisk(batches: Int, size: Int = 20) throws -> SimulatedFileSystem {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for index in 0..<batches { try db.ingest(Fixtures.taggedBatch(index, size: size)) }
        return fileSystem.processCrash()
    }

    @Test func truncatingTheLogAtEveryOffsetKeepsExactlyTheWholeBatches() throws {
        let disk = try crashedDisk(batches: 3)
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        let wal = disk.snapshotFiles()[walPath]!
        // Frame boundaries, from a scan of the intact log.
        var frameEnds: [Int] = []
        var position = WALFormat.fileHeaderSize
        while position < wal.count {
            let length = Int(ByteReader(wal).getUInt32(at: position)!)
            position += WALFormat.paddedLength(payload: length)
            frameEnds.append(position)
        }
        #expect(frameEnds.count == 3 && frameEnds.last == wal.count)
        for cut in frameEnds[0]...wal.count {
            let fileSystem = disk.processCrash()
            fileSystem.setContents(Array(wal[0..<cut]), atPath: walPath)
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
            let whole = frameEnds.filter { $0 <= cut }.count
            let expected = Dictionary(uniqueKeysWithValues: (0..<whole).map { ($0, UInt64(20)) })
            #expect(try Fixtures.batchCounts(db) == expected, "cut at \(cut)")
            // The writer truncated the torn tail and can append after it.
            #expect(fileSystem.fileSize(atPath: walPath) == frameEnds[whole - 1])
            try db.ingest(Fixtures.taggedBatch(9, size: 5))
            #expect(try Fixtures.batchCounts(db)[9] == 5)
        }
    }

    @Test func damageBeforeADurableFrameRefusesToOpenWithTheOffset() throws {
        let disk = try crashedDisk(batches: 3)
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        var wal = disk.snapshotFiles()[walPath]!
        let damaged = WALFormat.fileHeaderSize + WALFormat.frameHeaderSize + 3  // inside frame 1's payload
        wal[damaged] ^= 0x40
        let fileSystem = disk.processCrash()
        fileSystem.setContents(wal, atPath: walPath)
        let error = #expect(throws: TallyError.self) {
            try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        }
        #expect(error?.code == .corruption)
        #expect(error?.offset == UInt64(WALFormat.fileHeaderSize))
        #expect(error?.path == walPath)
        // Salvage keeps what precedes the damage: nothing here, since frame 1 is damaged.
        var options = Fixtures.options(fileSystem)
        options.salvage = true
        let db = try Tally.open(at: Fixtures.path, options: options)
        #expect(try Fixtures.batchCounts(db).isEmpty)
    }

    @Test func aStaleLogIsIgnoredAndRemoved() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 10))
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        let staleLog = fileSystem.snapshotFiles()[walPath]!
        try db.close()
        #expect(!fileSystem.fileExists(atPath: walPath))
        // A crash between commit and log removal (C5) leaves the old log behind.
        fileSystem.setContents(staleLog, atPath: walPath)
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try Fixtures.batchCounts(db) == [0: 10])
        #expect(!fileSystem.fileExists(atPath: walPath))
    }

    @Test func recoveryActionsAreLoggedAndQuietByDefault() throws {
        let disk = try crashedDisk(batches: 2)
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        let wal = disk.snapshotFiles()[walPath]!
        let fileSystem = disk.processCrash()
        fileSystem.setContents(Array(wal.dropLast(3)), atPath: walPath)
        var options = Fixtures.options(fileSystem)
        let (logger, store) = CapturingLogHandler.logger()
        options.logger = logger
        _ = try Tally.open(at: Fixtures.path, options: options)
        #expect(store.messages.contains { $0.0 == .warning && $0.1.contains("torn or unsynced tail") })
    }

    @Test func aLogWithATornHeaderHoldsNoRecords() throws {
        let disk = try crashedDisk(batches: 1)
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        let wal = disk.snapshotFiles()[walPath]!
        for cut in 0..<WALFormat.fileHeaderSize {
            let fileSystem = disk.processCrash()
            fileSystem.setContents(Array(wal[0..<cut]), atPath: walPath)
            let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
            #expect(try Fixtures.batchCounts(db).isEmpty)
        }
    }
}

/// `Tally.walRecords(databasePath:)` shows a log that opening refuses.
@Suite struct WALInspectionTests {
    @Test func aDamagedLogCanBeListedWithoutOpening() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for index in 0..<3 { try db.ingest(Fixtures.taggedBatch(index, size: 5)) }
        let disk = fileSystem.processCrash()
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        var wal = disk.snapshotFiles()[walPath]!
        wal[WALFormat.fileHeaderSize + WALFormat.frameHeaderSize + 2] ^= 0x10
        disk.setContents(wal, atPath: walPath)
        #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(disk)) }
        let listing = try Tally.walRecords(databasePath: Fixtures.path, fileSystem: disk)
        #expect(listing.records.isEmpty)
        #expect(listing.ending.contains("CORRUPT at offset \(WALFormat.fileHeaderSize)"))
    }
}

/// Rule W6: a checksummed record whose content could not have been logged is corruption.
@Suite struct WALReplayValidationTests {
    @Test func aForgedRecordWithAnImpossibleTimestampIsCorruption() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 3))
        let disk = fileSystem.processCrash()
        let walPath = WALFormat.path(forDatabase: Fixtures.path)
        var wal = disk.snapshotFiles()[walPath]!
        let salt = WALFormat.decodeFileHeader(wal)!
        var forged = EventBatchBuilder.build([Event(timestamp: 0, metric: "m")])
        forged.timestamps[0] = -1
        let offset = UInt64(wal.count)
        wal += WALFormat.encodeFrame(
            type: .batch, payload: BatchRecord(batchID: nil, ingestTime: 0, events: forged).encode(), salt: salt,
            syncedOffset: offset)
        disk.setContents(wal, atPath: walPath)
        let error = #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(disk)) }
        #expect(error?.code == .corruption && error?.offset == offset)
    }
}
