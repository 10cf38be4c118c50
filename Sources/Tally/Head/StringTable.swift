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

    /// Each id's position in the byte order of the strings' UTF-8 (the order of series, rule S3).
    func ranks() -> [Int32] { ByteOrderRanks.ranks(of: strings) }
}
