import Testing
@testable import Tally

/// Row groups, their zones (rule S7) and the per-bucket totals (rule S8): a segment large enough
/// to split answers every kind of query as the brute-force oracle does, and filtered queries
/// skip the groups whose zones exclude them.
@Suite struct RowGroupTests {
    static let day: Int64 = 1_790_812_800_000

    /// One day of pageviews and purchases over 600 templates × 5 countries: several thousand
    /// series, so pageview's rows split into several groups.
    static func events(count: Int) -> [Event] {
        var random = RandomEvents(seed: 11)
        let countries = ["US", "DE", "IN", "BR", "JP"]
        return (0..<count).map { index in
            let metric = index % 5 == 0 ? "purchase" : "pageview"
            var dimensions = ["country": countries[random.below(countries.count)]]
            if random.below(8) != 0 { dimensions["template_id"] = "t\(1000 + random.below(600))" }
            return Event(
                timestamp: day + Int64(random.below(86_400_000)), metric: metric, dimensions: dimensions,
                value: metric == "purchase" ? Double(random.below(100_000)) / 100 - 100 : nil,
                unit: "u\(random.below(3000))")
        }
    }

    static let queries: [Query] = [
        Query(metric: "pageview"),
        Query(metric: "pageview", every: .hour),
        Query(metric: "purchase", every: .milliseconds(3 * 3_600_000), measures: [.count, .sum, .min, .max, .mean]),
        Query(metric: "purchase", from: day + 5 * 3_600_000, to: day + 7 * 3_600_000 + 1, measures: [.count, .sum]),
        Query(metric: "pageview", every: .day, measures: [.count, .units]),
        Query(metric: "pageview", filters: ["template_id": ["t1042"], "country": ["US"]], every: .hour),
        Query(metric: "pageview", filters: ["template_id": ["t1000", "t1599", "t9999"]], groupBy: ["country"]),
        Query(metric: "pageview", filters: ["country": ["JP"]], groupBy: ["template_id"], measures: [.count, .units]),
        Query(metric: "purchase", filters: ["template_id": ["t1300"]], measures: [.count, .sum, .min, .max]),
        Query(metric: "pageview", groupBy: ["template_id", "country"], every: .hour),
    ]

