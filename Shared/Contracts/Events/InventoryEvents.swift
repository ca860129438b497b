import Foundation

// Events of the inventory service on `dms.inventory.events.v1`. What concerns a buyer order is
// keyed by its deal id (so deals sees one deal's fulfilment in order); stock levels and lots by
// SKU. Quantities are decimals (never floating point). Additive changes only.

/// Where a quantity of an order line stands: what inventory did with it.
public enum FulfilmentRoute: String, Codable, Sendable, CaseIterable {
    /// Reserved in the warehouse, waiting to ship.
    case reserved
    /// A production order makes it.
    case production
    /// A supplier order buys it.
    case purchase
    /// A stocked product short in the warehouse, waiting for the next receipt.
    case backorder
}

/// One line of a routed order: how its quantity was split.
public struct RoutedLine: Codable, Sendable, Equatable {
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public var reserved: Decimal
    public var toProduce: Decimal
    public var toPurchase: Decimal
    public var backordered: Decimal
    public init(lineId: UUID, sku: String, quantity: Decimal, reserved: Decimal, toProduce: Decimal, toPurchase: Decimal, backordered: Decimal) {
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.reserved = reserved
        self.toProduce = toProduce
        self.toPurchase = toPurchase
        self.backordered = backordered
    }
}

/// Every line of a buyer order has a route (reserved, produced, bought or backordered).
public struct OrderRouted: EventPayload, Equatable {
    public static let eventType = "OrderRouted"
    public static let eventVersion = 1
    public var orderId: UUID
    public var dealId: UUID
    public var lines: [RoutedLine]
    public var routedAt: Date
    public init(orderId: UUID, dealId: UUID, lines: [RoutedLine], routedAt: Date) {
        self.orderId = orderId
        self.dealId = dealId
        self.lines = lines
        self.routedAt = routedAt
    }
}

/// A quantity of an order line is reserved in a warehouse (from a lot, when lot-tracked).
public struct StockReserved: EventPayload, Equatable {
    public static let eventType = "StockReserved"
    public static let eventVersion = 1
    public var reservationId: UUID
    public var orderId: UUID
    public var dealId: UUID
    public var lineId: UUID
    public var sku: String
    public var warehouse: String
    public var lot: String?
    public var quantity: Decimal
    public var reservedAt: Date
    public init(reservationId: UUID, orderId: UUID, dealId: UUID, lineId: UUID, sku: String, warehouse: String, lot: String?,
                quantity: Decimal, reservedAt: Date) {
        self.reservationId = reservationId
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.sku = sku
        self.warehouse = warehouse
        self.lot = lot
        self.quantity = quantity
        self.reservedAt = reservedAt
    }
}

/// A reservation was released (its order was cancelled); the goods are available again.
public struct ReservationReleased: EventPayload, Equatable {
    public static let eventType = "ReservationReleased"
    public static let eventVersion = 1
    public var reservationId: UUID
    public var orderId: UUID
    public var dealId: UUID
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public var reason: String
    public var releasedAt: Date
    public init(reservationId: UUID, orderId: UUID, dealId: UUID, lineId: UUID, sku: String, quantity: Decimal, reason: String, releasedAt: Date) {
        self.reservationId = reservationId
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.reason = reason
        self.releasedAt = releasedAt
    }
}

/// A production order went to the plant for (part of) an order line.
public struct ProductionOrdered: EventPayload, Equatable {
    public static let eventType = "ProductionOrdered"
    public static let eventVersion = 1
    public var productionOrderId: UUID
    public var number: String
    public var orderId: UUID
    public var dealId: UUID
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public var orderedAt: Date
    public init(productionOrderId: UUID, number: String, orderId: UUID, dealId: UUID, lineId: UUID, sku: String, quantity: Decimal, orderedAt: Date) {
        self.productionOrderId = productionOrderId
        self.number = number
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.orderedAt = orderedAt
    }
}

/// The plant reported how far along a production order is and when it will be ready.
public struct ProductionProgressed: EventPayload, Equatable {
    public static let eventType = "ProductionProgressed"
    public static let eventVersion = 1
    public var productionOrderId: UUID
    public var orderId: UUID?
    public var dealId: UUID?
    public var lineId: UUID?
    public var state: String
    /// Readiness in percent, 0–100.
    public var readiness: Int
    public var expectedOn: String?
    public var reportedAt: Date
    public init(productionOrderId: UUID, orderId: UUID?, dealId: UUID?, lineId: UUID?, state: String, readiness: Int, expectedOn: String?, reportedAt: Date) {
        self.productionOrderId = productionOrderId
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.state = state
        self.readiness = readiness
        self.expectedOn = expectedOn
        self.reportedAt = reportedAt
    }
}

/// A production order is done; its goods were received into the warehouse.
public struct ProductionCompleted: EventPayload, Equatable {
    public static let eventType = "ProductionCompleted"
    public static let eventVersion = 1
    public var productionOrderId: UUID
    public var orderId: UUID?
    public var dealId: UUID?
    public var lineId: UUID?
    public var sku: String
    public var quantity: Decimal
    public var warehouse: String
    public var completedAt: Date
    public init(productionOrderId: UUID, orderId: UUID?, dealId: UUID?, lineId: UUID?, sku: String, quantity: Decimal, warehouse: String, completedAt: Date) {
        self.productionOrderId = productionOrderId
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.warehouse = warehouse
        self.completedAt = completedAt
    }
}

