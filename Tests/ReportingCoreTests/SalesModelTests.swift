import Contracts
import Foundation
import Testing

@testable import ReportingCore

// MARK: - Fixture

// Ids (`id(kind, n)`): kind 2 = deal, 3 = order, 4 = publication, 5 = shop report, 6 = shipment, 7 = dealer.

private func eur(_ amount: Decimal) -> Money { Money(amount, "EUR") }
private func usd(_ amount: Decimal) -> Money { Money(amount, "USD") }

private func opened(_ deal: UUID, _ when: String, total: Money?) -> Fed {
    Fed(payload: DealOpened(
        dealId: deal, leadId: nil, counterpartyName: "ACME", managerId: id(9, 1), departmentCode: "sales", stage: "selection", total: total,
        openedAt: at(when)),
        occurredAt: at(when))
}

private func moved(_ deal: UUID, _ when: String, total: Money?) -> Fed {
    Fed(payload: DealStageChanged(dealId: deal, from: "selection", to: "offer", probability: 50, total: total, changedBy: nil, changedAt: at(when)),
        occurredAt: at(when))
}

private func placed(_ order: UUID, deal: UUID, _ when: String) -> Fed {
    Fed(payload: BuyerOrderPlaced(
        orderId: order, dealId: deal, lines: [OrderLine(lineId: id(8, 1), sku: "A", quantity: 1)], placedAt: at(when)),
        occurredAt: at(when))
}

private func cancelled(_ order: UUID, deal: UUID, _ when: String) -> Fed {
    Fed(payload: BuyerOrderCancelled(orderId: order, dealId: deal, cancelledAt: at(when)), occurredAt: at(when))
}

private func shipped(_ shipment: UUID, order: UUID, deal: UUID, complete: Bool, _ when: String) -> Fed {
    Fed(payload: Shipped(
        shipmentId: shipment, number: "SH-1", orderId: order, dealId: deal,
        lines: [ShippedLine(lineId: id(8, 1), sku: "A", warehouse: "W1", lot: nil, quantity: 1)], orderComplete: complete, shippedAt: at(when)),
        occurredAt: at(when))
}

/// `PaymentReceived` has no instant of its own: the envelope's is when it became known.
private func paid(_ deal: UUID, _ amount: Money, reference: String, on day: String, occurredAt: String) -> Fed {
    Fed(payload: PaymentReceived(dealId: deal, amount: amount, reference: reference, paidOn: day, paidTotal: amount), occurredAt: at(occurredAt))
}

private func shopReport(
    _ report: UUID, dealer: String, shop: String, day: String, version: Int, sales: Decimal, returns: Decimal, reportedAt: String,
    currency: String = "EUR"
) -> Fed {
    Fed(payload: DealerSalesReported(
        reportId: report, dealerId: id(7, dealer == "D1" ? 1 : 2), dealerCode: dealer, shopCode: shop, day: day, version: version, currency: currency,
        sales: sales, returns: returns, discounts: 0, net: sales - returns, receipts: 3, reportedAt: at(reportedAt)),
        occurredAt: at(reportedAt))
}

private func released(_ publication: UUID, _ when: String, kind: String = "plan", version: Int = 1, targets: [PlanTargetValue]? = nil) -> Fed {
    Fed(payload: PublicationReleased(
        publicationId: publication, series: "plan-2027", version: version, kind: kind, title: "Plan", recipients: 2, publishedAt: at(when),
        targets: targets),
        occurredAt: at(when))
}

private func target(_ dealer: String, _ period: String, _ value: Decimal, metric: String = "revenue") -> PlanTargetValue {
    PlanTargetValue(dealerCode: dealer, period: period, metric: metric, target: value)
}

private func delivered(_ publication: UUID, dealer: String, _ when: String) -> Fed {
    Fed(payload: PublicationDelivered(
        publicationId: publication, dealerId: id(7, dealer == "D1" ? 1 : 2), dealerCode: dealer, series: "plan-2027", version: 1,
        deliveredAt: at(when)),
        occurredAt: at(when))
}

