import Contracts
import Foundation
import Hummingbird
import Messaging
import NIOCore
import PostgresNIO
import ServiceKit
import Tabular

struct Dealer: ResponseCodable, Equatable {
    var id: UUID
    var code: String
    var name: String
    var region: String
    var tier: String
    var status: String
    var shopCount: Int
}

struct DealerList: ResponseCodable {
    var items: [Dealer]
}

struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
}

struct DealerBody: Decodable {
    var name: String
    var legalName: String
    var taxId: String
    var region: String
    var tier: String
    var status: String?
    var attributes: [String: AttributeValue]?
}

struct ShopBody: Decodable {
    var name: String
    var region: String
    var city: String
    var status: String?
}

struct KeyBody: Decodable { var label: String?; var replaces: UUID? }
struct SegmentBody: Codable { var name: String; var rule: SegmentRule }
struct SeriesBody: Decodable { var kind: String; var title: String }
struct CustomerBody: Codable, Sendable { var name: String; var taxId: String?; var contact: String?; var phone: String?; var email: String? }
struct Customer: Codable, Sendable { var id: UUID; var name: String; var taxId: String?; var contact: String?; var phone: String?; var email: String? }

/// A product's availability as a dealer may see it: gold dealers see the quantity, others a level.
struct StockItem: Codable, Sendable {
    var sku: String
    var available: String?
    /// `in_stock` (10 or more), `low` (1–9) or `out`.
    var level: String
    var cursor: Int64
}

struct StockPage: Codable, Sendable {
    var items: [StockItem]
    var nextCursor: Int64
}

struct DealerInfoContext: Sendable {
    let postgres: PostgresClient
    let policy: AnomalyPolicy
}

public func addDealerInfoRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    let policy = (try? DealerInfoSettings(platform.configuration.environment).policy) ?? .standard
    addDealerInfoRoutes(api, DealerInfoContext(postgres: platform.postgres, policy: policy))
}

func addDealerInfoRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: DealerInfoContext) {
    addNetworkRoutes(api, context.postgres)
    addNetworkImportRoute(api, context.postgres)
    addPublicationRoutes(api, context.postgres)
    addDealerRoutes(api.group("dealer"), context)
}

// MARK: Head office: the network

