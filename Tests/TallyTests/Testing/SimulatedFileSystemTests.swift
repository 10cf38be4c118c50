import Dispatch
import Glibc
import Testing
@testable import Tally
import TallyTesting

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension SimulatedFileSystem {
    /// Test helper: writes `text` to a new file at `path`, then syncs the file and its directory
    /// unless told not to.
    func writeTestFile(_ path: String, _ text: String, sync: Bool = true, syncDirectory: Bool = true) throws {
        let file = try openFile(atPath: path, mode: .truncate)
        try file.write(Array(text.utf8), at: 0)
        if sync { try file.sync() }
        file.close()
        if syncDirectory { try self.syncDirectory(containing: path) }
    }
}

extension TallyError {
    /// Test helper: the `TallyError` that `body` throws; records a failure and returns `nil` when
    /// it throws nothing or another type.
    static func thrown(
        sourceLocation: SourceLocation = #_sourceLocation, by body: () throws -> Void
    ) -> TallyError? {
        #expect(throws: TallyError.self, sourceLocation: sourceLocation) { try body() }
    }
}

@Suite struct SimulatedFileSystemDurabilityTests {
    @Test func unsyncedWriteIsDroppedByPowerLossAndKeptByProcessCrash() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/wal", "synced")
        let file = try fs.openFile(atPath: "db/wal", mode: .readWrite)
        try file.write(bytes("+more"), at: 6)
        #expect(fs.snapshotFiles()["db/wal"] == bytes("synced+more"))
        #expect(!fs.isDurable(atPath: "db/wal"))

        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles() == ["db/wal": bytes("synced")])
        let killed = fs.processCrash()
        #expect(killed.snapshotFiles() == ["db/wal": bytes("synced+more")])
        // kill -9 keeps the page cache but makes nothing durable.
        #expect(killed.powerLoss(.dropUnsynced).snapshotFiles() == ["db/wal": bytes("synced")])
        #expect(fs.powerLoss(.keepUnsynced).snapshotFiles() == ["db/wal": bytes("synced+more")])
    }

    @Test func syncedWriteSurvivesEveryPolicy() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/seg", "payload")
        #expect(fs.isDurable(atPath: "db/seg"))
        for policy in PowerLossPolicy.allCases {
            #expect(fs.powerLoss(policy, seed: 7).snapshotFiles() == ["db/seg": bytes("payload")])
        }
    }

    @Test func createdFileVanishesUntilItsDirectoryIsSynced() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/new", "data", sync: true, syncDirectory: false)
        #expect(fs.fileExists(atPath: "db/new"))
        #expect(fs.powerLoss(.keepUnsynced).snapshotFiles().isEmpty)

        let fs2 = SimulatedFileSystem()
        try fs2.writeTestFile("db/new", "data", sync: true, syncDirectory: true)
        #expect(fs2.powerLoss(.dropUnsynced).snapshotFiles() == ["db/new": bytes("data")])
    }

    @Test func directorySyncWithoutDataSyncLeavesAnEmptyFile() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/new", "data", sync: false, syncDirectory: true)
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles() == ["db/new": []])
    }

    @Test func directorySyncCoversOnlyThatDirectory() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("a/x", "1", syncDirectory: false)
        try fs.writeTestFile("b/y", "2", syncDirectory: false)
        try fs.syncDirectory(containing: "a/anything")
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles() == ["a/x": bytes("1")])
    }

    @Test func renameIsDurableOnlyAfterDirectorySync() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/catalog", "old")
        try fs.writeTestFile("db/catalog.tmp", "new", syncDirectory: false)
        try fs.renameFile(atPath: "db/catalog.tmp", to: "db/catalog")
        #expect(fs.snapshotFiles() == ["db/catalog": bytes("new")])
        #expect(fs.powerLoss(.keepUnsynced).snapshotFiles() == ["db/catalog": bytes("old")])

        let fs2 = SimulatedFileSystem()
        try fs2.writeTestFile("db/catalog", "old")
        try fs2.writeTestFile("db/catalog.tmp", "new", syncDirectory: false)
        try fs2.renameFile(atPath: "db/catalog.tmp", to: "db/catalog")
        try fs2.syncDirectory(containing: "db/catalog")
        #expect(fs2.powerLoss(.dropUnsynced).snapshotFiles() == ["db/catalog": bytes("new")])
    }

    @Test func removeIsDurableOnlyAfterDirectorySync() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/old", "x")
        try fs.removeFile(atPath: "db/old")
        try fs.removeFile(atPath: "db/never-existed")
        #expect(!fs.fileExists(atPath: "db/old"))
        #expect(fs.processCrash().snapshotFiles().isEmpty)
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles() == ["db/old": bytes("x")])

        let fs2 = SimulatedFileSystem()
        try fs2.writeTestFile("db/old", "x")
        try fs2.removeFile(atPath: "db/old")
        try fs2.syncDirectory(containing: "db/old")
        #expect(fs2.powerLoss(.dropUnsynced).snapshotFiles().isEmpty)
    }

    @Test func truncateIsPendingUntilSync() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/wal", "0123456789")
        let file = try fs.openFile(atPath: "db/wal", mode: .readWrite)
        try file.truncate(to: 4)
        #expect(try file.size() == 4)
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles()["db/wal"] == bytes("0123456789"))

        let fs2 = SimulatedFileSystem()
        try fs2.writeTestFile("db/wal", "0123456789")
        let file2 = try fs2.openFile(atPath: "db/wal", mode: .readWrite)
        try file2.truncate(to: 4)
        try file2.sync()
        #expect(fs2.powerLoss(.dropUnsynced).snapshotFiles()["db/wal"] == bytes("0123"))
    }

    @Test func openWithTruncateIsPendingUntilSync() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/f", "keep me")
        let file = try fs.openFile(atPath: "db/f", mode: .truncate)
        #expect(try file.size() == 0)
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles()["db/f"] == bytes("keep me"))
    }
}

