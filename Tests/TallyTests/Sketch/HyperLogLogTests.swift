import Testing
@testable import Tally

/// The SplitMix64 finalizer: a bijection on UInt64, so distinct unit numbers give distinct,
/// well-mixed hashes at a fraction of the cost of hashing strings in debug builds.
private func unitHash(_ unit: Int) -> UInt64 {
    var z = UInt64(truncatingIfNeeded: unit) &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

private func sketch(of units: Range<Int>, startingDense: Bool = false) -> HyperLogLog {
    var sketch = HyperLogLog()
    if startingDense { sketch.convertToDense() }
    for unit in units { sketch.insert(hash: unitHash(unit)) }
    return sketch
}

private func relativeError(_ sketch: HyperLogLog, _ truth: Int) -> Double {
    abs(sketch.estimate() - Double(truth)) / Double(truth)
}

@Suite struct HyperLogLogTests {
    @Test func emptySketchIsSparseAndEstimatesZero() {
        let empty = HyperLogLog()
        #expect(empty.isSparse)
        #expect(empty.estimate() == 0)
        var dense = HyperLogLog()
        dense.convertToDense()
        #expect(dense.estimate() == 0)
    }

    @Test(arguments: [1, 2, 3, 10, 100, 1000])
    func smallSetsAreCountedExactly(distinct: Int) {
        var sketch = HyperLogLog()
        for _ in 0..<3 {
            for unit in 0..<distinct { sketch.insert(hash: XXHash64.hash("user-\(unit)")) }
        }
        #expect(sketch.isSparse)
        #expect(sketch.estimate().rounded() == Double(distinct))
    }

    @Test func sparseEstimateTracksEveryCountUpToTheLimit() {
        var sketch = HyperLogLog()
        var inexact = 0
        for unit in 1...HyperLogLog.sparseEntryLimit {
            sketch.insert(hash: unitHash(unit))
            guard unit % 7 == 0 || unit < 100 else { continue }
            let error = abs(sketch.estimate().rounded() - Double(unit))
            #expect(error <= 1, "at \(unit)")
            if error != 0 { inexact += 1 }
        }
        #expect(sketch.isSparse)
        // Only idx′ collisions (≈ n² / 2^26) make it inexact.
        #expect(inexact < 40)
    }

    /// Units "user-1", "user-2", … through the real pipeline, checked at every 2 % step in
    /// cardinality, sparse and dense alike. The bound is ≈ 2.5 standard errors when dense, so
    /// some other fixed stream could pass it somewhere; this one stays within 1.7 % up to 10^7.
    @Test func relativeErrorStaysUnderTwoPercentUpToAMillion() {
        var sketch = HyperLogLog()
        var inserted = 0
        var checkpoint = 1.0
        while inserted < 1_000_000 {
            let target = min(Int(checkpoint.rounded(.up)), 1_000_000)
            while inserted < target {
                inserted += 1
                sketch.insert(hash: XXHash64.hash("user-\(inserted)"))
            }
            #expect(relativeError(sketch, inserted) < 0.02, "at \(inserted)")
            checkpoint *= 1.02
        }
        #expect(!sketch.isSparse)
    }

    /// The dense estimator is unbiased with the textbook spread 1.04 / √m ≈ 0.81 %.
    @Test func denseEstimatesAreUnbiasedWithTheExpectedSpread() {
        let runs = 24
        let distinct = 20000
        var sum = 0.0
        var sumOfSquares = 0.0
        for run in 0..<runs {
            let start = (run + 1) << 32
            let estimate = sketch(of: start..<start + distinct).estimate()
            let error = (estimate - Double(distinct)) / Double(distinct)
            sum += error
            sumOfSquares += error * error
        }
        let bias = sum / Double(runs)
        let rootMeanSquare = (sumOfSquares / Double(runs)).squareRoot()
        #expect(abs(bias) < 0.004)
        #expect(rootMeanSquare > 0.004 && rootMeanSquare < 0.013)
    }

    @Test(arguments: [5000, 20000, 100_000])
    func midSizedSetsAreWithinTwoPercent(distinct: Int) {
        #expect(relativeError(sketch(of: 0..<distinct), distinct) < 0.02)
    }

    /// Ten million dense inserts, done on the registers directly (what `insert(hash:)` does
    /// to a dense sketch) to keep debug test runs short.
    @Test func tenMillionDistinctIsWithinTwoPercent() {
        var sketch = HyperLogLog()
        sketch.convertToDense()
        sketch.registers.withUnsafeMutableBufferPointer { registers in
            for unit in 0..<10_000_000 {
                let hash = unitHash(unit)
                let index = Int(hash >> 50)
                registers[index] = max(registers[index], HyperLogLog.denseRho(hash: hash))
            }
        }
        #expect(relativeError(sketch, 10_000_000) < 0.02)
    }

    @Test(arguments: [50, 2000, 50000])
    func duplicatesDoNotChangeTheSketch(distinct: Int) {
        let once = sketch(of: 0..<distinct)
        var again = once
        for unit in (0..<distinct).reversed() { again.insert(hash: unitHash(unit)) }
        #expect(again == once)
        #expect(again.estimate() == once.estimate())
    }

    @Test func turnsDenseJustPastTheSparseLimit() {
        var sketch = HyperLogLog()
        var unit = 0
        while sketch.isSparse {
            sketch.insert(hash: unitHash(unit))
            unit += 1
        }
        // It turns dense at the first merge of the buffer holding more than the limit.
        #expect(unit > HyperLogLog.sparseEntryLimit)
        #expect(unit <= HyperLogLog.sparseEntryLimit + HyperLogLog.sparseEntryLimit / 4 + 1)
        #expect(relativeError(sketch, unit) < 0.02)
        #expect(sketch == HyperLogLog.sketchStartingDense(0..<unit))
    }

    /// Converting sparse to dense is exact, including hashes whose 11 bits between p and p′ are
    /// zero (flagged entries) and whose low bits are all zero (rho 51).
    @Test func sparseToDenseMatchesDenseInsertion() {
        var hashes = (0..<2000).map(unitHash)
        hashes += (0..<500).map { unitHash($0) & ~(UInt64(0x7FF) << 39) }
        hashes += (0..<50).map { UInt64($0) << 50 }
        hashes += (0..<50).map { UInt64($0) << 50 | 1 }
        var sparse = HyperLogLog()
        var dense = HyperLogLog()
        dense.convertToDense()
        for hash in hashes {
            sparse.insert(hash: hash)
            dense.insert(hash: hash)
        }
        #expect(sparse.isSparse)
        sparse.convertToDense()
        #expect(sparse.registers == dense.registers)
        #expect(sparse.registers.max() == HyperLogLog.maxRegisterValue)
    }

    /// Many hashes on few idx′, flagged and not, interleaved in entry order: the sketch keeps
    /// one entry per idx′ with the largest rho′, inserted whole or merged from halves.
    @Test func sparseKeepsOneEntryPerIndexWithTheLargestRho() {
        var largestRho: [UInt32: UInt32] = [:]  // flagged idx′ → rho′
        var unflagged: Set<UInt32> = []
        var whole = HyperLogLog()
        var even = HyperLogLog()
        var odd = HyperLogLog()
        for i in 0..<6000 {
            let random = unitHash(i)
            // idx′ k << 11 (flagged) or k << 11 | 5 (not), k < 40.
            let index = UInt32(random % 40) << 11 | (random & 1 == 0 ? 0 : 5)
            let rest = (random >> 8) & ((1 << 39) - 1) >> (random % 31)
            let hash = UInt64(index) << 39 | rest
            if index & 0x7FF == 0 {
                let rho = UInt32(39 - (64 - rest.leadingZeroBitCount) + 1)
                largestRho[index] = max(largestRho[index] ?? 0, rho)
            } else {
                unflagged.insert(index)
            }
            whole.insert(hash: hash)
            if i % 2 == 0 { even.insert(hash: hash) } else { odd.insert(hash: hash) }
        }
        let flaggedKeys = largestRho.map { index, rho in index << 7 | rho << 1 | 1 }
        let expected = (flaggedKeys + unflagged.map { $0 << 7 }).sorted()
        let keys = whole.sortedKeys
        #expect(keys == expected)
        #expect(whole.estimate().rounded() == Double(expected.count))
        even.merge(odd)
        #expect(even == whole)
    }

    /// The buffer's sort: a radix sort from 64 keys, the library's below; both must give the
    /// ascending order, duplicates and extreme keys included.
    @Test(arguments: [0, 1, 63, 64, 65, 700, 5000])
    func pendingKeysSortAscending(count: Int) {
        var keys = (0..<count).map { UInt32(truncatingIfNeeded: unitHash($0 / 2)) }
        if count > 2 { keys[0] = .max; keys[1] = 0 }
        var buffer = [UInt32](repeating: 0, count: count)
        var sorted = keys
        sorted.withUnsafeMutableBufferPointer { sorted in
            buffer.withUnsafeMutableBufferPointer { HyperLogLog.sort(sorted, using: $0) }
        }
        #expect(sorted == keys.sorted())
    }

    /// Inserting a run of keys at once equals inserting them one by one, through the turn to
    /// dense in the middle of a run.
    @Test func insertingARunOfKeysEqualsInsertingEach() {
        let keys = (0..<5000).map { HyperLogLog.SparseKey.make(hash: unitHash($0 % 4000)) }
        var oneByOne = HyperLogLog()
        var runs = HyperLogLog()
        for run in stride(from: 0, to: keys.count, by: 700) {
            let slice = keys[run..<min(run + 700, keys.count)]
            for key in slice { oneByOne.insert(sparseKey: key) }
            slice.withUnsafeBufferPointer { runs.insert(sparseKeys: $0) }
            #expect(runs == oneByOne)
        }
        #expect(!runs.isSparse)
    }

    @Test func mergeOfSmallSparseSketchesIsTheSparseUnion() {
        var merged = sketch(of: 0..<600)
        merged.merge(sketch(of: 300..<1000))
        #expect(merged.isSparse)
        #expect(merged == sketch(of: 0..<1000))
        #expect(merged.estimate().rounded() == 1000)
    }

    @Test func mergeOfLargeSparseSketchesTurnsDense() {
        var merged = sketch(of: 0..<2500)
        merged.merge(sketch(of: 2000..<4500))
        #expect(!merged.isSparse)
        #expect(merged == HyperLogLog.sketchStartingDense(0..<4500))
        #expect(relativeError(merged, 4500) < 0.02)
    }

    @Test func mergeOfDenseSketchesEqualsTheUnionSketch() {
        var merged = sketch(of: 0..<60000)
        merged.merge(sketch(of: 30000..<100_000))
        #expect(merged == sketch(of: 0..<100_000))
        #expect(relativeError(merged, 100_000) < 0.02)
    }

    @Test func mergeOfSparseAndDenseEqualsTheUnionSketch() {
        let small = sketch(of: 0..<500)
        let large = sketch(of: 400..<50000)
        var sparseFirst = small
        sparseFirst.merge(large)
        var denseFirst = large
        denseFirst.merge(small)
        #expect(sparseFirst == sketch(of: 0..<50000))
        #expect(denseFirst == sparseFirst)
    }

    /// A query's pattern: thousands of one-to-three-unit sketches merged into one running
    /// sketch, which passes through sparse into dense; the result is the union's sketch.
    @Test(arguments: [1000, 3000, 12000])
    func mergeOfManySmallSketchesEqualsTheUnionSketch(units: Int) {
        var merged = HyperLogLog()
        var start = 0
        while start < units {
            let end = min(start + 1 + start % 3, units)
            // Each small sketch overlaps the previous one by a unit.
            merged.merge(sketch(of: max(0, start - 1)..<end))
            start = end
        }
        #expect(merged == sketch(of: 0..<units))
        #expect(merged.estimate() == sketch(of: 0..<units).estimate())
    }

    @Test func mergeIsCommutativeAndIdempotent() {
        // Odd sizes leave inserts in the buffer.
        let sketches = [
            HyperLogLog(), sketch(of: 0..<3), sketch(of: 2..<41), sketch(of: 30..<1700),
            sketch(of: 1000..<3000), sketch(of: 0..<9000), sketch(of: 5000..<70001),
        ]
        for a in sketches {
            var withItself = a
            withItself.merge(a)
            #expect(withItself == a)
            for b in sketches {
                var ab = a
                ab.merge(b)
                var ba = b
                ba.merge(a)
                #expect(ab == ba)
            }
        }
    }

    /// A sketch's only entry is held inline: no allocation, the larger rho′ kept for its idx′,
    /// and a second idx′ moves it to the list. Every path (insert, merge either way, from sorted
    /// keys, to dense) must give what the list form gives for the same hashes.
    @Test func aSingleEntryIsHeldInlineAndBehavesAsTheList() {
        // Two hashes on one flagged idx′ (rho′ 3, then 5) and one on another idx′.
        let sameIndexLow: UInt64 = 7 << 50 | 1 << 36
        let sameIndexHigh: UInt64 = 7 << 50 | 1 << 34
        let other: UInt64 = 9 << 50 | 1 << 45
        var one = HyperLogLog()
        one.insert(hash: sameIndexHigh)
        one.insert(hash: sameIndexLow)
        #expect(one.approximateByteSize == MemoryLayout<HyperLogLog>.size)
        #expect(one.sortedKeys == [HyperLogLog.SparseKey.make(hash: sameIndexHigh)])
        #expect(one.sortedEntryCount == 1 && !one.isEmpty && one.isSparse)
        #expect(one.estimate().rounded() == 1)

        // The list form of the same entries, for comparison: built from a larger sketch's keys.
        let keys = [sameIndexLow, sameIndexHigh, other].map(HyperLogLog.SparseKey.make(hash:))
        let expectedTwo = [keys[1], keys[2]]
        var two = one
        two.insert(hash: other)
        #expect(two.sortedKeys == expectedTwo)
        #expect(two.inlineKey == 0)
        #expect(two.estimate().rounded() == 2)

        // Merges: inline into empty, into inline, into a list; a list into inline.
        var fromEmpty = HyperLogLog()
        fromEmpty.merge(one)
        #expect(fromEmpty == one && fromEmpty.inlineKey != 0)
        var otherOnly = HyperLogLog()
        otherOnly.insert(hash: other)
        var merged = otherOnly
        merged.merge(one)
        #expect(merged == two && merged.sortedKeys == expectedTwo)
        var listThenInline = two
        listThenInline.merge(one)
        #expect(listThenInline == two)
        var inlineThenList = one
        inlineThenList.merge(two)
        #expect(inlineThenList == two)
        #expect(one != two && one != HyperLogLog())

        // From a segment's sorted keys, and to dense.
        let decoded = [keys[1]].withUnsafeBufferPointer { HyperLogLog(sortedKeys: $0) }
        #expect(decoded == one && decoded.inlineKey == keys[1])
        var inlineDense = one
        inlineDense.convertToDense()
        var insertedDense = HyperLogLog()
        insertedDense.convertToDense()
        insertedDense.insert(hash: sameIndexLow)
        insertedDense.insert(hash: sameIndexHigh)
        #expect(inlineDense.registers == insertedDense.registers)
        #expect(inlineDense.inlineKey == 0 && inlineDense.sortedKeys.isEmpty)
    }

    @Test func memoryIsBytesWhenSmallAndAboutSixteenKiBWhenDense() {
        let three = sketch(of: 0..<3)
        #expect(three.approximateByteSize < 200)
        let dense = sketch(of: 0..<10000)
        #expect(dense.approximateByteSize >= HyperLogLog.registerCount)
        #expect(dense.approximateByteSize < HyperLogLog.registerCount + 200)
        var sparse = HyperLogLog()
        for unit in 0..<HyperLogLog.sparseEntryLimit {
            sparse.insert(hash: unitHash(unit))
            #expect(sparse.approximateByteSize <= HyperLogLog.registerCount + 100)
        }
    }
}

extension HyperLogLog {
    /// The dense sketch of `units`, built without ever being sparse.
    fileprivate static func sketchStartingDense(_ units: Range<Int>) -> HyperLogLog {
        sketch(of: units, startingDense: true)
    }
}
