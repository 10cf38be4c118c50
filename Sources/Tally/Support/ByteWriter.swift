/// Appends little-endian binary fields to a growing byte array.
///
/// Naming follows swift-nio: `write…` appends, `set…` overwrites at an index. Every multi-byte
/// integer is little-endian; varints are unsigned LEB128 (7 bits a byte, low bits first).
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    mutating func writeUInt16(_ value: UInt16) { writeLittleEndian(value) }
    mutating func writeUInt32(_ value: UInt32) { writeLittleEndian(value) }
    mutating func writeUInt64(_ value: UInt64) { writeLittleEndian(value) }
    mutating func writeInt64(_ value: Int64) { writeLittleEndian(UInt64(bitPattern: value)) }
    mutating func writeDouble(_ value: Double) { writeLittleEndian(value.bitPattern) }

    @inline(__always)
    private mutating func writeLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Zig-zag encodes a signed value, then writes it as a varint.
    mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// A varint byte length, then the UTF-8 bytes.
    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func setUInt32(_ value: UInt32, at index: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[index + i] = raw[i] }
        }
    }

    mutating func setUInt64(_ value: UInt64, at index: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<8 { bytes[index + i] = raw[i] }
        }
    }

    /// Appends zero bytes up to `length`. The caller guarantees `count <= length`.
    mutating func pad(to length: Int) {
        if bytes.count < length { bytes.append(contentsOf: repeatElement(0, count: length - bytes.count)) }
    }
}
