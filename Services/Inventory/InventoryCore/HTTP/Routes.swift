import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

struct Warehouse: ResponseCodable, Equatable {
    var code: String
    var name: String
}

struct Product: ResponseCodable, Equatable {
    var sku: String
    var name: String
    var equipmentType: String
    var unit: String
    var sourcing: String
    var lotTracked: Bool
}

/// On-hand quantity of a product in a warehouse (and lot), derived from the movements.
struct StockBalance: ResponseCodable, Equatable {
    var sku: String
    var warehouse: String
    var lot: String?
    var expiresOn: String?
    /// Decimal as a string: quantities are never floating point.
    var onHand: String
}

struct ItemList<Item: Codable & Sendable>: ResponseCodable {
    var items: [Item]
}

public func addInventoryRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    api.get("warehouses") { _, context in
        let rows = try await platform.postgres.query("SELECT code, name FROM warehouses ORDER BY code", logger: context.logger)
        var items: [Warehouse] = []
        for try await (code, name) in rows.decode((String, String).self) { items.append(Warehouse(code: code, name: name)) }
        return ItemList(items: items)
    }
    api.get("products") { _, context in
        let rows = try await platform.postgres.query(
            "SELECT sku, name, equipment_type, unit, sourcing, lot_tracked FROM products ORDER BY sku", logger: context.logger)
        var items: [Product] = []
        for try await (sku, name, type, unit, sourcing, lotTracked) in rows.decode((String, String, String, String, String, Bool).self) {
            items.append(Product(sku: sku, name: name, equipmentType: type, unit: unit, sourcing: sourcing, lotTracked: lotTracked))
        }
        return ItemList(items: items)
    }
    api.get("stock") { _, context in
        let rows = try await platform.postgres.query(
            """
            SELECT m.sku, m.warehouse_code, l.series, l.expires_on::text, sum(m.quantity)::text
            FROM stock_movements m LEFT JOIN lots l ON l.id = m.lot_id
            GROUP BY m.sku, m.warehouse_code, l.series, l.expires_on
            HAVING sum(m.quantity) <> 0
            ORDER BY m.sku, m.warehouse_code, l.expires_on NULLS LAST
            """, logger: context.logger)
        var items: [StockBalance] = []
        for try await (sku, warehouse, lot, expires, onHand) in rows.decode((String, String, String?, String?, String).self) {
            items.append(StockBalance(sku: sku, warehouse: warehouse, lot: lot, expiresOn: expires, onHand: onHand))
        }
        return ItemList(items: items)
    }
}
