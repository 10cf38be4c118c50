#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Testing
@testable import Tally
import TallyTesting

/// Compaction (format-spec.md, rules K1–K9; issue 5; issue 7 items 3–4).
@Suite struct CompactionTests {
    let day = Maintenance.day
    let temporary = Fixtures.path + ".compacting"

    @Test func compactionLeavesEveryAnswerIdenticalAndTheFileSmaller() throws {
        let fileSystem = SimulatedFileSystem()
        let (db, events) = try Maintenance.populated(fileSystem)
        try db.applyRetention(before: Fixtures.start + day)  // dead space to reclaim
        // Something in the head again, for the swap to flush.
        let late = Maintenance.exactEvents(seed: 12, count: 40, days: 1, start: Fixtures.start + 3 * day)
        try db.ingest(late)
        let survivors = events.filter { $0.timestamp >= Fixtures.start + day } + late
        let before = try Maintenance.answers(db)
        let infoBefore = try db.info()
        #expect(infoBefore.segments.count > infoBefore.partitions.count)
        let sizeBefore = fileSystem.fileSize(atPath: Fixtures.path)!

        let progress = Locked<[CompactionProgress]>([])
        let result = try db.compact(options: CompactOptions(progress: { report in progress.withLock { $0.append(report) } }))

        #expect(try Maintenance.answers(db) == before)
        let problems = try Maintenance.oracleMismatches(db, survivors)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        let info = try db.info()
        #expect(info.headEvents == 0)
        // One segment per partition, plus the head flushed at the swap (copied, not merged).
        #expect(info.segments.map(\.partitionStart) == [1, 2, 3, 3].map { Fixtures.start + $0 * day })
        #expect(info.partitions.map(\.start) == [1, 2, 3].map { Fixtures.start + $0 * day })
        #expect(fileSystem.fileSize(atPath: Fixtures.path)! < sizeBefore)
        #expect(result.bytesAfter == UInt64(fileSystem.fileSize(atPath: Fixtures.path)!))
        #expect(result.bytesAfter < result.bytesBefore)
        #expect(result.segmentsAfter == 4 && result.segmentsBefore > 4 && result.partitions == 3)
        #expect(result.rowsAfter < result.rowsBefore && result.partitionsDownsampled == 0)
        #expect(info.eventsIngested == infoBefore.eventsIngested)
        #expect(info.retentionHorizon == Fixtures.start + day)
        #expect(info.generation == infoBefore.generation + 2)  // the head's flush, then the new file
        #expect(!fileSystem.fileExists(atPath: temporary))
        #expect(try db.verify().isClean)
        let phases = progress.withLock { $0 }.map(\.phase)
        #expect(phases.first == .merging && phases.suffix(2) == [.committing, .finished])
        #expect(progress.withLock { $0 }.last?.partitionsDone == 3)  // the snapshot's partitions

        // Survives reopening (and a crash right after, without close).
        for (label, disk) in [("kill", fileSystem.processCrash()), ("power", fileSystem.powerLoss(.dropUnsynced))] {
            let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
            #expect(try Maintenance.answers(reopened) == before, "\(label)")
            #expect(try reopened.verify().isClean, "\(label)")
            // Batch ids, horizon and totals carried over (the catalog's other fields too).
            #expect(try reopened.ingest(Array(events[0..<250]), batchID: "b-0").duplicate, "\(label)")
            #expect(try reopened.ingest([Event(timestamp: Fixtures.start, metric: "pageview")]).droppedAsExpired == 1)
            #expect(try reopened.info().eventsIngested == infoBefore.eventsIngested)
            // Flushing into the compacted file works.
            try reopened.ingest(Maintenance.exactEvents(seed: 11, count: 50, start: Fixtures.start + 2 * day))
            try reopened.flush()
            #expect(try reopened.verify().isClean)
        }
    }

    @Test func compactingTwiceAndCompactingAnEmptyDatabase() throws {
        let empty = try Tally.open(at: Fixtures.path, options: Fixtures.options(SimulatedFileSystem()))
        let result = try empty.compact()
        #expect(result.segmentsAfter == 0 && result.partitions == 0)
        #expect(try empty.verify().isClean)
        try empty.ingest([Event(timestamp: Fixtures.start, metric: "m")])
        #expect(try empty.query(Query(metric: "m")).rows.first?.count == 1)

        let fileSystem = SimulatedFileSystem()
        let (db, _) = try Maintenance.populated(fileSystem)
        let before = try Maintenance.answers(db)
        try db.flush()  // else the swap flushes the head into second segments of two partitions
        try db.compact()
        let size = fileSystem.fileSize(atPath: Fixtures.path)!
        let second = try db.compact()
        #expect(second.partitionsRewritten == 0, "single segments are copied byte for byte")
        #expect(fileSystem.fileSize(atPath: Fixtures.path)! <= size)
        #expect(try Maintenance.answers(db) == before)
    }

