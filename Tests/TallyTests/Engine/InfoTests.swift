import Testing
@testable import Tally
import TallyTesting

/// ``Tally/info()``'s per-metric figures: a series counts once however many segments and the
/// head hold it; rows are cells, events are events.
@Suite struct InfoTests {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    func event(_ offset: Int64, _ metric: String, _ dimensions: [String: String]) -> Event {
        Event(timestamp: Fixtures.start + offset, metric: metric, dimensions: dimensions, unit: "u")
    }

    func figures(_ db: Tally) throws -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: try db.info().metrics.map { ($0.name, [$0.series, Int($0.rows), Int($0.events)]) })
    }

    @Test func seriesCountOnceAcrossSegmentsAndTheHead() throws {
        let fileSystem = SimulatedFileSystem()
        var db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest([
            event(0, "m", ["k": "a"]), event(0, "m", ["k": "b", "j": "x"]), event(Self.hour, "m", ["k": "a"]),
            event(Self.hour, "m", ["k": "a"]),
        ])
        try db.flush()
        try db.ingest([
            event(Self.day, "m", ["j": "x", "k": "b"]), event(Self.day, "m", ["k": "c"]), event(Self.day, "n", [:]),
        ])
        // m: series {k=a}, {j=x, k=b}, {k=c}; rows (a, 0h), (a, 1h), (b x, 0h) in the segment and
        // (b x, day), (c, day) in the head.
        let expected = ["m": [3, 5, 6], "n": [1, 1, 1]]
        #expect(try figures(db) == expected)
        #expect(try db.info().headCells == 3)
        try db.flush()
        #expect(try figures(db) == expected)
        try db.close()
        db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        #expect(try figures(db) == expected)
    }

    @Test func experimentAssignmentsAreCountedByWritersAndReaders() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        func exposure(_ unit: String, _ experiment: String) -> Event {
            Event(timestamp: Fixtures.start, metric: "exposure", dimensions: ["experiment": experiment, "variant": "a"], unit: unit)
        }
        try db.ingest(["u1", "u2", "u3"].map { exposure($0, "e1") } + ["u1", "u2"].map { exposure($0, "e2") } + [exposure("u1", "e1")])
        var info = try db.info()
        #expect(info.experimentAssignments == 5)
        #expect((info.experimentStateBytes ?? 0) > 0)
        try db.close()

        var options = Fixtures.options(fileSystem)
        options.readOnly = true
        let reader = try Tally.open(at: Fixtures.path, options: options)
        info = try reader.info()
        #expect(info.experimentAssignments == 5)
        #expect(info.experimentStateBytes == nil)  // a reader holds only the report's aggregates
    }
}
