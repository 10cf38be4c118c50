import Foundation
import Testing
import TallyWorkload

/// `tally generate` writes the library generator's NDJSON: the same bytes for the same options,
/// lines `tally import` accepts.
@Suite struct GenerateCommandTests {
    @Test func writesTheWorkloadAsNDJSON() throws {
        let output = try TallyBinary.run(["generate", "--events", "3000", "--days", "2", "--seed", "3"])
        #expect(output.status == 0, "\(output)")
        var expected: [UInt8] = []
        for event in WorkloadGenerator(WorkloadOptions(events: 3000, days: 2, seed: 3)) { event.appendNDJSON(to: &expected) }
        #expect(output.stdout == String(decoding: expected, as: UTF8.self))

        let directory = TestDirectory()
        let input = directory.file("g.ndjson")
        try output.stdout.write(toFile: input, atomically: true, encoding: .utf8)
        let imported = try TallyBinary.run(["import", directory.file("g.tally"), input])
        #expect(imported.status == 0, "\(imported)")
        #expect(try TallyBinary.run(["generate", "--events", "0"]).status != 0)
    }
}