    @Test func largeSegmentsSplitAndAnswerAsTheOracle() throws {
        let directory = TestDirectory()
        let events = Self.events(count: 40_000)
        let db = try Self.flushed(events, in: directory)
        let (footer, _) = try Self.firstSegment(db)
        let pageview = try #require(footer.metrics.first { $0.groups.count > 1 })
        #expect(pageview.groups.count >= 4)
        for group in pageview.groups.dropLast() { #expect(group.rowCount >= SegmentFooter.rowsPerGroup) }
        for query in Self.queries {
            let problems = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
            #expect(problems.isEmpty, "\(query): \(problems.prefix(5))")
        }
        #expect(try db.verify().isClean)
        try db.close()
    }

    /// A decoded footer encodes to the bytes it was read from: each group keeps its own nine
    /// column references (held inline) and its own zones (slices of one shared array). Its
    /// summary decodes alike.
    @Test func footersDecodeToTheBytesTheyWereReadFrom() throws {
        #expect(SegmentFooter.ColumnRefs.count == SegmentFooter.columnKinds.count)
        let directory = TestDirectory()
        let db = try Self.flushed(Self.events(count: 40_000), in: directory)
        let info = db.engine.stateLock.withLock { db.engine.catalog.segments[0] }
        let reader = SegmentReader(file: db.engine.file, info: info, partitionMilliseconds: Granularity.day.milliseconds)
        let raw = try reader.readBlock(
            SegmentFooter.BlockRef(offset: info.footerOffset - info.offset, length: info.footerLength), kind: .segmentFooter)
        let footer = try reader.readFooter()
        #expect(footer.encode() == raw)
        // The summary, which steps over the groups' references and zones, agrees with the whole.
        let summary = try reader.readFooterSummary()
        #expect(summary == footer.summary)
        #expect(summary.metrics.map(\.eventCount).reduce(0, +) == footer.metrics.map(\.eventCount).reduce(0, +))
        #expect(summary.metrics.allSatisfy { $0.minTime <= $0.maxTime })
        let groups = footer.metrics.flatMap(\.groups)
        #expect(groups.count >= 5)
        for (group, next) in zip(groups, groups.dropFirst()) {
            #expect(!group.zones.isEmpty && group.zones.endIndex == next.zones.startIndex)
            #expect(group.column(.series).offset < next.column(.series).offset)
            #expect(group.column(.counts) == group.columns[Int(BlockKind.counts.rawValue - BlockKind.series.rawValue)])
        }
        #expect(groups.allSatisfy { $0.columns.presentCount >= 4 && $0.columns.all.count == 9 })
        try db.close()
    }

    /// Files written before session 10 deflated their footers: such a segment reads the same,
    /// whole and as a summary.
    @Test func deflatedFootersStillRead() throws {
        let directory = TestDirectory()
        let db = try Self.flushed(Self.events(count: 20_000), in: directory)
        let info = db.engine.stateLock.withLock { db.engine.catalog.segments[0] }
        let stored = try #require(try db.engine.file.readExactly(at: info.offset, count: Int(info.length)))
        let footerStart = Int(info.footerOffset - info.offset)
        #expect(stored[footerStart + 12] == Block.Codec.raw.rawValue)
        let raw = Array(stored[(footerStart + Block.headerSize)...])
        let deflated = ForgedDatabase.frame(
            Zlib.compress(raw), kind: .segmentFooter, codec: Block.Codec.zlib.rawValue, rawLength: UInt32(raw.count))
        #expect(deflated.count < raw.count + Block.headerSize)
        let bytes = Array(stored[..<footerStart]) + deflated
        var old = info
        (old.offset, old.footerOffset) = (0, UInt64(footerStart))
        (old.length, old.footerLength) = (UInt64(bytes.count), UInt64(deflated.count))
        let partition = Granularity.day.milliseconds
        let current = SegmentReader(file: db.engine.file, info: info, partitionMilliseconds: partition)
        let before = SegmentReader(file: MemoryFile(bytes), info: old, partitionMilliseconds: partition)
        #expect(try before.readFooter() == current.readFooter())
        #expect(try before.readFooterSummary() == current.readFooterSummary())
        let (a, b) = (try before.readContent(), try current.readContent())
        #expect(a.rowCount == b.rowCount && a.metrics.map(\.rows.count) == b.metrics.map(\.rows.count))
        try db.close()
    }

    @Test func zonesSkipGroupsThatCannotMatch() throws {
        let directory = TestDirectory()
        let db = try Self.flushed(Self.events(count: 40_000), in: directory)
        let (footer, dictionary) = try Self.firstSegment(db)
        let index = Dictionary(uniqueKeysWithValues: dictionary.enumerated().map { ($1, Int32($0)) })
        let groups = try #require(footer.metrics.first { $0.groups.count > 1 }).groups
        func admitted(_ query: Query) -> Int {
            var filter = ZoneFilter(query: query, index: index)
            return groups.filter { filter.admits($0, dictionary: dictionary) }.count
        }
        // Series sort by country first, so one country spans about a fifth of the groups.
        #expect(admitted(Query(metric: "pageview", filters: ["country": ["JP"]])) < groups.count)
        #expect(admitted(Query(metric: "pageview", filters: ["country": ["US", "JP"]])) < groups.count)
        #expect(admitted(Query(metric: "pageview", filters: ["country": ["FR"]])) == 0)
        #expect(admitted(Query(metric: "pageview", filters: ["template_id": ["t1042"]])) > 0)
        #expect(admitted(Query(metric: "pageview")) == groups.count)
        // Every group's zones bound exactly the values of its series.
        var seriesStart = 0
        let content = try SegmentReader(
            file: db.engine.file, info: db.engine.stateLock.withLock { db.engine.catalog.segments[0] },
            partitionMilliseconds: Granularity.day.milliseconds
        ).readContent()
        let series = try #require(content.metrics.first { $0.name == "pageview" }).series
        for group in groups {
            let values = series[seriesStart..<seriesStart + group.seriesCount].flatMap { $0 }
            for zone in group.zones {
                let ofKey = values.filter { $0.key == dictionary[zone.key] }.map(\.value)
                #expect(ofKey.min { $0.utf8.lexicographicallyPrecedes($1.utf8) } == dictionary[zone.minValue])
                #expect(ofKey.max { $0.utf8.lexicographicallyPrecedes($1.utf8) } == dictionary[zone.maxValue])
            }
            #expect(Set(group.zones.map { dictionary[$0.key] }) == Set(values.map(\.key)))
            seriesStart += group.seriesCount
        }
        try db.close()
    }

    @Test func totalsAreEveryRowOfABucketMerged() throws {
        let directory = TestDirectory()
        let events = Self.events(count: 20_000)
        let db = try Self.flushed(events, in: directory)
        let info = db.engine.stateLock.withLock { db.engine.catalog.segments[0] }
        let reader = SegmentReader(file: db.engine.file, info: info, partitionMilliseconds: Granularity.day.milliseconds)
        let footer = try reader.readFooter()
        let dictionary = try reader.readDictionary(footer)
        for metric in footer.metrics {
            let name = dictionary[metric.nameIndex]
            let totals = try reader.readTotals(metric, footer: footer)
            let expected = Oracle.answer(Query(metric: name, every: .hour, measures: [.count, .sum, .min, .max]),
                                         events: events, bucket: 3_600_000)
            #expect(totals.count == expected.count)
            for (bucket, cell) in totals {
                let want = try #require(expected[Oracle.Key(time: bucket, dimensions: [])])
                #expect(cell.count == want.count && cell.valueCount == want.valueCount)
                #expect(abs(cell.total - want.sum) <= 1e-9 * max(1, abs(want.sum)), "\(name) at \(bucket)")
                if want.valueCount > 0 { #expect(cell.min == want.min && cell.max == want.max) }
            }
        }
        try db.close()
    }

    @Test func totalsOnlyQueriesReadNoDictionary() throws {
        let directory = TestDirectory()
        let events = Self.events(count: 5_000)
        let db = try Self.flushed(events, in: directory)
        db.engine.segmentCache.withLock { $0.removeAll() }
        let query = Query(metric: "purchase", every: .hour, measures: [.count, .sum, .min, .max])
        let problems = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(db.engine.segmentCache.withLock { cache in
            !cache.isEmpty && cache.values.allSatisfy { $0.names == nil && $0.footer == nil }
        })
        _ = try db.query(Query(metric: "purchase", groupBy: ["country"]))
        #expect(db.engine.segmentCache.withLock { cache in
            cache.values.allSatisfy { $0.names != nil && $0.footer.map(\.summary) == $0.summary }
        })
        // Totals read through a cached whole footer answer the same.
        let again = Oracle.mismatches(try db.query(query), Oracle.answer(query, events: events, bucket: 3_600_000))
        #expect(again.isEmpty, "\(again.prefix(5))")
        try db.close()
    }

    /// A new database in `directory` holding `events`, flushed into segments.
    static func flushed(_ events: [Event], in directory: TestDirectory) throws -> Tally {
        let db = try Tally.open(at: directory.file("a.tally"))
        try db.ingest(events)
        try db.flush()
        return db
    }

    static func firstSegment(_ db: Tally) throws -> (SegmentFooter, [String]) {
        let info = db.engine.stateLock.withLock { db.engine.catalog.segments[0] }
        let reader = SegmentReader(file: db.engine.file, info: info, partitionMilliseconds: Granularity.day.milliseconds)
        let footer = try reader.readFooter()
        return (footer, try reader.readDictionary(footer))
    }
}
