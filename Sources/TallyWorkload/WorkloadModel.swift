/// The constants of the traffic model, the same as `shared/workload/gen_events.py`.
public enum WorkloadModel {
    /// An A/B experiment: its variants (the first is the control) and the extra conversion rate
    /// each variant adds to a unit exposed to it.
    public struct Experiment: Sendable, Hashable {
        public let name: String
        public let variants: [String]
        public let conversionLift: [Double]
    }

    public static let experiments: [Experiment] = [
        Experiment(name: "checkout_button", variants: ["control", "green"], conversionLift: [0.0, 0.008]),
        Experiment(
            name: "pricing_page", variants: ["control", "annual_first", "monthly_first"],
            conversionLift: [0.0, -0.005, 0.002]),
        Experiment(name: "onboarding_v2", variants: ["control", "treatment"], conversionLift: [0.0, 0.0]),
        Experiment(
            name: "search_ranker", variants: ["control", "bm25", "neural", "hybrid"],
            conversionLift: [0.0, 0.001, 0.004, 0.003]),
        Experiment(name: "email_capture", variants: ["control", "modal"], conversionLift: [0.0, -0.003]),
    ]

    /// Drawn with Zipf weights (exponent ``countryZipfExponent``), most frequent first.
    public static let countries = [
        "US", "IN", "BR", "DE", "GB", "FR", "JP", "CA", "MX", "ID", "ES", "IT", "NG", "PH", "TR",
        "PL", "NL", "AU", "KR", "VN", "AR", "CO", "EG", "ZA", "SE", "CH", "BE", "AT", "PT", "CZ",
        "RO", "GR", "HU", "IL", "IE", "DK", "FI", "NO", "NZ", "SG", "MY", "TH", "PK", "BD", "CL",
        "PE", "UA", "KE", "MA", "SA",
    ]
    public static let devices: [(name: String, weight: Double)] = [
        ("mobile", 0.60), ("desktop", 0.35), ("tablet", 0.05),
    ]
    /// Traffic sources (`utm_source`), Zipf weights (exponent ``sourceZipfExponent``).
    public static let sources = [
        "direct", "google", "facebook", "newsletter", "twitter", "bing", "reddit", "linkedin",
        "youtube", "tiktok", "instagram", "partner_a", "partner_b", "affiliate", "podcast",
        "hackernews", "producthunt", "duckduckgo", "yahoo", "baidu",
    ]
    /// Drawn uniformly.
    public static let errorTypes = ["timeout", "http_500", "validation", "payment_declined", "rate_limited"]
    /// Page templates `t0000` … `t0999`, Zipf weights (exponent ``templateZipfExponent``).
    public static let templateCount = 1000

    public static let countryZipfExponent = 1.1
    public static let sourceZipfExponent = 0.9
    public static let templateZipfExponent = 1.05

    public static let pageviewMetric = "pageview"
    public static let exposureMetric = "exposure"
    public static let errorMetric = "error"
    public static let conversionMetric = "conversion"
    public static let purchaseMetric = "purchase"
    public static let metrics = [pageviewMetric, exposureMetric, errorMetric, conversionMetric, purchaseMetric]

    /// The planning constant: sessions = events / this (the model's mean events per session).
    public static let eventsPerSession = 4.09
    /// Session starts per hour follow `1 + amplitude · sin((hour of day − 9) / 24 · 2π)`.
    public static let dailyCycleAmplitude = 0.6
    /// Pages per session = 1 + min(⌊Exp(mean)⌋, maxExtraPages).
    public static let meanExtraPages = 2.2
    public static let maxExtraPages = 40
    /// Mean of the exponential part of the gap between pages, in ms (plus 1 s).
    public static let meanPageGapMs = 40_000.0
    /// Per experiment, the probability that a session is exposed.
    public static let exposureProbability = 0.25
    public static let errorProbability = 0.02
    /// Conversion probability before the variants' lifts.
    public static let baseConversionRate = 0.05
    /// Probability that a conversion is followed by a purchase.
    public static let purchaseProbability = 0.6
    /// Purchase values are round(exp(N(mean, sd²)), 2).
    public static let purchaseLogMean = 3.4
    public static let purchaseLogStandardDeviation = 0.7
    /// Late events arrive up to this long after their `ts`.
    public static let maxLatenessMs: Int64 = 2 * hourMs
    public static let hourMs: Int64 = 3_600_000
}
