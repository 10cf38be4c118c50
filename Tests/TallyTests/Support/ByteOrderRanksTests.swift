import TallyTesting
import Testing
@testable import Tally

@Suite struct ByteOrderRanksTests {
    /// Against a sort of the strings' byte arrays: shared and differing prefixes around the
    /// eight bytes the fast path reads, multi-byte characters, NUL bytes, the empty string and
    /// repeats.
    @Test(arguments: [1, 2, 3])
    func ranksAreTheByteOrderOfTheUTF8(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let alphabet: [String] = ["a", "b", "z", "\u{0}", "é", "e\u{301}", "日", "🙂", "A", "~"]
        var strings: [String] = ["", "abcdefgh", "abcdefg", "abcdefgh\u{0}", "abcdefghi", "abcdefgh"]
        for _ in 0..<400 {
            let length = Int(random.next() % 12)
            strings.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined())
        }
        let ranks = ByteOrderRanks.ranks(of: strings)
        #expect(Set(ranks).count == strings.count && ranks.allSatisfy { $0 >= 0 && Int($0) < strings.count })
        let byBytes = strings.indices.sorted { Array(strings[$0].utf8).lexicographicallyPrecedes(Array(strings[$1].utf8)) }
        for (a, b) in zip(byBytes, byBytes.dropFirst()) {
            // Consecutive in byte order: their ranks are ordered, or the strings are equal.
            let (left, right) = (Array(strings[a].utf8), Array(strings[b].utf8))
            #expect(ranks[a] < ranks[b] || left == right, "\(strings[a].debugDescription) \(strings[b].debugDescription)")
            if left != right { #expect(ranks[a] < ranks[b]) }
        }
    }

    /// Canonically equivalent strings are equal to `String`'s `<` but not in byte order:
    /// "e" + U+0301 (65 CC 81) sorts before "é" (C3 A9).
    @Test func canonicallyEquivalentStringsSortByTheirBytes() {
        let ranks = ByteOrderRanks.ranks(of: ["é", "e\u{301}", "f"])
        #expect(ranks == [2, 0, 1])
    }
}
