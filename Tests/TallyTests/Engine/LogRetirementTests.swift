import Dispatch
import Testing
@testable import Tally
import TallyTesting

/// Regression: a flush (and so a retention commit or a compaction swap) retires the log while a
/// group-commit sync of that log may be running outside the state lock. Closing the log's handle
/// then made that sync fail, the ingest that was already committed by the flush report an error,
/// and the handle refuse all writes. The retired log's handle must stay open until its last user
/// lets go.
@Suite struct LogRetirementTests {
    @Test func retiringTheLogDuringAGroupCommitSyncIsHarmless() throws {
        let inner = SimulatedFileSystem()
        let gate = SyncGate()
        var options = Fixtures.options(inner)
        options.fileSystem = GatedFileSystem(inner: inner, gate: gate)
        let db = try Tally.open(at: Fixtures.path, options: options)
        let outcome = Locked<Result<IngestResult, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            outcome.withLock { $0 = Result { try db.ingest(Fixtures.taggedBatch(0, size: 5), batchID: "a") } }
            done.signal()
        }
        gate.entered.wait()  // the ingest is syncing the log, without the state lock
        try db.flush()  // commits the batch and retires the log
        gate.release.signal()
        done.wait()
        let result = try #require(outcome.withLock { $0 })
        #expect(throws: Never.self) { try result.get() }
        try db.ingest(Fixtures.taggedBatch(1, size: 5))  // the handle still writes
        #expect(try Fixtures.batchCounts(db) == [0: 5, 1: 5])
    }
}

/// Holds the second sync of the log (the first is its creation) until released.
final class SyncGate: Sendable {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    private let logSyncs = Locked(0)

    func sync(path: String) {
        guard path.hasSuffix("-wal") else { return }
        guard logSyncs.withLock({ $0 += 1; return $0 }) == 2 else { return }
        entered.signal()
        release.wait()
    }
}

struct GatedFileSystem: FileSystem {
    let inner: SimulatedFileSystem
    let gate: SyncGate

    func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle {
        GatedFile(inner: try inner.openFile(atPath: path, mode: mode), gate: gate)
    }
    func fileExists(atPath path: String) -> Bool { inner.fileExists(atPath: path) }
    func removeFile(atPath path: String) throws { try inner.removeFile(atPath: path) }
    func renameFile(atPath source: String, to destination: String) throws { try inner.renameFile(atPath: source, to: destination) }
    func syncDirectory(containing path: String) throws { try inner.syncDirectory(containing: path) }
    func contentsOfDirectory(atPath directory: String) throws -> [String] { try inner.contentsOfDirectory(atPath: directory) }
}

final class GatedFile: FileHandle {
    let inner: any FileHandle
    let gate: SyncGate
    init(inner: any FileHandle, gate: SyncGate) {
        self.inner = inner
        self.gate = gate
    }
    var path: String { inner.path }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try inner.read(at: offset, count: count) }
    func write(_ bytes: [UInt8], at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    func size() throws -> UInt64 { try inner.size() }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func sync() throws {
        gate.sync(path: path)
        try inner.sync()
    }
    func lockExclusive() throws { try inner.lockExclusive() }
    func close() { inner.close() }
}

/// Regression (found by the full readers procedure, 999 of 1 000 consistent): a read-only
/// handle's `verify()` asked whether the log existed, then opened it; the writer beside it
/// deleted the log at a checkpoint in between, and verify reported "no such file" as a problem.
@Suite struct LogVanishingDuringVerifyTests {
    @Test func aLogDeletedBeforeVerifyOpensItIsNotAProblem() throws {
        let inner = SimulatedFileSystem()
        let racing = LogDeletingFileSystem(inner: inner)
        var options = Fixtures.options(inner)
        options.fileSystem = racing
        let db = try Tally.open(at: Fixtures.path, options: options)
        try db.ingest(Fixtures.taggedBatch(0, size: 5))  // unflushed: the log exists
        #expect(inner.fileExists(atPath: Fixtures.path + "-wal"))
        racing.deleteLogOnNextOpen.withLock { $0 = true }
        let report = try db.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
    }
}

/// Deletes the log just before opening it once armed: a writer's checkpoint landing between a
/// reader's look at the directory and its open.
struct LogDeletingFileSystem: FileSystem {
    let inner: SimulatedFileSystem
    let deleteLogOnNextOpen = Locked(false)

    func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle {
        if path.hasSuffix("-wal"), deleteLogOnNextOpen.withLock({ armed in defer { armed = false }; return armed }) {
            try inner.removeFile(atPath: path)
        }
        return try inner.openFile(atPath: path, mode: mode)
    }
    func fileExists(atPath path: String) -> Bool { inner.fileExists(atPath: path) }
    func removeFile(atPath path: String) throws { try inner.removeFile(atPath: path) }
    func renameFile(atPath source: String, to destination: String) throws { try inner.renameFile(atPath: source, to: destination) }
    func syncDirectory(containing path: String) throws { try inner.syncDirectory(containing: path) }
    func contentsOfDirectory(atPath directory: String) throws -> [String] { try inner.contentsOfDirectory(atPath: directory) }
}
