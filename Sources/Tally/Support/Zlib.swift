import CZlib

/// zlib (RFC 1950) compression of whole blocks, with the decompressed size known in advance.
///
/// Decompression never allocates more than the size the caller expects, and fails when the
/// stream produces more or fewer bytes: a decompression bomb is a corrupt block, not an
/// out-of-memory.
enum Zlib {
    /// Compresses `input` at `level` (1 fastest … 9 smallest) into one zlib stream.
    ///
    /// Like `compress2`, but with zlib's memory level sized to the input: a stream clears its
    /// hash table (64 KB at the default level 8) before compressing, which for the typical
    /// block of about 1.3 KB cost over a quarter as much as compressing it. The level chosen keeps
    /// zlib's symbol buffer at least as large as the input (and the default from 16 KB), so a
    /// block is cut into deflate blocks as at the default; only the hash table is smaller.
    static func compress<C: ContiguousCollectionOrSlice>(_ input: C, level: Int32 = 6) -> [UInt8] {
        input.withContiguousBytes { raw in
            var stream = z_stream()
            var status = deflateInit2_(
                &stream, level, Z_DEFLATED, MAX_WBITS, memoryLevel(forInputBytes: raw.count), Z_DEFAULT_STRATEGY,
                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            precondition(status == Z_OK, "deflateInit2 failed with \(status)")
            defer { deflateEnd(&stream) }
            var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(raw.count))))
            let written = output.withUnsafeMutableBufferPointer { out -> Int in
                // zlib does not write through next_in; its C type is only not const.
                stream.next_in = UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(raw.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                status = deflate(&stream, Z_FINISH)
                return out.count - Int(stream.avail_out)
            }
            precondition(status == Z_STREAM_END, "deflate failed with \(status)")
            output.removeSubrange(written...)
            return output
        }
    }

    /// The smallest memory level (1…8) whose symbol buffer, 2^(level + 6) symbols, holds
    /// `count` bytes, at most zlib's default 8.
    static func memoryLevel(forInputBytes count: Int) -> Int32 {
        var level: Int32 = 1
        while level < 8 && (1 << (level + 6)) < count { level += 1 }
        return level
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
