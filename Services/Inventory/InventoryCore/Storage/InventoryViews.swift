import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit
import Tabular

// What the inventory API shows. Quantities are decimal strings on the wire (never floating point).

/// A buyer order with where each line stands.
struct OrderView: Codable, Sendable {
    var id: UUID
    var dealId: UUID
    var state: String
    var partialShipmentAllowed: Bool
    var placedAt: Date?
    var lines: [OrderLineView]
    var supplyOrders: [SupplyOrderView]
    var documents: [DocumentView]

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> OrderView? {
        let rows = try await connection.query(
            "SELECT deal_id, state, partial_shipment_allowed, placed_at FROM orders WHERE id = \(id)", logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (dealID, state, partial, placedAt) = try row.decode((UUID, String, Bool, Date?).self)
        return OrderView(
            id: id, dealId: dealID, state: state, partialShipmentAllowed: partial, placedAt: placedAt,
            lines: try await lines(of: id, on: connection, logger: logger),
            supplyOrders: try await SupplyOrderView.list(orderID: id, kind: nil, state: nil, on: connection, logger: logger),
            documents: try await DocumentView.list(orderID: id, on: connection, logger: logger))
    }

    /// Each line's progress, derived from its reservations, shipments and supply orders.
    static func lines(of orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [OrderLineView] {
        var lines: [OrderLineView] = []
        for row in try await connection.query(
            """
            SELECT l.id, l.position, l.sku, l.quantity::text, l.shipped::text, l.backordered::text,
                coalesce((SELECT sum(r.quantity) FROM reservations r WHERE r.line_id = l.id AND r.state = 'active'), 0)::text,
                coalesce((SELECT sum(s.quantity) FROM supply_orders s
                          WHERE s.line_id = l.id AND s.kind = 'production' AND s.state IN ('planned', 'in_progress')), 0)::text,
                coalesce((SELECT sum(s.quantity) FROM supply_orders s
                          WHERE s.line_id = l.id AND s.kind = 'purchase' AND s.state IN ('sent', 'confirmed')), 0)::text
            FROM order_lines l WHERE l.order_id = \(orderID) ORDER BY l.position
            """, logger: logger
        ).collect() {
            let (id, position, sku, quantity, shipped, backordered, reserved, producing, onOrder) = try row.decode(
                (UUID, Int, String, String, String, String, String, String, String).self)
            let progress = LineProgress(
                quantity: decimal(quantity), reserved: decimal(reserved), shipped: decimal(shipped), inProduction: decimal(producing),
                onOrder: decimal(onOrder), backordered: decimal(backordered))
            lines.append(OrderLineView(
                lineId: id, position: position, sku: sku, quantity: quantity, reserved: reserved, shipped: shipped, inProduction: producing,
                onOrder: onOrder, backordered: backordered, state: progress.state.rawValue, progress: progress))
        }
        return lines
    }
}

struct OrderLineView: Codable, Sendable {
    var lineId: UUID
    var position: Int
    var sku: String
    var quantity: String
    var reserved: String
    var shipped: String
    var inProduction: String
    var onOrder: String
    var backordered: String
    var state: String
    /// The same figures as decimals, for the service's own decisions (not sent).
    var progress: LineProgress

    enum CodingKeys: String, CodingKey {
        case lineId, position, sku, quantity, reserved, shipped, inProduction, onOrder, backordered, state
    }

    init(lineId: UUID, position: Int, sku: String, quantity: String, reserved: String, shipped: String, inProduction: String, onOrder: String,
         backordered: String, state: String, progress: LineProgress) {
        self.lineId = lineId
        self.position = position
        self.sku = sku
        self.quantity = quantity
        self.reserved = reserved
        self.shipped = shipped
        self.inProduction = inProduction
        self.onOrder = onOrder
        self.backordered = backordered
        self.state = state
        self.progress = progress
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lineId = try c.decode(UUID.self, forKey: .lineId)
        position = try c.decode(Int.self, forKey: .position)
        sku = try c.decode(String.self, forKey: .sku)
        quantity = try c.decode(String.self, forKey: .quantity)
        reserved = try c.decode(String.self, forKey: .reserved)
        shipped = try c.decode(String.self, forKey: .shipped)
        inProduction = try c.decode(String.self, forKey: .inProduction)
        onOrder = try c.decode(String.self, forKey: .onOrder)
        backordered = try c.decode(String.self, forKey: .backordered)
        state = try c.decode(String.self, forKey: .state)
        progress = LineProgress(
            quantity: decimal(quantity), reserved: decimal(reserved), shipped: decimal(shipped), inProduction: decimal(inProduction),
            onOrder: decimal(onOrder), backordered: decimal(backordered))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lineId, forKey: .lineId)
        try c.encode(position, forKey: .position)
        try c.encode(sku, forKey: .sku)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(reserved, forKey: .reserved)
        try c.encode(shipped, forKey: .shipped)
        try c.encode(inProduction, forKey: .inProduction)
        try c.encode(onOrder, forKey: .onOrder)
        try c.encode(backordered, forKey: .backordered)
        try c.encode(state, forKey: .state)
    }
}

/// A production order (to the plant) or a supplier order.
struct SupplyOrderView: Codable, Sendable {
    var id: UUID
    var kind: String
    var number: String
    var orderId: UUID?
    var lineId: UUID?
    var sku: String
    var quantity: String
    var supplier: String?
    var state: String
    var readiness: Int
    var expectedOn: String?
    var updatedAt: Date

