import Contracts
import Crypto
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Inquiries (mails, chats, forms) and the quarantine of what could not be read. Each delivery is
/// claimed by its connector id first, so a repeated delivery changes nothing and answers with the
/// same id.
struct InquiryStore: Sendable {
    let client: PostgresClient

    /// A readable delivery: what it says, where it came from, its attachments.
    struct Delivery: Sendable {
        var draft: InquiryDraft
        var connector: String
        var sourceID: String
        var raw: [UInt8]
        var attachments: [MailAttachment] = []
    }

    /// Stores the inquiry and its `InquiryReceived` event, unless the connector delivered it before.
    /// Without attachments (the common case) that is one statement, atomic without BEGIN/COMMIT
    /// round trips: this is what keeps the connectors' acknowledgement fast.
    func receive(_ delivery: Delivery, logger: Logger) async throws -> Receipt {
        var delivery = delivery
        delivery.draft = delivery.draft.storable
        for index in delivery.attachments.indices {
            delivery.attachments[index].name = delivery.attachments[index].name.map(\.storableText)
            delivery.attachments[index].contentType = delivery.attachments[index].contentType.storableText
        }
        if delivery.attachments.isEmpty {
            return try await client.withConnection { connection in try await receive(delivery, on: connection, logger: logger) }
        }
        return try await client.withTransaction(logger: logger) { connection in
            try await receive(delivery, on: connection, logger: logger)
        }
    }

    /// Claims the delivery and, if it is new, stores the inquiry, its attachments and its event on
    /// `connection` (inside a transaction when there are attachments).
    private func receive(_ delivery: Delivery, on connection: PostgresConnection, logger: Logger) async throws -> Receipt {
        let inquiryID = UUID()
        let receivedAt = Date()
        let attachments = delivery.attachments.map {
            InquiryAttachment(id: UUID(), name: $0.name, contentType: $0.contentType, size: $0.size, truncated: $0.truncated)
        }
        let draft = delivery.draft
        let identity = draft.identity
        let utm = String(decoding: try JSONEncoder().encode(draft.utm), as: UTF8.self)
        let row = try Self.event(delivery, inquiryID: inquiryID, attachments: attachments, receivedAt: receivedAt).outboxRow()
        let stored = try await connection.query(
            """
            WITH claim AS (
                INSERT INTO received_messages (id, connector, source_id, subject_id)
                VALUES (\(UUID()), \(delivery.connector), \(delivery.sourceID), \(inquiryID))
                ON CONFLICT (connector, source_id) DO NOTHING RETURNING id
            ), inquiry AS (
                INSERT INTO inquiries (id, channel, connector, source_id, sender_name, sender_email, sender_phone_raw,
                    sender_phone_e164, company, subject, body, page_url, utm, raw, received_at)
                SELECT \(inquiryID), \(draft.channel.rawValue), \(delivery.connector), \(delivery.sourceID), \(identity.name),
                    \(identity.email), \(identity.phone?.raw), \(identity.phone?.e164), \(identity.company), \(draft.subject),
                    \(draft.text), \(draft.pageURL), \(utm)::jsonb, \(ByteBuffer(bytes: delivery.raw)), \(receivedAt)
                FROM claim RETURNING id
            )
            INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
            SELECT \(row.eventID), \(row.topic), \(row.key), \(row.type), \(row.envelope) FROM inquiry
            RETURNING event_id
            """, logger: logger
        ).collect()
        guard !stored.isEmpty else {
            return try await previousReceipt(delivery.connector, delivery.sourceID, fallback: inquiryID, on: connection, logger: logger)
        }
        for (position, (file, stored)) in zip(delivery.attachments, attachments).enumerated() {
            let content: ByteBuffer? = file.truncated ? nil : ByteBuffer(bytes: file.bytes)
            try await connection.query(
                """
                INSERT INTO inquiry_attachments (id, inquiry_id, position, name, content_type, size, truncated, content)
                VALUES (\(stored.id), \(inquiryID), \(position), \(file.name), \(file.contentType), \(file.size), \(file.truncated), \(content))
                """, logger: logger)
        }
        return Receipt(id: inquiryID, duplicate: false)
    }

