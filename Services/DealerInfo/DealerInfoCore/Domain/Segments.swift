import Foundation

// MARK: - Dealer attributes

/// One value of a dealer attribute, as held in the dealer's `attributes` JSON and as written in
/// segment rules.
///
/// In JSON it is a bare string, number or boolean (`"gold"`, `1250000.50`, `true`), so the same
/// values can be stored in the dealers table and typed into a rule by hand. Numbers are kept as
/// `Decimal` and never pass through `Double`, so `0.1` stays `0.1`.
public enum AttributeValue: Codable, Sendable, Hashable {
    case text(String)
    case number(Decimal)
    case flag(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Booleans first: a JSON decoder refuses to read a number as a Bool, and `true` must never
        // be taken for the number 1. Strings before numbers, because a JSON string is never a number.
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Decimal.self), !number.isNaN {
            self = .number(number)
        } else {
            throw DecodingError.typeMismatch(
                AttributeValue.self,
                .init(
                    codingPath: container.codingPath,
                    debugDescription: "An attribute value must be a JSON string, number or boolean."))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .flag(let flag): try container.encode(flag)
        }
    }
}

/// What segment rules see of a dealer: the built-in columns plus the free-form attributes.
///
/// The built-in fields are addressable as the text attributes `code`, `region`, `tier` and
/// `status`; they win over a free attribute of the same name, so a stray `"tier"` key in the
/// attributes JSON cannot put a dealer into the wrong segment.
public struct DealerProfile: Sendable, Equatable {
    public var id: UUID
    /// The dealer's code, e.g. `D-001`; explicit dealer lists refer to dealers by it.
    public var code: String
    public var region: String
    /// `gold`, `silver` or `bronze`.
    public var tier: String
    /// `active`, `suspended` or `closed`; only active dealers receive publications.
    public var status: String
    /// Free-form attributes kept by head office (turnover, online shop, brands, …).
    public var attributes: [String: AttributeValue]

    public init(
        id: UUID, code: String, region: String, tier: String, status: String,
        attributes: [String: AttributeValue] = [:]
    ) {
        self.id = id
        self.code = code
        self.region = region
        self.tier = tier
        self.status = status
        self.attributes = attributes
    }

    /// The names under which the built-in fields are addressable; they shadow free attributes.
    public static let builtInAttributes: Set<String> = ["code", "region", "tier", "status"]

    /// The value of attribute `name` (matched exactly), or `nil` when the dealer does not have it.
    public func attribute(_ name: String) -> AttributeValue? {
        switch name {
        case "code": .text(code)
        case "region": .text(region)
        case "tier": .text(tier)
        case "status": .text(status)
        default: attributes[name]
        }
    }

    /// Whether the dealer is active, the only status that receives publications.
    public var isActive: Bool { AttributeComparison.normalized(status) == "active" }
}

/// The comparison rules shared by segment matching and addressing.
enum AttributeComparison {
    /// Text as compared: trimmed, then lower-cased (Unicode-aware, so `УРАЛ` equals `Урал`).
    static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The number a value stands for: a number, or a text that is a plain decimal in POSIX
    /// notation (`1000`, `-2.5`, ` 42 `). Anything else (`1 000`, `1,5`, `12abc`, `1e3`, flags) is
    /// not a number, because `Decimal(string:)` alone would read `12abc` as 12.
    static func number(_ value: AttributeValue) -> Decimal? {
        switch value {
        case .number(let number): return number
        case .flag: return nil
        case .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard isPlainDecimal(trimmed) else { return nil }
            return Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX"))
        }
    }