/// A supplier order went out for (part of) an order line.
public struct PurchaseOrdered: EventPayload, Equatable {
    public static let eventType = "PurchaseOrdered"
    public static let eventVersion = 1
    public var purchaseOrderId: UUID
    public var number: String
    public var supplier: String
    public var orderId: UUID
    public var dealId: UUID
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public var orderedAt: Date
    public init(purchaseOrderId: UUID, number: String, supplier: String, orderId: UUID, dealId: UUID, lineId: UUID, sku: String,
                quantity: Decimal, orderedAt: Date) {
        self.purchaseOrderId = purchaseOrderId
        self.number = number
        self.supplier = supplier
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.orderedAt = orderedAt
    }
}

/// A production or supplier order was cancelled before it started (its buyer order was cancelled).
public struct SupplyCancelled: EventPayload, Equatable {
    public static let eventType = "SupplyCancelled"
    public static let eventVersion = 1
    /// `production` or `purchase`.
    public var kind: String
    public var supplyOrderId: UUID
    public var number: String
    public var orderId: UUID
    public var dealId: UUID
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public var cancelledAt: Date
    public init(kind: String, supplyOrderId: UUID, number: String, orderId: UUID, dealId: UUID, lineId: UUID, sku: String, quantity: Decimal,
                cancelledAt: Date) {
        self.kind = kind
        self.sku = sku
        self.quantity = quantity
        self.supplyOrderId = supplyOrderId
        self.number = number
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.cancelledAt = cancelledAt
    }
}

/// Goods came into a warehouse: a supplier delivery, finished production, or a manual receipt.
public struct GoodsReceived: EventPayload, Equatable {
    public static let eventType = "GoodsReceived"
    public static let eventVersion = 1
    public var sku: String
    public var warehouse: String
    public var lot: String?
    public var quantity: Decimal
    /// `production`, `purchase` or `manual`.
    public var source: String
    public var document: String?
    public var orderId: UUID?
    public var dealId: UUID?
    public var lineId: UUID?
    public var receivedAt: Date
    public init(sku: String, warehouse: String, lot: String?, quantity: Decimal, source: String, document: String?, orderId: UUID?, dealId: UUID?,
                lineId: UUID?, receivedAt: Date) {
        self.sku = sku
        self.warehouse = warehouse
        self.lot = lot
        self.quantity = quantity
        self.source = source
        self.document = document
        self.orderId = orderId
        self.dealId = dealId
        self.lineId = lineId
        self.receivedAt = receivedAt
    }
}

/// One line of a shipment: a quantity of a product from one warehouse and lot.
public struct ShippedLine: Codable, Sendable, Equatable {
    public var lineId: UUID
    public var sku: String
    public var warehouse: String
    public var lot: String?
    public var quantity: Decimal
    public init(lineId: UUID, sku: String, warehouse: String, lot: String?, quantity: Decimal) {
        self.lineId = lineId
        self.sku = sku
        self.warehouse = warehouse
        self.lot = lot
        self.quantity = quantity
    }
}

/// Reserved goods left the warehouse under a numbered shipment note.
public struct Shipped: EventPayload, Equatable {
    public static let eventType = "Shipped"
    public static let eventVersion = 1
    public var shipmentId: UUID
    public var number: String
    public var orderId: UUID
    public var dealId: UUID
    public var lines: [ShippedLine]
    /// True when this shipment completes the order (every line fully shipped).
    public var orderComplete: Bool
    public var shippedAt: Date
    public init(shipmentId: UUID, number: String, orderId: UUID, dealId: UUID, lines: [ShippedLine], orderComplete: Bool, shippedAt: Date) {
        self.shipmentId = shipmentId
        self.number = number
        self.orderId = orderId
        self.dealId = dealId
        self.lines = lines
        self.orderComplete = orderComplete
        self.shippedAt = shippedAt
    }
}

/// A product's level in a warehouse changed (all lots together).
public struct StockLevelChanged: EventPayload, Equatable {
    public static let eventType = "StockLevelChanged"
    public static let eventVersion = 1
    public var sku: String
    public var warehouse: String
    public var onHand: Decimal
    public var reserved: Decimal
    public var available: Decimal
    public var changedAt: Date
    public init(sku: String, warehouse: String, onHand: Decimal, reserved: Decimal, available: Decimal, changedAt: Date) {
        self.sku = sku
        self.warehouse = warehouse
        self.onHand = onHand
        self.reserved = reserved
        self.available = available
        self.changedAt = changedAt
    }
}

/// A lot with stock on hand expires within the configured warning period.
public struct LotExpiringSoon: EventPayload, Equatable {
    public static let eventType = "LotExpiringSoon"
    public static let eventVersion = 1
    public var sku: String
    public var lot: String
    public var expiresOn: String
    public var onHand: Decimal
    public var detectedAt: Date
    public init(sku: String, lot: String, expiresOn: String, onHand: Decimal, detectedAt: Date) {
        self.sku = sku
        self.lot = lot
        self.expiresOn = expiresOn
        self.onHand = onHand
        self.detectedAt = detectedAt
    }
}

/// A numbered document of an order was issued (warehouse order, production order, supplier
/// order, shipment note), so deals can link it to the deal.
public struct InventoryDocumentIssued: EventPayload, Equatable {
    public static let eventType = "InventoryDocumentIssued"
    public static let eventVersion = 1
    /// `warehouse_order`, `production_order`, `supplier_order` or `shipment_note`.
    public var kind: String
    public var number: String
    public var orderId: UUID
    public var dealId: UUID
    /// Where to fetch it: a path on the inventory service.
    public var href: String
    public var issuedAt: Date
    public init(kind: String, number: String, orderId: UUID, dealId: UUID, href: String, issuedAt: Date) {
        self.kind = kind
        self.number = number
        self.orderId = orderId
        self.dealId = dealId
        self.href = href
        self.issuedAt = issuedAt
    }
}
