// Phone numbers as the DMS receives them (PBX caller IDs, web forms, e-mailed leads), normalised
// to E.164 so that one customer dialling from the same phone is one customer. Pure and
// table-driven: no I/O, no libphonenumber, nothing to refresh at run time. Foundation is not needed.
//
// SPEC OF RECORD. Tests/IngestCoreTests/PhoneNumberTests.swift has cases for every rule; change
// both together.
//
// 1. `raw` is always exactly what was received. Rules 2–4 work on a copy.
// 2. Envelope.
//    a. Leading/trailing whitespace and invisible format characters (U+200B–U+200F, U+2060,
//       U+FEFF, which copy-paste from web pages and spreadsheets leaves behind) are ignored.
//    b. A `tel:` URI scheme (any case) is dropped, with any `;parameter` after the number
//       (e.g. `;ext=12`, `;phone-context=…`).
//    c. A trailing extension is dropped: a marker — `ext`, `ext.`, `extension`, `extensión`,
//       `extensão`, `x`, `#`, `доб`, `доб.`, `добавочный`, `вн`, `вн.`, `ramal` (any case) —
//       then 1–6 digits at the very end, after a number that has digits of its own.
// 3. Separators are removed anywhere: whitespace (including the non-breaking U+00A0, U+2007,
//    U+202F), the format characters of 2a, dashes (`-`, U+2010–U+2015, U+2212), dots and
//    parentheses. One `+` is allowed, before the first digit. Any other character (letters,
//    emoji, non-ASCII digits, a second `+`) makes the number `.invalid`.
// 4. Classification of the remaining digits, first match wins:
//    a. `+` then digits → international (rule 5).
//    b. 2–5 digits and no `+` → `.extension` (PBX extensions such as `201`, `1001`); e164 nil.
//    c. `00` then digits → international; so `007 495 …` is +7. In region RU also `810` then
//       digits (the Russian international prefix; no Russian national number starts with 10).
//    d. National number in the default region (rule 6).
//    e. Anything else → `.invalid`, e164 nil. Nothing throws and no input traps.
// 5. International: digits = country code + national number, at most 15 in all (E.164), never
//    starting with 0. The country code is the 1–3 digit prefix found in the table below (calling
//    codes are prefix-free, so the first hit is the only one) and the national number's length
//    must be in its range. Only length is checked: an explicit country code is the sender's
//    claim and the table is not a numbering plan. A code not in the table is accepted when the
//    total is 8–15 digits.
//        1 NANP 10 · 7 Russia/Kazakhstan (77…) 10 · 33 France 9 · 34 Spain 9 · 39 Italy 6–11
//        44 UK 9–10 · 49 Germany 6–13 · 55 Brazil 10–11 · 86 China 10–11 · 90 Turkey 10
//        351 Portugal 9 · 375 Belarus 9 · 380 Ukraine 9 · 971 UAE 8–9 · 998 Uzbekistan 9
// 6. National numbers, by default region (the sales office the record came from):
//    RU (+7)   `8` trunk + 10 digits → +7 (`8 (495) 123-45-67` → +74951234567);
//              `7` + 10 digits → +7;  for both, the 10 digits must not start with 0 or 1
//              (so 8 7xx… reaches Kazakhstan, as dialled from Russia);
//              bare 10 digits starting 9 (mobile) or 3, 4, 8 (geographic) → +7.
//    ES (+34)  9 digits starting 6, 7, 8 or 9 (`912 345 678` → +34912345678).
//    PT (+351) 9 digits starting 2 or 9 (`21 123 4567` → +351211234567).
//    BR (+55)  10 or 11 digits: a 2-digit area code (DDD) 11–99 with no 0 digit (no DDD has one),
//              then 9 + 8 digits (mobile, 11 in all) or 8 digits starting 2–5 (landline, 10);
//              `(11) 91234-5678` → +5511912345678. A leading trunk `0` is removed, and so is
//              the carrier selection `0` + 2-digit carrier (`0 21 11 91234-5678`); the lengths
//              tell them apart (0 + 10/11 digits is trunk, 0 + 12/13 is carrier).
//    ES, PT and BR also accept their country code typed without `+` (`34 912 345 678`) when
//    what follows is a valid national number; RU's equivalent is the `7` rule above.
//    A number without `+` is never read as another region's national number.
// Known gap: Brazil's international form `00` + carrier + country code is not recognised; `00`
// is always read as the plain international prefix.

