import Testing
@testable import Tally
import TallyTesting

/// Rule H2: a file of another format version is refused as unsupported, before anything else
/// in it is read, so an old file gives a clear error instead of a corruption report.
@Suite struct FileHeaderTests {
    @Test func aFileOfAnotherFormatVersionIsRefusedAsUnsupported() throws {
        let fileSystem = SimulatedFileSystem()
        let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem))
        try db.ingest([Event(timestamp: Fixtures.start, metric: "m", unit: "u")])
        try db.flush()
        try db.close()
        for version: UInt32 in [1, FileHeader.formatVersion + 1] {
            let disk = fileSystem.processCrash()
            var bytes = disk.snapshotFiles()[Fixtures.path]!
            for i in 0..<4 { bytes[8 + i] = UInt8(truncatingIfNeeded: version >> (8 * UInt32(i))) }
            disk.setContents(bytes, atPath: Fixtures.path)
            let error = #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(disk)) }
            #expect(error?.code == .unsupportedVersion && error?.offset == 8, "version \(version)")
            #expect(error?.message.contains("format version \(version)") == true)
        }
        // The unpatched file opens.
        let intact = try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem.processCrash()))
        #expect(try intact.info().formatVersion == FileHeader.formatVersion)
    }
}
