#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Tally
import TallyTesting

/// Issue 7 items 3–4 for compaction: a crash at every step, as a kill and as a power cut, leaves
/// the old or the new file as the database (rules K5, K6, K9); EIO and ENOSPC at the N-th write,
/// sync, rename or directory sync reach the caller and lose nothing acknowledged.
@Suite struct CompactionCrashTests {
    let temporary = Fixtures.path + ".compacting"
    /// Downsampling makes the new file's answers differ from the old one's, so the checks can
    /// tell which file survived.
    let now = Fixtures.start + 10 * Maintenance.day
    var options: CompactOptions {
        CompactOptions(downsample: [DownsampleRule(olderThan: 8 * Maintenance.day, bucket: .day)])
    }

    func database(crashes: CrashSwitch = CrashSwitch()) throws -> (SimulatedFileSystem, Tally) {
        try Maintenance.restored(count: 240, now: now, crashes: crashes)
    }

    /// Reopens each aftermath of `fileSystem` and checks it shows `before` or `after`, whole.
    func checkAftermaths(
        _ fileSystem: SimulatedFileSystem, before: [QueryResult], after: [QueryResult], label: String,
        mustBeAfter: Bool = false, allAftermaths: Bool = true
    ) throws {
        for (name, disk) in Maintenance.aftermaths(of: fileSystem, all: allAftermaths) {
            let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
            let answers = try Maintenance.answers(reopened)
            #expect(answers == before || answers == after, "\(label) \(name): neither the old nor the new state")
            if mustBeAfter { #expect(answers == after, "\(label) \(name): the durable new file was lost") }
            #expect(!disk.fileExists(atPath: temporary), "\(label) \(name): leftover not swept")
            let report = try reopened.verify()
            #expect(report.isClean, "\(label) \(name): \(report.problems.prefix(3))")
            try reopened.ingest([Event(timestamp: now, metric: "pageview")])
            try reopened.flush()
        }
    }

    typealias Reference = (
        before: [QueryResult], after: [QueryResult], points: [CrashPoint], calls: [SimulatedFileSystem.Operation: Int]
    )
    private static let cachedReference = Locked<Reference?>(nil)

    /// The answers before and after compaction, the crash points it passes and the calls it
    /// makes (computed once).
    func reference() throws -> Reference {
        try Self.cachedReference.withLock { cached in
            if let cached { return cached }
            cached = try computeReference()
            return cached!
        }
    }

    private func computeReference() throws -> Reference {
        let crashes = CrashSwitch()
        let (fileSystem, db) = try database(crashes: crashes)
        let before = try Maintenance.answers(db)
        crashes.startRecording()
        let kinds: [SimulatedFileSystem.Operation] = [.write, .sync, .rename, .syncDirectory]
        let start = Dictionary(uniqueKeysWithValues: kinds.map { ($0, fileSystem.callCount($0)) })
        try db.compact(options: options)
        let calls = Dictionary(uniqueKeysWithValues: kinds.map { ($0, fileSystem.callCount($0) - start[$0]!) })
        return (before, try Maintenance.answers(db), crashes.seen, calls)
    }

    @Test func everyCompactionCrashPointLeavesTheOldOrTheNewFile() throws {
        let (before, after, points, _) = try reference()
        #expect(before != after)
        let compactionPoints = CrashPoint.allCases.filter { $0.rawValue.hasPrefix("compact.") }
        #expect(Set(compactionPoints).isSubset(of: Set(points)), "every compaction point is reached")
        // Each point, including the flush points of the head's flush inside the swap.
        for (index, point) in points.enumerated() {
            let occurrence = points[...index].filter { $0 == point }.count
            let crashes = CrashSwitch()
            let (fileSystem, db) = try database(crashes: crashes)
            crashes.arm(point, occurrence: occurrence)
            #expect(throws: (any Error).self, "\(point)") { try db.compact(options: options) }
            try checkAftermaths(
                fileSystem, before: before, after: after, label: "\(point)#\(occurrence)",
                mustBeAfter: point == .compactDirectorySynced)
        }
    }

    /// Between the named points: a crash at every sync, rename and directory sync of compaction,
    /// before or after the call takes effect.
    @Test(arguments: [SimulatedFileSystem.Operation.sync, .rename, .syncDirectory])
    func aCrashAtEveryCallLeavesTheOldOrTheNewFile(kind: SimulatedFileSystem.Operation) throws {
        let (before, after, _, calls) = try reference()
        #expect(calls[kind]! >= 1)
        for k in 1...calls[kind]! {
            for timing in [SimulatedFileSystem.CrashTiming.before, .after] {
                let (fileSystem, db) = try database()
                fileSystem.crash(at: kind, call: k, timing: timing)
                #expect(throws: (any Error).self) { try db.compact(options: options) }
                try checkAftermaths(fileSystem, before: before, after: after, label: "\(kind) \(k) \(timing)")
            }
        }
    }

    /// Issue 7 item 4: the error reaches the caller, nothing acknowledged is lost, the database
    /// reopens and verifies clean; after a failure before the rename the handle keeps working.
    /// ENOSPC is tried as a persistent fault (the disk stays full), EIO as a one-off.
    @Test(arguments: [SimulatedFileSystem.Operation.write, .sync, .rename, .syncDirectory], [EIO, ENOSPC])
    func ioErrorsDuringCompaction(kind: SimulatedFileSystem.Operation, code: Int32) throws {
        let (before, after, _, calls) = try reference()
        for n in 1...calls[kind]! {
            for persistent in [code == ENOSPC] {
                let label = "\(kind) #\(n) errno \(code)\(persistent ? " persistent" : "")"
                let (fileSystem, db) = try database()
                fileSystem.inject(.init(kind: kind, errno: code, afterCalls: n, persistent: persistent, partialWrite: true))
                let error = #expect(throws: TallyError.self, "\(label)") { try db.compact(options: options) }
                #expect(error?.osErrno == code, "\(label): \(String(describing: error))")
                let live = try Maintenance.answers(db)
                #expect(live == before || live == after, "\(label): live handle")
                if !persistent && error?.path == temporary {
                    // Failed on the new file before the rename: the old file is still the
                    // database and the handle keeps writing to it.
                    #expect(live == before, "\(label)")
                    try db.ingest([Event(timestamp: now, metric: "probe")])
                    try db.flush()
                    #expect(try db.query(Query(metric: "probe")).rows.first?.count == 1, "\(label)")
                }
                #expect(!fileSystem.fileExists(atPath: temporary) || persistent, "\(label): temporary left behind")
                fileSystem.clearFaults()
                try checkAftermaths(fileSystem, before: before, after: after, label: label, allAftermaths: false)
            }
        }
    }
}
