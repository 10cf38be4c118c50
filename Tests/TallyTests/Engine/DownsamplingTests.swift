import Testing
@testable import Tally
import TallyTesting

/// Downsampling during compaction (format-spec.md, rule K7; issue 5 item 3).
@Suite struct DownsamplingTests {
    let day = Maintenance.day
    let hour = Maintenance.hour
    let minute: Int64 = 60_000
    let now = Fixtures.start + 10 * Maintenance.day
    /// Day 0 ends 9 days before now, day 1 eight: day 0 goes to days, day 1 to hours.
    let rules = [(olderThan: 8 * Maintenance.day, bucket: Granularity.hour), (olderThan: 9 * Maintenance.day, bucket: .day)]

    var queries: [Query] {
        [
            Query(metric: "pageview", every: .minute),
            Query(metric: "purchase", groupBy: ["country"], every: .minute, measures: Set(Measure.allCases)),
            Query(metric: "pageview", groupBy: ["device"], every: .milliseconds(5 * hour), measures: [.count, .units]),
            Query(metric: "purchase", every: .hour, from: Fixtures.start + 12 * hour, to: Fixtures.start + 30 * hour,
                  measures: [.count, .sum, .min]),
            Query(metric: "error", groupBy: ["country"], every: .day),
            Query(metric: "pageview", groupBy: ["country"], measures: [.count, .units]),
        ]
    }

    /// The bucket width each event ends up in after compaction with `rules` at `now`.
    func downsampledBucket(_ timestamp: Int64) -> Int64 {
        if timestamp < Fixtures.start + day { return day }
        if timestamp < Fixtures.start + 2 * day { return hour }
        return minute
    }

    func open(_ fileSystem: SimulatedFileSystem) throws -> Tally {
        var options = Fixtures.options(fileSystem)
        options.clock = ManualClock(nowMilliseconds: now)
        options.bucket = .minute
        return try Tally.open(at: Fixtures.path, options: options)
    }

    func mismatches(_ db: Tally, _ events: [Event], bucketOf: (Int64) -> Int64) throws -> [String] {
        try queries.flatMap { query in
            Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucketOf: bucketOf))
                .map { "\(query.metric) \(query.every): \($0)" }
        }
    }

    @Test func downsampledPartitionsAnswerAtTheCoarserBucketWithExactCounts() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try open(fileSystem)
        let events = Maintenance.exactEvents(seed: 21, count: 1600).sorted { $0.timestamp < $1.timestamp }
        try Maintenance.ingest(events, into: db, batchSize: 200)
        #expect(try mismatches(db, events) { _ in minute }.isEmpty)
        let daily = try db.query(Query(metric: "pageview", groupBy: ["country"], every: .day, measures: [.count, .units]))

        let result = try db.compact(options: CompactOptions(downsample: rules))
        #expect(result.partitionsDownsampled == 2)
        #expect(result.rowsAfter < result.rowsBefore)
        let buckets = try db.info().segments.map { ($0.partitionStart, $0.bucketMilliseconds) }
        #expect(buckets.map(\.0) == (0..<4).map { Fixtures.start + Int64($0) * day })
        #expect(buckets.map(\.1) == [day, hour, minute, minute])

        let problems = try mismatches(db, events, bucketOf: downsampledBucket)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // The result says when rows come coarser than asked.
        #expect(try db.query(Query(metric: "pageview", every: .minute)).coarsestBucketMilliseconds == day)
        #expect(try db.query(Query(metric: "pageview", every: .minute, from: Fixtures.start + day)).coarsestBucketMilliseconds == hour)
        #expect(try db.query(Query(metric: "pageview", every: .minute, from: Fixtures.start + 2 * day)).coarsestBucketMilliseconds == minute)
        // At a resolution no finer than every bucket, answers are unchanged.
        let dailyAfter = try db.query(Query(metric: "pageview", groupBy: ["country"], every: .day, measures: [.count, .units]))
        #expect(dailyAfter.rows == daily.rows)
        #expect(daily.coarsestBucketMilliseconds == minute && dailyAfter.coarsestBucketMilliseconds == day)
        #expect(try db.verify().isClean)

        let reopened = try open(fileSystem.processCrash())
        #expect(try mismatches(reopened, events, bucketOf: downsampledBucket).isEmpty)
        // Compacting again with the same rules changes nothing; rows are never made finer.
        let again = try reopened.compact(options: CompactOptions(downsample: [(olderThan: 0, bucket: .minute)]))
        #expect(again.partitionsRewritten == 0)
        #expect(try reopened.info().segments.map(\.bucketMilliseconds) == [day, hour, minute, minute])
    }

    /// Late events for a downsampled partition come at the database bucket; both answer, and the
    /// next compaction merges them at the coarser bucket.
    @Test func lateEventsIntoADownsampledPartitionMergeAtTheCoarserBucket() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try open(fileSystem)
        let events = Maintenance.exactEvents(seed: 22, count: 800).sorted { $0.timestamp < $1.timestamp }
        try Maintenance.ingest(events, into: db, batchSize: 200)
        try db.compact(options: CompactOptions(downsample: rules))
        let taken = Set(events.map(\.timestamp))
        let late = Maintenance.exactEvents(seed: 23, count: 100, days: 1).filter { !taken.contains($0.timestamp) }
        let lateTimes = Set(late.map(\.timestamp))
        #expect(try db.ingest(late).accepted == late.count)
        var problems = try mismatches(db, events + late) { lateTimes.contains($0) ? minute : downsampledBucket($0) }
        #expect(problems.isEmpty, "\(problems.prefix(5))")

        try db.flush()
        try db.compact()  // no rules: day 0 mixes day and minute segments, and is merged at days
        #expect(try db.info().segments.filter { $0.partitionStart == Fixtures.start }.map(\.bucketMilliseconds) == [day])
        problems = try mismatches(db, events + late, bucketOf: downsampledBucket)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(try db.verify().isClean)
    }

    @Test func invalidRulesAreRejectedBeforeAnythingIsWritten() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))  // hour bucket, day partition
        for rule in [DownsampleRule(olderThan: 0, bucket: .minute), DownsampleRule(olderThan: 0, bucket: .week),
                     DownsampleRule(olderThan: -1, bucket: .day)] {
            let error = #expect(throws: TallyError.self) { try db.compact(options: CompactOptions(downsample: [rule])) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(!fileSystem.fileExists(atPath: Fixtures.path + ".compacting"))
    }
}
