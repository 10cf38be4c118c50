/// Names that recur on almost every line of product-analytics NDJSON (metrics, dimension keys
/// and a few frequent values). A string whose bytes equal one of them is returned as that
/// string literal, which costs nothing, instead of being validated and built.
///
/// Names are compared as words packed by ``NDJSONScanner/packedWord(at:count:)``; the hex
/// constants are the names' bytes, little-endian (the tests check every name).
enum NDJSONCommonNames {
    /// The literal equal to the `length` bytes at `start`, if any.
    @inline(__always)
    static func lookup(_ scanner: NDJSONScanner, start: Int, length: Int) -> String? {
        guard length >= 5 && length <= 11 else { return nil }
        let head = scanner.packedWord(at: start, count: length)
        if length <= 8 {
            switch head {
            case 0x72_6F72_7265: return "error"
            case 0x6563_6976_6564: return "device"
            case 0x656C_6962_6F6D: return "mobile"
            case 0x7465_6C62_6174: return "tablet"
            case 0x79_7274_6E75_6F63: return "country"
            case 0x74_6E61_6972_6176: return "variant"
            case 0x70_6F74_6B73_6564: return "desktop"
            case 0x6C_6F72_746E_6F63: return "control"
            case 0x7765_6976_6567_6170: return "pageview"
            case 0x6572_7573_6F70_7865: return "exposure"
            case 0x6573_6168_6372_7570: return "purchase"
            default: return nil
            }
        }
        let tail = scanner.packedWord(at: start + 8, count: length - 8)
        switch (head, tail) {
        case (0x7275_6F73_5F6D_7475, 0x6563): return "utm_source"
        case (0x6973_7265_766E_6F63, 0x6E6F): return "conversion"
        case (0x656D_6972_6570_7865, 0x746E): return "experiment"
        case (0x7974_5F72_6F72_7265, 0x6570): return "error_type"
        case (0x6574_616C_706D_6574, 0x64_695F): return "template_id"
        default: return nil
        }
    }

    /// Every name above (for tests).
    static let all = [
        "error", "device", "mobile", "tablet", "country", "variant", "desktop", "control", "pageview",
        "exposure", "purchase", "utm_source", "conversion", "experiment", "error_type", "template_id",
    ]
}