    /// `[+-]?digits(.digits)?`, checked by hand so the check is locale-free and strict.
    static func isPlainDecimal(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        if let first = scalars.first, first == "+" || first == "-" { scalars = scalars.dropFirst() }
        let parts = scalars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) }
        }
    }

    /// Whether a dealer's value equals a rule's value: texts case-insensitively after trimming,
    /// numbers numerically (a text that is a plain decimal counts as its number), flags only
    /// against flags.
    static func equal(_ dealerValue: AttributeValue, _ ruleValue: AttributeValue) -> Bool {
        switch (dealerValue, ruleValue) {
        case (.text(let a), .text(let b)):
            return normalized(a) == normalized(b)
        case (.flag(let a), .flag(let b)):
            return a == b
        case (.flag, _), (_, .flag):
            return false
        default:
            // At least one side is a number: compare numerically, or not at all.
            guard let a = number(dealerValue), let b = number(ruleValue) else { return false }
            return a == b
        }
    }
}

// MARK: - Segment rules

/// A key of a JSON object that may be any string, so unknown keys can be named in errors.
struct JSONKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static let all = JSONKey("all"), any = JSONKey("any"), not = JSONKey("not"), dealers = JSONKey("dealers")
    static let attribute = JSONKey("attribute"), equals = JSONKey("equals"), `in` = JSONKey("in")
    static let atLeast = JSONKey("atLeast"), atMost = JSONKey("atMost"), exists = JSONKey("exists")

    /// Keys that make up a segment rule on their own.
    static let ruleCombinators = [all, any, not, dealers]
    /// Keys that go with `attribute` in a segment rule, exactly one per rule.
    static let ruleOperators = [equals, `in`, atLeast, atMost, exists]
}

