/// Plain-text tables for people: a header, a rule, then rows; numeric columns right-aligned.
/// Widths count characters, which is right for the ASCII that Tally's names and numbers use.
struct TableRenderer {
    enum Alignment { case left, right }

    struct Column {
        var title: String
        var alignment: Alignment
    }

    var columns: [Column]
    private(set) var rows: [[String]] = []

    init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Shorthand: `[("metric", .left), ("rows", .right)]`.
    init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { Column(title: $0.0, alignment: $0.1) }
    }

    /// `cells` has one string per column.
    mutating func append(_ cells: [String]) {
        precondition(cells.count == columns.count, "a table row needs one cell per column")
        rows.append(cells)
    }

    var rendered: String {
        var widths = columns.map(\.title.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { text += "  " }
                text += columns[index].alignment == .right ? padding + cell : cell + padding
            }
            while text.last == " " { text.removeLast() }
            return text
        }
        var lines = [line(columns.map(\.title)), line(widths.map { String(repeating: "-", count: $0) })]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

/// `label: value` lines with the values aligned, for summaries such as `tally info`.
func renderFields(_ fields: [(String, String)]) -> String {
    let width = fields.map(\.0.count).max() ?? 0
    return fields.map { label, value in
        label + ":" + String(repeating: " ", count: width - label.count + 1) + value
    }.joined(separator: "\n")
}
