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
    private var interner = StringInterner()

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
        let id = interner.intern(string)
        if id == batch.strings.count { batch.strings.append(interner[Int(id)]) }
        return id
    }

    /// Interns valid UTF-8 bytes without building a `String` when they were seen before.
    mutating func intern(bytes: UnsafeRawBufferPointer) -> UInt32 {
        let id = interner.intern(bytes: bytes)
        if id == batch.strings.count { batch.strings.append(interner[Int(id)]) }
        return id
    }

    mutating func append(_ event: Event) {
        var dimensions: [(UInt32, UInt32)] = []
        dimensions.reserveCapacity(event.dimensions.count)
        for (key, value) in event.dimensions { dimensions.append((intern(key), intern(value))) }
        append(
            timestamp: event.timestamp, metric: intern(event.metric), unit: event.unit.map { intern($0) },
            value: event.value, dimensions: dimensions)
    }

    /// Appends an event whose strings are already interned in this builder.
    mutating func append(
        timestamp: Int64, metric: UInt32, unit: UInt32?, value: Double?, dimensions: [(UInt32, UInt32)]
    ) {
        batch.timestamps.append(timestamp)
        batch.metrics.append(metric)
        batch.units.append(unit ?? EventBatch.noUnit)
        batch.values.append(value ?? 0)
        batch.hasValue.append(value != nil)
        for (key, value) in dimensions {
            batch.dimensionKeys.append(key)
            batch.dimensionValues.append(value)
        }
        batch.dimensionStart.append(batch.dimensionKeys.count)
    }

    static func build(_ events: [Event]) -> EventBatch {
        var builder = EventBatchBuilder(capacity: events.count)
        for event in events { builder.append(event) }
        return builder.batch
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
