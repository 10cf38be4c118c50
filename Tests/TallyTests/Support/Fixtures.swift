@testable import Tally
import TallyTesting

/// Shared set-ups for engine tests on the simulated file system.
enum Fixtures {
    static let path = "/db/test.tally"
    static let start: Int64 = 1_790_812_800_000

    static func options(_ fileSystem: SimulatedFileSystem, durability: Durability = .full) -> Options {
        var options = Options()
        options.fileSystem = fileSystem
        options.clock = ManualClock(nowMilliseconds: start)
        options.durability = durability
        return options
    }

    /// `size` events of metric `m`, each tagged with dimension `batch=<index>`, so a query
    /// grouped by `batch` shows which batches are present and whether any is partial.
    static func taggedBatch(_ index: Int, size: Int, hour: Int = 0) -> [Event] {
        (0..<size).map { i in
            Event(
                timestamp: start + Int64(hour) * 3_600_000 + Int64(i), metric: "m",
                dimensions: ["batch": String(index)], value: Double(i), unit: "u\(i % 7)")
        }
    }

    /// Events per batch index, read back through a query.
    static func batchCounts(_ db: Tally) throws -> [Int: UInt64] {
        let result = try db.query(Query(metric: "m", groupBy: ["batch"]))
        var counts: [Int: UInt64] = [:]
        for row in result.rows { counts[Int(row.dimensions[0]!)!] = row.count }
        return counts
    }
}
