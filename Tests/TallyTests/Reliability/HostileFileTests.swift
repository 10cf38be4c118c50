import Foundation
import Testing
@testable import Tally
import TallyTesting

/// Issue 7, procedure 6 (PRODUCT.md rules 5 and 6; format-spec.md B1, B2, S5, W3, W6): files
/// forged with valid checksums around hostile lengths and counts are refused as corruption,
/// before anything their counts claim is allocated. Each forged file is also opened by
/// `tally-stress probe` in a process of its own, whose peak memory must stay bounded.
@Suite struct HostileFileTests {
    static let day: Int64 = 86_400_000
    static let nearFourGiB = UInt32.max - 7

    static func zlib(_ raw: [UInt8]) -> [UInt8] { Zlib.compress(raw) }

    /// Name → forged files. Every case must be refused as corruption.
    static func cases() throws -> [(String, ForgedDatabase)] {
        var cases: [(String, ForgedDatabase)] = []
        func add(_ name: String, _ forge: (inout ForgedDatabase) throws -> Void) throws {
            var forged = try ForgedDatabase()
            try forge(&forged)
            cases.append((name, forged))
        }
        // Blocks.
        try add("block storedLength near 2^32") { db in
            db.addSegment(columns: [.counts: ForgedDatabase.frame(ForgedDatabase.varints([1]), kind: .counts, storedLength: nearFourGiB)])
        }
        try add("block rawLength near 2^32") { db in
            db.addSegment(columns: [.counts: ForgedDatabase.frame(zlib([1]), kind: .counts, codec: 1, rawLength: nearFourGiB)])
        }
        try add("zlib bomb claiming 256 MiB from 11 bytes") { db in
            db.addSegment(columns: [.counts: ForgedDatabase.frame(zlib([1]), kind: .counts, codec: 1, rawLength: 256 << 20)])
        }
        try add("zlib stream of 16 MiB claiming 1 byte") { db in
            db.addSegment(columns: [.counts: ForgedDatabase.frame(
                zlib([UInt8](repeating: 1, count: 16 << 20)), kind: .counts, codec: 1, rawLength: 1)])
        }
        try add("zlib stream of 16 MiB that really inflates, in a 1-row column") { db in
            let raw = [UInt8](repeating: 1, count: 16 << 20)
            db.addSegment(columns: [.counts: ForgedDatabase.frame(zlib(raw), kind: .counts, codec: 1, rawLength: UInt32(raw.count))])
        }
        // Segment counts.
        try add("footer rows and series near 2^31") { db in
            db.addSegment(rows: Int(Int32.max), series: Int(Int32.max))
        }
        try add("footer rows near 2^31, one series") { db in db.addSegment(rows: Int(Int32.max)) }
        try add("dictionary of 2^24 strings in 4 bytes") { db in
            db.addSegment(dictionary: ForgedDatabase.frame(ForgedDatabase.varints([1 << 24]), kind: .dictionary), strings: 1 << 24)
        }
        try add("series with 2^32 pairs") { db in
            db.addSegment(columns: [.series: ForgedDatabase.frame(ForgedDatabase.varints([0, UInt64(UInt32.max), 1, 2]), kind: .series)])
        }
        try add("sketch shape of 2^32 keys") { db in
            db.addSegment(columns: [.sketches: ForgedDatabase.frame(ForgedDatabase.varints([UInt64(UInt32.max)]), kind: .sketches)])
        }
        // Rows of 3072 keys out of a table of 3072 cost no bits: 21 846 of them in 22 KB claim
        // more than 2^26 keys (256 MiB decoded), refused before anything is allocated (SK2).
        try add("sketch column claiming 2^26 keys in 22 KB") { db in
            let rows = 21_846
            let table = SketchEntryTable(keys: (0..<3072).map { UInt32(2 * $0 + 1) << 7 })  // unflagged, valid
            db.addSegment(
                columns: [
                    .sketchEntries: ForgedDatabase.frame(table.encode(), kind: .sketchEntries),
                    .seriesRuns: ForgedDatabase.frame(ForgedDatabase.varints([UInt64(rows)]), kind: .seriesRuns),
                    .buckets: ForgedDatabase.frame([UInt8](repeating: 0, count: rows), kind: .buckets),
                    .counts: ForgedDatabase.frame(ForgedDatabase.varints(Array(repeating: 3072, count: rows)), kind: .counts),
                    .sketches: ForgedDatabase.frame([UInt8](repeating: 0, count: rows), kind: .sketches),  // 3072 − 3072
                ],
                rows: rows, events: UInt64(rows) * 3072)
        }
        try add("totals count near 2^32") { db in
            db.addSegment(columns: [.metricTotals: ForgedDatabase.frame(ForgedDatabase.varints([UInt64(UInt32.max)]), kind: .metricTotals)])
        }
        try add("totals that disagree with the rows (S8)") { db in
            db.addSegment(columns: [.metricTotals: ForgedDatabase.frame(ForgedDatabase.varints([1, 1, 1, 0]), kind: .metricTotals)])
        }
        try add("a zone that disagrees with the series (S7)") { db in
            db.addSegment(zones: [SegmentFooter.Zone(key: 1, minValue: 0, maxValue: 0)])
        }
        try add("a zone outside the dictionary") { db in
            db.addSegment(zones: [SegmentFooter.Zone(key: 1, minValue: 2, maxValue: 1 << 20)])
        }
        try add("sketch entries repeating a key") { db in
            db.addSegment(columns: [
                .sketchEntries: ForgedDatabase.frame(
                    SketchColumnTests.forgedTable(count: 2, r: 24, [(1, nil), (0, nil)]), kind: .sketchEntries),
                .sketches: ForgedDatabase.frame([0, 0], kind: .sketches),
            ])
        }
        // Two flagged keys of idx′ 2048 (rho′ 9 and 10) may both be entries, but not of one row (SK3).
        try add("a sketch holding two keys of one idx′") { db in
            db.addSegment(columns: [
                .sketchEntries: ForgedDatabase.frame(
                    SketchEntryTable(keys: [2048 << 7 | 9 << 1 | 1, 2048 << 7 | 10 << 1 | 1]).encode(), kind: .sketchEntries),
                .counts: ForgedDatabase.frame([2], kind: .counts),
                .sketches: ForgedDatabase.frame([0], kind: .sketches),  // 2 events, 2 keys
            ], events: 2)
        }
        // Catalog counts.
        for (name, fields) in [
            ("catalog segmentCount near 2^32", [1, 0, UInt64(UInt32.max)]),
            ("catalog batchIDCount near 2^40", [1, 0, 0, 1 << 40]),
            ("catalog experimentBlockCount near 2^32", [1, 0, 0, 0, UInt64(UInt32.max)]),
        ] {
            try add(name) { db in
                var raw = ByteWriter(capacity: 32)
                raw.writeUInt32(Catalog.version)
                raw.writeVarint(fields[0])
                raw.writeInt64(.min)
                for value in fields.dropFirst() { raw.writeVarint(value) }
                db.commit(catalogRaw: raw.bytes)
            }
        }
        try add("catalog segment 2^62 bytes long") { db in
            var segment = db.catalog.segments[0]
            segment.length = 1 << 62
            segment.footerOffset = segment.offset + segment.length - segment.footerLength
            db.catalog.segments.append(segment)
            db.catalog.segments.removeFirst()
            db.commit()
        }
        try add("experiment block 2^40 bytes long") { db in
            db.catalog.experimentBlocks = [BlockLocation(offset: 8192, length: 1 << 40)]
            db.commit()
        }
        try add("experiment state with 2^32 assignments") { db in
            var raw = ByteWriter(capacity: 32)
            raw.writeUInt32(ExperimentState.codecVersion)
            raw.writeUInt8(0)
            for value: UInt64 in [0, 0, 0, 0, UInt64(UInt32.max)] { raw.writeVarint(value) }  // no updated, 2^32 new
            let offset = db.append(ForgedDatabase.frame(raw.bytes, kind: .experimentState))
            db.catalog.experimentBlocks = [BlockLocation(offset: offset, length: UInt64(16 + raw.count))]
            db.commit()
        }
        // The log.
        try add("log frame of near 2^32 bytes, vouched for by a later frame") { db in
            db.wal = Self.log(db.superblock.walSalt, frames: [
                (payload: [UInt8](repeating: 0, count: 8), lengthOverride: nearFourGiB, synced: 0),
                (payload: BatchRecord(batchID: nil, ingestTime: 0, events: EventBatch()).encode(), lengthOverride: nil, synced: 1 << 20),
            ])
        }
        try add("log record claiming 2^24 strings and events") { db in
            var payload = ByteWriter(capacity: 32)
            payload.writeUInt8(0)
            payload.writeInt64(0)
            payload.writeVarint(1 << 24)
            payload.writeVarint(1 << 24)
            db.wal = Self.log(db.superblock.walSalt, frames: [(payload.bytes, nil, 0)])
        }
        return cases
    }

