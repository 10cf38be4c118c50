#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Consumes little-endian binary fields from a byte array, never trusting it.
///
/// Every `read…` returns `nil` when the bytes run out or a field is malformed (an over-long
/// varint, a string longer than what remains or than its cap, invalid UTF-8); the caller decides
/// that this is corruption and reports it with ``position``. `get…` peeks without consuming.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    mutating func readUInt8() -> UInt8? {
        guard position < end else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    @inline(__always) mutating func readUInt16() -> UInt16? { readLittleEndian() }
    @inline(__always) mutating func readUInt32() -> UInt32? { readLittleEndian() }
    @inline(__always) mutating func readUInt64() -> UInt64? { readLittleEndian() }
    @inline(__always) mutating func readInt64() -> Int64? { readUInt64().map { Int64(bitPattern: $0) } }
    @inline(__always) mutating func readDouble() -> Double? { readUInt64().map { Double(bitPattern: $0) } }

    func getUInt32(at index: Int) -> UInt32? {
        var copy = self
        guard index >= 0, index <= end else { return nil }
        copy.position = index
        return copy.readUInt32()
    }

    @inline(__always)
    private mutating func readLittleEndian<T: FixedWidthInteger>() -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        // One unaligned load: assembling the bytes one by one was about a sixth of decoding a
        // segment footer (callgrind of a cold q1).
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: value)
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    @inline(__always)
    mutating func readVarint() -> UInt64? {
        // Most varints of a footer or column are one byte.
        if position < end, case let first = bytes[position], first < 0x80 {
            position += 1
            return UInt64(first)
        }
        return readLongVarint()
    }

    /// Steps over `count` varints, only finding where each ends; false if the bytes end first.
    mutating func skipVarints(_ count: Int) -> Bool {
        var left = count
        var at = position
        let found = bytes.withUnsafeBufferPointer { buffer -> Bool in
            while left > 0 {
                guard at < end else { return false }
                if buffer[at] < 0x80 { left -= 1 }
                at += 1
            }
            return true
        }
        if found { position = at }
        return found
    }

    private mutating func readLongVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    mutating func readSignedVarint() -> Int64? {
        guard let raw = readVarint() else { return nil }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a varint that must not exceed `cap`; use it for every count and length.
    /// A negative `cap` accepts nothing.
    @inline(__always)
    mutating func readCount(max cap: Int) -> Int? {
        guard cap >= 0, let value = readVarint(), value <= UInt64(cap) else { return nil }
        return Int(value)
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// Reads a varint length (at most `maxLength`) and that many bytes of valid UTF-8.
    mutating func readString(maxLength: Int) -> String? {
        guard let length = readCount(max: maxLength), let slice = readBytes(length) else { return nil }
        return slice.withUnsafeBufferPointer { bytes in
            // `String(decoding:)` takes the standard library's specialized UTF-8 path (here
            // `String(validating:)` does not). It repairs invalid input, so a string whose bytes
            // differ from the input's was not valid UTF-8.
            var string = String(decoding: bytes, as: UTF8.self)
            let unchanged = string.withUTF8 { utf8 in
                utf8.count == bytes.count && (bytes.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
            }
            return unchanged ? string : nil
        }
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }
}
