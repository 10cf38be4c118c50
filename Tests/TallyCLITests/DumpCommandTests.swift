import Foundation
import Testing

/// `tally dump` lists what was imported; exactly one listing is accepted.
@Suite struct DumpCommandTests {
    static func json(_ line: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    @Test func dumpRowsAddUpToTheEventsOfEachMetricAndPartition() throws {
        let stream = GeneratedStream.standard
        let path = ImportedDatabase.standard.path
        let rows = try TallyBinary.run(["dump", path, "--rows", "--metric", "purchase", "--format", "json"])
        #expect(rows.status == 0)
        let counts = rows.lines.map { (Self.json($0)["count"] as! NSNumber).intValue }.reduce(0, +)
        #expect(counts == stream.events.filter { $0.metric == "purchase" }.count)

        let day = stream.start + 86_400_000
        let partitionRows = try TallyBinary.run(["dump", path, "--rows", "--partition", String(day + 3_600_000), "--format", "json"])
        let inDay = partitionRows.lines.map { (Self.json($0)["count"] as! NSNumber).intValue }.reduce(0, +)
        let expected = stream.events.filter { NDJSONOracle.floorToGrid($0.timestamp, 86_400_000) == day }.count
        #expect(inDay == expected)

        let segments = try TallyBinary.run(["dump", path, "--segments"])
        #expect(segments.status == 0 && segments.stdout.contains("segments"))
        let wal = try TallyBinary.run(["dump", path, "--wal", "--format", "json"])
        #expect(wal.status == 0 && wal.lines.last.map { Self.json($0)["ending"] != nil } == true, "\(wal)")
    }

    @Test func dumpNeedsExactlyOneListing() throws {
        let path = ImportedDatabase.standard.path
        for arguments in [["dump", path], ["dump", path, "--rows", "--wal"], ["dump", path, "--segments", "--metric", "x"]] {
            let output = try TallyBinary.run(arguments)
            #expect(output.status != 0 && !output.stderr.isEmpty, "\(arguments)")
        }
    }
}
