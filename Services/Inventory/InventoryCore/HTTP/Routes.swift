import Contracts
import Foundation
import Hummingbird
import Messaging
import NIOCore
import PostgresNIO
import ServiceKit
import Tabular

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
    var defaultSupplier: String?
    var lotTracked: Bool
    var shelfLifeDays: Int?
    var gtin: String?
}

/// Stock of a product in a warehouse (and lot), derived from the movements and reservations.
struct StockBalance: ResponseCodable, Equatable {
    var sku: String
    var warehouse: String
    var lot: String?
    var expiresOn: String?
    /// Decimals as strings: quantities are never floating point.
    var onHand: String
    var reserved: String
    var available: String
}

struct ItemList<Item: Codable & Sendable>: ResponseCodable {
    var items: [Item]
}

/// The stock of every product per warehouse at one moment, for distribution to dealers.
struct StockSnapshot: ResponseCodable {
    var asOf: Date
    var items: [Level]

    struct Level: Codable, Sendable {
        var sku: String
        var warehouse: String
        var onHand: String
        var reserved: String
        var available: String
    }
}

struct Movement: ResponseCodable {
    var id: UUID
    var kind: String
    var sku: String
    var warehouse: String
    var lot: String?
    var quantity: String
    var reason: String
    var document: String?
    var occurredAt: Date
}

struct ProgressBody: Decodable {
    var readiness: Int
    var expectedOn: String?
    var warehouse: String?
    var lot: LotBody?
}

struct LotBody: Decodable {
    var series: String
    var producedOn: String?
    var expiresOn: String?

    /// The lot, its dates checked (a malformed date is 422, not a database error).
    func details() throws -> LotDetails {
        try validateDate(producedOn, "lot.producedOn")
        try validateDate(expiresOn, "lot.expiresOn")
        return LotDetails(series: series, producedOn: producedOn, expiresOn: expiresOn)
    }
}

struct ConfirmBody: Decodable { var expectedOn: String? }
struct ReceiptBody: Decodable { var warehouse: String?; var lot: LotBody? }
struct ShipmentBody: Decodable { var orderId: UUID; var partial: Bool? }
struct ScanBody: Decodable { var code: String }
struct WarehouseBody: Decodable { var name: String; var address: String? }

/// What a scanner's code names: the product and, when the code carries a batch, the lot.
struct ScanResult: ResponseCodable {
    var code: Code
    var product: Product
    var lot: Lot?

    struct Code: Codable, Sendable {
        var symbology: String
        var gtin: String
        var batch: String?
        var producedOn: String?
        var expiresOn: String?
        var serial: String?
    }

    struct Lot: Codable, Sendable {
        var series: String
        var producedOn: String?
        var expiresOn: String?
        /// False when the code names a batch this warehouse has never received.
        var known: Bool
        var onHand: String?
    }
}

struct InventoryContext: Sendable {
    let postgres: PostgresClient
    let store: InventoryStore
}

extension InventoryError: ProblemConvertible {
    var problem: ProblemDetails {
        switch self {
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .invalid(let detail): ProblemDetails(title: "Unprocessable", status: 422, detail: detail)
        case .conflict(let detail): ProblemDetails(title: "Conflict", status: 409, detail: detail)
        }
    }
}

/// The routes as `ServiceHarness` mounts them in tests (same settings as `main`'s defaults).
public func addInventoryRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    let settings = (try? InventorySettings(platform.configuration.environment)) ?? InventorySettings()
    addInventoryRoutes(api, InventoryContext(postgres: platform.postgres, store: InventoryStore(receivingWarehouse: settings.receivingWarehouse)))
}

func addInventoryRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: InventoryContext) {
    let postgres = context.postgres
    let store = context.store

    api.get("warehouses") { _, ctx in
        let rows = try await postgres.query("SELECT code, name FROM warehouses ORDER BY code", logger: ctx.logger)
        var items: [Warehouse] = []
        for try await (code, name) in rows.decode((String, String).self) { items.append(Warehouse(code: code, name: name)) }
        return ItemList(items: items)
    }

    // A warehouse goods are kept in and ship from (created, or renamed when the code exists).
    api.put("warehouses/:code") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        guard code.wholeMatch(of: /[A-Z0-9][A-Z0-9_-]*/) != nil else {
            throw InventoryError.invalid("a warehouse code is upper-case letters, digits, - and _ (e.g. MSK-1), not \(code)")
        }
        let body = try await request.decode(as: WarehouseBody.self, context: ctx)
        guard !body.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw InventoryError.invalid("name is required") }
        try await postgres.query(
            """
            INSERT INTO warehouses (code, name, address) VALUES (\(code), \(body.name), \(body.address ?? ""))
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, address = excluded.address
            """, logger: ctx.logger)
        return try json(Warehouse(code: code, name: body.name), status: .ok)
    }

    api.get("products") { _, ctx in
        let rows = try await postgres.query(
            "SELECT sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked, shelf_life_days, gtin FROM products ORDER BY sku",
            logger: ctx.logger)
        var items: [Product] = []
        for try await row in rows.decode((String, String, String, String, String, String?, Bool, Int?, String?).self) {
            items.append(Product(
                sku: row.0, name: row.1, equipmentType: row.2, unit: row.3, sourcing: row.4, defaultSupplier: row.5, lotTracked: row.6,
                shelfLifeDays: row.7, gtin: row.8))
        }
        return ItemList(items: items)
    }

    api.get("stock") { request, ctx in
        let query = request.uri.queryParameters
        let sku = query["sku"].map(String.init)
        let warehouse = query["warehouse"].map(String.init)
        let rows = try await postgres.query(
            """
            SELECT b.sku, b.warehouse_code, l.series, l.expires_on::text, b.on_hand::text, b.reserved::text, (b.on_hand - b.reserved)::text
            FROM stock_buckets b LEFT JOIN lots l ON l.id = b.lot_id
            WHERE (b.on_hand <> 0 OR b.reserved <> 0)
              AND (\(sku)::text IS NULL OR b.sku = \(sku)) AND (\(warehouse)::text IS NULL OR b.warehouse_code = \(warehouse))
            ORDER BY b.sku, b.warehouse_code, l.expires_on NULLS LAST, b.first_received_at
            """, logger: ctx.logger)
        var items: [StockBalance] = []
        for try await (sku, warehouse, lot, expires, onHand, reserved, available) in rows.decode(
            (String, String, String?, String?, String, String, String).self)
        {
            items.append(StockBalance(
                sku: sku, warehouse: warehouse, lot: lot, expiresOn: expires, onHand: onHand, reserved: reserved, available: available))
        }
        return ItemList(items: items)
    }

    api.get("stock/snapshot") { _, ctx -> StockSnapshot in
        // One statement sees one snapshot of the database: the levels are consistent with each other.
        let rows = try await postgres.query(
            """
            SELECT now(), sku, warehouse_code, sum(on_hand)::text, sum(reserved)::text, sum(on_hand - reserved)::text
            FROM stock_buckets GROUP BY sku, warehouse_code ORDER BY sku, warehouse_code
            """, logger: ctx.logger)
        var asOf = Date()
        var items: [StockSnapshot.Level] = []
        for try await (at, sku, warehouse, onHand, reserved, available) in rows.decode((Date, String, String, String, String, String).self) {
            asOf = at
            items.append(.init(sku: sku, warehouse: warehouse, onHand: onHand, reserved: reserved, available: available))
        }
        return StockSnapshot(asOf: asOf, items: items)
    }

    api.get("stock/movements") { request, ctx in
        let query = request.uri.queryParameters
        let sku = query["sku"].map(String.init)
        let limit = min(max(query["limit"].flatMap { Int($0) } ?? 100, 1), 1000)
        let rows = try await postgres.query(
            """
            SELECT m.id, m.kind, m.sku, m.warehouse_code, l.series, m.quantity::text, m.reason, m.document, m.occurred_at
            FROM stock_movements m LEFT JOIN lots l ON l.id = m.lot_id
            WHERE \(sku)::text IS NULL OR m.sku = \(sku)
            ORDER BY m.occurred_at DESC, m.id LIMIT \(limit)
            """, logger: ctx.logger)
        var items: [Movement] = []
        for try await row in rows.decode((UUID, String, String, String, String?, String, String, String?, Date).self) {
            items.append(Movement(
                id: row.0, kind: row.1, sku: row.2, warehouse: row.3, lot: row.4, quantity: row.5, reason: row.6, document: row.7, occurredAt: row.8))
        }
        return ItemList(items: items)
    }

    api.post("stock/movements") { request, ctx -> Response in
        let body = try await request.decode(as: MovementBody.self, context: ctx)
        try DecimalLimit.check(body.quantity, "quantity", below: DecimalLimit.quantity)
        try validateDate(body.producedOn, "producedOn")
        try validateDate(body.expiresOn, "expiresOn")
        try await transaction(postgres, ctx) { connection in
            ((), try await store.post(body, cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: ctx.logger))
        }
        return Response(status: .noContent)
    }

    api.get("orders/:id") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard let order = try await postgres.withConnection({ try await OrderView.load(id, on: $0, logger: ctx.logger) }) else {
            throw InventoryError.notFound("no order \(id)")
        }
        return try json(order, status: .ok)
    }

    api.get("documents/:number") { _, ctx -> Response in
        let number = ctx.parameters.get("number") ?? ""
        guard let document = try await postgres.withConnection({ try await DocumentDetail.load(number, on: $0, logger: ctx.logger) }) else {
            throw InventoryError.notFound("no document \(number)")
        }
        return try json(document, status: .ok)
    }

    api.post("shipments") { request, ctx -> Response in
        let body = try await request.decode(as: ShipmentBody.self, context: ctx)
        let shipment = try await transaction(postgres, ctx) { connection in
            try await store.ship(orderID: body.orderId, partial: body.partial ?? false, cause: Cause(now: Date(), correlationID: UUID()),
                                 on: connection, logger: ctx.logger)
        }
        return try json(shipment, status: .created)
    }

    for (path, kind) in [("production-orders", "production"), ("supplier-orders", "purchase")] {
        api.get(RouterPath(path)) { request, ctx -> Response in
            let query = request.uri.queryParameters
            let order = try query["orderId"].map { value -> UUID in
                guard let id = UUID(uuidString: String(value)) else { throw InventoryError.invalid("orderId is an order id") }
                return id
            }
            let items = try await postgres.withConnection {
                try await SupplyOrderView.list(orderID: order, kind: kind, state: query["state"].map(String.init), on: $0, logger: ctx.logger)
            }
            return try json(ItemList(items: items), status: .ok)
        }
        api.get(RouterPath("\(path)/:id")) { _, ctx -> Response in
            let id = try uuid(ctx, "id")
            guard let supply = try await postgres.withConnection({ try await SupplyOrderView.load(id, on: $0, logger: ctx.logger) }),
                supply.kind == kind
            else { throw InventoryError.notFound("no \(path.dropLast()) \(id)") }
            return try json(supply, status: .ok)
        }
    }

    api.post("production-orders/:id/progress") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: ProgressBody.self, context: ctx)
        try validateDate(body.expectedOn, "expectedOn")
        let receipt = ReceiptDetails(warehouse: body.warehouse, lot: try body.lot?.details())
        let supply = try await transaction(postgres, ctx) { connection in
            try await store.reportProgress(
                id, readiness: body.readiness, expectedOn: body.expectedOn, receipt: receipt,
                cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: ctx.logger)
        }
        return try json(supply, status: .ok)
    }

    api.post("supplier-orders/:id/confirm") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: ConfirmBody.self, context: ctx)
        try validateDate(body.expectedOn, "expectedOn")
        let supply = try await transaction(postgres, ctx) { connection in
            try await store.confirmPurchase(id, expectedOn: body.expectedOn, cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: ctx.logger)
        }
        return try json(supply, status: .ok)
    }

    api.post("supplier-orders/:id/receipt") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: ReceiptBody.self, context: ctx)
        let receipt = ReceiptDetails(warehouse: body.warehouse, lot: try body.lot?.details())
        let supply = try await transaction(postgres, ctx) { connection in
            try await store.receivePurchase(
                id, receipt: receipt, cause: Cause(now: Date(), correlationID: UUID()),
                on: connection, logger: ctx.logger)
        }
        return try json(supply, status: .ok)
    }

    api.post("scans") { request, ctx -> Response in
        let body = try await request.decode(as: ScanBody.self, context: ctx)
        let code: ScannedCode
        do {
            code = try Barcode.parse(body.code)
        } catch {
            throw InventoryError.invalid("\(error)")
        }
        let result = try await postgres.withConnection { connection in
            try await scan(code, on: connection, logger: ctx.logger)
        }
        return try json(result, status: .ok)
    }

    addImportRoutes(api, postgres, store)
}

