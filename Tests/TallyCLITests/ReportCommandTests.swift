import Foundation
import Testing

/// `tally report`: every experiment's JSON against the attribution rule applied to the same
/// NDJSON (exact units, events and sums), the rule's edge cases, the options, the listing and
/// the errors.
@Suite struct ReportCommandTests {
    static let oracle = ExperimentOracle(GeneratedStream.standard.events)

    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func report(_ arguments: [String]) throws -> [String: Any] {
        let output = try TallyBinary.run(["report"] + arguments + ["--format", "json"])
        #expect(output.status == 0 && output.lines.count == 1, "\(arguments): \(output)")
        return object(output.stdout)
    }

    @Test(arguments: ["checkout_button", "pricing_page", "onboarding_v2", "search_ranker", "email_capture"])
    func everyExperimentMatchesTheOracle(_ experiment: String) throws {
        let report = try Self.report([ImportedDatabase.standard.path, experiment])
        #expect(report["control"] as? String == "control")
        let problems = Self.oracle.mismatches(report: report, experiment: experiment)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    @Test func theAttributionRuleHoldsAtItsEdges() throws {
        let directory = TestDirectory()
        let t: Int64 = 1_790_812_800_000
        func line(_ ts: Int64, _ metric: String, _ unit: String, _ dims: String = "{}", value: Double? = nil) -> String {
            #"{"ts":\#(t + ts),"metric":"\#(metric)","unit":"\#(unit)","dims":\#(dims)"# + (value.map { #","value":\#($0)"# } ?? "") + "}"
        }
        func exposure(_ ts: Int64, _ unit: String, _ variant: String) -> String {
            line(ts, "exposure", unit, #"{"experiment":"x","variant":"\#(variant)"}"#)
        }
        let lines = [
            line(30, "purchase", "u2", value: 5),  // ingested before u2's exposure: not credited
            exposure(10, "u1", "a"),
            line(5, "conversion", "u1"),  // ingested after, but earlier than the exposure: not credited
            exposure(1, "u2", "b"),
            line(20, "conversion", "u1"),  // credited to a
            line(40, "purchase", "u2", value: 7),  // credited to b
            exposure(50, "u1", "b"),  // conflict: u1 stays in a
            line(60, "purchase", "u1", value: 3),  // credited to a
            line(60, "purchase", "u1", value: 1.5),  // credited to a: one unit, two events
            exposure(70, "u3", "c"),  // c has one unit and nothing credited
            #"{"ts":\#(t + 80),"metric":"exposure","dims":{"experiment":"x","variant":"a"}}"#,  // no unit: ignored
        ]
        let file = directory.file("edges.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let database = directory.file("edges.tally")
        #expect(try TallyBinary.run(["import", database, file, "--batch-size", "3"]).status == 0)

        let report = try Self.report([database, "x", "--control", "a"])
        let oracle = ExperimentOracle(try NDJSONOracle.events(inFile: file))
        #expect(oracle.mismatches(report: report, experiment: "x").isEmpty, "\(oracle.mismatches(report: report, experiment: "x"))")
        // The same, spelled out, so that the oracle is checked too.
        #expect((report["units"] as? NSNumber)?.intValue == 3 && (report["conflicts"] as? NSNumber)?.intValue == 1)
        let variants = Dictionary(uniqueKeysWithValues: (report["variants"] as! [[String: Any]]).map { ($0["variant"] as! String, $0) })
        func metric(_ variant: String, _ name: String) -> [String: Any] {
            (variants[variant]?["metrics"] as? [String: Any])?[name] as? [String: Any] ?? [:]
        }
        func numbers(_ result: [String: Any]) -> [Double] {
            ["units", "events", "sum"].map { (result[$0] as? NSNumber)?.doubleValue ?? -1 }
        }
        #expect(numbers(metric("a", "conversion")) == [1, 1, 0])
        #expect(numbers(metric("a", "purchase")) == [1, 2, 4.5])
        #expect(numbers(metric("b", "purchase")) == [1, 1, 7])
        #expect(numbers(metric("b", "conversion")) == [0, 0, 0])
        #expect(numbers(metric("c", "purchase")) == [0, 0, 0])
    }

    @Test func controlMetricsAndWeightsAreHonoured() throws {
        let path = ImportedDatabase.standard.path
        let report = try Self.report([path, "checkout_button", "--control", "green", "--metrics", "purchase,conversion"])
        #expect(report["control"] as? String == "green")
        let variants = report["variants"] as? [[String: Any]] ?? []
        #expect(variants.map { $0["variant"] as? String } == ["green", "control"])
        let problems = Self.oracle.mismatches(report: report, experiment: "checkout_button", metrics: ["purchase", "conversion"])
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // Metric members follow the order of --metrics.
        let output = try TallyBinary.run(["report", path, "checkout_button", "--metrics", "purchase,conversion", "--format", "json"])
        let purchase = output.stdout.range(of: #""purchase":{"#)
        let conversion = output.stdout.range(of: #""conversion":{"#)
        #expect(purchase != nil && conversion != nil && purchase!.lowerBound < conversion!.lowerBound)

        // The sample-ratio p-value, chi-square with one degree of freedom: erfc(sqrt(chi2 / 2)).
        let experiment = Self.oracle.experiments["checkout_button"]!
        let observed = ["control", "green"].map { Double(experiment.units(of: $0)) }
        for weights in [[1.0, 1.0], [40.0, 60.0]] {
            let total: Double = observed[0] + observed[1]
            var chiSquare = 0.0
            for (o, w) in zip(observed, weights) {
                let e: Double = total * w / (weights[0] + weights[1])
                chiSquare += (o - e) * (o - e) / e
            }
            let weighted = try Self.report([path, "checkout_button", "--weights", weights.map { String(Int($0)) }.joined(separator: ",")])
            let p = (weighted["srm_p_value"] as? NSNumber)?.doubleValue ?? -1
            #expect(abs(p - erfc((chiSquare / 2).squareRoot())) < 1e-9, "weights \(weights): \(p)")
        }
    }

    @Test func theRateComparisonIsATwoProportionZTest() throws {
        let report = try Self.report([ImportedDatabase.standard.path, "checkout_button", "--metrics", "conversion"])
        let variants = report["variants"] as! [[String: Any]]
        func stats(_ variant: [String: Any]) -> (units: Double, exposed: Double, result: [String: Any]) {
            let result = (variant["metrics"] as! [String: Any])["conversion"] as! [String: Any]
            return ((result["units"] as! NSNumber).doubleValue, (variant["units"] as! NSNumber).doubleValue, result)
        }
        let control = stats(variants[0])
        let green = stats(variants[1])
        let (p1, p2) = (control.units / control.exposed, green.units / green.exposed)
        let pooled = (control.units + green.units) / (control.exposed + green.exposed)
        let z = (p2 - p1) / (pooled * (1 - pooled) * (1 / control.exposed + 1 / green.exposed)).squareRoot()
        let standardError = (p1 * (1 - p1) / control.exposed + p2 * (1 - p2) / green.exposed).squareRoot()
        let interval = green.result["rate_ci"] as! [NSNumber]
        #expect(abs((green.result["rate_diff"] as! NSNumber).doubleValue - (p2 - p1)) < 1e-12)
        #expect(abs((green.result["rate_lift"] as! NSNumber).doubleValue - (p2 - p1) / p1) < 1e-9)
        #expect(abs((green.result["rate_p_value"] as! NSNumber).doubleValue - erfc(abs(z) / 2.0.squareRoot())) < 1e-9)
        #expect(abs(interval[0].doubleValue - (p2 - p1 - 1.959963984540054 * standardError)) < 1e-9)
        #expect(abs(interval[1].doubleValue - (p2 - p1 + 1.959963984540054 * standardError)) < 1e-9)
    }

    @Test func withoutAnExperimentItListsThem() throws {
        let path = ImportedDatabase.standard.path
        let json = try TallyBinary.run(["report", path, "--format", "json"])
        #expect(json.status == 0, "\(json)")
        let listed = json.lines.map(Self.object)
        #expect(listed.map { $0["experiment"] as? String ?? "?" } == Self.oracle.experiments.keys.sorted())
        for entry in listed {
            let experiment = Self.oracle.experiments[entry["experiment"] as? String ?? ""]!
            #expect((entry["units"] as? NSNumber)?.intValue == experiment.assignment.count)
            let variants = (entry["variants"] as? [[String: Any]] ?? []).map {
                ($0["variant"] as? String ?? "?", ($0["units"] as? NSNumber)?.intValue ?? -1)
            }
            #expect(variants.map(\.0) == experiment.variants.sorted())
            #expect(variants.allSatisfy { $0.1 == experiment.units(of: $0.0) })
        }
        let table = try TallyBinary.run(["report", path])
        #expect(table.status == 0 && table.stdout.contains("checkout_button") && table.stdout.contains("control "), "\(table)")

        let directory = TestDirectory()
        let empty = directory.file("empty.tally")
        let file = GeneratedStream.standard.prefixFile(0, in: directory, name: "empty.ndjson")
        #expect(try TallyBinary.run(["import", empty, file]).status == 0)
        let none = try TallyBinary.run(["report", empty])
        #expect(none.status == 0 && none.stdout.contains("no experiments"), "\(none)")
    }

    @Test func theTableShowsEachMetricAndTheSampleRatio() throws {
        let output = try TallyBinary.run(["report", ImportedDatabase.standard.path, "pricing_page"])
        #expect(output.status == 0, "\(output)")
        for expected in ["sample-ratio mismatch p = ", "conflicting exposures", "conversion: rate", "purchase: mean",
                         "annual_first", "monthly_first", "95% CI"] {
            #expect(output.stdout.contains(expected), "missing \(expected): \(output.stdout)")
        }
    }

    @Test func mistakesAreExplainedOnStandardError() throws {
        let path = ImportedDatabase.standard.path
        let cases: [([String], String)] = [
            (["report", path, "no_such_test"], "its experiments: checkout_button"),
            (["report", path, "checkout_button", "--control", "blue"], "its variants: control, green"),
            (["report", path, "pricing_page", "--weights", "50,50"], "in this order: annual_first, control, monthly_first"),
            (["report", path, "checkout_button", "--weights", "50,-1"], "positive weights"),
            (["report", path, "--metrics", "conversion"], "go with an experiment"),
            (["report", path, "checkout_button", "--metrics", "conversion,,purchase"], "empty name"),
            (["report", path + ".missing"], "no database"),
        ]
        for (arguments, message) in cases {
            let output = try TallyBinary.run(arguments)
            #expect(output.status != 0 && !output.wasSignalled && output.stdout.isEmpty, "\(arguments): \(output)")
            #expect(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
        let unknownMetric = try TallyBinary.run(["report", path, "checkout_button", "--metrics", "refund"])
        #expect(unknownMetric.status == 0 && unknownMetric.stderr.contains("no events of metric refund"), "\(unknownMetric)")
    }
}
