/// A batch of events in columnar form with its strings interned: what validation checks, what
/// the write-ahead log stores, and what the head folds in. Every distinct string of the batch
/// appears once in ``strings``; events refer to strings by index.
struct EventBatch: Equatable {
    static let noUnit = UInt32.max

    var strings: [String] = []
    var timestamps: [Int64] = []
    var metrics: [UInt32] = []
    /// ``noUnit`` when the event has no unit.
    var units: [UInt32] = []
    /// Valid where ``hasValue`` is true.
    var values: [Double] = []
    var hasValue: [Bool] = []
    /// Event `i`'s dimensions are `dimensionKeys[dimensionStart[i]..<dimensionStart[i+1]]` (and
    /// the same range of ``dimensionValues``). `dimensionStart.count == count + 1`.
    var dimensionStart: [Int] = [0]
    var dimensionKeys: [UInt32] = []
    var dimensionValues: [UInt32] = []

    var count: Int { timestamps.count }

    func dimensionRange(of event: Int) -> Range<Int> {
        dimensionStart[event]..<dimensionStart[event + 1]
    }
}

/// Builds an ``EventBatch``, interning strings as events are added.
struct EventBatchBuilder {
    private(set) var batch = EventBatch()
    private var interner = BatchInterner()

    init(capacity: Int = 0) {
        batch.timestamps.reserveCapacity(capacity)
        batch.metrics.reserveCapacity(capacity)
        batch.units.reserveCapacity(capacity)
        batch.values.reserveCapacity(capacity)
        batch.hasValue.reserveCapacity(capacity)
        batch.dimensionStart.reserveCapacity(capacity + 1)
    }

    var count: Int { batch.count }

    mutating func intern(_ string: String) -> UInt32 {
        var utf8 = string
        return utf8.withUTF8 { intern(bytes: UnsafeRawBufferPointer($0), make: { string }) }
    }

    /// Interns valid UTF-8 bytes without building a `String` when they were seen before.
    mutating func intern(bytes: UnsafeRawBufferPointer) -> UInt32 {
        intern(bytes: bytes, make: { String(decoding: bytes, as: UTF8.self) })
    }

    @inline(__always)
    private mutating func intern(bytes: UnsafeRawBufferPointer, make: () -> String) -> UInt32 {
        let (id, isNew) = interner.intern(bytes: bytes)
        if isNew { batch.strings.append(make()) }
        return id
    }

    /// Appends `event`, finding strings met before through `seen` (see ``StringIdentityTable``:
    /// every string it has seen must still be alive).
    mutating func append(_ event: Event, seen: inout StringIdentityTable) {
        func id(_ string: String) -> UInt32 { seen.id(of: string) { intern(string) } }
        let metric = id(event.metric)
        let unit = event.unit.map(id)
        for (key, value) in event.dimensions {
            batch.dimensionKeys.append(id(key))
            batch.dimensionValues.append(id(value))
        }
        appendFields(timestamp: event.timestamp, metric: metric, unit: unit, value: event.value)
    }

    /// Appends an event whose strings are already interned in this builder.
    mutating func append(
        timestamp: Int64, metric: UInt32, unit: UInt32?, value: Double?, dimensions: [(UInt32, UInt32)]
    ) {
        for (key, value) in dimensions {
            batch.dimensionKeys.append(key)
            batch.dimensionValues.append(value)
        }
        appendFields(timestamp: timestamp, metric: metric, unit: unit, value: value)
    }

    /// Ends an event whose dimensions were appended.
    private mutating func appendFields(timestamp: Int64, metric: UInt32, unit: UInt32?, value: Double?) {
        batch.timestamps.append(timestamp)
        batch.metrics.append(metric)
        batch.units.append(unit ?? EventBatch.noUnit)
        batch.values.append(value ?? 0)
        batch.hasValue.append(value != nil)
        batch.dimensionStart.append(batch.dimensionKeys.count)
    }

    static func build(_ events: [Event]) -> EventBatch {
        var builder = EventBatchBuilder(capacity: events.count)
        // `events` keeps every string alive while `seen` is in use.
        var seen = StringIdentityTable()
        for event in events { builder.append(event, seen: &seen) }
        return builder.batch
    }
}

/// String → id by the `String` value's own 16 bytes, in front of the interner: two strings with
/// the same bytes are the same small string (up to 15 UTF-8 bytes are stored inline) or share
/// one storage, so they are equal. A dictionary key shared by every event, a short dimension
/// value or unit is then found without reading or hashing its text. Strings with other bytes
/// may still be equal: the caller's slower path decides those.
///
/// Requires: every string looked up stays alive while the table is used (else its storage
/// could be reused by another string with the same bytes).
struct StringIdentityTable {
    /// A string's two words and its id + 1 (0: an empty slot), together in one cache line.
    private struct Slot {
        var low: UInt64
        var high: UInt64
        var idPlusOne: UInt32
    }

    private var slots = [Slot](repeating: Slot(low: 0, high: 0, idPlusOne: 0), count: 64)
    private var count = 0

    /// The id stored for `string`, else `make()`'s, stored for it.
    @inline(__always)
    mutating func id(of string: String, orInsert make: () -> UInt32) -> UInt32 {
        guard MemoryLayout<String>.size == 16 else { return make() }
        let (low, high) = unsafeBitCast(string, to: (UInt64, UInt64).self)
        let found = slots.withUnsafeBufferPointer { slots -> (slot: Int, id: UInt32?) in
            let mask = slots.count - 1
            var slot = Self.slot(low, high, mask: mask)
            while slots[slot].idPlusOne != 0 {
                if slots[slot].low == low && slots[slot].high == high { return (slot, slots[slot].idPlusOne - 1) }
                slot = (slot + 1) & mask
            }
            return (slot, nil)
        }
        if let id = found.id { return id }
        let id = make()
        slots[found.slot] = Slot(low: low, high: high, idPlusOne: id + 1)
        count += 1
        if count * 2 > slots.count { grow() }
        return id
    }

    @inline(__always)
    private static func slot(_ low: UInt64, _ high: UInt64, mask: Int) -> Int {
        let mixed = (low ^ (high &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> 32) & mask
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(low: 0, high: 0, idPlusOne: 0), count: 2 * old.count)
        let mask = slots.count - 1
        for entry in old where entry.idPlusOne != 0 {
            var slot = Self.slot(entry.low, entry.high, mask: mask)
            while slots[slot].idPlusOne != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }
}

extension EventBatch {
    /// The batch without the events at `indices` (strings re-interned).
    func removing(_ indices: Set<Int>) -> EventBatch {
        var builder = EventBatchBuilder(capacity: count)
        var ids = [UInt32?](repeating: nil, count: strings.count)
        func id(_ index: UInt32) -> UInt32 {
            if let existing = ids[Int(index)] { return existing }
            let new = builder.intern(strings[Int(index)])
            ids[Int(index)] = new
            return new
        }
        for event in 0..<count where !indices.contains(event) {
            builder.append(
                timestamp: timestamps[event], metric: id(metrics[event]),
                unit: units[event] == EventBatch.noUnit ? nil : id(units[event]),
                value: hasValue[event] ? values[event] : nil,
                dimensions: dimensionRange(of: event).map { (id(dimensionKeys[$0]), id(dimensionValues[$0])) })
        }
        return builder.batch
    }
}
