import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Something that reached the company — a call or an inquiry — to be matched to a contact or a lead.
struct Inbound: Sendable {
    enum Kind: String, Sendable { case call, mail, chat, webForm = "web_form" }
    var kind: Kind
    var channel: LeadChannel
    /// `call:<id>` or `inquiry:<id>`: one history entry per source, however often it arrives.
    var sourceID: String
    var occurredAt: Date
    var phone: PartyNumber?
    var email: String?
    var name: String?
    var company: String?
    var summary: String
    var body: String?
    /// JSON object with what the history shows (call details, attachments, page).
    var details: String
    var correlationID: UUID
    /// Whether an unknown sender becomes a lead (inbound calls and inquiries; not outbound calls).
    var mayCreateLead: Bool

    var identities: [String] {
        var identities: [String] = []
        if let e164 = phone?.e164 { identities.append("phone:\(e164)") }
        if let email { identities.append("email:\(email.lowercased())") }
        return identities.sorted()
    }
}

/// A lead as the API shows it.
struct LeadRecord: Codable, Sendable, Equatable {
    var id: UUID
    var state: LeadState
    var channel: LeadChannel
    var source: String
    var name: String?
    var email: String?
    var phone: String?
    var phoneRaw: String?
    var company: String?
    var departmentCode: String?
    var managerId: UUID?
    var needs: String?
    var counterpartyId: UUID?
    var contactIds: [UUID]
    var disqualificationReason: String?
    var disqualificationComment: String?
    var correlationId: UUID
    var version: Int
    var createdAt: Date
    var updatedAt: Date
}

/// Leads: created from unknown senders, triaged, worked, qualified, converted. Every command is
/// one transaction: the lead row locked, its state changed, its events and notifications written.
struct LeadStore: Sendable {
    let settings: LeadsSettings

    // MARK: Inbound

