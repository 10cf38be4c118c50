import CZlib
import Testing
@testable import Tally

/// Block compression: streams any zlib reader inflates, at a memory level sized to the input.
@Suite struct ZlibTests {
    /// Bytes that compress somewhat, like a column: runs, small numbers and noise.
    private func columnLike(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return i % 7 == 0 ? UInt8(truncatingIfNeeded: state >> 59) : UInt8(i / 97 % 5)
        }
    }

    /// Sizes around each memory level's symbol buffer (2^(level + 6)), and past the default's.
    @Test(arguments: [1, 64, 65, 128, 129, 1_300, 8_192, 8_193, 16_384, 16_385, 300_000])
    func roundTripsAndInflatesWithPlainZlib(count: Int) {
        let raw = columnLike(count)
        let compressed = Zlib.compress(raw)
        #expect(Zlib.decompress(compressed, expectedSize: count) == raw)
        // zlib's own one-shot inflate reads the stream too.
        var inflated = [UInt8](repeating: 0, count: count)
        var length = uLongf(count)
        let status = inflated.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        #expect(status == Z_OK && Int(length) == count && inflated == raw)
        // A smaller hash table finds about the matches the default one finds.
        var defaultLength = compressBound(uLong(count))
        var reference = [UInt8](repeating: 0, count: Int(defaultLength))
        _ = reference.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress2(out.baseAddress, &defaultLength, $0.baseAddress, uLong(count), 6) }
        }
        #expect(Double(compressed.count) <= Double(defaultLength) * 1.02 + 8)
        let filtered = Zlib.compress(raw, level: 5, strategy: .filtered)
        #expect(Zlib.decompress(filtered, expectedSize: count) == raw)
        // Run-length deflate is an ordinary stream too, and finds this input's runs.
        let runs = Zlib.compress(raw, strategy: .runs)
        #expect(Zlib.decompress(runs, expectedSize: count) == raw)
        length = uLongf(count)
        let runsStatus = inflated.withUnsafeMutableBufferPointer { out in
            runs.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        #expect(runsStatus == Z_OK && Int(length) == count && inflated == raw)
        if count >= 1_300 { #expect(runs.count < count / 2) }
    }

    /// The writer deflates run counts and event counts run-length only, sketch columns and
    /// experiment state filtered at level 5, and stores footers and sketch entry tables as they
    /// are; every kind's block reads back.
    @Test func everyBlockKindRoundTrips() throws {
        let raw = columnLike(4_000)
        for kind in (1...15).compactMap(BlockKind.init(rawValue:)) {
            let framed = Block.encode(raw, kind: kind)
            #expect(try Block.decode(framed, expectedKind: kind, path: "test", offset: 0) == raw)
            if let deflate = kind.deflate {
                #expect(framed[12] == Block.Codec.zlib.rawValue)
                #expect(Array(framed.dropFirst(Block.headerSize)) == Zlib.compress(raw, level: deflate.level, strategy: deflate.strategy))
            } else {
                #expect(framed[12] == Block.Codec.raw.rawValue && Array(framed.dropFirst(Block.headerSize)) == raw)
            }
        }
        #expect(BlockKind.counts.deflate == Zlib.Settings(level: 6, strategy: .runs))
        #expect(BlockKind.series.deflate == Zlib.Settings(level: 6, strategy: .default))
        #expect(BlockKind.experimentState.deflate == Zlib.Settings(level: 5, strategy: .filtered))
        #expect(BlockKind.sketches.deflate == Zlib.Settings(level: 5, strategy: .filtered))
        #expect(BlockKind.segmentFooter.deflate == nil && BlockKind.sketchEntries.deflate == nil)
    }

    /// The stream must be exactly one zlib stream of exactly the expected size.
    @Test func refusesStreamsThatAreNotExactlyTheBlock() {
        let raw = columnLike(5_000)
        let compressed = Zlib.compress(raw)
        #expect(Zlib.decompress(compressed, expectedSize: raw.count) == raw)
        #expect(Zlib.decompress(compressed, expectedSize: raw.count - 1) == nil)
        #expect(Zlib.decompress(compressed, expectedSize: raw.count + 1) == nil)
        #expect(Zlib.decompress(compressed.dropLast(), expectedSize: raw.count) == nil)
        #expect(Zlib.decompress(compressed + [0], expectedSize: raw.count) == nil)
        #expect(Zlib.decompress(compressed.prefix(6), expectedSize: raw.count) == nil)
        #expect(Zlib.decompress([UInt8](), expectedSize: 0) == nil)
        var damaged = compressed
        damaged[compressed.count / 2] ^= 0xFF
        #expect(Zlib.decompress(damaged, expectedSize: raw.count) != raw)
    }

    @Test func refusesHeadersOtherThanPlainDeflate() {
        let compressed = Zlib.compress(columnLike(1_000))
        #expect(Zlib.isStreamHeader(compressed[0], compressed[1]))
        // Every header zlib writes at levels 1–9 is accepted.
        for level: Int32 in 1...9 {
            let stream = Zlib.compress(columnLike(1_000), level: level)
            #expect(Zlib.isStreamHeader(stream[0], stream[1]))
        }
        func withHeader(_ cmf: UInt8, _ flg: UInt8) -> [UInt8] { [cmf, flg] + compressed.dropFirst(2) }
        // Check bits made right for each forged first byte, so only the named field is wrong.
        func flg(for cmf: UInt8, dictionary: Bool) -> UInt8 {
            let base: UInt16 = dictionary ? 0x20 : 0
            let check = (31 - (UInt16(cmf) << 8 | base) % 31) % 31
            return UInt8(base | check)
        }
        #expect(Zlib.decompress(withHeader(0x78, flg(for: 0x78, dictionary: false)), expectedSize: 1_000) != nil)
        #expect(Zlib.decompress(withHeader(0x77, flg(for: 0x77, dictionary: false)), expectedSize: 1_000) == nil)  // method 7
        #expect(Zlib.decompress(withHeader(0x88, flg(for: 0x88, dictionary: false)), expectedSize: 1_000) == nil)  // 64 KiB window
        #expect(Zlib.decompress(withHeader(0x78, flg(for: 0x78, dictionary: true)), expectedSize: 1_000) == nil)   // preset dictionary
        #expect(Zlib.decompress(withHeader(0x78, compressed[1] ^ 1), expectedSize: 1_000) == nil)  // check bits
    }

    /// Readers do not recompute the Adler-32 trailer: the block's CRC-32 covers those bytes, and
    /// a block whose trailer changed is refused by it.
    @Test func theBlockChecksumNotTheTrailerGuardsTheBytes() throws {
        let raw = columnLike(3_000)
        let compressed = Zlib.compress(raw)
        var trailerChanged = compressed
        trailerChanged[compressed.count - 1] ^= 0x5A
        #expect(Zlib.decompress(trailerChanged, expectedSize: raw.count) == raw)

        var framed = Block.encode(raw, kind: .counts)
        #expect(framed[12] == Block.Codec.zlib.rawValue)
        framed[framed.count - 1] ^= 0x5A
        #expect(throws: TallyError.self) { try Block.decode(framed, expectedKind: .counts, path: "test", offset: 0) }
    }

    @Test func memoryLevelHoldsTheInputInItsSymbolBuffer() {
        #expect(Zlib.memoryLevel(forInputBytes: 0) == 1)
        #expect(Zlib.memoryLevel(forInputBytes: 128) == 1)
        #expect(Zlib.memoryLevel(forInputBytes: 129) == 2)
        #expect(Zlib.memoryLevel(forInputBytes: 1_300) == 5)
        #expect(Zlib.memoryLevel(forInputBytes: 16_384) == 8)
        #expect(Zlib.memoryLevel(forInputBytes: 10_000_000) == 8)
        for count in [1, 100, 1_000, 10_000, 16_384] {
            #expect(1 << (Zlib.memoryLevel(forInputBytes: count) + 6) >= count)
        }
    }
}

