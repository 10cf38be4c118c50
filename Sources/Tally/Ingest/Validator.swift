/// Checks a batch against ``Limits`` and reports every bad event (PRODUCT.md, rule 1).
///
/// Strings are checked once per distinct string of the batch and role (name, unit, dimension
/// value).
enum Validator {
    /// All problems of `batch`, in event order; empty when the batch is valid.
    static func problems(in batch: EventBatch, limits: Limits) -> [EventProblem] {
        var problems: [EventProblem] = []
        if batch.count > limits.maxEventsPerBatch {
            problems.append(EventProblem(
                index: limits.maxEventsPerBatch, field: "event",
                reason: "the batch has \(batch.count) events; the limit is \(limits.maxEventsPerBatch)"))
            return problems
        }
        // Nearly every batch is valid: a pass that only answers whether it is comes first, and
        // the reasons are worked out only for a batch that is not.
        if isValid(batch) { return problems }
        var names = Verdicts(batch.strings) { checkName($0) }
        var units = Verdicts(batch.strings) { checkText($0, min: 1, max: Limits.maxUnitBytes) }
        var values = Verdicts(batch.strings) { checkText($0, min: 0, max: Limits.maxDimensionValueBytes) }
        for event in 0..<batch.count {
            func report(_ field: String, _ reason: String) {
                problems.append(EventProblem(index: event, field: field, reason: reason))
            }
            if !Limits.timestampRange.contains(batch.timestamps[event]) {
                report("timestamp", "\(batch.timestamps[event]) is outside 0..<\(Limits.timestampRange.upperBound) (milliseconds since 1970, before year 10000)")
            }
            if let reason = names.problem(batch.metrics[event]) { report("metric", reason) }
            if batch.hasValue[event] && !batch.values[event].isFinite {
                report("value", "must be a finite number")
            }
            let unit = batch.units[event]
            if unit != EventBatch.noUnit, let reason = units.problem(unit) { report("unit", reason) }
            let dimensions = batch.dimensionRange(of: event)
            if dimensions.count > Limits.maxDimensionsPerEvent {
                report("dimensions", "has \(dimensions.count) dimensions; the limit is \(Limits.maxDimensionsPerEvent)")
            }
            for d in dimensions {
                let key = batch.dimensionKeys[d]
                if let reason = names.problem(key) { report("dimensions", "key \(reason)") }
                // Strings are interned: equal keys have equal indices.
                if batch.dimensionKeys[dimensions.lowerBound..<d].contains(key) {
                    report("dimensions", "key \"\(batch.strings[Int(key)])\" appears twice")
                }
                if let reason = values.problem(batch.dimensionValues[d]) {
                    report("dimensions", "value of \"\(batch.strings[Int(key)])\" \(reason)")
                }
            }
        }
        return problems
    }

    /// Whether ``problems(in:limits:)`` finds nothing in `batch` (whose event count is within
    /// the limit): the same checks, without building a reason, copying a string or slicing an
    /// array per event.
    static func isValid(_ batch: EventBatch) -> Bool {
        // Per string and role: 0 unchecked, 1 valid, 2 invalid.
        var names = [UInt8](repeating: 0, count: batch.strings.count)
        var units = names, values = names
        @inline(__always)
        func passes(_ verdicts: inout [UInt8], _ index: UInt32, _ check: (String) -> String?) -> Bool {
            let i = Int(index)
            if verdicts[i] == 0 { verdicts[i] = check(batch.strings[i]) == nil ? 1 : 2 }
            return verdicts[i] == 1
        }
        let timestampRange = Limits.timestampRange
        // The dimension ranges then lie within the key and value columns (each range is a Range,
        // so the starts cannot decrease), which the unchecked reads below rely on.
        guard batch.dimensionStart.first == 0, batch.dimensionStart.last == batch.dimensionKeys.count,
              batch.dimensionValues.count == batch.dimensionKeys.count, batch.dimensionStart.count == batch.count + 1
        else { return false }
        return batch.dimensionKeys.withUnsafeBufferPointer { keys in
            batch.dimensionValues.withUnsafeBufferPointer { dimensionValues in
                for event in 0..<batch.count {
                    guard timestampRange.contains(batch.timestamps[event]),
                          passes(&names, batch.metrics[event], checkName),
                          !batch.hasValue[event] || batch.values[event].isFinite
                    else { return false }
                    let unit = batch.units[event]
                    if unit != EventBatch.noUnit,
                       !passes(&units, unit, { checkText($0, min: 1, max: Limits.maxUnitBytes) }) {
                        return false
                    }
                    let dimensions = batch.dimensionRange(of: event)
                    guard dimensions.count <= Limits.maxDimensionsPerEvent else { return false }
                    for d in dimensions {
                        guard passes(&names, keys[d], checkName),
                              passes(&values, dimensionValues[d], { checkText($0, min: 0, max: Limits.maxDimensionValueBytes) })
                        else { return false }
                        for earlier in dimensions.lowerBound..<d where keys[earlier] == keys[d] { return false }
                    }
                }
                return true
            }
        }
    }

