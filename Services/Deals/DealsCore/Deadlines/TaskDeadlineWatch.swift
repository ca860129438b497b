import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit

/// Marks tasks whose due time passed without an outcome and publishes `TaskOverdue` (with the head
/// of the deal's department to tell), once: the due times live in the database, so they fire after
/// a restart too, and `FOR UPDATE SKIP LOCKED` lets replicas share the work.
struct TaskDeadlineWatch: DueWork {
    let client: PostgresClient
    let logger: Logger
    let clock: @Sendable () -> Date
    let name = "task deadlines"

    /// Marks up to `limit` overdue tasks and writes their events in one transaction; returns how many.
    func fireDue(limit: Int) async throws -> Int {
        let now = clock()
        return try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT id FROM tasks
                    WHERE completed_at IS NULL AND overdue_at IS NULL AND due_at <= \(now)
                    ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                UPDATE tasks t SET overdue_at = \(now) FROM due
                WHERE t.id = due.id
                RETURNING t.id, t.deal_id, t.kind, t.assignee_id, t.due_at,
                    (SELECT h.head_id FROM deals d JOIN department_heads h ON h.department_code = d.department_code WHERE d.id = t.deal_id),
                    (SELECT d.correlation_id FROM deals d WHERE d.id = t.deal_id)
                """, logger: logger
            ).collect()
            var events: [OutboxEvent] = []
            for row in rows {
                let (id, deal, kind, assignee, due, head, correlation) = try row.decode((UUID, UUID?, String, UUID?, Date, UUID?, UUID?).self)
                let envelope = try EventEnvelope(
                    occurredAt: now, source: ServiceName.deals.rawValue, key: (deal ?? id).uuidString.lowercased(),
                    correlationId: correlation ?? id,
                    payload: TaskOverdue(taskId: id, dealId: deal, kind: kind, assigneeId: assignee, headId: head, dueAt: due))
                events.append(OutboxEvent(topic: Topic.dealsEvents, envelope: envelope))
            }
            try await Outbox.append(events, on: connection, logger: logger)
            if !rows.isEmpty { logger.info("tasks overdue", metadata: ["count": "\(rows.count)"]) }
            return rows.count
        }
    }
}
