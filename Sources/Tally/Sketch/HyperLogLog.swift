/// A HyperLogLog++ distinct-count sketch (Heule, Nunkesser, Hall, "HyperLogLog in Practice",
/// 2013) over 64-bit hashes; callers hash each unit's UTF-8 bytes with ``XXHash64`` (seed 0).
///
/// Which bits of a hash do what (bit 63 is the most significant):
/// - dense: register index = bits 63…50 (the top p = 14 bits); rho = 1 + the number of leading
///   zeros of bits 49…0, so 1…51 (51 when those 50 bits are all zero).
/// - sparse: idx′ = bits 63…39 (the top p′ = 25 bits); rho′ = 1 + the number of leading zeros
///   of bits 38…0, so 1…40. Its dense register is idx′ >> 11, and its dense rho follows from the
///   low 11 bits of idx′ and rho′ (see ``SparseKey``), so converting sparse to dense gives the
///   registers that inserting the same hashes densely gives.
///
/// Representations:
/// - sparse (every sketch starts so): one entry per distinct idx′ keeping the largest rho′,
///   plus a small unsorted buffer of recent inserts (the paper's tmp_set) merged in when it fills.
///   While it has a single entry, that entry is held inline (``inlineKey``) and nothing is
///   allocated: most rollup cells see one unit (83% of the cells of the reference stream). It
///   turns dense for good when it holds more than ``sparseEntryLimit`` entries.
/// - dense: ``registerCount`` one-byte registers.
///
/// Estimators: sparse uses linear counting over m′ = 2^25 slots (exact for small sets but for
/// idx′ collisions); dense uses Otmar Ertl's improved raw estimator (see `HyperLogLog+Estimate`).
/// Standard error when dense ≈ 1.04 / √16384 ≈ 0.81 %.
///
/// Equality is equality of the normalized forms (sorted keys or registers): the pending buffer
/// is invisible.
struct HyperLogLog: Sendable {
    /// p: the dense sketch has 2^p registers.
    static let precision = 14
    static let registerCount = 1 << precision
    /// The largest dense rho: 64 − p + 1.
    static let maxRegisterValue: UInt8 = 51
    /// p′: the sparse sketch distinguishes 2^p′ indices.
    static let sparsePrecision = 25
    static let sparseIndexCount = 1 << sparsePrecision
    /// The largest sparse rho′: 64 − p′ + 1.
    static let maxSparseRho: UInt32 = 40
    /// More sorted sparse entries than this and the sketch turns dense. 3072 four-byte entries
    /// plus a full buffer stay below the 16 KiB of the dense registers, and linear counting over
    /// 2^25 slots is still far more accurate than the dense estimator at that size.
    static let sparseEntryLimit = 3072
    /// The buffer is merged when it holds max(this, sorted entries / 4) keys: the merge's linear
    /// pass costs O(1) per insert amortized, and the buffer stays within a quarter of the list.
    static let minimumPendingLimit = 16

    /// Sparse with two or more entries only, else empty. `keyList[..<sortedCount]`:
    /// ``SparseKey``s strictly increasing, with distinct idx′. `keyList[sortedCount...]`: pending
    /// keys in arrival order, duplicates allowed. Internal so the extensions can reach them; read
    /// entries through ``withSortedKeys(_:)`` instead.
    var keyList: [UInt32] = []
    /// `sortedCount`'s storage, narrow so that ``inlineKey`` fits beside it.
    private var sortedListCount: UInt32 = 0
    /// Sparse with exactly one entry: that entry (`keyList` is then empty). 0 otherwise, which
    /// is never a valid ``SparseKey``.
    var inlineKey: UInt32 = 0
    /// Dense only, empty when sparse: ``registerCount`` registers, each 0…``maxRegisterValue``.
    var registers: [UInt8] = []

    /// An empty sparse sketch; it allocates nothing until its second entry.
    init() {}

    /// A sparse sketch of `keys`: ``SparseKey``s strictly increasing with distinct idx′, at
    /// most ``sparseEntryLimit`` of them (a segment's sparse row).
    init(sortedKeys keys: UnsafeBufferPointer<UInt32>) {
        if keys.count == 1 {
            inlineKey = keys[0]
        } else if keys.count > 1 {
            keyList = Array(keys)
            sortedCount = keys.count
        }
    }

    /// How many of `keyList`'s keys are sorted.
    var sortedCount: Int {
        @inline(__always) get { Int(sortedListCount) }
        @inline(__always) set { sortedListCount = UInt32(truncatingIfNeeded: newValue) }
    }

    /// Whether nothing was ever inserted (or merged) into the sketch.
    var isEmpty: Bool { registers.isEmpty && keyList.isEmpty && inlineKey == 0 }