    /// A log with `frames`, each with valid checksums (a length override is covered too).
    static func log(_ salt: UInt64, frames: [(payload: [UInt8], lengthOverride: UInt32?, synced: UInt64)]) -> [UInt8] {
        var bytes = WALFormat.encodeFileHeader(salt: salt)
        for frame in frames {
            var encoded = WALFormat.encodeFrame(type: .batch, payload: frame.payload, salt: salt, syncedOffset: frame.synced)
            if let length = frame.lengthOverride {
                var header = ByteWriter(capacity: 16)
                header.writeUInt32(length)
                header.writeBytes(encoded[4..<16])
                encoded.replaceSubrange(0..<4, with: header.bytes[0..<4])
                let crc = WALFormat.frameChecksum(header: encoded[0..<16], payload: frame.payload[...], salt: salt)
                var crcBytes = ByteWriter(capacity: 4)
                crcBytes.writeUInt32(crc)
                encoded.replaceSubrange(16..<20, with: crcBytes.bytes)
            }
            bytes += encoded
        }
        return bytes
    }

    /// The check each case is forged to reach, as a fragment of its error: a case refused by
    /// an earlier check (say, after a format change) no longer tests what its name says.
    static let expectedReasons: [String: String] = [
        "block storedLength near 2^32": "block length does not match its extent",
        "block rawLength near 2^32": "block header is invalid",
        "zlib bomb claiming 256 MiB from 11 bytes": "impossible compression ratio",
        "zlib stream of 16 MiB claiming 1 byte": "block does not decompress",
        "zlib stream of 16 MiB that really inflates, in a 1-row column": "column has trailing bytes",
        "footer rows and series near 2^31": "row group entry is malformed",
        "footer rows near 2^31, one series": "series runs do not add up to the row count",
        "dictionary of 2^24 strings in 4 bytes": "dictionary count mismatch",
        "series with 2^32 pairs": "series entry is malformed",
        "sketch shape of 2^32 keys": "sketch column is malformed",
        "sketch column claiming 2^26 keys in 22 KB": "sketch column is malformed",
        "totals count near 2^32": "totals count out of range",
        "totals that disagree with the rows (S8)": "totals disagree with the rows",
        "a zone that disagrees with the series (S7)": "zones disagree with its series",
        "a zone outside the dictionary": "zone refers outside the dictionary",
        "sketch entries repeating a key": "sketch entry table is malformed",
        "a sketch holding two keys of one idx′": "sketch column is malformed",
        "catalog segmentCount near 2^32": "catalog: truncated header",
        "catalog batchIDCount near 2^40": "batch id count is malformed",
        "catalog experimentBlockCount near 2^32": "experiment block count is malformed",
        "catalog segment 2^62 bytes long": "segment entry 0 is malformed",
        "experiment block 2^40 bytes long": "experiment block entry is malformed",
        "experiment state with 2^32 assignments": "experiment block does not decode",
        "log frame of near 2^32 bytes, vouched for by a later frame": "write-ahead log is damaged before its end",
        "log record claiming 2^24 strings and events": "write-ahead log record does not decode",
    ]

