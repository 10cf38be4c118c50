import Testing
@testable import Tally
import TallyTesting

/// Replay on two threads (Engine+Replay.swift): a helper decodes the logged batches and applies
/// the experiment state while the opening thread applies the head. A log of many more batches
/// than the hand-over holds must rebuild exactly the state before the crash, and a record that
/// does not decode in the middle of the log is corruption at its offset.
@Suite struct ReplayTests {
    let walPath = WALFormat.path(forDatabase: Fixtures.path)
    let batchCount = Engine.replayQueueCapacity * 6

    /// Exposures to two experiments, purchases with values and pageviews, over 200 units.
    func workload() -> [[Event]] {
        var random = RandomEvents(seed: 29)
        return (0..<batchCount).map { round in
            (0..<100).map { _ in
                let unit = "u\(random.below(200))"
                let ts = Fixtures.start + Int64(round * 60_000 + random.below(60_000))
                switch random.below(4) {
                case 0:
                    return Event(
                        timestamp: ts, metric: "exposure",
                        dimensions: ["experiment": ["e1", "e2"][random.below(2)], "variant": ["control", "b"][random.below(2)]],
                        unit: unit)
                case 1:
                    return Event(timestamp: ts, metric: "purchase", value: Double(random.below(500)) / 4, unit: unit)
                default:
                    return Event(timestamp: ts, metric: "pageview", dimensions: ["country": ["US", "DE"][random.below(2)]], unit: unit)
                }
            }
        }
    }

    /// A disk whose log holds every batch of ``workload()`` (nothing was flushed).
    func crashedDisk() throws -> SimulatedFileSystem {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for batch in workload() { try db.ingest(batch) }
        return fileSystem.processCrash()
    }

    /// Where each frame of `wal` ends.
    func frameEnds(_ wal: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var position = WALFormat.fileHeaderSize
        while position < wal.count {
            position += WALFormat.paddedLength(payload: Int(ByteReader(wal).getUInt32(at: position)!))
            ends.append(position)
        }
        return ends
    }

    @Test func aLongLogReplaysToTheStateBeforeTheCrash() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for batch in workload() { try db.ingest(batch) }
        let pageviews = Query(metric: "pageview", groupBy: ["country"], measures: [.count, .units])
        let purchases = Query(metric: "purchase", measures: [.count, .sum, .units])
        let before = (
            try db.variantReport(experiment: "e1"), try db.variantReport(experiment: "e2"),
            try db.query(pageviews), try db.query(purchases))
        let disk = fileSystem.processCrash()
        #expect(frameEnds(disk.snapshotFiles()[walPath]!).count == batchCount)
        let reopened = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
        #expect(try reopened.variantReport(experiment: "e1") == before.0)
        #expect(try reopened.variantReport(experiment: "e2") == before.1)
        #expect(try reopened.query(pageviews) == before.2)
        #expect(try reopened.query(purchases) == before.3)
        #expect(before.0.units > 0 && before.3.rows.first?.count ?? 0 > 0)
    }

    @Test func anUndecodableRecordInTheMiddleIsCorruptionAtItsOffset() throws {
        let disk = try crashedDisk()
        let wal = disk.snapshotFiles()[walPath]!
        let salt = WALFormat.decodeFileHeader(wal)!
        let middle = frameEnds(wal)[batchCount / 2]
        // A valid frame whose payload is no batch record (its flags byte is out of range);
        // the frames after it stay valid.
        let forged = WALFormat.encodeFrame(type: .batch, payload: [0xFF], salt: salt, syncedOffset: UInt64(middle))
        disk.setContents(Array(wal[..<middle]) + forged + Array(wal[middle...]), atPath: walPath)
        let error = #expect(throws: TallyError.self) {
            try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
        }
        #expect(error?.code == .corruption && error?.offset == UInt64(middle))
    }
}
