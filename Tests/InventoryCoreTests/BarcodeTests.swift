import Foundation
import Testing

@testable import InventoryCore

@Suite("Inventory: barcodes")
struct BarcodeTests {
    /// Every parse below resolves two-digit years against this year, so results never depend on the clock.
    static let year = 2026
    static let gs = "\u{1D}"
    /// GS1's own example GTIN (EAN-13 9501101530003) with batch, expiry and serial.
    static let expected = ScannedCode(
        symbology: .gs1, gtin: "09501101530003", batch: "LOT-7", expiresOn: "2027-12-31", serial: "SN1")

    func parse(_ raw: String, currentYear: Int = year) throws -> ScannedCode {
        try Barcode.parse(raw, currentYear: currentYear)
    }

    /// The error a scan fails with, or `nil` when it parses.
    func failure(_ raw: String, currentYear: Int = year) -> BarcodeError? {
        do {
            _ = try Barcode.parse(raw, currentYear: currentYear)
            return nil
        } catch {
            return error
        }
    }

    /// The reason of a `.malformed` failure, or `nil` for success or any other error.
    func malformedReason(_ raw: String) -> String? {
        if case .malformed(let reason) = failure(raw) { reason } else { nil }
    }

    // MARK: - Plain EAN / GTIN

    @Test("a valid EAN-13 becomes a GTIN-14 padded with one leading zero")
    func validEAN13() throws {
        #expect(try parse("4600000000015") == ScannedCode(symbology: .ean13, gtin: "04600000000015"))
        #expect(try parse("9501101530003") == ScannedCode(symbology: .ean13, gtin: "09501101530003"))
        #expect(try parse("4600000000060") == ScannedCode(symbology: .ean13, gtin: "04600000000060"))
    }

    @Test("every wrong EAN-13 check digit is reported with the correct one", arguments: [0, 1, 2, 3, 4, 6, 7, 8, 9])
    func wrongEAN13CheckDigit(digit: Int) {
        let code = "460000000001\(digit)"
        #expect(failure(code) == .badCheckDigit(gtin: code, expected: 5))
    }

    @Test("4600000000017 is not a valid EAN-13: its check digit should be 5")
    func commonlyQuotedExampleIsInvalid() {
        let error = failure("4600000000017")
        #expect(error == .badCheckDigit(gtin: "4600000000017", expected: 5))
        #expect(error?.description == "GTIN 4600000000017 has check digit 7, but it should be 5.")
    }

    @Test("a valid EAN-8 is padded with six zeros; a wrong check digit names the right one")
    func ean8() throws {
        #expect(try parse("96385074") == ScannedCode(symbology: .ean8, gtin: "00000096385074"))
        #expect(failure("96385070") == .badCheckDigit(gtin: "96385070", expected: 4))
    }

    @Test("a bare GTIN-14 is kept as is and its check digit verified")
    func bareGTIN14() throws {
        #expect(try parse("09501101530003") == ScannedCode(symbology: .gs1, gtin: "09501101530003"))
        #expect(failure("09501101530009") == .badCheckDigit(gtin: "09501101530009", expected: 3))
    }

    @Test(
        "checkDigit matches published GS1 and EAN examples",
        arguments: [
            ("950110153000", 3), ("0950110153000", 3), ("460000000001", 5), ("400638133393", 1),
            ("590123412345", 7), ("9638507", 4), ("10614141123456789", 7), ("460000000006", 0),
        ])
    func publishedCheckDigits(digits: String, check: Int) {
        #expect(Barcode.checkDigit(digits) == check)
        #expect(Barcode.checkDigit(Substring(digits)) == check)
    }

    @Test("surrounding whitespace and a trailing CR/LF are ignored")
    func whitespaceIsTrimmed() throws {
        #expect(try parse("  9501101530003\r\n") == ScannedCode(symbology: .ean13, gtin: "09501101530003"))
        #expect(try parse("\t(01)09501101530003(17)271231(10)LOT-7(21)SN1\n") == Self.expected)
    }

