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
