/// The write-ahead log file, `<database>-wal` (format-spec.md, "Write-ahead log").
///
/// A 32-byte file header, then frames, each starting at a multiple of 8:
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 4 | payloadLength, u32 LE |
/// | 4 | 1 | type (``WALRecordType``) |
/// | 5 | 3 | reserved, zero |
/// | 8 | 8 | syncedOffset, u64 LE: the log length known durable when this frame was written |
/// | 16 | 4 | crc: CRC-32 of the salt (8 bytes LE), frame bytes 0..<16, then the payload |
/// | 20 | 4 | reserved, zero |
/// | 24 | payloadLength | payload |
/// | … | 0–7 | zero padding to a multiple of 8 |
enum WALFormat {
    static let magic: [UInt8] = Array("TALLYWAL".utf8)
    static let version: UInt32 = 1
    static let fileHeaderSize = 32
    static let frameHeaderSize = 24
    static let alignment = 8
    /// No record is larger; a frame claiming more is invalid.
    static let maxPayloadLength = 512 << 20

    static func path(forDatabase path: String) -> String { path + "-wal" }

    static func paddedLength(payload: Int) -> Int {
        let raw = frameHeaderSize + payload
        return (raw + alignment - 1) / alignment * alignment
    }

    /// | 0 | 8 magic | 8 | 4 version | 12 | 4 reserved | 16 | 8 salt | 24 | 4 CRC-32 of bytes 0..<24 | 28 | 4 reserved |
    static func encodeFileHeader(salt: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: fileHeaderSize)
        writer.writeBytes(magic)
        writer.writeUInt32(version)
        writer.writeUInt32(0)
        writer.writeUInt64(salt)
        writer.writeUInt32(CRC32.checksum(writer.bytes))
        writer.writeUInt32(0)
        return writer.bytes
    }

    /// The salt of a valid file header, or `nil` for a short, torn or foreign header.
    static func decodeFileHeader(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count >= fileHeaderSize, Array(bytes[0..<8]) == magic else { return nil }
        let reader = ByteReader(bytes)
        guard reader.getUInt32(at: 8) == version,
              reader.getUInt32(at: 24) == CRC32.checksum(bytes[0..<24])
        else { return nil }
        var fields = ByteReader(bytes, from: 16)
        return fields.readUInt64()
    }

    static func encodeFrame(
        type: WALRecordType, payload: [UInt8], salt: UInt64, syncedOffset: UInt64
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: paddedLength(payload: payload.count))
        writer.writeUInt32(UInt32(payload.count))
        writer.writeUInt8(type.rawValue)
        writer.writeBytes([0, 0, 0])
        writer.writeUInt64(syncedOffset)
        writer.writeUInt32(frameChecksum(header: writer.bytes[0..<16], payload: payload[...], salt: salt))
        writer.writeUInt32(0)
        writer.writeBytes(payload)
        writer.pad(to: paddedLength(payload: payload.count))
        return writer.bytes
    }

    static func frameChecksum(header: ArraySlice<UInt8>, payload: ArraySlice<UInt8>, salt: UInt64) -> UInt32 {
        var saltBytes = ByteWriter(capacity: 8)
        saltBytes.writeUInt64(salt)
        var crc = CRC32.update(0, saltBytes.bytes)
        crc = CRC32.update(crc, header)
        return CRC32.update(crc, payload)
    }
}

enum WALRecordType: UInt8 {
    /// A batch of events (``BatchRecord``).
    case batch = 1
}
