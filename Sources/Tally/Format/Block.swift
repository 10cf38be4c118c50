#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A checksummed, optionally compressed run of bytes: the unit of storage for segment columns,
/// segment footers and catalogs (format-spec.md, "Blocks").
///
/// Layout: a 16-byte header, then `storedLength` bytes.
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 4 | storedLength, u32 LE |
/// | 4 | 4 | rawLength, u32 LE (length after decompression) |
/// | 8 | 4 | crc: CRC-32 of header bytes 0..<8 and 12..<16, then the stored bytes |
/// | 12 | 1 | codec: 0 = stored as is, 1 = zlib |
/// | 13 | 1 | kind (``BlockKind``) |
/// | 14 | 2 | reserved, zero |
enum Block {
    static let headerSize = 16
    /// No block inflates beyond this; larger claims are corruption, rejected before allocating.
    static let maxRawLength = 256 << 20
    /// deflate emits at least 2 bits per 258 output bytes, so no zlib stream inflates more.
    static let maxCompressionRatio = 1032

    enum Codec: UInt8 {
        case raw = 0
        case zlib = 1
    }

    /// Frames `raw`, deflated as its kind says (``BlockKind/deflate``) when that saves space.
    static func encode(_ raw: [UInt8], kind: BlockKind) -> [UInt8] {
        precondition(raw.count <= maxRawLength, "block too large")
        var stored = raw
        var codec = Codec.raw
        if raw.count > 64, let deflate = kind.deflate {
            let compressed = Zlib.compress(raw, level: deflate.level, strategy: deflate.strategy)
            if compressed.count < raw.count {
                stored = compressed
                codec = .zlib
            }
        }
        var writer = ByteWriter(capacity: headerSize + stored.count)
        writer.writeUInt32(UInt32(stored.count))
        writer.writeUInt32(UInt32(raw.count))
        writer.writeUInt32(0)  // crc, set below
        writer.writeUInt8(codec.rawValue)
        writer.writeUInt8(kind.rawValue)
        writer.writeUInt16(0)
        writer.writeBytes(stored)
        writer.setUInt32(checksum(writer.bytes), at: 8)
        return writer.bytes
    }

    /// Frames each block as ``encode(_:kind:)`` does, compressing them on up to one
    /// thread per processor; the result is in the order of `raws` and the same on any number of
    /// threads.
    static func encodeAll(_ raws: [(raw: [UInt8], kind: BlockKind)]) -> [[UInt8]] {
        let lanes = min(raws.count, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard lanes > 1 else { return raws.map { encode($0.raw, kind: $0.kind) } }
        let framed = Locked([[UInt8]](repeating: [], count: raws.count))
        // Lane `l` frames blocks l, l + lanes, …, and stores them when it is done.
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            let indices = stride(from: lane, to: raws.count, by: lanes)
            let blocks = indices.map { encode(raws[$0].raw, kind: raws[$0].kind) }
            framed.withLock { framed in
                for (index, block) in zip(indices, blocks) { framed[index] = block }
            }
        }
        return framed.withLock { $0 }
    }

    private static func checksum(_ framed: [UInt8]) -> UInt32 {
        let crc = CRC32.update(0, framed[0..<8])
        return CRC32.update(crc, framed[12...])
    }

    /// The stored length a block's header announces, for callers that read the header first.
    static func totalLength(header: [UInt8]) -> Int? {
        guard header.count >= headerSize else { return nil }
        let reader = ByteReader(header)
        return reader.getUInt32(at: 0).map { headerSize + Int($0) }
    }

    /// Checks and unpacks a framed block held in `framed` (exactly one block).
    /// - Parameters:
    ///   - expectedKind: the kind the caller is reading; another kind is corruption.
    ///   - path/offset: where the block lives, for the error.
    static func decode(
        _ framed: [UInt8], expectedKind: BlockKind, path: String, offset: UInt64
    ) throws -> [UInt8] {
        var reader = ByteReader(framed)
        guard let storedLength = reader.readUInt32(), let rawLength = reader.readUInt32(),
              let crc = reader.readUInt32(), let codecByte = reader.readUInt8(),
              let kindByte = reader.readUInt8(), let reserved = reader.readUInt16()
        else { throw TallyError.corruption("block header is truncated", path: path, offset: offset) }
        guard Int(storedLength) == framed.count - headerSize else {
            throw TallyError.corruption("block length does not match its extent", path: path, offset: offset)
        }
        guard checksum(framed) == crc else {
            throw TallyError.corruption("block checksum mismatch", path: path, offset: offset)
        }
        guard reserved == 0, let codec = Codec(rawValue: codecByte), kindByte == expectedKind.rawValue,
              Int(rawLength) <= maxRawLength
        else {
            throw TallyError.corruption(
                "block header is invalid (kind \(kindByte), codec \(codecByte))", path: path, offset: offset)
        }
        let stored = framed[headerSize...]
        // A zlib stream inflates at most 1032 times (deflate's limit): a larger claim is a bomb
        // or damage, refused before the output is allocated.
        guard codec == .raw || Int(rawLength) <= stored.count * maxCompressionRatio + 64 else {
            throw TallyError.corruption("block claims an impossible compression ratio", path: path, offset: offset)
        }
        switch codec {
        case .raw:
            guard stored.count == Int(rawLength) else {
                throw TallyError.corruption("raw block length mismatch", path: path, offset: offset)
            }
            return Array(stored)
        case .zlib:
            guard let raw = Zlib.decompress(stored, expectedSize: Int(rawLength)) else {
                throw TallyError.corruption("block does not decompress", path: path, offset: offset)
            }
            return raw
        }
    }
}

/// What a block holds. A reader checks that the kind matches what it expects.
enum BlockKind: UInt8 {
    case catalog = 1
    case segmentFooter = 2
    case dictionary = 3
    case series = 4
    case seriesRuns = 5
    case buckets = 6
    case counts = 7
    case valueCounts = 8
    case sums = 9
    case minimums = 10
    case maximums = 11
    case sketches = 12
    case experimentState = 13
    case metricTotals = 14
    case sketchEntries = 15
}

extension BlockKind {
    /// How the writer deflates blocks of this kind; nil: it stores them as they are. Readers
    /// need not know (any zlib stream inflates alike; format-spec B1).
    ///
    /// Measured on the 10 M reference database's blocks (`Benchmarks/block_codecs.py`;
    /// BENCHMARKS.md, session 10), against level 6 with the default strategy:
    /// - Run counts and event counts repeat bytes in runs, not strings: run-length deflate stores
    ///   them in 8% and 7% fewer bytes, in about 40% less time.
    /// - Sketch columns and experiment state at level 5, filtered: sketch columns 0.3% larger
    ///   in about 25% less time, experiment state 1% smaller in about 30% less time (the
    ///   costliest blocks to deflate).
    /// - Sketch entry tables are Rice codes, which deflate never made smaller: no attempt.
    /// - Footers are stored as they are: every cold query reads every footer it touches, and
    ///   inflating them was about 40% of a cold totals query's instructions, for 0.036 bytes
    ///   per event (784 KB raw against 421 KB deflated over 60 footers).
    var deflate: Zlib.Settings? {
        switch self {
        case .segmentFooter, .sketchEntries: nil
        case .seriesRuns, .counts: Zlib.Settings(strategy: .runs)
        case .sketches, .experimentState: Zlib.Settings(level: 5, strategy: .filtered)
        default: Zlib.Settings()
        }
    }
}
