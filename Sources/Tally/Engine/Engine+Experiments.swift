/// Experiments: loading the persisted attribution state, and the variant report.
extension Engine {
    /// Applies the catalog's experiment blocks in order. Caller is the only user (open).
    ///
    /// With `aggregatesOnly`, reads only the names and aggregates of the last block (every block
    /// holds them complete, rule X1): what a report needs, without the per-unit assignments. A
    /// read-only open does this, and loads everything only if the log has batches to replay.
    func loadExperimentState(aggregatesOnly: Bool = false) throws {
        guard tracksExperiments else { return }
        experiments = ExperimentState(
            exposureMetric: header.exposureMetric, experimentDimension: header.experimentDimension,
            variantDimension: header.variantDimension)
        let locations = aggregatesOnly ? Array(catalog.experimentBlocks.suffix(1)) : catalog.experimentBlocks
        for location in locations {
            guard location.offset >= Superblock.dataStart, location.length <= superblock.committedEnd,
                  location.offset <= superblock.committedEnd - location.length,
                  let framed = try file.readExactly(at: location.offset, count: Int(location.length))
            else {
                throw TallyError.corruption("experiment state block lies outside the committed file", path: path, offset: location.offset)
            }
            let raw = try Block.decode(framed, expectedKind: .experimentState, path: path, offset: location.offset)
            guard experiments.load(raw, aggregatesOnly: aggregatesOnly) else {
                throw TallyError.corruption("experiment state block does not decode", path: path, offset: location.offset)
            }
        }
        experiments.markPersisted()
    }

    /// Whether this handle keeps experiment state (always for a writer).
    var tracksExperiments: Bool { !isReadOnly || options.loadsExperimentState }

    private func checkTracksExperiments() throws {
        guard tracksExperiments else {
            throw TallyError.invalid("this read-only handle was opened without experiment state (loadsExperimentState = false)")
        }
    }

    func variantReport(experiment: String, metrics: [String]?, control: String?, weights: [Double]?) throws -> VariantReport {
        // Computed under the lock from the small aggregates: copying the state out would make
        // the next ingest copy every assignment.
        try stateLock.withLock {
            try checkOpen()
            try checkTracksExperiments()
            return try VariantReport(
                state: experiments, experiment: experiment, metrics: metrics, control: control, weights: weights)
        }
    }

    func experimentSummaries() throws -> [ExperimentSummary] {
        try stateLock.withLock {
            try checkOpen()
            try checkTracksExperiments()
            return experiments.experiments.enumerated().map { index, name in
                ExperimentSummary(
                    name: name, units: experiments.exposed[index].reduce(0, +), variants: experiments.variants[index],
                    conflicts: experiments.conflicts[index])
            }.sorted { $0.name < $1.name }
        }
    }
}
