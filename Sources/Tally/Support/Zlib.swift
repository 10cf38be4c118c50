import CZlib

/// zlib (RFC 1950) compression of whole blocks, with the decompressed size known in advance.
///
/// Decompression never allocates more than the size the caller expects, and fails when the
/// stream produces more or fewer bytes: a decompression bomb is a corrupt block, not an
/// out-of-memory.
enum Zlib {
    /// Compresses `input` at `level` (1 fastest … 9 smallest).
    static func compress<C: ContiguousCollectionOrSlice>(_ input: C, level: Int32 = 6) -> [UInt8] {
        input.withContiguousBytes { raw in
            let bound = Int(compressBound(uLong(raw.count)))
            var output = [UInt8](repeating: 0, count: bound)
            var outputLength = uLongf(bound)
            let status = output.withUnsafeMutableBufferPointer { out in
                compress2(
                    out.baseAddress, &outputLength,
                    raw.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(out.baseAddress),
                    uLong(raw.count), level)
            }
            precondition(status == Z_OK, "compress2 failed with \(status)")
            output.removeSubrange(Int(outputLength)...)
            return output
        }
    }

    /// Decompresses `input`, which must inflate to exactly `expectedSize` bytes; `nil` otherwise.
    static func decompress<C: ContiguousCollectionOrSlice>(_ input: C, expectedSize: Int) -> [UInt8]? {
        guard expectedSize >= 0 else { return nil }
        return input.withContiguousBytes { raw -> [UInt8]? in
            guard let inputBase = raw.baseAddress, raw.count > 0 else { return nil }
            // One spare byte detects streams that would inflate beyond `expectedSize`.
            var output = [UInt8](repeating: 0, count: expectedSize + 1)
            var outputLength = uLongf(expectedSize + 1)
            var inputLength = uLong(raw.count)
            let status = output.withUnsafeMutableBufferPointer { out in
                uncompress2(
                    out.baseAddress, &outputLength,
                    inputBase.assumingMemoryBound(to: Bytef.self), &inputLength)
            }
            // Z_BUF_ERROR here means the output would exceed expectedSize + 1: too large.
            guard status == Z_OK, outputLength == expectedSize, inputLength == raw.count else { return nil }
            output.removeLast()
            return output
        }
    }
}