    /// Issue 5: ingest from another thread during compaction; exact totals at the end. On the real
    /// file system, with flushes landing while the merge runs.
    @Test func ingestFromAnotherThreadDuringCompactionLosesNothing() throws {
        let directory = TestDirectory()
        let path = directory.file("c.tally")
        let db = try Tally.open(at: path)
        let events = Maintenance.exactEvents(seed: 5, count: 3000)
        try Maintenance.ingest(events, into: db)
        let before = try Maintenance.answers(db)

        let batches = 60, batchSize = 20
        let ingested = Locked(0)
        let failures = Locked<[String]>([])
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                for index in 0..<batches {
                    try db.ingest(Fixtures.taggedBatch(index, size: batchSize, hour: index % 48), batchID: "t\(index)")
                    ingested.withLock { $0 += 1 }
                    if index % 7 == 6 { try db.flush() }
                }
            } catch {
                failures.withLock { $0.append("writer: \(error)") }
            }
        }
        // Hold the merge until the writer has ingested and flushed a good part of its batches, so
        // that compaction must carry over segments and a head it did not see at the start.
        let phases = Locked<[CompactionProgress.Phase]>([])
        let options = CompactOptions { report in
            phases.withLock { $0.append(report.phase) }
            guard report.phase == .merging, report.partitionsDone == 1 else { return }
            for _ in 0..<2000 where ingested.withLock({ $0 }) < batches / 2 { usleep(1000) }
        }
        let first = try db.compact(options: options)
        #expect(phases.withLock { $0 }.contains(.copying), "segments flushed during the merge were carried over")
        let second = try db.compact()
        group.wait()
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(first.segmentsBefore > 0 && second.segmentsAfter > 0)

        let expected = Dictionary(uniqueKeysWithValues: (0..<batches).map { ($0, UInt64(batchSize)) })
        #expect(try Fixtures.batchCounts(db) == expected)
        #expect(try Maintenance.answers(db) == before)
        #expect(try db.verify().isClean)
        try db.close()
        let reopened = try Tally.open(at: path)
        #expect(try Fixtures.batchCounts(reopened) == expected)
        #expect(try Maintenance.answers(reopened) == before)
        #expect(try reopened.verify().isClean)
        #expect(try reopened.info().eventsIngested == UInt64(events.count + batches * batchSize))
    }

    /// K9, regression: a second writer refused by the lock must not remove the temporary of the
    /// compaction running in the process that holds it.
    @Test func aRefusedWriterDoesNotRemoveTheTemporaryOfACompactionInProgress() throws {
        let directory = TestDirectory()
        let path = directory.file("r.tally")
        let db = try Tally.open(at: path)
        try Maintenance.ingest(Maintenance.exactEvents(seed: 4, count: 1500), into: db)
        let before = try Maintenance.answers(db)
        let refusals = Locked<[TallyError.Code?]>([])
        try db.compact(options: CompactOptions { report in
            guard report.phase == .merging, report.partitionsDone == 1 else { return }
            do { _ = try Tally.open(at: path) } catch { refusals.withLock { $0.append((error as? TallyError)?.code) } }
        })
        #expect(refusals.withLock { $0 } == [.locked])
        #expect(try Maintenance.answers(db) == before)
        #expect(try db.verify().isClean)
        try db.close()
        #expect(try Maintenance.answers(try Tally.open(at: path)) == before)
    }

    /// K9, regression: a writer that opened the old file, then got its lock only after a
    /// compaction renamed a new file over the name and the compacting writer closed, must not
    /// write to the unlinked old file: it notices and starts over on the new one.
    @Test func aWriterThatLockedAReplacedFileStartsOver() throws {
        let fileSystem = SimulatedFileSystem()
        let first = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try Maintenance.ingest(Maintenance.exactEvents(seed: 14, count: 400), into: first, batchSize: 100)
        let before = try Maintenance.answers(first)
        var options = Fixtures.options(fileSystem)
        options.fileSystem = HookedFileSystem(inner: fileSystem) {
            // Between the second writer's open and its lock: compact, and let the file go.
            try first.compact()
            try first.close()
        }
        let second = try Tally.open(at: Fixtures.path, options: options)
        try second.ingest([Event(timestamp: Fixtures.start, metric: "probe")])
        try second.close()
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try Maintenance.answers(reopened) == before)
        #expect(try reopened.query(Query(metric: "probe")).rows.first?.count == 1, "the second writer wrote to the old file")
    }

    /// Queries that hold the old file when the new one is swapped in finish on the old one.
    @Test func aReaderHoldingTheOldFileFinishesOnIt() throws {
        let directory = TestDirectory()
        let db = try Tally.open(at: directory.file("q.tally"))
        try Maintenance.ingest(Maintenance.exactEvents(seed: 6, count: 1500), into: db)
        try db.flush()
        var expected: [String] = []
        try db.forEachRow { expected.append("\($0.metric) \($0.bucket) \($0.dimensions) \($0.count)") }
        var seen: [String] = []
        var compacted = false
        try db.forEachRow { row in
            if !compacted {
                compacted = true
                try db.compact()  // replaces and unlinks the file this enumeration reads
            }
            seen.append("\(row.metric) \(row.bucket) \(row.dimensions) \(row.count)")
        }
        #expect(compacted && seen == expected)
        #expect(try db.verify().isClean)
    }

    /// Compaction never carries damage over: a damaged segment fails it with the offset, and the
    /// old file stays the database.
    @Test func aDamagedSegmentFailsCompactionAndLeavesTheOldFile() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try Maintenance.ingest(Maintenance.exactEvents(seed: 13, count: 400, days: 1), into: db, batchSize: 100)
        try db.close()
        var bytes = fileSystem.snapshotFiles()[Fixtures.path]!
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        let segment = try #require(try db.info().segments.last)
        try db.close()
        let damaged = Int(segment.offset) + 20
        bytes[damaged] ^= 0x10
        fileSystem.setContents(bytes, atPath: Fixtures.path)
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        let error = #expect(throws: TallyError.self) { try db.compact() }
        #expect(error?.code == .corruption && error?.offset != nil)
        #expect(fileSystem.snapshotFiles()[Fixtures.path] == bytes)
        #expect(!fileSystem.fileExists(atPath: temporary))
        try db.ingest([Event(timestamp: Fixtures.start, metric: "probe")])  // still writable
    }

    /// Retention committed while the merge runs is not undone by the swap.
    @Test func retentionDuringCompactionIsNotUndone() throws {
        let fileSystem = SimulatedFileSystem()
        let (db, events) = try Maintenance.populated(fileSystem)
        let horizon = Fixtures.start + 2 * day
        try db.compact(options: CompactOptions { report in
            guard report.phase == .merging, report.partitionsDone == 1 else { return }
            _ = try? db.applyRetention(before: horizon)
        })
        let survivors = events.filter { $0.timestamp >= horizon }
        #expect(try Maintenance.oracleMismatches(db, survivors).isEmpty)
        #expect(try db.info().partitions.allSatisfy { $0.start >= horizon })
        #expect(try db.verify().isClean)
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem.processCrash()))
        #expect(try Maintenance.oracleMismatches(reopened, survivors).isEmpty)
        #expect(try reopened.info().retentionHorizon == horizon)
    }
}

