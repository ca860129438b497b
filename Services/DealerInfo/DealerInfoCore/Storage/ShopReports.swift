import Contracts
import Crypto
import Foundation
import Logging
import Messaging
import PostgresNIO
import Tabular

/// A stored report as head office and its dealer see it.
struct StoredReport: Codable, Sendable {
    var id: UUID
    var dealerCode: String
    var shopCode: String
    var day: String
    var version: Int
    var currency: String
    var sales: String
    var returns: String
    var discounts: String
    var receipts: Int
    var receivedAt: Date
    var anomalies: [Anomaly]
}

/// What a report intake did: stored as a new version, or the same report again (nothing changed).
struct ReportIntake: Codable, Sendable {
    var report: StoredReport
    /// False when the same report arrived again: it counts once.
    var changed: Bool
}

/// Shops' daily sales reports: one per shop and day, replaced by a corrected one (version + 1);
/// the same report sent again counts once. Anomalies are flagged, never a reason to refuse.
enum ShopReports {
    static func intake(
        _ report: SalesReport, from dealer: AuthenticatedDealer, policy: AnomalyPolicy, at now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> (ReportIntake, [OutboxEvent]) {
        let problems = report.validate()
        guard problems.isEmpty else {
            throw DealerInfoError.invalid("the report is not valid: \(problems.prefix(20).joined(separator: "; "))")
        }
        // A shop of another dealer answers exactly as one that does not exist.
        guard let shop = try await connection.query(
            "SELECT id FROM shops WHERE code = \(report.shopCode) AND dealer_id = \(dealer.id)", logger: logger
        ).collect().first?.decode(UUID.self) else { throw DealerInfoError.notFound("no shop \(report.shopCode)") }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        let hash = DealerKeys.hash(bytes: Array(json.utf8)).map { String(format: "%02x", $0) }.joined()
        // Lock the shop's day so two uploads of it are applied one after the other.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(shop.uuidString + report.day)))", logger: logger)
        let existing = try await connection.query(
            "SELECT id, version, content_hash FROM sales_reports WHERE shop_id = \(shop) AND day = \(report.day)::date", logger: logger
        ).collect().first.map { try $0.decode((UUID, Int, String).self) }
        if let existing, existing.2 == hash {
            return (ReportIntake(report: try await load(existing.0, dealer: dealer.id, on: connection, logger: logger)!, changed: false), [])
        }

        let skus = Array(Set(report.receipts.flatMap { $0.lines.map(\.sku) })).sorted()
        let (assortment, prices) = try await reference(skus: skus, currency: report.currency, for: dealer.id, on: connection, logger: logger)
        let anomalies = AnomalyRules.check(report, assortment: assortment, listPrices: prices, policy: policy)
        let id = existing?.0 ?? UUID()
        let version = (existing?.1 ?? 0) + 1
        let totals = report.totals
        try await connection.query(
            """
            INSERT INTO sales_reports (id, shop_id, dealer_id, day, version, content_hash, report, currency, sales, returns, discounts, receipts, received_at)
            VALUES (\(id), \(shop), \(dealer.id), \(report.day)::date, \(version), \(hash), \(json)::jsonb, \(report.currency), \(totals.sales),
                    \(totals.returns), \(totals.discounts), \(report.receipts.count), \(now))
            ON CONFLICT (shop_id, day) DO UPDATE SET version = excluded.version, content_hash = excluded.content_hash, report = excluded.report,
                currency = excluded.currency, sales = excluded.sales, returns = excluded.returns, discounts = excluded.discounts,
                receipts = excluded.receipts, received_at = excluded.received_at
            """, logger: logger)
        if !anomalies.isEmpty {
            try await connection.query(
                """
                INSERT INTO report_anomalies (report_id, version, kind, receipt, sku, detail, flagged_at)
                SELECT \(id), \(version), kind, nullif(receipt, ''), nullif(sku, ''), detail, \(now)
                FROM unnest(\(anomalies.map(\.kind.rawValue))::text[], \(anomalies.map { $0.receipt ?? "" })::text[],
                            \(anomalies.map { $0.sku ?? "" })::text[], \(anomalies.map(\.detail))::text[]) AS a(kind, receipt, sku, detail)
                """, logger: logger)
        }
        var events = [try Distribution.event(
            DealerSalesReported(
                reportId: id, dealerId: dealer.id, dealerCode: dealer.code, shopCode: report.shopCode, day: report.day, version: version,
                currency: report.currency, sales: totals.sales, returns: totals.returns, discounts: totals.discounts, net: totals.sales - totals.returns,
                receipts: report.receipts.count, reportedAt: now), key: dealer.id, at: now)]
        for anomaly in anomalies {
            events.append(try Distribution.event(
                DealerAnomalyFlagged(
                    reportId: id, dealerId: dealer.id, dealerCode: dealer.code, shopCode: report.shopCode, day: report.day, kind: anomaly.kind.rawValue,
                    receipt: anomaly.receipt, sku: anomaly.sku, detail: anomaly.detail, flaggedAt: now), key: dealer.id, at: now))
        }
        return (ReportIntake(report: try await load(id, dealer: dealer.id, on: connection, logger: logger)!, changed: true), events)
    }

    /// Which of `skus` are in the unified assortment (the latest price lists addressed to the
    /// dealer), and their list prices in the report's currency. Only the report's SKUs are read,
    /// not the whole price list.
    static func reference(
        skus: [String], currency: String, for dealer: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Set<String>, [String: Decimal]) {
        let rows = try await connection.query(
            """
            WITH latest AS (
                SELECT DISTINCT ON (p.series_code) p.id FROM publications p
                JOIN series s ON s.code = p.series_code AND s.kind = 'price_list'
                JOIN deliveries d ON d.publication_id = p.id AND d.dealer_id = \(dealer)
                ORDER BY p.series_code, p.version DESC
            )
            SELECT i.sku, i.currency, min(i.price)::text FROM price_items i JOIN latest ON latest.id = i.publication_id
            WHERE i.sku = ANY(\(skus))
            GROUP BY i.sku, i.currency
            """, logger: logger
        ).collect()
        var assortment = Set<String>()
        var prices: [String: Decimal] = [:]
        for row in rows {
            let (sku, itemCurrency, price) = try row.decode((String, String, String).self)
            assortment.insert(sku)
            if itemCurrency == currency { prices[sku] = decimal(price) }
        }
        return (assortment, prices)
    }

    /// A report with its current anomalies; nil when it does not exist or (for a dealer) is another dealer's.
    static func load(_ id: UUID, dealer: UUID?, on connection: PostgresConnection, logger: Logger) async throws -> StoredReport? {
        let rows = try await connection.query(
            """
            SELECT r.id, d.code, s.code, r.day::text, r.version, r.currency, r.sales::text, r.returns::text, r.discounts::text, r.receipts, r.received_at
            FROM sales_reports r JOIN shops s ON s.id = r.shop_id JOIN dealers d ON d.id = r.dealer_id
            WHERE r.id = \(id) AND (\(dealer)::uuid IS NULL OR r.dealer_id = \(dealer))
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let r = try row.decode((UUID, String, String, String, Int, String, String, String, String, Int, Date).self)
        let anomalies = try await connection.query(
            "SELECT kind, receipt, sku, detail FROM report_anomalies WHERE report_id = \(id) AND version = \(r.4) ORDER BY ctid", logger: logger
        ).collect().compactMap { row -> Anomaly? in
            let (kind, receipt, sku, detail) = try row.decode((String, String?, String?, String).self)
            return Anomaly.Kind(rawValue: kind).map { Anomaly(kind: $0, receipt: receipt, sku: sku, detail: detail) }
        }
        return StoredReport(
            id: r.0, dealerCode: r.1, shopCode: r.2, day: r.3, version: r.4, currency: r.5, sales: r.6, returns: r.7, discounts: r.8, receipts: r.9,
            receivedAt: r.10, anomalies: anomalies)
    }
}
