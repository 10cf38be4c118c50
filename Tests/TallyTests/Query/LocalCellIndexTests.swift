import Testing
@testable import Tally

/// The accumulator's (group, slot) index agrees with a dictionary through growth and collisions.
@Suite struct LocalCellIndexTests {
    @Test func findsWhatWasInsertedAndNothingElse() {
        var index = LocalCellIndex()
        var expected: [Aggregator.LocalKey: Int] = [:]
        var random = RandomEvents(seed: 5)
        for cell in 0..<5_000 {
            // Hourly slots over a month and a few dozen groups, negative slots included.
            let key = Aggregator.LocalKey(group: random.below(40), slot: Int64(random.below(720) - 360) * 3_600_000)
            guard expected[key] == nil else { continue }
            #expect(index.cell(group: key.group, slot: key.slot) == nil)
            index.insert(group: key.group, slot: key.slot, cell: cell)
            expected[key] = cell
        }
        #expect(expected.count > 1_000)
        for (key, cell) in expected { #expect(index.cell(group: key.group, slot: key.slot) == cell) }
        #expect(index.cell(group: 41, slot: 0) == nil)
        #expect(index.cell(group: 0, slot: 1) == nil)
    }
}
