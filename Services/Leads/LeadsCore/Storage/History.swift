import Foundation
import Logging
import PostgresNIO

/// The correspondence of a contact or a lead, in time order.
enum History {
    struct Entry: Codable, Sendable, Equatable {
        var id: UUID
        var kind: String
        var occurredAt: Date
        var summary: String
        var body: String?
        var contactId: UUID?
        var leadId: UUID?
        /// Call details (direction, answered by, talk seconds, recording), inquiry id, page, attachments.
        var details: [String: String]
    }

    static func of(contact id: UUID, client: PostgresClient, logger: Logger) async throws -> [Entry] {
        try await entries(
            client.query(
                """
                SELECT id, kind, occurred_at, summary, body, contact_id, lead_id, details::text FROM history
                WHERE contact_id = \(id) ORDER BY occurred_at, id
                """, logger: logger))
    }

    static func of(lead id: UUID, client: PostgresClient, logger: Logger) async throws -> [Entry] {
        try await entries(
            client.query(
                """
                SELECT id, kind, occurred_at, summary, body, contact_id, lead_id, details::text FROM history
                WHERE lead_id = \(id) ORDER BY occurred_at, id
                """, logger: logger))
    }

    private static func entries(_ rows: PostgresRowSequence) async throws -> [Entry] {
        var entries: [Entry] = []
        for try await (id, kind, occurredAt, summary, body, contact, lead, details) in rows.decode(
            (UUID, String, Date, String, String?, UUID?, UUID?, String).self)
        {
            let object = (try? JSONSerialization.jsonObject(with: Data(details.utf8))) as? [String: Any] ?? [:]
            entries.append(Entry(
                id: id, kind: kind, occurredAt: occurredAt, summary: summary, body: body, contactId: contact, leadId: lead,
                details: object.mapValues { "\($0)" }))
        }
        return entries
    }
}
