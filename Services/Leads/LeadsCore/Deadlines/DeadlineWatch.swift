import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit

/// Fires lead deadlines that have passed: the overdue event and a notification, once. The
/// deadlines live in the database, so they fire after a restart too; `FOR UPDATE SKIP LOCKED`
/// lets several replicas share the work without firing one twice.
struct DeadlineWatch: DueWork {
    let client: PostgresClient
    let logger: Logger
    let clock: @Sendable () -> Date
    let name = "lead deadlines"

    /// Fires up to `limit` due deadlines in one transaction; returns how many.
    func fireDue(limit: Int) async throws -> Int {
        let now = clock()
        return try await client.withTransaction(logger: logger) { connection in
            let due = try await connection.query(
                """
                WITH due AS (
                    SELECT lead_id, kind FROM deadlines
                    WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= \(now)
                    ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                UPDATE deadlines d SET fired_at = \(now) FROM due, leads l
                WHERE d.lead_id = due.lead_id AND d.kind = due.kind AND l.id = d.lead_id
                RETURNING d.lead_id, d.kind, d.due_at, l.manager_id, l.correlation_id, coalesce(l.name, l.phone_e164, l.email, 'lead')
                """, logger: logger
            ).collect()
            var events: [OutboxEvent] = []
            for row in due {
                let (leadID, kind, dueAt, manager, correlation, who) = try row.decode((UUID, String, Date, UUID?, UUID, String).self)
                let source = "\(kind)-overdue:\(leadID)"
                if kind == "triage" {
                    events.append(try LeadsEvents.event(LeadTriageOverdue(leadId: leadID, dueAt: dueAt), key: leadID, correlation: correlation))
                    try await Notifications.addForHeadsOfSales(
                        kind: "triage_overdue", title: "Lead not triaged in time: \(who)", body: "due \(Timestamp.format(dueAt))",
                        leadID: leadID, sourceID: source, on: connection, logger: logger)
                } else {
                    events.append(try LeadsEvents.event(
                        LeadResponseOverdue(leadId: leadID, managerId: manager, dueAt: dueAt), key: leadID, correlation: correlation))
                    try await Notifications.addForHeadsOfSales(
                        kind: "response_overdue", title: "Lead not contacted in time: \(who)", body: "due \(Timestamp.format(dueAt))",
                        leadID: leadID, sourceID: source, on: connection, logger: logger)
                    if let manager {
                        try await Notifications.add(
                            to: manager, kind: "response_overdue", title: "Contact the customer now: \(who)",
                            body: "due \(Timestamp.format(dueAt))", leadID: leadID, contactID: nil, sourceID: source,
                            on: connection, logger: logger)
                    }
                }
            }
            try await Outbox.append(events, on: connection, logger: logger)
            if !due.isEmpty { logger.info("lead deadlines fired", metadata: ["count": "\(due.count)"]) }
            return due.count
        }
    }
}
