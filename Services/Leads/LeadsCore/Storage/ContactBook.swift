import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Counterparties and contacts (people with several phones and e-mails), and matching an inquiry
/// or call to a known contact.
struct ContactBook: Sendable {
    /// A contact as the API shows it.
    struct Contact: Codable, Sendable, Equatable {
        var id: UUID
        var name: String
        var counterpartyId: UUID?
        var managerId: UUID?
        var phones: [ContactPhone]
        var emails: [String]
        var marketingConsent: Bool
        var mergedInto: UUID?
        var version: Int

        var snapshot: ContactSnapshot {
            ContactSnapshot(contactId: id, name: name, counterpartyId: counterpartyId, managerId: managerId, phones: phones,
                            emails: emails, marketingConsent: marketingConsent)
        }
    }

    struct Counterparty: Codable, Sendable, Equatable {
        var id: UUID
        var name: String
        var taxId: String?
        var kind: String
    }

    /// What a new contact is made of; phones are normalised by the caller.
    struct NewContact: Sendable {
        var name: String
        var counterpartyId: UUID?
        var managerId: UUID?
        var phones: [ContactPhone]
        var emails: [String]
        var marketingConsent: Bool
    }

    static func createCounterparty(
        name: String, taxId: String?, kind: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Counterparty, [OutboxEvent]) {
        let id = UUID()
        let inserted = try await connection.query(
            """
            INSERT INTO counterparties (id, name, tax_id, kind) VALUES (\(id), \(name), \(taxId), \(kind))
            ON CONFLICT (tax_id) WHERE tax_id IS NOT NULL DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { throw LeadsError.conflict("a counterparty with tax id \(taxId ?? "") exists already") }
        let counterparty = Counterparty(id: id, name: name, taxId: taxId, kind: kind)
        let event = try LeadsEvents.event(
            CounterpartyRegistered(counterpartyId: id, name: name, taxId: taxId, kind: kind), key: id, correlation: id)
        return (counterparty, [event])
    }

    static func counterparty(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Counterparty? {
        let rows = try await connection.query(
            "SELECT id, name, tax_id, kind FROM counterparties WHERE id = \(id)", logger: logger
        ).collect()
        return try rows.first.map { row in
            let (id, name, taxID, kind) = try row.decode((UUID, String, String?, String).self)
            return Counterparty(id: id, name: name, taxId: taxID, kind: kind)
        }
    }

    /// Counterparties by tax id and/or part of the name (case-insensitive), at most 100.
    static func counterparties(
        taxID: String?, nameContains name: String?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Counterparty] {
        let pattern = name.map { "%" + $0.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        let rows = try await connection.query(
            """
            SELECT id, name, tax_id, kind FROM counterparties
            WHERE (\(taxID)::text IS NULL OR tax_id = \(taxID)) AND (\(pattern)::text IS NULL OR name ILIKE \(pattern))
            ORDER BY name, id LIMIT 100
            """, logger: logger
        ).collect()
        return try rows.map { row in
            let (id, name, taxID, kind) = try row.decode((UUID, String, String?, String).self)
            return Counterparty(id: id, name: name, taxId: taxID, kind: kind)
        }
    }

    /// Changes name, tax id or kind (nil leaves a field as is); publishes the counterparty as it now stands.
    static func updateCounterparty(
        _ id: UUID, name: String?, taxId: String?, kind: String?, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Counterparty, [OutboxEvent]) {
        let rows = try await connection.query(
            """
            UPDATE counterparties SET name = coalesce(\(name), name), tax_id = coalesce(\(taxId), tax_id),
                kind = coalesce(\(kind), kind), updated_at = now()
            WHERE id = \(id) RETURNING id, name, tax_id, kind
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw LeadsError.notFound("no counterparty \(id)") }
        let (id, name, taxID, kind) = try row.decode((UUID, String, String?, String).self)
        let counterparty = Counterparty(id: id, name: name, taxId: taxID, kind: kind)
        let event = try LeadsEvents.event(
            CounterpartyUpdated(counterpartyId: id, name: name, taxId: taxID, kind: kind), key: id, correlation: id)
        return (counterparty, [event])
    }

