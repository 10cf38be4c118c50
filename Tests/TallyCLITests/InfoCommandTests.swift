import Foundation
import Testing

/// `tally info` agrees with what was imported.
@Suite struct InfoCommandTests {
    static func json(_ line: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }

    @Test func infoCountsEveryEventAndMetric() throws {
        let stream = GeneratedStream.standard
        let output = try TallyBinary.run(["info", ImportedDatabase.standard.path, "--format", "json"])
        #expect(output.status == 0, "\(output)")
        let info = Self.json(output.stdout)
        #expect((info["events_ingested"] as! NSNumber).intValue == stream.events.count)
        let metrics = (info["metrics"] as! [[String: Any]]).map { ($0["name"] as! String, ($0["events"] as! NSNumber).intValue) }
        let expected = Dictionary(grouping: stream.events, by: \.metric).mapValues(\.count)
        #expect(Dictionary(uniqueKeysWithValues: metrics) == expected)
        let partitions = info["partitions"] as! [[String: Any]]
        #expect(partitions.count >= 3)

        let table = try TallyBinary.run(["info", ImportedDatabase.standard.path])
        #expect(table.status == 0 && table.stdout.contains("partitions (") && table.stdout.contains("pageview"))
    }
}