/// Blocks framed together on several threads are the blocks framed one by one.
@Suite struct BlockFramingTests {
    @Test(arguments: [0, 1, 2, 3, 40])
    func framingBlocksTogetherEqualsFramingEach(count: Int) throws {
        var random = RandomEvents(seed: UInt64(count + 1))
        let kinds: [BlockKind] = [.series, .buckets, .counts, .sketches, .metricTotals]
        let raws = (0..<count).map { index -> (raw: [UInt8], kind: BlockKind) in
            // Sizes from empty to 64 KiB; half compressible (a small alphabet), half not.
            let size = index == 0 ? 0 : random.below(65_536)
            let alphabet = index % 2 == 0 ? 4 : 256
            return ((0..<size).map { _ in UInt8(random.below(alphabet)) }, kinds[index % kinds.count])
        }
        let together = Block.encodeAll(raws)
        #expect(together == raws.map { Block.encode($0.raw, kind: $0.kind) })
        for (framed, raw) in zip(together, raws) {
            #expect(try Block.decode(framed, expectedKind: raw.kind, path: "test", offset: 0) == raw.raw)
        }
    }

    @Test func pendingBlocksFramedByWindowsAreTheBlocksInOrder() throws {
        var random = RandomEvents(seed: 3)
        // About 3.5 windows of blocks from 0 to 200 KB, so several windows are framed.
        var raws: [[UInt8]] = []
        while raws.reduce(0, { $0 + $1.count }) < 7 * PendingBlocks.window / 2 {
            raws.append((0..<random.below(200_000)).map { _ in UInt8(random.below(16)) })
        }
        var pending = PendingBlocks()
        for (index, raw) in raws.enumerated() { #expect(pending.add(raw, kind: .counts) == index) }
        let (bytes, refs, rawBytes) = pending.finish()
        let each = raws.map { Block.encode($0, kind: .counts) }
        #expect(bytes == Array(each.joined()))
        #expect(refs.map(\.length) == each.map { UInt64($0.count) })
        #expect(refs.map(\.offset) == each.indices.map { UInt64(each[..<$0].reduce(0) { $0 + $1.count }) })
        #expect(rawBytes == raws.reduce(0) { $0 + $1.count })
    }
}
