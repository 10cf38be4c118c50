/// Interns strings to dense 32-bit ids for the lifetime of one head.
struct StringTable {
    private(set) var strings: [String] = []
    private var ids: [String: UInt32] = [:]
    /// Bytes held, approximately (for the memory budget).
    private(set) var approximateBytes = 0

    @inline(__always)
    mutating func intern(_ string: String) -> UInt32 {
        if let id = ids[string] { return id }
        let id = UInt32(strings.count)
        strings.append(string)
        ids[string] = id
        approximateBytes += string.utf8.count + 64
        return id
    }

    func id(of string: String) -> UInt32? { ids[string] }

    subscript(id: UInt32) -> String { strings[Int(id)] }

    /// Each id's position in byte order of the strings (String `<` is Unicode order, which for
    /// UTF-8 coincides with byte order of scalar values).
    func ranks() -> [Int32] {
        var rank = [Int32](repeating: 0, count: strings.count)
        for (position, id) in strings.indices.sorted(by: { strings[$0] < strings[$1] }).enumerated() {
            rank[id] = Int32(position)
        }
        return rank
    }
}
