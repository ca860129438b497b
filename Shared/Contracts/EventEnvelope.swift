import Foundation

/// Every message on every topic: who said what happened to which aggregate, and why.
public struct EventEnvelope: Sendable, Equatable, Codable {
    /// Unique forever; consumers deduplicate on it.
    public var id: UUID
    /// Event type, e.g. `LeadRegistered`.
    public var type: String
    /// Payload schema version; a breaking change is a new version.
    public var version: Int
    /// When it happened (UTC, ISO 8601 with fractional seconds on the wire).
    public var occurredAt: Date
    /// The service that published it.
    public var source: String
    /// Partition key: the aggregate id.
    public var key: String
    /// The customer journey, the same from the first inquiry to the closed deal.
    public var correlationId: UUID
    /// The event that caused this one.
    public var causationId: UUID?
    /// The event's payload as JSON bytes, decoded by type and version.
    public var payload: JSONPayload

    public init(
        id: UUID = UUID(), type: String, version: Int = 1, occurredAt: Date, source: String, key: String,
        correlationId: UUID, causationId: UUID? = nil, payload: JSONPayload
    ) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = Timestamp.normalized(occurredAt)
        self.source = source
        self.key = key
        self.correlationId = correlationId
        self.causationId = causationId
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case id, type, version, occurredAt, source, key, correlationId, causationId, payload
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UUID.self, forKey: .id)
        type = try c.decode(String.self, forKey: .type)
        version = try c.decode(Int.self, forKey: .version)
        let stamp = try c.decode(String.self, forKey: .occurredAt)
        guard let date = Timestamp.parse(stamp) else {
            throw DecodingError.dataCorruptedError(
                forKey: .occurredAt, in: c, debugDescription: "not an ISO 8601 timestamp: \(stamp)")
        }
        occurredAt = date
        source = try c.decode(String.self, forKey: .source)
        key = try c.decode(String.self, forKey: .key)
        correlationId = try c.decode(UUID.self, forKey: .correlationId)
        causationId = try c.decodeIfPresent(UUID.self, forKey: .causationId)
        payload = try c.decode(JSONPayload.self, forKey: .payload)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(version, forKey: .version)
        try c.encode(Timestamp.format(occurredAt), forKey: .occurredAt)
        try c.encode(source, forKey: .source)
        try c.encode(key, forKey: .key)
        try c.encode(correlationId, forKey: .correlationId)
        try c.encodeIfPresent(causationId, forKey: .causationId)
        try c.encode(payload, forKey: .payload)
    }
}

/// A JSON value kept as a parsed tree so that unknown fields survive a round trip. Numbers keep
/// Decimal's 38 significant digits (wider ones as Double); money and identifiers travel as strings.
public enum JSONPayload: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONPayload])
    case object([String: JSONPayload])

    public init(from decoder: any Decoder) throws {
        // Tried in the order values occur in events (each failed attempt throws, which costs):
        // strings first (ids, names, money, times), then objects and arrays, then the rest. Only a
        // JSON string decodes as String, only an object as a dictionary, only an array as an array,
        // so the order changes nothing but the cost.
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let o = try? c.decode([String: JSONPayload].self) {
            self = .object(o)
        } else if let a = try? c.decode([JSONPayload].self) {
            self = .array(a)
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Decimal.self) {
            self = .number("\(d)")
        } else {
            // Beyond Decimal's range (1e200, 5e-324): kept as a binary floating-point number.
            self = .number("\(try c.decode(Double.self))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Decimal's description never has an exponent; a Double's beyond Decimal's range does.
            if n.contains("e") || n.contains("E"), let d = Double(n) {
                try c.encode(d)
            } else {
                try c.encode(Decimal(string: n, locale: Locale(identifier: "en_US_POSIX")) ?? 0)
            }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// UTC ISO 8601 timestamps with millisecond fractions, the wire format of every time in the suite.
/// Times are kept to whole milliseconds so that a value survives encode → decode → encode exactly.
public enum Timestamp {
    /// The date rounded to whole milliseconds (what the wire can carry).
    public static func normalized(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `2025-11-25T10:00:00.123Z`
    public static func format(_ date: Date) -> String {
        let ms = milliseconds(date)
        var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let fraction = Int(ms - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(fraction), 3))Z"
    }

    /// Reads ISO 8601 with or without a fraction (up to nanoseconds), with `Z` or a `±hh:mm`
    /// (or `±hhmm`) offset. Parsed by hand over the UTF-8 bytes: every consumed event goes through
    /// here, and a regular expression cost 40 times as much.
    public static func parse(_ string: String) -> Date? {
        var utf8 = string.utf8
        if let date = utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return date }
        var copy = string
        copy.makeContiguousUTF8()
        utf8 = copy.utf8
        return utf8.withContiguousStorageIfAvailable { parse(bytes: $0) } ?? nil
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var index = 0
        func number(_ width: Int) -> Int32? {
            guard index + width <= bytes.count else { return nil }
            var value: Int32 = 0
            for _ in 0..<width {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int32(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            expect(0x54), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A),
            let second = number(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds: Int64 = 0
        if expect(0x2E) {
            var digits = 0
            var roundUp = false
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                let digit = Int64(bytes[index] - 0x30)
                if digits < 3 {
                    milliseconds = milliseconds * 10 + digit
                } else if digits == 3 {
                    // Round, rather than truncate, what lies beyond milliseconds.
                    roundUp = digit >= 5
                }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { return nil }
            for _ in digits..<max(digits, 3) { milliseconds *= 10 }
            if roundUp { milliseconds += 1 }
        }
        var offset: Int64 = 0
        guard index < bytes.count else { return nil }
        if expect(0x5A) {  // Z
        } else if bytes[index] == 0x2B || bytes[index] == 0x2D {  // + or -
            let sign: Int64 = bytes[index] == 0x2B ? 1 : -1
            index += 1
            guard let offsetHours = number(2) else { return nil }
            _ = expect(0x3A)
            guard let offsetMinutes = number(2), offsetHours <= 18, offsetMinutes < 60 else { return nil }
            offset = sign * (Int64(offsetHours) * 60 + Int64(offsetMinutes)) * 60
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let epoch = Int64(timegm(&parts)) - offset
        return Date(timeIntervalSince1970: Double(epoch * 1000 + milliseconds) / 1000)
    }

    static func daysIn(month: Int32, year: Int32) -> Int32 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