    /// The sparse entries merged so far, in increasing order: the inline entry, or
    /// `keyList[..<sortedCount]`; empty when dense. All of them when ``normalized()``.
    @inline(__always)
    func withSortedKeys<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        if inlineKey != 0 {
            var key = inlineKey
            return try withUnsafePointer(to: &key) { try body(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        return try keyList.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<sortedCount])) }
    }

    /// The count of ``withSortedKeys(_:)``'s entries.
    var sortedEntryCount: Int { inlineKey != 0 ? 1 : sortedCount }

    /// The sparse entries of the normalized sketch, in increasing order (empty when dense).
    var sortedKeys: [UInt32] { normalized().withSortedKeys { Array($0) } }

    /// Adds one hashed unit. Dense: one register update. Sparse: see ``insert(sparseKey:)``.
    @inline(__always)
    mutating func insert(hash: UInt64) {
        if registers.isEmpty {
            insert(sparseKey: SparseKey.make(hash: hash))
        } else {
            let index = Int(truncatingIfNeeded: hash >> UInt64(64 - Self.precision))
            let rho = Self.denseRho(hash: hash)
            registers.withUnsafeMutableBufferPointer { registers in
                if registers[index] < rho { registers[index] = rho }
            }
        }
    }

    /// Adds the hashes that a ``SparseKey`` stands for, as inserting them would. Sparse: an
    /// append to the buffer, whose merge (sort, then one linear pass) runs every max(16, n/4)
    /// inserts for n entries; nothing is allocated but the sparse list's growth. Dense: one
    /// register update.
    @inline(__always)
    mutating func insert(sparseKey key: UInt32) {
        if registers.isEmpty {
            if keyList.isEmpty {
                if inlineKey == 0 || inlineKey >> 7 == key >> 7 {
                    inlineKey = max(inlineKey, key)
                    return
                }
                spillInlineKey()
            }
            if keyList.count == keyList.capacity { growSparseCapacity() }
            keyList.append(key)
            if keyList.count - sortedCount >= pendingLimit { flushPending() }
        } else {
            let (index, rho) = SparseKey.register(of: key)
            registers.withUnsafeMutableBufferPointer { registers in
                if registers[index] < rho { registers[index] = rho }
            }
        }
    }

    /// Adds what each of `keys` stands for, as inserting them one by one would; once dense (or
    /// when it turns dense on the way), the rest are register updates with one uniqueness check.
    mutating func insert(sparseKeys keys: UnsafeBufferPointer<UInt32>) {
        var next = keys.startIndex
        while next < keys.endIndex && registers.isEmpty {
            insert(sparseKey: keys[next])
            next += 1
        }
        guard next < keys.endIndex else { return }
        registers.withUnsafeMutableBufferPointer { registers in
            for key in keys[next...] {
                let (index, rho) = SparseKey.register(of: key)
                if registers[index] < rho { registers[index] = rho }
            }
        }
    }

    /// The rho of a dense register: 1 + the leading zeros of the low 50 bits, at most 51.
    @inline(__always)
    static func denseRho(hash: UInt64) -> UInt8 {
        // The sentinel bit 13 ends the count after 50 zeros.
        let tail = (hash << UInt64(precision)) | (1 << UInt64(precision - 1))
        return UInt8(truncatingIfNeeded: tail.leadingZeroBitCount + 1)
    }

    /// Adds every unit of `other`. The result is the sketch that inserting the union of both
    /// inputs' hashes would give: sparse while the union has at most ``sparseEntryLimit``
    /// distinct idx′ and both are sparse, else dense with each register the larger of the two.
    /// A sparse `other` costs what inserting its entries costs (amortized constant time each,
    /// whatever the size of this sketch).
    mutating func merge(_ other: HyperLogLog) {
        guard !other.registers.isEmpty else {
            if other.inlineKey != 0 {
                insert(sparseKey: other.inlineKey)
            } else {
                other.keyList.withUnsafeBufferPointer { insert(sparseKeys: $0) }
            }
            return
        }
        other.registers.withUnsafeBytes { mergeRegisters($0) }
    }

    /// Turns dense and raises each register to the larger of it and `theirs`' byte at its index.
    /// Requires: `theirs` holds ``registerCount`` registers.
    mutating func mergeRegisters(_ theirs: UnsafeRawBufferPointer) {
        precondition(theirs.count == Self.registerCount)
        convertToDense()
        registers.withUnsafeMutableBufferPointer { mine in
            for i in 0..<Self.registerCount { mine[i] = max(mine[i], theirs[i]) }
        }
    }

    /// Whether the sketch is (after merging its buffer) in the sparse representation.
    var isSparse: Bool {
        guard registers.isEmpty else { return false }
        // A merge that cannot pass the limit cannot turn the sketch dense.
        if keyList.count <= Self.sparseEntryLimit { return true }
        return normalized().registers.isEmpty
    }

    /// Bytes this value holds: the struct plus its arrays' allocations (header and capacity).
    /// A copy sharing storage counts that storage again; use it for budgeting, not accounting.
    var approximateByteSize: Int {
        let arrayHeader = 32
        var size = MemoryLayout<HyperLogLog>.size
        if keyList.capacity > 0 {
            size += arrayHeader + keyList.capacity * MemoryLayout<UInt32>.stride
        }
        if registers.capacity > 0 { size += arrayHeader + registers.capacity }
        return size
    }

    /// This sketch with its buffer merged (possibly dense); `self` when there is no buffer.
    func normalized() -> HyperLogLog {
        guard keyList.count != sortedCount else { return self }
        var copy = self
        copy.flushPending()
        return copy
    }
}

extension HyperLogLog: Equatable {
    static func == (lhs: HyperLogLog, rhs: HyperLogLog) -> Bool {
        let left = lhs.normalized()
        let right = rhs.normalized()
        return left.registers == right.registers
            && left.withSortedKeys { mine in right.withSortedKeys { theirs in mine.elementsEqual(theirs) } }
    }
}

extension Optional where Wrapped == HyperLogLog {
    /// Mutates the sketch in place, starting an empty one first when there is none (a cell
    /// with no units yet). Testing `== nil` before mutating through `!` copied the sketch (a
    /// retain and release of both arrays) on every call in the innermost loops of queries.
    @inline(__always)
    mutating func updateStarted<R>(_ body: (inout HyperLogLog) -> R) -> R {
        if case .none = self { self = HyperLogLog() }
        return body(&self!)
    }
}