    static let columns = "id, kind, number, order_id, line_id, sku, quantity::text, supplier, state, readiness, expected_on::text, updated_at"

    static func decode(_ row: PostgresRow) throws -> SupplyOrderView {
        let (id, kind, number, orderID, lineID, sku, quantity, supplier, state, readiness, expected, updated) = try row.decode(
            (UUID, String, String, UUID?, UUID?, String, String, String?, String, Int, String?, Date).self)
        return SupplyOrderView(
            id: id, kind: kind, number: number, orderId: orderID, lineId: lineID, sku: sku, quantity: quantity, supplier: supplier, state: state,
            readiness: readiness, expectedOn: expected, updatedAt: updated)
    }

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> SupplyOrderView? {
        try await connection.query("SELECT \(unescaped: columns) FROM supply_orders WHERE id = \(id)", logger: logger)
            .collect().first.map(decode)
    }

    static func list(orderID: UUID?, kind: String?, state: String?, on connection: PostgresConnection, logger: Logger) async throws -> [SupplyOrderView] {
        try await connection.query(
            """
            SELECT \(unescaped: columns) FROM supply_orders
            WHERE (\(orderID)::uuid IS NULL OR order_id = \(orderID)) AND (\(kind)::text IS NULL OR kind = \(kind))
              AND (\(state)::text IS NULL OR state = \(state))
            ORDER BY created_at, number LIMIT 500
            """, logger: logger
        ).collect().map(decode)
    }
}

/// A numbered document of an order.
struct DocumentView: Codable, Sendable {
    var number: String
    var kind: String
    var orderId: UUID
    var dealId: UUID
    var issuedAt: Date
    var href: String

    static func list(orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [DocumentView] {
        try await connection.query(
            "SELECT number, kind, order_id, deal_id, issued_at FROM documents WHERE order_id = \(orderID) ORDER BY issued_at, number",
            logger: logger
        ).collect().map { row in
            let (number, kind, order, deal, issued) = try row.decode((String, String, UUID, UUID, Date).self)
            return DocumentView(number: number, kind: kind, orderId: order, dealId: deal, issuedAt: issued, href: "/v1/documents/\(number)")
        }
    }
}

/// A document with what it covers: the reserved lots (warehouse order), the supply order, or the shipped lots.
struct DocumentDetail: Codable, Sendable {
    var document: DocumentView
    var lines: [DocumentLine]

    struct DocumentLine: Codable, Sendable {
        var lineId: UUID?
        var sku: String
        var warehouse: String?
        var lot: String?
        var quantity: String
    }

    static func load(_ number: String, on connection: PostgresConnection, logger: Logger) async throws -> DocumentDetail? {
        let rows = try await connection.query(
            "SELECT number, kind, order_id, deal_id, issued_at FROM documents WHERE number = \(number)", logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (_, kind, order, deal, issued) = try row.decode((String, String, UUID, UUID, Date).self)
        let document = DocumentView(number: number, kind: kind, orderId: order, dealId: deal, issuedAt: issued, href: "/v1/documents/\(number)")
        let query: PostgresQuery =
            switch kind {
            case "shipment_note":
                """
                SELECT sl.line_id, sl.sku, sl.warehouse_code, sl.lot_series, sl.quantity::text
                FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id WHERE s.number = \(number) ORDER BY sl.sku
                """
            case "warehouse_order":
                """
                SELECT r.line_id, b.sku, b.warehouse_code, l.series, r.quantity::text
                FROM reservations r JOIN stock_buckets b ON b.id = r.bucket_id LEFT JOIN lots l ON l.id = b.lot_id
                WHERE r.order_id = \(order) AND r.state <> 'released' ORDER BY r.created_at, b.sku
                """
            default:
                "SELECT line_id, sku, NULL::text, NULL::text, quantity::text FROM supply_orders WHERE number = \(number)"
            }
        let lines = try await connection.query(query, logger: logger).collect().map { row in
            let (line, sku, warehouse, lot, quantity) = try row.decode((UUID?, String, String?, String?, String).self)
            return DocumentLine(lineId: line, sku: sku, warehouse: warehouse, lot: lot, quantity: quantity)
        }
        return DocumentDetail(document: document, lines: lines)
    }
}

struct ShipmentView: Codable, Sendable {
    var id: UUID
    var number: String
    var orderId: UUID
    var dealId: UUID
    var orderComplete: Bool
    var shippedAt: Date
    var lines: [ShippedLineView]

    struct ShippedLineView: Codable, Sendable {
        var lineId: UUID
        var sku: String
        var warehouse: String
        var lot: String?
        var quantity: String
    }
}

extension ShipmentView {
    init(id: UUID, number: String, orderId: UUID, dealId: UUID, orderComplete: Bool, shippedAt: Date, lines: [ShippedLine]) {
        self.init(
            id: id, number: number, orderId: orderId, dealId: dealId, orderComplete: orderComplete, shippedAt: shippedAt,
            lines: lines.map { ShippedLineView(lineId: $0.lineId, sku: $0.sku, warehouse: $0.warehouse, lot: $0.lot, quantity: "\($0.quantity)") })
    }
}

/// A movement a person posts: a receipt, a signed adjustment after a stock count, or a transfer.
struct MovementBody: Codable, Sendable {
    enum Kind: String, Codable, Sendable { case receipt, adjustment, transfer }
    var kind: Kind
    var sku: String
    var warehouse: String
    var toWarehouse: String?
    var lot: String?
    var producedOn: String?
    var expiresOn: String?
    var quantity: Decimal
    var reason: String
    var document: String?
}
