import Foundation
import Testing

/// `tally verify`: one line and exit 0 when clean; problems with offsets and exit 1 when a byte
/// is damaged anywhere — in a segment, in the fixed header, in the log — never a crash.
@Suite struct VerifyCommandTests {
    /// A private copy of a small imported database (verify must not damage the shared one).
    static func freshDatabase(_ directory: TestDirectory) throws -> String {
        let file = GeneratedStream.standard.prefixFile(5_000, in: directory, name: "v.ndjson")
        let database = directory.file("v.tally")
        #expect(try TallyBinary.run(["import", database, file, "--batch-size", "1000"]).status == 0)
        return database
    }

    static func flipByte(in path: String, at offset: UInt64) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0x5A]))
    }

    @Test func aCleanDatabasePrintsOneLine() throws {
        let directory = TestDirectory()
        let database = try Self.freshDatabase(directory)
        let output = try TallyBinary.run(["verify", database])
        #expect(output.status == 0, "\(output)")
        #expect(output.lines.count == 1 && output.stdout.contains("ok"), "\(output)")
    }

    @Test func aDamagedSegmentByteExitsOneAndNamesAnOffset() throws {
        let directory = TestDirectory()
        let database = try Self.freshDatabase(directory)
        let segments = try TallyBinary.run(["dump", database, "--segments", "--format", "json"])
        let first = try JSONSerialization.jsonObject(with: Data(segments.lines[0].utf8)) as! [String: Any]
        let offset = (first["offset"] as! NSNumber).uint64Value
        let length = (first["length"] as! NSNumber).uint64Value
        try Self.flipByte(in: database, at: offset + length / 2)
        let output = try TallyBinary.run(["verify", database])
        #expect(output.status == 1 && !output.wasSignalled, "\(output)")
        #expect(output.stdout.contains("\(database) at offset "), "\(output)")
    }

    @Test func damageThatPreventsOpeningIsReportedTheSameWay() throws {
        let directory = TestDirectory()
        let database = try Self.freshDatabase(directory)
        try Self.flipByte(in: database, at: 20)  // inside the file header, covered by its CRC
        let output = try TallyBinary.run(["verify", database])
        #expect(output.status == 1 && !output.wasSignalled, "\(output)")
        #expect(output.stdout.contains("\(database) at offset "), "\(output)")
    }

    @Test func everyDamagedByteIsCaughtOrHarmless() throws {
        // Sweep: one flipped byte at a time at 24 places across the data area; verify never
        // crashes, and whenever it exits 1 it names an offset.
        let directory = TestDirectory()
        let pristine = try Self.freshDatabase(directory)
        let size = try FileManager.default.attributesOfItem(atPath: pristine)[.size] as! UInt64
        let copy = directory.file("copy.tally")
        for offset in stride(from: UInt64(8_192), to: size, by: Int(max(1, (size - 8_192) / 24))) {
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: pristine, toPath: copy)
            try Self.flipByte(in: copy, at: offset)
            let output = try TallyBinary.run(["verify", copy])
            #expect(!output.wasSignalled && (output.status == 0 || output.status == 1), "offset \(offset): \(output)")
            if output.status == 1 { #expect(output.stdout.contains("at offset "), "offset \(offset): \(output)") }
        }
    }

    @Test func aLogDamagedInTheMiddleExitsOneAndNamesTheLogAndOffset() throws {
        let directory = TestDirectory()
        let database = directory.file("wal.tally")
        try DatabaseProbe.killedImport(of: Array(GeneratedStream.standard.lines.prefix(3_000)), batchSize: 1_000, into: database)
        let wal = database + "-wal"
        let records = try TallyBinary.run(["dump", database, "--wal", "--format", "json"])
        #expect(records.lines.count == 4, "three batch records and the ending: \(records)")
        // Inside the first record, which two later valid records follow: damage, not a torn tail.
        let first = try JSONSerialization.jsonObject(with: Data(records.lines[0].utf8)) as! [String: Any]
        try Self.flipByte(in: wal, at: (first["offset"] as! NSNumber).uint64Value + 100)
        let output = try TallyBinary.run(["verify", database])
        #expect(output.status == 1 && !output.wasSignalled, "\(output)")
        #expect(output.stdout.contains("\(wal) at offset "), "\(output)")
    }

    @Test func aMissingFileIsAnErrorNotACrash() throws {
        let output = try TallyBinary.run(["verify", "/nonexistent/x.tally"])
        #expect(output.status != 0 && !output.wasSignalled && output.stderr.contains("no database"), "\(output)")
    }
}
