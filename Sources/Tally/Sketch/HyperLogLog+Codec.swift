/// The serialized sketch (format-spec.md, "Distinct-count sketch"):
///
///     sparse: 0x01, varint count, count × varint delta   (entries ascending, first delta from 0)
///     dense:  0x02, 16384 register bytes
///
/// Varints are minimal unsigned LEB128 of at most 5 bytes holding a 32-bit value. The encoding is
/// canonical: a sketch has exactly one, and every byte string that `deserialize` accepts is the
/// serialization of the sketch it returns.
extension HyperLogLog {
    static let sparseKind: UInt8 = 1
    static let denseKind: UInt8 = 2

    /// Appends the serialization of this sketch, its buffer merged, to `buffer`.
    func serialize(into buffer: inout [UInt8]) {
        let sketch = normalized()
        if !sketch.registers.isEmpty {
            buffer.append(Self.denseKind)
            buffer.append(contentsOf: sketch.registers)
            return
        }
        buffer.append(Self.sparseKind)
        Self.appendVarint(UInt32(sketch.sortedCount), to: &buffer)
        var previous: UInt32 = 0
        sketch.sparseKeys.withUnsafeBufferPointer { keys in
            Self.mergeByParity(keys, mapEven: SparseKey.entry(of:)) { entry in
                Self.appendVarint(entry &- previous, to: &buffer)
                previous = entry
            }
        }
    }

    /// The sketch that `bytes` (exactly, no more) serializes, or nil when they are not a valid
    /// serialization (the rules are at `visit`). Never traps on hostile input, and allocates at
    /// most the format's caps (``sparseEntryLimit`` entries or ``registerCount`` registers).
    static func deserialize(_ bytes: UnsafeRawBufferPointer) -> HyperLogLog? {
        var sketch = HyperLogLog()
        var entries: [UInt32] = []
        let valid = visit(
            bytes, sparseCount: { entries.reserveCapacity($0) }, sparseEntry: { entries.append($0) },
            dense: { sketch.registers = Array($0) })
        guard valid else { return nil }
        guard sketch.registers.isEmpty else { return sketch }
        sketch.sparseKeys.reserveCapacity(entries.count)
        entries.withUnsafeBufferPointer { entries in
            mergeByParity(entries, mapEven: SparseKey.key(ofEntry:)) { sketch.sparseKeys.append($0) }
        }
        sketch.sortedCount = sketch.sparseKeys.count
        return sketch
    }

    /// Merges the sketch that `bytes` serialize into this one, as `merge(deserialize(bytes)!)`
    /// would, without building that sketch: a sparse body costs what inserting its entries costs.
    /// Returns false when `bytes` are not a valid serialization; this sketch may then hold part
    /// of them.
    mutating func merge(serialized bytes: UnsafeRawBufferPointer) -> Bool {
        Self.visit(
            bytes, sparseCount: { _ in }, sparseEntry: { insert(sparseKey: SparseKey.key(ofEntry: $0)) },
            dense: { mergeRegisters($0) })
    }

    /// Checks `bytes` against the rules below and reports the body: a sparse one by its count,
    /// then each entry in serialized order; a dense one as its ``registerCount`` register bytes.
    /// Returns false, possibly after some calls, at the first rule broken.
    ///
    /// A sparse body is valid when: its count is at most ``sparseEntryLimit``; every delta is
    /// positive and the running sum stays below 2^32; every entry is a valid encoding (see
    /// ``SparseKey/isValidEntry(_:)``); no two flagged entries share an idx′; no bytes follow.
    /// A dense body is exactly ``registerCount`` bytes, each at most ``maxRegisterValue``.
    @inline(__always)
    private static func visit(
        _ bytes: UnsafeRawBufferPointer, sparseCount: (Int) -> Void, sparseEntry: (UInt32) -> Void,
        dense: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        guard let kind = bytes.first else { return false }
        let body = UnsafeRawBufferPointer(rebasing: bytes[1...])
        switch kind {
        case sparseKind:
            return visitSparse(body, count: sparseCount, entry: sparseEntry)
        case denseKind:
            guard body.count == registerCount else { return false }
            for register in body where register > maxRegisterValue { return false }
            dense(body)
            return true
        default:
            return false
        }
    }

    @inline(__always)
    private static func visitSparse(
        _ body: UnsafeRawBufferPointer, count: (Int) -> Void, entry: (UInt32) -> Void
    ) -> Bool {
        var reader = VarintReader(bytes: body)
        // Each entry takes at least one byte: check before the caller reserves.
        guard let entryCount = reader.read().map(Int.init), entryCount <= sparseEntryLimit,
              entryCount <= reader.remaining
        else { return false }
        count(entryCount)
        var previous: UInt64 = 0
        var lastFlaggedIndex: UInt32? = nil
        for _ in 0..<entryCount {
            guard let delta = reader.read(), delta > 0 else { return false }
            let value = previous + UInt64(delta)
            guard value <= UInt64(UInt32.max) else { return false }
            let current = UInt32(value)
            guard SparseKey.isValidEntry(current) else { return false }
            if current & 1 == 1 {
                // Flagged entries ascend by (idx′, rho′): a repeated idx′ follows at once.
                guard current >> 7 != lastFlaggedIndex else { return false }
                lastFlaggedIndex = current >> 7
            }
            entry(current)
            previous = value
        }
        return reader.isAtEnd
    }

    /// Visits `values` in ascending order of `v` for odd values and `mapEven(v)` for even ones,
    /// passing that mapped value, given that the odd values alone and the mapped even values
    /// alone already ascend. Converts between key order and entry order in linear time.
    private static func mergeByParity(
        _ values: UnsafeBufferPointer<UInt32>, mapEven: (UInt32) -> UInt32,
        _ body: (UInt32) -> Void
    ) {
        func next(from start: Int, parity: UInt32) -> Int {
            var index = start
            while index < values.count && values[index] & 1 != parity { index += 1 }
            return index
        }
        var odd = next(from: 0, parity: 1)
        var even = next(from: 0, parity: 0)
        while odd < values.count || even < values.count {
            if even == values.count || (odd < values.count && values[odd] < mapEven(values[even])) {
                body(values[odd])
                odd = next(from: odd + 1, parity: 1)
            } else {
                body(mapEven(values[even]))
                even = next(from: even + 1, parity: 0)
            }
        }
    }

    private static func appendVarint(_ value: UInt32, to buffer: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.append(UInt8(rest))
    }
}

/// Reads the sketch's varints: minimal unsigned LEB128, at most 5 bytes, value below 2^32.
private struct VarintReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }

    /// nil when the bytes run out, the value passes 32 bits, or the encoding is longer than needed.
    mutating func read() -> UInt32? {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            let payload = UInt32(byte & 0x7F)
            if shift == 28 && payload > 0x0F { return nil }
            value |= payload << shift
            if byte & 0x80 == 0 {
                // A zero last byte after others is an over-long encoding.
                return byte == 0 && shift > 0 ? nil : value
            }
            if shift == 28 { return nil }
            shift += 7
        }
        return nil
    }
}
