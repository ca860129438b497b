import Contracts
import Foundation
import Messaging

/// Keeps every event of the suite, whatever its type, so that read models can be rebuilt by
/// replaying exactly the same history.
struct EventLog: InboxHandler {
    /// The channel told (`NOTIFY`, delivered when the batch commits) that the log grew: every
    /// replica's tail listens on it and reads at once instead of at its next poll.
    static let channel = "consumed_events"

    /// Reporting reads every type, including those it has no payload type for.
    static var registry: EventRegistry {
        var registry = EventRegistry()
        registry.acceptsUnknownTypes = true
        return registry
    }

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        try await apply([event], in: transaction)
    }

    /// The whole batch in one statement (positions follow the batch's order), then one notification.
    func apply(_ events: [InboxEvent], in transaction: InboxTransaction) async throws {
        guard !events.isEmpty else { return }
        var ids: [UUID] = [], topics: [String] = [], partitions: [Int32] = [], offsets: [Int64] = []
        var types: [String] = [], occurred: [Date] = [], envelopes: [String] = []
        for event in events {
            ids.append(event.envelope.id)
            topics.append(event.topic)
            partitions.append(event.partition)
            offsets.append(event.offset)
            types.append(event.envelope.type)
            occurred.append(event.envelope.occurredAt)
            envelopes.append(String(decoding: try event.envelope.encoded(), as: UTF8.self))
        }
        try await transaction.connection.query(
            """
            INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
            SELECT id, topic, partition, "offset", type, occurred_at, envelope::jsonb
            FROM unnest(\(ids)::uuid[], \(topics)::text[], \(partitions)::int4[], \(offsets)::int8[], \(types)::text[],
                        \(occurred)::timestamptz[], \(envelopes)::text[])
                 WITH ORDINALITY AS batch (id, topic, partition, "offset", type, occurred_at, envelope, n)
            ORDER BY n
            ON CONFLICT (id) DO NOTHING
            """,
            logger: transaction.logger)
        try await transaction.connection.query("SELECT pg_notify(\(Self.channel), '')", logger: transaction.logger)
    }
}
