import Foundation

/// RFC 5322 `date-time` (§3.3) including the obsolete forms of §4.3: two- and three-digit years,
/// alphabetic zones, missing seconds, comments. Also ISO 8601, which some web-form mailers write.
/// Returns nil instead of guessing when the text does not hold a real calendar date.
enum MailDateParser {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The instant the field names, or nil when it cannot be read.
    static func parse(_ raw: String) -> Date? {
        let text = stripComments(raw)
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" || $0 == "\n" })
            .map(String.init)
        guard !tokens.isEmpty else { return nil }
        if let date = parseRFC(tokens) { return date }
        return parseISO(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `[day-name] day month year time [zone]`.
    private static func parseRFC(_ tokens: [String]) -> Date? {
        var position = 0
        if let first = tokens.first, first.allSatisfy(\.isLetter), monthNumber(first) == nil { position = 1 }
        guard tokens.count >= position + 4 else { return nil }
        guard tokens[position].allSatisfy(isDigit), let day = Int(tokens[position]), (1...31).contains(day),
              let month = monthNumber(tokens[position + 1]),
              let year = year(tokens[position + 2]),
              let time = time(tokens[position + 3])
        else { return nil }
        var offset = 0
        if tokens.count > position + 4 {
            guard let zone = zoneOffset(tokens[position + 4]) else { return nil }
            offset = zone
        }
        return makeDate(year: year, month: month, day: day, time: time, offsetSeconds: offset)
    }

    /// `YYYY-MM-DD[T| ]HH:MM[:SS][.fff][Z|±HH:MM|±HHMM]`.
    private static func parseISO(_ text: String) -> Date? {
        let characters = Array(text)
        guard characters.count >= 16, characters[4] == "-", characters[7] == "-",
              characters[10] == "T" || characters[10] == "t" || characters[10] == " ",
              let year = Int(String(characters[0..<4])), let month = Int(String(characters[5..<7])),
              let day = Int(String(characters[8..<10]))
        else { return nil }
        var rest = String(characters[11...])
        var offset = 0
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            rest.removeLast()
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            guard let zone = zoneOffset(String(rest[sign...]).replacingOccurrences(of: ":", with: "")) else { return nil }
            offset = zone
            rest = String(rest[..<sign])
        }
        if let dot = rest.firstIndex(of: ".") { rest = String(rest[..<dot]) }
        guard (1...12).contains(month), (1...31).contains(day), let time = time(rest) else { return nil }
        return makeDate(year: year, month: month, day: day, time: time, offsetSeconds: offset)
    }

    /// ASCII 0–9 only: `Int("+5")` would accept a sign.
    private static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }

    /// Removes `( … )` comments (nested, with escapes), e.g. the `(MSK)` after a numeric zone.
    private static func stripComments(_ raw: String) -> String {
        guard raw.contains("(") else { return raw }
        var out = ""
        var depth = 0
        var escaped = false
        for character in raw {
            if escaped {
                escaped = false
                continue
            }
            if depth > 0, character == "\\" {
                escaped = true
            } else if character == "(" {
                depth += 1
            } else if character == ")", depth > 0 {
                depth -= 1
                if depth == 0 { out.append(" ") }
            } else if depth == 0 {
                out.append(character)
            }
        }
        return out
    }

    /// 1–12 for an English month name or its abbreviation, any case.
    private static func monthNumber(_ token: String) -> Int? {
        let lower = token.lowercased()
        guard lower.count >= 3, lower.allSatisfy(\.isLetter) else { return nil }
        guard let index = months.firstIndex(of: String(lower.prefix(3))) else { return nil }
        return index + 1
    }

    /// Four-digit years as written; obsolete two-digit years per RFC 5322 §4.3 (00–49 → 20xx,
    /// 50–99 → 19xx), three-digit ones + 1900.
    private static func year(_ token: String) -> Int? {
        guard (2...4).contains(token.count), token.allSatisfy(isDigit), let value = Int(token), value >= 0 else {
            return nil
        }
        switch token.count {
        case 2: return value < 50 ? 2000 + value : 1900 + value
        case 3: return 1900 + value
        default: return value >= 1000 ? value : nil
        }
    }

    /// `HH:MM[:SS]` as seconds since midnight; a leap second 60 is read as 59.
    private static func time(_ token: String) -> Int? {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var values: [Int] = []
        for part in parts {
            guard (1...2).contains(part.count), part.allSatisfy(isDigit), let value = Int(part), value >= 0 else {
                return nil
            }
            values.append(value)
        }
        let second = values.count == 3 ? min(values[2], 59) : 0
        guard values[0] < 24, values[1] < 60, values.count < 3 || values[2] <= 60 else { return nil }
        return values[0] * 3600 + values[1] * 60 + second
    }

    /// Seconds east of UTC: `±HHMM`, or an obsolete zone name (RFC 5322 §4.3). Military letters and
    /// unknown names mean "no information" there, read as UTC.
    private static func zoneOffset(_ token: String) -> Int? {
        if let sign = token.first, sign == "+" || sign == "-" {
            let digits = token.dropFirst().replacingOccurrences(of: ":", with: "")
            guard digits.count == 4 || digits.count == 2, digits.allSatisfy(isDigit), let value = Int(digits) else {
                return nil
            }
            let hours = digits.count == 4 ? value / 100 : value
            let minutes = digits.count == 4 ? value % 100 : 0
            guard minutes < 60, hours < 24 else { return nil }
            let seconds = hours * 3600 + minutes * 60
            return sign == "-" ? -seconds : seconds
        }
        guard token.allSatisfy(\.isLetter), token.allSatisfy(\.isASCII) else { return nil }
        switch token.uppercased() {
        case "EDT": return -4 * 3600
        case "EST", "CDT": return -5 * 3600
        case "CST", "MDT": return -6 * 3600
        case "MST", "PDT": return -7 * 3600
        case "PST": return -8 * 3600
        default: return 0  // UT, GMT, UTC, Z, military letters, and names RFC 5322 does not define
        }
    }

    /// Builds the instant from civil fields, rejecting days the month does not have.
    private static func makeDate(year: Int, month: Int, day: Int, time: Int, offsetSeconds: Int) -> Date? {
        guard (1000...9999).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        // Days since 1970-01-01 (H. Hinnant's days_from_civil).
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = (month + 9) % 12
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + time - offsetSeconds))
    }
}
