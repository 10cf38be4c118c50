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
        // The experiment state: one assignment per exposed (experiment, unit).
        let exposures = stream.events.filter { $0.metric == "exposure" && $0.unit != nil && $0.dimensions["experiment"] != nil }
        let assignments = Set(exposures.map { "\($0.dimensions["experiment"]!) \($0.unit!)" }).count
        #expect((info["experiment_assignments"] as! NSNumber).intValue == assignments)

        let table = try TallyBinary.run(["info", ImportedDatabase.standard.path])
        #expect(table.status == 0 && table.stdout.contains("partitions (") && table.stdout.contains("pageview"))
        #expect(table.stdout.contains("experiment state"))
    }
}
