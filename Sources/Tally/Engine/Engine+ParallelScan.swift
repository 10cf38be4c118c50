#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Scanning one query's segments on several threads (``Options/queryThreads``).
extension Engine {
    /// A query spreads its segments over threads only when each gets at least this many.
    static let segmentsPerScanThread = 4

    /// ``Options/queryThreads``, resolved: 0 means one per processor, at most 4.
    var scanThreads: Int {
        if options.queryThreads > 0 { return options.queryThreads }
        return max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Scans `segments` on `lanes` threads, segment `i` on lane `i % lanes`; returns each
    /// lane's partial result (merging them in any order gives the same answer: cells merge
    /// commutatively, rule S8's double-double sums included).
    func scanInParallel(
        _ segments: [SegmentInfo], lanes: Int, file: any FileHandle, query: Query
    ) throws -> [Aggregator] {
        let results = Locked<[Result<Aggregator, any Error>?]>(Array(repeating: nil, count: lanes))
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let result = Result { () throws -> Aggregator in
                var partial = Aggregator(query: query)
                for index in stride(from: lane, to: segments.count, by: lanes) {
                    try scan(segments[index], file: file, into: &partial)
                }
                return partial
            }
            results.withLock { $0[lane] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}