private func acknowledged(_ publication: UUID, dealer: String, _ when: String, lag: Double, status: String = "applied") -> Fed {
    Fed(payload: PublicationAcknowledged(
        publicationId: publication, dealerId: id(7, dealer == "D1" ? 1 : 2), dealerCode: dealer, series: "plan-2027", version: 1, status: status,
        appliedVersion: status == "applied" ? 1 : nil, reason: status == "applied" ? nil : "wrong numbers", lagSeconds: lag, acknowledgedAt: at(when)),
        occurredAt: at(when))
}

private func model(_ events: [Fed]) -> SalesModel {
    model(events, SalesModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

private typealias Row = SalesPlanReport.CurrencyMonth
private typealias Dealer = SalesPlanReport.DealerPeriod
private typealias Acks = SalesPlanReport.DealerAcknowledgements

private let deal1 = id(2, 1)
private let deal2 = id(2, 2)
private let deal3 = id(2, 3)
private let deal4 = id(2, 4)
private let order1 = id(3, 1)
private let order2 = id(3, 2)
private let order3 = id(3, 3)
private let order4 = id(3, 4)
private let plan1 = id(4, 1)
private let plan2 = id(4, 2)
private let notice = id(4, 3)

/// Orders: 1 (deal 1, 1000 EUR when placed, 1200 EUR later) ships partly in January and
/// completely in February; 2 (deal 2, no total until after it was placed, then 500 USD) is
/// cancelled; 3 (deal 3, 300 EUR); 4 (deal 4, never a total).
/// Payments: deal 1 pays 600 EUR in January (delivered twice) and 400 EUR in February.
/// Shops: S1 and S2 are D1's, S3 is D2's; S1's 10 January and S3's 10 February are corrected.
/// Plans: plan 1 sets January and Q1 targets; plan 2 revises D1's Q1 target.
/// Publications: D1 acknowledges all three; D2 acknowledges plan 1 (rejected first) and not plan 2.
private let world: [Fed] = [
    opened(deal1, "2027-01-05T09:00:00Z", total: eur(1000)),
    placed(order1, deal: deal1, "2027-01-10T09:00:00Z"),
    moved(deal1, "2027-01-20T09:00:00Z", total: eur(1200)),
    shipped(id(6, 1), order: order1, deal: deal1, complete: false, "2027-01-25T09:00:00Z"),
    shipped(id(6, 2), order: order1, deal: deal1, complete: true, "2027-02-03T09:00:00Z"),
    paid(deal1, eur(600), reference: "INV-1", on: "2027-01-28", occurredAt: "2027-01-28T10:00:00Z"),
    paid(deal1, eur(600), reference: "INV-1", on: "2027-01-28", occurredAt: "2027-02-20T10:00:00Z"),
    paid(deal1, eur(400), reference: "INV-2", on: "2027-02-10", occurredAt: "2027-02-10T10:00:00Z"),

    opened(deal2, "2027-01-08T09:00:00Z", total: nil),
    placed(order2, deal: deal2, "2027-01-12T09:00:00Z"),
    moved(deal2, "2027-01-15T09:00:00Z", total: usd(500)),
    cancelled(order2, deal: deal2, "2027-02-01T09:00:00Z"),

    opened(deal3, "2027-02-01T09:00:00Z", total: eur(300)),
    placed(order3, deal: deal3, "2027-02-02T09:00:00Z"),

    opened(deal4, "2027-02-04T09:00:00Z", total: nil),
    placed(order4, deal: deal4, "2027-02-05T09:00:00Z"),

    shopReport(id(5, 1), dealer: "D1", shop: "S1", day: "2027-01-10", version: 1, sales: 100, returns: 10, reportedAt: "2027-01-11T08:00:00Z"),
    shopReport(id(5, 1), dealer: "D1", shop: "S1", day: "2027-01-10", version: 2, sales: 120, returns: 10, reportedAt: "2027-01-12T08:00:00Z"),
    shopReport(id(5, 2), dealer: "D1", shop: "S2", day: "2027-01-20", version: 1, sales: 200, returns: 0, reportedAt: "2027-01-21T08:00:00Z"),
    shopReport(id(5, 3), dealer: "D1", shop: "S1", day: "2027-02-05", version: 1, sales: 300, returns: 20, reportedAt: "2027-02-06T08:00:00Z"),
    shopReport(id(5, 4), dealer: "D1", shop: "S2", day: "2027-03-03", version: 1, sales: 150, returns: 0, reportedAt: "2027-03-04T08:00:00Z"),
    shopReport(id(5, 5), dealer: "D2", shop: "S3", day: "2027-01-15", version: 1, sales: 50, returns: 5, reportedAt: "2027-01-16T08:00:00Z"),
    shopReport(id(5, 6), dealer: "D2", shop: "S3", day: "2027-02-10", version: 2, sales: 85, returns: 5, reportedAt: "2027-02-12T08:00:00Z"),
    shopReport(id(5, 6), dealer: "D2", shop: "S3", day: "2027-02-10", version: 1, sales: 60, returns: 0, reportedAt: "2027-02-11T08:00:00Z"),

    released(plan1, "2027-01-02T00:00:00Z", targets: [
        target("D1", "2027-01", 400), target("D1", "2027-Q1", 1000), target("D2", "2027-01", 80), target("D2", "2027-03", 100),
        target("D1", "2027-01", 10, metric: "units"),
    ]),
    released(plan2, "2027-02-15T00:00:00Z", version: 2, targets: [target("D1", "2027-Q1", 800)]),
    released(notice, "2027-02-20T00:00:00Z", kind: "document"),

    delivered(plan1, dealer: "D1", "2027-01-02T01:00:00Z"),
    acknowledged(plan1, dealer: "D1", "2027-01-02T01:00:00Z", lag: 3600),
    delivered(plan2, dealer: "D1", "2027-02-15T00:05:00Z"),
    acknowledged(plan2, dealer: "D1", "2027-02-15T00:10:00Z", lag: 600),
    delivered(notice, dealer: "D1", "2027-02-20T01:00:00Z"),
    acknowledged(notice, dealer: "D1", "2027-02-20T02:00:00Z", lag: 7200.5),
    delivered(plan1, dealer: "D2", "2027-01-02T06:00:00Z"),
    acknowledged(plan1, dealer: "D2", "2027-01-02T12:00:00Z", lag: 43200, status: "rejected"),
    acknowledged(plan1, dealer: "D2", "2027-01-03T00:00:00Z", lag: 86400),
    delivered(plan2, dealer: "D2", "2027-02-16T00:00:00Z"),
]

private let end = at("2027-04-01T00:00:00Z")

private let probes: [SalesQuery] = [
    SalesQuery(),
    SalesQuery(asOf: end),
    SalesQuery(asOf: at("2027-01-11T12:00:00Z")),
    SalesQuery(asOf: at("2027-01-13T00:00:00Z")),
    SalesQuery(asOf: at("2027-02-01T00:00:00Z")),
    SalesQuery(asOf: at("2027-02-16T12:00:00Z")),
    SalesQuery(from: at("2027-02-01T00:00:00Z"), to: at("2027-03-01T00:00:00Z"), asOf: end),
    SalesQuery(asOf: end, currency: "USD"),
    SalesQuery(asOf: end, dealer: "D2"),
]

private let drillFigures = [
    "ordered", "ordered:EUR:2027-01", "cancelled", "shipped", "paid", "paid:EUR", "unpriced", "reports", "reports:D1:2027-Q1", "acknowledged",
    "pending",
]

/// The world under the probes, and drilled into the figures.
private let orderIndependence = OrderIndependence(
    events: world, build: model, probes: probes, report: { $0.report($1) }, figures: drillFigures, drillDown: { $0.drillDown($1, figure: $2) })

// MARK: - Tests

@Suite("Reporting: sales and plans model")
struct SalesModelTests {
    @Test("orders, cancellations, shipments and payments per currency and month")
    func money() {
        let report = model(world).report(SalesQuery(asOf: end))
        #expect(report.byCurrency == [
            // Order 1 at its deal's total when placed (1000, not the later 1200); the payment
            // delivered twice counts once.
            Row(currency: "EUR", month: "2027-01", ordered: 1000, paid: 600),
            // Order 1 shipped complete in February (the January shipment was partial).
            Row(currency: "EUR", month: "2027-02", ordered: 300, shipped: 1000, paid: 400),
            // Order 2's deal had no total when it was placed: the latest known one counts.
            Row(currency: "USD", month: "2027-01", ordered: 500),
            Row(currency: "USD", month: "2027-02", cancelled: 500),
        ])
        #expect(report.unpricedOrders == 1)
    }

    @Test("shop reports per dealer and month, their latest versions, against monthly targets")
    func dealerMonths() {
        let report = model(world).report(SalesQuery(asOf: end))
        #expect(report.dealerMonths == [
            // S1's corrected 10 January (120 − 10) and S2's 20 January; 310 of 400 = 77.5 %.
            Dealer(dealer: "D1", currency: "EUR", period: "2027-01", months: ["2027-01"], sales: 320, returns: 10, net: 310, target: 400,
                   achievedPercent: Decimal(string: "77.5")),
            Dealer(dealer: "D1", currency: "EUR", period: "2027-02", months: ["2027-02"], sales: 300, returns: 20, net: 280),
            Dealer(dealer: "D1", currency: "EUR", period: "2027-03", months: ["2027-03"], sales: 150, returns: 0, net: 150),
            // 45 of 80 = 56.25 %: half-up to 56.3.
            Dealer(dealer: "D2", currency: "EUR", period: "2027-01", months: ["2027-01"], sales: 50, returns: 5, net: 45, target: 80,
                   achievedPercent: Decimal(string: "56.3")),
            // Version 2 of S3's 10 February, though version 1 arrived after it.
            Dealer(dealer: "D2", currency: "EUR", period: "2027-02", months: ["2027-02"], sales: 85, returns: 5, net: 80),
            // A target without reports: nothing achieved yet, in the dealer's currency.
            Dealer(dealer: "D2", currency: "EUR", period: "2027-03", months: [], target: 100, achievedPercent: 0),
        ])
    }

    @Test("quarterly targets are compared with the sum of the quarter's months; the latest plan wins")
    func quarters() {
        let sales = model(world)
        let report = sales.report(SalesQuery(asOf: end))
        #expect(report.dealerQuarters == [
            // 740 of the revised 800 = 92.5 %.
            Dealer(dealer: "D1", currency: "EUR", period: "2027-Q1", months: ["2027-01", "2027-02", "2027-03"], sales: 770, returns: 30, net: 740,
                   target: 800, achievedPercent: Decimal(string: "92.5")),
            Dealer(dealer: "D2", currency: "EUR", period: "2027-Q1", months: ["2027-01", "2027-02"], sales: 135, returns: 10, net: 125),
        ])
        // Before plan 2 the target was 1000, and only January was reported.
        let early = sales.report(SalesQuery(asOf: at("2027-02-01T00:00:00Z"), dealer: "D1"))
        #expect(early.dealerQuarters == [
            Dealer(dealer: "D1", currency: "EUR", period: "2027-Q1", months: ["2027-01"], sales: 320, returns: 10, net: 310, target: 1000,
                   achievedPercent: 31),
        ])
        // A period of February: the quarter's February only, against the whole quarter's target.
        let february = sales.report(SalesQuery(from: at("2027-02-01T00:00:00Z"), to: at("2027-03-01T00:00:00Z"), asOf: end, dealer: "D1"))
        #expect(february.dealerQuarters == [
            Dealer(dealer: "D1", currency: "EUR", period: "2027-Q1", months: ["2027-02"], sales: 300, returns: 20, net: 280, target: 800, achievedPercent: 35),
        ])
        // A quarter target with no report in the period still shows.
        let april = sales.report(SalesQuery(from: at("2027-03-15T00:00:00Z"), to: at("2027-03-16T00:00:00Z"), asOf: end, dealer: "D1"))
        #expect(april.dealerMonths == [])
        #expect(april.dealerQuarters == [
            Dealer(dealer: "D1", currency: "EUR", period: "2027-Q1", months: [], target: 800, achievedPercent: 0),
        ])
    }

    @Test("acknowledgement lag per dealer: median and maximum of first receipts; pending until answered")
    func acknowledgements() {
        let sales = model(world)
        #expect(sales.report(SalesQuery(asOf: end)).acknowledgements == [
            // 600, 3600, 7200(.5): median 3600.
            Acks(dealer: "D1", acknowledged: 3, pending: 0, lagP50Seconds: 3600, lagMaxSeconds: 7200),
            // Plan 1's first receipt (the rejection, 12 h) counts, not the later application.
            Acks(dealer: "D2", acknowledged: 1, pending: 1, lagP50Seconds: 43200, lagMaxSeconds: 43200),
        ])
        #expect(sales.report(SalesQuery(asOf: at("2027-02-15T00:07:00Z"))).acknowledgements == [
            Acks(dealer: "D1", acknowledged: 1, pending: 1, lagP50Seconds: 3600, lagMaxSeconds: 3600),
            Acks(dealer: "D2", acknowledged: 1, pending: 0, lagP50Seconds: 43200, lagMaxSeconds: 43200),
        ])
        #expect(sales.report(SalesQuery(asOf: at("2027-01-02T08:00:00Z"))).acknowledgements == [
            Acks(dealer: "D1", acknowledged: 1, pending: 0, lagP50Seconds: 3600, lagMaxSeconds: 3600),
            Acks(dealer: "D2", acknowledged: 0, pending: 1, lagP50Seconds: nil, lagMaxSeconds: nil),
        ])
        #expect(sales.drillDown(SalesQuery(asOf: end), figure: "pending") == ["D2/\(plan2.uuidString)"])
        #expect(sales.drillDown(SalesQuery(asOf: end), figure: "acknowledged:D2") == ["D2/\(plan1.uuidString)"])
    }

    @Test("the same events in reverse and shuffled order give an equal model and report", arguments: [1, 2, 3, 42, 2027] as [UInt64])
    func orderIndependent(seed: UInt64) { orderIndependence.expectOrderIndependent(seed: seed) }

    @Test("every event applied twice (or three times, interleaved) gives the same", arguments: [7, 99] as [UInt64])
    func idempotent(seed: UInt64) { orderIndependence.expectIdempotent(seed: seed) }

    @Test("as of past instants: replaced report versions, unpriced orders, payments not yet known")
    func asOf() {
        let sales = model(world)
        // Before S1's correction: version 1 (100 − 10).
        let firstVersion = sales.report(SalesQuery(asOf: at("2027-01-11T12:00:00Z"), dealer: "D1"))
        #expect(firstVersion.dealerMonths == [
            Dealer(dealer: "D1", currency: "EUR", period: "2027-01", months: ["2027-01"], sales: 100, returns: 10, net: 90, target: 400,
                   achievedPercent: Decimal(string: "22.5")),
        ])
        #expect(sales.drillDown(SalesQuery(asOf: at("2027-01-11T12:00:00Z")), figure: "reports") == ["S1/2027-01-10/v1"])
        #expect(sales.drillDown(SalesQuery(asOf: end), figure: "reports:D1:2027-01") == ["S1/2027-01-10/v2", "S2/2027-01-20/v1"])

        // Order 2 placed, its deal's total not yet stated: unpriced, in no amount.
        let unpriced = sales.report(SalesQuery(asOf: at("2027-01-13T00:00:00Z")))
        #expect(unpriced.unpricedOrders == 1)
        #expect(unpriced.byCurrency == [Row(currency: "EUR", month: "2027-01", ordered: 1000)])
        #expect(sales.drillDown(SalesQuery(asOf: at("2027-01-13T00:00:00Z")), figure: "unpriced") == [order2.uuidString])
        #expect(sales.drillDown(SalesQuery(asOf: end), figure: "unpriced") == [order4.uuidString])

        // S3's 10 February: version 1 only while version 2 is unreported.
        let d2 = sales.report(SalesQuery(asOf: at("2027-02-11T12:00:00Z"), dealer: "D2"))
        #expect(d2.dealerMonths.first { $0.period == "2027-02" }?.net == 60)

        // Nothing yet shipped complete in early February; the January payment is known.
        let early = sales.report(SalesQuery(asOf: at("2027-02-01T00:00:00Z"), currency: "EUR"))
        #expect(early.byCurrency == [Row(currency: "EUR", month: "2027-01", ordered: 1000, paid: 600)])
    }

    @Test("filters: period [from, to) on each figure's own instant, currency, dealer")
    func filters() {
        let sales = model(world)
        let february = sales.report(SalesQuery(from: at("2027-02-01T00:00:00Z"), to: at("2027-03-01T00:00:00Z"), asOf: end))
        #expect(february.byCurrency == [
            Row(currency: "EUR", month: "2027-02", ordered: 300, shipped: 1000, paid: 400),
            Row(currency: "USD", month: "2027-02", cancelled: 500),
        ])
        #expect(february.unpricedOrders == 1)
        #expect(february.dealerMonths.map(\.period) == ["2027-02", "2027-02"])
        // Plan 2 and the notice were delivered in February; plan 1 in January.
        #expect(february.acknowledgements == [
            Acks(dealer: "D1", acknowledged: 2, pending: 0, lagP50Seconds: 600, lagMaxSeconds: 7200),
            Acks(dealer: "D2", acknowledged: 0, pending: 1, lagP50Seconds: nil, lagMaxSeconds: nil),
        ])

        let dollars = sales.report(SalesQuery(asOf: end, currency: "USD"))
        #expect(dollars.byCurrency.map(\.currency) == ["USD", "USD"])
        #expect(dollars.dealerMonths == [])
        #expect(dollars.dealerQuarters == [])
        #expect(sales.drillDown(SalesQuery(asOf: end, currency: "USD"), figure: "ordered") == [order2.uuidString])

        let d2 = sales.report(SalesQuery(asOf: end, dealer: "D2"))
        #expect(d2.dealerMonths.allSatisfy { $0.dealer == "D2" })
        #expect(d2.dealerMonths.count == 3)
        #expect(d2.acknowledgements.map(\.dealer) == ["D2"])
        // Orders and payments are nobody's dealer's: the dealer filter leaves them.
        #expect(d2.byCurrency == sales.report(SalesQuery(asOf: end)).byCurrency)
    }

    @Test("drill-down names the entities behind the figures")
    func drillDown() {
        let sales = model(world)
        let query = SalesQuery(asOf: end)
        #expect(sales.drillDown(query, figure: "ordered:EUR:2027-01") == [order1.uuidString])
        #expect(sales.drillDown(query, figure: "ordered:EUR") == [order1, order3].map(\.uuidString).sorted())
        #expect(sales.drillDown(query, figure: "shipped") == [order1.uuidString])
        #expect(sales.drillDown(query, figure: "cancelled:USD:2027-02") == [order2.uuidString])
        #expect(sales.drillDown(query, figure: "paid:EUR:2027-01") == ["\(deal1.uuidString)/INV-1"])
        #expect(sales.drillDown(query, figure: "paid") == ["\(deal1.uuidString)/INV-1", "\(deal1.uuidString)/INV-2"])
        #expect(sales.drillDown(query, figure: "reports:D2") == ["S3/2027-01-15/v1", "S3/2027-02-10/v2"])
        #expect(sales.drillDown(query, figure: "nonsense") == [])
    }

    @Test("targets: other metrics and malformed periods are ignored; a zero target has no achievement")
    func targetEdges() {
        let events = [
            shopReport(id(5, 9), dealer: "D9", shop: "S9", day: "2027-05-02", version: 1, sales: 10, returns: 0, reportedAt: "2027-05-03T00:00:00Z"),
            released(plan1, "2027-04-01T00:00:00Z", targets: [
                target("D9", "2027-05", 0), target("D9", "2027-06", 5, metric: "units"), target("D9", "May 2027", 5), target("D9", "2027-Q5", 5),
            ]),
        ]
        let report = model(events).report(SalesQuery())
        #expect(report.dealerMonths == [
            Dealer(dealer: "D9", currency: "EUR", period: "2027-05", months: ["2027-05"], sales: 10, returns: 0, net: 10, target: 0, achievedPercent: nil),
        ])
        #expect(report.dealerQuarters == [
            Dealer(dealer: "D9", currency: "EUR", period: "2027-Q2", months: ["2027-05"], sales: 10, returns: 0, net: 10),
        ])
    }

    @Test("two statements of one report version at one instant settle the same either way")
    func sameVersionClash() {
        let a = shopReport(id(5, 1), dealer: "D1", shop: "S1", day: "2027-01-10", version: 1, sales: 100, returns: 0, reportedAt: "2027-01-11T00:00:00Z")
        let b = shopReport(id(5, 1), dealer: "D1", shop: "S1", day: "2027-01-10", version: 1, sales: 90, returns: 0, reportedAt: "2027-01-11T00:00:00Z")
        #expect(model([a, b]) == model([b, a]))
        let c = shopReport(id(5, 1), dealer: "D1", shop: "S1", day: "2027-01-10", version: 1, sales: 70, returns: 0, reportedAt: "2027-01-11T01:00:00Z")
        #expect(model([c, a]).report(SalesQuery()).dealerMonths.first?.net == 70)
        #expect(model([a, c]).report(SalesQuery()).dealerMonths.first?.net == 70)
    }

    @Test("other payloads are ignored; an empty model reports nothing")
    func empty() {
        var sales = SalesModel()
        sales.apply(DealLost(dealId: deal1, reason: "price", comment: nil, lostAt: end), occurredAt: end)
        #expect(sales == SalesModel())
        #expect(sales.report(SalesQuery()) == SalesPlanReport())
    }

    @Test("the report survives a JSON round trip")
    func codable() throws {
        let report = model(world).report(SalesQuery(asOf: end))
        let decoded = try JSONDecoder().decode(SalesPlanReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }

    @Test("PublicationReleased carries plan targets; one without them still decodes")
    func contract() throws {
        let release = PublicationReleased(
            publicationId: plan1, series: "plan-2027", version: 1, kind: "plan", title: "Plan", recipients: 2, publishedAt: end,
            targets: [target("D1", "2027-Q1", Decimal(string: "1000.50")!)])
        let envelope = try EventEnvelope(occurredAt: end, source: "dealer-info", key: plan1.uuidString, correlationId: plan1, payload: release)
        let decoded = try EventEnvelope.decode(envelope.encoded()).get().payload(as: PublicationReleased.self)
        #expect(decoded == release)

        let old = PublicationReleased(publicationId: plan1, series: "s", version: 1, kind: "document", title: "T", recipients: 1, publishedAt: end)
        let oldEnvelope = try EventEnvelope(occurredAt: end, source: "dealer-info", key: plan1.uuidString, correlationId: plan1, payload: old)
        #expect(!String(decoding: try oldEnvelope.encoded(), as: UTF8.self).contains("targets"))
        #expect(try EventEnvelope.decode(oldEnvelope.encoded()).get().payload(as: PublicationReleased.self).targets == nil)
    }

    @Test("UTC periods: months, quarters and their arithmetic")
    func periods() {
        #expect(UTCPeriods.month(of: at("2027-01-31T23:59:59Z")) == "2027-01")
        #expect(UTCPeriods.month(of: at("2027-02-01T00:30:00+01:00")) == "2027-01")
        #expect(UTCPeriods.quarter(ofMonth: "2027-12") == "2027-Q4")
        #expect(UTCPeriods.months(ofQuarter: "2027-Q2") == ["2027-04", "2027-05", "2027-06"])
        #expect(UTCPeriods.months(ofQuarter: "2027-Q0") == nil)
        #expect(UTCPeriods.month(after: "2027-12") == "2028-01")
        #expect(UTCPeriods.start(ofDay: "2027-02-30") == nil)
        #expect(roundedPercent(1, of: 8) == Decimal(string: "12.5"))
        #expect(roundedPercent(1, of: 3) == Decimal(string: "33.3"))
        #expect(roundedPercent(2, of: 3) == Decimal(string: "66.7"))
        #expect(roundedPercent(1, of: 0) == nil)
    }
}
