import Testing
@testable import Tally

/// Expected values come from the reference implementation (Python `xxhash.xxh64_intdigest`).
@Suite struct XXHash64Tests {
    /// Input of length `n`: byte `i` is `(31 * i + 7) mod 256`.
    static func pattern(_ n: Int) -> [UInt8] {
        (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// Lengths 0...40 reach every tail path (8-, 4- and 1-byte steps after 0 or 1 stripes);
    /// the longer ones cover several 32-byte stripes.
    static let seedZero: [(length: Int, hash: UInt64)] = [
        (0, 0xEF46DB3751D8E999),
        (1, 0xA96C7F0CE858BBB7),
        (2, 0xAC378C5993CD5F9A),
        (3, 0x56E6957632A487F9),
        (4, 0xC60D15B1E3FF8F04),
        (5, 0x808815858624DD4E),
        (6, 0xCF22B4E87E9BBD00),
        (7, 0xAFBEFC3D6C6F9A8E),
        (8, 0x3DA5C7AA269683E0),
        (9, 0x4B17A9BA9E215C09),
        (10, 0x6B889090B8A922B8),
        (11, 0x1FC070E44716BD8E),
        (12, 0x8FE8AB1C1FD0666E),
        (13, 0x0382284CC19C4ABB),
        (14, 0x1523F762201BA56E),
        (15, 0xAE2A37EB9357CAA7),
        (16, 0xA19AD429B02BC413),
        (17, 0xFE9F0FEB7EEEDC09),
        (18, 0xA44DBC53C815D4FE),
        (19, 0x3693E04C0DFC7DD2),
        (20, 0x0BFBADB368E7F37C),
        (21, 0xFE78683697D5C575),
        (22, 0xB07142420C77FE7F),
        (23, 0xE77B1FCEA84118C3),
        (24, 0x929438E5C2159EF9),
        (25, 0x7E6C95919380459F),
        (26, 0xAF2EFE1AA0CF37DC),
        (27, 0x8EDAA24C28D12EC6),
        (28, 0xA36B5C4091187D2A),
        (29, 0xEB1FEE1BF0954759),
        (30, 0x6A54EBE6FE40B928),
        (31, 0x4A74F3A1A39AD4A1),
        (32, 0x8D57D6A4671CC43D),
        (33, 0x62C9FD21ED857664),
        (34, 0x42CCE8A8F5FC5F1F),
        (35, 0x85CBCF9E0D9CBECA),
        (36, 0xA4475C606B0ABC3C),
        (37, 0x5D71D9FC4B676D9F),
        (38, 0x88A74AB8EAEB0218),
        (39, 0x1789542489E59CC4),
        (40, 0x49B45332E280F187),
        (63, 0x5C320A0D2707057F),
        (64, 0x7BBABBC45729D17E),
        (65, 0xF3980C34BAE65DC1),
        (100, 0xEFA0AD2D3E70C151),
        (255, 0x2C3DB4BB567F731E),
        (256, 0x7C1FF7B1D57C10D5),
        (1000, 0x99594F4828043D35),
    ]

    static let seedGolden: [(length: Int, hash: UInt64)] = [
        (0, 0xC4349FC93C010000),
        (1, 0x585882422A6165E7),
        (2, 0x641D1A59667AE544),
        (3, 0x5ACB303E78133C22),
        (4, 0x7D51D5E2461732B3),
        (5, 0x7F8B72856A42BB63),
        (6, 0xE9025E4E32C729E4),
        (7, 0x2CE9ADEC2B2C8104),
        (8, 0x758848F033FA76A2),
        (9, 0xD4576CF554B7D929),
        (10, 0xE8B41976772424C5),
        (11, 0xE96560D0AA53CB57),
        (12, 0xEAA6D4D803D21FD7),
        (13, 0x4CAC40DD02BDE820),
        (14, 0xA2655FFF7225FFFA),
        (15, 0xA18D5C90D722CEE3),
        (16, 0xE3594F9058B426E7),
        (17, 0xA0C8A40EF8F3A9F7),
        (18, 0xFF0386A0513FBF6D),
        (19, 0xDB2B25FBBEB12A5C),
        (20, 0x45525F71657D38D8),
        (21, 0xC1C8E43136920400),
        (22, 0x90AB7B1B934EB633),
        (23, 0x1C67B969B8E6AF9D),
        (24, 0xD8E4876E939CD5D4),
        (25, 0x427F8E1EF2F5ACBA),
        (26, 0x0B5290A5F9D9131B),
        (27, 0x12AF0C2833FB02F5),
        (28, 0x3B964CB90C5E553C),
        (29, 0x477FB2E3617D6D67),
        (30, 0x931913A0688DEAF8),
        (31, 0x8137041F5AF88413),
        (32, 0x184EBCF3745CD46C),
        (33, 0x52FAC3C981F3CC2E),
        (34, 0xC16CFDBE42AE063E),
        (35, 0x04483606D3944CFB),
        (36, 0xE29861E99AD805D0),
        (37, 0x2663FCC0301BE7AA),
        (38, 0x0AC936604B249F65),
        (39, 0x5661126B7EFAF137),
        (40, 0x36758D31812C0E57),
        (63, 0x64EF99A2E94CC7BD),
        (64, 0xF7F22435FE1AB128),
        (65, 0x7A0B76A812617C73),
        (100, 0xBC7AB33BE7528C18),
        (255, 0x76DC2BA578C894B9),
        (256, 0xAABAF17C38DF7868),
        (1000, 0xDA717F741F399F3F),
    ]

    static let strings: [(string: String, seed0: UInt64, seed1: UInt64)] = [
        ("", 0xEF46DB3751D8E999, 0xD5AFBA1336A3BE4B),
        ("a", 0xD24EC4F1A98C6E5B, 0xDEC2BC81C3CD46C6),
        ("abc", 0x44BC2CF5AD770999, 0xBEA9CA8199328908),
        ("user-42", 0x397E9D3A76AF7C81, 0x8CBD5A85D97D4F4D),
        ("héllo wörld 🌍", 0x2BC7EA2CD3B5380C, 0x5AFCFF43E183D103),
        ("The quick brown fox jumps over the lazy dog", 0x0B242D361FDA71BC, 0xDF5091B6DAD2C6DB),
    ]

    @Test func matchesReferenceWithSeedZero() {
        for (length, expected) in Self.seedZero {
            #expect(XXHash64.hash(Self.pattern(length)) == expected, "length \(length)")
        }
    }

    @Test func matchesReferenceWithNonzeroSeed() {
        for (length, expected) in Self.seedGolden {
            let hash = XXHash64.hash(Self.pattern(length), seed: 0x9E37_79B9_7F4A_7C15)
            #expect(hash == expected, "length \(length)")
        }
    }

    @Test func hashesStringsAsTheirUTF8Bytes() {
        for (string, seed0, seed1) in Self.strings {
            #expect(XXHash64.hash(string) == seed0, "\(string)")
            #expect(XXHash64.hash(string, seed: 1) == seed1, "\(string)")
            #expect(XXHash64.hash(Array(string.utf8)) == seed0, "\(string)")
        }
    }

    @Test func readsUnalignedInput() {
        for (length, expected) in Self.seedZero {
            // The same bytes starting at every offset of an 8-byte word.
            for shift in 1..<8 {
                let padded = [UInt8](repeating: 0xAA, count: shift) + Self.pattern(length)
                let hash = padded.withUnsafeBytes { raw in
                    XXHash64.hash(UnsafeRawBufferPointer(rebasing: raw[shift...]))
                }
                #expect(hash == expected, "length \(length), shift \(shift)")
            }
        }
    }

    @Test func emptyBufferWithoutBaseAddress() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(XXHash64.hash(empty) == 0xEF46_DB37_51D8_E999)
    }
}

/// The streaming form gives the one-shot hash of the pieces put together, wherever they are cut.
@Suite struct XXHash64StreamTests {
    @Test(arguments: [0, 1, 7, 31, 32, 33, 63, 64, 65, 100, 1_000, 10_007])
    func piecesHashAsTheirConcatenation(length: Int) {
        var random = RandomEvents(seed: UInt64(length) + 5)
        let bytes = (0..<length).map { _ in UInt8(random.below(256)) }
        for seed: UInt64 in [0, 0x9E37_79B9] {
            let whole = bytes.withUnsafeBytes { XXHash64.hash($0, seed: seed) }
            for _ in 0..<20 {
                var stream = XXHash64.Stream(seed: seed)
                var start = 0
                while start < length {
                    // Pieces of 0 to 40 bytes, so stripes are cut at every offset.
                    let end = min(length, start + random.below(41))
                    bytes[start..<end].withUnsafeBytes { stream.update($0) }
                    start = end
                }
                #expect(stream.finish() == whole)
            }
            var oneByteAtATime = XXHash64.Stream(seed: seed)
            for byte in bytes { withUnsafeBytes(of: byte) { oneByteAtATime.update($0) } }
            #expect(oneByteAtATime.finish() == whole)
        }
    }
}
