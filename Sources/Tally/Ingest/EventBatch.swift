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
    private var index: [String: UInt32] = [:]

    init(capacity: Int = 0) {
        batch.timestamps.reserveCapacity(capacity)
        batch.metrics.reserveCapacity(capacity)
        batch.units.reserveCapacity(capacity)
        batch.values.reserveCapacity(capacity)
        batch.hasValue.reserveCapacity(capacity)
        batch.dimensionStart.reserveCapacity(capacity + 1)
    }

    mutating func intern(_ string: String) -> UInt32 {
        if let existing = index[string] { return existing }
        let id = UInt32(batch.strings.count)
        batch.strings.append(string)
        index[string] = id
        return id
    }

    mutating func append(_ event: Event) {
        batch.timestamps.append(event.timestamp)
        batch.metrics.append(intern(event.metric))
        batch.units.append(event.unit.map { intern($0) } ?? EventBatch.noUnit)
        batch.values.append(event.value ?? 0)
        batch.hasValue.append(event.value != nil)
        for (key, value) in event.dimensions {
            batch.dimensionKeys.append(intern(key))
            batch.dimensionValues.append(intern(value))
        }
        batch.dimensionStart.append(batch.dimensionKeys.count)
    }

    static func build(_ events: [Event]) -> EventBatch {
        var builder = EventBatchBuilder(capacity: events.count)
        for event in events { builder.append(event) }
        return builder.batch
    }
}
