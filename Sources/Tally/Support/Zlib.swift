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
    static func compress<C: ContiguousCollectionOrSlice>(
        _ input: C, level: Int32 = 6, strategy: Strategy = .default
    ) -> [UInt8] {
        input.withContiguousBytes { raw in
            var stream = z_stream()
            var status = deflateInit2_(
                &stream, level, Z_DEFLATED, MAX_WBITS, memoryLevel(forInputBytes: raw.count), strategy.zlibValue,
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

    /// How deflate looks for repeats. Either way the output is an ordinary zlib stream.
    enum Strategy {
        /// Matches at any distance within the window (zlib's default).
        case `default`
        /// Matches at distance 1 only: runs of a repeated byte, then Huffman coding. For columns
        /// whose bytes repeat in runs but not as longer strings it is as small and faster.
        case runs
        /// Short matches are given up for literals (zlib's Z_FILTERED), for data of many small
        /// numbers; at levels 4–9 only.
        case filtered

        var zlibValue: Int32 {
            switch self {
            case .default: Z_DEFAULT_STRATEGY
            case .runs: Z_RLE
            case .filtered: Z_FILTERED
            }
        }
    }

    /// A level (1 fastest … 9 smallest) and a strategy.
    struct Settings: Equatable {
        var level: Int32 = 6
        var strategy: Strategy = .default
    }

    /// The smallest memory level (1…8) whose symbol buffer, 2^(level + 6) symbols, holds
    /// `count` bytes, at most zlib's default 8.
    static func memoryLevel(forInputBytes count: Int) -> Int32 {
        var level: Int32 = 1
        while level < 8 && (1 << (level + 6)) < count { level += 1 }
        return level
    }

    /// Decompresses the zlib stream `input`, which must inflate to exactly `expectedSize` bytes
    /// and end exactly where `input` does; `nil` otherwise.
    ///
    /// The stream's Adler-32 trailer is not recomputed: every caller reads blocks whose CRC-32
    /// already covers these bytes (format-spec.md, B1), and the checksum was about a sixth of
    /// inflating a footer. The two-byte header is checked (deflate, no preset dictionary), the
    /// deflate data inflated raw, and exactly the four trailer bytes must follow it. The output
    /// is not zeroed first; one spare byte detects streams that would inflate further.
    static func decompress<C: ContiguousCollectionOrSlice>(_ input: C, expectedSize: Int) -> [UInt8]? {
        guard expectedSize >= 0 else { return nil }
        return input.withContiguousBytes { raw -> [UInt8]? in
            let headerSize = 2, trailerSize = 4
            guard raw.count > headerSize + trailerSize, isStreamHeader(raw[0], raw[1]),
                  let base = raw.baseAddress?.assumingMemoryBound(to: Bytef.self)
            else { return nil }
            var stream = z_stream()
            guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                return nil
            }
            defer { inflateEnd(&stream) }
            var status = Z_OK
            let output = [UInt8](unsafeUninitializedCapacity: expectedSize + 1) { buffer, initialized in
                // zlib does not write through next_in; its C type is only not const.
                stream.next_in = UnsafeMutablePointer(mutating: base + headerSize)
                stream.avail_in = uInt(raw.count - headerSize - trailerSize)
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                status = inflate(&stream, Z_FINISH)
                initialized = buffer.count - Int(stream.avail_out)
            }
            // Anything but the stream's end is refused: Z_BUF_ERROR when it would inflate past
            // expectedSize + 1 bytes or is cut short, Z_DATA_ERROR when it is damaged.
            guard status == Z_STREAM_END, output.count == expectedSize, stream.avail_in == 0 else { return nil }
            return output
        }
    }

    /// RFC 1950's header: method 8 (deflate) with a window of at most 32 KiB, the check bits
    /// right, and no preset dictionary (no block is compressed with one).
    static func isStreamHeader(_ cmf: UInt8, _ flg: UInt8) -> Bool {
        cmf & 0x0F == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 && flg & 0x20 == 0
    }
}
