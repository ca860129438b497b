import Contracts
import Messaging

/// Keeps every event of the suite, whatever its type, so that read models can be rebuilt by
/// replaying exactly the same history.
struct EventLog: InboxHandler {
    /// Reporting reads every type, including those it has no payload type for.
    static var registry: EventRegistry {
        var registry = EventRegistry()
        registry.acceptsUnknownTypes = true
        return registry
    }

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        let envelope = String(decoding: try event.envelope.encoded(), as: UTF8.self)
        try await transaction.connection.query(
            """
            INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
            VALUES (\(event.envelope.id), \(event.topic), \(event.partition), \(event.offset), \(event.envelope.type),
                    \(event.envelope.occurredAt), \(envelope)::jsonb)
            ON CONFLICT (id) DO NOTHING
            """,
            logger: transaction.logger)
    }
}