/// The product (by GTIN) and lot (by batch) a scanned code names.
func scan(_ code: ScannedCode, on connection: PostgresConnection, logger: Logger) async throws -> ScanResult {
    let products = try await connection.query(
        """
        SELECT sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked, shelf_life_days, gtin
        FROM products WHERE lpad(gtin, 14, '0') = \(code.gtin)
        """, logger: logger
    ).collect()
    guard let row = products.first else { throw InventoryError.notFound("no product with GTIN \(code.gtin) in the catalog") }
    let p = try row.decode((String, String, String, String, String, String?, Bool, Int?, String?).self)
    let product = Product(
        sku: p.0, name: p.1, equipmentType: p.2, unit: p.3, sourcing: p.4, defaultSupplier: p.5, lotTracked: p.6, shelfLifeDays: p.7, gtin: p.8)
    var lot: ScanResult.Lot?
    if let batch = code.batch {
        let lots = try await connection.query(
            """
            SELECT l.produced_on::text, l.expires_on::text, coalesce((SELECT sum(on_hand) FROM stock_buckets b WHERE b.lot_id = l.id), 0)::text
            FROM lots l WHERE l.sku = \(product.sku) AND l.series = \(batch)
            """, logger: logger
        ).collect()
        if let known = lots.first {
            let (produced, expires, onHand) = try known.decode((String?, String?, String).self)
            lot = .init(series: batch, producedOn: produced ?? code.producedOn, expiresOn: expires ?? code.expiresOn, known: true, onHand: onHand)
        } else {
            lot = .init(series: batch, producedOn: code.producedOn, expiresOn: code.expiresOn, known: false, onHand: nil)
        }
    }
    return ScanResult(
        code: .init(symbology: code.symbology.rawValue, gtin: code.gtin, batch: code.batch, producedOn: code.producedOn, expiresOn: code.expiresOn,
                    serial: code.serial),
        product: product, lot: lot)
}

func validateDate(_ value: String?, _ name: String) throws {
    guard let value else { return }
    guard ISODate(value) != nil else { throw InventoryError.invalid("\(name) is a date, YYYY-MM-DD; \(value) is not") }
}

func uuid(_ ctx: BasicRequestContext, _ name: String) throws -> UUID {
    guard let id = ctx.parameters.get(name).flatMap(UUID.init(uuidString:)) else {
        throw InventoryError.notFound("\(ctx.parameters.get(name) ?? "") is not an id")
    }
    return id
}


