#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Tally
import TallyTesting

/// Retention (format-spec.md, rules T1–T5; PRODUCT.md rule 4).
@Suite struct RetentionTests {
    let day = Maintenance.day

    func populated(_ fileSystem: SimulatedFileSystem, options: Options? = nil) throws -> (Tally, [Event]) {
        try Maintenance.populated(fileSystem, options: options)
    }

    @Test func retentionThenQueryEqualsTheOracleOnSurvivingPartitions() throws {
        let fileSystem = SimulatedFileSystem()
        let (db, events) = try populated(fileSystem)
        let horizon = Fixtures.start + 2 * day
        let survivors = events.filter { $0.timestamp >= horizon }
        let before = try Maintenance.answers(db)
        let infoBefore = try db.info()

        // A dry run measures and changes nothing.
        let cutoff = horizon + 5 * Maintenance.hour  // rounds down to the partition boundary
        let dry = try db.applyRetention(before: cutoff, dryRun: true)
        #expect(try Maintenance.answers(db) == before)
        #expect(try db.info().generation == infoBefore.generation)

        let result = try db.applyRetention(before: cutoff)
        #expect(result.horizon == horizon)
        #expect(result.partitions == [Fixtures.start, Fixtures.start + day])
        #expect(result.events == UInt64(events.count - survivors.count))
        #expect(result.bytes == infoBefore.segments.filter { $0.partitionStart < horizon }.reduce(0) { $0 + $1.length })
        #expect(result.segments == infoBefore.segments.filter { $0.partitionStart < horizon }.count)
        #expect(!result.dryRun && dry.dryRun)
        var measured = dry
        measured.dryRun = false
        #expect(measured == result)

        let problems = try Maintenance.oracleMismatches(db, survivors)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        let info = try db.info()
        #expect(info.retentionHorizon == horizon)
        #expect(info.partitions.allSatisfy { $0.start >= horizon })
        #expect(info.eventsIngested == UInt64(events.count))  // all time, dropped included (T5)
        #expect(try db.verify().isClean)

        // Survives reopening, from the catalog alone.
        try db.close()
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try Maintenance.oracleMismatches(reopened, survivors).isEmpty)
        #expect(try reopened.info().retentionHorizon == horizon)
        // Batch ids are kept: a retried batch is still a duplicate (T5).
        #expect(try reopened.ingest(Array(events[0..<250]), batchID: "b-0").duplicate)
    }

    @Test func theHorizonOnlyMovesForward() throws {
        let fileSystem = SimulatedFileSystem()
        let (db, events) = try populated(fileSystem)
        try db.applyRetention(before: Fixtures.start + 2 * day)
        let generation = try db.info().generation
        let again = try db.applyRetention(before: Fixtures.start + day)
        #expect(again.horizon == Fixtures.start + 2 * day)
        #expect(again.partitions.isEmpty && again.events == 0)
        #expect(try db.info().generation == generation)  // nothing committed
        // Extreme cutoffs are safe.
        #expect(try db.applyRetention(before: .min, dryRun: true).events == 0)
        #expect(try db.applyRetention(before: .max, dryRun: true).events == UInt64(events.filter { $0.timestamp >= Fixtures.start + 2 * day }.count))
        #expect(throws: TallyError.self) { try db.applyRetention(keeping: 0) }
    }

    /// PRODUCT.md rule 4: late events for a dropped partition are dropped and counted, now and
    /// when the log is replayed after a crash.
    @Test func lateEventsForDroppedPartitionsAreDroppedAndCounted() throws {
        let fileSystem = SimulatedFileSystem()
        let (db, events) = try populated(fileSystem)
        let horizon = Fixtures.start + 2 * day
        try db.applyRetention(before: horizon)
        let late = [
            Event(timestamp: Fixtures.start + 10, metric: "pageview", dimensions: ["country": "US"]),
            Event(timestamp: horizon - 1, metric: "pageview", dimensions: ["country": "US"]),
            Event(timestamp: horizon, metric: "pageview", dimensions: ["country": "US"]),
        ]
        let result = try db.ingest(late, batchID: "late")
        #expect(result == IngestResult(accepted: 1, droppedAsExpired: 2, duplicate: false))
        let expected = events.filter { $0.timestamp >= horizon } + [late[2]]
        #expect(try Maintenance.oracleMismatches(db, expected).isEmpty)
        // The batch is in the log only; replay applies the same horizon.
        let crashed = fileSystem.processCrash()
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(crashed))
        #expect(try Maintenance.oracleMismatches(reopened, expected).isEmpty)
        #expect(try reopened.ingest(late, batchID: "late").duplicate)
        #expect(try reopened.ingest(late).droppedAsExpired == 2)
    }

    /// T2: cells dropped from the head never come back from the log, after a kill or a power cut.
    @Test func headCellsDroppedByRetentionDoNotComeBackOnReplay() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        // 22 hours of day 0 and 2 of day 1: short of the flush that a closing partition triggers.
        let events = Maintenance.exactEvents(seed: 3, count: 600, days: 1, start: Fixtures.start + 2 * Maintenance.hour)
        try db.ingest(events, batchID: "only")  // in the head and the log, nothing flushed
        #expect(try db.info().segments.isEmpty)
        let horizon = Fixtures.start + day
        let result = try db.applyRetention(before: horizon)
        #expect(result.segments == 0 && result.partitions == [Fixtures.start])
        #expect(result.events == UInt64(events.filter { $0.timestamp < horizon }.count))
        let survivors = events.filter { $0.timestamp >= horizon }
        #expect(try Maintenance.oracleMismatches(db, survivors).isEmpty)
        for (label, disk) in Maintenance.aftermaths(of: fileSystem) {
            let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
            let problems = try Maintenance.oracleMismatches(reopened, survivors)
            #expect(problems.isEmpty, "\(label): \(problems.prefix(3))")
            #expect(try reopened.info().eventsIngested == UInt64(events.count), "\(label)")
        }
    }

    /// T4: the stored option applies as the clock moves, at ingest and at open.
    @Test func automaticRetentionFollowsTheClock() throws {
        let fileSystem = SimulatedFileSystem()
        let clock = ManualClock(nowMilliseconds: Fixtures.start + day)
        var options = Fixtures.options(fileSystem)
        options.clock = clock
        options.retentionMilliseconds = 2 * day
        let (db, events) = try populated(fileSystem, options: options)
        // now − 2 days is before all data: the horizon moved (T4) but dropped nothing.
        #expect(try db.info().retentionHorizon == Fixtures.start - day)
        #expect(try Maintenance.oracleMismatches(db, events).isEmpty)

        clock.set(Fixtures.start + 4 * day + Maintenance.hour)  // horizon: start + 2 days
        let late = Event(timestamp: Fixtures.start + day + 5, metric: "pageview", dimensions: ["country": "US"])
        #expect(try db.ingest([late]).droppedAsExpired == 1)
        #expect(try db.info().retentionHorizon == Fixtures.start + 2 * day)
        #expect(try Maintenance.oracleMismatches(db, events.filter { $0.timestamp >= Fixtures.start + 2 * day }).isEmpty)
        try db.close()

        clock.set(Fixtures.start + 5 * day)  // at open: horizon start + 3 days
        options.retentionMilliseconds = nil  // stored in the file; the handle's value is ignored
        let reopened = try Tally.open(at: Fixtures.path, options: options)
        #expect(try reopened.info().retentionHorizon == Fixtures.start + 3 * day)
        #expect(try Maintenance.oracleMismatches(reopened, events.filter { $0.timestamp >= Fixtures.start + 3 * day }).isEmpty)
        #expect(try reopened.verify().isClean)
    }

    /// Issue 7 item 3: a crash at each point of the retention commit, as a kill and as a power
    /// cut, leaves the state before or after, never a mixture.
    @Test func everyRetentionCrashPointLeavesTheStateBeforeOrAfter() throws {
        let horizon = Fixtures.start + 2 * day
        let count = 240
        // A reference run: the answers before and after, and the points retention passes.
        let crashes = CrashSwitch()
        let (_, db) = try Maintenance.restored(count: count, crashes: crashes)
        let before = try Maintenance.answers(db)
        crashes.startRecording()
        try db.applyRetention(before: horizon)
        let after = try Maintenance.answers(db)
        let points = crashes.seen
        #expect(points == [.retentionPrepared, .flushDataWritten, .flushDataSynced, .flushSuperblockWritten,
                           .checkpointBeforeWALRemoval, .retentionCommitted])
        #expect(before != after)

        for point in points {
            let crashes = CrashSwitch()
            let (fileSystem, db) = try Maintenance.restored(count: count, crashes: crashes)
            crashes.arm(point)
            #expect(throws: (any Error).self) { try db.applyRetention(before: horizon) }
            for (label, disk) in Maintenance.aftermaths(of: fileSystem) {
                let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
                let answers = try Maintenance.answers(reopened)
                #expect(answers == before || answers == after, "\(point) \(label)")
                if point == .retentionCommitted || point == .checkpointBeforeWALRemoval {
                    #expect(answers == after, "\(point) \(label): committed retention was lost")
                }
                #expect(try reopened.verify().isClean, "\(point) \(label)")
            }
        }
    }

    /// Issue 7 item 4: EIO and ENOSPC at the N-th write or sync of the retention commit.
    /// ENOSPC is tried as a persistent fault (the disk stays full), EIO as a one-off.
    @Test(arguments: [SimulatedFileSystem.Operation.write, .sync], [EIO, ENOSPC])
    func ioErrorsDuringRetention(kind: SimulatedFileSystem.Operation, code: Int32) throws {
        let horizon = Fixtures.start + 2 * day
        let (probe, probeDB) = try Maintenance.restored(count: 240)
        let before = try Maintenance.answers(probeDB)
        let callsBefore = probe.callCount(kind)
        try probeDB.applyRetention(before: horizon)
        let after = try Maintenance.answers(probeDB)
        let calls = probe.callCount(kind) - callsBefore
        #expect(calls >= 2)
        for n in 1...calls {
            for persistent in [code == ENOSPC] {
                let (fileSystem, db) = try Maintenance.restored(count: 240)
                fileSystem.inject(.init(kind: kind, errno: code, afterCalls: n, persistent: persistent, partialWrite: true))
                let error = #expect(throws: TallyError.self) { try db.applyRetention(before: horizon) }
                #expect(error?.osErrno == code || error?.code == .needsReopen, "\(n)")
                // The live handle shows one state or the other, whole.
                let live = try Maintenance.answers(db)
                #expect(live == before || live == after, "n=\(n) persistent=\(persistent)")
                for (label, disk) in Maintenance.aftermaths(of: fileSystem, all: false) {
                    let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
                    let answers = try Maintenance.answers(reopened)
                    #expect(answers == before || answers == after, "n=\(n) \(label)")
                    #expect(try reopened.verify().isClean, "n=\(n) \(label)")
                }
            }
        }
    }
}