    /// The `InquiryReceived` event of a delivery.
    static func event(_ delivery: Delivery, inquiryID: UUID, attachments: [InquiryAttachment], receivedAt: Date) throws -> OutboxEvent {
        // What a sender controls is bounded in the event (the inquiry row keeps all of it): the text
        // to `maxTextBytes`, each short field to 1 KiB, the page address to 4 KiB.
        let draft = delivery.draft
        let text = draft.text.prefix(utf8Bytes: InquiryReceived.maxTextBytes)
        var identity = draft.identity
        identity.name = identity.name?.prefix(utf8Bytes: 1024)
        identity.company = identity.company?.prefix(utf8Bytes: 1024)
        identity.email = identity.email?.prefix(utf8Bytes: 1024)
        let utm = Dictionary(draft.utm.prefix(32).map { ($0.key.prefix(utf8Bytes: 256), $0.value.prefix(utf8Bytes: 1024)) }) { first, _ in first }
        let payload = InquiryReceived(
            inquiryId: inquiryID, channel: draft.channel, identity: identity, subject: draft.subject?.prefix(utf8Bytes: 1024), text: text,
            textTruncated: text.utf8.count < draft.text.utf8.count ? true : nil, attachments: Array(attachments.prefix(100)),
            source: InquirySource(
                connector: delivery.connector, sourceId: delivery.sourceID, pageURL: draft.pageURL?.prefix(utf8Bytes: 4096), utm: utm),
            receivedAt: receivedAt)
        let envelope = try EventEnvelope(
            occurredAt: receivedAt, source: ServiceName.ingest.rawValue, key: key(of: draft.identity, fallback: inquiryID),
            correlationId: inquiryID, payload: payload)
        return OutboxEvent(topic: Topic.ingestInquiries, envelope: envelope)
    }

    /// The whole text of an inquiry (`inquiries.body`), or nil when there is no such inquiry.
    func text(of inquiry: UUID, logger: Logger) async throws -> String? {
        try await client.query("SELECT body FROM inquiries WHERE id = \(inquiry)", logger: logger).collect().first?.decode(String.self)
    }

    /// Keeps an unreadable delivery whole, with the reason, unless it was received before.
    func quarantine(connector: String, sourceID: String, reason: String, raw: [UInt8], logger: Logger) async throws -> Receipt {
        try await client.withTransaction(logger: logger) { connection in
            let entryID = UUID()
            if let previous = try await claim(connector, sourceID, subject: entryID, quarantined: true, on: connection, logger: logger) {
                return previous
            }
            try await connection.query(
                """
                INSERT INTO quarantine (id, connector, source_id, reason, raw)
                VALUES (\(entryID), \(connector), \(sourceID), \(reason), \(ByteBuffer(bytes: raw)))
                """, logger: logger)
            logger.warning("delivery quarantined", metadata: ["connector": "\(connector)", "quarantine": "\(entryID)", "reason": "\(reason)"])
            return Receipt(id: entryID, duplicate: false, quarantined: true)
        }
    }

    /// A stored attachment: its metadata, and its bytes unless it was over the size limit.
    struct StoredAttachment: Sendable {
        var name: String?
        var contentType: String
        var size: Int
        var content: ByteBuffer?
    }

    func attachment(_ id: UUID, of inquiry: UUID, logger: Logger) async throws -> StoredAttachment? {
        let rows = try await client.query(
            "SELECT name, content_type, size, content FROM inquiry_attachments WHERE id = \(id) AND inquiry_id = \(inquiry)",
            logger: logger)
        for try await (name, contentType, size, content) in rows.decode((String?, String, Int, ByteBuffer?).self) {
            return StoredAttachment(name: name, contentType: contentType, size: size, content: content)
        }
        return nil
    }

    /// One quarantined delivery, as operators see it.
    struct QuarantineEntry: Codable, Sendable {
        var id: UUID
        var connector: String
        var sourceId: String
        var reason: String
        var state: String
        var attempts: Int
        var size: Int
        var inquiryId: UUID?
        var receivedAt: Date
        var updatedAt: Date
    }

    func quarantined(state: String?, limit: Int, logger: Logger) async throws -> [QuarantineEntry] {
        let rows = try await client.query(
            """
            SELECT id, connector, source_id, reason, state, attempts, octet_length(raw), inquiry_id, received_at, updated_at
            FROM quarantine WHERE (\(state)::text IS NULL OR state = \(state))
            ORDER BY received_at DESC LIMIT \(limit)
            """, logger: logger)
        var entries: [QuarantineEntry] = []
        for try await (id, connector, sourceID, reason, state, attempts, size, inquiryID, receivedAt, updatedAt) in rows.decode(
            (UUID, String, String, String, String, Int, Int, UUID?, Date, Date).self)
        {
            entries.append(QuarantineEntry(
                id: id, connector: connector, sourceId: sourceID, reason: reason, state: state, attempts: attempts, size: size,
                inquiryId: inquiryID, receivedAt: receivedAt, updatedAt: updatedAt))
        }
        return entries
    }

