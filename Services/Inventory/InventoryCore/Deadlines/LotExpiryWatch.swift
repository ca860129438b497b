import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import Tabular

/// Publishes `LotExpiringSoon` once per lot that still has stock and expires within the warning
/// period. The mark lives on the lot, so it fires once across restarts and replicas
/// (`FOR UPDATE SKIP LOCKED`).
struct LotExpiryWatch: DueWork {
    let client: PostgresClient
    let warningDays: Int
    let logger: Logger
    let clock: @Sendable () -> Date
    let name = "lot expiry"

    func fireDue(limit: Int) async throws -> Int {
        let now = clock()
        let horizon = Cause.isoDay(now.addingTimeInterval(Double(warningDays) * 86_400))
        return try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT l.id FROM lots l
                    WHERE l.expiry_warned_at IS NULL AND l.expires_on <= \(horizon)::date
                      AND EXISTS (SELECT 1 FROM stock_buckets b WHERE b.lot_id = l.id AND b.on_hand > 0)
                    ORDER BY l.expires_on LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                UPDATE lots l SET expiry_warned_at = \(now) FROM due WHERE l.id = due.id
                RETURNING l.sku, l.series, l.expires_on::text,
                    (SELECT coalesce(sum(b.on_hand), 0) FROM stock_buckets b WHERE b.lot_id = l.id)::text
                """, logger: logger
            ).collect()
            var events: [OutboxEvent] = []
            for row in rows {
                let (sku, series, expires, onHand) = try row.decode((String, String, String, String).self)
                events.append(try InventoryEvents.event(
                    LotExpiringSoon(sku: sku, lot: series, expiresOn: expires, onHand: decimal(onHand), detectedAt: now), key: sku,
                    cause: Cause(now: now, correlationID: UUID())))
            }
            try await Outbox.append(events, on: connection, logger: logger)
            if !rows.isEmpty { logger.info("lots expiring soon", metadata: ["count": "\(rows.count)"]) }
            return rows.count
        }
    }
}
