import Foundation
import Testing
@testable import Tally

/// The import's line reader: every line of the file, in order, whatever chunk it starts in.
@Suite struct LineInputTests {
    static func lines(of path: String) throws -> [[UInt8]] {
        var input = try LineInput(path: path)
        defer { input.close() }
        var lines: [[UInt8]] = []
        while let line = try input.nextLine() { lines.append(Array(line)) }
        return lines
    }

    @Test func linesAcrossChunkBoundariesComeOutWhole() throws {
        // About 10 MB: lines of 0 to 3 000 bytes (empty ones too), so that many lines straddle
        // the reader's 4 MiB chunks; the last line has no newline.
        var generator = SystemRandomNumberGenerator()
        var expected: [[UInt8]] = []
        var bytes: [UInt8] = []
        while bytes.count < 10_000_000 {
            let length = Int.random(in: 0...3_000, using: &generator)
            let line = (0..<length).map { UInt8(ascii: "a") + UInt8(($0 + expected.count) % 26) }
            expected.append(line)
            bytes += line
            bytes.append(0x0A)
        }
        expected.append(Array("last line without a newline".utf8))
        bytes += expected.last!
        let directory = TestDirectory()
        let path = directory.file("lines.ndjson")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let lines = try Self.lines(of: path)
        #expect(lines.count == expected.count)
        #expect(lines == expected)
    }

    @Test func aFileEndingInANewlineHasNoEmptyLastLine() throws {
        let directory = TestDirectory()
        let path = directory.file("lines.ndjson")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("a\n\nb\n".utf8)))
        #expect(try Self.lines(of: path) == [Array("a".utf8), [], Array("b".utf8)])
    }

    @Test func aByteOrderMarkAtTheStartIsSkipped() throws {
        let directory = TestDirectory()
        let path = directory.file("bom.ndjson")
        // Only at the very start: the same bytes later in the input are data.
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("b".utf8)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        #expect(try Self.lines(of: path) == [Array("a".utf8), [0xEF, 0xBB, 0xBF] + Array("b".utf8)])
        let short = directory.file("short.ndjson")
        #expect(FileManager.default.createFile(atPath: short, contents: Data([0xEF, 0xBB])))
        #expect(try Self.lines(of: short) == [[0xEF, 0xBB]], "two bytes of a mark are a line")
    }

    @Test func aLineLongerThanTheLimitIsAnError() throws {
        let directory = TestDirectory()
        let path = directory.file("long.ndjson")
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: LineInput.maxLineBytes + 10)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Array("short\n".utf8) + long + [0x0A])))
        var input = try LineInput(path: path)
        defer { input.close() }
        #expect(try input.nextLine().map(Array.init) == Array("short".utf8))
        let error = #expect(throws: ImportLineError.self) { _ = try input.nextLine() }
        #expect(error?.reason.contains("longer than") == true)
    }
}
