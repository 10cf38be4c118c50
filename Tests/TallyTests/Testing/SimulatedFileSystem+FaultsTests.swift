import Glibc
import Testing
@testable import Tally
import TallyTesting

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct SimulatedFileSystemFaultTests {
    @Test func faultFailsTheNthCallOnce() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "f", mode: .createIfMissing)
        try file.write([1], at: 0)
        fs.inject(.init(kind: .write, afterCalls: 3))
        try file.write([2], at: 1)
        try file.write([3], at: 2)
        let error = TallyError.thrown { try file.write([4], at: 3) }
        #expect(error?.code == .io && error?.osErrno == EIO && error?.path == "f")
        try file.write([5], at: 3)
        #expect(fs.snapshotFiles()["f"] == [1, 2, 3, 5])
        #expect(fs.callCount(.write) == 5)
    }

    @Test func persistentFaultKeepsFailing() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "f", mode: .createIfMissing)
        fs.inject(.init(kind: .sync, afterCalls: 2, persistent: true))
        try file.sync()
        for _ in 0..<3 { #expect(TallyError.thrown { try file.sync() }?.osErrno == EIO) }
        fs.clearFaults()
        try file.sync()
    }

    @Test func pathFilterCountsOnlyMatchingCalls() throws {
        let fs = SimulatedFileSystem()
        let wal = try fs.openFile(atPath: "db/wal/1.wal", mode: .createIfMissing)
        let segment = try fs.openFile(atPath: "db/seg/1.seg", mode: .createIfMissing)
        fs.inject(.init(kind: .write, afterCalls: 2, pathContains: ".seg"))
        try wal.write([1], at: 0)
        try segment.write([1], at: 0)
        try wal.write([2], at: 1)
        #expect(TallyError.thrown { try segment.write([2], at: 1) } != nil)
        for operation in [SimulatedFileSystem.Operation.rename, .remove, .open, .syncDirectory] {
            fs.inject(.init(kind: operation, pathContains: "seg"))
        }
        #expect(TallyError.thrown { try fs.renameFile(atPath: "db/wal/1.wal", to: "db/seg/2.seg") } != nil)
        #expect(TallyError.thrown { try fs.removeFile(atPath: "db/seg/1.seg") } != nil)
        #expect(TallyError.thrown { _ = try fs.openFile(atPath: "db/seg/3.seg", mode: .truncate) } != nil)
        #expect(TallyError.thrown { try fs.syncDirectory(containing: "db/seg/1.seg") } != nil)
        // Failed calls changed nothing.
        #expect(fs.snapshotFiles().keys.sorted() == ["db/seg/1.seg", "db/wal/1.wal"])
    }

    @Test func enospcWriteCanLandAPrefix() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "f", mode: .createIfMissing)
        fs.inject(.init(kind: .write, errno: ENOSPC, partialWrite: true))
        #expect(TallyError.thrown { try file.write(bytes("abcdefgh"), at: 0) }?.osErrno == ENOSPC)
        #expect(fs.snapshotFiles()["f"] == bytes("abcd"))
        fs.inject(.init(kind: .write, errno: ENOSPC))
        #expect(TallyError.thrown { try file.write(bytes("zz"), at: 0) }?.osErrno == ENOSPC)
        #expect(fs.snapshotFiles()["f"] == bytes("abcd"))
    }

    @Test func failedSyncNeverMakesItsWritesDurable() throws {
        let fs = SimulatedFileSystem()
        try fs.writeTestFile("wal", "durable")
        let file = try fs.openFile(atPath: "wal", mode: .readWrite)
        try file.write(bytes("+lost"), at: 7)
        fs.inject(.init(kind: .sync))
        #expect(TallyError.thrown { try file.sync() } != nil)
        // A retry "succeeds", as on Linux, yet the lost write is not on the disk.
        try file.write(bytes("!"), at: 12)
        try file.sync()
        #expect(try file.read(at: 0, count: 100) == bytes("durable+lost!"))
        #expect(!fs.isDurable(atPath: "wal"))
        #expect(fs.processCrash().snapshotFiles()["wal"] == bytes("durable+lost!"))
        #expect(fs.powerLoss(.keepUnsynced).snapshotFiles()["wal"] == bytes("durable\0\0\0\0\0!"))
    }

    @Test func crashAtSyncBeforeFreezesEverything() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "db/wal", mode: .createIfMissing)
        try fs.syncDirectory(containing: "db/wal")
        fs.crash(atSync: 2)
        try file.write(bytes("one"), at: 0)
        try file.sync()
        try file.write(bytes("two"), at: 3)
        let error = TallyError.thrown { try file.sync() }
        #expect(error?.code == .io && error?.message == "simulated crash" && error?.osErrno == EIO)
        #expect(fs.hasCrashed)
        #expect(TallyError.thrown { try file.write(bytes("three"), at: 6) }?.message == "simulated crash")
        #expect(TallyError.thrown { _ = try fs.openFile(atPath: "db/x", mode: .createIfMissing) } != nil)
        #expect(TallyError.thrown { _ = try fs.contentsOfDirectory(atPath: "db") } != nil)
        #expect(!fs.fileExists(atPath: "db/wal"))
        #expect(fs.callCount(.sync) == 2 && fs.callCount(.write) == 2)
        #expect(fs.snapshotFiles()["db/wal"] == bytes("onetwo"))
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles()["db/wal"] == bytes("one"))
    }

    @Test func crashAtSyncAfterMakesThatSyncDurable() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "db/wal", mode: .createIfMissing)
        try fs.syncDirectory(containing: "db/wal")
        fs.crash(atSync: 1, timing: .after)
        try file.write(bytes("one"), at: 0)
        #expect(TallyError.thrown { try file.sync() }?.message == "simulated crash")
        #expect(fs.powerLoss(.dropUnsynced).snapshotFiles()["db/wal"] == bytes("one"))
    }

    @Test func crashSweepOverEverySync() throws {
        func workload(_ fs: SimulatedFileSystem) throws {
            for index in 0..<4 {
                let path = "db/seg-\(index)"
                let file = try fs.openFile(atPath: path, mode: .truncate)
                try file.write(bytes("segment \(index)"), at: 0)
                try file.sync()
                try fs.syncDirectory(containing: path)
            }
        }
        let counting = SimulatedFileSystem()
        try workload(counting)
        let syncs = counting.callCount(.sync)
        #expect(syncs == 4)
        for k in 1...syncs {
            let fs = SimulatedFileSystem()
            fs.crash(atSync: k)
            #expect(throws: TallyError.self) { try workload(fs) }
            // Every segment published before the crash survives; the crashed one is not published.
            #expect(fs.powerLoss(.dropUnsynced).snapshotFiles().count == k - 1)
        }
    }

    @Test func crashNowFreezesAndCloseDoesNothing() throws {
        let fs = SimulatedFileSystem()
        let file = try fs.openFile(atPath: "LOCK", mode: .createIfMissing)
        try file.lockExclusive()
        fs.crashNow()
        file.close()
        #expect(TallyError.thrown { try fs.removeFile(atPath: "LOCK") }?.message == "simulated crash")
        #expect(TallyError.thrown { try file.lockExclusive() }?.message == "simulated crash")
        let restarted = fs.processCrash()
        try restarted.openFile(atPath: "LOCK", mode: .readWrite).lockExclusive()
    }
}
