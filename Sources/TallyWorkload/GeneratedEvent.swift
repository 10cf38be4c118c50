/// One event of the generated stream.
public struct GeneratedEvent: Sendable, Equatable {
    /// Milliseconds since the Unix epoch, UTC (when it happened, not when it arrived).
    public var timestamp: Int64
    public var metric: String
    /// The session id, `u%08d`.
    public var unit: String
    /// In the reference script's order (e.g. country, device, utm_source, template_id).
    public var dimensions: [(key: String, value: String)]
    /// Set on purchases only: a multiple of 0.01.
    public var value: Double?

    public init(
        timestamp: Int64, metric: String, unit: String, dimensions: [(key: String, value: String)],
        value: Double? = nil
    ) {
        self.timestamp = timestamp
        self.metric = metric
        self.unit = unit
        self.dimensions = dimensions
        self.value = value
    }

    /// The dimensions as a dictionary (their keys are distinct).
    public var dimensionDictionary: [String: String] {
        Dictionary(dimensions.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The value of dimension `key`, if present.
    public func dimension(_ key: String) -> String? {
        dimensions.first { $0.key == key }?.value
    }

    public static func == (lhs: GeneratedEvent, rhs: GeneratedEvent) -> Bool {
        lhs.timestamp == rhs.timestamp && lhs.metric == rhs.metric && lhs.unit == rhs.unit
            && lhs.value == rhs.value && lhs.dimensions.count == rhs.dimensions.count
            && zip(lhs.dimensions, rhs.dimensions).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
