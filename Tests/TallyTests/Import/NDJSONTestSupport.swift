@testable import Tally

/// Parses a line given as text or bytes.
func parseLine(_ line: String) throws(NDJSONParseError) -> Event {
    try parseLine(Array(line.utf8))
}

func parseLine(_ bytes: [UInt8]) throws(NDJSONParseError) -> Event {
    try NDJSONEventParser.parse(bytes[...])
}

/// The error a line fails with, or nil if it parses.
func parseFailure(_ line: String) -> NDJSONParseError? { parseFailure(Array(line.utf8)) }

func parseFailure(_ bytes: [UInt8]) -> NDJSONParseError? {
    do {
        _ = try parseLine(bytes)
        return nil
    } catch {
        return error
    }
}

/// `{"ts":1,"metric":"m",<member>}`: a valid event plus `member`.
func lineWith(_ member: String) -> String { #"{"ts":1,"metric":"m",\#(member)}"# }
