import Testing
@testable import Tally

/// ChunkedArray (the experiment state's large tables) is indexed, appended and compared as an
/// array is, across chunk boundaries.
@Suite struct ChunkedArrayTests {
    @Test func behavesAsAnArrayAcrossChunkBoundaries() throws {
        var chunked = ChunkedArray<Int>()
        var plain: [Int] = []
        #expect(chunked.isEmpty)
        let count = 2 * ChunkedArray<Int>.chunkSize + 5
        for i in 0..<count {
            chunked.append(i * 3)
            plain.append(i * 3)
        }
        for i in stride(from: 0, to: count, by: 7) {
            chunked[i] += 1
            plain[i] += 1
        }
        #expect(chunked.count == count)
        #expect((0..<count).allSatisfy { chunked[$0] == plain[$0] })
        var copy = chunked
        copy[ChunkedArray<Int>.chunkSize] = -1
        #expect(copy != chunked)
        #expect(chunked[ChunkedArray<Int>.chunkSize] == plain[ChunkedArray<Int>.chunkSize])
    }
}