    @Test("an EAN scan with its AIM symbology identifier (]E0, ]E4) is accepted")
    func eanSymbologyIdentifier() throws {
        #expect(try parse("]E09501101530003") == ScannedCode(symbology: .ean13, gtin: "09501101530003"))
        #expect(try parse("]E496385074") == ScannedCode(symbology: .ean8, gtin: "00000096385074"))
        #expect(malformedReason("]E0" + "0109501101530003")?.contains("8 or 13 digits") == true)
    }

    @Test("without an injected year, parsing uses the current UTC year")
    func defaultYear() throws {
        #expect(Barcode.currentUTCYear >= 2025)
        #expect(try Barcode.parse("(01)09501101530003(17)271231").expiresOn == "2027-12-31")
    }

    @Test("digits of a length no EAN or GTIN has are rejected")
    func oddDigitCount() {
        #expect(malformedReason("950110153000")?.contains("8, 13 or 14 digits") == true)
    }

    // MARK: - GS1 element strings

    @Test("raw form: GS ends the batch before the serial")
    func rawWithSeparator() throws {
        #expect(try parse("0109501101530003" + "17271231" + "10LOT-7" + Self.gs + "21SN1") == Self.expected)
    }

    @Test("raw form: the batch may come last without a trailing GS")
    func rawBatchLast() throws {
        #expect(try parse("0109501101530003" + "17271231" + "21SN1" + Self.gs + "10LOT-7") == Self.expected)
    }

    @Test("raw form: a GS1 symbology identifier is stripped", arguments: ["]C1", "]d2", "]Q3", "]e0"])
    func rawWithSymbologyIdentifier(prefix: String) throws {
        #expect(try parse(prefix + "0109501101530003" + "17271231" + "10LOT-7" + Self.gs + "21SN1") == Self.expected)
    }

    @Test("raw form: a leading FNC1 sent as GS is accepted")
    func leadingFNC1() throws {
        #expect(try parse(Self.gs + "010950110153000317271231" + "10LOT-7" + Self.gs + "21SN1") == Self.expected)
    }

    @Test("raw form: a redundant GS after a fixed-length field or at the end is tolerated")
    func redundantSeparators() throws {
        let raw = "0109501101530003" + Self.gs + "17271231" + Self.gs + "10LOT-7" + Self.gs + "21SN1" + Self.gs
        #expect(try parse(raw) == Self.expected)
    }

    @Test("bracketed form gives the same values, whatever the order of the AIs")
    func bracketedForm() throws {
        let ordered = try parse("(01)09501101530003(17)271231(10)LOT-7(21)SN1")
        let shuffled = try parse("(21)SN1(10)LOT-7(17)271231(01)09501101530003")
        let raw = try parse("]C1" + "0109501101530003" + "17271231" + "10LOT-7" + Self.gs + "21SN1")
        #expect(ordered == Self.expected)
        #expect(shuffled == ordered)
        #expect(raw == ordered)
    }

    @Test("production date is read from AI 11")
    func productionDate() throws {
        let code = try parse("(01)09501101530003(11)250315")
        #expect(code.producedOn == "2025-03-15")
        #expect(code.expiresOn == nil && code.batch == nil && code.serial == nil)
    }

    @Test("an unsupported AI is named, in bracketed and in raw form")
    func unknownAI() {
        #expect(failure("(01)09501101530003(99)ABC") == .unknownApplicationIdentifier("99"))
        #expect(failure("(01)09501101530003(3103)000500") == .unknownApplicationIdentifier("3103"))
        #expect(failure("0109501101530003" + "3012") == .unknownApplicationIdentifier("30"))
        #expect(BarcodeError.unknownApplicationIdentifier("30").description.contains("(30)"))
    }

    @Test("a wrong GTIN check digit inside AI 01 is reported")
    func badGTINInsideAI01() {
        #expect(failure("(01)04600000000017(17)271231") == .badCheckDigit(gtin: "04600000000017", expected: 5))
        #expect(failure("0109501101530004" + "10LOT") == .badCheckDigit(gtin: "09501101530004", expected: 3))
    }

