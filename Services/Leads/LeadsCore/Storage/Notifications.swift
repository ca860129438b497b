import Foundation
import Logging
import PostgresNIO

/// Stored notifications; each insert also signals `dms_notifications` (on commit) so every replica
/// can push it to the recipient's open screens.
enum Notifications {
    struct Notification: Codable, Sendable, Equatable {
        var id: UUID
        var recipientId: UUID
        var kind: String
        var title: String
        var body: String?
        var leadId: UUID?
        var contactId: UUID?
        var createdAt: Date
        var readAt: Date?
    }

    static let channel = "dms_notifications"

    /// Adds a notification unless this recipient already has one of this kind for this source.
    static func add(
        to recipient: UUID, kind: String, title: String, body: String?, leadID: UUID?, contactID: UUID?, sourceID: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let id = UUID()
        let inserted = try await connection.query(
            """
            INSERT INTO notifications (id, recipient_id, kind, title, body, lead_id, contact_id, source_id)
            VALUES (\(id), \(recipient), \(kind), \(title), \(body), \(leadID), \(contactID), \(sourceID))
            ON CONFLICT (recipient_id, kind, source_id) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { return }
        try await connection.query("SELECT pg_notify(\(channel), \(id.uuidString))", logger: logger)
    }

    /// Notifies every head of sales.
    static func addForHeadsOfSales(
        kind: String, title: String, body: String?, leadID: UUID?, sourceID: String, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let heads = try await connection.query(
            "SELECT id FROM staff WHERE role = 'head_of_sales' AND active ORDER BY id", logger: logger
        ).collect()
        for row in heads {
            try await add(
                to: try row.decode(UUID.self), kind: kind, title: title, body: body, leadID: leadID, contactID: nil,
                sourceID: sourceID, on: connection, logger: logger)
        }
    }

    static let columns = "id, recipient_id, kind, title, body, lead_id, contact_id, created_at, read_at"

    static func decode(_ row: PostgresRow) throws -> Notification {
        let (id, recipient, kind, title, body, lead, contact, created, read) = try row.decode(
            (UUID, UUID, String, String, String?, UUID?, UUID?, Date, Date?).self)
        return Notification(
            id: id, recipientId: recipient, kind: kind, title: title, body: body, leadId: lead, contactId: contact,
            createdAt: created, readAt: read)
    }

    static func list(for recipient: UUID, unreadOnly: Bool, limit: Int, client: PostgresClient, logger: Logger) async throws -> [Notification] {
        let rows = try await client.query(
            """
            SELECT id, recipient_id, kind, title, body, lead_id, contact_id, created_at, read_at FROM notifications
            WHERE recipient_id = \(recipient) AND (NOT \(unreadOnly) OR read_at IS NULL)
            ORDER BY created_at DESC, id LIMIT \(limit)
            """, logger: logger)
        var items: [Notification] = []
        for try await row in rows { items.append(try decode(row)) }
        return items
    }

    static func load(_ id: UUID, client: PostgresClient, logger: Logger) async throws -> Notification? {
        let rows = try await client.query(
            "SELECT id, recipient_id, kind, title, body, lead_id, contact_id, created_at, read_at FROM notifications WHERE id = \(id)",
            logger: logger)
        for try await row in rows { return try decode(row) }
        return nil
    }

    static func markRead(_ id: UUID, client: PostgresClient, logger: Logger) async throws -> Notification? {
        let rows = try await client.query(
            """
            UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = \(id)
            RETURNING id, recipient_id, kind, title, body, lead_id, contact_id, created_at, read_at
            """, logger: logger)
        for try await row in rows { return try decode(row) }
        return nil
    }
}
