import Foundation
import Hummingbird
import Messaging
import Logging
import NIOCore
import PostgresNIO
import ServiceKit
import Tabular

/// What an import wrote.
struct ImportResult: ResponseCodable {
    var file: String
    var rows: Int
}

/// `POST /v1/imports/catalog` and `POST /v1/imports/stock`: what a company moving from its old
/// system brings, as `text/csv`. All or nothing per file: the rows are checked in memory (every
/// bad row reported by line), streamed into a staging table with `COPY`, checked against the
/// catalog and warehouses, and written in one transaction.
func addImportRoutes(_ api: RouterGroup<BasicRequestContext>, _ postgres: PostgresClient, _ store: InventoryStore) {
    /// Large enough for a 1,000,000-row file.
    let maxBytes = 256 * 1024 * 1024

    api.post("imports/catalog") { request, ctx -> Response in
        let bytes = try await csvBody(request, maxBytes: maxBytes)
        let rows = try CatalogImport.parse(bytes).mapError { ImportRejected(problems: $0.problems) }.get()
        let lineOfSKU = Dictionary(rows.map { ($0.sku, $0.line) }, uniquingKeysWith: { first, _ in first })
        try await postgres.withTransaction(logger: ctx.logger) { connection in
            try await connection.query(
                """
                CREATE TEMP TABLE catalog_import (sku text, name text, equipment_type text, unit text, sourcing text,
                    default_supplier text, lot_tracked boolean, shelf_life_days integer, gtin text) ON COMMIT DROP
                """, logger: ctx.logger)
            try await copy(CatalogImport.copyText(rows), into: "catalog_import", on: connection, logger: ctx.logger)
            var problems: [ImportProblem] = []
            for row in try await connection.query(
                """
                SELECT i.sku, p.sku FROM catalog_import i JOIN products p ON lpad(p.gtin, 14, '0') = i.gtin AND p.sku <> i.sku
                WHERE NOT EXISTS (SELECT 1 FROM catalog_import o WHERE o.sku = p.sku)
                """, logger: ctx.logger
            ).collect() {
                let (sku, holder) = try row.decode((String, String).self)
                problems.append(ImportProblem(line: lineOfSKU[sku] ?? 0, column: "gtin", message: "this GTIN already belongs to \(holder)"))
            }
            guard problems.isEmpty else { throw ImportRejected(problems: problems.sorted { $0.line < $1.line }) }
            try await connection.query(
                """
                INSERT INTO products (sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked, shelf_life_days, gtin)
                SELECT sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked, shelf_life_days, gtin FROM catalog_import
                ON CONFLICT (sku) DO UPDATE SET name = excluded.name, equipment_type = excluded.equipment_type, unit = excluded.unit,
                    sourcing = excluded.sourcing, default_supplier = excluded.default_supplier, lot_tracked = excluded.lot_tracked,
                    shelf_life_days = excluded.shelf_life_days, gtin = excluded.gtin
                """, logger: ctx.logger)
        }
        return try json(ImportResult(file: "catalog", rows: rows.count), status: .ok)
    }

    api.post("imports/stock") { request, ctx -> Response in
        let bytes = try await csvBody(request, maxBytes: maxBytes)
        let rows = try StockImport.parse(bytes).mapError { ImportRejected(problems: $0.problems) }.get()
        let document = "IMPORT-" + Cause.isoDay(Date()) + "-" + UUID().uuidString.prefix(8).lowercased()
        try await transaction(postgres, ctx) { connection in
            try await connection.query(
                """
                CREATE TEMP TABLE stock_import (sku text, warehouse text, lot text, produced_on date, expires_on date,
                    quantity numeric(18, 3), line integer) ON COMMIT DROP
                """, logger: ctx.logger)
            try await copy(StockImport.copyText(rows), into: "stock_import", on: connection, logger: ctx.logger)
            var problems: [ImportProblem] = []
            for row in try await connection.query(
                """
                SELECT i.line, CASE
                    WHEN p.sku IS NULL THEN 'sku'
                    WHEN w.code IS NULL THEN 'warehouse'
                    ELSE 'lot' END,
                  CASE
                    WHEN p.sku IS NULL THEN 'no product ' || i.sku || ' in the catalog (import the catalog first)'
                    WHEN w.code IS NULL THEN 'no warehouse ' || i.warehouse
                    WHEN p.lot_tracked AND i.lot IS NULL THEN i.sku || ' is tracked by lot: the lot column is required'
                    ELSE i.sku || ' is not tracked by lot: leave the lot column empty' END
                FROM stock_import i LEFT JOIN products p ON p.sku = i.sku LEFT JOIN warehouses w ON w.code = i.warehouse
                WHERE p.sku IS NULL OR w.code IS NULL OR p.lot_tracked <> (i.lot IS NOT NULL)
                ORDER BY i.line LIMIT 1000
                """, logger: ctx.logger
            ).collect() {
                let (line, column, message) = try row.decode((Int, String, String).self)
                problems.append(ImportProblem(line: line, column: column, message: message))
            }
            guard problems.isEmpty else { throw ImportRejected(problems: problems) }
            try await connection.query(
                """
                INSERT INTO lots (id, sku, series, produced_on, expires_on)
                SELECT DISTINCT ON (sku, lot) gen_random_uuid(), sku, lot, produced_on, expires_on
                FROM stock_import WHERE lot IS NOT NULL ORDER BY sku, lot, line
                ON CONFLICT (sku, series) DO UPDATE SET produced_on = coalesce(lots.produced_on, excluded.produced_on),
                    expires_on = coalesce(lots.expires_on, excluded.expires_on)
                """, logger: ctx.logger)
            try await connection.query(
                """
                INSERT INTO stock_movements (id, kind, sku, warehouse_code, lot_id, quantity, reason, document)
                SELECT gen_random_uuid(), 'receipt', i.sku, i.warehouse, l.id, i.quantity, 'opening balance', \(document)
                FROM stock_import i LEFT JOIN lots l ON l.sku = i.sku AND l.series = i.lot
                """, logger: ctx.logger)
            // Opening stock is stock like any other: waiting lines are served and levels published.
            var touched = Set<LevelKey>()
            let skus = try await connection.query("SELECT DISTINCT sku FROM stock_import", logger: ctx.logger).collect()
                .map { try $0.decode(String.self) }
            let cause = Cause(now: Date(), correlationID: UUID())
            let events = try await store.fillBackorders(skus: Set(skus), cause: cause, touched: &touched, on: connection, logger: ctx.logger)
            try await store.writeLevelEvents(ofKeysIn: "stock_import", cause: cause, on: connection, logger: ctx.logger)
            return ((), events)
        }
        return try json(ImportResult(file: "stock", rows: rows.count), status: .ok)
    }
}

/// The request's CSV bytes; another content type is refused before anything is read.
/// Streams COPY text-format data into a table in chunks of 1 MiB.
private func copy(_ data: [UInt8], into table: String, on connection: PostgresConnection, logger: Logger) async throws {
    try await connection.copyFrom(table: table, logger: logger) { writer in
        var start = 0
        while start < data.count {
            let end = min(start + 1 << 20, data.count)
            try await writer.write(ByteBuffer(bytes: data[start..<end]))
            start = end
        }
    }
}
