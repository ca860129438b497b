import Contracts
import Foundation
import Logging
import PostgresNIO
import Storage

/// An event to publish on `topic`, written to the outbox with the state change that caused it.
public struct OutboxEvent: Sendable {
    public var topic: String
    public var envelope: EventEnvelope

    public init(topic: String, envelope: EventEnvelope) {
        self.topic = topic
        self.envelope = envelope
    }
}

extension OutboxEvent {
    /// The values of the event's `outbox` row (columns `event_id, topic, message_key, event_type,
    /// envelope`), for a service that writes its change and its event in one statement.
    public func outboxRow() throws -> (eventID: UUID, topic: String, key: String, type: String, envelope: String) {
        (envelope.id, topic, envelope.key, envelope.type, String(decoding: try envelope.encoded(), as: UTF8.self))
    }
}

/// The transactional outbox: services write events here inside their own transaction; the
/// `OutboxRelay` publishes them.
public enum Outbox {
    /// Writes events on `connection`, which must be inside the transaction that changes the state
    /// they describe. Rows keep the given order (the relay publishes in that order).
    public static func append(_ events: [OutboxEvent], on connection: PostgresConnection, logger: Logger) async throws {
        guard !events.isEmpty else { return }
        var ids: [UUID] = []
        var topics: [String] = []
        var keys: [String] = []
        var types: [String] = []
        var envelopes: [String] = []
        for event in events {
            ids.append(event.envelope.id)
            topics.append(event.topic)
            keys.append(event.envelope.key)
            types.append(event.envelope.type)
            envelopes.append(String(decoding: try event.envelope.encoded(), as: UTF8.self))
        }
        try await connection.query(
            """
            INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
            SELECT id, topic, message_key, event_type, envelope
            FROM unnest(\(ids)::uuid[], \(topics)::text[], \(keys)::text[], \(types)::text[], \(envelopes)::text[])
                WITH ORDINALITY AS e(id, topic, message_key, event_type, envelope, n)
            ORDER BY n
            """,
            logger: logger)
    }
}

/// The outbox and inbox tables, shipped with this module and applied next to a service's own
/// migrations (recorded in `messaging_schema_migrations`).
public enum MessagingMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }

    public static func load() throws -> [Migration] { try Migration.load(from: directory) }

    /// The runner for these tables.
    public static func runner() throws -> MigrationRunner {
        MigrationRunner(migrations: try load(), table: "messaging_schema_migrations")
    }
}