@Suite struct SimulatedFileSystemFileTests {
    @Test func readsAndWritesPastTheEnd() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "f", mode: .createIfMissing)
        try file.write(bytes("ab"), at: 4)
        #expect(try file.read(at: 0, count: 100) == [0, 0, 0, 0] + bytes("ab"))
        #expect(try file.read(at: 5, count: 3) == bytes("b"))
        #expect(try file.read(at: 50, count: 3) == [])
        #expect(try file.readExactly(at: 4, count: 3) == nil)
        try file.truncate(to: 8)
        #expect(fs.fileSize(atPath: "f") == 8)
    }

    @Test func openModesAndBadHandles() throws {
        let fs = SimulatedFileSystem()
        #expect(TallyError.thrown { _ = try fs.openFile(atPath: "missing", mode: .readOnly) }?.code == .notFound)
        #expect(TallyError.thrown { _ = try fs.openFile(atPath: "missing", mode: .readWrite) }?.code == .notFound)
        try fs.writeTestFile("f", "x")
        let reader = try fs.openFile(atPath: "f", mode: .readOnly)
        #expect(TallyError.thrown { try reader.write([1], at: 0) }?.osErrno == EBADF)
        reader.close()
        #expect(TallyError.thrown { _ = try reader.size() }?.osErrno == EBADF)
        let error = TallyError.thrown { try fs.renameFile(atPath: "missing", to: "f") }
        #expect(error?.code == .io && error?.osErrno == ENOENT)
    }

    @Test func removedFileStaysReadableThroughAnOpenHandle() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/f", "still here")
        let file = try fs.openFile(atPath: "db/f", mode: .readOnly)
        try fs.removeFile(atPath: "db/f")
        #expect(try file.read(at: 0, count: 100) == bytes("still here"))
        #expect(fs.fileSize(atPath: "db/f") == nil)
    }

    @Test func directoriesAreImplied() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("db/wal/000001.wal", "")
        try fs.writeTestFile("db/wal/000002.wal", "")
        try fs.writeTestFile("db/catalog", "")
        #expect(try fs.contentsOfDirectory(atPath: "db") == ["catalog", "wal"])
        #expect(try fs.contentsOfDirectory(atPath: "db/wal/") == ["000001.wal", "000002.wal"])
        #expect(try fs.contentsOfDirectory(atPath: "elsewhere") == [])
        #expect(fs.fileExists(atPath: "db/wal"))
        #expect(!fs.fileExists(atPath: "db/segments"))
    }

    @Test func setContentsIsDurable() throws {
        let fs = SimulatedFileSystem()
        fs.setContents(bytes("abc"), atPath: "db/seg")
        var corrupted = try #require(fs.snapshotFiles()["db/seg"])
        corrupted[1] ^= 0x01
        fs.setContents(corrupted, atPath: "db/seg")
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles() == ["db/seg": [0x61, 0x63, 0x63]])
    }

    @Test func secondLockIsRefusedAndReleasedOnClose() throws {
        let fs = SimulatedFileSystem()
        let first = try fs.openFile(atPath: "db/LOCK", mode: .createIfMissing)
        try first.lockExclusive()
        try first.lockExclusive()
        let second = try fs.openFile(atPath: "db/LOCK", mode: .readWrite)
        let error = TallyError.thrown { try second.lockExclusive() }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("locked by simulated process") == true)
        // The lock belongs to the file, not its name.
        try fs.renameFile(atPath: "db/LOCK", to: "db/LOCK2")
        let third = try fs.openFile(atPath: "db/LOCK2", mode: .readWrite)
        #expect(TallyError.thrown { try third.lockExclusive() }?.code == .locked)
        first.close()
        try second.lockExclusive()
    }

    @Test func lockIsReleasedWhenTheHandleIsDeinitialised() throws {
        let fs = SimulatedFileSystem()
        do {
            let first = try fs.openFile(atPath: "LOCK", mode: .createIfMissing)
            try first.lockExclusive()
        }
        try fs.openFile(atPath: "LOCK", mode: .readWrite).lockExclusive()
    }

    @Test func concurrentWritesToDifferentFilesAreSafe() throws {
        let fs = SimulatedFileSystem()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            let path = "db/file-\(thread)"
            guard let file = try? fs.openFile(atPath: path, mode: .createIfMissing) else { return }
            for index in 0..<200 {
                try? file.write([UInt8(thread), UInt8(index)], at: UInt64(index * 2))
                if index % 50 == 0 { try? file.sync() }
            }
            try? file.sync()
            try? fs.syncDirectory(containing: path)
            _ = fs.snapshotFiles()
        }
        let files = fs.powerLoss(.dropUnsynced).snapshotFiles()
        #expect(files.count == 8)
        for thread in 0..<8 {
            let expected = (0..<200).flatMap { [UInt8(thread), UInt8($0)] }
            #expect(files["db/file-\(thread)"] == expected)
        }
        #expect(fs.callCount(.write) == 1600)
    }
}
