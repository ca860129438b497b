import Foundation

/// A barcode read by a warehouse scanner, reduced to the data the inventory works with.
///
/// Whatever the symbol (EAN-13, EAN-8, a bare GTIN-14 or a GS1 element string), the trade item is
/// identified by a 14-digit GTIN, so catalogue and stock lookups need only one key format.
public struct ScannedCode: Sendable, Equatable, Codable {
    /// The kind of data the scanner delivered.
    public enum Symbology: String, Sendable, Codable {
        /// A 13-digit EAN (a UPC-A sent with its leading zero is one too).
        case ean13
        /// An 8-digit EAN.
        case ean8
        /// A GS1 element string (GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar) or a bare GTIN-14.
        case gs1
    }

    /// The kind of data the scanner delivered.
    public var symbology: Symbology
    /// The trade item's GTIN as 14 digits, shorter codes padded with leading zeros.
    public var gtin: String
    /// Batch or lot number (AI 10).
    public var batch: String?
    /// Production date (AI 11) as an ISO date, `YYYY-MM-DD`.
    public var producedOn: String?
    /// Expiry date (AI 17) as an ISO date, `YYYY-MM-DD`.
    public var expiresOn: String?
    /// Serial number (AI 21).
    public var serial: String?

    /// Creates a scanned code; only the GS1 element strings carry the optional attributes.
    public init(
        symbology: Symbology, gtin: String, batch: String? = nil, producedOn: String? = nil,
        expiresOn: String? = nil, serial: String? = nil
    ) {
        self.symbology = symbology
        self.gtin = gtin
        self.batch = batch
        self.producedOn = producedOn
        self.expiresOn = expiresOn
        self.serial = serial
    }
}

/// Why a scanned string could not be turned into a ``ScannedCode``.
public enum BarcodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing but whitespace (or only a symbology identifier) was scanned.
    case empty
    /// The GTIN's last digit is not its GS1 check digit; `expected` is the correct one.
    case badCheckDigit(gtin: String, expected: Int)
    /// The string uses an application identifier this parser does not support.
    case unknownApplicationIdentifier(String)
    /// The string breaks the GS1 syntax; the reason is in words.
    case malformed(String)
    /// A YYMMDD field holds digits that are not a calendar date.
    case invalidDate(ai: String, value: String)

    /// A sentence an operator can act on, naming the offending code or field.
    public var description: String {
        switch self {
        case .empty:
            "The scanned code is empty."
        case .badCheckDigit(let gtin, let expected):
            "GTIN \(gtin) has check digit \(gtin.last.map(String.init) ?? "?"), but it should be \(expected)."
        case .unknownApplicationIdentifier(let ai):
            "Application identifier (\(ai)) is not supported; expected one of (01), (10), (11), (17), (21)."
        case .malformed(let reason):
            "The scanned code is malformed: \(reason)."
        case .invalidDate(let ai, let value):
            "AI \(ai) holds '\(value)', which is not a valid YYMMDD date."
        }
    }
}