    /// One check of the batch's strings in one role, run at most once per distinct string.
    private struct Verdicts {
        private let strings: [String]
        private let check: (String) -> String?
        /// Per string: whether it was checked, and the check's answer.
        private var checked: [Bool]
        private var verdicts: [String?]

        init(_ strings: [String], check: @escaping (String) -> String?) {
            self.strings = strings
            self.check = check
            checked = [Bool](repeating: false, count: strings.count)
            verdicts = [String?](repeating: nil, count: strings.count)
        }

        @inline(__always)
        mutating func problem(_ index: UInt32) -> String? {
            let i = Int(index)
            if !checked[i] {
                verdicts[i] = check(strings[i])
                checked[i] = true
            }
            return verdicts[i]
        }
    }

    /// What a logged batch must satisfy to be replayed (rule W6): the checks whose failure could
    /// make the engine misbehave. The batch was fully validated before it was logged, and its
    /// frame is checksummed, so names are not checked again (that was a third of reopen time).
    ///
    /// Dimension keys must also be distinct within each event, or the record would be flushed
    /// into a segment breaking rule S3 (found by FuzzBatchRecord). That is checked cheaply: the
    /// few distinct strings used as keys or metrics are checked as names once per batch (so they
    /// are ASCII, and equal as `String`s only when equal as bytes), the string table must not
    /// hold one of them twice, and within each event key indices must differ.
    static func isReplayable(_ batch: EventBatch) -> Bool {
        var isName = [Bool](repeating: false, count: batch.strings.count)
        for key in batch.dimensionKeys where Int(key) < isName.count { isName[Int(key)] = true }
        for metric in batch.metrics where Int(metric) < isName.count { isName[Int(metric)] = true }
        var names = Set<String>()
        for (index, used) in isName.enumerated() where used {
            guard checkName(batch.strings[index]) == nil, names.insert(batch.strings[index]).inserted else { return false }
        }
        let timestampRange = Limits.timestampRange
        // The dimension ranges then lie within the key and value columns (each range is a Range,
        // so the starts cannot decrease), which the unchecked reads below rely on.
        guard batch.dimensionStart.first == 0, batch.dimensionStart.last == batch.dimensionKeys.count,
              batch.dimensionValues.count == batch.dimensionKeys.count, batch.dimensionStart.count == batch.count + 1
        else { return false }
        return batch.dimensionKeys.withUnsafeBufferPointer { keys in
            for i in 0..<batch.count {
                let dimensions = batch.dimensionRange(of: i)
                guard timestampRange.contains(batch.timestamps[i]),
                      !batch.hasValue[i] || batch.values[i].isFinite,
                      dimensions.count <= Limits.maxDimensionsPerEvent, dimensions.upperBound <= keys.count
                else { return false }
                for d in dimensions {
                    for earlier in dimensions.lowerBound..<d where keys[earlier] == keys[d] { return false }
                }
            }
            return true
        }
    }

    /// Metric names and dimension keys: 1…64 bytes of `[A-Za-z0-9_.:-]`.
    static func checkName(_ name: String) -> String? {
        let utf8 = name.utf8
        if utf8.isEmpty { return "is empty" }
        if utf8.count > Limits.maxNameBytes { return "is \(utf8.count) bytes long; the limit is \(Limits.maxNameBytes)" }
        for byte in utf8 where !isNameByte(byte) {
            return "\"\(printable(name))\" may contain only letters, digits, '_', '.', ':' and '-'"
        }
        return nil
    }

    /// Dimension values and units: UTF-8 (guaranteed by `String`) without control characters.
    static func checkText(_ text: String, min: Int, max: Int) -> String? {
        let count = text.utf8.count
        if count < min { return "is empty" }
        if count > max { return "is \(count) bytes long; the limit is \(max)" }
        // Through the contiguous bytes: iterating the UTF-8 view cost about 20 instructions a
        // byte, most of validating a batch of fresh units.
        var text = text
        let hasControl = text.withUTF8 { bytes in bytes.contains { $0 < 0x20 || $0 == 0x7F } }
        return hasControl ? "contains a control character" : nil
    }

    @inline(__always)
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
             UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// A name shortened and stripped of control characters, safe to show in an error.
    private static func printable(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(40).map(Character.init))
        return name.unicodeScalars.count > 40 ? cleaned + "…" : cleaned
    }
}
