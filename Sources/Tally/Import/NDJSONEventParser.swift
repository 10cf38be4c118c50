/// Parses one NDJSON line into an ``Event`` (the line format of `tally import`).
///
/// The line is one JSON object, keys in any order, whitespace allowed:
/// - `ts` (required): an integer (no fraction or exponent) within Int64, ms since the epoch;
/// - `metric` (required): a string;
/// - `unit`: a string or null;
/// - `dims`: an object of string values (no duplicate keys), or null;
/// - `value`: a number, correctly rounded to a finite Double, or null;
/// - any other key is skipped if its value is valid JSON (containers nested at most
///   ``NDJSONScanner/maxDepth`` deep, counting the event object).
///
/// Duplicate top-level keys, trailing bytes after the object, invalid escapes, lone
/// surrogates, control characters and invalid UTF-8 in strings are errors. Errors carry the
/// 1-based byte column where the problem was found (for a missing key, the object's `{`).
enum NDJSONEventParser {
    static func parse(_ line: UnsafeRawBufferPointer) throws(NDJSONParseError) -> Event {
        var scanner = NDJSONScanner(line)
        var scratch = Scratch()
        let fields = try scanEvent(&scanner, dimensions: &scratch.dimensions)
        var dimensions = [String: String](minimumCapacity: scratch.dimensions.count)
        for dimension in scratch.dimensions {
            let key = scanner.decode(dimension.key)
            guard dimensions.updateValue(scanner.decode(dimension.value), forKey: key) == nil else {
                throw scanner.error(at: dimension.key.start - 1, "duplicate dimension \(quoted(key))")
            }
        }
        return Event(
            timestamp: fields.timestamp!, metric: scanner.decode(fields.metric!), dimensions: dimensions,
            value: fields.value, unit: fields.unit.map(scanner.decode))
    }

    /// Buffers a caller reuses from line to line, so parsing a line allocates nothing.
    struct Scratch {
        fileprivate var dimensions: [(key: StringToken, value: StringToken)] = []
        fileprivate var ids: [(UInt32, UInt32)] = []

        init() {}
    }

    /// Parses one line straight into `builder`, interning its strings by their bytes (no
    /// `Event`, no dictionary, no `String` for a string the batch already holds). On error no
    /// event is added (strings interned before a duplicate dimension was found stay, unused).
    static func parse(
        _ line: UnsafeRawBufferPointer, into builder: inout EventBatchBuilder, scratch: inout Scratch
    ) throws(NDJSONParseError) {
        var scanner = NDJSONScanner(line)
        let fields = try scanEvent(&scanner, dimensions: &scratch.dimensions)
        scratch.ids.removeAll(keepingCapacity: true)
        for dimension in scratch.dimensions {
            let key = intern(dimension.key, scanner, &builder)
            if scratch.ids.contains(where: { $0.0 == key }) {
                throw scanner.error(at: dimension.key.start - 1, "duplicate dimension \(quoted(scanner.decode(dimension.key)))")
            }
            scratch.ids.append((key, intern(dimension.value, scanner, &builder)))
        }
        builder.append(
            timestamp: fields.timestamp!, metric: intern(fields.metric!, scanner, &builder),
            unit: fields.unit.map { intern($0, scanner, &builder) }, value: fields.value, dimensions: scratch.ids)
    }

    @inline(__always)
    private static func intern(_ token: StringToken, _ scanner: NDJSONScanner, _ builder: inout EventBatchBuilder) -> UInt32 {
        if token.hasEscapes { return builder.intern(scanner.decode(token)) }
        return builder.intern(bytes: UnsafeRawBufferPointer(rebasing: scanner.bytes[token.start..<token.end]))
    }