    @Test("an element string without AI 01 is malformed")
    func missingGTIN() {
        #expect(malformedReason("(17)271231(10)LOT-7")?.contains("AI 01") == true)
    }

    @Test("the same AI twice is malformed")
    func duplicateAI() {
        #expect(malformedReason("0109501101530003" + "10A" + Self.gs + "10B")?.contains("AI 10") == true)
        #expect(malformedReason("(01)09501101530003(17)271231(17)281231")?.contains("AI 17") == true)
    }

    @Test("batch and serial must hold 1 to 20 characters")
    func variableLengthLimits() throws {
        let twenty = String(repeating: "B", count: 20)
        #expect(try parse("(01)09501101530003(10)\(twenty)").batch == twenty)
        #expect(malformedReason("(01)09501101530003(10)\(twenty)X")?.contains("at most 20") == true)
        #expect(malformedReason("0109501101530003" + "21\(twenty)X")?.contains("AI 21") == true)
        #expect(malformedReason("(01)09501101530003(10)(21)SN1")?.contains("empty") == true)
    }

    @Test("a short date field is malformed and says what was expected")
    func shortDate() {
        #expect(failure("(01)09501101530003(17)2612") == .malformed("AI 17 needs 6 digits (YYMMDD), got '2612'"))
        #expect(failure("0109501101530003" + "172612") == .malformed("AI 17 needs 6 digits (YYMMDD), got '2612'"))
    }

    // MARK: - Dates

    @Test(
        "expiry day 00 means the last day of that month",
        arguments: [
            ("280200", "2028-02-29"), ("270200", "2027-02-28"), ("261100", "2026-11-30"), ("261200", "2026-12-31"),
        ])
    func expiryDayZero(yymmdd: String, iso: String) throws {
        #expect(try parse("(01)09501101530003(17)\(yymmdd)").expiresOn == iso)
    }

    @Test("production day 00 is read as the first day of that month")
    func productionDayZero() throws {
        #expect(try parse("(01)09501101530003(11)250300").producedOn == "2025-03-01")
    }

    @Test(
        "two-digit years follow the GS1 sliding century window",
        arguments: [
            (2026, "76", "2076"), (2026, "77", "1977"), (2026, "00", "2000"), (2026, "99", "1999"),
            (2000, "50", "2050"), (2000, "51", "1951"), (2080, "30", "2130"), (2080, "31", "2031"),
        ])
    func centuryWindow(currentYear: Int, yy: String, year: String) throws {
        let code = try parse("(01)09501101530003(17)\(yy)0115", currentYear: currentYear)
        #expect(code.expiresOn == "\(year)-01-15")
    }

    @Test(
        "impossible calendar dates are rejected",
        arguments: ["261301", "260001", "280230", "270229", "260431", "260132"])
    func invalidDates(yymmdd: String) {
        #expect(failure("(01)09501101530003(17)\(yymmdd)") == .invalidDate(ai: "17", value: yymmdd))
        #expect(failure("(01)09501101530003(11)\(yymmdd)") == .invalidDate(ai: "11", value: yymmdd))
    }

    // MARK: - Empty input and messages

    @Test("an empty scan is reported as empty", arguments: ["", "   ", "\r\n", "]C1"])
    func emptyInput(raw: String) {
        #expect(failure(raw) == .empty)
    }

    @Test("an unknown symbology identifier is malformed")
    func unknownSymbologyIdentifier() {
        #expect(malformedReason("]A0" + "0109501101530003")?.contains("]A0") == true)
    }

    @Test("error descriptions are sentences naming the problem")
    func descriptions() {
        #expect(BarcodeError.empty.description == "The scanned code is empty.")
        #expect(BarcodeError.invalidDate(ai: "17", value: "261301").description.contains("'261301'"))
        #expect(BarcodeError.malformed("AI 01 is missing").description.hasSuffix("AI 01 is missing."))
    }
}