/// A rule selecting dealers by their attributes, or by an explicit list of codes; a named rule
/// is a segment (e.g. `ural-gold`) that publications can be addressed to.
///
/// JSON form, one object per rule:
///
/// | Rule | JSON |
/// |---|---|
/// | ``all(_:)`` — every rule matches | `{"all": [rule, …]}` |
/// | ``any(_:)`` — at least one matches | `{"any": [rule, …]}` |
/// | ``not(_:)`` — the rule does not match | `{"not": rule}` |
/// | ``equals(attribute:value:)`` | `{"attribute": "tier", "equals": "gold"}` |
/// | ``oneOf(attribute:values:)`` | `{"attribute": "region", "in": ["Урал", "Сибирь"]}` |
/// | ``atLeast(attribute:value:)`` | `{"attribute": "turnover", "atLeast": 1000000}` |
/// | ``atMost(attribute:value:)`` | `{"attribute": "turnover", "atMost": 5}` |
/// | ``has(attribute:)`` | `{"attribute": "online", "exists": true}` |
/// | ``dealers(_:)`` — explicit dealer codes | `{"dealers": ["D-001", "D-002"]}` |
///
/// `{"attribute": "online", "exists": false}` is accepted as shorthand for
/// `{"not": {"attribute": "online", "exists": true}}` and decodes to that rule.
///
/// Decoding is strict, so a typo cannot silently widen or narrow a segment: unknown keys, two
/// operators in one object (`equals` with `in`), an operator without `attribute`, a combinator
/// mixed with other keys, empty lists and blank attribute names are `DecodingError`s that say what
/// is wrong. Rules built in code are checked with ``validate()``.
///
/// Matching (``matches(_:)``): texts compare case-insensitively after trimming; numbers compare
/// numerically, and a text that is a plain POSIX decimal (`"1500000"`, `"2.5"`) counts as a number,
/// while any other text never matches a numeric comparison; flags equal only flags. A dealer
/// without the attribute never matches `equals`, `in`, `atLeast` or `atMost`, so `not` of such a
/// rule matches it. Attribute names match exactly; `code`, `region`, `tier` and `status` are the
/// dealer's built-in fields. Dealer codes in `dealers` compare like texts.
public indirect enum SegmentRule: Codable, Sendable, Equatable {
    case all([SegmentRule])
    case any([SegmentRule])
    case not(SegmentRule)
    case equals(attribute: String, value: AttributeValue)
    case oneOf(attribute: String, values: [AttributeValue])
    case atLeast(attribute: String, value: Decimal)
    case atMost(attribute: String, value: Decimal)
    case has(attribute: String)
    case dealers([String])

    /// The deepest nesting ``validate()`` accepts; a leaf rule has depth 1.
    public static let maximumDepth = 8

    // MARK: Matching

    /// Whether `dealer` belongs to the segment this rule describes.
    public func matches(_ dealer: DealerProfile) -> Bool {
        switch self {
        case .all(let rules):
            return rules.allSatisfy { $0.matches(dealer) }
        case .any(let rules):
            return rules.contains { $0.matches(dealer) }
        case .not(let rule):
            return !rule.matches(dealer)
        case .equals(let attribute, let value):
            guard let actual = dealer.attribute(attribute) else { return false }
            return AttributeComparison.equal(actual, value)
        case .oneOf(let attribute, let values):
            guard let actual = dealer.attribute(attribute) else { return false }
            return values.contains { AttributeComparison.equal(actual, $0) }
        case .atLeast(let attribute, let bound):
            guard let actual = dealer.attribute(attribute).flatMap(AttributeComparison.number) else { return false }
            return actual >= bound
        case .atMost(let attribute, let bound):
            guard let actual = dealer.attribute(attribute).flatMap(AttributeComparison.number) else { return false }
            return actual <= bound
        case .has(let attribute):
            return dealer.attribute(attribute) != nil
        case .dealers(let codes):
            let code = AttributeComparison.normalized(dealer.code)
            return codes.contains { AttributeComparison.normalized($0) == code }
        }
    }

    // MARK: Validation

    /// The nesting depth: 1 for a leaf, one more than the deepest child for `all`, `any`, `not`.
    public var depth: Int {
        switch self {
        case .all(let rules), .any(let rules): 1 + (rules.map(\.depth).max() ?? 0)
        case .not(let rule): 1 + rule.depth
        default: 1
        }
    }

    /// Every problem with this rule, each naming where it is (`$` is the rule itself, then the
    /// JSON path, e.g. `$.all[1].any`); empty when the rule is sound.
    ///
    /// Reported: empty `all`/`any`/`in`/`dealers` lists (they match everybody or nobody, which is
    /// never what an author meant), blank attribute names and dealer codes, dealer codes listed
    /// twice, and nesting deeper than ``maximumDepth``.
    public func validate() -> [String] {
        var problems: [String] = []
        if depth > Self.maximumDepth {
            problems.append("$: the rule is nested \(depth) levels deep; at most \(Self.maximumDepth) are allowed.")
        }
        collectProblems(at: "$", into: &problems)
        return problems
    }

    private func collectProblems(at path: String, into problems: inout [String]) {
        switch self {
        case .all(let rules), .any(let rules):
            let key = if case .all = self { "all" } else { "any" }
            if rules.isEmpty {
                problems.append("\(path).\(key): the list of rules is empty.")
            }
            for (index, rule) in rules.enumerated() {
                rule.collectProblems(at: "\(path).\(key)[\(index)]", into: &problems)
            }
        case .not(let rule):
            rule.collectProblems(at: "\(path).not", into: &problems)
        case .equals(let attribute, _), .atLeast(let attribute, _), .atMost(let attribute, _), .has(let attribute):
            Self.checkAttribute(attribute, at: path, into: &problems)
        case .oneOf(let attribute, let values):
            Self.checkAttribute(attribute, at: path, into: &problems)
            if values.isEmpty {
                problems.append("\(path).in: the list of values for '\(attribute)' is empty.")
            }
        case .dealers(let codes):
            if codes.isEmpty {
                problems.append("\(path).dealers: the list of dealer codes is empty.")
            }
            var seen: Set<String> = []
            for (index, code) in codes.enumerated() {
                let normalized = AttributeComparison.normalized(code)
                if normalized.isEmpty {
                    problems.append("\(path).dealers[\(index)]: the dealer code is blank.")
                } else if !seen.insert(normalized).inserted {
                    problems.append("\(path).dealers[\(index)]: dealer code '\(code)' is listed twice.")
                }
            }
        }
    }

    private static func checkAttribute(_ attribute: String, at path: String, into problems: inout [String]) {
        if attribute.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("\(path).attribute: the attribute name is blank.")
        }
    }

    // MARK: Coding

    private typealias Key = JSONKey

    private static let knownKeys = Set((Key.ruleCombinators + [Key.attribute] + Key.ruleOperators).map(\.stringValue))
    private static let expectation =
        #"expected one of {"all":[…]}, {"any":[…]}, {"not":{…}}, {"dealers":[…]} or {"attribute":…} with one of equals, in, atLeast, atMost, exists"#

    public init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch DecodingError.typeMismatch(_, let context) {
            throw DecodingError.typeMismatch(
                SegmentRule.self,
                .init(
                    codingPath: context.codingPath,
                    debugDescription: "A segment rule must be a JSON object; \(Self.expectation)."))
        }
        let keys = container.allKeys
        let unknown = keys.map(\.stringValue).filter { !Self.knownKeys.contains($0) }.sorted()
        if let first = unknown.first {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: Key(first), in: container,
                debugDescription: "Unknown key\(unknown.count > 1 ? "s" : "") \(names) in a segment rule; \(Self.expectation).")
        }
        guard !keys.isEmpty else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "Empty segment rule; \(Self.expectation)."))
        }

        if let combinator = Key.ruleCombinators.first(where: container.contains) {
            let others = keys.filter { $0 != combinator }.map { "'\($0.stringValue)'" }.sorted()
            guard others.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: combinator, in: container,
                    debugDescription:
                        "'\(combinator.stringValue)' must be the only key of its rule object, but it is combined with \(others.joined(separator: ", ")); nest the rules in {\"all\":[…]} instead.")
            }
            self = try Self.decodeCombinator(combinator, from: container)
            return
        }

        let present = Key.ruleOperators.filter(container.contains)
        guard container.contains(.attribute) else {
            let names = present.map { "'\($0.stringValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: present.first ?? .attribute, in: container,
                debugDescription: "\(names) needs an 'attribute' naming the dealer attribute to test.")
        }
        let attribute: String
        do {
            attribute = try container.decode(String.self, forKey: .attribute)
        } catch DecodingError.typeMismatch(_, let context) {
            throw DecodingError.typeMismatch(
                String.self,
                .init(codingPath: context.codingPath, debugDescription: "'attribute' must be a string naming a dealer attribute."))
        }
        guard !attribute.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .attribute, in: container, debugDescription: "The attribute name is blank.")
        }
        guard let operation = present.first else {
            throw DecodingError.dataCorruptedError(
                forKey: .attribute, in: container,
                debugDescription: "The rule for attribute '\(attribute)' needs one of equals, in, atLeast, atMost, exists.")
        }
        guard present.count == 1 else {
            let names = present.map { "'\($0.stringValue)'" }
            throw DecodingError.dataCorruptedError(
                forKey: present[1], in: container,
                debugDescription:
                    "The rule for attribute '\(attribute)' has more than one operator (\(names.joined(separator: ", "))); use one per rule and combine rules with {\"all\":[…]} or {\"any\":[…]}.")
        }
        self = try Self.decodeComparison(operation, attribute: attribute, from: container)
    }

    private static func decodeCombinator(_ key: Key, from container: KeyedDecodingContainer<Key>) throws -> SegmentRule {
        switch key {
        case .all, .any:
            let rules = try container.decode([SegmentRule].self, forKey: key)
            guard !rules.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "'\(key.stringValue)' needs at least one rule; an empty list is never what was meant.")
            }
            return key == .all ? .all(rules) : .any(rules)
        case .not:
            return .not(try container.decode(SegmentRule.self, forKey: .not))
        default:
            let codes = try container.decode([String].self, forKey: .dealers)
            guard !codes.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: .dealers, in: container, debugDescription: "'dealers' needs at least one dealer code.")
            }
            if let blank = codes.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw DecodingError.dataCorruptedError(
                    forKey: .dealers, in: container, debugDescription: "'dealers' has a blank dealer code at index \(blank).")
            }
            return .dealers(codes)
        }
    }

    private static func decodeComparison(
        _ key: Key, attribute: String, from container: KeyedDecodingContainer<Key>
    ) throws -> SegmentRule {
        switch key {
        case .equals:
            return .equals(attribute: attribute, value: try container.decode(AttributeValue.self, forKey: .equals))
        case .in:
            let values = try container.decode([AttributeValue].self, forKey: .in)
            guard !values.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: .in, in: container,
                    debugDescription: "'in' for attribute '\(attribute)' needs at least one value.")
            }
            return .oneOf(attribute: attribute, values: values)
        case .atLeast, .atMost:
            let bound: Decimal
            do {
                bound = try container.decode(Decimal.self, forKey: key)
            } catch DecodingError.typeMismatch(_, let context) {
                throw DecodingError.typeMismatch(
                    Decimal.self,
                    .init(
                        codingPath: context.codingPath,
                        debugDescription: "'\(key.stringValue)' for attribute '\(attribute)' must be a JSON number."))
            }
            guard !bound.isNaN else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "'\(key.stringValue)' for attribute '\(attribute)' is not a number.")
            }
            return key == .atLeast ? .atLeast(attribute: attribute, value: bound) : .atMost(attribute: attribute, value: bound)
        default:
            let exists: Bool
            do {
                exists = try container.decode(Bool.self, forKey: .exists)
            } catch DecodingError.typeMismatch(_, let context) {
                throw DecodingError.typeMismatch(
                    Bool.self,
                    .init(
                        codingPath: context.codingPath,
                        debugDescription: "'exists' for attribute '\(attribute)' must be true or false."))
            }
            return exists ? .has(attribute: attribute) : .not(.has(attribute: attribute))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .all(let rules):
            try container.encode(rules, forKey: .all)
        case .any(let rules):
            try container.encode(rules, forKey: .any)
        case .not(let rule):
            try container.encode(rule, forKey: .not)
        case .equals(let attribute, let value):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(value, forKey: .equals)
        case .oneOf(let attribute, let values):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(values, forKey: .in)
        case .atLeast(let attribute, let value):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(value, forKey: .atLeast)
        case .atMost(let attribute, let value):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(value, forKey: .atMost)
        case .has(let attribute):
            try container.encode(attribute, forKey: .attribute)
            try container.encode(true, forKey: .exists)
        case .dealers(let codes):
            try container.encode(codes, forKey: .dealers)
        }
    }
}

