/// Writes events as NDJSON lines in the format of `shared/workload/gen_events.py` (the format
/// `tally import` reads): `{"ts":…,"metric":"…","unit":"…","dims":{…}}` and `,"value":…` on events
/// that carry one.
public enum NDJSON {
    public static func append(_ event: BenchEvent, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"ts":"#.utf8)
        out.append(contentsOf: String(event.timestamp).utf8)
        out.append(contentsOf: #","metric":"#.utf8)
        appendString(event.metric, to: &out)
        out.append(contentsOf: #","unit":"#.utf8)
        appendString(event.unit, to: &out)
        out.append(contentsOf: #","dims":{"#.utf8)
        for (index, (key, value)) in event.dimensions.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        if let value = event.value {
            out.append(contentsOf: #","value":"#.utf8)
            out.append(contentsOf: "\(value)".utf8)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