func addNetworkRoutes(_ api: RouterGroup<BasicRequestContext>, _ postgres: PostgresClient) {
    api.get("dealers") { _, ctx in
        let rows = try await postgres.query(
            """
            SELECT d.id, d.code, d.name, d.region, d.tier, d.status, count(s.id)::integer
            FROM dealers d LEFT JOIN shops s ON s.dealer_id = d.id
            GROUP BY d.id ORDER BY d.code
            """, logger: ctx.logger)
        var items: [Dealer] = []
        for try await (id, code, name, region, tier, status, shops) in rows.decode((UUID, String, String, String, String, String, Int).self) {
            items.append(Dealer(id: id, code: code, name: name, region: region, tier: tier, status: status, shopCount: shops))
        }
        return DealerList(items: items)
    }

    api.put("dealers/:code") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        let body = try await request.decode(as: DealerBody.self, context: ctx)
        guard ["gold", "silver", "bronze"].contains(body.tier) else { throw DealerInfoError.invalid("tier is gold, silver or bronze") }
        let status = body.status ?? "active"
        guard ["active", "suspended", "closed"].contains(status) else { throw DealerInfoError.invalid("status is active, suspended or closed") }
        let attributes = String(decoding: try JSONEncoder().encode(body.attributes ?? [:]), as: UTF8.self)
        try await postgres.query(
            """
            INSERT INTO dealers (id, code, name, legal_name, tax_id, region, tier, status, attributes)
            VALUES (\(UUID()), \(code), \(body.name), \(body.legalName), \(body.taxId), \(body.region), \(body.tier), \(status), \(attributes)::jsonb)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, legal_name = excluded.legal_name, tax_id = excluded.tax_id,
                region = excluded.region, tier = excluded.tier, status = excluded.status, attributes = excluded.attributes
            """, logger: ctx.logger)
        return Response(status: .noContent)
    }

    api.put("dealers/:code/shops/:shop") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? "", shop = ctx.parameters.get("shop") ?? ""
        let body = try await request.decode(as: ShopBody.self, context: ctx)
        let rows = try await postgres.query(
            """
            INSERT INTO shops (id, dealer_id, code, name, region, city, status)
            SELECT \(UUID()), id, \(shop), \(body.name), \(body.region), \(body.city), \(body.status ?? "active") FROM dealers WHERE code = \(code)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, region = excluded.region, city = excluded.city, status = excluded.status
                WHERE shops.dealer_id = excluded.dealer_id
            RETURNING id
            """, logger: ctx.logger)
        var written = false
        for try await _ in rows.decode(UUID.self) { written = true }
        guard written else { throw DealerInfoError.notFound("no dealer \(code), or shop \(shop) belongs to another dealer") }
        return Response(status: .noContent)
    }

    api.post("dealers/:code/keys") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        let body = try await request.decode(as: KeyBody.self, context: ctx)
        let issued = try await postgres.withTransaction(logger: ctx.logger) { connection in
            try await DealerKeys.issue(dealerCode: code, label: body.label, replacing: body.replaces, on: connection, logger: ctx.logger)
        }
        var response = try json(issued, status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    api.delete("dealers/:code/keys/:id") { _, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such key") }
        let rows = try await postgres.query(
            """
            UPDATE dealer_keys k SET revoked_at = coalesce(k.revoked_at, now()) FROM dealers d
            WHERE k.id = \(id) AND d.id = k.dealer_id AND d.code = \(code) RETURNING k.id
            """, logger: ctx.logger)
        var found = false
        for try await _ in rows.decode(UUID.self) { found = true }
        guard found else { throw DealerInfoError.notFound("no key \(id) of dealer \(code)") }
        return Response(status: .noContent)
    }

    // A dealer's push endpoint: each new delivery is POSTed there, signed with a secret shown once.
    api.put("dealers/:code/endpoint") { request, ctx -> Response in
        struct EndpointBody: Decodable { var url: String }
        struct Endpoint: Codable { var url: String; var secret: String }
        let code = ctx.parameters.get("code") ?? ""
        let body = try await request.decode(as: EndpointBody.self, context: ctx)
        guard let url = URL(string: body.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw DealerInfoError.invalid("url is an http(s) URL the dealer serves")
        }
        let secret = DealerKeys.generate().key
        let rows = try await postgres.query(
            """
            INSERT INTO dealer_endpoints (dealer_id, url, secret) SELECT id, \(body.url), \(secret) FROM dealers WHERE code = \(code)
            ON CONFLICT (dealer_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = now()
            RETURNING dealer_id
            """, logger: ctx.logger)
        var found = false
        for try await _ in rows.decode(UUID.self) { found = true }
        guard found else { throw DealerInfoError.notFound("no dealer \(code)") }
        var response = try json(Endpoint(url: body.url, secret: secret), status: .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    api.delete("dealers/:code/endpoint") { _, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        try await postgres.query(
            "DELETE FROM dealer_endpoints e USING dealers d WHERE d.id = e.dealer_id AND d.code = \(code)", logger: ctx.logger)
        return Response(status: .noContent)
    }

    api.put("segments/:code") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        guard code.wholeMatch(of: /[a-z0-9][a-z0-9_-]*/) != nil else { throw DealerInfoError.invalid("a segment code is lower-case, e.g. urals-gold") }
        let body = try await request.decode(as: SegmentBody.self, context: ctx)
        let problems = body.rule.validate()
        guard problems.isEmpty else { throw DealerInfoError.invalid("the rule is not valid: \(problems.joined(separator: "; "))") }
        let rule = String(decoding: try JSONEncoder().encode(body.rule), as: UTF8.self)
        try await postgres.query(
            """
            INSERT INTO segments (code, name, rule) VALUES (\(code), \(body.name), \(rule)::jsonb)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, rule = excluded.rule, updated_at = now()
            """, logger: ctx.logger)
        return Response(status: .noContent)
    }

    // The dealers a segment reaches now (what a publication addressed to it would reach).
    api.get("segments/:code/dealers") { _, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        let dealers = try await postgres.withConnection { connection -> [String] in
            let profiles = try await Distribution.profiles(on: connection, logger: ctx.logger)
            var segments: [String: SegmentRule] = [:]
            for row in try await connection.query("SELECT code, rule::text FROM segments", logger: ctx.logger).collect() {
                let (segment, rule) = try row.decode((String, String).self)
                segments[segment] = try JSONDecoder().decode(SegmentRule.self, from: Data(rule.utf8))
            }
            guard segments[code] != nil else { throw DealerInfoError.notFound("no segment \(code)") }
            let ids = try Addressing.resolve(.segments([code]), dealers: profiles, segments: segments).get()
            return profiles.filter { ids.contains($0.id) }.map(\.code)
        }
        return try json(ItemList(items: dealers), status: .ok)
    }

    api.put("dealers/:code/customers") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        let body = try await request.decode(as: ItemList<CustomerBody>.self, context: ctx)
        guard body.items.allSatisfy({ !$0.name.trimmingCharacters(in: .whitespaces).isEmpty }) else { throw DealerInfoError.invalid("every customer has a name") }
        let count = try await postgres.withTransaction(logger: ctx.logger) { connection -> Int in
            guard let dealer = try await connection.query("SELECT id FROM dealers WHERE code = \(code)", logger: ctx.logger)
                .collect().first?.decode(UUID.self)
            else { throw DealerInfoError.notFound("no dealer \(code)") }
            let items = body.items
            return try await connection.query(
                """
                INSERT INTO dealer_customers (id, dealer_id, name, tax_id, contact, phone, email)
                SELECT gen_random_uuid(), \(dealer), name, nullif(tax, ''), nullif(contact, ''), nullif(phone, ''), nullif(email, '')
                FROM unnest(\(items.map(\.name))::text[], \(items.map { $0.taxId ?? "" })::text[], \(items.map { $0.contact ?? "" })::text[],
                            \(items.map { $0.phone ?? "" })::text[], \(items.map { $0.email ?? "" })::text[]) AS c(name, tax, contact, phone, email)
                ON CONFLICT (dealer_id, tax_id) DO UPDATE SET name = excluded.name, contact = excluded.contact, phone = excluded.phone,
                    email = excluded.email
                RETURNING id
                """, logger: ctx.logger
            ).collect().count
        }
        return try json(["assigned": count], status: .ok)
    }

    api.get("sales-reports/:id") { _, ctx -> Response in
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let report = try await postgres.withConnection({ try await ShopReports.load(id, dealer: nil, on: $0, logger: ctx.logger) })
        else { throw DealerInfoError.notFound("no such report") }
        return try json(report, status: .ok)
    }

    // Anomalies for head office to review, newest first.
    api.get("anomalies") { request, ctx -> Response in
        struct Flag: Codable { var reportId: UUID; var dealerCode: String; var shopCode: String; var day: String; var version: Int; var kind: String
            var receipt: String?; var sku: String?; var detail: String; var flaggedAt: Date }
        let query = request.uri.queryParameters
        let dealer = query["dealer"].map(String.init), kind = query["kind"].map(String.init)
        let rows = try await postgres.query(
            """
            SELECT a.report_id, d.code, s.code, r.day::text, a.version, a.kind, a.receipt, a.sku, a.detail, a.flagged_at
            FROM report_anomalies a JOIN sales_reports r ON r.id = a.report_id AND r.version = a.version
            JOIN shops s ON s.id = r.shop_id JOIN dealers d ON d.id = r.dealer_id
            WHERE (\(dealer)::text IS NULL OR d.code = \(dealer)) AND (\(kind)::text IS NULL OR a.kind = \(kind))
            ORDER BY a.flagged_at DESC, d.code, s.code LIMIT 500
            """, logger: ctx.logger)
        var items: [Flag] = []
        for try await row in rows.decode((UUID, String, String, String, Int, String, String?, String?, String, Date).self) {
            items.append(Flag(reportId: row.0, dealerCode: row.1, shopCode: row.2, day: row.3, version: row.4, kind: row.5, receipt: row.6,
                              sku: row.7, detail: row.8, flaggedAt: row.9))
        }
        return try json(ItemList(items: items), status: .ok)
    }
}

