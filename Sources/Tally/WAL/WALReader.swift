/// Reads a write-ahead log and decides where its valid records end (format-spec.md, rules W1–W5).
///
/// Recovery rules, as the spec numbers them:
/// - W1. A log whose file header is missing, short or invalid holds no records.
/// - W2. A log whose salt differs from the superblock's `walSalt` is already reflected in the
///   database file (or is garbage); it is ignored and deleted by a writer.
/// - W3. Frames are read in order from offset 32; a frame is valid when its length fits in the
///   file and under the cap, its type is known, its reserved bytes are zero and its CRC matches.
/// - W4. At the first invalid frame at offset X, the reader looks for a valid frame after X whose
///   `syncedOffset` is greater than X. If there is one, bytes at X had been durable and are now
///   damaged: corruption in the middle of the log ("refuse to open, unless salvaging").
///   Otherwise X begins a torn or unsynced tail, and the log's valid end is X.
/// - W4a. If no later frame vouches for X but the frame at X is complete (its padded length fits
///   in the file) and one flipped bit away from valid, it is damage, not a torn write (which
///   loses whole sectors): corruption at X, as in W4.
/// - W5. Salvage keeps the records before X and discards the rest.
/// - W1a. A log whose file header is invalid but which holds frames valid under the superblock's
///   salt had a durable header (the header is synced before the first frame): its header is
///   damaged, and opening fails unless salvaging, which keeps those frames.
struct WALScan {
    struct Record {
        var type: WALRecordType
        var payload: [UInt8]
        /// Offset of the frame in the log.
        var offset: UInt64
    }

    enum Ending: Equatable {
        /// Every byte belongs to a valid frame.
        case clean
        /// Bytes from `offset` on are a torn or unsynced tail (rule W4).
        case tornTail(offset: UInt64)
        /// A frame at `offset` is damaged, not torn: a later durable frame vouches for it (W4),
        /// or it is complete and one bit away from valid (W4a).
        case corruptMiddle(offset: UInt64)
    }

    var salt: UInt64?
    /// The file header is invalid, yet frames valid under the expected salt follow it (W1a);
    /// `salt` is then the expected salt and the records are those frames.
    var headerDamaged = false
    var records: [Record] = []
    /// Where the valid records end: the length to which a writer truncates the log.
    var validEnd: UInt64
    var ending: Ending
}

enum WALReader {
    /// Reads the whole log at `file`. The caller compares ``WALScan/salt`` with the superblock.
    /// - Parameter expectedSalt: the superblock's `walSalt`; when given, a log with a damaged
    ///   header is scanned with it to tell a damaged header from a torn one (W1a).
    static func scan(_ file: any FileHandle, expectedSalt: UInt64? = nil) throws -> WALScan {
        let size = try file.size()
        let headerBytes = try file.read(at: 0, count: WALFormat.fileHeaderSize)
        let salt = WALFormat.decodeFileHeader(headerBytes)
        let noRecords = WALScan(salt: nil, validEnd: 0, ending: size == 0 ? .clean : .tornTail(offset: 0))
        guard salt != nil || (expectedSalt != nil && size > UInt64(WALFormat.fileHeaderSize)) else { return noRecords }
        // The log is read whole: it is bounded by the WAL budget, and replay needs every record.
        guard size <= UInt64(Int.max / 2) else {
            throw TallyError.corruption("log is implausibly large", path: file.path, offset: 0)
        }
        let bytes = try file.read(at: 0, count: Int(size))
        if let salt { return scanFrames(bytes, salt: salt) }
        var damaged = scanFrames(bytes, salt: expectedSalt!)
        if case .corruptMiddle = damaged.ending {} else if damaged.records.isEmpty { return noRecords }
        damaged.headerDamaged = true
        return damaged
    }

    private static func scanFrames(_ bytes: [UInt8], salt: UInt64) -> WALScan {
        var scan = WALScan(salt: salt, validEnd: UInt64(WALFormat.fileHeaderSize), ending: .clean)
        var position = WALFormat.fileHeaderSize
        while position < bytes.count {
            guard let frame = frame(in: bytes, at: position, salt: salt) else {
                let damaged = hasLaterDurableFrame(in: bytes, after: position, salt: salt)
                    || isSingleBitDamage(in: bytes, at: position, salt: salt)
                scan.ending = damaged ? .corruptMiddle(offset: UInt64(position)) : .tornTail(offset: UInt64(position))
                return scan
            }
            scan.records.append(
                WALScan.Record(type: frame.type, payload: Array(frame.payload), offset: UInt64(position)))
            position += WALFormat.paddedLength(payload: frame.payload.count)
            scan.validEnd = UInt64(position)
        }
        return scan
    }