    /// Opens, queries every measure, reports and verifies; returns the error or verify problem.
    static func outcome(_ disk: SimulatedFileSystem) -> TallyError? {
        do {
            var options = Fixtures.options(disk)
            options.readOnly = true
            let db = try Tally.open(at: Fixtures.path, options: options)
            _ = try db.query(Query(metric: "m", groupBy: ["k"], every: .hour, measures: Set(Measure.allCases)))
            _ = try db.experiments()
            if let problem = try db.verify().problems.first {
                return TallyError(.corruption, problem.message, path: problem.path, offset: problem.offset)
            }
            return nil
        } catch let error as TallyError {
            return error
        } catch {
            return TallyError(.io, "\(error)")
        }
    }

    @Test func forgedLengthsAndCountsAreRefusedAsCorruption() throws {
        for (name, forged) in try Self.cases() {
            let error = Self.outcome(forged.disk())
            #expect(error?.code == .corruption, "\(name): \(String(describing: error))")
            #expect(error?.offset != nil, "\(name): no offset in \(String(describing: error))")
            let reason = try #require(Self.expectedReasons[name], "\(name): no expected reason")
            #expect(error?.message.contains(reason) == true, "\(name): \(String(describing: error))")
        }
    }

    /// The same files in a process of their own: peak memory stays far below what the forged
    /// counts claim (a `tally-stress probe` of a small clean database is the baseline).
    @Test func peakMemoryStaysBounded() throws {
        let directory = TestDirectory()
        var peaks: [(String, Int)] = []
        var all = try Self.cases()
        all.insert(("baseline: a clean database", try ForgedDatabase()), at: 0)
        for (index, (name, forged)) in all.enumerated() {
            let path = directory.file("hostile-\(index).tally")
            FileManager.default.createFile(atPath: path, contents: Data(forged.bytes))
            if let wal = forged.wal { FileManager.default.createFile(atPath: path + "-wal", contents: Data(wal)) }
            let (status, lines) = try StressBinary.run(["probe", path])
            let line = lines.first { $0.hasPrefix("probe ") } ?? ""
            #expect(status == 0, "\(name): \(lines)")
            let growth = Int(line.split(separator: " ").first { $0.hasPrefix("peak_growth_kib=") }?.dropFirst(16) ?? "") ?? -1
            peaks.append((name, growth))
            print("hostile file \(index) \(name): \(line)")
            #expect(index == 0 || line.contains("outcome=error corruption") || line.contains("verify-problems"), "\(name): \(line)")
        }
        for (name, growth) in peaks {
            // A 16 MiB block that really inflates is the largest legitimate allocation here.
            #expect(growth >= 0 && growth < 64 * 1024, "\(name): the probe grew by \(growth) KiB")
        }
        let worst = peaks.dropFirst().max { $0.1 < $1.1 }!
        ReliabilitySettings.report("hostile-files", [
            "files": peaks.count - 1, "refused": peaks.count - 1, "clean_growth_kib": peaks[0].1,
            "max_growth_kib": worst.1, "max_growth_case": "\"\(worst.0)\"",
        ])
    }
}