// MARK: Head office: publications

func addPublicationRoutes(_ api: RouterGroup<BasicRequestContext>, _ postgres: PostgresClient) {
    api.put("series/:code") { request, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        guard code.wholeMatch(of: /[a-z0-9][a-z0-9_.-]*/) != nil else { throw DealerInfoError.invalid("a series code is lower-case, e.g. price.retail.rub") }
        let body = try await request.decode(as: SeriesBody.self, context: ctx)
        let kinds = ["price_list", "plan", "promotion", "document", "assortment", "methodology"]
        guard kinds.contains(body.kind) else { throw DealerInfoError.invalid("kind is one of \(kinds.joined(separator: ", "))") }
        let rows = try await postgres.query(
            """
            INSERT INTO series (code, kind, title) VALUES (\(code), \(body.kind), \(body.title))
            ON CONFLICT (code) DO UPDATE SET title = excluded.title WHERE series.kind = excluded.kind RETURNING code
            """, logger: ctx.logger)
        var written = false
        for try await _ in rows.decode(String.self) { written = true }
        guard written else { throw DealerInfoError.conflict("series \(code) exists with another kind") }
        return Response(status: .noContent)
    }

    api.post("publications") { request, ctx -> Response in
        let body = try await request.decode(as: PublicationBody.self, context: ctx)
        let view = try await transaction(postgres, ctx) { connection in
            try await Distribution.publish(body, at: Date(), on: connection, logger: ctx.logger)
        }
        return try json(view, status: .created)
    }

    api.get("publications/:id") { _, ctx -> Response in
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let view = try await postgres.withConnection({ try await Distribution.publication(id, for: nil, on: $0, logger: ctx.logger) })
        else { throw DealerInfoError.notFound("no such publication") }
        return try json(view, status: .ok)
    }

    api.get("publications/:id/file") { _, ctx -> Response in
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such file") }
        return try await file(id, dealer: nil, postgres: postgres, ctx: ctx)
    }

    api.get("publications/:id/deliveries") { _, ctx -> Response in
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such publication") }
        let rows = try await postgres.query(
            """
            SELECT d.dealer_id, dl.code, d.state, d.delivered_at, d.acknowledged_at, d.applied_version, d.rejection
            FROM deliveries d JOIN dealers dl ON dl.id = d.dealer_id WHERE d.publication_id = \(id) ORDER BY dl.code
            """, logger: ctx.logger)
        var items: [DeliveryView] = []
        for try await row in rows.decode((UUID, String, String, Date?, Date?, Int?, String?).self) {
            items.append(DeliveryView(
                dealerId: row.0, dealerCode: row.1, state: row.2, deliveredAt: row.3, acknowledgedAt: row.4, appliedVersion: row.5, rejection: row.6))
        }
        guard !items.isEmpty else { throw DealerInfoError.notFound("no publication \(id)") }
        return try json(ItemList(items: items), status: .ok)
    }

    api.get("series/:code/behind") { _, ctx -> Response in
        let code = ctx.parameters.get("code") ?? ""
        let entries = try await postgres.withConnection { try await Distribution.behind(series: code, on: $0, logger: ctx.logger) }
        return try json(ItemList(items: entries), status: .ok)
    }
}