    struct Frame {
        var type: WALRecordType
        var syncedOffset: UInt64
        var payload: ArraySlice<UInt8>
    }

    /// The frame at `position` if it is valid (rule W3), else `nil`.
    static func frame(in bytes: [UInt8], at position: Int, salt: UInt64) -> Frame? {
        guard bytes.count - position >= WALFormat.frameHeaderSize else { return nil }
        var reader = ByteReader(bytes, from: position)
        let length = Int(reader.readUInt32()!)
        let typeByte = reader.readUInt8()!
        let reserved = [reader.readUInt8()!, reader.readUInt8()!, reader.readUInt8()!]
        let syncedOffset = reader.readUInt64()!
        let crc = reader.readUInt32()!
        let reserved2 = reader.readUInt32()!
        let payloadStart = position + WALFormat.frameHeaderSize
        // A complete frame includes its padding: the writer writes the padded frame at once.
        guard length <= WALFormat.maxPayloadLength,
              WALFormat.paddedLength(payload: length) <= bytes.count - position,
              let type = WALRecordType(rawValue: typeByte), reserved == [0, 0, 0], reserved2 == 0
        else { return nil }
        let payload = bytes[payloadStart..<payloadStart + length]
        guard WALFormat.frameChecksum(header: bytes[position..<position + 16], payload: payload, salt: salt) == crc
        else { return nil }
        return Frame(type: type, syncedOffset: syncedOffset, payload: payload)
    }

    /// Frames larger than this are not examined by rule W4a (the check takes 8 steps a byte).
    static let singleBitCheckLimit = 16 << 20

    /// Rule W4a: whether the invalid frame at `position` is complete and becomes valid by
    /// flipping one bit: of its header fields outside the checksum's reach (length, type,
    /// reserved bytes), checked by trying each, or of the bytes the checksum covers.
    static func isSingleBitDamage(in bytes: [UInt8], at position: Int, salt: UInt64) -> Bool {
        guard bytes.count - position >= WALFormat.frameHeaderSize else { return false }
        var tail = Array(bytes[position...])
        for byte in [0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23] {
            for bit in 0..<8 {
                tail[byte] ^= 1 << bit
                defer { tail[byte] ^= 1 << bit }
                let length = Int(ByteReader(tail).getUInt32(at: 0)!)
                if length <= singleBitCheckLimit, frame(in: tail, at: 0, salt: salt) != nil { return true }
            }
        }
        // The header is as written; only a checksum mismatch remains possible.
        var reader = ByteReader(tail)
        let length = Int(reader.readUInt32()!)
        let typeAndReserved = reader.readUInt32()!
        _ = reader.readUInt64()
        let stored = reader.readUInt32()!
        guard length <= singleBitCheckLimit, WALFormat.paddedLength(payload: length) <= tail.count,
              WALRecordType(rawValue: UInt8(typeAndReserved & 0xFF)) != nil, typeAndReserved >> 8 == 0,
              reader.readUInt32() == 0
        else { return false }
        let computed = WALFormat.frameChecksum(
            header: tail[0..<16], payload: tail[WALFormat.frameHeaderSize..<WALFormat.frameHeaderSize + length], salt: salt)
        // Bits of the salt (the first 8 bytes the checksum covers) are not stored in the frame.
        return CRC32.differsBySingleBit(computed: computed, stored: stored, length: 8 + 16 + length, fromBit: 64)
    }

    /// Whether some valid frame after `position` was written when `position` was already durable.
    private static func hasLaterDurableFrame(in bytes: [UInt8], after position: Int, salt: UInt64) -> Bool {
        var candidate = position + WALFormat.alignment
        while candidate + WALFormat.frameHeaderSize <= bytes.count {
            if let frame = frame(in: bytes, at: candidate, salt: salt), frame.syncedOffset > UInt64(position) {
                return true
            }
            candidate += WALFormat.alignment
        }
        return false
    }
}
