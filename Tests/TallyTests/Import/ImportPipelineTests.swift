import Foundation
import Testing
@testable import Tally
import TallyTesting

/// The import reads and parses on a second thread while the calling thread commits: what the
/// caller sees (summary, progress, errors, line numbers) stays that of one thread doing both.
@Suite struct ImportPipelineTests {
    /// Descriptors of this process open on `path` (other tests run beside this one).
    func descriptors(openOn path: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path }.count
    }

    @Test func progressIsReportedInOrderAfterEachFullBatch() throws {
        let directory = TestDirectory()
        let input = directory.file("events.ndjson")
        let bytes = NDJSONImporterTests.writeWorkload(input, events: 3_000)
        let lines = bytes.filter { $0 == 0x0A }.count
        let db = try Tally.open(at: directory.file("p.tally"))
        let reports = Locked<[ImportProgress]>([])
        var options = ImportOptions()
        options.batchSize = 250
        options.progress = { progress in reports.withLock { $0.append(progress) } }
        let summary = try db.importNDJSON(fromPath: input, options: options)
        let seen = reports.withLock { $0 }
        #expect(seen.count == lines / 250)
        #expect(seen.map(\.batches) == Array(1...seen.count))
        #expect(seen.map(\.events) == seen.indices.map { ($0 + 1) * 250 })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.bytesRead < $1.bytesRead })
        #expect(seen.allSatisfy { $0.totalBytes == UInt64(bytes.count) })
        #expect(summary.lines == lines && summary.events == lines)
    }

    @Test func skippedLinesOfManyBatchesAreReportedInLineOrder() throws {
        let directory = TestDirectory()
        let input = directory.file("skips.ndjson")
        var text = String(decoding: NDJSONImporterTests.writeWorkload(input, events: 1_000), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let bad = [3, 99, 100, 401, 402, 777]
        for line in bad { text[line] = "{nope" }
        try (text.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("s.tally"))
        var options = ImportOptions()
        options.batchSize = 100
        options.skipInvalid = true
        options.maxReportedProblems = 4
        let summary = try db.importNDJSON(fromPath: input, options: options)
        #expect(summary.skippedLines == bad.count)
        #expect(summary.problems.map(\.line) == bad.prefix(4).map { $0 + 1 })
        #expect(summary.events == text.count - bad.count)
        #expect(summary.lines == text.count)
    }

    @Test func aStopReportsTheLinesReadThroughTheBadOne() throws {
        let directory = TestDirectory()
        let input = directory.file("bad.ndjson")
        var text = String(decoding: NDJSONImporterTests.writeWorkload(input, events: 1_000), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        text[620] = "{\"ts\":1}"
        try (text.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("b.tally"))
        var options = ImportOptions()
        options.batchSize = 100
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(error?.line == 621)
        #expect(error?.summary?.lines == 621)
        #expect(error?.summary?.batches == 6)
        #expect(error?.summary?.events == 600)
    }

    /// A line the reader refuses to buffer (no newline within the first MiB it holds) is an
    /// error of reading, not parsing: the lines before it count, it does not.
    @Test func anOverlongLineStopsWithItsLineNumber() throws {
        let directory = TestDirectory()
        let input = directory.file("long.ndjson")
        let good = #"{"ts":1790812800000,"metric":"pageview","unit":"u"}"#
        let long = #"{"ts":1790812800000,"metric":"pageview","unit":""# + String(repeating: "x", count: 5 << 20) + "\"}"
        try ([good, good, good, long, good].joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("l.tally"))
        var options = ImportOptions()
        options.batchSize = 2
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(error?.line == 4)
        #expect(error?.summary?.lines == 3)
        #expect(error?.summary?.events == 2)
    }

    @Test func aReadErrorKeepsTheLinesSkippedBeforeItInItsSummary() throws {
        let directory = TestDirectory()
        let input = directory.file("skip-then-long.ndjson")
        let good = #"{"ts":1790812800000,"metric":"pageview","unit":"u"}"#
        let long = String(repeating: "x", count: 5 << 20)
        try ([good, "{nope", good, long].joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("k.tally"))
        var options = ImportOptions()
        options.skipInvalid = true
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(error?.line == 4)
        #expect(error?.summary?.skippedLines == 1)
        #expect(error?.summary?.problems.map(\.line) == [2])
    }

    /// A batch's log sync overlaps the next batch's work, yet progress reports only durable
    /// batches, and every batch is durable when the import returns (durability `full`).
    @Test func progressAndTheReturnComeOnlyAfterTheBatchesAreDurable() throws {
        let directory = TestDirectory()
        let input = directory.file("events.ndjson")
        let bytes = NDJSONImporterTests.writeWorkload(input, events: 2_000)
        let lines = bytes.filter { $0 == 0x0A }.count
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        /// Events that survive a power loss now.
        let durableEvents: @Sendable () throws -> UInt64 = {
            let survivor = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem.powerLossSnapshot(.dropUnsynced)))
            return try survivor.info().eventsIngested
        }
        let shortfalls = Locked<[String]>([])
        var options = ImportOptions()
        options.batchSize = 200
        options.progress = { progress in
            let durable = (try? durableEvents()) ?? 0
            if durable < UInt64(progress.events) {
                shortfalls.withLock { $0.append("\(durable) durable of \(progress.events) reported") }
            }
        }
        let summary = try db.importNDJSON(fromPath: input, options: options)
        #expect(summary.events == lines && summary.batches == (lines + 199) / 200)
        #expect(shortfalls.withLock { $0 } == [])
        #expect(try durableEvents() == UInt64(lines))
    }

    /// An invalid event stops the import with a summary; the batches that summary counts are
    /// durable when the error is thrown, though the last one's sync was still running.
    @Test func anInvalidEventStopsWithEveryCountedBatchDurable() throws {
        let directory = TestDirectory()
        let input = directory.file("events.ndjson")
        var lines = String(decoding: NDJSONImporterTests.writeWorkload(input, events: 2_000), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let dimensions = (0..<17).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
        lines[1_450] = "{\"ts\":1790812800000,\"metric\":\"m\",\"dims\":{\(dimensions)}}"  // 17 dimensions
        _ = FileManager.default.createFile(atPath: input, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        var options = ImportOptions()
        options.batchSize = 200
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(error?.line == 1_451 && error?.summary?.events == 1_400)
        let survivor = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem.powerLossSnapshot(.dropUnsynced)))
        #expect(try survivor.info().eventsIngested == 1_400)
    }

    @Test func aFailedCommitStopsTheReaderAndClosesTheInput() throws {
        let directory = TestDirectory()
        let input = directory.file("events.ndjson")
        _ = NDJSONImporterTests.writeWorkload(input, events: 20_000)
        try Tally.open(at: directory.file("r.tally")).close()
        var readOnly = Options()
        readOnly.readOnly = true
        let db = try Tally.open(at: directory.file("r.tally"), options: readOnly)
        var options = ImportOptions()
        options.batchSize = 50  // hundreds of batches the reader would produce
        #expect(throws: TallyError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(descriptors(openOn: input) == 0)
        // The check sees an open input:
        let probe = try LineInput(path: input)
        #expect(descriptors(openOn: input) == 1)
        probe.close()
    }
}

