import Contracts
import Foundation
import Testing

// MARK: Fixtures

/// A payload with money, an optional and a nested value.
private struct SampleDealPriced: EventPayload, Equatable {
    static let eventType = "SampleDealPriced"
    static let eventVersion = 2
    var dealId: String
    var price: Money
    var discount: Money
    var note: String?
    var lines: [Int]
}

/// A second, simpler payload type.
private struct SampleLeadRegistered: EventPayload, Equatable {
    static let eventType = "LeadRegistered"
    static let eventVersion = 1
    var leadId: String
    var score: Int
    var vip: Bool
}

/// Same type name as `SampleLeadRegistered`, next version.
private struct SampleLeadRegisteredV2: EventPayload, Equatable {
    static let eventType = "LeadRegistered"
    static let eventVersion = 2
    var leadId: String
    var channel: String
}

private enum Fixture {
    static let id = UUID(uuidString: "0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b")!
    static let correlation = UUID(uuidString: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")!
    static let causation = UUID(uuidString: "11111111-2222-4333-8444-555555555555")!

    static func money(_ text: String, _ currency: String = "EUR") -> Money {
        Money(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!, currency)
    }

    static let priced = SampleDealPriced(
        dealId: "deal-42", price: money("1234.50"), discount: money("-0.01"), note: "spring offer / ünïcödé",
        lines: [1, 2, 3])

    static func stamp(_ text: String) -> Date { Timestamp.parse(text)! }

    /// Envelope JSON with the given fields replaced (nil removes a field).
    static func json(_ overrides: [String: String?] = [:], extra: String = "") -> [UInt8] {
        var fields: [(String, String)] = [
            ("id", #""0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b""#),
            ("type", #""LeadRegistered""#),
            ("version", "1"),
            ("occurredAt", #""2025-11-25T10:00:00.123Z""#),
            ("source", #""leads""#),
            ("key", #""lead-1""#),
            ("correlationId", #""9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a""#),
            ("payload", #"{"leadId":"lead-1","score":7,"vip":false}"#),
        ]
        for (name, value) in overrides {
            if let index = fields.firstIndex(where: { $0.0 == name }) {
                if let value { fields[index].1 = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append((name, value))
            }
        }
        let body = fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        return Array("{\(body)\(extra)}".utf8)
    }
}

private func decodeEnvelope(_ bytes: [UInt8]) throws -> EventEnvelope {
    try EventEnvelope.decode(bytes).get()
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

// MARK: Envelope round trip

@Suite("Event envelope with typed payloads")
struct EventRegistryEnvelopeTests {
    @Test("every field of an envelope built from a typed payload survives encoded() → decode() exactly")
    func roundTripsEveryField() throws {
        let occurredAt = Fixture.stamp("2025-11-25T10:00:00.123Z")
        let envelope = try EventEnvelope(
            id: Fixture.id, occurredAt: occurredAt, source: "deals", key: "deal-42",
            correlationId: Fixture.correlation, causationId: Fixture.causation, payload: Fixture.priced)
        #expect(envelope.type == "SampleDealPriced")
        #expect(envelope.version == 2)

        let bytes = try envelope.encoded()
        let decoded = try decodeEnvelope(bytes)
        #expect(decoded == envelope)
        #expect(decoded.id == Fixture.id)
        #expect(decoded.type == "SampleDealPriced")
        #expect(decoded.version == 2)
        #expect(decoded.occurredAt == occurredAt)
        #expect(decoded.source == "deals")
        #expect(decoded.key == "deal-42")
        #expect(decoded.correlationId == Fixture.correlation)
        #expect(decoded.causationId == Fixture.causation)
        #expect(decoded.payload == envelope.payload)

        let payload = try decoded.payload(as: SampleDealPriced.self)
        #expect(payload == Fixture.priced)
        // Decimal-exact, not merely close.
        #expect(payload.price.amount == Decimal(string: "1234.50")!)
        #expect(payload.price.amount == Decimal(string: "1234.5")!)
        #expect(payload.discount.amount == Decimal(string: "-0.01")!)
        #expect(payload.discount.amount < 0)
        #expect(payload.price.currency == "EUR")
        #expect(payload.note == "spring offer / ünïcödé")
        #expect(payload.lines == [1, 2, 3])

        // Encoding what was decoded gives the very same bytes.
        #expect(try decoded.encoded() == bytes)
    }

    @Test("money amounts are decimal strings on the wire, never JSON numbers")
    func moneyIsAStringOnTheWire() throws {
        let envelope = try EventEnvelope(
            occurredAt: Fixture.stamp("2025-11-25T10:00:00.123Z"), source: "deals", key: "deal-42",
            correlationId: Fixture.correlation, payload: Fixture.priced)
        let json = text(try envelope.encoded())
        #expect(json.contains(#""amount":"1234.5""#), "\(json)")
        #expect(json.contains(#""amount":"-0.01""#), "\(json)")
        #expect(!json.contains(#""amount":1234"#), "\(json)")
        #expect(!json.contains(#""amount":-0"#), "\(json)")
        #expect(json.contains(#""currency":"EUR""#), "\(json)")
        // The payload is kept as a JSON tree: the amounts are string nodes, not numbers.
        guard case .object(let fields) = envelope.payload, case .object(let price)? = fields["price"] else {
            Issue.record("payload is not an object: \(envelope.payload)")
            return
        }
        #expect(price["amount"] == .string("1234.5"))
        #expect(price["currency"] == .string("EUR"))
    }

    @Test("money amounts stay Decimal-exact through the envelope", arguments: [
        "1234.50", "-0.01", "0", "0.1", "0.2", "0.30", "-1234567.89", "12345678901234567890.12", "99999999999999.99",
    ])
    func moneyIsExact(amount: String) throws {
        let expected = Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX"))!
        let payload = SampleDealPriced(
            dealId: "d", price: Fixture.money(amount, "USD"), discount: Fixture.money(amount), note: nil, lines: [])
        let envelope = try EventEnvelope(
            occurredAt: Fixture.stamp("2025-11-25T10:00:00Z"), source: "deals", key: "d",
            correlationId: Fixture.correlation, payload: payload)
        let json = text(try envelope.encoded())
        #expect(json.contains(#""amount":"\#(expected.description)""#), "\(json)")
        let decoded = try decodeEnvelope(try envelope.encoded()).payload(as: SampleDealPriced.self)
        #expect(decoded.price.amount == expected)
        #expect(decoded.discount.amount == expected)
        #expect(decoded.price.currency == "USD")
        #expect(decoded.note == nil)
    }

    @Test("fractional-second UTC timestamps round-trip exactly", arguments: [
        "2025-11-25T10:00:00.123Z", "2025-11-25T10:00:00.001Z", "2025-11-25T10:00:00.999Z",
        "2025-11-25T10:00:00.500Z", "2025-11-25T10:00:00.000Z", "2000-02-29T23:59:59.999Z",
        "1970-01-01T00:00:00.001Z", "1969-12-31T23:59:59.999Z", "2099-12-31T23:59:59.010Z",
    ])
    func timestamps(stamp: String) throws {
        let date = Fixture.stamp(stamp)
        let envelope = try EventEnvelope(
            id: Fixture.id, occurredAt: date, source: "leads", key: "lead-1", correlationId: Fixture.correlation,
            payload: SampleLeadRegistered(leadId: "lead-1", score: 1, vip: true))
        #expect(envelope.occurredAt == date)
        let bytes = try envelope.encoded()
        #expect(text(bytes).contains(#""occurredAt":"\#(stamp)""#), "\(text(bytes))")
        let decoded = try decodeEnvelope(bytes)
        #expect(decoded.occurredAt == date)
        #expect(decoded == envelope)
    }

    @Test("a time finer than milliseconds is kept to the millisecond, and then survives exactly")
    func subMillisecond() throws {
        let envelope = try EventEnvelope(
            occurredAt: Date(timeIntervalSince1970: 1_764_064_800.123_4), source: "leads", key: "k",
            correlationId: Fixture.correlation, payload: SampleLeadRegistered(leadId: "k", score: 0, vip: false))
        #expect(envelope.occurredAt == Fixture.stamp("2025-11-25T10:00:00.123Z"))
        let bytes = try envelope.encoded()
        #expect(text(bytes).contains(#""occurredAt":"2025-11-25T10:00:00.123Z""#))
        #expect(try decodeEnvelope(bytes) == envelope)
    }

    @Test("an envelope with another UTC offset on the wire reads as the same instant")
    func offsetTimestamp() throws {
        let bytes = Fixture.json(["occurredAt": #""2025-11-25T13:00:00.123+03:00""#])
        #expect(try decodeEnvelope(bytes).occurredAt == Fixture.stamp("2025-11-25T10:00:00.123Z"))
    }

    @Test("no causation id: absent on the wire, nil after decoding")
    func noCausation() throws {
        let envelope = try EventEnvelope(
            occurredAt: Fixture.stamp("2025-11-25T10:00:00Z"), source: "leads", key: "k",
            correlationId: Fixture.correlation, payload: SampleLeadRegistered(leadId: "k", score: 3, vip: false))
        #expect(envelope.causationId == nil)
        let bytes = try envelope.encoded()
        #expect(!text(bytes).contains("causationId"))
        #expect(try decodeEnvelope(bytes).causationId == nil)
        // And a JSON null reads as nil too.
        #expect(try decodeEnvelope(Fixture.json(["causationId": "null"])).causationId == nil)
    }

    @Test("each typed envelope gets a fresh id unless one is given")
    func freshIDs() throws {
        let payload = SampleLeadRegistered(leadId: "k", score: 3, vip: false)
        let a = try EventEnvelope(
            occurredAt: .now, source: "leads", key: "k", correlationId: Fixture.correlation, payload: payload)
        let b = try EventEnvelope(
            occurredAt: .now, source: "leads", key: "k", correlationId: Fixture.correlation, payload: payload)
        #expect(a.id != b.id)
    }

    @Test("payload(as:) refuses another type or version")
    func payloadAsWrongType() throws {
        let envelope = try decodeEnvelope(Fixture.json())
        #expect(try envelope.payload(as: SampleLeadRegistered.self) == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: false))
        let error = #expect(throws: EnvelopeError.self) { try envelope.payload(as: SampleLeadRegisteredV2.self) }
        guard case .malformedPayload(let type, let version, let reason)? = error else {
            Issue.record("expected malformedPayload, got \(String(describing: error))")
            return
        }
        #expect(type == "LeadRegistered")
        #expect(version == 1)
        #expect(reason.contains("LeadRegistered v2"))
        #expect(throws: EnvelopeError.self) { try envelope.payload(as: SampleDealPriced.self) }
    }
}

// MARK: Malformed envelopes

@Suite("Malformed envelopes are values, not crashes")
struct EventRegistryMalformedEnvelopeTests {
    static let cases: [(String, [UInt8])] = [
        ("empty", []),
        ("not JSON", Array("hello".utf8)),
        ("truncated JSON", Array(#"{"id":"0b6f3c1e-2d4a-4e5f-8a9b"#.utf8)),
        ("invalid UTF-8", [0xff, 0xfe, 0x00, 0x7b]),
        ("JSON null", Array("null".utf8)),
        ("JSON array", Array("[1,2,3]".utf8)),
        ("JSON string", Array(#""an envelope""#.utf8)),
        ("empty object", Array("{}".utf8)),
        ("missing id", Fixture.json(["id": nil])),
        ("id not a UUID", Fixture.json(["id": #""not-a-uuid""#])),
        ("id a number", Fixture.json(["id": "42"])),
        ("missing type", Fixture.json(["type": nil])),
        ("version a string", Fixture.json(["version": #""1""#])),
        ("version fractional", Fixture.json(["version": "1.5"])),
        ("missing occurredAt", Fixture.json(["occurredAt": nil])),
        ("timestamp not ISO 8601", Fixture.json(["occurredAt": #""yesterday""#])),
        ("timestamp without zone", Fixture.json(["occurredAt": #""2025-11-25T10:00:00.123""#])),
        ("timestamp month 13", Fixture.json(["occurredAt": #""2025-13-01T00:00:00Z""#])),
        ("timestamp a number", Fixture.json(["occurredAt": "1764064800123"])),
        ("missing source", Fixture.json(["source": nil])),
        ("missing key", Fixture.json(["key": nil])),
        ("missing correlationId", Fixture.json(["correlationId": nil])),
        ("causationId not a UUID", Fixture.json(["causationId": #""nope""#])),
        ("missing payload", Fixture.json(["payload": nil])),
    ]

    @Test("malformed bytes decode to .malformedEnvelope", arguments: cases)
    func malformed(name: String, bytes: [UInt8]) {
        switch EventEnvelope.decode(bytes) {
        case .success(let envelope):
            Issue.record("\(name): decoded \(envelope)")
        case .failure(.malformedEnvelope(let reason)):
            #expect(!reason.isEmpty, "\(name)")
        case .failure(let other):
            Issue.record("\(name): expected malformedEnvelope, got \(other)")
        }
    }

    @Test("the reason names the missing or bad field")
    func reasons() {
        #expect(reason(Fixture.json(["id": nil]))?.contains("id") == true)
        #expect(reason(Fixture.json(["occurredAt": #""yesterday""#]))?.contains("occurredAt") == true)
        #expect(reason(Fixture.json(["correlationId": nil]))?.contains("correlationId") == true)
        #expect(reason(Array("hello".utf8)) != nil)
        let error = EnvelopeError.malformedEnvelope("missing field id")
        #expect(error.description == "malformed envelope: missing field id")
    }

    private func reason(_ bytes: [UInt8]) -> String? {
        if case .failure(.malformedEnvelope(let reason)) = EventEnvelope.decode(bytes) { return reason }
        return nil
    }

    @Test("a well-formed envelope decodes, and unknown envelope fields are ignored")
    func extraEnvelopeFields() throws {
        let plain = try decodeEnvelope(Fixture.json())
        let extra = try decodeEnvelope(
            Fixture.json(extra: #","traceparent":"00-abc","schema":{"v":[1,2,{"x":null}]},"retries":3"#))
        #expect(extra == plain)
        #expect(plain.id == Fixture.id)
        #expect(plain.type == "LeadRegistered")
        #expect(plain.version == 1)
        #expect(plain.source == "leads")
        #expect(plain.key == "lead-1")
        #expect(plain.correlationId == Fixture.correlation)
        #expect(plain.occurredAt == Fixture.stamp("2025-11-25T10:00:00.123Z"))
    }
}

// MARK: Registry

@Suite("Event registry")
struct EventRegistryTests {
    let registry = EventRegistry([SampleDealPriced.self, SampleLeadRegistered.self])

    @Test("a registered type and version decodes to its payload type")
    func decodesRegistered() throws {
        let envelope = try EventEnvelope(
            occurredAt: .now, source: "deals", key: "deal-42", correlationId: Fixture.correlation,
            payload: Fixture.priced)
        let wire = try decodeEnvelope(try envelope.encoded())
        guard case .known(let payload) = try registry.decode(wire) else {
            Issue.record("not decoded")
            return
        }
        #expect(payload as? SampleDealPriced == Fixture.priced)

        guard case .known(let lead) = try registry.decode(try decodeEnvelope(Fixture.json())) else {
            Issue.record("not decoded")
            return
        }
        #expect(lead as? SampleLeadRegistered == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: false))
    }

    @Test("register(_:) teaches a type; versions of one type are told apart")
    func registerVersions() throws {
        var registry = EventRegistry()
        #expect(!registry.knows(type: "LeadRegistered", version: 1))
        registry.register(SampleLeadRegistered.self)
        registry.register(SampleLeadRegisteredV2.self)
        #expect(registry.knows(type: "LeadRegistered", version: 1))
        #expect(registry.knows(type: "LeadRegistered", version: 2))
        #expect(!registry.knows(type: "LeadRegistered", version: 3))

        let v2 = try decodeEnvelope(
            Fixture.json(["version": "2", "payload": #"{"leadId":"lead-9","channel":"phone"}"#]))
        guard case .known(let payload) = try registry.decode(v2) else {
            Issue.record("not decoded")
            return
        }
        #expect(payload as? SampleLeadRegisteredV2 == SampleLeadRegisteredV2(leadId: "lead-9", channel: "phone"))
        #expect(!(payload is SampleLeadRegistered))
    }

    @Test("an unregistered type is .unknown")
    func unknownType() throws {
        let envelope = try decodeEnvelope(Fixture.json(["type": #""SomethingElse""#, "payload": #"{"x":1}"#]))
        #expect(!registry.knows(type: "SomethingElse", version: 1))
        guard case .unknown(let type, let version) = try registry.decode(envelope) else {
            Issue.record("expected .unknown")
            return
        }
        #expect(type == "SomethingElse")
        #expect(version == 1)
    }

    @Test("a registered type at an unregistered version is .unknown, even with a payload that would not decode",
        arguments: [0, 2, 3, -1])
    func unknownVersion(version: Int) throws {
        let envelope = try decodeEnvelope(Fixture.json(["version": "\(version)", "payload": #""whatever""#]))
        #expect(!registry.knows(type: "LeadRegistered", version: version))
        guard case .unknown(let type, let seen) = try registry.decode(envelope) else {
            Issue.record("expected .unknown")
            return
        }
        #expect(type == "LeadRegistered")
        #expect(seen == version)
    }

    @Test("unknown fields in the payload are tolerated")
    func unknownPayloadFields() throws {
        let envelope = try decodeEnvelope(Fixture.json([
            "payload": #"{"leadId":"lead-1","score":7,"vip":true,"newField":"x","nested":{"a":[1,2.5,null]},"n":1e3}"#
        ]))
        guard case .known(let payload) = try registry.decode(envelope) else {
            Issue.record("not decoded")
            return
        }
        #expect(payload as? SampleLeadRegistered == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: true))
    }

    @Test("unknown fields in payload and envelope together are tolerated")
    func unknownEverywhere() throws {
        let envelope = try decodeEnvelope(Fixture.json(
            ["payload": #"{"leadId":"lead-1","score":7,"vip":false,"later":true}"#],
            extra: #","priority":"high""#))
        guard case .known(let payload) = try registry.decode(envelope) else {
            Issue.record("not decoded")
            return
        }
        #expect(payload as? SampleLeadRegistered == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: false))
    }

    static let wrongShapes: [(String, String)] = [
        ("missing field", #"{"leadId":"lead-1","vip":false}"#),
        ("field of the wrong kind", #"{"leadId":"lead-1","score":"seven","vip":false}"#),
        ("fractional int", #"{"leadId":"lead-1","score":7.5,"vip":false}"#),
        ("null for a required field", #"{"leadId":null,"score":7,"vip":false}"#),
        ("payload is an array", #"[1,2,3]"#),
        ("payload is a string", #""lead-1""#),
        ("payload is null", "null"),
        ("payload is empty", "{}"),
    ]

    @Test("a registered type with a wrong payload shape throws .malformedPayload", arguments: wrongShapes)
    func wrongShape(name: String, payload: String) throws {
        let envelope = try decodeEnvelope(Fixture.json(["payload": payload]))
        let error = #expect(throws: EnvelopeError.self, "\(name)") { try registry.decode(envelope) }
        guard case .malformedPayload(let type, let version, let reason)? = error else {
            Issue.record("\(name): expected malformedPayload, got \(String(describing: error))")
            return
        }
        #expect(type == "LeadRegistered")
        #expect(version == 1)
        #expect(!reason.isEmpty)
    }

    static let badMoney: [(String, String)] = [
        ("comma", #"{"amount":"12,5","currency":"EUR"}"#),
        ("letters", #"{"amount":"abc","currency":"EUR"}"#),
        ("exponent", #"{"amount":"1e5","currency":"EUR"}"#),
        ("a JSON number", #"{"amount":1234.5,"currency":"EUR"}"#),
        ("missing currency", #"{"amount":"1.00"}"#),
    ]

    @Test("money that is not a decimal string makes the payload malformed", arguments: badMoney)
    func badMoneyPayload(name: String, price: String) throws {
        let payload = #"{"dealId":"d","price":\#(price),"discount":{"amount":"0","currency":"EUR"},"lines":[]}"#
        let envelope = try decodeEnvelope(Fixture.json(["type": #""SampleDealPriced""#, "version": "2", "payload": payload]))
        let error = #expect(throws: EnvelopeError.self, "\(name)") { try registry.decode(envelope) }
        guard case .malformedPayload(let type, let version, let reason)? = error else {
            Issue.record("\(name): expected malformedPayload, got \(String(describing: error))")
            return
        }
        #expect(type == "SampleDealPriced")
        #expect(version == 2)
        #expect(reason.contains("price"), "\(reason)")
        #expect(error?.description.hasPrefix("malformed payload of SampleDealPriced v2: ") == true)
    }

    @Test("acceptsUnknownTypes yields UntypedEvent with the JSON payload")
    func acceptsUnknownTypes() throws {
        var registry = registry
        registry.acceptsUnknownTypes = true
        #expect(registry.knows(type: "Anything", version: 42))

        let payloadJSON = #"{"s":"text","n":12.50,"i":3,"z":0,"one":1,"b":true,"f":false,"nil":null,"a":[1,"x",{"k":[]}],"o":{}}"#
        let envelope = try decodeEnvelope(
            Fixture.json(["type": #""VehicleArrived""#, "version": "3", "payload": payloadJSON]))
        guard case .known(let decoded) = try registry.decode(envelope) else {
            Issue.record("not decoded")
            return
        }
        let untyped = try #require(decoded as? UntypedEvent)
        #expect(untyped.type == "VehicleArrived")
        #expect(untyped.version == 3)
        #expect(untyped.payload == envelope.payload)
        #expect(untyped.payload == .object([
            "s": .string("text"),
            "n": .number("12.5"),
            "i": .number("3"),
            "z": .number("0"),
            "one": .number("1"),
            "b": .bool(true),
            "f": .bool(false),
            "nil": .null,
            "a": .array([.number("1"), .string("x"), .object(["k": .array([])])]),
            "o": .object([:]),
        ]))

        // A registered type still decodes to its own payload type.
        guard case .known(let lead) = try registry.decode(try decodeEnvelope(Fixture.json())) else {
            Issue.record("not decoded")
            return
        }
        #expect(lead as? SampleLeadRegistered == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: false))
        // ... and a wrong shape of a registered type is still an error.
        let bad = try decodeEnvelope(Fixture.json(["payload": "[]"]))
        #expect(throws: EnvelopeError.self) { try registry.decode(bad) }
    }

    @Test("an untyped payload survives re-encoding unchanged")
    func untypedRoundTrip() throws {
        let envelope = try decodeEnvelope(Fixture.json([
            "type": #""Unknown""#, "payload": #"{"deep":{"list":[true,null,"1234.50",-0.01,7]},"k":"v"}"#,
        ]))
        let again = try decodeEnvelope(try envelope.encoded())
        #expect(again == envelope)
        #expect(again.payload == envelope.payload)
    }
}

// MARK: Money

@Suite("Money")
struct EventRegistryMoneyTests {
    private func decode(_ amount: String) throws -> Money {
        try JSONDecoder().decode(Money.self, from: Data(#"{"amount":"\#(amount)","currency":"EUR"}"#.utf8))
    }

    @Test("non-decimal strings are refused", arguments: [
        "12,5", "abc", "1e5", "1E5", "", " 1", "1 ", "+1", "1.", ".5", "1.2.3", "0x10", "--1", "1,234.50", "NaN",
        "Infinity", "٣",
    ])
    func refuses(amount: String) {
        #expect(throws: DecodingError.self, "\(amount)") { try decode(amount) }
    }

    @Test("a JSON number is refused: amounts are strings")
    func refusesNumbers() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Money.self, from: Data(#"{"amount":12.5,"currency":"EUR"}"#.utf8))
        }
    }

    @Test("decimal strings are read exactly", arguments: [
        ("1234.50", "1234.5"), ("-0.01", "-0.01"), ("0", "0"), ("007", "7"), ("0.10", "0.1"), ("-5", "-5"),
        ("12345678901234567890.12", "12345678901234567890.12"),
    ])
    func accepts(amount: String, canonical: String) throws {
        let money = try decode(amount)
        #expect(money.amount == Decimal(string: canonical)!)
        #expect(money.amount.description == canonical)
        #expect(money.currency == "EUR")
        #expect(money.description == "\(canonical) EUR")
    }

    @Test("encodes as a string and round-trips")
    func encodes() throws {
        let money = Money(Decimal(string: "-1234.56")!, "SEK")
        let data = try JSONEncoder().encode(money)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""amount":"-1234.56""#), "\(json)")
        #expect(try JSONDecoder().decode(Money.self, from: data) == money)
    }
}

// MARK: Edge cases found by review

/// A payload carrying a `Double`, to show that the typed path is affected too.
private struct SampleMeasured: EventPayload, Equatable {
    static let eventType = "SampleMeasured"
    static let eventVersion = 1
    var value: Double
}

@Suite("Event envelope edge cases")
struct EventRegistryEdgeCaseTests {
    @Test(
        "a number beyond Decimal's range in an unknown payload field does not make the envelope malformed"
    )
    func hugeNumberInUnknownField() throws {
        for number in ["1e200", "-1e200", "1.7976931348623157e308", "5e-324"] {
            let bytes = Fixture.json(["payload": #"{"leadId":"lead-1","score":7,"vip":false,"future":\#(number)}"#])
            let envelope = try decodeEnvelope(bytes)
            let registry = EventRegistry([SampleLeadRegistered.self])
            guard case .known(let payload) = try registry.decode(envelope) else {
                Issue.record("not decoded")
                continue
            }
            #expect(payload as? SampleLeadRegistered == SampleLeadRegistered(leadId: "lead-1", score: 7, vip: false))
        }
    }

    @Test(
        "a typed payload with any finite Double can be put in an envelope"
    )
    func largeDouble() throws {
        for value in [Double.greatestFiniteMagnitude, 1e200, Double.leastNonzeroMagnitude] {
            let envelope = try EventEnvelope(
                occurredAt: .now, source: "s", key: "k", correlationId: Fixture.correlation,
                payload: SampleMeasured(value: value))
            #expect(try decodeEnvelope(try envelope.encoded()).payload(as: SampleMeasured.self).value == value)
        }
    }

    @Test(
        "impossible dates and offsets are refused, not moved to another instant",
        arguments: ["2025-02-30T00:00:00Z", "2025-02-31T00:00:00Z", "2025-04-31T00:00:00Z", "2025-11-25T10:00:00+99:99"]
    )
    func impossibleDates(stamp: String) {
        #expect(Timestamp.parse(stamp) == nil)
        guard case .failure(.malformedEnvelope) = EventEnvelope.decode(Fixture.json(["occurredAt": "\"\(stamp)\""])) else {
            Issue.record("\(stamp) was accepted")
            return
        }
    }
}
