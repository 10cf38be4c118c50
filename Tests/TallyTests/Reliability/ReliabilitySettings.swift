import Foundation

/// How much of each reliability procedure (issue 7) a test run does, and where its figures go.
///
/// The normal `swift test` runs a fast subset. `scripts/reliability/run-all.sh` sets
/// `TALLY_RELIABILITY=full` for the full runs, and any knob can be set on its own as
/// `TALLY_<NAME>=<number>` (for example `TALLY_POWERLOSS_SEEDS=5000`).
enum ReliabilitySettings {
    static var isFull: Bool { ProcessInfo.processInfo.environment["TALLY_RELIABILITY"] == "full" }

    /// The value of knob `name`: `TALLY_<NAME>` when set, else `full` in full mode, else `fast`.
    static func knob(_ name: String, fast: Int, full: Int) -> Int {
        if let text = ProcessInfo.processInfo.environment["TALLY_" + name.uppercased()], let value = Int(text) {
            return value
        }
        return isFull ? full : fast
    }

    /// Prints one line of figures that `run-all.sh` collects into its results file:
    /// `RELIABILITY-FIGURES procedure=<name> key=value …`.
    static func report(_ procedure: String, _ figures: KeyValuePairs<String, CustomStringConvertible>) {
        let fields = figures.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        print("RELIABILITY-FIGURES procedure=\(procedure) mode=\(isFull ? "full" : "fast") \(fields)")
    }
}
