import Contracts
import Foundation
import Testing

@testable import ReportingCore

// MARK: - Fixture

// Ids (`id(kind, n)`): kind 3 = order, 2 = deal, 5 = shop report, 6 = shipment, 7 = dealer, 8 = order line.

private func level(_ sku: String, _ warehouse: String, onHand: Decimal, reserved: Decimal, _ when: String) -> Fed {
    Fed(payload: StockLevelChanged(sku: sku, warehouse: warehouse, onHand: onHand, reserved: reserved, available: onHand - reserved, changedAt: at(when)),
        occurredAt: at(when))
}

private func expiring(_ sku: String, lot: String, on day: String, onHand: Decimal, detected when: String) -> Fed {
    Fed(payload: LotExpiringSoon(sku: sku, lot: lot, expiresOn: day, onHand: onHand, detectedAt: at(when)), occurredAt: at(when))
}

private func flagged(
    _ report: UUID, dealer: String, shop: String, day: String, kind: String, receipt: String?, sku: String?, _ when: String
) -> Fed {
    Fed(payload: DealerAnomalyFlagged(
        reportId: report, dealerId: id(7, 1), dealerCode: dealer, shopCode: shop, day: day, kind: kind, receipt: receipt, sku: sku,
        detail: "look at it", flaggedAt: at(when)),
        occurredAt: at(when))
}

private func shipped(_ shipment: UUID, _ lines: [(sku: String, warehouse: String, quantity: Decimal)], _ when: String) -> Fed {
    Fed(payload: Shipped(
        shipmentId: shipment, number: "SH", orderId: id(3, 1), dealId: id(2, 1),
        lines: lines.enumerated().map { ShippedLine(lineId: id(8, $0.offset + 1), sku: $0.element.sku, warehouse: $0.element.warehouse, lot: nil,
                                                    quantity: $0.element.quantity) },
        orderComplete: false, shippedAt: at(when)),
        occurredAt: at(when))
}

private func shopReport(
    _ report: UUID, dealer: String, shop: String, day: String, version: Int = 1, net: Decimal, reportedAt: String, currency: String = "EUR"
) -> Fed {
    Fed(payload: DealerSalesReported(
        reportId: report, dealerId: id(7, 1), dealerCode: dealer, shopCode: shop, day: day, version: version, currency: currency, sales: net,
        returns: 0, discounts: 0, net: net, receipts: 1, reportedAt: at(reportedAt)),
        occurredAt: at(reportedAt))
}