    static func create(_ new: NewContact, on connection: PostgresConnection, logger: Logger) async throws -> (Contact, [OutboxEvent]) {
        let id = UUID()
        try await connection.query(
            """
            INSERT INTO contacts (id, name, counterparty_id, manager_id, marketing_consent)
            VALUES (\(id), \(new.name), \(new.counterpartyId), \(new.managerId), \(new.marketingConsent))
            """, logger: logger)
        try await addChannels(to: id, phones: new.phones, emails: new.emails, on: connection, logger: logger)
        let contact = try await load(id, on: connection, logger: logger)!
        let event = try LeadsEvents.event(ContactRegistered(contact: contact.snapshot), key: id, correlation: id)
        return (contact, [event])
    }

    static func addChannels(
        to id: UUID, phones: [ContactPhone], emails: [String], on connection: PostgresConnection, logger: Logger
    ) async throws {
        for phone in phones {
            try await connection.query(
                """
                INSERT INTO contact_phones (contact_id, e164, raw) VALUES (\(id), \(phone.e164), \(phone.raw))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        for email in emails {
            try await connection.query(
                "INSERT INTO contact_emails (contact_id, email) VALUES (\(id), \(email.lowercased())) ON CONFLICT DO NOTHING",
                logger: logger)
        }
    }

    /// Changes name, counterparty, manager, consent and adds phones/e-mails (nil leaves a field as is).
    static func update(
        _ id: UUID, name: String?, counterpartyId: UUID?, managerId: UUID?, marketingConsent: Bool?,
        addPhones: [ContactPhone], addEmails: [String], expectedVersion: Int?,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (Contact, [OutboxEvent]) {
        let updated = try await connection.query(
            """
            UPDATE contacts SET name = coalesce(\(name), name), counterparty_id = coalesce(\(counterpartyId), counterparty_id),
                manager_id = coalesce(\(managerId), manager_id),
                marketing_consent = coalesce(\(marketingConsent), marketing_consent),
                version = version + 1, updated_at = now()
            WHERE id = \(id) AND merged_into IS NULL AND (\(expectedVersion)::int IS NULL OR version = \(expectedVersion))
            RETURNING id
            """, logger: logger
        ).collect()
        if updated.isEmpty {
            guard let current = try await load(id, on: connection, logger: logger), current.mergedInto == nil else {
                throw LeadsError.notFound("no contact \(id)")
            }
            throw LeadsError.preconditionFailed("the contact is at version \(current.version), not \(expectedVersion ?? 0)")
        }
        try await addChannels(to: id, phones: addPhones, emails: addEmails, on: connection, logger: logger)
        let contact = try await load(id, on: connection, logger: logger)!
        return (contact, [try LeadsEvents.event(ContactUpdated(contact: contact.snapshot), key: id, correlation: id)])
    }

    /// Merges `mergedID` into `survivorID`: phones, e-mails and the whole history move to the
    /// survivor; the merged contact stays, pointing at the survivor, so old links still resolve.
    static func merge(
        _ mergedID: UUID, into survivorID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Contact, [OutboxEvent]) {
        guard mergedID != survivorID else { throw LeadsError.unprocessable("a contact cannot be merged into itself") }
        // Lock both in a fixed order so two opposite merges cannot deadlock.
        let locked = try await connection.query(
            """
            SELECT id, merged_into FROM contacts WHERE id IN (\(mergedID), \(survivorID)) ORDER BY id FOR UPDATE
            """, logger: logger
        ).collect()
        var mergedInto: [UUID: UUID?] = [:]
        for row in locked {
            let (id, into) = try row.decode((UUID, UUID?).self)
            mergedInto[id] = into
        }
        guard let survivorState = mergedInto[survivorID], let mergedState = mergedInto[mergedID] else {
            throw LeadsError.notFound("both contacts must exist")
        }
        guard survivorState == nil else { throw LeadsError.conflict("contact \(survivorID) was itself merged into another") }
        if mergedState == survivorID {  // merged before: same answer again
            return (try await load(survivorID, on: connection, logger: logger)!, [])
        }
        guard mergedState == nil else { throw LeadsError.conflict("contact \(mergedID) was merged into another contact") }
        try await connection.query(
            """
            INSERT INTO contact_phones (contact_id, e164, raw)
            SELECT \(survivorID), e164, raw FROM contact_phones WHERE contact_id = \(mergedID) ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO contact_emails (contact_id, email)
            SELECT \(survivorID), email FROM contact_emails WHERE contact_id = \(mergedID) ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query("UPDATE history SET contact_id = \(survivorID) WHERE contact_id = \(mergedID)", logger: logger)
        try await connection.query(
            """
            UPDATE contacts s SET manager_id = coalesce(s.manager_id, m.manager_id),
                counterparty_id = coalesce(s.counterparty_id, m.counterparty_id),
                marketing_consent = s.marketing_consent OR m.marketing_consent, version = s.version + 1, updated_at = now()
            FROM contacts m WHERE s.id = \(survivorID) AND m.id = \(mergedID)
            """, logger: logger)
        try await connection.query(
            "UPDATE contacts SET merged_into = \(survivorID), version = version + 1, updated_at = now() WHERE id = \(mergedID)",
            logger: logger)
        let survivor = try await load(survivorID, on: connection, logger: logger)!
        let event = try LeadsEvents.event(
            ContactsMerged(survivorId: survivorID, mergedId: mergedID, survivor: survivor.snapshot), key: survivorID,
            correlation: survivorID)
        return (survivor, [event])
    }

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Contact? {
        let rows = try await connection.query(
            """
            SELECT c.id, c.name, c.counterparty_id, c.manager_id, c.marketing_consent, c.merged_into, c.version,
                coalesce((SELECT array_agg(e164 ORDER BY e164) FROM contact_phones WHERE contact_id = c.id), '{}'),
                coalesce((SELECT array_agg(raw ORDER BY e164) FROM contact_phones WHERE contact_id = c.id), '{}'),
                coalesce((SELECT array_agg(email ORDER BY email) FROM contact_emails WHERE contact_id = c.id), '{}')
            FROM contacts c WHERE c.id = \(id)
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (id, name, counterparty, manager, consent, mergedInto, version, e164s, raws, emails) = try row.decode(
            (UUID, String, UUID?, UUID?, Bool, UUID?, Int, [String], [String], [String]).self)
        return Contact(
            id: id, name: name, counterpartyId: counterparty, managerId: manager,
            phones: zip(e164s, raws).map { ContactPhone(e164: $0, raw: $1) }, emails: emails, marketingConsent: consent,
            mergedInto: mergedInto, version: version)
    }

    /// Contacts with any of these phones / e-mails (the lookup behind `GET /v1/contacts?phone=&email=`).
    static func find(phone: String?, email: String?, on connection: PostgresConnection, logger: Logger) async throws -> [Contact] {
        let rows = try await connection.query(
            """
            SELECT c.id FROM contacts c
            WHERE c.merged_into IS NULL AND (
                (\(phone)::text IS NOT NULL AND EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id AND p.e164 = \(phone)))
                OR (\(email?.lowercased())::text IS NOT NULL
                    AND EXISTS (SELECT 1 FROM contact_emails e WHERE e.contact_id = c.id AND e.email = \(email?.lowercased()))))
            ORDER BY c.updated_at DESC, c.id LIMIT 100
            """, logger: logger
        ).collect()
        var contacts: [Contact] = []
        for row in rows {
            if let contact = try await load(try row.decode(UUID.self), on: connection, logger: logger) { contacts.append(contact) }
        }
        return contacts
    }
}
