import Testing
@testable import Tally
import TallyTesting

/// Series are sorted by the UTF-8 bytes of their pairs (format-spec.md rule S3). For strings
/// not in NFC that differs from `String`'s order: "e" + U+0301 + "x" compares as "éx" and so
/// after "éa" as a `String`, but its bytes (65 CC 81 78) sort before "éa"'s (C3 A9 61). The
/// flush, compaction and `verify` must all use the byte order.
@Suite struct ByteOrderSeriesTests {
    static let values = ["e\u{301}x", "\u{E9}a", "z", "A"]

    static func events() -> [Event] {
        values.enumerated().flatMap { index, value in
            (0...index).map { i in
                Event(
                    timestamp: Fixtures.start + Int64(i) * 60_000, metric: "m",
                    dimensions: ["k": value], unit: "u\(index)-\(i)")
            }
        }
    }

    @Test func flushCompactionAndVerifyAgreeOnTheByteOrder() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(Self.events())
        try db.flush()
        try db.ingest(Self.events())  // a second segment of the same partition, for compaction
        try db.flush()
        let report = try db.verify()
        #expect(report.isClean, "\(report.problems)")
        try expectAnswers(db)

        _ = try db.compact()
        let compacted = try db.verify()
        #expect(compacted.isClean, "\(compacted.problems)")
        try expectAnswers(db)

        // The merged segment's series are in byte order.
        let info = try db.engine.stateLock.withLock { db.engine.catalog.segments[0] }
        let content = try SegmentReader(
            file: db.engine.file, info: info, partitionMilliseconds: Granularity.day.milliseconds
        ).readContent()
        let values = content.metrics[0].series.map { pairs in pairs.first { $0.key == "k" }!.value }
        #expect(values.map { Array($0.utf8) } == values.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(values == ["A", "e\u{301}x", "z", "\u{E9}a"])
        try db.close()
    }

    /// Each value's events, counted twice (two ingests), found by its exact bytes.
    private func expectAnswers(_ db: Tally) throws {
        let result = try db.query(Query(metric: "m", groupBy: ["k"]))
        var counts: [[UInt8]: UInt64] = [:]
        for row in result.rows { counts[Array(row.dimensions[0]!.utf8)] = row.count }
        for (index, value) in Self.values.enumerated() {
            #expect(counts[Array(value.utf8)] == UInt64(2 * (index + 1)), "\(value.debugDescription)")
        }
    }
}
