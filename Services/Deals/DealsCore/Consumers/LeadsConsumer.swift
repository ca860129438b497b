import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Applies what leads publishes: the contact book (kept as a local view) and converted leads,
/// each of which opens one deal.
struct LeadsConsumer: InboxHandler {
    let deals: DealStore
    let clock: @Sendable () -> Date

    static let types: [any EventPayload.Type] = [
        LeadConverted.self, CounterpartyRegistered.self, CounterpartyUpdated.self, ContactRegistered.self, ContactUpdated.self,
        ContactsMerged.self,
    ]

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        let connection = transaction.connection
        let logger = transaction.logger
        switch event.payload {
        case let counterparty as CounterpartyRegistered:
            try await upsertCounterparty(counterparty.counterpartyId, counterparty.name, counterparty.taxId, counterparty.kind, connection, logger)
        case let counterparty as CounterpartyUpdated:
            try await upsertCounterparty(counterparty.counterpartyId, counterparty.name, counterparty.taxId, counterparty.kind, connection, logger)
        case let contact as ContactRegistered:
            try await upsertContact(contact.contact, connection, logger)
        case let contact as ContactUpdated:
            try await upsertContact(contact.contact, connection, logger)
        case let merged as ContactsMerged:
            try await upsertContact(merged.survivor, connection, logger)
        case let converted as LeadConverted:
            let draft = try await draft(for: converted, on: connection, logger: logger)
            do {
                let (_, events) = try await deals.open(
                    draft, leadID: converted.leadId, correlationID: converted.correlationId,
                    by: DealActor(staffID: converted.managerId, now: clock()), on: connection, logger: logger)
                try await transaction.emit(events)
            } catch DealsError.missingFields(let fields) {
                // Retrying cannot add what the event lacks: to the dead-letter topic at once.
                throw EventRejected("the converted lead lacks what a deal needs: \(fields.joined(separator: ", "))")
            }
        default:
            return
        }
    }

    /// The deal a converted lead opens: its needs, manager and department; the legal entity and
    /// contacts as the contact book last said (a private customer's name stands in for a missing
    /// counterparty; the contract stage asks for the rest).
    func draft(for converted: LeadConverted, on connection: PostgresConnection, logger: Logger) async throws -> DealDraft {
        var legalEntity: LegalEntity?
        if let counterparty = converted.counterparty {
            legalEntity = LegalEntity(name: counterparty.name, taxId: counterparty.taxId, paymentDetails: nil, address: nil)
        } else if let id = converted.counterpartyId {
            let rows = try await connection.query("SELECT name, tax_id FROM counterparty_view WHERE id = \(id)", logger: logger).collect()
            if let row = rows.first {
                let (name, taxID) = try row.decode((String, String?).self)
                legalEntity = LegalEntity(name: name, taxId: taxID, paymentDetails: nil, address: nil)
            }
        }
        var contacts: [DealContact] = (converted.contacts ?? []).map {
            DealContact(contactId: $0.contactId, name: $0.name, phone: $0.phones.first?.e164, email: $0.emails.first)
        }
        for row in try await connection.query(
            "SELECT id, name, phones, emails FROM contact_view WHERE id = ANY(\(converted.contactIds)) ORDER BY name", logger: logger
        ).collect() {
            let (id, name, phones, emails) = try row.decode((UUID, String, [String], [String]).self)
            if !contacts.contains(where: { $0.contactId == id }) {
                contacts.append(DealContact(contactId: id, name: name, phone: phones.first, email: emails.first))
            }
        }
        // Contacts the view has not seen yet (events of another partition still on their way).
        for id in converted.contactIds where !contacts.contains(where: { $0.contactId == id }) {
            contacts.append(DealContact(contactId: id, name: "Contact \(id.uuidString.prefix(8).lowercased())", phone: nil, email: nil))
        }
        if legalEntity == nil {
            legalEntity = LegalEntity(name: contacts.first?.name ?? "Customer of lead \(converted.leadId.uuidString.prefix(8).lowercased())",
                                      taxId: nil, paymentDetails: nil, address: nil)
        }
        return DealDraft(
            needs: converted.needs, legalEntity: legalEntity, contacts: contacts, parameters: DealParameters(applicationArea: nil, materials: []),
            lines: [], currency: deals.defaultCurrency, managerId: converted.managerId, departmentCode: converted.departmentCode)
    }

    private func upsertCounterparty(_ id: UUID, _ name: String, _ taxID: String?, _ kind: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO counterparty_view (id, name, tax_id, kind) VALUES (\(id), \(name), \(taxID), \(kind))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, tax_id = excluded.tax_id, kind = excluded.kind
            """, logger: logger)
    }

    private func upsertContact(_ contact: ContactSnapshot, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO contact_view (id, name, counterparty_id, phones, emails)
            VALUES (\(contact.contactId), \(contact.name), \(contact.counterpartyId), \(contact.phones.map(\.e164)), \(contact.emails))
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, counterparty_id = excluded.counterparty_id,
                phones = excluded.phones, emails = excluded.emails
            """, logger: logger)
    }
}
