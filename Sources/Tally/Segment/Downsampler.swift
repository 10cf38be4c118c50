/// Chooses the bucket of each partition's merged segment during compaction (format-spec.md,
/// rule K7).
///
/// A partition's merged bucket is the coarsest of: the buckets of its segments (one segment has
/// one bucket, so a partition mixing an old downsampled segment with late, finer rows is merged at
/// the coarser one), and the bucket of every rule whose age the partition has passed. Rows are
/// never made finer.
struct Downsampler {
    let rules: [DownsampleRule]
    let partitionMilliseconds: Int64

    /// Checks the rules against the database: each bucket at least the database bucket and
    /// dividing the partition, each age non-negative.
    init(rules: [DownsampleRule], databaseBucket: Int64, partitionMilliseconds: Int64) throws {
        for rule in rules {
            guard rule.olderThan >= 0 else { throw TallyError.invalid("a downsampling age must not be negative") }
            let width = rule.bucket.milliseconds
            guard width >= databaseBucket, width <= partitionMilliseconds, partitionMilliseconds % width == 0 else {
                throw TallyError.invalid(
                    "a downsampling bucket must be at least the database bucket (\(databaseBucket) ms) and divide the partition (\(partitionMilliseconds) ms); \(rule.bucket) does not")
            }
        }
        self.rules = rules
        self.partitionMilliseconds = partitionMilliseconds
    }

    /// The bucket for the merged segment of the partition starting at `partitionStart`, whose
    /// segments have the buckets `sourceBuckets`, at wall-clock time `now`.
    func bucket(partitionStart: Int64, sourceBuckets: [Int64], now: Int64) -> Int64 {
        var result = sourceBuckets.max()!
        let partitionEnd = partitionStart + partitionMilliseconds
        for rule in rules {
            let (limit, overflow) = now.subtractingReportingOverflow(rule.olderThan)
            if !overflow, partitionEnd <= limit { result = max(result, rule.bucket.milliseconds) }
        }
        return result
    }
}
