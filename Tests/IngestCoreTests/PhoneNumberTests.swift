import Foundation
import Testing
import TestSupport
import Contracts

@testable import IngestCore

/// One case per rule in the spec block at the top of `PhoneNumber.swift`.
@Suite("Ingest: phone numbers to E.164")
struct PhoneNumberTests {
    /// Every input here is expected to normalise to an E.164 number.
    static let valid: [(raw: String, region: Region, e164: String)] =
        russia + spain + portugal + brazil + internationalPrefixes + countryTable + envelope

    // MARK: Region

    @Test("region codes parse case-insensitively", arguments: [
        ("RU", Region.RU), ("ru", .RU), ("Ru", .RU), (" ru ", .RU), ("ES", .ES), ("es", .ES),
        ("PT", .PT), ("pT", .PT), ("BR", .BR), ("br\n", .BR),
    ])
    func regionParses(code: String, region: Region) {
        #expect(Region.parse(code) == region)
    }

    @Test("unknown region codes parse to nil", arguments: ["", " ", "XX", "RUS", "R U", "7", "Россия", "E S"])
    func regionRejects(code: String) {
        #expect(Region.parse(code) == nil)
    }

    @Test("every region parses from its own raw value in any case")
    func regionRoundTrips() {
        for region in Region.allCases {
            #expect(Region.parse(region.rawValue) == region)
            #expect(Region.parse(region.rawValue.lowercased()) == region)
        }
        #expect(Set(Region.allCases.map(\.rawValue)) == ["RU", "ES", "PT", "BR"])
    }

    // MARK: National numbers

    static let russia: [(raw: String, region: Region, e164: String)] = [
        ("8 (495) 123-45-67", .RU, "+74951234567"),  // the spec's example: trunk 8
        ("84951234567", .RU, "+74951234567"),
        ("8-916-123-45-67", .RU, "+79161234567"),
        ("8.812.123.45.67", .RU, "+78121234567"),
        ("8 800 555 35 35", .RU, "+78005553535"),
        ("8 (701) 123 45 67", .RU, "+77011234567"),  // Kazakhstan dialled from Russia
        ("8\u{00A0}495\u{00A0}123\u{2011}45\u{2011}67", .RU, "+74951234567"),  // NBSP, non-breaking hyphen
        ("8\u{202F}495\u{2007}123 45 67", .RU, "+74951234567"),  // narrow NBSP, figure space
        ("74951234567", .RU, "+74951234567"),  // 7 + 10 digits
        ("7 (916) 123-45-67", .RU, "+79161234567"),
        ("9161234567", .RU, "+79161234567"),  // bare mobile
        ("(916) 123 45 67", .RU, "+79161234567"),
        ("4951234567", .RU, "+74951234567"),  // bare geographic, 4
        ("343 123 45 67", .RU, "+73431234567"),  // bare geographic, 3
        ("812 123 45 67", .RU, "+78121234567"),  // bare geographic, 8
    ]

    static let spain: [(raw: String, region: Region, e164: String)] = [
        ("912 345 678", .ES, "+34912345678"),  // the spec's example
        ("912345678", .ES, "+34912345678"),
        ("91 234 56 78", .ES, "+34912345678"),
        ("612 34 56 78", .ES, "+34612345678"),
        ("712-345-678", .ES, "+34712345678"),
        ("812.345.678", .ES, "+34812345678"),
        ("34 912 345 678", .ES, "+34912345678"),  // country code without +
    ]

    static let portugal: [(raw: String, region: Region, e164: String)] = [
        ("21 123 4567", .PT, "+351211234567"),  // the spec's example
        ("912 345 678", .PT, "+351912345678"),  // the spec's example
        ("22 123 45 67", .PT, "+351221234567"),
        ("211234567", .PT, "+351211234567"),
        ("351 912 345 678", .PT, "+351912345678"),  // country code without +
    ]

