/// The first 4096 bytes of a database file: magic, format version and the stored options.
/// Written once when the database is created, never modified (format-spec.md, "File header").
struct FileHeader: Equatable {
    static let magic: [UInt8] = Array("TALLYDB\0".utf8)
    /// 2 since segment footers version 3 and experiment state blocks version 2 (session 4);
    /// a version 1 file holds blocks this build does not read, so it is refused up front.
    static let formatVersion: UInt32 = 3
    static let size = 4096
    /// Cap on each stored name (exposure metric, experiment and variant dimensions).
    static let maxNameBytes = 64

    var bucketMilliseconds: Int64
    var partitionMilliseconds: Int64
    var createdAt: Int64
    var dedupeWindowMilliseconds: Int64
    /// 0 means no automatic retention.
    var retentionMilliseconds: Int64
    var exposureMetric: String
    var experimentDimension: String
    var variantDimension: String

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: FileHeader.size)
        writer.writeBytes(FileHeader.magic)
        writer.writeUInt32(FileHeader.formatVersion)
        writer.writeUInt32(0)  // length of the encoded header, set below
        writer.writeInt64(bucketMilliseconds)
        writer.writeInt64(partitionMilliseconds)
        writer.writeInt64(createdAt)
        writer.writeInt64(dedupeWindowMilliseconds)
        writer.writeInt64(retentionMilliseconds)
        for name in [exposureMetric, experimentDimension, variantDimension] {
            writer.writeString(name)
        }
        writer.setUInt32(UInt32(writer.count + 4), at: 12)
        writer.writeUInt32(CRC32.checksum(writer.bytes))
        writer.pad(to: FileHeader.size)
        return writer.bytes
    }

    /// Parses and checks the header at the start of `bytes` (at least `size` bytes, or the file's
    /// whole length when shorter, which is then reported as truncated).
    static func decode(_ bytes: [UInt8], path: String) throws -> FileHeader {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw TallyError(.notFound, "not a Tally database (bad magic)", path: path, offset: 0)
        }
        var reader = ByteReader(bytes, from: 8)
        let version = reader.readUInt32()!
        guard version == formatVersion else {
            throw TallyError(
                .unsupportedVersion, "format version \(version) is not supported (this build reads \(formatVersion))",
                path: path, offset: 8)
        }
        let length = Int(reader.readUInt32()!)
        guard length >= 60, length <= size, length <= bytes.count else {
            throw TallyError.corruption("header length \(length) is invalid", path: path, offset: 12)
        }
        let storedCRC = ByteReader(bytes).getUInt32(at: length - 4)
        guard storedCRC == CRC32.checksum(bytes[0..<length - 4]) else {
            throw TallyError.corruption("header checksum mismatch", path: path, offset: UInt64(length - 4))
        }
        reader = ByteReader(bytes, from: 16, end: length - 4)
        guard let bucket = reader.readInt64(), let partition = reader.readInt64(),
              let created = reader.readInt64(), let dedupe = reader.readInt64(),
              let retention = reader.readInt64(),
              let exposure = reader.readString(maxLength: maxNameBytes),
              let experiment = reader.readString(maxLength: maxNameBytes),
              let variant = reader.readString(maxLength: maxNameBytes), reader.isAtEnd
        else { throw TallyError.corruption("header fields are malformed", path: path, offset: 16) }
        let header = FileHeader(
            bucketMilliseconds: bucket, partitionMilliseconds: partition, createdAt: created,
            dedupeWindowMilliseconds: dedupe, retentionMilliseconds: retention,
            exposureMetric: exposure, experimentDimension: experiment, variantDimension: variant)
        guard Granularity(milliseconds: bucket) != nil, Granularity(milliseconds: partition) != nil,
              partition >= bucket, partition % bucket == 0, dedupe >= 0, retention >= 0
        else { throw TallyError.corruption("header options are out of range", path: path, offset: 16) }
        return header
    }
}

/// One of the two superblock slots (format-spec.md, "Superblocks"). The valid copy with the
/// highest generation is the committed state; every byte past its `committedEnd` is ignored.
///
/// A slot holds the 64-byte superblock twice (bytes 0..<64 and 64..<128 of the slot), written
/// by one write: damage to one copy never rolls the database back to the older slot, while a
/// torn write of both leaves the older slot in charge, as before (rules S1, S2).
struct Superblock: Equatable {
    static let magic: [UInt8] = Array("TALLYSB\0".utf8)
    static let slotOffsets: [UInt64] = [4096, 4096 + 512]
    /// Bytes written to (and read from) a slot: two copies.
    static let encodedSize = 2 * copySize
    /// Bytes of one copy.
    static let copySize = 64
    /// Segments and catalogs start here.
    static let dataStart: UInt64 = 8192

    var generation: UInt64
    /// Length of the file that this state covers.
    var committedEnd: UInt64
    /// The framed catalog block.
    var catalogOffset: UInt64
    var catalogLength: UInt64
    /// The salt of the write-ahead log whose records are NOT yet in the file. A log file with
    /// another salt is entirely reflected in this state (or garbage) and is discarded.
    var walSalt: UInt64

    /// The slot a generation is written to.
    static func slot(for generation: UInt64) -> Int { Int(generation % 2) }

    /// The bytes of a slot: the superblock and its mirror copy.
    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: Superblock.copySize)
        writer.writeBytes(Superblock.magic)
        writer.writeUInt64(generation)
        writer.writeUInt64(committedEnd)
        writer.writeUInt64(catalogOffset)
        writer.writeUInt64(catalogLength)
        writer.writeUInt64(walSalt)
        writer.writeUInt64(0)  // reserved
        writer.writeUInt32(CRC32.checksum(writer.bytes))
        writer.writeUInt32(0)  // reserved
        return writer.bytes + writer.bytes
    }

    /// Decodes a slot: the valid copy with the higher generation, or `nil` when neither copy's
    /// magic and checksum match (a torn or never-written slot). Files written before the mirror
    /// copy existed have zeros there, which never decode.
    static func decode(_ bytes: [UInt8]) -> Superblock? {
        [0, copySize].compactMap { decodeCopy(bytes, at: $0) }.max { $0.generation < $1.generation }
    }

    private static func decodeCopy(_ bytes: [UInt8], at start: Int) -> Superblock? {
        guard bytes.count >= start + copySize, Array(bytes[start..<start + 8]) == magic,
              ByteReader(bytes).getUInt32(at: start + 56) == CRC32.checksum(bytes[start..<start + 56])
        else { return nil }
        var reader = ByteReader(bytes, from: start + 8)
        return Superblock(
            generation: reader.readUInt64()!, committedEnd: reader.readUInt64()!,
            catalogOffset: reader.readUInt64()!, catalogLength: reader.readUInt64()!,
            walSalt: reader.readUInt64()!)
    }

    /// Whether the fields describe a state inside a file of `size` bytes (rule S1).
    func isConsistent(fileSize size: UInt64) -> Bool {
        committedEnd >= Superblock.dataStart && committedEnd <= size && catalogOffset >= Superblock.dataStart
            && catalogOffset <= committedEnd && catalogLength >= UInt64(Block.headerSize)
            && catalogLength <= committedEnd - catalogOffset
    }
}
