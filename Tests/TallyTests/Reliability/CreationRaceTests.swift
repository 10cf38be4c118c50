import Foundation
import Glibc
import Testing
@testable import Tally
import TallyTesting

/// PRODUCT.md rule 7 when the database does not exist yet: processes that create it at once agree
/// on one file; one of them is the writer and the others are told it is locked.
///
/// Regression: creators shared one `NAME.creating` temporary (truncating each other's) and
/// published it with a replacing rename, so all but the first failed with "rename failed: No
/// such file or directory", and a creator that renamed after another had opened and locked the
/// database replaced it under that writer (two writers, one on an unlinked file). Each creator now
/// writes its own temporary and publishes it with `moveFileIfAbsent` (link, never replace).
@Suite(.serialized) struct CreationRaceTests {
    @Test func movingIfAbsentNeverReplaces() throws {
        let simulated = SimulatedFileSystem()
        let directory = TestDirectory()
        for (fileSystem, base) in [(simulated as any FileSystem, "/d"), (POSIXFileSystem(), directory.path)] {
            for name in ["a", "b", "c"] {
                let file = try fileSystem.openFile(atPath: "\(base)/\(name)", mode: .truncate)
                try file.write(Array(name.utf8), at: 0)
                file.close()
            }
            try fileSystem.moveFileIfAbsent(atPath: "\(base)/a", to: "\(base)/x")
            #expect(!fileSystem.fileExists(atPath: "\(base)/a"))
            let error = #expect(throws: TallyError.self) { try fileSystem.moveFileIfAbsent(atPath: "\(base)/b", to: "\(base)/x") }
            #expect(error?.osErrno == EEXIST)
            #expect(fileSystem.fileExists(atPath: "\(base)/b"))
            #expect(try fileSystem.openFile(atPath: "\(base)/x", mode: .readOnly).read(at: 0, count: 1) == Array("a".utf8))
        }
    }

    /// A creation that died before publishing leaves a temporary; the next writer sweeps it.
    @Test func aCrashedCreationLeavesNothingBehindOnceAWriterOpens() throws {
        let probe = SimulatedFileSystem()
        _ = try Tally.open(at: Fixtures.path, options: Fixtures.options(probe))
        for k in 1...probe.callCount(.rename) + probe.callCount(.syncDirectory) {
            let fileSystem = SimulatedFileSystem()
            fileSystem.crash(at: k <= probe.callCount(.rename) ? .rename : .syncDirectory, call: 1)
            #expect(throws: TallyError.self) { try Tally.open(at: Fixtures.path, options: Fixtures.options(fileSystem)) }
            for disk in [fileSystem.processCrash(), fileSystem.powerLoss(.keepUnsynced)] {
                let db = try Tally.open(at: Fixtures.path, options: Fixtures.options(disk))
                try db.close()
                #expect(try disk.contentsOfDirectory(atPath: "/db").filter { $0.contains("creating") }.isEmpty)
            }
        }
    }

    @Test func concurrentCreatorsAgreeOnOneWriter() throws {
        let trials = ReliabilitySettings.knob("creation_race_trials", fast: 4, full: 40)
        var outcomes: [String] = []
        for _ in 0..<trials {
            let directory = TestDirectory()
            let path = directory.file("race.tally")
            var children: [(Process, String)] = []
            for stream in 0..<4 {
                let output = directory.file("out-\(stream)")
                _ = FileManager.default.createFile(atPath: output, contents: nil)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: StressBinary.path)
                process.arguments = ["write", path, "--start", "\(stream):0"]
                process.standardOutput = FileHandle(forWritingAtPath: output)
                process.standardError = FileHandle(forWritingAtPath: output)
                children.append((process, output))
            }
            for (process, _) in children { try process.run() }
            usleep(1_200_000)
            for (process, _) in children { kill(process.processIdentifier, SIGKILL) }
            var opened = 0, locked = 0, other: [String] = []
            for (process, output) in children {
                process.waitUntilExit()
                let lines = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
                    .split(separator: "\n").filter { !$0.hasPrefix("ack ") }
                if lines.contains(where: { $0.hasPrefix("open ") }) { opened += 1 }
                else if lines.contains(where: { $0.hasPrefix("error locked") }) { locked += 1 }
                else { other.append(lines.prefix(2).joined(separator: " | ")) }
            }
            outcomes.append("opened \(opened), locked \(locked)")
            #expect(opened == 1 && locked == 3, "opened \(opened), locked \(locked), other: \(other)")
        }
        ReliabilitySettings.report("creation-race", ["trials": trials, "outcomes": "\"\(Set(outcomes).sorted().joined(separator: "; "))\""])
    }
}
