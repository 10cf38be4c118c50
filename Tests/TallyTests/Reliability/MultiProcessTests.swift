import Testing

/// Issue 7, procedures 1 and 9, through real processes (`tally-stress`, see RELIABILITY.md):
/// the short versions; `scripts/reliability/run-all.sh` runs the long ones.
@Suite(.serialized) struct MultiProcessTests {
    /// PRODUCT.md rules 1–3: a writer killed with SIGKILL at random moments, ten times; after each
    /// kill the database opens, and holds every acknowledged batch, whole and once.
    @Test func killLoop() throws {
        let cycles = ReliabilitySettings.knob("kill_cycles", fast: 10, full: 200)
        let (status, lines) = try StressBinary.run(["kill-loop", "--cycles", String(cycles), "--seed", "11", "--max-delay-ms", "250"])
        let figures = StressBinary.figures(lines)
        #expect(status == 0, "\(lines.suffix(20))")
        #expect(figures["cycles"] == String(cycles) && figures["violations"] == "0" && figures["child_errors"] == "0",
                "\(lines.suffix(20))")
        #expect(Int(figures["acknowledged"] ?? "0")! > 0)
    }

    /// The kill loop must catch a writer that acknowledges batches before they are durable.
    @Test func killLoopCatchesAcknowledgementsBeforeDurability() throws {
        let (status, lines) = try StressBinary.run([
            "kill-loop", "--cycles", "6", "--seed", "3", "--max-delay-ms", "150", "--sabotage-ack-early",
        ])
        #expect(status == 1)
        #expect(Int(StressBinary.figures(lines)["violations"] ?? "0")! > 0, "\(lines.suffix(10))")
        #expect(lines.contains { $0.hasPrefix("problem") })
    }

    /// PRODUCT.md rule 7: a second writer is refused naming the holder; read-only opens from
    /// other processes during a live ingest always see a consistent state and corrupt nothing.
    @Test func readOnlyOpenersBesideALiveWriter() throws {
        let count = ReliabilitySettings.knob("readers", fast: 12, full: 1000)
        let (status, lines) = try StressBinary.run(["readers", "--count", String(count), "--parallel", "2"])
        let figures = StressBinary.figures(lines)
        #expect(status == 0, "\(lines.suffix(20))")
        #expect(figures["consistent"] == String(count) && figures["second_writer"] == "refused", "\(lines.suffix(20))")
    }
}
