import Foundation
import Testing

/// Reads a database's state through `tally info` in another process, as a user would.
enum DatabaseProbe {
    /// `events_ingested` from `tally info --format json`, or `nil` when it cannot be opened yet.
    static func eventsIngested(_ database: String) throws -> Int? {
        let info = try TallyBinary.run(["info", database, "--format", "json"])
        guard info.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
        else { return nil }
        return (object["events_ingested"] as? NSNumber)?.intValue
    }

    /// Polls until the database holds exactly `count` events (a writer is committing batches);
    /// records an issue after a minute or when it holds more.
    static func waitForEventsIngested(_ database: String, equalTo count: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        var last: Int?
        while Date() < deadline {
            last = try eventsIngested(database)
            if last == count { return }
            if let last, last > count {
                Issue.record("\(database) holds \(last) events, more than the \(count) expected")
                return
            }
            usleep(50_000)
        }
        Issue.record("\(database) did not reach \(count) events (last seen \(String(describing: last)))")
    }

    /// A database whose committed batches are all still in the write-ahead log: an import of
    /// `lines` through a pipe, killed with SIGKILL once they are committed.
    static func killedImport(of lines: [String], batchSize: Int, into database: String) throws {
        precondition(lines.count % batchSize == 0, "only whole batches are committed before the kill")
        let importer = try RunningTally(["import", database, "-", "--batch-size", String(batchSize)], stdin: .pipe)
        defer { if importer.isRunning { importer.kill() } }
        try importer.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try waitForEventsIngested(database, equalTo: lines.count)
        importer.kill(SIGKILL)
        _ = importer.wait()
    }

    /// A `tally import` from a pipe that has committed `lines` (one batch) into `database` and
    /// keeps the writer's lock until it is killed (the caller kills it).
    static func writerHoldingTheLock(on database: String, committing lines: ArraySlice<String>) throws -> RunningTally {
        let before = try eventsIngested(database) ?? 0
        let writer = try RunningTally(["import", database, "-", "--batch-size", String(lines.count)], stdin: .pipe)
        try writer.write(Array((lines.joined(separator: "\n") + "\n").utf8))
        try waitForEventsIngested(database, equalTo: before + lines.count)
        return writer
    }
}