    /// Scans the event object: grammar, keys, types and values checked; strings left as tokens.
    /// `dimensions` is replaced by the event's, in line order (duplicates are detected when the
    /// keys are decoded or interned).
    private static func scanEvent(
        _ scanner: inout NDJSONScanner, dimensions: inout [(key: StringToken, value: StringToken)]
    ) throws(NDJSONParseError) -> Fields {
        dimensions.removeAll(keepingCapacity: true)
        scanner.skipWhitespace()
        guard !scanner.isAtEnd else { throw NDJSONParseError(column: 1, reason: "empty line") }
        let objectStart = scanner.position
        guard scanner.peek() == UInt8(ascii: "{") else {
            throw scanner.error(at: objectStart, "expected a JSON object")
        }
        scanner.position += 1
        var fields = Fields()
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.position += 1
        } else {
            repeat {
                try parseMember(&scanner, into: &fields, dimensions: &dimensions)
            } while try scanner.separatorOrEnd(UInt8(ascii: "}"))
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.error(at: scanner.position, "unexpected data after the event") }
        guard fields.timestamp != nil else { throw scanner.error(at: objectStart, #"missing "ts""#) }
        guard fields.metric != nil else { throw scanner.error(at: objectStart, #"missing "metric""#) }
        return fields
    }

    /// ``parse(_:)`` on the bytes of a slice (for callers holding lines as array slices:
    /// `withUnsafeBytes` itself does not keep the typed error).
    static func parse(_ line: ArraySlice<UInt8>) throws(NDJSONParseError) -> Event {
        try line.withUnsafeBytes { raw in
            Result { () throws(NDJSONParseError) in try parse(raw) }
        }.get()
    }

    /// The fields found so far, and which keys were seen (to reject duplicates).
    private struct Fields {
        var timestamp: Int64?
        var metric: StringToken?
        var unit: StringToken?
        var value: Double?
        /// Bits of the ``Key``s seen.
        var seen: UInt8 = 0
        var otherKeys: Set<String> = []
    }

    private enum Key: UInt8 {
        case ts = 1, metric = 2, unit = 4, dims = 8, value = 16
    }

    /// Parses `"key": value` at the scanner and stores the value in `fields` (`dims` in
    /// `dimensions`, which is empty until then).
    private static func parseMember(
        _ scanner: inout NDJSONScanner, into fields: inout Fields,
        dimensions: inout [(key: StringToken, value: StringToken)]
    ) throws(NDJSONParseError) {
        scanner.skipWhitespace()
        let keyStart = scanner.position
        guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected("expected a string key") }
        let keyToken = try scanner.scanString()
        let key = classify(keyToken, in: scanner)
        try scanner.expect(UInt8(ascii: ":"))
        scanner.skipWhitespace()
        let valueStart = scanner.position
        guard case .known(let known) = key else {
            guard case .other(let name) = key, fields.otherKeys.insert(name).inserted else {
                throw scanner.error(at: keyStart, "duplicate key \(quoted(scanner.decode(keyToken)))")
            }
            return try scanner.skipValue(depth: 2)
        }
        guard fields.seen & known.rawValue == 0 else {
            throw scanner.error(at: keyStart, "duplicate key \(quoted("\(known)"))")
        }
        fields.seen |= known.rawValue
        switch known {
        case .ts:
            guard scanner.atNumber else { throw scanner.unexpected(#""ts" must be an integer"#) }
            let token = try scanner.scanNumber()
            guard token.isInteger else { throw scanner.error(at: valueStart, #""ts" must be an integer"#) }
            guard let timestamp = scanner.integerValue(token) else {
                throw scanner.error(at: valueStart, #""ts" is out of range"#)
            }
            fields.timestamp = timestamp
        case .metric:
            guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected(#""metric" must be a string"#) }
            fields.metric = try scanner.scanString()
        case .unit:
            if try scanner.skipNull() { return }
            guard scanner.peek() == UInt8(ascii: "\"") else {
                throw scanner.unexpected(#""unit" must be a string or null"#)
            }
            fields.unit = try scanner.scanString()
        case .dims:
            if try scanner.skipNull() { return }
            try parseDimensions(&scanner, into: &dimensions)
        case .value:
            if try scanner.skipNull() { return }
            guard scanner.atNumber else { throw scanner.unexpected(#""value" must be a number or null"#) }
            let value = scanner.doubleValue(try scanner.scanNumber())
            guard value.isFinite else { throw scanner.error(at: valueStart, #""value" is not a finite number"#) }
            fields.value = value
        }
    }

    /// The `dims` object at the scanner: string keys to string values, as tokens appended to
    /// `dimensions`.
    private static func parseDimensions(
        _ scanner: inout NDJSONScanner, into dimensions: inout [(key: StringToken, value: StringToken)]
    ) throws(NDJSONParseError) {
        guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.unexpected(#""dims" must be an object"#) }
        scanner.position += 1
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.position += 1
            return
        }
        repeat {
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected("expected a string key") }
            let key = try scanner.scanString()
            try scanner.expect(UInt8(ascii: ":"))
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "\"") else {
                throw scanner.unexpected("dimension \(quoted(scanner.decode(key))) must be a string")
            }
            dimensions.append((key, try scanner.scanString()))
        } while try scanner.separatorOrEnd(UInt8(ascii: "}"))
    }

    private enum ClassifiedKey {
        case known(Key)
        case other(String)
    }

    /// Matches the key against the event's fields: raw bytes when it has no escapes (the fast
    /// path), its decoded value otherwise (so `"\u0074s"` is `ts`).
    private static func classify(_ token: StringToken, in scanner: NDJSONScanner) -> ClassifiedKey {
        let length = token.end - token.start
        if !token.hasEscapes && length <= 8 {
            switch scanner.packedWord(at: token.start, count: length) {  // the names' bytes, little-endian
            case 0x7374: return .known(.ts)
            case 0x6369_7274_656D: return .known(.metric)
            case 0x7469_6E75: return .known(.unit)
            case 0x736D_6964: return .known(.dims)
            case 0x65_756C_6176: return .known(.value)
            default: break
            }
        }
        switch scanner.decode(token) {
        case "ts": return .known(.ts)
        case "metric": return .known(.metric)
        case "unit": return .known(.unit)
        case "dims": return .known(.dims)
        case "value": return .known(.value)
        case let name: return .other(name)
        }
    }

    /// `"name"` for an error message, cut after 40 characters.
    private static func quoted(_ name: String) -> String {
        name.count <= 40 ? "\"\(name)\"" : "\"\(name.prefix(40))…\""
    }
}
