import Foundation
import Testing
import TestSupport

@testable import DealerInfoCore

@Suite("Dealer-info: segment rules")
struct SegmentRuleTests {
    // MARK: - Fixtures

    static func decimal(_ text: String) -> Decimal {
        Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
    }

    /// A fixed id per number, so sorted results can be written down.
    static func id(_ number: Int) -> UUID {
        let digits = String(number)
        return UUID(uuidString: "00000000-0000-0000-0000-" + String(repeating: "0", count: 12 - digits.count) + digits)!
    }

    static func dealer(
        _ code: String = "D-001", number: Int = 1, region: String = "Урал", tier: String = "gold",
        status: String = "active", attributes: [String: AttributeValue] = [:]
    ) -> DealerProfile {
        DealerProfile(id: id(number), code: code, region: region, tier: tier, status: status, attributes: attributes)
    }

    /// A gold dealer in the Urals with a turnover, an online shop and a text-held area.
    static let ural = dealer(
        "D-001",
        attributes: [
            "turnover": .number(decimal("1500000")), "online": .flag(true), "area": .text(" 250.5 "),
            "brand": .text("Husqvarna"), "note": .text("12abc"),
        ])

    func decode(_ json: String) throws -> SegmentRule {
        try JSONDecoder().decode(SegmentRule.self, from: Data(json.utf8))
    }

