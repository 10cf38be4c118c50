/// A growable array kept in chunks of ``chunkSize`` elements. Growing never copies what it
/// holds: its memory is its elements plus less than one chunk, where a doubling array holds up
/// to twice its elements, and three times while it grows (the old and the new buffer, both
/// touched). For the large per-unit tables of the experiment state.
struct ChunkedArray<Element> {
    static var chunkShift: Int { 16 }
    static var chunkSize: Int { 1 << chunkShift }
    private static var chunkMask: Int { chunkSize - 1 }

    /// Every chunk but the last is full; the last grows as an array does, to at most
    /// ``chunkSize`` (so a small one costs what a small array costs).
    private var chunks: [[Element]] = []
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    /// Out of range traps: a negative index or one past the last chunk in the outer array's
    /// bounds check, one past `count` in the last chunk's.
    subscript(index: Int) -> Element {
        @inline(__always) get { chunks[index >> Self.chunkShift][index & Self.chunkMask] }
        @inline(__always) set { chunks[index >> Self.chunkShift][index & Self.chunkMask] = newValue }
    }

    mutating func append(_ element: Element) {
        if count & Self.chunkMask == 0 { chunks.append([]) }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}

extension ChunkedArray: Equatable where Element: Equatable {}

extension ChunkedArray: Sendable where Element: Sendable {}
