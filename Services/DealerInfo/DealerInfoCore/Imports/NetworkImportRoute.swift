import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit
import Tabular

/// `POST /v1/imports/network` (`text/csv`): dealers and their shops as a company moving from its
/// old system brings them, all or nothing. Dealers and shops already known (by code) are updated;
/// a shop code that belongs to another dealer is refused, naming its line.
func addNetworkImportRoute(_ api: RouterGroup<BasicRequestContext>, _ postgres: PostgresClient) {
    api.post("imports/network") { request, ctx -> Response in
        let bytes = try await csvBody(request, maxBytes: 64 * 1024 * 1024)
        let (dealers, shops) = try NetworkImport.parse(bytes).mapError { ImportRejected(problems: $0.problems) }.get()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await postgres.withTransaction(logger: ctx.logger) { connection in
            try await connection.query(
                """
                INSERT INTO dealers (id, code, name, legal_name, tax_id, region, tier, status, attributes)
                SELECT gen_random_uuid(), code, name, legal, tax, region, tier, status, attributes::jsonb
                FROM unnest(\(dealers.map(\.code))::text[], \(dealers.map(\.name))::text[], \(dealers.map(\.legalName))::text[],
                            \(dealers.map(\.taxId))::text[], \(dealers.map(\.region))::text[], \(dealers.map(\.tier))::text[],
                            \(dealers.map(\.status))::text[], \(try dealers.map { String(decoding: try encoder.encode($0.attributes), as: UTF8.self) })::text[])
                    AS d(code, name, legal, tax, region, tier, status, attributes)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, legal_name = excluded.legal_name, tax_id = excluded.tax_id,
                    region = excluded.region, tier = excluded.tier, status = excluded.status, attributes = excluded.attributes
                """, logger: ctx.logger)
            var problems: [ImportProblem] = []
            let lineOfShop = Dictionary(shops.map { ($0.code, $0.line) }, uniquingKeysWith: { first, _ in first })
            for row in try await connection.query(
                """
                SELECT s.code, d.code FROM shops s JOIN dealers d ON d.id = s.dealer_id
                JOIN unnest(\(shops.map(\.code))::text[], \(shops.map(\.dealerCode))::text[]) AS i(shop, dealer) ON i.shop = s.code
                WHERE d.code <> i.dealer
                """, logger: ctx.logger
            ).collect() {
                let (shop, owner) = try row.decode((String, String).self)
                problems.append(ImportProblem(line: lineOfShop[shop] ?? 0, column: "shop_code", message: "shop \(shop) belongs to dealer \(owner)"))
            }
            guard problems.isEmpty else { throw ImportRejected(problems: problems.sorted { $0.line < $1.line }) }
            try await connection.query(
                """
                INSERT INTO shops (id, dealer_id, code, name, region, city)
                SELECT gen_random_uuid(), d.id, i.shop, i.name, d.region, i.city
                FROM unnest(\(shops.map(\.code))::text[], \(shops.map(\.dealerCode))::text[], \(shops.map(\.name))::text[],
                            \(shops.map(\.city))::text[]) AS i(shop, dealer, name, city)
                JOIN dealers d ON d.code = i.dealer
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region, city = excluded.city
                """, logger: ctx.logger)
        }
        return try json(["dealers": dealers.count, "shops": shops.count], status: .ok)
    }
}