/// A phone number as received, with its E.164 form when it has one.
///
/// Equality and hashing include `raw`, so two receipts of one number written differently are
/// different values; key on `e164` to find the same phone.
public struct PhoneNumber: Sendable, Hashable, Codable {
    /// The number in E.164 (`+74951234567`); nil for an internal extension or an unparseable input,
    /// because a guess would merge unrelated customers.
    public let e164: String?
    /// Exactly what was received, kept for audit and for re-normalising if the rules change.
    public let raw: String
    /// What `raw` turned out to be.
    public let kind: Kind

    /// What a received number turned out to be.
    public enum Kind: String, Sendable, Codable {
        /// A public number; `e164` is set.
        case e164
        /// A short internal PBX number, which has no public form.
        case `extension`
        /// Not a phone number under the rules at the top of this file.
        case invalid
    }

    /// Normalises `raw` by the rules at the top of this file. Never throws: bad input is data
    /// to record, not a failure of the caller.
    /// - Parameter defaultRegion: where a number without a country code was dialled from,
    ///   normally the sales office the record belongs to.
    public static func normalise(_ raw: String, defaultRegion: Region) -> PhoneNumber {
        guard let (international, digits) = PhoneNumberRules.clean(raw) else {
            return PhoneNumber(e164: nil, raw: raw, kind: .invalid)
        }
        if !international && (2...5).contains(digits.count) {
            return PhoneNumber(e164: nil, raw: raw, kind: .extension)
        }
        guard let full = PhoneNumberRules.e164Digits(digits, international: international, region: defaultRegion)
        else { return PhoneNumber(e164: nil, raw: raw, kind: .invalid) }
        return PhoneNumber(e164: "+" + String(decoding: full.map { $0 + 0x30 }, as: UTF8.self), raw: raw, kind: .e164)
    }
}

/// A country with a DMS sales office, as its ISO 3166-1 alpha-2 code. It decides how a number
/// written without a country code is read; add a case together with its rule in
/// `PhoneNumberRules.national`.
public enum Region: String, Sendable, CaseIterable {
    /// Russia.
    case RU
    /// Spain.
    case ES
    /// Portugal.
    case PT
    /// Brazil.
    case BR

    /// The region for a code such as `ru` or ` RU ` (configuration and headers are not
    /// consistently cased), or nil for an unknown code.
    public static func parse(_ code: String) -> Region? {
        Region(rawValue: PhoneNumberRules.trimmed(code).uppercased())
    }
}

/// The rules behind `PhoneNumber.normalise`, on digits as values 0–9.
private enum PhoneNumberRules {
    typealias Digits = [UInt8]

    /// Country code → allowed national-number lengths (rule 5).
    static let countryCodes: [Digits: ClosedRange<Int>] = {
        let table: [(String, ClosedRange<Int>)] = [
            ("1", 10...10), ("7", 10...10), ("33", 9...9), ("34", 9...9), ("39", 6...11), ("44", 9...10),
            ("49", 6...13), ("55", 10...11), ("86", 10...11), ("90", 10...10), ("351", 9...9),
            ("375", 9...9), ("380", 9...9), ("971", 8...9), ("998", 9...9),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { (digits($0.0), $0.1) })
    }()

    /// Rule 2c's markers, in English, Spanish, Portuguese and Russian because those are the
    /// languages our offices write in. Order is irrelevant: a marker only counts when digits alone follow it.
    static let extensionMarkers: [[Character]] = [
        "добавочный", "extension", "extensión", "extensão", "ramal", "ext.", "доб.", "ext", "доб", "вн.",
        "вн", "x", "#",
    ].map { Array($0) }

    static func digits(_ text: String) -> Digits { text.utf8.map { $0 - 0x30 } }

