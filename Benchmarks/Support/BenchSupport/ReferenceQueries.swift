import Tally

/// The reference queries of issue 6 in a form every engine's answer can be compared in.
///
/// - q1: events per metric per day.
/// - q3: top 10 `utm_source` by distinct units with a pageview in the last 7 days of the data.
/// - q4: hourly pageviews for `template_id=t0001` and `country=US`.
/// - q2: the variant report of `checkout_button`: per variant, units exposed, converted units,
///   conversions, purchasing units, purchases and revenue credited after exposure.
public struct Answers: Equatable, Sendable {
    /// (metric, day start, events), sorted.
    public var q1: [Q1Row] = []
    /// (utm_source, distinct units), by units descending.
    public var q3: [Q3Row] = []
    /// (hour start, pageviews), sorted.
    public var q4: [Q4Row] = []

    public struct Q1Row: Equatable, Sendable { public var metric: String; public var day: Int64; public var events: UInt64 }
    public struct Q3Row: Equatable, Sendable { public var source: String; public var units: Double }
    public struct Q4Row: Equatable, Sendable { public var hour: Int64; public var events: UInt64 }

    public init() {}

    /// Differences between `self` (Tally) and `peer`: counts must match exactly; units within
    /// `tolerance` (HyperLogLog estimates); the top-10 set may differ only where the peer's
    /// units are within tolerance of the cut.
    public func differences(from peer: Answers, tolerance: Double = 0.02) -> [String] {
        var problems: [String] = []
        if q1 != peer.q1 { problems.append("q1: \(q1.count) rows vs \(peer.q1.count); first difference at \(firstDifference(q1, peer.q1))") }
        if q4 != peer.q4 { problems.append("q4: \(q4.count) rows vs \(peer.q4.count); first difference at \(firstDifference(q4, peer.q4))") }
        let exact = Dictionary(peer.q3.map { ($0.source, $0.units) }, uniquingKeysWith: max)
        for row in q3 {
            guard let truth = exact[row.source] else {
                problems.append("q3: \(row.source) is in Tally's top 10 and not in the peer's")
                continue
            }
            if abs(row.units - truth) > tolerance * truth {
                problems.append("q3: \(row.source) units \(row.units) vs \(truth) (more than \(tolerance * 100)% apart)")
            }
        }
        return problems
    }

    private func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> String {
        for (index, (x, y)) in zip(a, b).enumerated() where x != y { return "row \(index): \(x) vs \(y)" }
        return "row \(min(a.count, b.count)) (one side is longer)"
    }
}

/// Tally's side of the reference queries, through the public API.
public enum TallyQueries {
    public static func q1(_ db: Tally) throws -> [Answers.Q1Row] {
        var rows: [Answers.Q1Row] = []
        for metric in Dataset.metrics {
            let result = try db.query(Query(metric: metric, every: .day, measures: [.count]))
            rows += result.rows.map { Answers.Q1Row(metric: metric, day: $0.time!, events: $0.count) }
        }
        return rows
    }

    public static func q3(_ db: Tally, from: Int64) throws -> [Answers.Q3Row] {
        let result = try db.query(Query(metric: "pageview", groupBy: ["utm_source"], from: from, measures: [.units]))
        return result.rows
            .map { Answers.Q3Row(source: $0.dimensions[0] ?? "", units: $0.units ?? 0) }
            .sorted { $0.units != $1.units ? $0.units > $1.units : $0.source < $1.source }
            .prefix(10).map { $0 }
    }

    public static func q4(_ db: Tally) throws -> [Answers.Q4Row] {
        let result = try db.query(Query(
            metric: "pageview", filters: ["template_id": ["t0001"], "country": ["US"]], every: .hour,
            measures: [.count]))
        return result.rows.map { Answers.Q4Row(hour: $0.time!, events: $0.count) }
    }

    /// (variant, units exposed, converted units, conversions, purchasers, purchases, revenue).
    public static func q2(_ db: Tally) throws -> [Q2Row] {
        let report = try db.variantReport(experiment: "checkout_button", metrics: ["conversion", "purchase"])
        return report.variants.sorted { $0.name < $1.name }.map { variant in
            let conversion = variant.metrics["conversion"]
            let purchase = variant.metrics["purchase"]
            return Q2Row(
                variant: variant.name, unitsExposed: variant.units, convertedUnits: conversion?.units ?? 0,
                conversions: conversion?.events ?? 0, purchasers: purchase?.units ?? 0, purchases: purchase?.events ?? 0,
                revenue: purchase?.sum ?? 0)
        }
    }

    public struct Q2Row: Sendable {
        public var variant: String
        public var unitsExposed, convertedUnits, conversions, purchasers, purchases: UInt64
        public var revenue: Double
    }

    public static func all(_ db: Tally, q3From: Int64) throws -> Answers {
        var answers = Answers()
        answers.q1 = try q1(db)
        answers.q3 = try q3(db, from: q3From)
        answers.q4 = try q4(db)
        return answers
    }
}