    /// Matches `inbound` to a contact (history + the manager notified) or to the sender's open lead
    /// (history joins it), or opens a new lead (the head of sales notified, triage deadline set).
    /// Idempotent per `sourceID`. Three statements whatever the outcome: the sender's locks, one
    /// look-up, one write — this runs for every inquiry and call, inside the inbox's batch.
    func register(_ inbound: Inbound, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        let identities = inbound.identities
        // One sender at a time, whatever partition or replica their messages come through. A
        // statement of its own: the look-up below must take its snapshot after the locks are held.
        if !identities.isEmpty {
            try await connection.query(
                """
                SELECT pg_advisory_xact_lock(hashtextextended(identity, 0))
                FROM (SELECT identity FROM unnest(\(identities)::text[]) AS identity ORDER BY identity) AS sorted
                """, logger: logger)
        }
        let lookup = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM history WHERE source_id = \(inbound.sourceID)),
                contact.id, contact.manager_id, contact.name, lead.id, lead.manager_id
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT c.id, c.manager_id, c.name FROM contacts c
                WHERE c.merged_into IS NULL AND (
                    EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id AND p.e164 = \(inbound.phone?.e164))
                    OR EXISTS (SELECT 1 FROM contact_emails e WHERE e.contact_id = c.id AND e.email = \(inbound.email?.lowercased())))
                ORDER BY c.updated_at DESC, c.id LIMIT 1) AS contact ON true
            LEFT JOIN LATERAL (
                SELECT l.id, l.manager_id FROM open_lead_identities o JOIN leads l ON l.id = o.lead_id
                WHERE o.identity = ANY(\(identities)::text[]) ORDER BY l.created_at LIMIT 1) AS lead ON true
            """, logger: logger
        ).collect()
        let (seen, contactID, contactManager, contactName, leadID, leadManager) = try lookup[0].decode(
            (Bool, UUID?, UUID?, String?, UUID?, UUID?).self)
        if seen { return [] }
        let title = Self.title(of: inbound)
        if let contactID {
            // A known contact: history, and the responsible manager (the heads of sales when there is none).
            try await connection.query(
                """
                WITH entry AS (
                    INSERT INTO history (id, source_id, contact_id, lead_id, kind, occurred_at, summary, body, details)
                    VALUES (\(UUID()), \(inbound.sourceID), \(contactID), \(leadID), \(inbound.kind.rawValue),
                        \(inbound.occurredAt), \(inbound.summary), \(inbound.body), \(inbound.details)::jsonb)
                ), note AS (
                    INSERT INTO notifications (id, recipient_id, kind, title, body, lead_id, contact_id, source_id)
                    SELECT gen_random_uuid(), s.id, 'contact_activity', \(title), \((contactName ?? "") + ": " + inbound.summary),
                        \(leadID), \(contactID), \(inbound.sourceID)
                    FROM staff s
                    WHERE (\(contactManager)::uuid IS NOT NULL AND s.id = \(contactManager))
                       OR (\(contactManager)::uuid IS NULL AND s.role = 'head_of_sales' AND s.active)
                    ON CONFLICT (recipient_id, kind, source_id) DO NOTHING RETURNING id)
                SELECT pg_notify(\(Notifications.channel), id::text) FROM note
                """, logger: logger)
            return []
        }
        if let leadID {
            // The sender's open lead: the message joins its history; its manager hears of it.
            try await connection.query(
                """
                WITH entry AS (
                    INSERT INTO history (id, source_id, contact_id, lead_id, kind, occurred_at, summary, body, details)
                    VALUES (\(UUID()), \(inbound.sourceID), NULL, \(leadID), \(inbound.kind.rawValue),
                        \(inbound.occurredAt), \(inbound.summary), \(inbound.body), \(inbound.details)::jsonb)
                ), claims AS (
                    INSERT INTO open_lead_identities (identity, lead_id)
                    SELECT identity, \(leadID) FROM unnest(\(identities)::text[]) AS identity ON CONFLICT DO NOTHING
                ), note AS (
                    INSERT INTO notifications (id, recipient_id, kind, title, body, lead_id, contact_id, source_id)
                    SELECT gen_random_uuid(), s.id, 'lead_activity', \(title), \(inbound.summary), \(leadID), NULL, \(inbound.sourceID)
                    FROM staff s WHERE s.id = \(leadManager)
                    ON CONFLICT (recipient_id, kind, source_id) DO NOTHING RETURNING id)
                SELECT pg_notify(\(Notifications.channel), id::text) FROM note
                """, logger: logger)
            return []
        }
        guard inbound.mayCreateLead else { return [] }
        // A new lead. Its identities are claimed with a plain insert: a second open lead for one
        // identity fails on the primary key (the locks above make that unreachable in practice).
        let newLeadID = UUID()
        let triageDue = settings.triage.nextSlot(after: now)
        try await connection.query(
            """
            WITH lead AS (
                INSERT INTO leads (id, state, channel, source, name, email, phone_e164, phone_raw, company, correlation_id,
                    created_at, updated_at)
                VALUES (\(newLeadID), 'new', \(inbound.channel.rawValue), \(inbound.sourceID), \(inbound.name),
                    \(inbound.email?.lowercased()), \(inbound.phone?.e164), \(inbound.phone?.raw), \(inbound.company),
                    \(inbound.correlationID), \(now), \(now))
                RETURNING id
            ), claims AS (
                INSERT INTO open_lead_identities (identity, lead_id)
                SELECT identity, lead.id FROM unnest(\(identities)::text[]) AS identity, lead
            ), entry AS (
                INSERT INTO history (id, source_id, contact_id, lead_id, kind, occurred_at, summary, body, details)
                SELECT \(UUID()), \(inbound.sourceID), NULL, lead.id, \(inbound.kind.rawValue), \(inbound.occurredAt),
                    \(inbound.summary), \(inbound.body), \(inbound.details)::jsonb FROM lead
            ), deadline AS (
                INSERT INTO deadlines (lead_id, kind, due_at) SELECT lead.id, 'triage', \(triageDue) FROM lead
            ), note AS (
                INSERT INTO notifications (id, recipient_id, kind, title, body, lead_id, contact_id, source_id)
                SELECT gen_random_uuid(), s.id, 'new_lead', \("New lead: " + title), \(inbound.summary), lead.id, NULL,
                    \(inbound.sourceID)
                FROM staff s, lead WHERE s.role = 'head_of_sales' AND s.active
                ON CONFLICT (recipient_id, kind, source_id) DO NOTHING RETURNING id)
            SELECT pg_notify(\(Notifications.channel), id::text) FROM note
            """, logger: logger)
        let created = LeadCreated(
            leadId: newLeadID, channel: inbound.channel, name: inbound.name, email: inbound.email?.lowercased(),
            phone: inbound.phone?.e164, company: inbound.company, source: inbound.sourceID, createdAt: now, triageDueAt: triageDue)
        return [try LeadsEvents.event(created, key: newLeadID, correlation: inbound.correlationID)]
    }

    /// Adds what a later event says about a call (answered, ended) to its history entry.
    func amendCall(sourceID: String, details: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE history SET details = details || \(details)::jsonb WHERE source_id = \(sourceID)", logger: logger)
    }

    private static func title(of inbound: Inbound) -> String {
        let who = inbound.name ?? inbound.phone?.e164 ?? inbound.phone?.raw ?? inbound.email ?? "unknown sender"
        switch inbound.kind {
        case .call: return "Call from \(who)"
        case .mail: return "E-mail from \(who)"
        case .chat: return "Chat with \(who)"
        case .webForm: return "Web form from \(who)"
        }
    }

    // MARK: Commands

    /// Who is doing it and when (the domain takes the clock from outside).
    struct Actor: Sendable {
        var staffID: UUID?
        var now: Date
    }

    /// Assigns a lead to a department and a manager; without a manager, the next present manager of
    /// the department in turn (round robin).
    func assign(
        _ leadID: UUID, department: String, manager: UUID?, expectedVersion: Int?, by actor: Actor,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (LeadRecord, [OutboxEvent]) {
        var lead = try await lock(leadID, expectedVersion: expectedVersion, on: connection, logger: logger)
        let managerID = try await chooseManager(manager, department: department, on: connection, logger: logger)
        let next = try transition(lead, .assign(department: department, manager: managerID))
        try await connection.query(
            """
            UPDATE leads SET state = \(next.rawValue), department_code = \(department), manager_id = \(managerID),
                assigned_at = \(actor.now), version = version + 1, updated_at = \(actor.now) WHERE id = \(leadID)
            """, logger: logger)
        try await connection.query(
            "UPDATE deadlines SET cancelled_at = \(actor.now) WHERE lead_id = \(leadID) AND kind = 'triage' AND fired_at IS NULL AND cancelled_at IS NULL",
            logger: logger)
        let due = settings.calendar.adding(workingHours: settings.responseHours, to: actor.now)
        try await connection.query(
            """
            INSERT INTO deadlines (lead_id, kind, due_at) VALUES (\(leadID), 'response', \(due))
            ON CONFLICT (lead_id, kind) DO UPDATE SET due_at = excluded.due_at, fired_at = NULL, cancelled_at = NULL
            """, logger: logger)
        try await Notifications.add(
            to: managerID, kind: "lead_assigned", title: "Lead assigned to you: \(lead.name ?? lead.phone ?? lead.email ?? "new lead")",
            body: "Contact the customer by \(Timestamp.format(due))", leadID: leadID, contactID: nil,
            sourceID: "assign:\(leadID):\(lead.version)", on: connection, logger: logger)
        let events = try await record(
            &lead, to: next, department: department, manager: managerID, by: actor, on: connection, logger: logger)
        return (lead, events)
    }

    /// The manager has contacted the customer.
    func startWork(_ leadID: UUID, expectedVersion: Int?, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> (LeadRecord, [OutboxEvent]) {
        var lead = try await lock(leadID, expectedVersion: expectedVersion, on: connection, logger: logger)
        let next = try transition(lead, .startWork)
        try await connection.query(
            "UPDATE leads SET state = \(next.rawValue), version = version + 1, updated_at = \(actor.now) WHERE id = \(leadID)",
            logger: logger)
        try await cancelDeadlines(leadID, kind: "response", at: actor.now, on: connection, logger: logger)
        let events = try await record(&lead, to: next, department: lead.departmentCode, manager: lead.managerId, by: actor, on: connection, logger: logger)
        return (lead, events)
    }

    /// Records the needs, the counterparty and the contacts (a contact is created from the lead's
    /// sender when none is given).
    func qualify(
        _ leadID: UUID, needs: String, counterpartyID: UUID?, contactIDs: [UUID], expectedVersion: Int?, by actor: Actor,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (LeadRecord, [OutboxEvent]) {
        var lead = try await lock(leadID, expectedVersion: expectedVersion, on: connection, logger: logger)
        var events: [OutboxEvent] = []
        if let counterpartyID, try await ContactBook.counterparty(counterpartyID, on: connection, logger: logger) == nil {
            throw LeadsError.unprocessable("no counterparty \(counterpartyID)")
        }
        var contacts = contactIDs
        for id in contacts where try await ContactBook.load(id, on: connection, logger: logger) == nil {
            throw LeadsError.unprocessable("no contact \(id)")
        }
        if contacts.isEmpty, lead.state == .inProgress, lead.phone != nil || lead.email != nil {
            let phones = lead.phone.map { [ContactPhone(e164: $0, raw: lead.phoneRaw ?? $0)] } ?? []
            let (contact, created) = try await ContactBook.create(
                .init(name: lead.name ?? lead.email ?? lead.phone ?? "Unnamed", counterpartyId: counterpartyID, managerId: lead.managerId,
                      phones: phones, emails: lead.email.map { [$0] } ?? [], marketingConsent: false),
                on: connection, logger: logger)
            contacts = [contact.id]
            events += created
            // The sender's earlier messages become the new contact's history too.
            try await connection.query(
                "UPDATE history SET contact_id = \(contact.id) WHERE lead_id = \(leadID) AND contact_id IS NULL", logger: logger)
        }
        let next = try transition(lead, .qualify(needs: needs, counterpartyId: counterpartyID, contactIds: contacts))
        try await connection.query(
            """
            UPDATE leads SET state = \(next.rawValue), needs = \(needs), counterparty_id = \(counterpartyID),
                contact_ids = \(contacts), version = version + 1, updated_at = \(actor.now) WHERE id = \(leadID)
            """, logger: logger)
        lead.needs = needs
        lead.counterpartyId = counterpartyID
        lead.contactIds = contacts
        events += try await record(&lead, to: next, department: lead.departmentCode, manager: lead.managerId, by: actor, on: connection, logger: logger)
        return (lead, events)
    }

    func disqualify(
        _ leadID: UUID, reason: DisqualificationReason, comment: String?, expectedVersion: Int?, by actor: Actor,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (LeadRecord, [OutboxEvent]) {
        var lead = try await lock(leadID, expectedVersion: expectedVersion, on: connection, logger: logger)
        let next = try transition(lead, .disqualify(reason: reason, comment: comment))
        try await connection.query(
            """
            UPDATE leads SET state = \(next.rawValue), disqualification_reason = \(reason.rawValue),
                disqualification_comment = \(comment), version = version + 1, updated_at = \(actor.now) WHERE id = \(leadID)
            """, logger: logger)
        try await close(leadID, at: actor.now, on: connection, logger: logger)
        lead.disqualificationReason = reason.rawValue
        lead.disqualificationComment = comment
        let events = try await record(
            &lead, to: next, department: lead.departmentCode, manager: lead.managerId, reason: reason.rawValue, comment: comment,
            by: actor, on: connection, logger: logger)
        return (lead, events)
    }

    /// Converts a qualified lead. Calling it again on the converted lead answers the same and emits nothing.
    func convert(_ leadID: UUID, by actor: Actor, on connection: PostgresConnection, logger: Logger) async throws -> (LeadRecord, [OutboxEvent]) {
        var lead = try await lock(leadID, expectedVersion: nil, on: connection, logger: logger)
        if lead.state == .converted { return (lead, []) }
        let next = try transition(lead, .convert)
        guard let manager = lead.managerId, let department = lead.departmentCode, let needs = lead.needs else {
            throw LeadsError.invalidTransition("a lead is converted only with a manager, a department and needs")
        }
        try await connection.query(
            """
            UPDATE leads SET state = \(next.rawValue), converted_at = \(actor.now), version = version + 1, updated_at = \(actor.now)
            WHERE id = \(leadID)
            """, logger: logger)
        try await close(leadID, at: actor.now, on: connection, logger: logger)
        var events = try await record(&lead, to: next, department: department, manager: manager, by: actor, on: connection, logger: logger)
        var counterparty: CounterpartySnapshot?
        if let id = lead.counterpartyId, let found = try await ContactBook.counterparty(id, on: connection, logger: logger) {
            counterparty = CounterpartySnapshot(counterpartyId: found.id, name: found.name, taxId: found.taxId, kind: found.kind)
        }
        var contacts: [ContactSnapshot] = []
        for id in lead.contactIds {
            if let contact = try await ContactBook.load(id, on: connection, logger: logger) { contacts.append(contact.snapshot) }
        }
        let converted = LeadConverted(
            leadId: leadID, counterpartyId: lead.counterpartyId, contactIds: lead.contactIds, managerId: manager,
            departmentCode: department, needs: needs, channel: lead.channel, correlationId: lead.correlationId, convertedAt: actor.now,
            counterparty: counterparty, contacts: contacts)
        events.append(try LeadsEvents.event(converted, key: leadID, correlation: lead.correlationId))
        return (lead, events)
    }

    private func transition(_ lead: LeadRecord, _ command: LeadCommand) throws -> LeadState {
        do {
            return try LeadLifecycle.next(from: lead.state, command)
        } catch let violation {
            switch violation {
            case .invalidTransition: throw LeadsError.invalidTransition(violation.description)
            case .missing: throw LeadsError.unprocessable(violation.description)
            }
        }
    }

    /// A closed lead releases its sender's identities (their next inquiry opens a new lead) and deadlines.
    private func close(_ leadID: UUID, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM open_lead_identities WHERE lead_id = \(leadID)", logger: logger)
        try await cancelDeadlines(leadID, kind: nil, at: now, on: connection, logger: logger)
    }

    private func cancelDeadlines(_ leadID: UUID, kind: String?, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE deadlines SET cancelled_at = \(now)
            WHERE lead_id = \(leadID) AND (\(kind)::text IS NULL OR kind = \(kind)) AND fired_at IS NULL AND cancelled_at IS NULL
            """, logger: logger)
    }

    private func record(
        _ lead: inout LeadRecord, to next: LeadState, department: String?, manager: UUID?, reason: String? = nil,
        comment: String? = nil, by actor: Actor, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        let previous = lead.state
        try await connection.query(
            """
            INSERT INTO lead_transitions (lead_id, from_state, to_state, changed_by, changed_at)
            VALUES (\(lead.id), \(previous.rawValue), \(next.rawValue), \(actor.staffID), \(actor.now))
            """, logger: logger)
        lead.state = next
        lead.departmentCode = department
        lead.managerId = manager
        lead.version += 1
        lead.updatedAt = actor.now
        let changed = LeadStateChanged(
            leadId: lead.id, from: previous.rawValue, to: next.rawValue, departmentCode: department, managerId: manager, reason: reason,
            comment: comment, changedBy: actor.staffID, changedAt: actor.now)
        return [try LeadsEvents.event(changed, key: lead.id, correlation: lead.correlationId)]
    }

    private func chooseManager(_ requested: UUID?, department: String, on connection: PostgresConnection, logger: Logger) async throws -> UUID {
        guard try await !connection.query("SELECT 1 FROM departments WHERE code = \(department)", logger: logger).collect().isEmpty else {
            throw LeadsError.unprocessable("no department \(department)")
        }
        if let requested {
            let rows = try await connection.query(
                "SELECT department_code, active FROM staff WHERE id = \(requested)", logger: logger
            ).collect()
            guard let row = rows.first else { throw LeadsError.unprocessable("no manager \(requested)") }
            let (code, active) = try row.decode((String?, Bool).self)
            guard active, code == department else {
                throw LeadsError.unprocessable("manager \(requested) is not an active member of department \(department)")
            }
            return requested
        }
        // Round robin over present managers, the cursor row locked so two assignments take turns.
        try await connection.query(
            "INSERT INTO assignment_cursor (department_code) VALUES (\(department)) ON CONFLICT DO NOTHING", logger: logger)
        let last = try await connection.query(
            "SELECT last_manager_id FROM assignment_cursor WHERE department_code = \(department) FOR UPDATE", logger: logger
        ).collect().first?.decode(UUID?.self) ?? nil
        let candidates = try await connection.query(
            """
            SELECT id FROM staff WHERE department_code = \(department) AND role = 'manager' AND active AND NOT absent ORDER BY id
            """, logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        guard !candidates.isEmpty else { throw LeadsError.unprocessable("department \(department) has no manager present") }
        let chosen = last.flatMap { last in candidates.first { $0 > last } } ?? candidates[0]
        try await connection.query(
            "UPDATE assignment_cursor SET last_manager_id = \(chosen) WHERE department_code = \(department)", logger: logger)
        return chosen
    }

    // MARK: Reading

    static let columns = """
        id, state, channel, source, name, email, phone_e164, phone_raw, company, department_code, manager_id, needs,
        counterparty_id, contact_ids, disqualification_reason, disqualification_comment, correlation_id, version, created_at, updated_at
        """

    static func decode(_ row: PostgresRow) throws -> LeadRecord {
        let columns = row.makeRandomAccess()
        return LeadRecord(
            id: try columns["id"].decode(UUID.self),
            state: LeadState(rawValue: try columns["state"].decode(String.self)) ?? .new,
            channel: LeadChannel(rawValue: try columns["channel"].decode(String.self)) ?? .manual,
            source: try columns["source"].decode(String.self),
            name: try columns["name"].decode(String?.self),
            email: try columns["email"].decode(String?.self),
            phone: try columns["phone_e164"].decode(String?.self),
            phoneRaw: try columns["phone_raw"].decode(String?.self),
            company: try columns["company"].decode(String?.self),
            departmentCode: try columns["department_code"].decode(String?.self),
            managerId: try columns["manager_id"].decode(UUID?.self),
            needs: try columns["needs"].decode(String?.self),
            counterpartyId: try columns["counterparty_id"].decode(UUID?.self),
            contactIds: try columns["contact_ids"].decode([UUID].self),
            disqualificationReason: try columns["disqualification_reason"].decode(String?.self),
            disqualificationComment: try columns["disqualification_comment"].decode(String?.self),
            correlationId: try columns["correlation_id"].decode(UUID.self),
            version: try columns["version"].decode(Int.self),
            createdAt: try columns["created_at"].decode(Date.self),
            updatedAt: try columns["updated_at"].decode(Date.self))
    }

    private func lock(_ id: UUID, expectedVersion: Int?, on connection: PostgresConnection, logger: Logger) async throws -> LeadRecord {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM leads WHERE id = \(id) FOR UPDATE", logger: logger
        ).collect()
        guard let row = rows.first else { throw LeadsError.notFound("no lead \(id)") }
        let lead = try Self.decode(row)
        if let expectedVersion, expectedVersion != lead.version {
            throw LeadsError.preconditionFailed("the lead is at version \(lead.version), not \(expectedVersion)")
        }
        return lead
    }
}
