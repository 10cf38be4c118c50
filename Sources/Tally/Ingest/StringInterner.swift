#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns strings by their UTF-8 bytes into dense ids, so that a string met again (from an
/// `Event` or straight from the bytes of an NDJSON line) costs a hash and a compare, not a new
/// `String`. Open addressing over a power-of-two table; XXH64 of the bytes as the hash.
///
/// The strings and their hashes are chunked: the experiment state interns every exposed unit,
/// and a doubling array's growth would briefly hold millions of them three times over.
///
/// With `keepsHashes` false (the unit table: millions of short strings) the hashes are not
/// stored: a probe compares strings, and growing hashes them again. 8 bytes less per string.
struct StringInterner {
    private var strings = ChunkedArray<String>()
    /// Per string its hash; empty unless `keepsHashes`.
    private var hashes = ChunkedArray<UInt64>()
    private let keepsHashes: Bool
    /// Slot → id + 1; 0 is empty.
    private var slots: [UInt32] = Array(repeating: 0, count: 64)

    init(keepsHashes: Bool = true) { self.keepsHashes = keepsHashes }

    var count: Int { strings.count }

    /// The string with id `id`.
    subscript(id: Int) -> String { strings[id] }

    mutating func intern(_ string: String) -> UInt32 {
        var utf8View = string
        return utf8View.withUTF8 { intern(bytes: UnsafeRawBufferPointer($0), make: { string }) }
    }

    /// The id of the string with these UTF-8 bytes (which the caller guarantees are valid UTF-8).
    mutating func intern(bytes: UnsafeRawBufferPointer) -> UInt32 {
        intern(bytes: bytes, make: { String(decoding: bytes, as: UTF8.self) })
    }

    /// The id of `string` if it was interned.
    func id(of string: String) -> UInt32? {
        var utf8View = string
        return utf8View.withUTF8 { find(UnsafeRawBufferPointer($0), hash: XXHash64.hash(UnsafeRawBufferPointer($0))).id }
    }

    @inline(__always)
    private mutating func intern(bytes: UnsafeRawBufferPointer, make: () -> String) -> UInt32 {
        let hash = XXHash64.hash(bytes)
        let (slot, found) = find(bytes, hash: hash)
        if let found { return found }
        let id = UInt32(strings.count)
        strings.append(make())
        if keepsHashes { hashes.append(hash) }
        slots[slot] = id + 1
        if strings.count * 2 > slots.count { grow() }
        return id
    }

    /// The slot holding `bytes` and its id, or the empty slot where they would go and `nil`.
    @inline(__always)
    private func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let id = Int(slots[slot] - 1)
            if (!keepsHashes || hashes[id] == hash) && equal(strings[id], bytes) { return (slot, UInt32(id)) }
            slot = (slot + 1) & mask
        }
        return (slot, nil)
    }

    private func equal(_ string: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            utf8.count == bytes.count && (utf8.count == 0 || memcmp(utf8.baseAddress!, bytes.baseAddress!, utf8.count) == 0)
        }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for id in 0..<strings.count {
            let hash = keepsHashes ? hashes[id] : XXHash64.hash(strings[id])
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }
}
