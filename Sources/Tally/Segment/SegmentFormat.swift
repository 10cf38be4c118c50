/// A segment's footer: where its blocks are and what they hold (format-spec.md, "Segments").
///
/// A segment is a run of framed blocks (``Block``) appended to the database file: the string
/// dictionary, then for each metric its per-bucket totals and the column blocks of each of its
/// row groups, then this footer as the last block.
struct SegmentFooter: Equatable {
    static let version: UInt32 = 4
    /// The column blocks of a row group, in the order the footer lists them.
    static let columnKinds: [BlockKind] = [
        .series, .seriesRuns, .buckets, .counts, .valueCounts, .sums, .minimums, .maximums, .sketches,
    ]
    static let maxMetrics = 1 << 16
    static let maxStrings = 1 << 24
    /// The writer closes a row group at the first series boundary at or past this many rows, so
    /// a group has at most this many series; a reader refuses more (format-spec.md, row groups).
    static let rowsPerGroup = 512
    /// The writer also closes a row group at the first series boundary at or past this many
    /// sparse sketch keys (see ``SketchColumn/maxKeys``).
    static let sketchKeysPerGroup = 1 << 24

    struct BlockRef: Equatable {
        /// Offset from the segment's first byte; length of the framed block. Length 0: absent.
        var offset: UInt64
        var length: UInt64
        var isPresent: Bool { length > 0 }
    }

    /// The smallest and largest value (UTF-8 byte order) of one dimension key among a row
    /// group's series, as dictionary indices. A group holds no series with the key's value
    /// outside `[minValue, maxValue]`, and none with the key at all when it has no zone for it.
    struct Zone: Equatable {
        var key: Int
        var minValue: Int
        var maxValue: Int
    }

    /// A row group's column references, one per ``SegmentFooter/columnKinds`` in that order,
    /// held inline: the 10 M-event reference database has about 12 000 row groups, and an array
    /// each was an allocation per group when a cold query decoded the footers.
    struct ColumnRefs: Equatable {
        static let count = 9
        private var refs: InlineArray<9, BlockRef>

        /// Every column absent.
        init() { refs = InlineArray(repeating: BlockRef(offset: 0, length: 0)) }

        /// `refs` must hold exactly ``count`` references.
        init(_ refs: [BlockRef]) {
            precondition(refs.count == Self.count, "one reference per column kind")
            self.refs = InlineArray { refs[$0] }
        }

        subscript(index: Int) -> BlockRef {
            get { refs[index] }
            set { refs[index] = newValue }
        }

        var all: [BlockRef] { (0..<Self.count).map { refs[$0] } }
        var presentCount: Int { (0..<Self.count).reduce(0) { $0 + (refs[$1].isPresent ? 1 : 0) } }

        static func == (a: ColumnRefs, b: ColumnRefs) -> Bool {
            (0..<count).allSatisfy { a.refs[$0] == b.refs[$0] }
        }
    }

    /// A run of whole series of one metric, with their rows: the unit a query decodes.
    struct RowGroup: Equatable {
        var rowCount: Int
        var eventCount: UInt64
        var seriesCount: Int
        var minTime: Int64
        var maxTime: Int64
        /// Value columns are absent when no row of the metric has a value, the sketch column
        /// when no row of the metric has a unit.
        var columns: ColumnRefs
        /// Sorted by key index, each key once. A decoded footer's groups share one array of zones.
        var zones: ArraySlice<Zone>

        /// `kind` must be one of ``SegmentFooter/columnKinds``: the block kinds `series` to
        /// `sketches`, in order (found by arithmetic: a search per call showed in cold queries).
        @inline(__always)
        func column(_ kind: BlockKind) -> BlockRef {
            let index = Int(kind.rawValue) - Int(BlockKind.series.rawValue)
            assert(SegmentFooter.columnKinds[index] == kind, "not a column kind")
            return columns[index]
        }
    }

    struct Metric: Equatable {
        var nameIndex: Int
        /// Per bucket, the metric's cells merged over every series, without unit sketches.
        var totals: BlockRef
        /// In series order: group `g + 1`'s first series follows group `g`'s last.
        var groups: [RowGroup]

        var rowCount: Int { groups.reduce(0) { $0 + $1.rowCount } }
        var eventCount: UInt64 { groups.reduce(0) { $0 + $1.eventCount } }
        var seriesCount: Int { groups.reduce(0) { $0 + $1.seriesCount } }
        var minTime: Int64 { groups.lazy.map(\.minTime).min()! }
        var maxTime: Int64 { groups.lazy.map(\.maxTime).max()! }

        var summary: MetricSummary {
            MetricSummary(nameIndex: nameIndex, totals: totals, eventCount: eventCount, minTime: minTime, maxTime: maxTime)
        }
    }

    /// A footer without its row groups: what a query answered from the per-bucket totals
    /// (rule S8) needs. Decoding it steps over the groups' column references and zones, most
    /// of a footer's bytes and of the cost of decoding it.
    struct Summary: Equatable {
        var partitionStart: Int64
        var bucketMilliseconds: Int64
        var rowCount: Int
        var metrics: [MetricSummary]
    }

    struct MetricSummary: Equatable {
        var nameIndex: Int
        var totals: BlockRef
        /// Over the metric's row groups.
        var eventCount: UInt64
        var minTime: Int64
        var maxTime: Int64
    }

    var summary: Summary {
        Summary(
            partitionStart: partitionStart, bucketMilliseconds: bucketMilliseconds, rowCount: rowCount,
            metrics: metrics.map(\.summary))
    }

    var partitionStart: Int64
    var bucketMilliseconds: Int64
    var rowCount: Int
    var minTime: Int64
    var maxTime: Int64
    var dictionary: BlockRef
    var stringCount: Int
    /// The ``SketchEntryTable`` block; absent when no row has a sparse sketch (and only then).
    var sketchEntries: BlockRef
    var metrics: [Metric]

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + metrics.count * 64)
        writer.writeUInt32(SegmentFooter.version)
        writer.writeInt64(partitionStart)
        writer.writeInt64(bucketMilliseconds)
        writer.writeVarint(UInt64(rowCount))
        writer.writeInt64(minTime)
        writer.writeInt64(maxTime)
        writer.writeRef(dictionary)
        writer.writeVarint(UInt64(stringCount))
        writer.writeRef(sketchEntries)
        writer.writeVarint(UInt64(metrics.count))
        for metric in metrics {
            writer.writeVarint(UInt64(metric.nameIndex))
            writer.writeRef(metric.totals)
            writer.writeVarint(UInt64(metric.groups.count))
            for group in metric.groups {
                writer.writeVarint(UInt64(group.rowCount))
                writer.writeVarint(group.eventCount)
                writer.writeVarint(UInt64(group.seriesCount))
                writer.writeInt64(group.minTime)
                writer.writeInt64(group.maxTime)
                for column in group.columns.all { writer.writeRef(column) }
                writer.writeVarint(UInt64(group.zones.count))
                for zone in group.zones {
                    writer.writeVarint(UInt64(zone.key))
                    writer.writeVarint(UInt64(zone.minValue))
                    writer.writeVarint(UInt64(zone.maxValue))
                }
            }
        }
        return writer.bytes
    }
}

extension ByteWriter {
    fileprivate mutating func writeRef(_ ref: SegmentFooter.BlockRef) {
        writeVarint(ref.offset)
        writeVarint(ref.length)
    }
}
