import Testing
@testable import Tally
import TallyTesting

/// Issue 7, procedure 5 (PRODUCT.md rule 5; format-spec.md H, S, B, G, W, X): every bit of a
/// small database file and of its log flipped, and both files cut at every length. Each damage
/// must be detected or harmless (see ``CorruptionProbe``); none may crash, hang or change an
/// answer silently. The fast run samples bytes; `TALLY_RELIABILITY=full` flips every bit.
@Suite struct CorruptionSweepTests {
    static let walPath = WALFormat.path(forDatabase: Fixtures.path)

    /// A database with segments in several partitions, two experiment blocks, several catalogs
    /// in the file (dead and live) and a log of three frames, as a killed process leaves it.
    static func corpus() throws -> SimulatedFileSystem {
        let fileSystem = SimulatedFileSystem()
        let workload = CrashWorkload(seed: 3)
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        for index in 0..<8 {
            let key = BatchKey(stream: 0, index: index)
            try db.ingest(workload.events(key), batchID: key.id)
            if index % 4 == 3 { try db.flush() }
        }
        // Three frames, each synced on its own; all in one partition, so no flush follows.
        for index in 0..<3 {
            let key = BatchKey(stream: 1, index: index)
            try db.ingest(workload.events(key), batchID: key.id)
        }
        return fileSystem.processCrash()
    }

    /// The offsets of the log's frames.
    static func frameOffsets(_ wal: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var position = WALFormat.fileHeaderSize
        while position + WALFormat.frameHeaderSize <= wal.count {
            offsets.append(position)
            position += WALFormat.paddedLength(payload: Int(ByteReader(wal).getUInt32(at: position)!))
        }
        return offsets
    }

    static func probe(_ disk: SimulatedFileSystem) throws -> CorruptionProbe {
        var probe = CorruptionProbe(reference: try CorruptionProbe.open(disk.processCrash()).get())
        let wal = disk.snapshotFiles()[walPath]!
        let offsets = frameOffsets(wal)
        for (index, offset) in offsets.enumerated() {
            let cut = disk.processCrash()
            cut.setContents(Array(wal[0..<offset]), atPath: walPath)
            let vouched = offsets[(index + 1)...].contains { later in
                var syncedOffset = ByteReader(wal, from: later + 8)
                return syncedOffset.readUInt64()! > UInt64(offset)
            }
            probe.logPrefixes.append((offset, vouched, try CorruptionProbe.open(cut).get()))
        }
        return probe
    }

