#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns one batch's strings by their UTF-8 bytes into dense ids (0, 1, 2, … in order of
/// first appearance). The bytes of each distinct string are kept in one arena, so a string met
/// again (most are: metric names, dimension keys, a unit's repeated events) costs a hash of its
/// bytes, a probe and one `memcmp`, and touches no `String`.
///
/// Equal bytes are one string; nothing else is (no Unicode normalization), as the log stores
/// them. Open addressing over a power-of-two table, at most half full.
struct BatchInterner {
    /// String `i` is `arena[offsets[i]..<offsets[i + 1]]`.
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Slot → id + 1; 0 is empty.
    private var slots = [UInt32](repeating: 0, count: 256)

    var count: Int { hashes.count }

    /// The id of the string with these bytes, and whether this call added it.
    @inline(__always)
    mutating func intern(bytes: UnsafeRawBufferPointer) -> (id: UInt32, isNew: Bool) {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let id = Int(slots[slot] - 1)
            if hashes[id] == hash && holds(id, bytes) { return (UInt32(id), false) }
            slot = (slot + 1) & mask
        }
        let id = hashes.count
        arena.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        offsets.append(arena.count)
        hashes.append(hash)
        slots[slot] = UInt32(id + 1)
        if hashes.count * 2 > slots.count { grow() }
        return (UInt32(id), true)
    }

    /// Whether string `id` has exactly these bytes.
    @inline(__always)
    private func holds(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[id]
        guard offsets[id + 1] - start == bytes.count else { return false }
        guard bytes.count > 0 else { return true }
        return arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, bytes.baseAddress!, bytes.count) == 0 }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    /// A 64-bit hash of `bytes` for the table (not stored anywhere, not the units' XXH64):
    /// strings of up to 16 bytes, nearly all of a batch's, are read as two (overlapping) words
    /// and mixed by one 128-bit multiply; longer ones use XXH64.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        guard count <= 16 else { return XXHash64.hash(bytes) }
        var low: UInt64 = 0
        var high: UInt64 = 0
        if count >= 8 {
            low = bytes.loadUnaligned(as: UInt64.self)
            high = bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            low = UInt64(bytes.loadUnaligned(as: UInt32.self))
            high = UInt64(bytes.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
        } else if count > 0 {
            low = UInt64(bytes[0]) | UInt64(bytes[count / 2]) << 8 | UInt64(bytes[count - 1]) << 16
        }
        let product = (low ^ 0xA076_1D64_78BD_642F).multipliedFullWidth(by: high ^ 0xE703_7ED1_A0B4_28DB ^ UInt64(count))
        return product.high ^ product.low
    }
}