@Suite struct BoundedQueueTests {
    @Test func itemsComeOutInOrderAndAFullQueueHoldsThePutter() throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        let produced = Locked(0)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            for i in 0..<100 {
                guard queue.put(i) else { return }
                produced.withLock { $0 = i + 1 }
            }
            queue.close()
        }
        // Nothing taken yet: the producer stops at the capacity.
        while produced.withLock({ $0 }) < 2 { usleep(1_000) }
        usleep(20_000)
        #expect(produced.withLock { $0 } == 2)
        var taken: [Int] = []
        while let item = queue.take() { taken.append(item) }
        #expect(taken == Array(0..<100))
        done.wait()
    }

    @Test func cancelReleasesAWaitingPutterAndDropsTheItems() throws {
        let queue = BoundedQueue<Int>(capacity: 1)
        #expect(queue.put(1))
        let result = Locked<Bool?>(nil)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            let accepted = queue.put(2)  // blocks: the queue is full
            result.withLock { $0 = accepted }
        }
        usleep(20_000)
        #expect(result.withLock { $0 } == nil)
        queue.cancel()
        done.wait()
        #expect(result.withLock { $0 } == false)
        #expect(queue.take() == nil)
    }
}

extension BoundedQueueTests {
    final class Payload {}

    /// A taken item belongs to the taker alone: the queue keeps no reference to it (an import
    /// would otherwise hold every batch it ever parsed).
    @Test func aTakenItemIsNotKept() throws {
        let queue = BoundedQueue<Payload>(capacity: 2)
        weak var first: Payload?
        do {
            let payload = Payload()
            first = payload
            #expect(queue.put(payload))
            #expect(queue.put(Payload()))
            _ = queue.take()
        }
        #expect(first == nil)
        #expect(queue.take() != nil)
    }
}