private func model(_ events: [Fed]) -> StockNetworkModel {
    model(events, StockNetworkModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

private func item(_ key: String, _ value: Decimal, _ cumulative: String?, _ abcClass: ABCClass) -> ABCItem {
    ABCItem(key: key, value: value, cumulativePercent: cumulative.map { Decimal(string: $0)! }, abcClass: abcClass)
}

private func classes(_ items: [ABCItem]) -> [String] { items.map { "\($0.key)=\($0.abcClass.rawValue)" } }

private typealias Product = StockNetworkReport.ProductStock
private typealias Warehouse = StockNetworkReport.WarehouseStock
private typealias Lot = StockNetworkReport.ExpiringLot
private typealias Anomalies = StockNetworkReport.AnomalyCount

private let sh1 = id(6, 1)
private let sh2 = id(6, 2)
private let sh3 = id(6, 3)
private let r1 = id(5, 1)
private let r2 = id(5, 2)
private let r3 = id(5, 3)

/// Stock: A in W1 (changed twice) and W2, B and C in W1. Lots: A/L1 in 10 days, A/L2 in 81, B/L3
/// expired two days ago, B/L4 sold out. Shipped: A 80, B 15, D 5 (of 100: A reaches exactly 80 %,
/// B exactly 95 %); C nothing. Shops (EUR): S1 500 (its day corrected from 100), S2 300, S3 200,
/// S4 0; S5 50 USD. Anomalies: two prices and an unknown SKU in S1's report (one price flagged
/// again), a refund spike in S3's.
private let world: [Fed] = [
    level("A", "W1", onHand: 100, reserved: 10, "2027-03-01T09:00:00Z"),
    level("A", "W1", onHand: 80, reserved: 20, "2027-03-05T09:00:00Z"),
    level("A", "W2", onHand: 50, reserved: 0, "2027-03-02T09:00:00Z"),
    level("B", "W1", onHand: 10, reserved: 0, "2027-03-03T09:00:00Z"),
    level("C", "W1", onHand: 0, reserved: 0, "2027-03-04T09:00:00Z"),

    expiring("A", lot: "L1", on: "2027-03-20", onHand: 5, detected: "2027-03-01T06:00:00Z"),
    expiring("A", lot: "L2", on: "2027-05-30", onHand: 10, detected: "2027-03-01T06:00:00Z"),
    expiring("B", lot: "L3", on: "2027-03-08", onHand: 3, detected: "2027-03-01T06:00:00Z"),
    expiring("B", lot: "L4", on: "2027-03-25", onHand: 4, detected: "2027-03-02T06:00:00Z"),
    expiring("B", lot: "L4", on: "2027-03-25", onHand: 0, detected: "2027-03-06T06:00:00Z"),

    shipped(sh1, [("A", "W1", 50), ("B", "W1", 5)], "2027-03-03T10:00:00Z"),
    shipped(sh2, [("A", "W2", 30)], "2027-03-06T10:00:00Z"),
    shipped(sh3, [("B", "W1", 10), ("D", "W1", 5)], "2027-03-08T10:00:00Z"),

    shopReport(r1, dealer: "D1", shop: "S1", day: "2027-03-02", version: 1, net: 100, reportedAt: "2027-03-03T08:00:00Z"),
    shopReport(r1, dealer: "D1", shop: "S1", day: "2027-03-02", version: 2, net: 500, reportedAt: "2027-03-04T08:00:00Z"),
    shopReport(id(5, 4), dealer: "D1", shop: "S2", day: "2027-03-03", net: 300, reportedAt: "2027-03-04T09:00:00Z"),
    shopReport(r3, dealer: "D2", shop: "S3", day: "2027-03-04", net: 200, reportedAt: "2027-03-05T08:00:00Z"),
    shopReport(id(5, 5), dealer: "D2", shop: "S4", day: "2027-03-05", net: 0, reportedAt: "2027-03-06T08:00:00Z"),
    shopReport(id(5, 6), dealer: "D2", shop: "S5", day: "2027-03-05", net: 50, reportedAt: "2027-03-06T08:00:00Z", currency: "USD"),

    flagged(r1, dealer: "D1", shop: "S1", day: "2027-03-02", kind: "price_below_list", receipt: "r1", sku: "A", "2027-03-03T08:00:00Z"),
    flagged(r1, dealer: "D1", shop: "S1", day: "2027-03-02", kind: "price_below_list", receipt: "r2", sku: "A", "2027-03-03T08:00:00Z"),
    flagged(r1, dealer: "D1", shop: "S1", day: "2027-03-02", kind: "unknown_sku", receipt: "r3", sku: "Z", "2027-03-03T08:00:00Z"),
    // The corrected version flags the same price again: one anomaly.
    flagged(r1, dealer: "D1", shop: "S1", day: "2027-03-02", kind: "price_below_list", receipt: "r1", sku: "A", "2027-03-04T08:00:00Z"),
    flagged(r3, dealer: "D2", shop: "S3", day: "2027-03-04", kind: "refund_spike", receipt: nil, sku: nil, "2027-03-05T08:00:00Z"),
    flagged(r2, dealer: "D1", shop: "S2", day: "2027-02-27", kind: "refund_spike", receipt: nil, sku: nil, "2027-02-28T08:00:00Z"),
]

private let end = at("2027-03-10T09:00:00Z")

private let probes: [StockNetworkQuery] = [
    StockNetworkQuery(),
    StockNetworkQuery(asOf: end),
    StockNetworkQuery(asOf: at("2027-03-02T12:00:00Z")),
    StockNetworkQuery(asOf: at("2027-03-03T12:00:00Z")),
    StockNetworkQuery(asOf: at("2027-03-05T12:00:00Z")),
    StockNetworkQuery(asOf: end, expiringWithinDays: 90),
    StockNetworkQuery(from: at("2027-03-04T00:00:00Z"), to: at("2027-03-07T00:00:00Z"), asOf: end),
    StockNetworkQuery(asOf: end, warehouse: "W2"),
    StockNetworkQuery(asOf: end, dealer: "D2"),
]

private let drillFigures = ["anomalies", "anomalies:S1", "anomalies:S1:price_below_list", "shipped:A", "shipped:B", "shop:S1", "expiring"]

/// The world under the probes, and drilled into the figures.
private let orderIndependence = OrderIndependence(
    events: world, build: model, probes: probes, report: { $0.report($1) }, figures: drillFigures, drillDown: { $0.drillDown($1, figure: $2) })

// MARK: - Tests

@Suite("Reporting: stock and network model")
struct StockNetworkModelTests {
    // MARK: ABC

    @Test("ABC: the item reaching exactly 80 % is A, the one reaching exactly 95 % is B")
    func abcExactBoundaries() {
        #expect(ABCAnalysis.classify(["a": 50, "b": 30, "c": 15, "d": 5]) == [
            item("a", 50, "50", .a), item("b", 30, "80", .a), item("c", 15, "95", .b), item("d", 5, "100", .c),
        ])
        #expect(classes(ABCAnalysis.classify(["a": 80, "b": 15, "c": 5])) == ["a=A", "b=B", "c=C"])
    }

    @Test("ABC: the item that crosses 80 % is A, the one that crosses 95 % is B")
    func abcCrossing() {
        #expect(classes(ABCAnalysis.classify(["a": 70, "b": 20, "c": 10])) == ["a=A", "b=A", "c=B"])
        #expect(classes(ABCAnalysis.classify(["a": 79, "b": 16, "c": 5])) == ["a=A", "b=A", "c=C"])
        #expect(classes(ABCAnalysis.classify(["a": 60, "b": 30, "c": 6, "d": 4])) == ["a=A", "b=A", "c=B", "d=C"])
        // One huge item: everything after it is B, then C.
        #expect(classes(ABCAnalysis.classify(["a": 90, "b": 6, "c": 4])) == ["a=A", "b=B", "c=C"])
    }

    @Test("ABC: one item, all zero, nothing, zero and negative values")
    func abcEdges() {
        #expect(ABCAnalysis.classify(["only": 3]) == [item("only", 3, "100", .a)])
        #expect(ABCAnalysis.classify(["only": 0]) == [item("only", 0, nil, .c)])
        #expect(ABCAnalysis.classify(["a": 0, "b": 0]) == [item("a", 0, nil, .c), item("b", 0, nil, .c)])
        #expect(ABCAnalysis.classify([:]) == [])
        // Zero and negative values are C and count nothing towards the total.
        #expect(ABCAnalysis.classify(["a": 10, "z": 0, "n": -5]) == [item("a", 10, "100", .a), item("z", 0, nil, .c), item("n", -5, nil, .c)])
    }

    @Test("ABC: ties are broken by key, whatever the input order")
    func abcTies() {
        let values: [String: Decimal] = ["e": 10, "d": 10, "c": 10, "b": 10, "a": 10]
        #expect(classes(ABCAnalysis.classify(values)) == ["a=A", "b=A", "c=A", "d=A", "e=B"])
        let cumulative = ABCAnalysis.classify(values).map(\.cumulativePercent)
        #expect(cumulative == ["20", "40", "60", "80", "100"].map { Decimal(string: $0) })
        #expect(classes(ABCAnalysis.classify(["x": 1, "y": 2, "w": 2])) == ["w=A", "y=A", "x=B"])
    }

    @Test("ABC: decimal values, shares rounded half-up only for display")
    func abcDecimals() {
        let items = ABCAnalysis.classify(["a": Decimal(string: "0.8")!, "b": Decimal(string: "0.15")!, "c": Decimal(string: "0.05")!])
        #expect(classes(items) == ["a=A", "b=B", "c=C"])
        #expect(items.map(\.cumulativePercent) == ["80", "95", "100"].map { Decimal(string: $0) })
        // 1 of 3 is 33.3 %, the next item is still A (33.3 < 80), so is the one reaching 66.7 %.
        #expect(ABCAnalysis.classify(["a": 1, "b": 1, "c": 1]).map(\.cumulativePercent) == ["33.3", "66.7", "100"].map { Decimal(string: $0) })
    }

    // MARK: Model

    @Test("stock per product, summed over warehouses and per warehouse")
    func stock() {
        let report = model(world).report(StockNetworkQuery(asOf: end))
        #expect(report.stock == [
            Product(sku: "A", onHand: 130, reserved: 20, available: 110, warehouses: [
                Warehouse(warehouse: "W1", onHand: 80, reserved: 20, available: 60),
                Warehouse(warehouse: "W2", onHand: 50, reserved: 0, available: 50),
            ]),
            Product(sku: "B", onHand: 10, reserved: 0, available: 10, warehouses: [Warehouse(warehouse: "W1", onHand: 10, reserved: 0, available: 10)]),
            Product(sku: "C", onHand: 0, reserved: 0, available: 0, warehouses: [Warehouse(warehouse: "W1", onHand: 0, reserved: 0, available: 0)]),
        ])
        // As of the 2nd at noon: A's first level in W1 and its level in W2; nothing else yet.
        #expect(model(world).report(StockNetworkQuery(asOf: at("2027-03-02T12:00:00Z"))).stock == [
            Product(sku: "A", onHand: 150, reserved: 10, available: 140, warehouses: [
                Warehouse(warehouse: "W1", onHand: 100, reserved: 10, available: 90),
                Warehouse(warehouse: "W2", onHand: 50, reserved: 0, available: 50),
            ]),
        ])
        #expect(model(world).report(StockNetworkQuery(asOf: end, warehouse: "W2")).stock.map(\.sku) == ["A"])
    }

    @Test("lots with stock expiring within N days of the query's day, soonest first (expired ones included)")
    func lots() {
        let stock = model(world)
        #expect(stock.report(StockNetworkQuery(asOf: end)).expiringLots == [
            Lot(sku: "B", lot: "L3", expiresOn: "2027-03-08", daysLeft: -2, onHand: 3),
            Lot(sku: "A", lot: "L1", expiresOn: "2027-03-20", daysLeft: 10, onHand: 5),
        ])
        #expect(stock.report(StockNetworkQuery(asOf: end, expiringWithinDays: 90)).expiringLots.map(\.lot) == ["L3", "L1", "L2"])
        #expect(stock.report(StockNetworkQuery(asOf: end, expiringWithinDays: 9)).expiringLots.map(\.lot) == ["L3"])
        // Exactly N days ahead is within: 81 days to A/L2.
        #expect(stock.report(StockNetworkQuery(asOf: end, expiringWithinDays: 81)).expiringLots.map(\.lot) == ["L3", "L1", "L2"])
        #expect(stock.report(StockNetworkQuery(asOf: end, expiringWithinDays: 80)).expiringLots.map(\.lot) == ["L3", "L1"])
        // B/L4 had stock until the 6th.
        #expect(stock.report(StockNetworkQuery(asOf: at("2027-03-03T00:00:00Z"))).expiringLots == [
            Lot(sku: "B", lot: "L3", expiresOn: "2027-03-08", daysLeft: 5, onHand: 3),
            Lot(sku: "A", lot: "L1", expiresOn: "2027-03-20", daysLeft: 17, onHand: 5),
            Lot(sku: "B", lot: "L4", expiresOn: "2027-03-25", daysLeft: 22, onHand: 4),
        ])
        #expect(stock.drillDown(StockNetworkQuery(asOf: end), figure: "expiring") == ["A/L1", "B/L3"])
    }

    @Test("anomalies per dealer, shop and kind, each once")
    func anomalies() {
        let stock = model(world)
        #expect(stock.report(StockNetworkQuery(asOf: end)).anomalies == [
            Anomalies(dealer: "D1", shop: "S1", kind: "price_below_list", count: 2),
            Anomalies(dealer: "D1", shop: "S1", kind: "unknown_sku", count: 1),
            Anomalies(dealer: "D1", shop: "S2", kind: "refund_spike", count: 1),
            Anomalies(dealer: "D2", shop: "S3", kind: "refund_spike", count: 1),
        ])
        #expect(stock.report(StockNetworkQuery(from: at("2027-03-01T00:00:00Z"), asOf: end, dealer: "D1")).anomalies == [
            Anomalies(dealer: "D1", shop: "S1", kind: "price_below_list", count: 2),
            Anomalies(dealer: "D1", shop: "S1", kind: "unknown_sku", count: 1),
        ])
        #expect(stock.report(StockNetworkQuery(asOf: at("2027-03-04T00:00:00Z"))).anomalies.map(\.count) == [2, 1, 1])
        #expect(stock.drillDown(StockNetworkQuery(asOf: end), figure: "anomalies:S1:price_below_list") == [
            "\(r1.uuidString)/price_below_list/r1/A", "\(r1.uuidString)/price_below_list/r2/A",
        ])
        #expect(stock.drillDown(StockNetworkQuery(asOf: end), figure: "anomalies:S3") == ["\(r3.uuidString)/refund_spike//"])
    }

    @Test("ABC classes of products by quantity shipped and of shops by net sales, per currency")
    func turnover() {
        let stock = model(world)
        let report = stock.report(StockNetworkQuery(asOf: end))
        #expect(report.productClasses == [
            item("A", 80, "80", .a), item("B", 15, "95", .b), item("D", 5, "100", .c), item("C", 0, nil, .c),
        ])
        #expect(report.shopClasses == [
            // S1's corrected 500 replaces its 100.
            "EUR": [item("S1", 500, "50", .a), item("S2", 300, "80", .a), item("S3", 200, "100", .b), item("S4", 0, nil, .c)],
            "USD": [item("S5", 50, "100", .a)],
        ])
        #expect(stock.drillDown(StockNetworkQuery(asOf: end), figure: "shipped:A") == [sh1, sh2].map(\.uuidString).sorted())
        #expect(stock.drillDown(StockNetworkQuery(asOf: end), figure: "shop:S1") == ["2027-03-02"])

        // The period: shipments from the 4th to the 6th only (A 30 in W2); shops of days in it
        // (S3, S4, S5), the others at zero.
        let period = stock.report(StockNetworkQuery(from: at("2027-03-04T00:00:00Z"), to: at("2027-03-07T00:00:00Z"), asOf: end))
        #expect(classes(period.productClasses) == ["A=A", "B=C", "C=C", "D=C"])
        #expect(period.shopClasses["EUR"].map(classes) == ["S3=A", "S1=C", "S2=C", "S4=C"])

        // As of the 3rd at noon: S1's first version (100) and sh1 only.
        let early = stock.report(StockNetworkQuery(asOf: at("2027-03-03T12:00:00Z")))
        #expect(early.shopClasses == ["EUR": [item("S1", 100, "100", .a)]])
        #expect(early.productClasses == [item("A", 50, "90.9", .a), item("B", 5, "100", .b)])

        // Filters: one warehouse's shipments; one dealer's shops.
        #expect(classes(stock.report(StockNetworkQuery(asOf: end, warehouse: "W2")).productClasses) == ["A=A"])
        #expect(stock.report(StockNetworkQuery(asOf: end, dealer: "D2")).shopClasses.mapValues(classes) == [
            "EUR": ["S3=A", "S4=C"], "USD": ["S5=A"],
        ])
    }

    @Test("the same events in reverse and shuffled order give an equal model and report", arguments: [1, 2, 3, 42, 2027] as [UInt64])
    func orderIndependent(seed: UInt64) { orderIndependence.expectOrderIndependent(seed: seed) }

    @Test("every event applied twice (or three times, interleaved) gives the same", arguments: [7, 99] as [UInt64])
    func idempotent(seed: UInt64) { orderIndependence.expectIdempotent(seed: seed) }

    @Test("without asOf the report is read as of the latest instant seen")
    func defaultAsOf() {
        let stock = model(world)
        // The latest instant of any event: sh3 shipped on the 8th at 10:00.
        #expect(stock.latestKnown == at("2027-03-08T10:00:00Z"))
        #expect(stock.report(StockNetworkQuery()) == stock.report(StockNetworkQuery(asOf: at("2027-03-08T10:00:00Z"))))
        #expect(stock.report(StockNetworkQuery()).expiringLots.first == Lot(sku: "B", lot: "L3", expiresOn: "2027-03-08", daysLeft: 0, onHand: 3))
    }

    @Test("two levels stated at one instant settle the same either way")
    func sameInstant() {
        let a = level("A", "W1", onHand: 5, reserved: 0, "2027-03-01T09:00:00Z")
        let b = level("A", "W1", onHand: 7, reserved: 0, "2027-03-01T09:00:00Z")
        #expect(model([a, b]) == model([b, a]))
        #expect(model([a, b]).report(StockNetworkQuery()).stock.first?.onHand == 7)
    }

    @Test("other payloads are ignored; an empty model reports nothing")
    func empty() {
        var stock = StockNetworkModel()
        stock.apply(DealLost(dealId: id(2, 1), reason: "price", comment: nil, lostAt: end), occurredAt: end)
        #expect(stock == StockNetworkModel())
        #expect(stock.report(StockNetworkQuery()) == StockNetworkReport())
        #expect(stock.drillDown(StockNetworkQuery(), figure: "expiring") == [])
    }

    @Test("the report survives a JSON round trip")
    func codable() throws {
        let report = model(world).report(StockNetworkQuery(asOf: end))
        let decoded = try JSONDecoder().decode(StockNetworkReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}