    /// Rules 2 and 3: whether a `+` led, and the digits; nil when a character is not allowed.
    static func clean(_ raw: String) -> (international: Bool, digits: Digits)? {
        var text = Substring(trimmed(raw))
        if text.lowercased().hasPrefix("tel:") {
            text = text.dropFirst(4)
            if let parameters = text.firstIndex(of: ";") { text = text[..<parameters] }
        }
        let number = withoutExtension(String(text))
        var international = false
        var digits: Digits = []
        for scalar in number.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39:
                digits.append(UInt8(scalar.value - 0x30))
            case 0x2B:  // `+`
                guard !international, digits.isEmpty else { return nil }
                international = true
            default:
                guard isSeparator(scalar) else { return nil }
            }
        }
        return digits.isEmpty ? nil : (international, digits)
    }

    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        (0x200B...0x200F).contains(scalar.value) || scalar.value == 0x2060 || scalar.value == 0xFEFF
    }

    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x2D, 0x2E, 0x28, 0x29, 0x2010...0x2015, 0x2212: true  // - . ( ) and Unicode dashes
        default: scalar.properties.isWhitespace || isInvisible(scalar)
        }
    }

    static func trimmed(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let ignorable = { (s: Unicode.Scalar) in s.properties.isWhitespace || isInvisible(s) }
        guard let first = scalars.firstIndex(where: { !ignorable($0) }),
            let last = scalars.lastIndex(where: { !ignorable($0) })
        else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }

    /// Rule 2c. Works on the lowercased text: only digits, `+` and separators survive later, and
    /// those do not change case.
    static func withoutExtension(_ text: String) -> String {
        let chars = Array(text.lowercased())
        guard chars.contains(where: \.isASCIIDigit) else { return text }
        for start in chars.indices.reversed() {
            for marker in extensionMarkers
            where chars[start...].starts(with: marker) && isExtensionTail(chars[(start + marker.count)...]) {
                var head = chars[..<start]
                while let last = head.last, last.isWhitespace || last == "," || last == ";" { head.removeLast() }
                if head.contains(where: \.isASCIIDigit) { return String(head) }
            }
        }
        return text
    }

    /// Optional `.`, `:`, `=`, `-` or spaces, 1–6 digits, optional trailing spaces.
    static func isExtensionTail(_ tail: ArraySlice<Character>) -> Bool {
        let rest = tail.drop { $0.isWhitespace || $0 == "." || $0 == ":" || $0 == "=" || $0 == "-" }
        let number = rest.prefix(while: \.isASCIIDigit)
        return (1...6).contains(number.count) && rest.dropFirst(number.count).allSatisfy(\.isWhitespace)
    }

    /// Rule 4 a, c, d: country code + national number, or nil.
    static func e164Digits(_ digits: Digits, international: Bool, region: Region) -> Digits? {
        if international { return self.international(digits) }
        if digits.starts(with: [0, 0]) { return self.international(Array(digits.dropFirst(2))) }
        if region == .RU && digits.starts(with: [8, 1, 0]) { return self.international(Array(digits.dropFirst(3))) }
        return national(digits, region: region)
    }

    /// Rule 5.
    static func international(_ digits: Digits) -> Digits? {
        guard let first = digits.first, first != 0, digits.count <= 15 else { return nil }
        for length in 1...3 where digits.count > length {
            if let national = countryCodes[Array(digits.prefix(length))] {
                return national.contains(digits.count - length) ? digits : nil
            }
        }
        return (8...15).contains(digits.count) ? digits : nil
    }

    /// Rule 6.
    static func national(_ digits: Digits, region: Region) -> Digits? {
        switch region {
        case .RU:
            if digits.count == 11 && (digits[0] == 8 || digits[0] == 7) && digits[1] >= 2 {
                return [7] + digits.dropFirst()
            }
            if digits.count == 10 && [3, 4, 8, 9].contains(digits[0]) { return [7] + digits }
            return nil
        case .ES:
            return withCountryCode([3, 4], digits) { $0.count == 9 && (6...9).contains($0[0]) ? $0 : nil }
        case .PT:
            return withCountryCode([3, 5, 1], digits) { $0.count == 9 && ($0[0] == 2 || $0[0] == 9) ? $0 : nil }
        case .BR:
            return withCountryCode([5, 5], digits, brazil)
        }
    }

    /// `national(digits)`, else the same after a country code typed without `+`; prefixed with the code.
    static func withCountryCode(_ code: Digits, _ digits: Digits, _ national: (Digits) -> Digits?) -> Digits? {
        if let number = national(digits) { return code + number }
        guard digits.starts(with: code), let number = national(Array(digits.dropFirst(code.count))) else { return nil }
        return code + number
    }

    /// Brazilian number as dialled inside Brazil → national significant number.
    static func brazil(_ digits: Digits) -> Digits? {
        guard digits.first == 0 else { return brazilSignificant(digits) }
        let afterTrunk = Array(digits.dropFirst())
        switch afterTrunk.count {
        case 10, 11: return brazilSignificant(afterTrunk)
        case 12, 13: return brazilSignificant(Array(afterTrunk.dropFirst(2)))  // carrier code
        default: return nil
        }
    }

    static func brazilSignificant(_ digits: Digits) -> Digits? {
        guard digits.count == 10 || digits.count == 11, digits[0] != 0, digits[1] != 0 else { return nil }
        let valid = digits.count == 11 ? digits[2] == 9 : (2...5).contains(digits[2])
        return valid ? digits : nil
    }
}

extension Character {
    /// Only ASCII digits: `isNumber` would also admit `½`, `٣` and keycap sequences.
    fileprivate var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}
