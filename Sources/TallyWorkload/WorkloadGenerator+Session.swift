/// The model's lookup tables, built once per iterator.
struct SessionTables: Sendable {
    let countries = CumulativeTable.zipf(
        count: WorkloadModel.countries.count, exponent: WorkloadModel.countryZipfExponent)
    let sources = CumulativeTable.zipf(count: WorkloadModel.sources.count, exponent: WorkloadModel.sourceZipfExponent)
    let templates = CumulativeTable.zipf(
        count: WorkloadModel.templateCount, exponent: WorkloadModel.templateZipfExponent)
    let devices = CumulativeTable(WorkloadModel.devices.map(\.weight))
    let countryNames = WorkloadModel.countries
    let sourceNames = WorkloadModel.sources
    let deviceNames = WorkloadModel.devices.map(\.name)
    let errorTypes = WorkloadModel.errorTypes
    let experiments = WorkloadModel.experiments
    /// `t0000` … `t0999`.
    let templateNames = (0..<WorkloadModel.templateCount).map {
        WorkloadGenerator.Iterator.name("t", number: $0, digits: 4)
    }
}

extension WorkloadGenerator.Iterator {
    /// Generates one session starting in the hour at `hourStart` and queues its events by
    /// arrival. Draws happen in the reference script's order.
    mutating func simulateSession(startingIn hourStart: Int64) {
        unitNumber += 1
        let unit = Self.unitName(unitNumber)
        var t = hourStart + random.below(WorkloadModel.hourMs)
        let country = tables.countryNames[tables.countries.draw(&random)]
        let device = tables.deviceNames[tables.devices.draw(&random)]
        let source = tables.sourceNames[tables.sources.draw(&random)]
        let pages = 1 + min(Int(random.exponential(mean: WorkloadModel.meanExtraPages)), WorkloadModel.maxExtraPages)

        let firstPageview = t
        emitPageview(at: t, unit: unit, country: country, device: device, source: source)

        var lift = 0.0
        let exposureTime = firstPageview + 500 + random.below(Int64(5000))
        for experiment in tables.experiments where random.uniform() < WorkloadModel.exposureProbability {
            let variant = VariantAssignment.variant(
                unit: unit, experiment: experiment.name, variantCount: experiment.variants.count)
            lift += experiment.conversionLift[variant]
            let event = GeneratedEvent(
                timestamp: exposureTime, metric: WorkloadModel.exposureMetric, unit: unit,
                dimensions: [("experiment", experiment.name), ("variant", experiment.variants[variant]),
                             ("country", country), ("device", device)])
            pending.push(event, arrival: exposureTime)  // exposures are never late
        }

        t = exposureTime
        for _ in 1..<pages {
            t += 1000 + Int64(random.exponential(mean: WorkloadModel.meanPageGapMs))
            emitPageview(at: t, unit: unit, country: country, device: device, source: source)
        }
        if random.uniform() < WorkloadModel.errorProbability {
            t += 200 + random.below(Int64(3000))
            let arrival = arrivalTime(of: t)
            let errorType = tables.errorTypes[random.below(tables.errorTypes.count)]
            emit(GeneratedEvent(
                timestamp: t, metric: WorkloadModel.errorMetric, unit: unit,
                dimensions: [("error_type", errorType), ("device", device)]), arrival: arrival)
        }
        guard random.uniform() < WorkloadModel.baseConversionRate + lift else { return }
        t += 2000 + random.below(Int64(60000))
        emit(GeneratedEvent(
            timestamp: t, metric: WorkloadModel.conversionMetric, unit: unit,
            dimensions: [("country", country), ("device", device), ("utm_source", source)]),
             arrival: arrivalTime(of: t))
        guard random.uniform() < WorkloadModel.purchaseProbability else { return }
        t += 1000 + random.below(Int64(30000))
        let amount = DeterministicMath.exp(random.gaussian(
            mean: WorkloadModel.purchaseLogMean, standardDeviation: WorkloadModel.purchaseLogStandardDeviation))
        let value = (amount * 100).rounded() / 100  // the nearest double to the amount in cents
        emit(GeneratedEvent(
            timestamp: t, metric: WorkloadModel.purchaseMetric, unit: unit,
            dimensions: [("country", country), ("device", device)], value: value), arrival: arrivalTime(of: t))
    }

    private mutating func emitPageview(at t: Int64, unit: String, country: String, device: String, source: String) {
        let arrival = arrivalTime(of: t)
        let template = tables.templateNames[tables.templates.draw(&random)]
        emit(GeneratedEvent(
            timestamp: t, metric: WorkloadModel.pageviewMetric, unit: unit,
            dimensions: [("country", country), ("device", device), ("utm_source", source), ("template_id", template)]),
             arrival: arrival)
    }

    @inline(__always)
    private mutating func emit(_ event: GeneratedEvent, arrival: Int64) { pending.push(event, arrival: arrival) }

    /// `t`, or for the late fraction a uniform delay of up to two hours later. Always draws.
    private mutating func arrivalTime(of t: Int64) -> Int64 {
        random.uniform() < options.lateFraction ? t + random.below(WorkloadModel.maxLatenessMs) : t
    }

    /// `u%08d`.
    static func unitName(_ number: Int) -> String { name("u", number: number, digits: 8) }

    /// `prefix` then `number` zero-padded to `digits` digits, like `%0<digits>d`.
    static func name(_ prefix: Unicode.Scalar, number: Int, digits: Int) -> String {
        String(unsafeUninitializedCapacity: 1 + max(digits, 20)) { buffer in
            var writer = LineWriter(buffer.baseAddress!)
            writer.write(UInt8(ascii: prefix))
            writer.writeDigits(UInt64(number), minimumDigits: digits)
            return writer.count
        }
    }
}
