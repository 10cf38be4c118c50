#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Tally
import TallyWorkload

/// `tally demo`: synthetic A/B-test traffic (TallyWorkload, the model of
/// `shared/workload/gen_events.py`) ingested straight through `Tally.ingest` in batches — no
/// NDJSON round trip — followed by a few illustrative queries and the commands to go further.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a database of synthetic A/B-test traffic and show what it answers.")

    @Option(help: "Where to write the database (default: a new temporary directory).")
    var path: String?

    @Option(help: "About how many events to generate.")
    var events = 1_000_000

    @Flag(help: "Replace the database at --path if it exists.")
    var force = false

    static let batchSize = 10_000

    func validate() throws {
        guard events >= 1 else { throw ValidationError("--events must be at least 1") }
        if force, path == nil { throw ValidationError("--force goes with --path") }
    }

    func run() throws {
        let path = try self.path.map { try DemoFiles.prepare(explicitPath: $0, replacing: force) }
            ?? DemoFiles.temporaryDatabasePath()
        var workload = WorkloadOptions()
        workload.events = events
        print("Building a demo database of about \(events) events (\(workload.days) days of A/B-test traffic) at")
        print("  \(path)")

        let started = ContinuousClock.now
        let ingested = try ingest(workload, into: path)
        let seconds = (ContinuousClock.now - started).seconds
        let database = try DatabaseOpening.readOnly(path)
        defer { try? database.close() }
        let info = try database.info()
        print(
            "Ingested \(ingested) events in \(formatNumber(seconds)) s (\(Int(Double(ingested) / max(seconds, 1e-9))) events/s): "
                + "\(info.segments.count) segments, \(info.fileBytes) bytes.")
        try DemoQueries.show(database, path: path, start: workload.start)
        print("")
        print("Explore it further:")
        for command in DemoQueries.explorationCommands(path: path) { print("  " + command) }
    }

    /// Generates and ingests `workload` in batches of ``batchSize``; returns the events stored.
    private func ingest(_ workload: WorkloadOptions, into path: String) throws -> Int {
        let database = try Tally.open(at: path)
        defer { try? database.close() }
        let progress = ProgressBar(label: "ingesting")
        defer { progress.finish() }
        var batch: [Event] = []
        batch.reserveCapacity(Self.batchSize)
        var stored = 0
        func commit() throws {
            stored += try database.ingest(batch).accepted
            batch.removeAll(keepingCapacity: true)
            progress.update(fraction: Double(stored) / Double(workload.events), events: stored)
        }
        for generated in WorkloadGenerator(workload) {
            var dimensions: [String: String] = [:]
            for (key, value) in generated.dimensions { dimensions[key] = value }
            batch.append(Event(
                timestamp: generated.timestamp, metric: generated.metric, dimensions: dimensions, value: generated.value,
                unit: generated.unit))
            if batch.count == Self.batchSize { try commit() }
        }
        if !batch.isEmpty { try commit() }
        try database.close()
        return stored
    }
}

/// Where the demo writes.
enum DemoFiles {
    /// `<TMPDIR or /tmp>/tally-demo-XXXXXX/demo.tally`, in a directory made for it.
    static func temporaryDatabasePath() throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("tally-demo-XXXXXX".utf8CString)
        guard let directory = mkdtemp(&template) else {
            throw CommandError("cannot create a temporary directory in \(base) (errno \(errno))")
        }
        return String(cString: directory) + "/demo.tally"
    }

    /// Refuses an existing file unless `replacing`, in which case it and its log are removed.
    static func prepare(explicitPath path: String, replacing: Bool) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return path }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw CommandError("\(path) exists and is not a file") }
        guard replacing else {
            throw CommandError("\(path) already exists; pass --force to replace it, or choose another --path")
        }
        for file in [path, path + "-wal"] where unlink(file) != 0 && errno != ENOENT {
            throw CommandError("cannot remove \(file) (errno \(errno))")
        }
        return path
    }
}
