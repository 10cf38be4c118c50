import Testing
@testable import Tally
import TallyTesting

/// A flipped byte anywhere in a segment is reported as corruption with an offset, never a
/// crash and never a wrong answer (rules B1, S5).
@Suite struct SegmentCorruptionTests {
    @Test func everyByteOfASegmentIsProtected() throws {
        let fileSystem = SimulatedFileSystem()
        var random = RandomEvents(seed: 7)
        let events = random.events(count: 400, days: 1)
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest(events)
        try db.close()
        let queries = [
            Query(metric: "pageview", groupBy: ["country"], every: .hour, measures: [.count, .units]),
            Query(metric: "purchase", groupBy: ["device"], measures: [.count, .sum, .min, .max, .units]),
        ]
        let reference = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem.processCrash()))
        let expected = try queries.map { try reference.query($0) }
        let segment = try reference.engine.stateLock.withLock { reference.engine.catalog.segments[0] }
        let original = fileSystem.snapshotFiles()[Fixtures.path]!
        var detected = 0
        for offset in Int(segment.offset)..<Int(segment.offset + segment.length) {
            var damaged = original
            damaged[offset] ^= UInt8(1 << (offset % 8))
            let disk = SimulatedFileSystem()
            disk.setContents(damaged, atPath: Fixtures.path)
            do {
                let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
                let answers = try queries.map { try db.query($0) }
                #expect(answers == expected, "flip at \(offset) changed an answer")
                #expect(try !db.verify().isClean, "flip at \(offset) passed verify")
            } catch let error as TallyError {
                #expect(error.code == .corruption, "flip at \(offset): \(error)")
                #expect(error.offset != nil)
                detected += 1
            }
        }
        #expect(detected > 0)
    }
}