// MARK: Dealers' own API (their API key, never the service token)

func addDealerRoutes(_ dealerAPI: RouterGroup<BasicRequestContext>, _ context: DealerInfoContext) {
    let postgres = context.postgres
    @Sendable func dealer(_ request: Request, _ ctx: BasicRequestContext) async throws -> AuthenticatedDealer {
        try await DealerKeys.authenticate(request, postgres: postgres, logger: ctx.logger)
    }

    dealerAPI.get("me") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        return try json(["id": me.id.uuidString.lowercased(), "code": me.code, "tier": me.tier], status: .ok)
    }

    dealerAPI.get("feed") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let query = request.uri.queryParameters
        let after = query["after"].flatMap { Int64($0) } ?? 0
        let limit = min(max(query["limit"].flatMap { Int($0) } ?? 100, 1), 1000)
        // Most pulls find nothing new to mark: one read answers them; only a page with pending
        // deliveries takes the transaction that marks them delivered and publishes that.
        let page: FeedPage
        if let unchanged = try await postgres.withConnection({
            try await Distribution.feedIfAllTaken(for: me, after: after, limit: limit, on: $0, logger: ctx.logger)
        }) {
            page = unchanged
        } else {
            page = try await transaction(postgres, ctx) { connection in
                try await Distribution.feed(for: me, after: after, limit: limit, at: Date(), on: connection, logger: ctx.logger)
            }
        }
        return try json(page, status: .ok)
    }

    dealerAPI.get("publications/:id") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let view = try await postgres.withConnection({ try await Distribution.publication(id, for: me, on: $0, logger: ctx.logger) })
        else { throw DealerInfoError.notFound("no such publication") }
        return try json(view, status: .ok)
    }

    dealerAPI.get("publications/:id/file") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such file") }
        return try await file(id, dealer: me.id, postgres: postgres, ctx: ctx)
    }

    dealerAPI.get("deliveries/:id") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such delivery") }
        let rows = try await postgres.query(
            """
            SELECT d.dealer_id, dl.code, d.state, d.delivered_at, d.acknowledged_at, d.applied_version, d.rejection
            FROM deliveries d JOIN dealers dl ON dl.id = d.dealer_id WHERE d.publication_id = \(id) AND d.dealer_id = \(me.id)
            """, logger: ctx.logger)
        for try await row in rows.decode((UUID, String, String, Date?, Date?, Int?, String?).self) {
            return try json(DeliveryView(
                dealerId: row.0, dealerCode: row.1, state: row.2, deliveredAt: row.3, acknowledgedAt: row.4, appliedVersion: row.5, rejection: row.6),
                status: .ok)
        }
        throw DealerInfoError.notFound("no such delivery")
    }

    // The latest version of a series addressed to the dealer, whole.
    dealerAPI.get("series/:code/snapshot") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let code = ctx.parameters.get("code") ?? ""
        let view = try await postgres.withTransaction(logger: ctx.logger) { connection -> PublicationView in
            guard let (id, version) = try await Distribution.latest(series: code, for: me.id, on: connection, logger: ctx.logger),
                let view = try await Distribution.publication(id, for: me, on: connection, logger: ctx.logger)
            else { throw DealerInfoError.notFound("no series \(code)") }
            try await Distribution.fetched(series: code, version: version, snapshot: true, by: me.id, on: connection, logger: ctx.logger)
            return view
        }
        return try json(view, status: .ok)
    }

    // What changed in a price-list series since the version the dealer holds.
    dealerAPI.get("series/:code/delta") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let code = ctx.parameters.get("code") ?? ""
        guard let since = request.uri.queryParameters["since"].flatMap({ Int($0) }), since > 0 else {
            throw DealerInfoError.invalid("since is the version the dealer holds (a positive number)")
        }
        let delta = try await postgres.withTransaction(logger: ctx.logger) { connection -> PriceListDelta in
            guard let (latestID, latest) = try await Distribution.latest(series: code, for: me.id, on: connection, logger: ctx.logger) else {
                throw DealerInfoError.notFound("no series \(code)")
            }
            guard let (heldID, held) = try await Distribution.latest(series: code, for: me.id, atMost: since, on: connection, logger: ctx.logger),
                held == since
            else { throw DealerInfoError.conflict("version \(since) of \(code) was never sent to you: take the snapshot (/v1/dealer/series/\(code)/snapshot)") }
            let old = try await Distribution.priceItems(of: heldID, on: connection, logger: ctx.logger)
            let new = latest == held ? old : try await Distribution.priceItems(of: latestID, on: connection, logger: ctx.logger)
            try await Distribution.fetched(series: code, version: latest, snapshot: false, by: me.id, on: connection, logger: ctx.logger)
            return PriceLists.delta(from: old, version: held, to: new, version: latest)
        }
        return try json(delta, status: .ok)
    }

    dealerAPI.post("receipts") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let body = try await request.decode(as: ReceiptBody.self, context: ctx)
        let result = try await transaction(postgres, ctx) { connection in
            try await Distribution.receipt(body, from: me, at: Date(), on: connection, logger: ctx.logger)
        }
        return try json(result, status: .ok)
    }

    dealerAPI.get("customers") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let rows = try await postgres.query(
            "SELECT id, name, tax_id, contact, phone, email FROM dealer_customers WHERE dealer_id = \(me.id) ORDER BY name LIMIT 10000",
            logger: ctx.logger)
        var items: [Customer] = []
        for try await row in rows.decode((UUID, String, String?, String?, String?, String?).self) {
            items.append(Customer(id: row.0, name: row.1, taxId: row.2, contact: row.3, phone: row.4, email: row.5))
        }
        return try json(ItemList(items: items), status: .ok)
    }

    dealerAPI.get("customers/:id") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DealerInfoError.notFound("no such customer") }
        let rows = try await postgres.query(
            "SELECT id, name, tax_id, contact, phone, email FROM dealer_customers WHERE id = \(id) AND dealer_id = \(me.id)", logger: ctx.logger)
        for try await row in rows.decode((UUID, String, String?, String?, String?, String?).self) {
            return try json(Customer(id: row.0, name: row.1, taxId: row.2, contact: row.3, phone: row.4, email: row.5), status: .ok)
        }
        throw DealerInfoError.notFound("no such customer")
    }

    // Availability, as a continuously updated series: everything (no cursor) or what changed after a cursor.
    dealerAPI.get("stock") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let query = request.uri.queryParameters
        let after = query["after"].flatMap { Int64($0) } ?? 0
        let limit = min(max(query["limit"].flatMap { Int($0) } ?? 1000, 1), 10000)
        let rows = try await postgres.query(
            """
            SELECT sku, sum(available)::text, max(seq) FROM stock_levels
            WHERE sku IN (SELECT sku FROM stock_levels WHERE seq > \(after))
            GROUP BY sku ORDER BY max(seq) LIMIT \(limit)
            """, logger: ctx.logger)
        var items: [StockItem] = []
        for try await (sku, available, seq) in rows.decode((String, String, Int64).self) {
            let quantity = decimal(available)
            let level = quantity >= 10 ? "in_stock" : (quantity > 0 ? "low" : "out")
            items.append(StockItem(sku: sku, available: me.tier == "gold" ? available : nil, level: level, cursor: seq))
        }
        return try json(StockPage(items: items, nextCursor: items.last?.cursor ?? after), status: .ok)
    }

    dealerAPI.post("sales-reports") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        let report = try await request.decode(as: SalesReport.self, context: ctx)
        let intake = try await transaction(postgres, ctx) { connection in
            try await ShopReports.intake(report, from: me, policy: context.policy, at: Date(), on: connection, logger: ctx.logger)
        }
        return try json(intake, status: intake.changed ? .created : .ok)
    }

    dealerAPI.get("sales-reports/:id") { request, ctx -> Response in
        let me = try await dealer(request, ctx)
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let report = try await postgres.withConnection({ try await ShopReports.load(id, dealer: me.id, on: $0, logger: ctx.logger) })
        else { throw DealerInfoError.notFound("no such report") }
        return try json(report, status: .ok)
    }
}

/// A publication's file, if it has one and (for a dealer) was addressed to that dealer.
func file(_ id: UUID, dealer: UUID?, postgres: PostgresClient, ctx: BasicRequestContext) async throws -> Response {
    let rows = try await postgres.query(
        """
        SELECT f.media_type, f.bytes FROM publication_files f
        WHERE f.publication_id = \(id)
          AND (\(dealer)::uuid IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.publication_id = f.publication_id AND d.dealer_id = \(dealer)))
        """, logger: ctx.logger)
    for try await (mediaType, bytes) in rows.decode((String, ByteBuffer).self) {
        return Response(status: .ok, headers: [.contentType: mediaType], body: .init(byteBuffer: bytes))
    }
    throw DealerInfoError.notFound("no such file")
}
