import Foundation

/// A payload type carried in an envelope, named on the wire by `eventType` and `eventVersion`.
/// Decoding ignores fields it does not know, so producers may add optional fields freely.
public protocol EventPayload: Codable, Sendable {
    static var eventType: String { get }
    static var eventVersion: Int { get }
}

/// Why bytes from a topic could not be read as an event. A value, never a crash: the consumer
/// sends the message to the dead-letter topic with this reason.
public enum EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not an envelope (not JSON, a field missing or of the wrong kind).
    case malformedEnvelope(String)
    /// The envelope is fine but its payload does not match its declared type and version.
    case malformedPayload(type: String, version: Int, reason: String)

    public var description: String {
        switch self {
        case .malformedEnvelope(let reason): "malformed envelope: \(reason)"
        case .malformedPayload(let type, let version, let reason): "malformed payload of \(type) v\(version): \(reason)"
        }
    }
}

extension EventEnvelope {
    /// An envelope around a typed payload; type and version come from the payload type.
    public init<Payload: EventPayload>(
        id: UUID = UUID(), occurredAt: Date, source: String, key: String, correlationId: UUID,
        causationId: UUID? = nil, payload: Payload
    ) throws {
        let json = try JSONDecoder().decode(JSONPayload.self, from: EventCoding.encoder.encode(payload))
        self.init(
            id: id, type: Payload.eventType, version: Payload.eventVersion, occurredAt: occurredAt, source: source,
            key: key, correlationId: correlationId, causationId: causationId, payload: json)
    }

    /// The envelope's JSON bytes, as published.
    public func encoded() throws -> [UInt8] {
        Array(try EventCoding.encoder.encode(self))
    }

    /// Reads an envelope from a message's bytes; a malformed one is an error value.
    public static func decode(_ bytes: [UInt8]) -> Result<EventEnvelope, EnvelopeError> {
        do {
            return .success(try JSONDecoder().decode(EventEnvelope.self, from: Data(bytes)))
        } catch let error as DecodingError {
            return .failure(.malformedEnvelope(EventCoding.describe(error)))
        } catch {
            return .failure(.malformedEnvelope("\(error)"))
        }
    }

    /// The payload as `Payload`, checking that type and version match.
    public func payload<Payload: EventPayload>(as type: Payload.Type) throws(EnvelopeError) -> Payload {
        guard self.type == Payload.eventType, version == Payload.eventVersion else {
            throw .malformedPayload(
                type: self.type, version: version,
                reason: "expected \(Payload.eventType) v\(Payload.eventVersion)")
        }
        do {
            let bytes = try EventCoding.encoder.encode(payload)
            return try EventCoding.decoder.decode(Payload.self, from: bytes)
        } catch let error as DecodingError {
            throw .malformedPayload(type: self.type, version: version, reason: EventCoding.describe(error))
        } catch {
            throw .malformedPayload(type: self.type, version: version, reason: "\(error)")
        }
    }
}

/// What a consumer knows how to read: payload types by `type` + `version`.
public struct EventRegistry: Sendable {
    struct Key: Hashable, Sendable {
        var type: String
        var version: Int
    }

    // Untyped `throws` here: Swift 6.3's SIL generation crashes on a stored typed-throws closure.
    private var decoders: [Key: @Sendable (EventEnvelope) throws -> any EventPayload] = [:]

    /// Decodes every type not registered as `UntypedEvent` instead of `.unknown` (for consumers
    /// such as reporting that keep every event).
    public var acceptsUnknownTypes = false

    public init() {}

    /// A registry that knows these payload types.
    public init(_ types: [any EventPayload.Type]) {
        for type in types { register(type) }
    }

    /// Teaches the registry one payload type.
    public mutating func register<Payload: EventPayload>(_ type: Payload.Type) {
        decoders[Key(type: Payload.eventType, version: Payload.eventVersion)] = { envelope in
            try envelope.payload(as: Payload.self)
        }
    }

    /// Whether `type` at `version` is registered.
    public func knows(type: String, version: Int) -> Bool {
        acceptsUnknownTypes || decoders[Key(type: type, version: version)] != nil
    }

    /// Decodes the envelope's payload. Unknown types (or versions) are `.unknown`, to be ignored;
    /// a known type whose payload does not decode is an error.
    public func decode(_ envelope: EventEnvelope) throws(EnvelopeError) -> DecodedEvent {
        guard let decoder = decoders[Key(type: envelope.type, version: envelope.version)] else {
            if acceptsUnknownTypes { return .known(UntypedEvent(type: envelope.type, version: envelope.version, payload: envelope.payload)) }
            return .unknown(type: envelope.type, version: envelope.version)
        }
        do {
            return .known(try decoder(envelope))
        } catch let error as EnvelopeError {
            throw error
        } catch {
            throw .malformedPayload(type: envelope.type, version: envelope.version, reason: "\(error)")
        }
    }
}

/// An event of a type the registry has no payload type for, kept as JSON.
public struct UntypedEvent: EventPayload, Equatable {
    public static let eventType = "*"
    public static let eventVersion = 0
    public var type: String
    public var version: Int
    public var payload: JSONPayload
}

/// The result of looking an envelope up in the registry.
public enum DecodedEvent: Sendable {
    case known(any EventPayload)
    case unknown(type: String, version: Int)
}

/// The suite's JSON settings, shared so every service writes the same bytes.
enum EventCoding {
    /// Dates in payloads are the suite's timestamps (`Timestamp.format`), not Foundation's default
    /// of seconds since 2001.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "not JSON: \(context.debugDescription)" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// An amount of money: `Decimal` in Swift, a decimal string on the wire (`"1234.50"`), so no
/// binary floating point ever touches it.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public var amount: Decimal
    /// ISO 4217 code, e.g. `EUR`.
    public var currency: String

    public init(_ amount: Decimal, _ currency: String) {
        self.amount = amount
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey { case amount, currency }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .amount)
        guard let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
            text.wholeMatch(of: /-?\d+(\.\d+)?/) != nil
        else {
            throw DecodingError.dataCorruptedError(forKey: .amount, in: c, debugDescription: "not a decimal amount: \(text)")
        }
        self.amount = amount
        currency = try c.decode(String.self, forKey: .currency)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(amount.description, forKey: .amount)
        try c.encode(currency, forKey: .currency)
    }

    public var description: String { "\(amount) \(currency)" }
}