    /// What a retry came to.
    enum RetryOutcome: Sendable {
        case released(QuarantineEntry)
        case stillUnreadable(QuarantineEntry)
        case notFound
    }

    /// Reads a quarantined delivery again (or the corrected bytes an operator supplies, which then
    /// replace the stored ones): readable → an inquiry (or the one it duplicates), the entry released.
    func retry(
        _ id: UUID, replacement: [UInt8]?, logger: Logger,
        read: @Sendable ([UInt8]) -> Result<Delivery, MailReadFailure>
    ) async throws -> RetryOutcome {
        let outcome: RetryOutcome = try await client.withTransaction(logger: logger) { connection in
            let row = try await connection.query(
                "SELECT raw, state FROM quarantine WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().first
            guard let row else { return .notFound }
            let (stored, state) = try row.decode((ByteBuffer, String).self)
            guard state == "held" else { return .released(try await entry(id, on: connection, logger: logger)) }
            let raw = replacement ?? Array(stored.readableBytesView)
            switch read(raw) {
            case .success(let delivery):
                let receipt = try await receive(delivery, on: connection, logger: logger)
                try await connection.query(
                    """
                    UPDATE quarantine SET state = 'released', inquiry_id = \(receipt.id), raw = \(ByteBuffer(bytes: raw)),
                        attempts = attempts + 1, updated_at = now() WHERE id = \(id)
                    """, logger: logger)
                return .released(try await entry(id, on: connection, logger: logger))
            case .failure(let failure):
                try await connection.query(
                    """
                    UPDATE quarantine SET reason = \(failure.description), attempts = attempts + 1, updated_at = now()
                    WHERE id = \(id)
                    """, logger: logger)
                return .stillUnreadable(try await entry(id, on: connection, logger: logger))
            }
        }
        return outcome
    }

    private func entry(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> QuarantineEntry {
        let row = try await connection.query(
            """
            SELECT id, connector, source_id, reason, state, attempts, octet_length(raw), inquiry_id, received_at, updated_at
            FROM quarantine WHERE id = \(id)
            """, logger: logger
        ).collect().first!
        let (id, connector, sourceID, reason, state, attempts, size, inquiryID, receivedAt, updatedAt) = try row.decode(
            (UUID, String, String, String, String, Int, Int, UUID?, Date, Date).self)
        return QuarantineEntry(
            id: id, connector: connector, sourceId: sourceID, reason: reason, state: state, attempts: attempts, size: size,
            inquiryId: inquiryID, receivedAt: receivedAt, updatedAt: updatedAt)
    }

    /// Claims the connector's id for `subject`; returns the earlier receipt when it was claimed before.
    private func claim(
        _ connector: String, _ sourceID: String, subject: UUID, quarantined: Bool = false,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> Receipt? {
        let claimed = try await connection.query(
            """
            INSERT INTO received_messages (id, connector, source_id, subject_id, quarantined)
            VALUES (\(UUID()), \(connector), \(sourceID), \(subject), \(quarantined))
            ON CONFLICT (connector, source_id) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard claimed.isEmpty else { return nil }
        return try await previousReceipt(connector, sourceID, fallback: subject, on: connection, logger: logger)
    }

    /// What an earlier delivery of this connector id became.
    private func previousReceipt(
        _ connector: String, _ sourceID: String, fallback: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> Receipt {
        let previous = try await connection.query(
            "SELECT subject_id, quarantined FROM received_messages WHERE connector = \(connector) AND source_id = \(sourceID)",
            logger: logger
        ).collect().first
        let (id, wasQuarantined) = try previous?.decode((UUID?, Bool).self) ?? (nil, false)
        return Receipt(id: id ?? fallback, duplicate: true, quarantined: wasQuarantined ? true : nil)
    }

    /// Inquiries of one person share a partition: the E.164 phone, else the e-mail, else the inquiry.
    static func key(of identity: InquiryIdentity, fallback: UUID) -> String {
        if let phone = identity.phone?.e164 { return phone }
        if let email = identity.email { return email }
        return fallback.uuidString.lowercased()
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a delivery could not be read.
struct MailReadFailure: Error, Sendable, CustomStringConvertible {
    var description: String
}

extension String {
    /// The longest beginning of the text that fits in `limit` UTF-8 bytes, cut between characters.
    func prefix(utf8Bytes limit: Int) -> String {
        guard utf8.count > limit else { return self }
        var end = startIndex
        var bytes = 0
        for index in indices {
            let next = self.index(after: index)
            let size = self[index..<next].utf8.count
            if bytes + size > limit { break }
            bytes += size
            end = next
        }
        return String(self[..<end])
    }
}
