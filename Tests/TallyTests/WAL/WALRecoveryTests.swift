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

/// Regressions found by the bit-flip sweep (issue 7, procedure 5): damage the old rules took for
/// a torn write, silently dropping acknowledged batches.
@Suite struct WALDamageTests {
    let walPath = WALFormat.path(forDatabase: Fixtures.path)

    func crashedDisk(batches: Int) throws -> SimulatedFileSystem {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for index in 0..<batches { try db.ingest(Fixtures.taggedBatch(index, size: 20)) }
        return fileSystem.processCrash()
    }

    func damaged(_ disk: SimulatedFileSystem, _ change: (inout [UInt8]) -> Void) -> SimulatedFileSystem {
        var wal = disk.snapshotFiles()[walPath]!
        change(&wal)
        let copy = disk.processCrash()
        copy.setContents(wal, atPath: walPath)
        return copy
    }

    /// Regression: a log whose header had one bad bit "held no records" (W1) and was deleted,
    /// losing every acknowledged batch in it (W1a).
    @Test func aDamagedLogHeaderRefusesToOpenAndSalvageKeepsTheRecords() throws {
        let disk = try crashedDisk(batches: 2)
        for byte in [0, 9, 13, 17, 24] {
            let copy = damaged(disk) { $0[byte] ^= 0x04 }
            let error = #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(copy)) }
            #expect(error?.code == .corruption && error?.offset == 0 && error?.path == walPath, "byte \(byte)")
            var options = Fixtures.options(copy)
            options.salvage = true
            let db = try Tally.open(at: Fixtures.path, options: options)
            #expect(try Fixtures.batchCounts(db) == [0: 20, 1: 20])
            #expect(try db.verify().isClean)
            try db.ingest(Fixtures.taggedBatch(2, size: 5))
            // Salvage rewrote the header: the log opens normally from now on.
            let again = copy.processCrash()
            let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(again))
            #expect(try Fixtures.batchCounts(reopened) == [0: 20, 1: 20, 2: 5])
        }
    }

    /// A stale log (another salt) with a damaged header is still just deleted.
    @Test func aDamagedHeaderOfAStaleLogIsStillIgnored() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 10))
        var stale = fileSystem.snapshotFiles()[walPath]!
        try db.close()
        stale[3] ^= 1
        fileSystem.setContents(stale, atPath: walPath)
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try Fixtures.batchCounts(reopened) == [0: 10])
        #expect(!fileSystem.fileExists(atPath: walPath))
    }

    /// Regression: one flipped bit in the last frame (no later frame vouches for it) was taken
    /// for a torn write and the acknowledged batch vanished (W4a).
    @Test func aFlippedBitInTheLastFrameIsCorruptionNotATornTail() throws {
        let disk = try crashedDisk(batches: 2)
        let wal = disk.snapshotFiles()[walPath]!
        let last = CorruptionSweepTests.frameOffsets(wal).last!
        let payloadLength = Int(ByteReader(wal).getUInt32(at: last)!)
        for byte in [0, 2, 4, 6, 9, 16, 19, 21, 24, 24 + payloadLength / 2, 24 + payloadLength - 1] {
            for bit in [0, 5] {
                let copy = damaged(disk) { $0[last + byte] ^= 1 << bit }
                let error = #expect(throws: TallyError.self, "byte \(byte) bit \(bit)") {
                    try Tally.open(at: Fixtures.path, options: Fixtures.options(copy))
                }
                #expect(error?.code == .corruption && error?.offset == UInt64(last))
            }
        }
    }

    /// A last frame that lost whole sectors, or its end, is still a torn tail (W4).
    @Test func aLastFrameMissingASectorIsStillATornTail() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Fixtures.taggedBatch(0, size: 20))
        try db.ingest(Fixtures.taggedBatch(1, size: 600))
        let disk = fileSystem.processCrash()
        let wal = disk.snapshotFiles()[walPath]!
        let last = CorruptionSweepTests.frameOffsets(wal).last!
        #expect(wal.count - last > 1024)
        for sector in stride(from: (last / 512 + 1) * 512, to: wal.count - 1, by: 512) {
            let copy = damaged(disk) { bytes in
                for i in sector..<min(sector + 512, bytes.count) { bytes[i] = 0 }
            }
            let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(copy))
            #expect(try Fixtures.batchCounts(reopened) == [0: 20], "sector at \(sector)")
        }
    }

    @Test func singleBitDifferencesAreRecognisedAndSectorLossIsNot() {
        var random = RandomEvents(seed: 5)
        let message = (0..<700).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let stored = CRC32.checksum(message)
        for bit in 0..<(8 * message.count) {
            var flipped = message
            flipped[bit / 8] ^= 1 << (bit % 8)
            #expect(CRC32.differsBySingleBit(computed: CRC32.checksum(flipped), stored: stored, length: message.count))
            #expect(!CRC32.differsBySingleBit(
                computed: CRC32.checksum(flipped), stored: stored, length: message.count, fromBit: bit + 1))
        }
        #expect(CRC32.differsBySingleBit(computed: stored, stored: stored ^ 0x0080_0000, length: message.count))
        var zeroed = message
        for i in 200..<712 where i < zeroed.count { zeroed[i] = 0 }
        #expect(!CRC32.differsBySingleBit(computed: CRC32.checksum(zeroed), stored: stored, length: message.count))
    }
}
