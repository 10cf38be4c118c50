import Foundation

/// Data-set sizes and knobs, read from the environment so that a quick run and a long run use
/// the same code. Every variable is optional.
public enum Settings {
    static let environment = ProcessInfo.processInfo.environment

    static func integer(_ name: String, _ fallback: Int) -> Int {
        guard let text = environment[name] else { return fallback }
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        if let value = Int(cleaned) { return value }
        // Accept 1M / 200k style sizes.
        let suffixes: [Character: Int] = ["k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000]
        if let last = cleaned.last, let scale = suffixes[last], let value = Double(cleaned.dropLast()) {
            return Int(value * Double(scale))
        }
        return fallback
    }

    /// Events ingested per iteration by the ingest benchmarks (Tally and SQLite).
    /// `TALLY_BENCH_EVENTS`, default 200 000.
    public static var ingestEvents: Int { integer("TALLY_BENCH_EVENTS", 200_000) }
    /// Events in the database the query benchmarks ask. `TALLY_BENCH_QUERY_EVENTS`, default 1 000 000.
    public static var queryEvents: Int { integer("TALLY_BENCH_QUERY_EVENTS", 1_000_000) }
    /// Events left in the write-ahead log for the reopen benchmark. `TALLY_BENCH_REOPEN_EVENTS`,
    /// default 200 000 (the issue-6 target is stated for 1 000 000).
    public static var reopenEvents: Int { integer("TALLY_BENCH_REOPEN_EVENTS", 200_000) }
    /// Generator seed. `TALLY_BENCH_SEED`, default 7.
    public static var seed: UInt64 { UInt64(integer("TALLY_BENCH_SEED", 7)) }
    /// Upper bound on measured iterations per benchmark. `TALLY_BENCH_ITERATIONS`, default 5.
    public static var iterations: Int { integer("TALLY_BENCH_ITERATIONS", 5) }
    /// Where databases are created. `TALLY_BENCH_DIR`, default a fresh folder under the system's
    /// temporary directory; it is removed at exit when the harness created it.
    public static var directory: String {
        environment["TALLY_BENCH_DIR"] ?? (NSTemporaryDirectory() + "tally-bench-\(getpid())")
    }
}

/// A scratch folder for databases; removed when `remove()` is called.
public struct ScratchDirectory: Sendable {
    public let path: String

    public init(_ name: String) {
        path = Settings.directory + "/" + name + "-" + UUID().uuidString.prefix(8)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Bytes of every regular file in the folder.
    public func totalBytes() -> UInt64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.reduce(0) { sum, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            return sum + ((attributes?[.size] as? NSNumber)?.uint64Value ?? 0)
        }
    }
}