// MARK: - Addressing

/// Whom a publication is for: every dealer, the dealers of named segments, or named dealers.
///
/// JSON form: `{"all": true}`, `{"segments": ["ural-gold", …]}` (segment codes) or
/// `{"dealers": ["D-001", …]}` (dealer codes). Exactly one key; lists must not be empty and
/// `all` must be `true` — anything else is a `DecodingError` saying so.
public enum Addressing: Codable, Sendable, Equatable {
    case all
    /// The dealers matching any of these segments (by segment code).
    case segments([String])
    /// These dealers (by dealer code).
    case dealers([String])

    private enum Key: String, CodingKey, CaseIterable {
        case all, segments, dealers
    }

    private static let expectation = #"expected exactly one of {"all":true}, {"segments":[…]} or {"dealers":[…]}"#

    public init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<JSONKey>
        do {
            container = try decoder.container(keyedBy: JSONKey.self)
        } catch DecodingError.typeMismatch(_, let context) {
            throw DecodingError.typeMismatch(
                Addressing.self,
                .init(codingPath: context.codingPath, debugDescription: "Addressing must be a JSON object; \(Self.expectation)."))
        }
        let names = container.allKeys.map(\.stringValue).sorted()
        let unknown = names.filter { Key(rawValue: $0) == nil }
        if let first = unknown.first {
            throw DecodingError.dataCorruptedError(
                forKey: JSONKey(first), in: container,
                debugDescription:
                    "Unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in addressing; \(Self.expectation).")
        }
        guard names.count == 1, let key = Key(rawValue: names[0]) else {
            let detail = names.isEmpty ? "no key" : "keys \(names.map { "'\($0)'" }.joined(separator: ", "))"
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "Addressing has \(detail); \(Self.expectation)."))
        }
        let codingKey = JSONKey(key.rawValue)
        switch key {
        case .all:
            guard try container.decode(Bool.self, forKey: codingKey) else {
                throw DecodingError.dataCorruptedError(
                    forKey: codingKey, in: container,
                    debugDescription: "'all' must be true; to address fewer dealers use 'segments' or 'dealers'.")
            }
            self = .all
        case .segments, .dealers:
            let codes = try container.decode([String].self, forKey: codingKey)
            guard !codes.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: codingKey, in: container, debugDescription: "'\(key.rawValue)' needs at least one code.")
            }
            self = key == .segments ? .segments(codes) : .dealers(codes)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .all: try container.encode(true, forKey: .all)
        case .segments(let codes): try container.encode(codes, forKey: .segments)
        case .dealers(let codes): try container.encode(codes, forKey: .dealers)
        }
    }

    /// The ids of the active dealers `addressing` reaches, sorted and without duplicates, so the
    /// same publication always fans out to the same list whatever order the inputs came in.
    ///
    /// Suspended and closed dealers are left out, even when named explicitly. Segment codes are
    /// looked up exactly in `segments`; dealer codes compare case-insensitively after trimming.
    /// Codes that name nothing make the whole resolution fail, listing every such code once in
    /// the order given, rather than silently publishing to fewer dealers than intended.
    public static func resolve(
        _ addressing: Addressing, dealers: [DealerProfile], segments: [String: SegmentRule]
    ) -> Result<[UUID], AddressingError> {
        let active = dealers.filter(\.isActive)
        let chosen: [DealerProfile]
        switch addressing {
        case .all:
            chosen = active
        case .segments(let codes):
            let missing = uniqued(codes.filter { segments[$0] == nil })
            guard missing.isEmpty else { return .failure(.unknownSegments(missing)) }
            let rules = uniqued(codes).compactMap { segments[$0] }
            chosen = active.filter { dealer in rules.contains { $0.matches(dealer) } }
        case .dealers(let codes):
            let known = Set(dealers.map { AttributeComparison.normalized($0.code) })
            let missing = uniqued(codes.filter { !known.contains(AttributeComparison.normalized($0)) })
            guard missing.isEmpty else { return .failure(.unknownDealers(missing)) }
            let wanted = Set(codes.map(AttributeComparison.normalized))
            chosen = active.filter { wanted.contains(AttributeComparison.normalized($0.code)) }
        }
        // Sorting by the canonical string is byte order, and needs no platform availability check.
        return .success(Set(chosen.map(\.id)).sorted { $0.uuidString < $1.uuidString })
    }

    /// `codes` without repeats, first occurrence kept.
    private static func uniqued(_ codes: [String]) -> [String] {
        var seen: Set<String> = []
        return codes.filter { seen.insert($0).inserted }
    }
}

/// Why an ``Addressing`` could not be resolved to dealers.
public enum AddressingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// These segment codes are not defined.
    case unknownSegments([String])
    /// No dealer has these codes.
    case unknownDealers([String])

    public var description: String {
        switch self {
        case .unknownSegments(let codes):
            "Unknown segment\(codes.count == 1 ? "" : "s"): \(codes.joined(separator: ", "))."
        case .unknownDealers(let codes):
            "Unknown dealer\(codes.count == 1 ? "" : "s"): \(codes.joined(separator: ", "))."
        }
    }
}