    /// Names the structure a database file offset belongs to, for the figures.
    static func regions(of disk: SimulatedFileSystem) throws -> (Int) -> String {
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk.processCrash()))
        let (superblock, catalog) = db.engine.stateLock.withLock { (db.engine.superblock, db.engine.catalog) }
        let headerLength = Int(ByteReader(disk.snapshotFiles()[Fixtures.path]!).getUInt32(at: 12)!)
        var ranges: [(Range<UInt64>, String)] = catalog.segments.map { ($0.offset..<$0.offset + $0.length, "segment") }
        ranges += catalog.experimentBlocks.map { ($0.offset..<$0.offset + $0.length, "experiment") }
        ranges.append((superblock.catalogOffset..<superblock.catalogOffset + superblock.catalogLength, "catalog"))
        return { offset in
            if offset < headerLength { return "header" }
            if offset < 4096 { return "header-padding" }
            if offset < 8192 { return (offset - 4096) % 512 < Superblock.encodedSize ? "superblock" : "superblock-padding" }
            if offset >= superblock.committedEnd { return "past-committed-end" }
            return ranges.first { $0.0.contains(UInt64(offset)) }?.1 ?? "dead-space"
        }
    }

    /// Flips bits of `file` in `disk`, sampled by `byteStep` (every bit of every byte when 1).
    static func sweepFlips(
        _ disk: SimulatedFileSystem, file path: String, probe: CorruptionProbe, byteStep: Int,
        region: (Int) -> String, frameOf: (Int) -> Int? = { _ in nil }
    ) -> [String: CorruptionTally] {
        let original = disk.snapshotFiles()[path]!
        var tallies: [String: CorruptionTally] = [:]
        for offset in stride(from: 0, to: original.count, by: byteStep) {
            let bits = byteStep == 1 ? Array(0..<8) : [offset % 8]
            for bit in bits {
                var damaged = original
                damaged[offset] ^= 1 << bit
                let copy = disk.processCrash()
                copy.setContents(damaged, atPath: path)
                let outcome = probe.classify(copy, logFrame: frameOf(offset))
                tallies[region(offset), default: CorruptionTally()].add(outcome, "\(path) byte \(offset) bit \(bit)")
            }
        }
        return tallies
    }

    static func summarize(_ tallies: [String: CorruptionTally]) -> CorruptionTally {
        tallies.values.reduce(into: CorruptionTally()) { total, tally in
            total.tried += tally.tried
            total.detected += tally.detected
            total.harmless += tally.harmless
            total.tailLost += tally.tailLost
            total.undetected += tally.undetected
        }
    }

    @Test func everyBitOfTheDatabaseFile() throws {
        let disk = try Self.corpus()
        let probe = try Self.probe(disk)
        let byteStep = ReliabilitySettings.knob("flip_byte_step", fast: 11, full: 1)
        let tallies = Self.sweepFlips(disk, file: Fixtures.path, probe: probe, byteStep: byteStep, region: try Self.regions(of: disk))
        let total = Self.summarize(tallies)
        for (region, tally) in tallies.sorted(by: { $0.key < $1.key }) {
            ReliabilitySettings.report("bitflip-database", ["region": region, "figures": tally])
        }
        ReliabilitySettings.report("bitflip-database", ["region": "all", "figures": total])
        #expect(total.undetected.isEmpty, "\(total.undetected.count) undetected: \(total.undetected.prefix(10))")
        #expect(total.tailLost == 0)
    }

    @Test func everyBitOfTheLog() throws {
        let disk = try Self.corpus()
        let probe = try Self.probe(disk)
        let wal = disk.snapshotFiles()[Self.walPath]!
        let offsets = Self.frameOffsets(wal)
        let frameOf = { (offset: Int) -> Int? in offsets.lastIndex { $0 <= offset } }
        let byteStep = ReliabilitySettings.knob("flip_byte_step", fast: 3, full: 1)
        let tallies = Self.sweepFlips(
            disk, file: Self.walPath, probe: probe, byteStep: byteStep,
            region: { offset in frameOf(offset).map { "frame \($0)" } ?? "log-header" }, frameOf: frameOf)
        let total = Self.summarize(tallies)
        for (region, tally) in tallies.sorted(by: { $0.key < $1.key }) {
            ReliabilitySettings.report("bitflip-log", ["region": region, "figures": tally])
        }
        ReliabilitySettings.report("bitflip-log", ["region": "all", "figures": total])
        #expect(total.undetected.isEmpty, "\(total.undetected.count) undetected: \(total.undetected.prefix(10))")
    }

    /// A database file cut short anywhere: detected (the committed state needs every byte up to
    /// its end), or harmless when only bytes past the committed end are gone.
    @Test func truncatingTheDatabaseFileAtEveryLength() throws {
        let disk = try Self.corpus()
        let probe = try Self.probe(disk)
        let original = disk.snapshotFiles()[Fixtures.path]!
        let step = ReliabilitySettings.knob("truncate_step", fast: 17, full: 1)
        var tally = CorruptionTally()
        for length in stride(from: 0, to: original.count, by: step) {
            let copy = disk.processCrash()
            copy.setContents(Array(original[0..<length]), atPath: Fixtures.path)
            tally.add(probe.classify(copy), "database cut at \(length)")
        }
        ReliabilitySettings.report("truncate-database", ["figures": tally])
        #expect(tally.undetected.isEmpty, "\(tally.undetected.count) undetected: \(tally.undetected.prefix(10))")
    }

    /// The log cut at every length (extending WALRecoveryTests to frames of different sizes and
    /// a workload with experiments): the database opens with exactly the whole frames before
    /// the cut (W1, W4), and a writer can go on from there.
    @Test func truncatingTheLogAtEveryLength() throws {
        let disk = try Self.corpus()
        let probe = try Self.probe(disk)
        let wal = disk.snapshotFiles()[Self.walPath]!
        let offsets = Self.frameOffsets(wal)
        let step = ReliabilitySettings.knob("truncate_step", fast: 5, full: 1)
        var tried = 0
        var problems: [String] = []
        for length in stride(from: 0, through: wal.count, by: step) {
            tried += 1
            let copy = disk.processCrash()
            copy.setContents(Array(wal[0..<length]), atPath: Self.walPath)
            // Whole frames before the cut; a cut inside the header leaves none.
            let whole = offsets.indices.filter { index in
                let end = index + 1 < offsets.count ? offsets[index + 1] : wal.count
                return end <= length
            }.count
            let expected = whole < offsets.count ? probe.logPrefixes[whole].answers : probe.reference
            switch CorruptionProbe.open(copy) {
            case .success(let answers) where answers == expected: break
            case .success: problems.append("log cut at \(length): answers are not those of its \(whole) whole frames")
            case .failure(let error): problems.append("log cut at \(length): \(error)")
            }
        }
        ReliabilitySettings.report("truncate-log", ["lengths": tried, "frames": offsets.count, "violations": problems.count])
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10))")
    }
}
