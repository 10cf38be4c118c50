/// Exposed units → dense ids, comparing units as Swift `String`s (canonical equivalence), as
/// attribution always has.
///
/// An ASCII string equals another ASCII string only when their bytes are equal, so a byte
/// interner (XXH64, open addressing, no re-hashing on growth) finds ASCII units. A non-ASCII
/// string may equal an ASCII one (U+212A KELVIN SIGN is "K"), so once the first non-ASCII unit
/// is met, a `[String: UInt32]` over every unit answers what bytes cannot.
struct UnitIndex {
    private var interner = StringInterner()
    /// Every unit by `String` equality; `nil` while every unit so far is ASCII.
    private var byString: [String: UInt32]?

    var count: Int { interner.count }

    /// The unit with id `id`.
    subscript(id: Int) -> String { interner[id] }

    /// The id of the unit equal to `unit`, if any. Mutating: the first non-ASCII unit looked up
    /// builds the `String` index.
    mutating func id(of unit: String) -> UInt32? {
        // Equal bytes make equal `String`s, and units are distinct as `String`s: a byte match
        // is the unit.
        if let id = interner.id(of: unit) { return id }
        if byString == nil {
            if Self.isASCII(unit) { return nil }  // every unit is ASCII, and none has these bytes
            indexByString()
        }
        return byString![unit]
    }

    /// Adds a unit that ``id(of:)`` did not find; returns its id (the count of units before).
    mutating func insert(_ unit: String) -> UInt32 {
        let id = interner.intern(unit)
        precondition(Int(id) == interner.count - 1, "a unit already held was inserted")
        if byString != nil {
            byString![unit] = id
        } else if !Self.isASCII(unit) {
            indexByString()
        }
        return id
    }

    /// Builds the `String` index; the units held are distinct as `String`s (each was new).
    private mutating func indexByString() {
        byString = Dictionary(uniqueKeysWithValues: (0..<interner.count).map { (interner[$0], UInt32($0)) })
    }

    private static func isASCII(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
    }
}

extension UnitIndex: Equatable {
    /// Equal when the same units have the same ids; the indexes are derived from them.
    static func == (a: UnitIndex, b: UnitIndex) -> Bool {
        a.count == b.count && (0..<a.count).allSatisfy { a[$0] == b[$0] }
    }
}
