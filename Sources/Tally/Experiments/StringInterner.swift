#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns strings by their UTF-8 bytes into dense ids: the experiment state's table of exposed
/// units (``UnitIndex``). Open addressing over a power-of-two table; XXH64 of the bytes as the
/// hash. (A batch's strings use ``BatchInterner``.)
///
/// The strings are chunked: millions of units are held, and a doubling array's growth would
/// briefly hold them three times over. Their hashes are not stored (8 bytes per unit): a probe
/// compares strings, and growing hashes them again.
struct StringInterner {
    private var strings = ChunkedArray<String>()
    /// Slot → id + 1; 0 is empty.
    private var slots: [UInt32] = Array(repeating: 0, count: 64)

    var count: Int { strings.count }

    /// The string with id `id`.
    subscript(id: Int) -> String { strings[id] }

    mutating func intern(_ string: String) -> UInt32 {
        var utf8View = string
        return utf8View.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            let (slot, found) = find(bytes, hash: XXHash64.hash(bytes))
            if let found { return found }
            let id = UInt32(strings.count)
            strings.append(string)
            slots[slot] = id + 1
            if strings.count * 2 > slots.count { grow() }
            return id
        }
    }

    /// The id of `string` if it was interned.
    func id(of string: String) -> UInt32? {
        var utf8View = string
        return utf8View.withUTF8 { find(UnsafeRawBufferPointer($0), hash: XXHash64.hash(UnsafeRawBufferPointer($0))).id }
    }

    /// The slot holding `bytes` and its id, or the empty slot where they would go and `nil`.
    @inline(__always)
    private func find(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, id: UInt32?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let id = Int(slots[slot] - 1)
            if equal(strings[id], bytes) { return (slot, UInt32(id)) }
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
            var slot = Int(truncatingIfNeeded: XXHash64.hash(strings[id])) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }
}
