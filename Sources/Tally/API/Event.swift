/// One product-analytics event, the unit of ingestion.
///
/// Validation happens in ``Tally/ingest(_:batchID:)``; see ``Limits`` for what is accepted.
public struct Event: Sendable, Hashable {
    /// Milliseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    /// The metric this event counts towards, e.g. `pageview`.
    public var metric: String
    /// Up to ``Limits/maxDimensionsPerEvent`` string key/value pairs.
    public var dimensions: [String: String]
    /// An optional finite measurement (e.g. a purchase amount).
    public var value: Double?
    /// The session or user id: counted by distinct counts and used for experiment attribution.
    public var unit: String?

    public init(
        timestamp: Int64, metric: String, dimensions: [String: String] = [:],
        value: Double? = nil, unit: String? = nil
    ) {
        self.timestamp = timestamp
        self.metric = metric
        self.dimensions = dimensions
        self.value = value
        self.unit = unit
    }
}
