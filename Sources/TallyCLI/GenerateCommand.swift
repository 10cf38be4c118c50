import ArgumentParser
import TallyWorkload

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tally generate`: writes the synthetic workload behind `tally demo` as NDJSON (the line
/// format `tally import` reads), for cross-checks and benchmarks. Same options, same bytes.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic A/B-test traffic as NDJSON to standard output.")

    @Option(help: "About how many events.")
    var events = 1_000_000

    @Option(help: "Days of traffic.")
    var days = 30

    @Option(help: "Epoch milliseconds of the first hour (default 2026-10-01T00:00Z).")
    var start: Int64 = 1_790_812_800_000

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Fraction of non-exposure events that arrive late (up to 2 h).")
    var late = 0.01

    func validate() throws {
        guard events >= 1, days >= 1, (0...1).contains(late) else {
            throw ValidationError("--events and --days must be positive and --late within 0…1")
        }
    }

    func run() throws {
        let options = WorkloadOptions(events: events, days: days, start: start, seed: seed, lateFraction: late)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        for event in WorkloadGenerator(options) {
            event.appendNDJSON(to: &buffer)
            if buffer.count >= 1 << 20 { try flush(&buffer) }
        }
        try flush(&buffer)
    }

    private func flush(_ buffer: inout [UInt8]) throws {
        var written = 0
        while written < buffer.count {
            let n = buffer[written...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandError("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
            written += n
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
