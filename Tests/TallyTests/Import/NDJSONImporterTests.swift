import Foundation
import Testing
@testable import Tally
import TallyWorkload

/// `importNDJSON`: batch ids derived from content and position make re-imports idempotent;
/// a bad line stops the import with FILE:LINE and keeps committed batches.
@Suite struct NDJSONImporterTests {
    static func writeWorkload(_ path: String, events: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in WorkloadGenerator(WorkloadOptions(events: events, days: 2, seed: 9)) { event.appendNDJSON(to: &bytes) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return bytes
    }

    func total(_ db: Tally) throws -> UInt64 {
        var sum: UInt64 = 0
        for metric in ["pageview", "exposure", "conversion", "purchase", "error"] {
            sum += try db.query(Query(metric: metric)).rows.first?.count ?? 0
        }
        return sum
    }

    @Test func importingTwiceCountsOnce() throws {
        let directory = TestDirectory()
        let input = directory.file("events.ndjson")
        let bytes = Self.writeWorkload(input, events: 5_000)
        let lines = bytes.filter { $0 == 0x0A }.count
        let db = try Tally.open(at: directory.file("i.tally"))
        var options = ImportOptions()
        options.batchSize = 700
        let first = try db.importNDJSON(fromPath: input, options: options)
        #expect(first.events == lines)
        #expect(first.batches == (lines + 699) / 700)
        #expect(first.duplicateBatches == 0)
        let second = try db.importNDJSON(fromPath: input, options: options)
        #expect(second.events == 0)
        #expect(second.duplicateBatches == second.batches)
        #expect(try total(db) == UInt64(lines))
    }

    @Test func aFileWithAByteOrderMarkAndCRLFLinesImports() throws {
        let directory = TestDirectory()
        let input = directory.file("windows.ndjson")
        let text = "{\"ts\":1790812800000,\"metric\":\"pageview\"}\r\n{\"ts\":1790812800001,\"metric\":\"pageview\"}\r\n"
        _ = FileManager.default.createFile(atPath: input, contents: Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)))
        let db = try Tally.open(at: directory.file("w.tally"))
        let summary = try db.importNDJSON(fromPath: input)
        #expect(summary.events == 2)
        #expect(try db.query(Query(metric: "pageview")).rows.first?.count == 2)
    }

    @Test func aBadLineStopsWithFileAndLineKeepingEarlierBatches() throws {
        let directory = TestDirectory()
        let input = directory.file("bad.ndjson")
        var text = String(decoding: Self.writeWorkload(input, events: 1_000), as: UTF8.self).split(separator: "\n")
        text[250] = "{\"ts\": \"soon\", \"metric\": \"pageview\"}"
        try (text.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("b.tally"))
        var options = ImportOptions()
        options.batchSize = 100
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input, options: options) }
        #expect(error?.line == 251)
        #expect(error?.description.hasPrefix("\(input):251: ") == true)
        #expect(error?.summary?.batches == 2)
        #expect(try total(db) == 200)
        // Skipping bad lines imports everything else; the first two batches are duplicates.
        options.skipInvalid = true
        let summary = try db.importNDJSON(fromPath: input, options: options)
        #expect(summary.skippedLines == 1)
        #expect(summary.problems.first?.line == 251)
        #expect(summary.duplicateBatches == 2)
        #expect(try total(db) == UInt64(text.count - 1))
    }

    @Test func invalidEventsAreReportedByLine() throws {
        let directory = TestDirectory()
        let input = directory.file("invalid.ndjson")
        let lines = [
            #"{"ts":1790812800000,"metric":"ok"}"#,
            #"{"ts":1790812800000,"metric":"bad name"}"#,
            #"{"ts":1790812800000,"metric":"ok","value":1}"#,
        ]
        try (lines.joined(separator: "\n")).write(toFile: input, atomically: true, encoding: .utf8)
        let db = try Tally.open(at: directory.file("v.tally"))
        let error = #expect(throws: ImportLineError.self) { try db.importNDJSON(fromPath: input) }
        #expect(error?.line == 2)
        var options = ImportOptions()
        options.skipInvalid = true
        let summary = try db.importNDJSON(fromPath: input, options: options)
        #expect(summary.events == 2)
        #expect(summary.problems.map(\.line) == [2])
    }
}
