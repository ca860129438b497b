import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO

/// Applies what inventory reports about a deal's buyer order: each line's fulfilment (reserved,
/// being made with readiness and expected date, ordered from a supplier, received, shipped), the
/// documents it issued, and — when the whole order has shipped — moves the deal on by itself.
/// The inbox applies each event once, so the quantities add up.
struct InventoryConsumer: InboxHandler {
    let deals: DealStore
    let clock: @Sendable () -> Date

    static let types: [any EventPayload.Type] = [
        OrderRouted.self, StockReserved.self, ReservationReleased.self, ProductionOrdered.self, ProductionProgressed.self,
        ProductionCompleted.self, PurchaseOrdered.self, SupplyCancelled.self, GoodsReceived.self, Shipped.self, InventoryDocumentIssued.self,
    ]

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        let connection = transaction.connection
        let logger = transaction.logger
        let now = clock()
        switch event.payload {
        case let routed as OrderRouted:
            try await connection.query(
                "UPDATE order_fulfilment SET routed_at = \(routed.routedAt), updated_at = \(now) WHERE order_id = \(routed.orderId)",
                logger: logger)
        case let reserved as StockReserved:
            try await add("reserved", reserved.quantity, line: reserved.lineId, now, connection, logger)
        case let released as ReservationReleased:
            try await add("reserved", -released.quantity, line: released.lineId, now, connection, logger)
        case let ordered as ProductionOrdered:
            try await add("in_production", ordered.quantity, line: ordered.lineId, now, connection, logger)
        case let progress as ProductionProgressed:
            guard let line = progress.lineId else { return }
            try await connection.query(
                """
                UPDATE order_fulfilment SET readiness = \(progress.readiness), expected_on = coalesce(\(progress.expectedOn)::date, expected_on),
                    updated_at = \(now)
                WHERE line_id = \(line)
                """, logger: logger)
        case let completed as ProductionCompleted:
            guard let line = completed.lineId else { return }
            try await add("in_production", -completed.quantity, line: line, now, connection, logger)
        case let ordered as PurchaseOrdered:
            try await add("on_order", ordered.quantity, line: ordered.lineId, now, connection, logger)
        case let cancelled as SupplyCancelled:
            try await add(cancelled.kind == "production" ? "in_production" : "on_order", -cancelled.quantity, line: cancelled.lineId, now, connection, logger)
        case let received as GoodsReceived:
            guard let line = received.lineId else { return }
            try await add("received", received.quantity, line: line, now, connection, logger)
            if received.source == "purchase" { try await add("on_order", -received.quantity, line: line, now, connection, logger) }
        case let shipped as Shipped:
            for line in shipped.lines {
                try await add("shipped", line.quantity, line: line.lineId, now, connection, logger)
                try await add("reserved", -line.quantity, line: line.lineId, now, connection, logger)
            }
            if shipped.orderComplete {
                try await transaction.emit(try await deals.orderShipped(shipped.dealId, at: now, on: connection, logger: logger))
            }
        case let document as InventoryDocumentIssued:
            try await connection.query(
                """
                INSERT INTO deal_documents (number, deal_id, kind, issued_at, href, issued_by)
                SELECT \(document.number), id, \(document.kind), \(document.issuedAt), \(document.href), 'inventory' FROM deals WHERE id = \(document.dealId)
                ON CONFLICT (number) DO NOTHING
                """, logger: logger)
        default:
            return
        }
    }

    /// Adds `quantity` to one of a line's figures (a line of an order deals never placed is left alone).
    private func add(_ column: String, _ quantity: Decimal, line: UUID, _ now: Date, _ connection: PostgresConnection, _ logger: Logger) async throws {
        // `column` is one of this file's literals, never input.
        try await connection.query(
            "UPDATE order_fulfilment SET \(unescaped: column) = \(unescaped: column) + \(quantity), updated_at = \(now) WHERE line_id = \(line)",
            logger: logger)
    }
}

/// What the deals service's inbox applies: the leads service's events and the inventory's.
struct DealsInbox: InboxHandler {
    let leads: LeadsConsumer
    let inventory: InventoryConsumer

    static var registry: EventRegistry { EventRegistry(LeadsConsumer.types + InventoryConsumer.types) }

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        if event.topic == Topic.inventoryEvents {
            try await inventory.apply(event, in: transaction)
        } else {
            try await leads.apply(event, in: transaction)
        }
    }
}
