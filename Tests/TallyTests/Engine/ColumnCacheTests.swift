import Testing
@testable import Tally

/// The decoded-row-group cache: repeated queries answer the same from it, it stays within its
/// budget, and it forgets segments that retention or compaction removed.
@Suite struct ColumnCacheTests {
    static let queries: [Query] = [
        Query(metric: "pageview", filters: ["country": ["US"]], every: .hour),
        Query(metric: "pageview", groupBy: ["template_id"], measures: [.count, .units]),
        Query(metric: "purchase", groupBy: ["country"], measures: [.count, .sum, .min, .max]),
    ]

    func open(_ directory: TestDirectory, cacheBytes: Int) throws -> (Tally, [Event]) {
        var options = Options()
        options.queryCacheBytes = cacheBytes
        let db = try Tally.open(at: directory.file("a.tally"), options: options)
        var events = RowGroupTests.events(count: 20_000)
        events += events.map { event in
            var later = event
            later.timestamp += 86_400_000
            return later
        }
        try db.ingest(events)
        try db.flush()
        return (db, events)
    }

    @Test func repeatedQueriesAnswerFromTheCacheAsTheOracle() throws {
        let directory = TestDirectory()
        let (db, events) = try open(directory, cacheBytes: 64 << 20)
        for query in Self.queries {
            let first = try db.query(query)
            let cachedBytes = db.engine.columnCache.withLock { $0.bytes }
            let second = try db.query(query)
            #expect(first == second)
            #expect(cachedBytes > 0)
            #expect(db.engine.columnCache.withLock { $0.bytes } == cachedBytes, "a repeated query decoded again")
            let problems = Oracle.mismatches(second, Oracle.answer(query, events: events, bucket: 3_600_000))
            #expect(problems.isEmpty, "\(query): \(problems.prefix(5))")
        }
        try db.close()
    }

    @Test func theBudgetBoundsTheCache() throws {
        for budget in [0, 40_000] {
            let directory = TestDirectory()
            let (db, events) = try open(directory, cacheBytes: budget)
            for query in Self.queries + Self.queries {
                let problems = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
                #expect(problems.isEmpty, "\(query): \(problems.prefix(5))")
                #expect(db.engine.columnCache.withLock { $0.bytes } <= budget)
            }
            try db.close()
        }
    }

    @Test func droppedAndCompactedSegmentsLeaveTheCache() throws {
        let directory = TestDirectory()
        let (db, events) = try open(directory, cacheBytes: 64 << 20)
        for query in Self.queries { _ = try db.query(query) }
        let secondDay = RowGroupTests.day + 86_400_000
        let cachedBefore = db.engine.columnCache.withLock { $0.segmentsCached }
        try db.applyRetention(before: secondDay)
        let afterRetention = Set(try db.engine.stateLock.withLock { db.engine.catalog.segments.map(\.id) })
        #expect(cachedBefore.count == 2)
        #expect(db.engine.columnCache.withLock { $0.segmentsCached } == cachedBefore.intersection(afterRetention))
        #expect(afterRetention.count == 1)
        let remaining = events.filter { $0.timestamp >= secondDay }
        _ = try db.compact()
        let live = Set(try db.engine.stateLock.withLock { db.engine.catalog.segments.map(\.id) })
        #expect(db.engine.columnCache.withLock { $0.segmentsCached.isSubset(of: live) })
        for query in Self.queries {
            let problems = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: remaining, bucket: 3_600_000))
            #expect(problems.isEmpty, "\(query): \(problems.prefix(5))")
        }
        try db.close()
    }

    @Test func evictionIsFirstInFirstOut() {
        var columns = SegmentReader.MetricColumns(series: SeriesTable(), seriesRuns: [], buckets: [0], counts: [1])
        columns.buckets = Array(repeating: 0, count: 100)
        let size = columns.approximateBytes
        var cache = ColumnCache(budgetBytes: 3 * size)
        func key(_ group: Int) -> ColumnCache.Key { ColumnCache.Key(segment: 1, metric: 0, group: group, columns: 0) }
        for group in 0..<5 { cache.insert(columns, for: key(group)) }
        #expect(cache.bytes == 3 * size)
        #expect((0..<5).map { cache.columns(for: key($0)) != nil } == [false, false, true, true, true])
        cache.keepOnly(segments: [])
        #expect(cache.bytes == 0 && cache.segmentsCached.isEmpty)
    }
}
