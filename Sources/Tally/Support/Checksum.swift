import CZlib

/// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF),
/// as computed by zlib's `crc32`. `format-spec.md` names this "CRC-32".
enum CRC32 {
    static func checksum<C: ContiguousCollectionOrSlice>(_ data: C) -> UInt32 {
        update(0, data)
    }

    /// Continues a running checksum `crc` (start from 0) over more bytes.
    static func update<C: ContiguousCollectionOrSlice>(_ crc: UInt32, _ data: C) -> UInt32 {
        data.withContiguousBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return crc }
            return UInt32(
                CZlib.crc32(UInt(crc), base.assumingMemoryBound(to: Bytef.self), uInt(raw.count)))
        }
    }
}

/// Collections whose bytes can be viewed contiguously (arrays, slices of arrays).
protocol ContiguousCollectionOrSlice {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousCollectionOrSlice where Element == UInt8 {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousCollectionOrSlice where Element == UInt8 {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: ContiguousCollectionOrSlice {
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension CRC32 {
    /// Whether a message of `length` bytes whose CRC-32 is `computed`, but whose stored CRC-32 is
    /// `stored`, differs from a message with the stored CRC in exactly one bit at or after bit
    /// `fromBit`, or in one bit of the stored CRC itself. Such a difference is the trace of
    /// damage to a complete record (a flipped bit), not of a torn write, which loses whole sectors.
    ///
    /// CRC-32 is linear: flipping message bit `p` (bits counted from the first byte, least
    /// significant bit first) changes the CRC by `T^(8·length − p)(1)`, where `T` is one step of
    /// the reflected shift register. Walking `p` down from the last bit visits every such change
    /// once, in `8 · length` steps and without allocating.
    static func differsBySingleBit(computed: UInt32, stored: UInt32, length: Int, fromBit: Int = 0) -> Bool {
        let syndrome = computed ^ stored
        guard syndrome != 0 else { return false }
        if syndrome.nonzeroBitCount == 1 { return true }
        var register: UInt32 = 1
        var bit = 8 * length - 1
        while bit >= fromBit {
            register = (register >> 1) ^ (register & 1 == 1 ? 0xEDB8_8320 : 0)
            if register == syndrome { return true }
            bit -= 1
        }
        return false
    }
}
