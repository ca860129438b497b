import Contracts
import Crypto
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Answer to a connector: what the delivery became, and whether it had been received before.
public struct Receipt: Codable, Sendable, Equatable {
    public var id: UUID
    public var duplicate: Bool
    /// Set when the delivery could not be read and waits in the quarantine (`id` is then the
    /// quarantine entry's id).
    public var quarantined: Bool?

    public init(id: UUID, duplicate: Bool, quarantined: Bool? = nil) {
        self.id = id
        self.duplicate = duplicate
        self.quarantined = quarantined
    }
}

/// Calls assembled from PBX events, each change and its events in one transaction.
struct CallStore: Sendable {
    let client: PostgresClient
    /// Turns a PBX number into its raw + E.164 form.
    let number: @Sendable (String) -> PartyNumber

    /// Applies one event (or CDR row): deduplicated by its content (whatever the JSON's layout),
    /// the call row locked so that legs arriving together are merged one after the other.
    func receive(_ event: PBXCallEvent, logger: Logger) async throws -> Receipt {
        let sourceID = "\(event.uniqueID):\(event.action ?? "cdr"):\(Self.digest(try Self.canonical(event)))"
        return try await client.withTransaction(logger: logger) { connection in
            let claimed = try await connection.query(
                """
                INSERT INTO received_messages (id, connector, source_id) VALUES (\(UUID()), 'pbx', \(sourceID))
                ON CONFLICT (connector, source_id) DO NOTHING RETURNING id
                """, logger: logger
            ).collect()
            if claimed.isEmpty {
                let previous = try await connection.query(
                    "SELECT subject_id FROM received_messages WHERE connector = 'pbx' AND source_id = \(sourceID)",
                    logger: logger
                ).collect().first?.decode(UUID?.self)
                return Receipt(id: previous ?? UUID(), duplicate: true)
            }
            let (callID, existing) = try await lockCall(event.linkedID, on: connection, logger: logger)
            var call = existing ?? Call(linkedID: event.linkedID)
            let milestones = call.apply(event)
            try await save(call, id: callID, on: connection, logger: logger)
            try await connection.query(
                "UPDATE received_messages SET subject_id = \(callID) WHERE connector = 'pbx' AND source_id = \(sourceID)",
                logger: logger)
            let events = try milestones.map { milestone in
                OutboxEvent(topic: Topic.ingestCalls, envelope: try Self.envelope(call.payload(for: milestone, callId: callID, number: number), callID: callID))
            }
            try await Outbox.append(events, on: connection, logger: logger)
            return Receipt(id: callID, duplicate: false)
        }
    }

    /// The call row for `linkedID`, locked for this transaction (created if new).
    private func lockCall(_ linkedID: String, on connection: PostgresConnection, logger: Logger) async throws -> (UUID, Call?) {
        // Insert-or-nothing first: two legs of a new call arriving together create one row.
        try await connection.query(
            """
            INSERT INTO calls (id, linked_id, record, direction) VALUES (\(UUID()), \(linkedID), '{}'::jsonb, 'inbound')
            ON CONFLICT (linked_id) DO NOTHING
            """, logger: logger)
        let row = try await connection.query(
            "SELECT id, record::text FROM calls WHERE linked_id = \(linkedID) FOR UPDATE", logger: logger
        ).collect().first!
        let (id, record) = try row.decode((UUID, String).self)
        let call = record == "{}" ? nil : try JSONDecoder().decode(Call.self, from: Data(record.utf8))
        return (id, call)
    }

    private func save(_ call: Call, id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let record = String(decoding: try JSONEncoder().encode(call), as: UTF8.self)
        try await connection.query(
            """
            UPDATE calls SET record = \(record)::jsonb, direction = \(call.direction.rawValue), caller = \(call.caller),
                called = \(call.called), did = \(call.did), answered_by = \(call.answeredBy), started_at = \(call.startedAt),
                answered_at = \(call.answeredAt), ended_at = \(call.endedAt), talk_seconds = \(call.talkSeconds),
                recording = \(call.recording), updated_at = now()
            WHERE id = \(id)
            """, logger: logger)
    }

    static func envelope(_ payload: any EventPayload, callID: UUID) throws -> EventEnvelope {
        func make<P: EventPayload>(_ payload: P) throws -> EventEnvelope {
            try EventEnvelope(occurredAt: Date(), source: ServiceName.ingest.rawValue, key: callID.uuidString.lowercased(),
                              correlationId: callID, payload: payload)
        }
        return try make(payload)
    }

    /// The event's fields in a fixed layout, so that the same event sent with its keys in another
    /// order or other spacing is recognised as a repeat.
    static func canonical(_ event: PBXCallEvent) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(event))
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
