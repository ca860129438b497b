import Foundation
import Tabular

/// Writing CSV as RFC 4180 has it: comma-separated, every record ended by CRLF, a field quoted when it
/// holds a comma, a quote, CR or LF (quotes inside doubled). The text is written as UTF-8 without a BOM.
/// A field that a spreadsheet could run as a formula is neutralised first (`SpreadsheetCell`).
enum CSVText {
    static let lineEnd = "\r\n"

    /// One field, quoted when it must be. Looks at Unicode scalars: in Swift "\r\n" is one
    /// `Character`, equal to neither "\r" nor "\n".
    static func field(_ value: String) -> String {
        let value = SpreadsheetCell.neutralised(value)
        let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" { quoted.unicodeScalars.append(scalar) }
            quoted.unicodeScalars.append(scalar)
        }
        quoted += "\""
        return quoted
    }

    /// One record with its CRLF.
    static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + lineEnd
    }

    /// A header record, then one record per row.
    static func document(header: [String], rows: [[String]]) -> String {
        var text = record(header)
        for row in rows { text += record(row) }
        return text
    }
}
