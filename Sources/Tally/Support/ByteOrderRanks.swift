/// Ranks of strings in the byte order of their UTF-8 (format-spec.md rules S3 and S7): the
/// order in which a segment sorts series and zones.
enum ByteOrderRanks {
    /// `ranks[i]` is the position of `strings[i]` when the strings are sorted by their UTF-8
    /// bytes; equal strings get distinct, adjacent positions.
    ///
    /// Each string's first eight bytes, big-endian and zero-padded, decide most comparisons
    /// without reading the strings: when two such prefixes differ they order the strings as
    /// their bytes do (a zero pad sorts a shorter string before any of its extensions).
    static func ranks(of strings: [String]) -> [Int32] {
        var order = strings.indices.map { (prefix: prefix(of: strings[$0]), index: $0) }
        order.sort { a, b in
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            return strings[a.index].utf8.lexicographicallyPrecedes(strings[b.index].utf8)
        }
        var rank = [Int32](repeating: 0, count: strings.count)
        for (position, entry) in order.enumerated() { rank[entry.index] = Int32(position) }
        return rank
    }

    /// The first eight UTF-8 bytes of `string` as a big-endian integer, zero-padded.
    static func prefix(of string: String) -> UInt64 {
        var prefix: UInt64 = 0
        var shift: UInt64 = 56
        for byte in string.utf8.prefix(8) {
            prefix |= UInt64(byte) << shift
            shift &-= 8
        }
        return prefix
    }
}