/// Runs `beforeFirstLock` once, when the first handle it opened is about to take its lock.
struct HookedFileSystem: FileSystem {
    let inner: SimulatedFileSystem
    let hook: Locked<(() throws -> Void)?>

    init(inner: SimulatedFileSystem, beforeFirstLock: @escaping () throws -> Void) {
        self.inner = inner
        hook = Locked(beforeFirstLock)
    }

    func openFile(atPath path: String, mode: FileOpenMode) throws -> any FileHandle {
        HookedFile(inner: try inner.openFile(atPath: path, mode: mode), hook: hook)
    }
    func fileExists(atPath path: String) -> Bool { inner.fileExists(atPath: path) }
    func removeFile(atPath path: String) throws { try inner.removeFile(atPath: path) }
    func renameFile(atPath source: String, to destination: String) throws { try inner.renameFile(atPath: source, to: destination) }
    func syncDirectory(containing path: String) throws { try inner.syncDirectory(containing: path) }
    func contentsOfDirectory(atPath directory: String) throws -> [String] { try inner.contentsOfDirectory(atPath: directory) }
}

final class HookedFile: FileHandle {
    let inner: any FileHandle
    let hook: Locked<(() throws -> Void)?>
    init(inner: any FileHandle, hook: Locked<(() throws -> Void)?>) {
        self.inner = inner
        self.hook = hook
    }
    var path: String { inner.path }
    func read(at offset: UInt64, count: Int) throws -> [UInt8] { try inner.read(at: offset, count: count) }
    func write(_ bytes: [UInt8], at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    func size() throws -> UInt64 { try inner.size() }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func sync() throws { try inner.sync() }
    func lockExclusive() throws {
        if let once = hook.withLock({ hook -> (() throws -> Void)? in defer { hook = nil }; return hook }) { try once() }
        try inner.lockExclusive()
    }
    func close() { inner.close() }
}
