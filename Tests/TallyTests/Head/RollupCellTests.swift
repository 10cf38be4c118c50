import Testing
@testable import Tally

/// Sums are double-doubles, so the order of adding values and merging cells (flushes,
/// queries across segments, compaction) does not change the reported total.
@Suite struct RollupCellTests {
    @Test func totalsDoNotDependOnOrderOrGrouping() {
        var random = RandomEvents(seed: 5)
        let values = (0..<5_000).map { _ in Double(random.below(1_000_000)) / 100 * (random.below(2) == 0 ? 1 : 1e-3) }
        var forward = RollupCell(), backward = RollupCell()
        for value in values { forward.add(value: value) }
        for value in values.reversed() { backward.add(value: value) }
        #expect(forward.total == backward.total)
        // Chunked into cells then merged, in another order.
        var merged = RollupCell()
        for chunk in stride(from: 0, to: values.count, by: 37).reversed() {
            var cell = RollupCell()
            for value in values[chunk..<min(chunk + 37, values.count)] { cell.add(value: value) }
            merged.merge(cell)
        }
        #expect(merged.total == forward.total)
        #expect(merged.count == UInt64(values.count) && merged.valueCount == UInt64(values.count))
        // Plain double addition does differ for these values (the test is not vacuous).
        #expect(values.reduce(0, +) != values.reversed().reduce(0, +))
    }

    @Test func extremesAndCounts() {
        var cell = RollupCell()
        cell.add(value: nil)
        cell.add(value: 3)
        cell.add(value: -2)
        #expect(cell.count == 3 && cell.valueCount == 2 && cell.min == -2 && cell.max == 3 && cell.total == 1)
    }
}
