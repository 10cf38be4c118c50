import Foundation
import Tally
import Testing

// The README's Swift example, compiled against the public API only (a plain `import Tally`).
// `readmeExampleMatchesThisFile` keeps the README and the code between the markers identical.

// BEGIN README EXAMPLE
/// Records a few events, then asks for page views and distinct sessions per country and hour.
func pageviewsPerCountry(databasePath: String) throws -> QueryResult {
    // Created with the default options (hourly buckets, daily partitions) if it does not exist.
    let db = try Tally.open(at: databasePath)
    defer { try? db.close() }

    let start: Int64 = 1_790_812_800_000  // 2026-10-01T00:00:00Z, in milliseconds
    // A batch is stored atomically. Its id makes a retry harmless: a batch id seen before
    // (within the dedupe window, 7 days by default) is acknowledged and changes nothing.
    try db.ingest([
        Event(timestamp: start + 1_000, metric: "pageview",
              dimensions: ["country": "US", "device": "mobile"], unit: "session-1"),
        Event(timestamp: start + 2_000, metric: "pageview",
              dimensions: ["country": "US", "device": "mobile"], unit: "session-1"),
        Event(timestamp: start + 3_000, metric: "pageview",
              dimensions: ["country": "DE", "device": "desktop"], unit: "session-2"),
        Event(timestamp: start + 4_000, metric: "purchase",
              dimensions: ["country": "DE"], value: 42.5, unit: "session-2"),
    ], batchID: "web-1/2026-10-01T00:00/0001")

    // One row per (hour, country): the number of events and the distinct sessions.
    // `units` is a HyperLogLog estimate (relative error under 2%), never an exact count.
    return try db.query(Query(
        metric: "pageview", groupBy: ["country"], every: .hour, measures: [.count, .units]))
}
// END README EXAMPLE

@Suite struct ReadmeExampleTests {
    @Test func exampleRunsAndARetriedBatchChangesNothing() throws {
        let directory = TestDirectory()
        let path = directory.file("analytics.tally")
        for _ in 0..<2 {  // the second run re-sends the same batch id
            let result = try pageviewsPerCountry(databasePath: path)
            #expect(result.rows.map(\.dimensions) == [["DE"], ["US"]])
            #expect(result.rows.map(\.count) == [1, 2])
            #expect(result.rows.map { $0.units?.rounded() } == [1, 1])  // estimates
            #expect(result.rows.allSatisfy { $0.time == 1_790_812_800_000 })
        }
    }

    @Test func readmeExampleMatchesThisFile() throws {
        let testFile = URL(fileURLWithPath: #filePath)
        let readme = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let readmeText = try String(contentsOf: readme, encoding: .utf8)
        let sourceText = try String(contentsOf: testFile, encoding: .utf8)
        let block = try #require(readmeText.components(separatedBy: "<!-- readme-example -->\n```swift\n").last?
            .components(separatedBy: "\n```").first)
        let code = try #require(sourceText.components(separatedBy: "// BEGIN README EXAMPLE\n").dropFirst().first?
            .components(separatedBy: "// END README EXAMPLE").first)
        #expect(block == "import Tally\n\n" + code.trimmingCharacters(in: .newlines))
    }
}