    func encode(_ rule: SegmentRule) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(rule), as: UTF8.self)
    }

    /// The description and coding path of the `DecodingError` decoding `json` throws, or `nil`.
    static func decodingFailure<T: Decodable>(_ type: T.Type, _ json: String) -> (message: String, path: String)? {
        do {
            _ = try JSONDecoder().decode(type, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            let context: DecodingError.Context
            switch error {
            case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
            @unknown default: return ("unexpected DecodingError \(error)", "")
            }
            return (context.debugDescription, context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            return ("not a DecodingError: \(error)", "")
        }
    }

    // MARK: - equals

    @Test("equals matches a built-in field case-insensitively, ignoring surrounding spaces")
    func equalsBuiltInCaseInsensitive() {
        #expect(SegmentRule.equals(attribute: "tier", value: .text("gold")).matches(Self.ural))
        #expect(SegmentRule.equals(attribute: "tier", value: .text("  GOLD ")).matches(Self.ural))
        #expect(SegmentRule.equals(attribute: "code", value: .text("d-001")).matches(Self.ural))
        #expect(SegmentRule.equals(attribute: "status", value: .text("Active")).matches(Self.ural))
    }

    @Test("equals compares Cyrillic text case-insensitively")
    func equalsCyrillic() {
        #expect(SegmentRule.equals(attribute: "region", value: .text("УРАЛ")).matches(Self.ural))
        #expect(SegmentRule.equals(attribute: "region", value: .text("урал")).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "region", value: .text("Сибирь")).matches(Self.ural))
    }

    @Test("equals does not match another value")
    func equalsNoMatch() {
        #expect(!SegmentRule.equals(attribute: "tier", value: .text("silver")).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "brand", value: .text("Stihl")).matches(Self.ural))
        // Inner spaces are part of the value; only the ends are trimmed.
        #expect(!SegmentRule.equals(attribute: "brand", value: .text("Husq varna")).matches(Self.ural))
    }

    @Test("the built-in fields win over a free attribute of the same name")
    func builtInsShadowAttributes() {
        let dealer = Self.dealer(tier: "bronze", attributes: ["tier": .text("gold"), "region": .text("Сибирь")])
        #expect(SegmentRule.equals(attribute: "tier", value: .text("bronze")).matches(dealer))
        #expect(!SegmentRule.equals(attribute: "tier", value: .text("gold")).matches(dealer))
        #expect(SegmentRule.equals(attribute: "region", value: .text("Урал")).matches(dealer))
        #expect(dealer.attribute("tier") == .text("bronze"))
    }

    @Test("equals compares numbers numerically, and a numeric text counts as its number")
    func equalsNumbers() {
        #expect(SegmentRule.equals(attribute: "turnover", value: .number(Self.decimal("1500000.00"))).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "turnover", value: .number(Self.decimal("1500000.01"))).matches(Self.ural))
        #expect(SegmentRule.equals(attribute: "area", value: .number(Self.decimal("250.50"))).matches(Self.ural))
        // A number written as text in the rule compares numerically with a number attribute.
        #expect(SegmentRule.equals(attribute: "turnover", value: .text("1500000.0")).matches(Self.ural))
    }

    @Test("a text that is not a plain decimal never equals a number")
    func equalsTextIsNotANumber() {
        let dealer = Self.dealer(attributes: ["grade": .text("12abc"), "spaced": .text("1 000"), "comma": .text("1,5")])
        #expect(!SegmentRule.equals(attribute: "grade", value: .number(12)).matches(dealer))
        #expect(!SegmentRule.equals(attribute: "spaced", value: .number(1000)).matches(dealer))
        #expect(!SegmentRule.equals(attribute: "comma", value: .number(Self.decimal("1.5"))).matches(dealer))
        #expect(!SegmentRule.equals(attribute: "tier", value: .number(1)).matches(dealer))
    }

    @Test("flags equal only flags")
    func equalsFlags() {
        #expect(SegmentRule.equals(attribute: "online", value: .flag(true)).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "online", value: .flag(false)).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "online", value: .text("true")).matches(Self.ural))
        #expect(!SegmentRule.equals(attribute: "online", value: .number(1)).matches(Self.ural))
    }

    // MARK: - in

    @Test("in matches when any listed value equals the attribute")
    func oneOfMatches() {
        let rule = SegmentRule.oneOf(attribute: "region", values: [.text("сибирь"), .text(" УРАЛ ")])
        #expect(rule.matches(Self.ural))
        #expect(SegmentRule.oneOf(attribute: "turnover", values: [.number(5), .text("1500000")]).matches(Self.ural))
    }

    @Test("in does not match when no listed value equals the attribute")
    func oneOfNoMatch() {
        #expect(!SegmentRule.oneOf(attribute: "region", values: [.text("Сибирь"), .text("Юг")]).matches(Self.ural))
        #expect(!SegmentRule.oneOf(attribute: "region", values: []).matches(Self.ural))
    }

    // MARK: - atLeast / atMost

    @Test("atLeast is inclusive and numeric")
    func atLeast() {
        #expect(SegmentRule.atLeast(attribute: "turnover", value: Self.decimal("1500000")).matches(Self.ural))
        #expect(SegmentRule.atLeast(attribute: "turnover", value: Self.decimal("999999.99")).matches(Self.ural))
        #expect(!SegmentRule.atLeast(attribute: "turnover", value: Self.decimal("1500000.01")).matches(Self.ural))
    }

    @Test("atMost is inclusive and numeric")
    func atMost() {
        #expect(SegmentRule.atMost(attribute: "turnover", value: Self.decimal("1500000")).matches(Self.ural))
        #expect(SegmentRule.atMost(attribute: "turnover", value: Self.decimal("2000000")).matches(Self.ural))
        #expect(!SegmentRule.atMost(attribute: "turnover", value: Self.decimal("1499999.99")).matches(Self.ural))
    }

    @Test("a text attribute that parses as a POSIX decimal compares as a number")
    func numericTextCompares() {
        #expect(SegmentRule.atLeast(attribute: "area", value: Self.decimal("250.5")).matches(Self.ural))
        #expect(SegmentRule.atMost(attribute: "area", value: Self.decimal("250.5")).matches(Self.ural))
        #expect(!SegmentRule.atLeast(attribute: "area", value: Self.decimal("250.51")).matches(Self.ural))
        let negative = Self.dealer(attributes: ["balance": .text("-12.5")])
        #expect(SegmentRule.atMost(attribute: "balance", value: 0).matches(negative))
        // "9" < "10" as numbers, though not as text.
        let nine = Self.dealer(attributes: ["shops": .text("9")])
        #expect(SegmentRule.atMost(attribute: "shops", value: 10).matches(nine))
    }

    @Test(
        "a text that is not a plain decimal, or a flag, never matches atLeast or atMost",
        arguments: ["12abc", "1 000", "1,5", "1e3", "", ".5", "5.", "--1", "abc"])
    func nonNumericTextNoMatch(text: String) {
        let dealer = Self.dealer(attributes: ["value": .text(text), "flag": .flag(true)])
        #expect(!SegmentRule.atLeast(attribute: "value", value: -1_000_000).matches(dealer))
        #expect(!SegmentRule.atMost(attribute: "value", value: 1_000_000).matches(dealer))
        #expect(!SegmentRule.atLeast(attribute: "flag", value: 0).matches(dealer))
        #expect(!SegmentRule.atMost(attribute: "flag", value: 1).matches(dealer))
    }

    @Test("numbers keep their decimal digits: no rounding through Double")
    func decimalPrecision() throws {
        let dealer = Self.dealer(attributes: ["turnover": .number(Self.decimal("12345678901234567890.12"))])
        #expect(SegmentRule.atLeast(attribute: "turnover", value: Self.decimal("12345678901234567890.12")).matches(dealer))
        #expect(!SegmentRule.atLeast(attribute: "turnover", value: Self.decimal("12345678901234567890.13")).matches(dealer))
        let rule = try decode(#"{"attribute":"turnover","atMost":12345678901234567890.11}"#)
        #expect(rule == .atMost(attribute: "turnover", value: Self.decimal("12345678901234567890.11")))
        #expect(!rule.matches(dealer))
    }

    // MARK: - exists

    @Test("exists matches a present attribute, even a false flag, and not a missing one")
    func has() {
        #expect(SegmentRule.has(attribute: "online").matches(Self.ural))
        #expect(SegmentRule.has(attribute: "off").matches(Self.dealer(attributes: ["off": .flag(false)])))
        #expect(!SegmentRule.has(attribute: "warehouse").matches(Self.ural))
        #expect(SegmentRule.has(attribute: "tier").matches(Self.dealer()))
    }

    // MARK: - Missing attributes and not

    static let missingAttributeRules: [SegmentRule] = [
        .equals(attribute: "warehouse", value: .text("yes")),
        .oneOf(attribute: "warehouse", values: [.text("yes"), .flag(true)]),
        .atLeast(attribute: "warehouse", value: -1_000_000),
        .atMost(attribute: "warehouse", value: 1_000_000),
        .has(attribute: "warehouse"),
    ]

    @Test("a missing attribute matches no comparison, and `not` of it matches", arguments: missingAttributeRules)
    func missingAttribute(rule: SegmentRule) {
        #expect(!rule.matches(Self.ural))
        #expect(SegmentRule.not(rule).matches(Self.ural))
    }

    @Test("not inverts a match; a double not restores it")
    func notInverts() {
        let gold = SegmentRule.equals(attribute: "tier", value: .text("gold"))
        #expect(!SegmentRule.not(gold).matches(Self.ural))
        #expect(SegmentRule.not(.not(gold)).matches(Self.ural))
        #expect(SegmentRule.not(gold).matches(Self.dealer(tier: "silver")))
    }

    // MARK: - all / any / nesting

    @Test("all needs every rule to match")
    func allRule() {
        let gold = SegmentRule.equals(attribute: "tier", value: .text("gold"))
        let ural = SegmentRule.equals(attribute: "region", value: .text("Урал"))
        let siberia = SegmentRule.equals(attribute: "region", value: .text("Сибирь"))
        #expect(SegmentRule.all([gold, ural]).matches(Self.ural))
        #expect(!SegmentRule.all([gold, siberia]).matches(Self.ural))
    }

    @Test("any needs one rule to match")
    func anyRule() {
        let silver = SegmentRule.equals(attribute: "tier", value: .text("silver"))
        let ural = SegmentRule.equals(attribute: "region", value: .text("Урал"))
        let siberia = SegmentRule.equals(attribute: "region", value: .text("Сибирь"))
        #expect(SegmentRule.any([silver, ural]).matches(Self.ural))
        #expect(!SegmentRule.any([silver, siberia]).matches(Self.ural))
    }

    @Test("an empty all matches everybody and an empty any nobody (validate reports both)")
    func emptyCombinators() {
        #expect(SegmentRule.all([]).matches(Self.ural))
        #expect(!SegmentRule.any([]).matches(Self.ural))
    }

    @Test("nested rules: gold or big in the Urals or Siberia, not closed, with an online shop")
    func nesting() throws {
        let rule = try decode(
            """
            {"all": [
              {"any": [{"attribute": "tier", "equals": "gold"}, {"attribute": "turnover", "atLeast": 1000000}]},
              {"attribute": "region", "in": ["Урал", "Сибирь"]},
              {"not": {"attribute": "status", "equals": "closed"}},
              {"attribute": "online", "exists": true}
            ]}
            """)
        #expect(rule.depth == 3)
        #expect(rule.matches(Self.ural))
        let bigSilver = Self.dealer(
            region: "сибирь", tier: "silver", attributes: ["turnover": .text("2000000"), "online": .flag(false)])
        #expect(rule.matches(bigSilver))
        let smallSilver = Self.dealer(tier: "silver", attributes: ["turnover": .number(10), "online": .flag(true)])
        #expect(!rule.matches(smallSilver))
        let closed = Self.dealer(status: "closed", attributes: ["online": .flag(true)])
        #expect(!rule.matches(closed))
        let offline = Self.dealer()
        #expect(!rule.matches(offline))
        let south = Self.dealer(region: "Юг", attributes: ["online": .flag(true)])
        #expect(!rule.matches(south))
    }

    // MARK: - Explicit dealer lists

    @Test("an explicit list matches the listed dealer codes, case-insensitively")
    func dealersList() {
        let rule = SegmentRule.dealers(["D-002", " d-001 "])
        #expect(rule.matches(Self.ural))
        #expect(rule.matches(Self.dealer("D-002")))
        #expect(!rule.matches(Self.dealer("D-003")))
        #expect(!rule.matches(Self.dealer("D-0011")))
    }

    // MARK: - JSON

    static let documentedForms: [(json: String, rule: SegmentRule)] = [
        (#"{"all":[{"attribute":"tier","equals":"gold"}]}"#, .all([.equals(attribute: "tier", value: .text("gold"))])),
        (#"{"any":[{"attribute":"online","exists":true}]}"#, .any([.has(attribute: "online")])),
        (#"{"not":{"dealers":["D-001"]}}"#, .not(.dealers(["D-001"]))),
        (#"{"attribute":"tier","equals":"gold"}"#, .equals(attribute: "tier", value: .text("gold"))),
        (#"{"attribute":"region","in":["Урал","Сибирь"]}"#, .oneOf(attribute: "region", values: [.text("Урал"), .text("Сибирь")])),
        (#"{"attribute":"turnover","atLeast":1000000}"#, .atLeast(attribute: "turnover", value: 1_000_000)),
        (#"{"attribute":"turnover","atMost":5}"#, .atMost(attribute: "turnover", value: 5)),
        (#"{"attribute":"online","exists":true}"#, .has(attribute: "online")),
        (#"{"dealers":["D-001","D-002"]}"#, .dealers(["D-001", "D-002"])),
        (#"{"attribute":"online","equals":true}"#, .equals(attribute: "online", value: .flag(true))),
        (#"{"attribute":"shops","in":[3,"7",false]}"#, .oneOf(attribute: "shops", values: [.number(3), .text("7"), .flag(false)])),
    ]

    @Test("every documented JSON form decodes to its rule", arguments: 0..<documentedForms.count)
    func documentedJSON(index: Int) throws {
        let (json, rule) = Self.documentedForms[index]
        #expect(try decode(json) == rule)
    }

    static let everyCase: [SegmentRule] = [
        .all([.equals(attribute: "tier", value: .text("gold")), .has(attribute: "online")]),
        .any([.atLeast(attribute: "turnover", value: SegmentRuleTests.decimal("1000000.5")), .dealers(["D-001"])]),
        .not(.oneOf(attribute: "region", values: [.text("Урал"), .number(SegmentRuleTests.decimal("-2.75")), .flag(true)])),
        .equals(attribute: "online", value: .flag(false)),
        .equals(attribute: "turnover", value: .number(SegmentRuleTests.decimal("0.1"))),
        .oneOf(attribute: "region", values: [.text("Урал"), .text("Сибирь")]),
        .atLeast(attribute: "turnover", value: SegmentRuleTests.decimal("12345678901234567890.12")),
        .atMost(attribute: "turnover", value: SegmentRuleTests.decimal("-0.01")),
        .has(attribute: "online"),
        .dealers(["D-001", "D-002"]),
        .all([.any([.not(.all([.has(attribute: "a")]))]), .not(.has(attribute: "b"))]),
    ]

    @Test("every rule survives a JSON round trip unchanged", arguments: everyCase)
    func roundTrip(rule: SegmentRule) throws {
        let json = try encode(rule)
        #expect(try decode(json) == rule, "\(json)")
        #expect(try encode(try decode(json)) == json)
    }

    @Test("rules encode to the documented JSON form")
    func encodesDocumentedForm() throws {
        #expect(try encode(.equals(attribute: "tier", value: .text("gold"))) == #"{"attribute":"tier","equals":"gold"}"#)
        #expect(try encode(.oneOf(attribute: "r", values: [.text("Урал")])) == #"{"attribute":"r","in":["Урал"]}"#)
        #expect(try encode(.atLeast(attribute: "t", value: Self.decimal("1000000.5"))) == #"{"atLeast":1000000.5,"attribute":"t"}"#)
        #expect(try encode(.has(attribute: "online")) == #"{"attribute":"online","exists":true}"#)
        #expect(try encode(.not(.dealers(["D-1"]))) == #"{"not":{"dealers":["D-1"]}}"#)
    }

    @Test("exists: false decodes as not(exists: true)")
    func existsFalse() throws {
        let rule = try decode(#"{"attribute":"online","exists":false}"#)
        #expect(rule == .not(.has(attribute: "online")))
        #expect(rule.matches(Self.dealer()))
        #expect(!rule.matches(Self.ural))
    }

    static let decodingErrors: [(json: String, message: String)] = [
        (#"{"attribute":"tier","equals":"gold","colour":"red"}"#, "Unknown key 'colour'"),
        (#"{"attribute":"tier","equls":"gold","colr":1}"#, "Unknown keys 'colr', 'equls'"),
        (#"{"attribute":"tier","equals":"gold","in":["gold"]}"#, "more than one operator ('equals', 'in')"),
        (#"{"attribute":"t","atLeast":1,"atMost":2}"#, "more than one operator ('atLeast', 'atMost')"),
        (#"{"all":[]}"#, "'all' needs at least one rule"),
        (#"{"any":[]}"#, "'any' needs at least one rule"),
        (#"{"dealers":[]}"#, "'dealers' needs at least one dealer code"),
        (#"{"dealers":["D-001"," "]}"#, "blank dealer code at index 1"),
        (#"{"attribute":"region","in":[]}"#, "'in' for attribute 'region' needs at least one value"),
        (#"{}"#, "Empty segment rule"),
        (#"{"equals":"gold"}"#, "'equals' needs an 'attribute'"),
        (#"{"attribute":"tier"}"#, "needs one of equals, in, atLeast, atMost, exists"),
        (#"{"attribute":"  ","equals":"gold"}"#, "attribute name is blank"),
        (#"{"attribute":5,"equals":"gold"}"#, "'attribute' must be a string"),
        (#"{"all":[{"attribute":"tier","equals":"gold"}],"attribute":"x"}"#, "'all' must be the only key"),
        (#"{"not":{"dealers":["D-1"]},"dealers":["D-2"]}"#, "must be the only key"),
        (#"{"attribute":"turnover","atLeast":"1000"}"#, "'atLeast' for attribute 'turnover' must be a JSON number"),
        (#"{"attribute":"online","exists":"yes"}"#, "'exists' for attribute 'online' must be true or false"),
        (#"{"attribute":"tier","equals":null}"#, "must be a JSON string, number or boolean"),
        (#"{"attribute":"tier","equals":["gold"]}"#, "must be a JSON string, number or boolean"),
        (#"["tier"]"#, "A segment rule must be a JSON object"),
        (#"{"any":["gold"]}"#, "A segment rule must be a JSON object"),
    ]

    @Test("malformed rules fail to decode with a DecodingError naming the problem", arguments: 0..<decodingErrors.count)
    func decodingError(index: Int) {
        let (json, message) = Self.decodingErrors[index]
        let failure = Self.decodingFailure(SegmentRule.self, json)
        #expect(failure?.message.contains(message) == true, "\(json) → \(failure?.message ?? "decoded")")
    }

    @Test("a decoding error deep inside a rule carries the path to it")
    func decodingErrorPath() {
        let failure = Self.decodingFailure(
            SegmentRule.self, #"{"all":[{"attribute":"tier","equals":"gold"},{"not":{"attribute":"x","in":[]}}]}"#)
        #expect(failure?.message.contains("'in' for attribute 'x'") == true)
        #expect(failure?.path == "all.Index 1.not.in")
    }

    @Test("attribute values decode from JSON strings, numbers and booleans")
    func attributeValueJSON() throws {
        let values = try JSONDecoder().decode(
            [String: AttributeValue].self, from: Data(#"{"a":"Урал","b":1250000.50,"c":true,"d":"42","e":0}"#.utf8))
        #expect(values["a"] == .text("Урал"))
        #expect(values["b"] == .number(Self.decimal("1250000.5")))
        #expect(values["c"] == .flag(true))
        #expect(values["d"] == .text("42"))
        #expect(values["e"] == .number(0))
        let again = try JSONDecoder().decode([String: AttributeValue].self, from: try JSONEncoder().encode(values))
        #expect(again == values)
        #expect(Self.decodingFailure(AttributeValue.self, #"{"x":1}"#) != nil)
    }

    // MARK: - validate()

    @Test("a sound rule has no problems")
    func validRule() throws {
        for rule in Self.everyCase {
            #expect(rule.validate() == [], "\(rule)")
        }
    }

    @Test("validate names every empty list, blank name and repeated dealer code, with its path")
    func validateProblems() {
        let rule = SegmentRule.all([
            .any([]),
            .not(.oneOf(attribute: "region", values: [])),
            .dealers([]),
            .dealers(["D-1", " ", "d-1 "]),
            .equals(attribute: " ", value: .text("x")),
            .all([]),
        ])
        #expect(
            rule.validate() == [
                "$.all[0].any: the list of rules is empty.",
                "$.all[1].not.in: the list of values for 'region' is empty.",
                "$.all[2].dealers: the list of dealer codes is empty.",
                "$.all[3].dealers[1]: the dealer code is blank.",
                "$.all[3].dealers[2]: dealer code 'd-1 ' is listed twice.",
                "$.all[4].attribute: the attribute name is blank.",
                "$.all[5].all: the list of rules is empty.",
            ])
    }

    /// A rule nested `depth` levels deep: `all` and `not` alternating around a leaf.
    static func nested(_ depth: Int) -> SegmentRule {
        (1..<depth).reduce(SegmentRule.has(attribute: "online")) { rule, level in
            level.isMultiple(of: 2) ? .not(rule) : .all([rule])
        }
    }

    @Test("nesting up to 8 levels is fine; deeper is reported")
    func validateDepth() throws {
        #expect(Self.nested(8).depth == 8)
        #expect(Self.nested(8).validate() == [])
        #expect(Self.nested(9).validate() == ["$: the rule is nested 9 levels deep; at most 8 are allowed."])
        // Depth is about nesting, not width.
        #expect(SegmentRule.all(Array(repeating: .has(attribute: "a"), count: 50)).depth == 2)
        // A deep rule still decodes (validate is where it is refused) and survives the trip.
        let deep = Self.nested(12)
        #expect(try decode(try encode(deep)) == deep)
    }

    // MARK: - Addressing

    /// Five dealers: 1–3 active, 4 suspended, 5 closed; given out of order on purpose.
    static let network: [DealerProfile] = [
        Self.dealer("D-003", number: 3, region: "Сибирь", tier: "silver"),
        Self.dealer("D-001", number: 1, region: "Урал", tier: "gold"),
        Self.dealer("D-005", number: 5, region: "Урал", tier: "gold", status: "closed"),
        Self.dealer("D-002", number: 2, region: "Урал", tier: "silver", attributes: ["online": .flag(true)]),
        Self.dealer("D-004", number: 4, region: "Урал", tier: "gold", status: "suspended"),
    ]

    static let segmentCatalogue: [String: SegmentRule] = [
        "ural": .equals(attribute: "region", value: .text("Урал")),
        "gold": .equals(attribute: "tier", value: .text("gold")),
        "online": .has(attribute: "online"),
        "nobody": .dealers(["D-999"]),
    ]

    func resolve(_ addressing: Addressing, dealers: [DealerProfile] = Self.network) -> Result<[UUID], AddressingError> {
        Addressing.resolve(addressing, dealers: dealers, segments: Self.segmentCatalogue)
    }

    func ids(_ numbers: Int...) -> Result<[UUID], AddressingError> { .success(numbers.map(Self.id)) }

    @Test("all addresses every active dealer, sorted by id")
    func addressAll() {
        #expect(resolve(.all) == ids(1, 2, 3))
    }

    @Test("segments address the active dealers matching any of them, each once")
    func addressSegments() {
        #expect(resolve(.segments(["ural"])) == ids(1, 2))
        #expect(resolve(.segments(["gold"])) == ids(1))
        // D-001 is in both segments and D-002 in both "ural" and "online": still listed once.
        #expect(resolve(.segments(["ural", "gold", "online", "ural"])) == ids(1, 2))
        #expect(resolve(.segments(["nobody"])) == ids())
    }

    @Test("suspended and closed dealers are never addressed, even by name")
    func inactiveExcluded() {
        #expect(resolve(.dealers(["D-004", "D-005"])) == ids())
        #expect(resolve(.dealers(["D-004", "D-001"])) == ids(1))
    }

    @Test("explicit dealers are found by code case-insensitively, duplicates removed")
    func addressDealers() {
        #expect(resolve(.dealers(["D-003", "d-001", " D-003 ", "D-001"])) == ids(1, 3))
    }

    @Test("unknown segment codes are an error naming each of them once, in the order given")
    func unknownSegments() {
        #expect(resolve(.segments(["vip", "ural", "south", "vip"])) == .failure(.unknownSegments(["vip", "south"])))
        #expect(AddressingError.unknownSegments(["vip", "south"]).description == "Unknown segments: vip, south.")
    }

    @Test("unknown dealer codes are an error naming each of them once")
    func unknownDealers() {
        #expect(resolve(.dealers(["D-001", "D-404", "D-500", "D-404"])) == .failure(.unknownDealers(["D-404", "D-500"])))
        #expect(AddressingError.unknownDealers(["D-404"]).description == "Unknown dealer: D-404.")
    }

    @Test("the result does not depend on the order of dealers or codes")
    func orderIsStable() {
        var random = SplitMix64(seed: 42)
        let addressings: [Addressing] = [.all, .segments(["ural", "online"]), .dealers(["D-003", "D-002", "D-001"])]
        for addressing in addressings {
            let expected = resolve(addressing)
            for _ in 0..<20 {
                let shuffled = random.shuffled(Self.network)
                let reordered: Addressing =
                    switch addressing {
                    case .all: .all
                    case .segments(let codes): .segments(random.shuffled(codes))
                    case .dealers(let codes): .dealers(random.shuffled(codes))
                    }
                #expect(resolve(reordered, dealers: shuffled) == expected)
            }
        }
    }

    @Test("ids come back sorted even when codes sort differently")
    func sortedByID() {
        let dealers = [
            Self.dealer("A", number: 30), Self.dealer("B", number: 10), Self.dealer("C", number: 20),
        ]
        #expect(resolve(.dealers(["A", "B", "C"]), dealers: dealers) == ids(10, 20, 30))
    }

    @Test("addressing has the documented JSON forms and survives a round trip")
    func addressingJSON() throws {
        let forms: [(String, Addressing)] = [
            (#"{"all":true}"#, .all),
            (#"{"segments":["ural-gold"]}"#, .segments(["ural-gold"])),
            (#"{"dealers":["D-001"]}"#, .dealers(["D-001"])),
        ]
        for (json, addressing) in forms {
            #expect(try JSONDecoder().decode(Addressing.self, from: Data(json.utf8)) == addressing)
            #expect(String(decoding: try JSONEncoder().encode(addressing), as: UTF8.self) == json)
        }
    }

    static let addressingDecodingErrors: [(json: String, message: String)] = [
        (#"{"all":false}"#, "'all' must be true"),
        (#"{}"#, "Addressing has no key"),
        (#"{"all":true,"dealers":["D-001"]}"#, "Addressing has keys 'all', 'dealers'"),
        (#"{"segment":["ural"]}"#, "Unknown key 'segment'"),
        (#"{"segments":[]}"#, "'segments' needs at least one code"),
        (#"{"dealers":[]}"#, "'dealers' needs at least one code"),
        (#""all""#, "Addressing must be a JSON object"),
    ]

    @Test("malformed addressing fails to decode with a DecodingError naming the problem", arguments: 0..<addressingDecodingErrors.count)
    func addressingDecodingError(index: Int) {
        let (json, message) = Self.addressingDecodingErrors[index]
        let failure = Self.decodingFailure(Addressing.self, json)
        #expect(failure?.message.contains(message) == true, "\(json) → \(failure?.message ?? "decoded")")
    }
}
