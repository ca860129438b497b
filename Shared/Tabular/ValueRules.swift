import Foundation

// Value rules shared by imports: trimming, quoting values in messages, booleans, whole numbers,
// decimals, codes and calendar dates. Domain rules (SKUs, GTINs, tax ids, …) live with their
// imports, often as extensions of `ImportRules`.

/// Text helpers shared by the imports.
public enum ImportText {
    /// `text` without leading and trailing spaces and tabs (spreadsheet cells often carry them).
    @inlinable
    public static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        if !isBlank(first) && !isBlank(last) { return text }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end && isBlank(utf8[start]) { start = utf8.index(after: start) }
        while end > start && isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    @inlinable @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `value` in quotes for a message, shortened so one huge cell cannot flood the problem list.
    public static func quoted(_ value: String) -> String {
        value.count > 40 ? "\"\(value.prefix(40))…\"" : "\"\(value)\""
    }
}

/// Per-value rules shared by the imports. Imports add their domain's rules in extensions.
public enum ImportRules {
    /// `^[A-Z0-9][A-Z0-9_-]*$`: codes people type and read back (warehouses, dealers).
    public static func isUpperCaseCode(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, isUpperOrDigit(first) else { return false }
        return utf8.allSatisfy { isUpperOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `true/false/yes/no/1/0`, any case.
    public static func bool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "1": true
        case "false", "no", "0": false
        default: nil
        }
    }

    /// A positive integer that fits PostgreSQL `integer`, digits only.
    public static func positiveInt32(_ value: String) -> Int? {
        guard value.utf8.allSatisfy(isDigit), let number = Int(value), number > 0, number <= Int(Int32.max) else { return nil }
        return number
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A decimal in POSIX notation, `[+-]?digits(.digits)?` (`1000`, `-2.5`), or nil. The syntax is
    /// checked here because `Decimal(string:)` accepts exponents and stops quietly at the first
    /// unexpected character (`12abc` would be 12).
    public static func posixDecimal(_ value: String) -> Decimal? {
        var utf8 = value.utf8[...]
        if let sign = utf8.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        var integerDigits = 0
        var fractionDigits = 0
        var sawPoint = false
        for byte in utf8 {
            if isDigit(byte) {
                if sawPoint { fractionDigits += 1 } else { integerDigits += 1 }
            } else if byte == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                return nil
            }
        }
        guard integerDigits > 0, !sawPoint || fractionDigits > 0 else { return nil }
        return Decimal(string: value, locale: posix)
    }

    /// A quantity for `numeric(18, 3)`: digits, optionally a `.` or `,` (Russian Excel writes `12,5`)
    /// and 1–3 fractional digits, greater than zero. The syntax is checked here because
    /// `Decimal(string:)` accepts exponents and stops quietly at the first unexpected character.
    public static func quantity(_ value: String) -> Result<Decimal, QuantityError> {
        var integerDigits = 0
        var significantIntegerDigits = 0
        var fractionDigits = 0
        var sawSeparator = false
        var nonZero = false
        var normalized: [UInt8] = []
        normalized.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isDigit(byte) {
                if sawSeparator {
                    fractionDigits += 1
                } else {
                    integerDigits += 1
                    if byte != UInt8(ascii: "0") || significantIntegerDigits > 0 { significantIntegerDigits += 1 }
                }
                if byte != UInt8(ascii: "0") { nonZero = true }
                normalized.append(byte)
            } else if (byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",")) && !sawSeparator && integerDigits > 0 {
                sawSeparator = true
                normalized.append(UInt8(ascii: "."))
            } else {
                return .failure(.notANumber)
            }
        }
        guard integerDigits > 0, !sawSeparator || fractionDigits > 0 else { return .failure(.notANumber) }
        guard fractionDigits <= 3 else { return .failure(.tooManyDecimals) }
        guard significantIntegerDigits <= 15 else { return .failure(.tooLarge) }
        guard nonZero else { return .failure(.notPositive) }
        guard let number = Decimal(string: String(decoding: normalized, as: UTF8.self), locale: posix) else {
            return .failure(.notANumber)
        }
        return .success(number)
    }

    /// Why a quantity was rejected.
    public enum QuantityError: Error, Sendable, Equatable {
        case notANumber, tooManyDecimals, tooLarge, notPositive

        /// The rule that was broken, to follow `quantity "…"` in a message.
        public var message: String {
            switch self {
            case .notANumber: "must be a number such as 12, 12.5 or 12,5"
            case .tooManyDecimals: "may have at most 3 decimal places"
            case .tooLarge: "is too large (at most 15 digits before the decimal separator)"
            case .notPositive: "must be greater than zero"
            }
        }
    }

    /// Whether `byte` is an ASCII digit.
    @inlinable @inline(__always)
    public static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether `byte` is an ASCII digit or upper-case letter.
    @inlinable @inline(__always)
    public static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

/// A calendar date without time or zone, read from and written as ISO `YYYY-MM-DD`; ordered
/// chronologically. Only real dates exist (no 2023-02-29), years 0001–9999.
public struct ISODate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Parses exactly `YYYY-MM-DD`; nil for other shapes and for dates that do not exist.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard ImportRules.isDigit(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year.isMultiple(of: 4) && !year.isMultiple(of: 100)) || year.isMultiple(of: 400) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// Chronological order.
    public static func < (lhs: ISODate, rhs: ISODate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A decimal from PostgreSQL's text of a `numeric` (`sum(x)::text`, `price::text`), never through
/// `Double`; 0 for text that is not one (the database does not send such text).
public func decimal(_ text: String) -> Decimal {
    ImportRules.posixDecimal(text) ?? 0
}

/// Spreadsheet formula injection (OWASP, "CSV Injection"): a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return may be run as a formula when the export is opened in a spreadsheet
/// (`=HYPERLINK(…)` as a contact's name). Such a cell gets a leading apostrophe, which spreadsheets
/// show as text. A cell of nothing but digits, spaces and `+-().,;/` (phone numbers and lists of
/// them, signed amounts) cannot name a function, a reference or a link, and is left as it is, so
/// that `+79161234567` reaches a dialler or Mailchimp unchanged.
public enum SpreadsheetCell {
    public static func neutralised(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        return isNumberLike(value) ? value : "'" + value
    }

    static func isNumberLike(_ value: String) -> Bool {
        let allowed = "0123456789 +-().,;/".unicodeScalars
        return value.unicodeScalars.allSatisfy { allowed.contains($0) } && value.unicodeScalars.contains { ("0"..."9").contains($0) }
    }
}
