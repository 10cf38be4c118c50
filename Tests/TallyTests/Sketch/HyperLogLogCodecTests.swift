import Testing
@testable import Tally

private func sketch(_ hashes: some Sequence<UInt64>) -> HyperLogLog {
    var sketch = HyperLogLog()
    for hash in hashes { sketch.insert(hash: hash) }
    return sketch
}

/// Well-mixed distinct hashes (the SplitMix64 finalizer of 1, 2, …).
private func hashes(_ count: Int, from start: Int = 0) -> [UInt64] {
    (start..<start + count).map { unit in
        var z = UInt64(unit) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func serialized(_ sketch: HyperLogLog) -> [UInt8] {
    var bytes: [UInt8] = []
    sketch.serialize(into: &bytes)
    return bytes
}

private func deserialize(_ bytes: [UInt8]) -> HyperLogLog? {
    bytes.withUnsafeBytes { HyperLogLog.deserialize($0) }
}

private func varint(_ value: UInt64) -> [UInt8] {
    var bytes: [UInt8] = []
    var rest = value
    while rest >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
        rest >>= 7
    }
    return bytes + [UInt8(rest)]
}

/// A sparse body listing `entries` (serialized form) as deltas, without validating them.
private func sparseBytes(_ entries: [UInt64], count: UInt64? = nil) -> [UInt8] {
    var bytes: [UInt8] = [1] + varint(count ?? UInt64(entries.count))
    var previous: UInt64 = 0
    for entry in entries {
        bytes += varint(entry &- previous)
        previous = entry
    }
    return bytes
}

/// Entry of a flagged idx′ (low 11 bits zero) with rho′.
private func flagged(_ index: UInt64, rho: UInt64) -> UInt64 { index << 7 | rho << 1 | 1 }

@Suite struct HyperLogLogCodecTests {
    /// The format-spec worked example: hash 1 << 39 (idx′ 1), hash 2048 << 39 | 1 << 30
    /// (idx′ 2048, flagged, rho′ 9) and hash 4097 << 39 (idx′ 4097). Entries 2, 8194, 262163:
    /// serialized order differs from idx′ order.
    @Test func sparseLayoutMatchesTheSpecExample() {
        let example = sketch([1 << 39, 4097 << 39, 2048 << 39 | 1 << 30])
        #expect(serialized(example) == [0x01, 0x03, 0x02, 0x80, 0x40, 0x91, 0xC0, 0x0F])
        #expect(example.estimate().rounded() == 3)
    }

    @Test func emptySketchIsTwoBytes() {
        #expect(serialized(HyperLogLog()) == [1, 0])
        #expect(deserialize([1, 0]) == HyperLogLog())
    }

    @Test func threeUnitsTakeAHandfulOfBytes() {
        let three = sketch([XXHash64.hash("alice"), XXHash64.hash("bob"), XXHash64.hash("carol")])
        let bytes = serialized(three)
        #expect(bytes.count <= 14)
        #expect(deserialize(bytes) == three)
    }

    @Test(arguments: [1, 37, 1000, 3000, 3100, 20000])
    func roundTripIsCanonical(count: Int) throws {
        // Sizes that are not a multiple of the buffer size leave inserts unmerged.
        let original = sketch(hashes(count))
        let bytes = serialized(original)
        let decoded = try #require(deserialize(bytes))
        #expect(decoded == original)
        #expect(decoded.isSparse == original.isSparse)
        #expect(decoded.estimate() == original.estimate())
        #expect(serialized(decoded) == bytes)
        #expect(bytes.count == (original.isSparse ? bytes.count : 1 + HyperLogLog.registerCount))
    }

    @Test func decodedSketchKeepsWorking() throws {
        var decoded = try #require(deserialize(serialized(sketch(hashes(500)))))
        for hash in hashes(1000, from: 250) { decoded.insert(hash: hash) }
        #expect(decoded == sketch(hashes(1250)))
    }

    @Test func rejectsEveryTruncation() {
        let sparse = serialized(sketch(hashes(300)))
        for length in 0..<sparse.count {
            #expect(deserialize(Array(sparse[..<length])) == nil, "sparse prefix \(length)")
        }
        let dense = serialized(sketch(hashes(20000)))
        for length in [0, 1, 2, 100, HyperLogLog.registerCount] {
            #expect(deserialize(Array(dense[..<length])) == nil, "dense prefix \(length)")
        }
    }

    @Test func rejectsTrailingBytes() {
        #expect(deserialize(serialized(sketch(hashes(30))) + [0]) == nil)
        #expect(deserialize(serialized(sketch(hashes(20000))) + [0]) == nil)
        #expect(deserialize([1, 0, 0]) == nil)
    }

    @Test func rejectsUnknownKinds() {
        #expect(deserialize([0, 0]) == nil)
        #expect(deserialize([3] + [UInt8](repeating: 0, count: HyperLogLog.registerCount)) == nil)
    }

    @Test func rejectsDuplicateAndUnsortedEntries() {
        let valid: [UInt64] = [2, 8194, flagged(2048, rho: 9)]
        #expect(deserialize(sparseBytes(valid)) != nil)
        // A zero delta repeats an entry.
        #expect(deserialize(sparseBytes([2, 2, 8194])) == nil)
        #expect(deserialize(sparseBytes([0])) == nil)
        // Two flagged entries for one idx′.
        #expect(deserialize(sparseBytes([flagged(2048, rho: 3), flagged(2048, rho: 5)])) == nil)
        #expect(deserialize(sparseBytes([flagged(0, rho: 3), 8, flagged(0, rho: 5)])) == nil)
        // Deltas that would run past 2^32 (unsorted once wrapped to 32 bits).
        #expect(deserialize([1, 2, 2] + varint(UInt64(UInt32.max))) == nil)
    }

    @Test func rejectsEntriesNoHashProduces() {
        let invalid: [UInt64] = [
            UInt64(1 << 25 | 1) << 1,  // unflagged idx′ ≥ 2^25
            2048 << 1,  // unflagged, but the bits between p and p′ are zero
            flagged(2048, rho: 0),
            flagged(2048, rho: 41),
            flagged(4097, rho: 3),  // flagged, but the bits between p and p′ are not zero
        ]
        for entry in invalid {
            #expect(deserialize(sparseBytes([entry])) == nil, "entry \(entry)")
        }
        #expect(deserialize(sparseBytes([flagged(2048, rho: 40)])) != nil)
        #expect(deserialize(sparseBytes([UInt64(1 << 25 - 1) << 1])) != nil)
    }

    @Test func rejectsOutOfRangeRegisters() {
        var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        registers[100] = HyperLogLog.maxRegisterValue
        #expect(deserialize([2] + registers) != nil)
        for bad: UInt8 in [HyperLogLog.maxRegisterValue + 1, 255] {
            registers[100] = bad
            #expect(deserialize([2] + registers) == nil)
        }
    }

    @Test func rejectsCountsPastTheCap() {
        // 2^32 does not fit the 32-bit varint; 2^32 − 1 and 3073 pass the cap; 5 passes the bytes.
        // The reader checks the cap before reserving anything.
        let twoToThe32 = [0x80, 0x80, 0x80, 0x80, 0x10] as [UInt8]
        #expect(deserialize([1] + twoToThe32 + [UInt8](repeating: 2, count: 64)) == nil)
        #expect(deserialize([1] + varint(UInt64(UInt32.max)) + [2, 2, 2]) == nil)
        let overCap = UInt64(HyperLogLog.sparseEntryLimit + 1)
        #expect(deserialize(sparseBytes(hashes(4000).map { _ in 2 }, count: overCap)) == nil)
        #expect(deserialize([1, 5, 2, 2]) == nil)
        let atCap = sketch(hashes(3000))
        #expect(atCap.isSparse && deserialize(serialized(atCap)) == atCap)
    }

    @Test func rejectsNonMinimalVarints() {
        #expect(deserialize([1, 0x80, 0x00]) == nil)  // count 0 in two bytes
        #expect(deserialize([1, 0x01, 0x82, 0x00]) == nil)  // delta 2 in two bytes
        #expect(deserialize([1, 0x01, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00]) == nil)  // six bytes
        #expect(deserialize([1, 0x01, 0x02]) != nil)
    }

    /// Merging serialized bytes gives what merging the decoded sketch gives, whichever of the
    /// two is sparse or dense, and leaves the bytes' own sketch unchanged.
    @Test func mergeOfSerializedEqualsMergeOfDecoded() {
        let sketches = [
            HyperLogLog(), sketch(hashes(3)), sketch(hashes(1000, from: 2)), sketch(hashes(3000, from: 500)),
            sketch(hashes(20000, from: 100)),
        ]
        for target in sketches {
            for source in sketches {
                var expected = target
                expected.merge(source)
                var merged = target
                #expect(serialized(source).withUnsafeBytes { merged.merge(serialized: $0) })
                #expect(merged == expected)
                #expect(merged.estimate() == expected.estimate())
            }
        }
    }

    /// Random corruption of valid serializations never traps, and whatever is accepted is
    /// canonical: it serializes back to the same bytes.
    @Test func corruptedBytesAreRejectedOrCanonical() {
        var state: UInt64 = 42
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let originals = [serialized(sketch(hashes(5))), serialized(sketch(hashes(200)))]
        var accepted = 0
        for round in 0..<4000 {
            var bytes = originals[round % 2]
            for _ in 0...random(3) {
                switch random(4) {
                case 0: bytes[random(bytes.count)] = UInt8(random(256))
                case 1: bytes[random(bytes.count)] ^= UInt8(1 << random(8))
                case 2: bytes.insert(UInt8(random(256)), at: random(bytes.count + 1))
                default: if bytes.count > 1 { bytes.remove(at: random(bytes.count)) }
                }
            }
            let decoded = deserialize(bytes)
            var merged = HyperLogLog()
            #expect(bytes.withUnsafeBytes { merged.merge(serialized: $0) } == (decoded != nil))
            if let decoded {
                accepted += 1
                #expect(merged == decoded)
                #expect(serialized(decoded) == bytes)
            }
        }
        #expect(accepted > 0)
    }
}
