import Contracts
import Foundation
import Logging
import Messaging
import Mustache
import PostgresNIO

/// Issues commercial offers: renders the deal's lines and totals in the customer's language,
/// prints the PDF, stores both with the next number, and moves a deal in selection to `offer`.
struct OfferStore: Sendable {
    let deals: DealStore
    let template: MustacheTemplate
    let printer: PDFPrinter

    /// The offer template shipped with the service.
    static func loadTemplate() throws -> MustacheTemplate {
        guard let url = Bundle.module.url(forResource: "Templates/offer", withExtension: "mustache")
            ?? Bundle.module.url(forResource: "offer", withExtension: "mustache", subdirectory: "Templates")
        else { throw PDFPrinter.Failed(description: "Templates/offer.mustache is missing from the bundle") }
        return try MustacheTemplate(string: try String(contentsOf: url, encoding: .utf8))
    }

    /// A summary of an issued offer.
    struct Issued: Codable, Sendable {
        var id: UUID
        var dealId: UUID
        var number: String
        var version: Int
        var language: String
        var total: Money?
        var validUntil: String
        var createdAt: Date
        var pdf: String
        var html: String
    }

    func issue(
        for dealID: UUID, language: OfferLanguage, validDays: Int, terms: String?, expectedVersion: Int?, by actor: DealActor,
        client: PostgresClient, logger: Logger
    ) async throws -> Issued {
        // The PDF is printed outside the transaction (it takes a while); the deal is checked again inside it.
        guard let snapshot = try await DealStore.load(dealID, client: client, logger: logger) else { throw DealsError.notFound("no deal \(dealID)") }
        guard [.selection, .offer].contains(snapshot.stage) else {
            throw DealsError.conflict("offers are issued in selection or offer; the deal is in \(snapshot.stage.rawValue)")
        }
        guard !snapshot.lines.isEmpty, snapshot.unpricedLines.isEmpty, snapshot.total != nil else {
            throw DealsError.conflict("an offer needs at least one line and every line priced in \(snapshot.currency)")
        }
        let number = try await client.query("SELECT nextval('offer_numbers')", logger: logger).collect().first!.decode(Int.self)
        let year = Calendar(identifier: .gregorian).component(.year, from: actor.now)
        let offerNumber = "KP-\(year)-\(String(format: "%06d", number))"
        let version = try await client.query(
            "SELECT coalesce(max(version), 0) + 1 FROM offers WHERE deal_id = \(dealID)", logger: logger
        ).collect().first!.decode(Int.self)
        let validUntil = actor.now.addingTimeInterval(Double(validDays) * 86_400)
        let document = OfferDocument(
            number: offerNumber, version: version, language: language, issuedOn: actor.now, validUntil: validUntil, deal: snapshot, terms: terms)
        let html = document.html(template: template)
        let pdf = try await printer.pdf(fromHTML: html)
        let validText = String(Timestamp.format(validUntil).prefix(10))
        let offerID = UUID()
        return try await client.withTransaction(logger: logger) { connection in
            var events: [OutboxEvent] = []
            var deal = try await deals.lockForOffer(dealID, expectedVersion: expectedVersion, matching: snapshot, on: connection, logger: logger)
            try await connection.query(
                """
                INSERT INTO offers (id, deal_id, number, version, language, total, currency, valid_until, html, pdf, created_at)
                VALUES (\(offerID), \(dealID), \(offerNumber), \(version), \(language.rawValue), \(snapshot.total?.amount), \(snapshot.currency),
                    \(validText)::date, \(html), \(ByteBuffer(bytes: pdf)), \(actor.now))
                """, logger: logger)
            events.append(try DealsEvents.event(
                OfferIssued(dealId: dealID, offerId: offerID, number: offerNumber, version: version, language: language.rawValue,
                            total: snapshot.total, validUntil: validText, issuedAt: actor.now), deal: deal))
            if deal.stage == .selection {
                let (moved, stageEvents) = try await deals.advance(&deal, to: .offer, by: actor, on: connection, logger: logger)
                deal = moved
                events += stageEvents
            }
            try await Outbox.append(events, on: connection, logger: logger)
            return Issued(
                id: offerID, dealId: dealID, number: offerNumber, version: version, language: language.rawValue, total: snapshot.total,
                validUntil: validText, createdAt: actor.now, pdf: "/v1/deals/\(dealID.uuidString.lowercased())/offers/\(offerNumber)",
                html: "/v1/deals/\(dealID.uuidString.lowercased())/offers/\(offerNumber)?format=html")
        }
    }

    /// The stored PDF (or HTML) of an offer.
    static func document(dealID: UUID, number: String, html: Bool, client: PostgresClient, logger: Logger) async throws -> [UInt8]? {
        let rows = try await client.query(
            "SELECT html, pdf FROM offers WHERE deal_id = \(dealID) AND number = \(number)", logger: logger)
        for try await (text, pdf) in rows.decode((String, ByteBuffer).self) {
            return html ? Array(text.utf8) : Array(pdf.readableBytesView)
        }
        return nil
    }

    static func list(dealID: UUID, client: PostgresClient, logger: Logger) async throws -> [Issued] {
        let rows = try await client.query(
            """
            SELECT id, number, version, language, total, currency, valid_until::text, created_at FROM offers
            WHERE deal_id = \(dealID) ORDER BY version
            """, logger: logger)
        var items: [Issued] = []
        for try await (id, number, version, language, total, currency, valid, created) in rows.decode(
            (UUID, String, Int, String, Decimal?, String, String, Date).self)
        {
            let base = "/v1/deals/\(dealID.uuidString.lowercased())/offers/\(number)"
            items.append(Issued(
                id: id, dealId: dealID, number: number, version: version, language: language, total: total.map { Money($0, currency) },
                validUntil: valid, createdAt: created, pdf: base, html: base + "?format=html"))
        }
        return items
    }
}
