import Contracts
import Foundation
import Testing

@Suite("Event envelope")
struct EnvelopeTests {
    let sample = EventEnvelope(
        id: UUID(uuidString: "0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b")!, type: "LeadRegistered", version: 1,
        occurredAt: Date(timeIntervalSince1970: 1_764_064_800.123), source: "leads", key: "lead-1",
        correlationId: UUID(uuidString: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")!, causationId: nil,
        payload: .object(["amount": .string("1250.50"), "unknown": .array([.bool(true), .null])]))

    @Test("encodes occurredAt as UTC ISO 8601 with fractional seconds and round-trips exactly")
    func roundTrip() throws {
        let data = try JSONEncoder().encode(sample)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""occurredAt":"2025-11-25T10:00:00.123Z""#))
        let decoded = try JSONDecoder().decode(EventEnvelope.self, from: data)
        #expect(decoded == sample)
    }

    @Test("a malformed envelope is a decoding error, not a crash", arguments: [
        #"{}"#,
        #"{"id":"not-a-uuid","type":"X","version":1,"occurredAt":"2025-01-01T00:00:00Z","source":"s","key":"k","correlationId":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","payload":{}}"#,
        #"{"id":"0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b","type":"X","version":1,"occurredAt":"yesterday","source":"s","key":"k","correlationId":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","payload":{}}"#,
    ])
    func malformed(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EventEnvelope.self, from: Data(json.utf8)) }
    }

    @Test("unknown envelope fields are ignored")
    func unknownFields() throws {
        let json = #"{"id":"0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b","type":"X","version":2,"occurredAt":"2025-01-01T00:00:00Z","source":"s","key":"k","correlationId":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","payload":{"a":1},"future":"field"}"#
        let decoded = try JSONDecoder().decode(EventEnvelope.self, from: Data(json.utf8))
        #expect(decoded.version == 2)
        #expect(decoded.occurredAt == Date(timeIntervalSince1970: 1_735_689_600))
    }
}

@Suite("Services and topics")
struct TopologyTests {
    @Test("every topic has exactly one publishing service and at least one consumer")
    func everyTopicIsOwned() {
        for topic in Topic.all {
            #expect(ServiceName.allCases.filter { $0.publishes.contains(topic) }.count == 1, "\(topic)")
            #expect(ServiceName.allCases.contains { $0.consumes.contains(topic) }, "\(topic)")
        }
    }

    @Test("environment prefixes and ports", arguments: ServiceName.allCases)
    func prefixes(service: ServiceName) {
        #expect(service.environmentPrefix.allSatisfy { $0.isUppercase || $0 == "_" })
        #expect((8081...8086).contains(service.defaultPort))
    }

    @Test("dead-letter topics sit next to their topic")
    func deadLetter() {
        #expect(Topic.deadLetter(of: Topic.leadsEvents) == "dms.leads.events.v1.dlq")
    }
}

@Suite("Timestamps on the wire")
struct TimestampTests {
    @Test("format and parse agree", arguments: [
        ("2025-11-25T10:00:00.123Z", "2025-11-25T10:00:00.123Z"),
        ("2025-11-25T10:00:00Z", "2025-11-25T10:00:00.000Z"),
        ("2025-11-25T13:00:00.5+03:00", "2025-11-25T10:00:00.500Z"),
        ("2025-11-25T10:00:00.1234567Z", "2025-11-25T10:00:00.123Z"),
        ("2025-11-25T10:00:00.9996Z", "2025-11-25T10:00:01.000Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
    ])
    func roundTrip(input: String, expected: String) throws {
        let date = try #require(Timestamp.parse(input))
        #expect(Timestamp.format(date) == expected)
        #expect(Timestamp.parse(Timestamp.format(date)) == date)
    }

    @Test("malformed timestamps are refused", arguments: ["", "2025-11-25", "2025-13-01T00:00:00Z", "2025-11-25T10:00:00", "yesterday"])
    func refused(input: String) {
        #expect(Timestamp.parse(input) == nil)
    }
}