/// Parses what warehouse scanners send: plain EAN/GTIN codes and GS1 element strings.
public enum Barcode {
    /// The current Gregorian year in UTC, the default reference for the GS1 century window.
    public static var currentUTCYear: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.component(.year, from: Date())
    }

    /// Parses one scan into a ``ScannedCode``.
    ///
    /// Accepted: 8-, 13- and 14-digit codes; GS1 element strings in raw form (optionally prefixed
    /// by `]C1`, `]d2`, `]Q3` or `]e0`, fields separated by GS, U+001D) or in the bracketed
    /// human-readable form `(01)…(17)…`. `]E0`/`]E4` prefixes of plain EAN scans are accepted too.
    /// Supported AIs are 01, 10, 11, 17 and 21; AI 01 is required. A day of `00` means the last day
    /// of the month for an expiry date (as GS1 specifies) and the first day for a production date.
    /// In the bracketed form a `(` always starts the next AI, so values cannot contain one.
    ///
    /// - Parameter currentYear: the year two-digit years are resolved against, by the GS1
    ///   sliding window (up to 50 years ahead, 49 back); inject it to make results reproducible.
    public static func parse(
        _ raw: String, currentYear: Int = Barcode.currentUTCYear
    ) throws(BarcodeError) -> ScannedCode {
        var scalars = trimmed(raw)
        guard !scalars.isEmpty else { throw .empty }
        var expects: Expected = .any
        if scalars.first == "]" {
            let identifier = text(scalars.prefix(3))
            switch identifier {
            case "]C1", "]d2", "]Q3", "]e0": expects = .gs1
            case "]E0", "]E4": expects = .ean
            default: throw .malformed("symbology identifier '\(identifier)' is not a GS1 or EAN one")
            }
            scalars.removeFirst(3)
            guard !scalars.isEmpty else { throw .empty }
        }
        let allDigits = scalars.allSatisfy(isDigit)
        let plainLengths = expects == .ean ? [8, 13] : expects == .any ? [8, 13, 14] : []
        if allDigits, plainLengths.contains(scalars.count) {
            return try plainCode(text(scalars[...]))
        }
        if expects == .ean {
            throw .malformed("an EAN needs 8 or 13 digits, got '\(text(scalars[...]))'")
        }
        if expects == .any, allDigits, scalars.count < 16 {
            throw .malformed("a plain code needs 8, 13 or 14 digits, got \(scalars.count)")
        }
        let fields = scalars.first == "(" ? try bracketedFields(scalars) : try rawFields(scalars)
        return try assemble(fields, currentYear: currentYear)
    }

    /// The GS1 mod-10 check digit for a GTIN, GLN or SSCC given *without* its check digit.
    ///
    /// Used to validate scanned codes and to complete codes typed in by hand. Characters that are
    /// not ASCII digits are skipped, so pass digits only.
    public static func checkDigit(_ digitsWithoutCheck: some StringProtocol) -> Int {
        var sum = 0
        var weight = 3
        for scalar in digitsWithoutCheck.unicodeScalars.reversed() where isDigit(scalar) {
            sum += digitValue(scalar) * weight
            weight = 4 - weight
        }
        return (10 - sum % 10) % 10
    }

    // MARK: - Input shapes

    private enum Expected { case any, gs1, ean }

    private static let groupSeparator: Unicode.Scalar = "\u{1D}"

    /// The application identifiers this parser understands.
    private enum AI: String {
        case gtin = "01", batch = "10", producedOn = "11", expiresOn = "17", serial = "21"

        /// Length of a fixed-length field, or `nil` for fields ended by GS or end of data.
        var fixedLength: Int? {
            switch self {
            case .gtin: 14
            case .producedOn, .expiresOn: 6
            case .batch, .serial: nil
            }
        }
    }

    private struct Field {
        var ai: AI
        var value: String
    }

    private static func trimmed(_ raw: String) -> [Unicode.Scalar] {
        let scalars = Array(raw.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return [] }
        return Array(scalars[first...last])
    }

    private static func plainCode(_ digits: String) throws(BarcodeError) -> ScannedCode {
        try verifyCheckDigit(digits)
        let symbology: ScannedCode.Symbology =
            switch digits.count {
            case 8: .ean8
            case 13: .ean13
            default: .gs1
            }
        return ScannedCode(symbology: symbology, gtin: String(repeating: "0", count: 14 - digits.count) + digits)
    }

    /// Splits a raw element string: fixed-length fields by their length, the others at GS.
    /// A GS where an AI is expected (leading FNC1, a redundant or trailing separator) is skipped.
    private static func rawFields(_ s: [Unicode.Scalar]) throws(BarcodeError) -> [Field] {
        var fields: [Field] = []
        var index = 0
        while index < s.count {
            if s[index] == groupSeparator {
                index += 1
                continue
            }
            guard index + 1 < s.count else {
                throw .malformed("'\(text(s[index...]))' is left over where a two-digit AI was expected")
            }
            let code = text(s[index...(index + 1)])
            guard isDigit(s[index]), isDigit(s[index + 1]) else {
                throw .malformed("expected a two-digit application identifier, found '\(code)'")
            }
            guard let ai = AI(rawValue: code) else { throw .unknownApplicationIdentifier(code) }
            let start = index + 2
            let limit = ai.fixedLength.map { min(s.count, start + $0) } ?? s.count
            var end = start
            while end < limit, s[end] != groupSeparator { end += 1 }
            fields.append(Field(ai: ai, value: text(s[start..<end])))
            index = end
        }
        return fields
    }

    /// Splits the human-readable form `(AI)value(AI)value…`.
    private static func bracketedFields(_ s: [Unicode.Scalar]) throws(BarcodeError) -> [Field] {
        var fields: [Field] = []
        var index = 0
        while index < s.count {
            guard s[index] == "(" else { throw .malformed("expected '(' before '\(text(s[index...]))'") }
            guard let close = s[index...].firstIndex(of: ")") else {
                throw .malformed("'\(text(s[index...]))' has no closing ')'")
            }
            let code = text(s[(index + 1)..<close])
            guard !code.isEmpty else { throw .malformed("'()' has no application identifier") }
            guard let ai = AI(rawValue: code) else { throw .unknownApplicationIdentifier(code) }
            let end = s[(close + 1)...].firstIndex(of: "(") ?? s.count
            fields.append(Field(ai: ai, value: text(s[(close + 1)..<end])))
            index = end
        }
        return fields
    }

    // MARK: - Field validation

    private static func assemble(_ fields: [Field], currentYear: Int) throws(BarcodeError) -> ScannedCode {
        var seen: Set<String> = []
        var gtin: String?
        var code = ScannedCode(symbology: .gs1, gtin: "")
        for field in fields {
            guard seen.insert(field.ai.rawValue).inserted else {
                throw .malformed("AI \(field.ai.rawValue) appears more than once")
            }
            switch field.ai {
            case .gtin:
                guard field.value.count == 14, field.value.unicodeScalars.allSatisfy(isDigit) else {
                    throw .malformed("AI 01 needs 14 digits (GTIN-14), got '\(field.value)'")
                }
                try verifyCheckDigit(field.value)
                gtin = field.value
            case .batch: code.batch = try variableText(field, name: "batch")
            case .serial: code.serial = try variableText(field, name: "serial")
            case .producedOn: code.producedOn = try isoDate(field, currentYear: currentYear, dayZeroIsLast: false)
            case .expiresOn: code.expiresOn = try isoDate(field, currentYear: currentYear, dayZeroIsLast: true)
            }
        }
        guard let gtin else { throw .malformed("a GS1 element string must contain AI 01 (GTIN)") }
        code.gtin = gtin
        return code
    }

    private static func verifyCheckDigit(_ digits: String) throws(BarcodeError) {
        let expected = checkDigit(digits.dropLast())
        guard digits.last?.wholeNumberValue == expected else {
            throw .badCheckDigit(gtin: digits, expected: expected)
        }
    }

    /// Batch and serial: 1 to 20 characters (the GS1 character set itself is not enforced).
    private static func variableText(_ field: Field, name: String) throws(BarcodeError) -> String {
        let length = field.value.unicodeScalars.count
        guard length > 0 else { throw .malformed("AI \(field.ai.rawValue) (\(name)) is empty") }
        guard length <= 20 else {
            throw .malformed("AI \(field.ai.rawValue) (\(name)) allows at most 20 characters, got \(length)")
        }
        return field.value
    }

    /// Turns YYMMDD into `YYYY-MM-DD`, resolving the century by the GS1 sliding window.
    private static func isoDate(_ field: Field, currentYear: Int, dayZeroIsLast: Bool) throws(BarcodeError) -> String {
        let ai = field.ai.rawValue
        let digits = field.value.unicodeScalars.filter(isDigit).map(digitValue)
        guard digits.count == 6, field.value.unicodeScalars.count == 6 else {
            throw .malformed("AI \(ai) needs 6 digits (YYMMDD), got '\(field.value)'")
        }
        let yy = digits[0] * 10 + digits[1]
        let month = digits[2] * 10 + digits[3]
        let day = digits[4] * 10 + digits[5]
        let year = centuryWindow(yy, currentYear: currentYear)
        guard (1...12).contains(month) else { throw .invalidDate(ai: ai, value: field.value) }
        let monthLength = daysIn(month: month, year: year)
        let resolvedDay = day == 0 ? (dayZeroIsLast ? monthLength : 1) : day
        guard resolvedDay <= monthLength else { throw .invalidDate(ai: ai, value: field.value) }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(resolvedDay, 2))"
    }

    /// GS1 General Specifications, 7.12: a YY at least 51 years ahead of the current year's last
    /// two digits is in the previous century, one at least 50 behind is in the next.
    static func centuryWindow(_ yy: Int, currentYear: Int) -> Int {
        let currentYY = currentYear % 100
        let century = currentYear - currentYY
        switch yy - currentYY {
        case 51...: return century - 100 + yy
        case ...(-50): return century + 100 + yy
        default: return century + yy
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // MARK: - Scalar helpers

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func digitValue(_ scalar: Unicode.Scalar) -> Int { Int(scalar.value) - 48 }

    private static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    private static func padded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
