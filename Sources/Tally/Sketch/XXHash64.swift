/// XXH64, the 64-bit xxHash of Yann Collet, bit-exact with the reference implementation
/// (`XXH64()` of xxhash.h): input words are read little-endian at any alignment.
///
/// Units are hashed with it before they enter a ``HyperLogLog``, so its output is part of the
/// file format: it must never change.
enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The hash of the UTF-8 bytes of `string`.
    static func hash(_ string: String, seed: UInt64 = 0) -> UInt64 {
        let contiguous = string.utf8.withContiguousStorageIfAvailable { utf8 in
            hash(UnsafeRawBufferPointer(utf8), seed: seed)
        }
        return contiguous ?? hash(Array(string.utf8), seed: seed)
    }

    static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let length = bytes.count
        guard length > 0, let base = bytes.baseAddress else { return avalanche(seed &+ prime5) }

        var offset = 0
        var h: UInt64
        if length >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            let lastStripe = length - 32
            repeat {
                v1 = round(v1, readUInt64(base, offset))
                v2 = round(v2, readUInt64(base, offset + 8))
                v3 = round(v3, readUInt64(base, offset + 16))
                v4 = round(v4, readUInt64(base, offset + 24))
                offset += 32
            } while offset <= lastStripe
            h = merged(v1, v2, v3, v4)
        } else {
            h = seed &+ prime5
        }
        h &+= UInt64(truncatingIfNeeded: length)
        return finish(h, tail: base + offset, count: length - offset)
    }

    /// The four lanes of an input of 32 bytes or more, folded into one accumulator.
    @inline(__always)
    private static func merged(_ v1: UInt64, _ v2: UInt64, _ v3: UInt64, _ v4: UInt64) -> UInt64 {
        var h = rotateLeft(v1, 1) &+ rotateLeft(v2, 7) &+ rotateLeft(v3, 12) &+ rotateLeft(v4, 18)
        h = mergeRound(h, v1)
        h = mergeRound(h, v2)
        h = mergeRound(h, v3)
        return mergeRound(h, v4)
    }

    /// The last steps: folds in the fewer than 32 bytes after the last stripe, then avalanches.
    @inline(__always)
    private static func finish(_ accumulated: UInt64, tail base: UnsafeRawPointer, count length: Int) -> UInt64 {
        var h = accumulated
        var offset = 0
        while offset + 8 <= length {
            h ^= round(0, readUInt64(base, offset))
            h = rotateLeft(h, 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= length {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            h ^= UInt64(UInt32(littleEndian: word)) &* prime1
            h = rotateLeft(h, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < length {
            h ^= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) &* prime5
            h = rotateLeft(h, 11) &* prime1
            offset += 1
        }
        return avalanche(h)
    }

    /// XXH64 of bytes given in pieces: ``finish()`` returns what ``hash(_:seed:)-(UnsafeRawBufferPointer,_)``
    /// returns for all the pieces one after another.
    struct Stream {
        private let seed: UInt64
        private var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
        private var length = 0
        /// The bytes after the last whole 32-byte stripe: the first `pendingCount` of these
        /// 32 (inline, so that an update copies with `memcpy`, not byte by byte).
        private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        private var pendingCount = 0

        init(seed: UInt64 = 0) {
            self.seed = seed
            (v1, v2, v3, v4) = (seed &+ prime1 &+ prime2, seed &+ prime2, seed, seed &- prime1)
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            length += bytes.count
            var offset = 0
            if pendingCount > 0 {
                offset = min(32 - pendingCount, bytes.count)
                let filled = pendingCount
                withUnsafeMutableBytes(of: &pending) { ($0.baseAddress! + filled).copyMemory(from: base, byteCount: offset) }
                pendingCount += offset
                guard pendingCount == 32 else { return }
                let stripe = pending
                withUnsafeBytes(of: stripe) { consumeStripe($0.baseAddress!) }
                pendingCount = 0
            }
            while offset + 32 <= bytes.count {
                consumeStripe(base + offset)
                offset += 32
            }
            let rest = bytes.count - offset
            if rest > 0 {
                withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest) }
                pendingCount = rest
            }
        }

        func finish() -> UInt64 {
            var h: UInt64
            if length >= 32 {
                h = merged(v1, v2, v3, v4)
            } else {
                h = seed &+ prime5
            }
            h &+= UInt64(truncatingIfNeeded: length)
            return withUnsafeBytes(of: pending) { tail in XXHash64.finish(h, tail: tail.baseAddress!, count: pendingCount) }
        }

        @inline(__always)
        private mutating func consumeStripe(_ stripe: UnsafeRawPointer) {
            v1 = round(v1, readUInt64(stripe, 0))
            v2 = round(v2, readUInt64(stripe, 8))
            v3 = round(v3, readUInt64(stripe, 16))
            v4 = round(v4, readUInt64(stripe, 24))
        }
    }

    @inline(__always)
    private static func readUInt64(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func rotateLeft(_ value: UInt64, _ bits: UInt64) -> UInt64 {
        (value &<< bits) | (value &>> (64 &- bits))
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotateLeft(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always)
    private static func mergeRound(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    @inline(__always)
    private static func avalanche(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h &*= prime2
        h ^= h >> 29
        h &*= prime3
        h ^= h >> 32
        return h
    }
}