    static let brazil: [(raw: String, region: Region, e164: String)] = [
        ("(11) 91234-5678", .BR, "+5511912345678"),  // the spec's example
        ("11912345678", .BR, "+5511912345678"),
        ("(21) 2345-6789", .BR, "+552123456789"),  // landline, 10 digits
        ("(99) 5678-1234", .BR, "+559956781234"),
        ("0 11 91234-5678", .BR, "+5511912345678"),  // trunk 0
        ("(011) 2345-6789", .BR, "+551123456789"),
        ("0 21 11 91234-5678", .BR, "+5511912345678"),  // the spec's carrier selection example
        ("0 15 21 2345-6789", .BR, "+552123456789"),  // carrier selection, landline
        ("55 11 91234-5678", .BR, "+5511912345678"),  // country code without +
        ("55 (21) 2345-6789", .BR, "+552123456789"),
        ("(55) 91234-5678", .BR, "+5555912345678"),  // area code 55 is national, not the country code
    ]

    @Test("Russian national numbers", arguments: russia)
    func russianNational(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("Spanish national numbers", arguments: spain)
    func spanishNational(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("Portuguese national numbers", arguments: portugal)
    func portugueseNational(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("Brazilian national numbers", arguments: brazil)
    func brazilianNational(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("national numbers that break their region's rules are invalid", arguments: [
        ("7161234567", Region.RU),  // bare 10 digits must start 3, 4, 8 or 9
        ("5161234567", .RU),
        ("6161234567", .RU),
        ("8 012 345 67 89", .RU),  // national part starting 0
        ("7 123 456 78 90", .RU),  // national part starting 1
        ("916 123 45 6", .RU),  // 9 digits
        ("8 916 123 45 678", .RU),  // 12 digits
        ("123 45 67", .RU),  // local number without area code
        ("512 345 678", .ES),  // Spain starts 6–9
        ("012 345 678", .ES),
        ("91 234 567", .ES),  // 8 digits
        ("9123 456 789", .ES),  // 10 digits
        ("34 512 345 678", .ES),  // country code, bad national number
        ("312 345 678", .PT),  // Portugal starts 2 or 9
        ("612 345 678", .PT),
        ("21 123 456", .PT),  // 8 digits
        ("351 612 345 678", .PT),
        ("(11) 81234-5678", .BR),  // 11 digits without the mobile 9
        ("(11) 1234-5678", .BR),  // landline starts 2–5
        ("(11) 9234-5678", .BR),  // 10-digit number starting 9: old mobile without its 9
        ("(01) 91234-5678", .BR),  // area code with 0
        ("(10) 2345-6789", .BR),
        ("0 (10) 2345-6789", .BR),
        ("91234-5678", .BR),  // no area code
        ("0 1 11 91234-5678", .BR),  // 0 + 12 digits needs a 2-digit carrier before a valid number
        ("0 21 11 81234-5678", .BR),
        ("55 11 81234-5678", .BR),
    ])
    func nationalInvalid(raw: String, region: Region) {
        expectInvalid(raw, region)
    }

    @Test("a national number is read only in its own region", arguments: [
        ("912 345 678", Region.RU, nil), ("912 345 678", .ES, "+34912345678"),
        ("912 345 678", .PT, "+351912345678"), ("912 345 678", .BR, nil),
        ("8 (495) 123-45-67", .RU, "+74951234567"), ("8 (495) 123-45-67", .ES, nil),
        ("8 (495) 123-45-67", .PT, nil),
        ("8 (495) 123-45-67", .BR, "+5584951234567"),  // also a valid Brazilian mobile: DDD 84
        ("(11) 91234-5678", .RU, nil), ("(11) 91234-5678", .ES, nil),
        ("(11) 91234-5678", .PT, nil), ("(11) 91234-5678", .BR, "+5511912345678"),
        ("21 123 4567", .PT, "+351211234567"), ("21 123 4567", .ES, nil),
        ("9161234567", .RU, "+79161234567"), ("9161234567", .BR, nil),
    ] as [(String, Region, String?)])
    func regionMatters(raw: String, region: Region, e164: String?) {
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        #expect(number.e164 == e164)
        #expect(number.kind == (e164 == nil ? .invalid : .e164))
    }

    // MARK: International

    static let internationalPrefixes: [(raw: String, region: Region, e164: String)] =
        Region.allCases.flatMap { region in
            [
                ("+7 495 123-45-67", region, "+74951234567"),
                ("+7(495)1234567", region, "+74951234567"),
                ("(+7) 495 123 45 67", region, "+74951234567"),
                ("+ 7 916 123 45 67", region, "+79161234567"),
                ("007 495 123 45 67", region, "+74951234567"),
                ("00 34 912 345 678", region, "+34912345678"),
                ("00351 21 123 4567", region, "+351211234567"),
                ("0055 11 91234 5678", region, "+5511912345678"),
                ("+34 912 345 678", region, "+34912345678"),
                ("+351 912 345 678", region, "+351912345678"),
                ("+55 (11) 91234-5678", region, "+5511912345678"),
                ("+7 701 123 4567", region, "+77011234567"),  // Kazakhstan within +7
            ]
        } + [
            ("810 34 912 345 678", .RU, "+34912345678"),  // the Russian international prefix
            ("8-10-44-20-7946-0958", .RU, "+442079460958"),
            ("810 7 495 123 45 67", .RU, "+74951234567"),
        ]

    static let countryTable: [(raw: String, region: Region, e164: String)] = [
        ("+1 (212) 555-0123", .RU, "+12125550123"),
        ("+33 1 23 45 67 89", .ES, "+33123456789"),
        ("+39 06 1234 5678", .PT, "+390612345678"),
        ("+39 0123 45", .PT, "+39012345"),  // Italy's shortest, 6 digits
        ("+44 20 7946 0958", .BR, "+442079460958"),
        ("+44 1632 96096", .BR, "+44163296096"),  // UK 9 digits
        ("+49 30 123456", .RU, "+4930123456"),
        ("+49 30 1234 5678 901", .RU, "+493012345678901"),  // 13 digits, 15 in all
        ("+86 138 0013 8000", .ES, "+8613800138000"),
        ("+86 10 1234 5678", .ES, "+861012345678"),
        ("+90 212 123 45 67", .PT, "+902121234567"),
        ("+971 50 123 4567", .BR, "+971501234567"),
        ("+971 2 123 4567", .BR, "+97121234567"),
        ("+998 90 123 45 67", .RU, "+998901234567"),
        ("+375 29 123 45 67", .RU, "+375291234567"),
        ("+380 44 123 4567", .RU, "+380441234567"),
        ("+48 12 345 67 89", .PT, "+48123456789"),  // not in the table: 8–15 digits accepted
        ("+420 123 456 789", .PT, "+420123456789"),
        ("+23012345", .ES, "+23012345"),  // unknown code, 8 digits
        ("+234 123 456 789 012", .ES, "+234123456789012"),  // unknown code, 15 digits
    ]

    @Test("international numbers", arguments: internationalPrefixes + countryTable)
    func international(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("international numbers of the wrong length or shape are invalid", arguments: [
        "+7 495 123 45 6", "+7 495 123 45 678", "+1 212 555 012", "+1 212 555 01234", "+33 1 23 45 67 8",
        "+34 91 234 567", "+34 912 345 6789", "+39 0123 4", "+44 20 7946 09", "+49 30 123",
        "+55 11 1234 567", "+55 11 91234 56789", "+86 10 1234 567", "+90 212 123 45 6", "+351 21 123 456",
        "+375 29 123 45 6", "+380 44 123 456", "+971 2 123 456", "+998 90 123 45 6",
        "+2301234",  // unknown code, 7 digits
        "+234 123 456 789 0123",  // 16 digits
        "+0 123 456 789", "00 0 123 456 789", "+", "++7 495 123 45 67", "+7 495 +123 45 67",
        "7+4951234567",
    ])
    func internationalInvalid(raw: String) {
        for region in Region.allCases { expectInvalid(raw, region) }
    }

    @Test("810 is an international prefix only in Russia")
    func russianPrefixOnlyInRussia() {
        expectE164("810 34 912 345 678", .RU, "+34912345678")
        for region in [Region.ES, .PT, .BR] { expectInvalid("810 34 912 345 678", region) }
    }

    // MARK: Extensions

    @Test("internal extensions", arguments: ["201", "1001", "12", "99999", "10-01", " 305 ", "tel:201", "810", "007"])
    func internalExtension(raw: String) {
        for region in Region.allCases {
            let number = PhoneNumber.normalise(raw, defaultRegion: region)
            #expect(number.kind == .extension)
            #expect(number.e164 == nil)
            #expect(number.raw == raw)
        }
    }

    @Test("one digit, six or seven digits, or an extension with a + are not extensions", arguments: [
        "1", "7", "123456", "1234567", "+201", "+1001",
    ])
    func notExtension(raw: String) {
        for region in Region.allCases { expectInvalid(raw, region) }
    }

    // MARK: Envelope: tel: URIs and extension markers

    static let envelope: [(raw: String, region: Region, e164: String)] = [
        ("tel:+7-495-123-45-67", .RU, "+74951234567"),
        ("TEL:+34912345678", .ES, "+34912345678"),
        ("tel:+351-21-123-4567;ext=12", .PT, "+351211234567"),
        ("tel:8-495-123-45-67", .RU, "+74951234567"),
        ("tel:+55-11-91234-5678;phone-context=example.com", .BR, "+5511912345678"),
        ("+7 495 123-45-67 ext. 12", .RU, "+74951234567"),
        ("+7 495 123-45-67 Ext.12", .ES, "+74951234567"),
        ("+7 495 123-45-67 extension 1234", .PT, "+74951234567"),
        ("8 (495) 123-45-67 доб. 12", .RU, "+74951234567"),
        ("8 (495) 123-45-67, ДОБ 123", .RU, "+74951234567"),
        ("8 (495) 123-45-67 добавочный 4", .RU, "+74951234567"),
        ("8 (495) 123-45-67 вн. 201", .RU, "+74951234567"),
        ("+7 495 1234567 x12", .BR, "+74951234567"),
        ("+7 495 1234567x12", .BR, "+74951234567"),
        ("+7 495 1234567 X 12", .BR, "+74951234567"),
        ("912 345 678 ext 123456", .ES, "+34912345678"),
        ("912 345 678 extensión 5", .ES, "+34912345678"),
        ("21 123 4567 extensão 5", .PT, "+351211234567"),
        ("(11) 91234-5678 ramal 25", .BR, "+5511912345678"),
        ("+351 21 123 4567 #12", .PT, "+351211234567"),
        ("  \u{200E}+7 495 123 45 67\u{FEFF} ", .RU, "+74951234567"),  // invisible marks from copy-paste
        ("\t+7 495 123 45 67\n", .RU, "+74951234567"),
    ]

    @Test("tel: URIs and trailing extensions are dropped from the E.164 and kept in raw", arguments: envelope)
    func envelopeDropped(raw: String, region: Region, e164: String) {
        expectE164(raw, region, e164)
    }

    @Test("extension markers without a number, or not at the end, leave the number invalid", arguments: [
        "ext. 12", "x12", "доб. 5", "+7 495 123 45 67 ext.", "+7 495 123 45 67 ext 1234567",
        "+7 495 123 45 67 ext 12 call after 6", "+7 495 x 123 45 67", "+7 495 123 45 67 #",
    ])
    func extensionMarkerMisuse(raw: String) {
        for region in Region.allCases { expectInvalid(raw, region) }
    }

    // MARK: Garbage

    @Test("garbage is invalid, never a crash", arguments: [
        "", " ", "\u{00A0}", "-", "()", "abc", "call me", "n/a", "📞", "📞 +7 495 123 45 67",
        "+7 495 123 45 67 😀", "1️⃣2️⃣3️⃣", "+7 495 12X 45 67", "８ ４９５ １２３ ４５ ６７",  // full-width digits
        "٨٤٩٥١٢٣٤٥٦٧",  // Arabic-Indic digits
        "123456789012345678901234567890", "+123456789012345678901234567890",
        "00123456789012345678901234567890", String(repeating: "9", count: 10_000), "tel:", "tel:;ext=1",
        "8/495/123/45/67", "+7 495 123 45 67; +7 916 123 45 67", "8 (495) 123-45-67 (office)",
        "\u{0}", "+7\u{0}4951234567", "mailto:+74951234567",
    ])
    func garbage(raw: String) {
        for region in Region.allCases { expectInvalid(raw, region) }
    }

    @Test("random and mutated inputs keep the invariants")
    func randomInputs() {
        var random = SplitMix64(seed: 0x5EED)
        let digits = "0123456789".map(String.init)
        let alphabet = digits + digits + digits + " -().+\u{00A0};:#x".map(String.init) + ["ext. ", "доб ", "tel:", "00", "810"]
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        var produced = 0
        for round in 0..<6_000 {
            var raw: String
            if round.isMultiple(of: 2) {
                raw = (0..<Int(random.next() % 20)).map { _ in pick(alphabet) }.joined()
            } else {
                // One to three edits of a valid number: near misses are where length rules bite.
                var characters = Array(pick(Self.valid).raw).map(String.init)
                for _ in 0...(random.next() % 3) {
                    let at = Int(random.next() % UInt64(characters.count + 1))
                    switch random.next() % 3 {
                    case 0: characters.insert(pick(alphabet), at: at)
                    case 1 where at < characters.count: characters.remove(at: at)
                    default: if at < characters.count { characters[at] = pick(digits) }
                    }
                }
                raw = characters.joined()
            }
            let region = pick(Region.allCases)
            let number = PhoneNumber.normalise(raw, defaultRegion: region)
            #expect(number.raw == raw)
            #expect((number.kind == .e164) == (number.e164 != nil))
            if let e164 = number.e164 {
                produced += 1
                #expect(Self.isE164(e164), "\(raw.debugDescription) → \(e164)")
                #expect(PhoneNumber.normalise(e164, defaultRegion: pick(Region.allCases)).e164 == e164)
            }
        }
        #expect(produced > 500, "the generator should reach the valid paths, not only garbage")
    }

    // MARK: Properties

    @Test("normalising an E.164 result again, in any region, gives the same number", arguments: valid)
    func idempotent(raw: String, region: Region, e164: String) throws {
        let first = try #require(PhoneNumber.normalise(raw, defaultRegion: region).e164)
        #expect(Self.isE164(first))
        for other in Region.allCases {
            let again = PhoneNumber.normalise(first, defaultRegion: other)
            #expect(again.e164 == e164)
            #expect(again.kind == .e164)
            #expect(again.raw == first)
        }
    }

    @Test("Codable round trip keeps raw, e164 and kind", arguments: [
        ("8 (495) 123-45-67 доб. 12", Region.RU), ("(11) 91234-5678", .BR), ("1001", .ES), ("📞 abc", .PT), ("", .RU),
    ])
    func codableRoundTrip(raw: String, region: Region) throws {
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        let data = try JSONEncoder().encode(number)
        let decoded = try JSONDecoder().decode(PhoneNumber.self, from: data)
        #expect(decoded == number)
        #expect(decoded.raw == raw)
        #expect(decoded.hashValue == number.hashValue)
    }

    @Test("the JSON form uses the kind's raw value and omits a missing e164")
    func codableShape() throws {
        let json = try JSONDecoder().decode(
            [String: String].self, from: JSONEncoder().encode(PhoneNumber.normalise("201", defaultRegion: .RU)))
        #expect(json == ["raw": "201", "kind": "extension"])
        let decoded = try JSONDecoder().decode(
            PhoneNumber.self, from: Data(#"{"raw":"+7 495 123 45 67","e164":"+74951234567","kind":"e164"}"#.utf8))
        #expect(decoded == PhoneNumber.normalise("+7 495 123 45 67", defaultRegion: .ES))
    }

    @Test("equality includes raw; the same phone is found by e164")
    func equality() {
        let a = PhoneNumber.normalise("8 (495) 123-45-67", defaultRegion: .RU)
        let b = PhoneNumber.normalise("+7 495 123 45 67", defaultRegion: .RU)
        #expect(a != b)
        #expect(a.e164 == b.e164)
        #expect(a == PhoneNumber.normalise("8 (495) 123-45-67", defaultRegion: .RU))
    }

    // MARK: Helpers

    private func expectE164(
        _ raw: String, _ region: Region, _ e164: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        #expect(number.e164 == e164, "\(raw.debugDescription) in \(region)", sourceLocation: sourceLocation)
        #expect(number.kind == .e164, sourceLocation: sourceLocation)
        #expect(number.raw == raw, sourceLocation: sourceLocation)
    }

    private func expectInvalid(_ raw: String, _ region: Region, sourceLocation: SourceLocation = #_sourceLocation) {
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        #expect(number.kind == .invalid, "\(raw.debugDescription) in \(region)", sourceLocation: sourceLocation)
        #expect(number.e164 == nil, sourceLocation: sourceLocation)
        #expect(number.raw == raw, sourceLocation: sourceLocation)
    }

    /// `+`, a non-zero digit, 8–15 digits in all.
    private static func isE164(_ text: String) -> Bool {
        let digits = text.dropFirst()
        return text.first == "+" && (8...15).contains(digits.count) && digits.first != "0"
            && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

