import Foundation
import Testing

@testable import DealerInfoCore

@Suite("Dealer-info: shop report anomaly rules")
struct AnomalyRulesTests {
    // MARK: Fixtures

    /// A decimal from its text, never through Double.
    static func d(_ text: String) -> Decimal {
        Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
    }

    static func line(_ sku: String, _ quantity: String, _ price: String, discount: String = "0") -> ReceiptLine {
        ReceiptLine(sku: sku, quantity: d(quantity), unitPrice: d(price), discount: d(discount))
    }

    static func sale(_ number: String, at time: String = "12:00", _ lines: ReceiptLine...) -> Receipt {
        Receipt(number: number, time: time, payment: .card, kind: .sale, lines: lines)
    }

    static func refund(_ number: String, at time: String = "12:00", _ lines: ReceiptLine...) -> Receipt {
        Receipt(number: number, time: time, payment: .cash, kind: .return, lines: lines)
    }

    static func report(_ receipts: Receipt...) -> SalesReport {
        SalesReport(shopCode: "S-MSK-01-1", day: "2025-03-14", currency: "RUB", receipts: receipts)
    }

    /// The shop sells three articles; two have list prices.
    static let assortment: Set<String> = ["CP-100", "FL-20", "BR-7"]
    static let listPrices: [String: Decimal] = ["CP-100": d("10000"), "FL-20": d("250")]

    static func check(_ report: SalesReport, policy: AnomalyPolicy = .standard) -> [Anomaly] {
        AnomalyRules.check(report, assortment: assortment, listPrices: listPrices, policy: policy)
    }

    /// The anomalies of one kind, for tests of a single rule.
    static func check(_ report: SalesReport, only kind: Anomaly.Kind, policy: AnomalyPolicy = .standard) -> [Anomaly] {
        check(report, policy: policy).filter { $0.kind == kind }
    }

    // MARK: Clean report

    @Test("a clean report is valid and raises no anomaly")
    func cleanReport() {
        let report = Self.report(
            Self.sale("0001", at: "09:00", Self.line("CP-100", "1", "10000"), Self.line("BR-7", "3", "99.90")),
            Self.sale("0002", at: "20:59", Self.line("FL-20", "4", "250", discount: "50")),
            Self.refund("0003", at: "15:30", Self.line("BR-7", "1", "99.90")))
        #expect(report.validate().isEmpty)
        #expect(Self.check(report).isEmpty)
    }

    @Test("the standard policy is 5 % price tolerance, 20 % returns, 30 % discount, open 09:00 to 21:00")
    func standardPolicy() {
        let policy = AnomalyPolicy.standard
        #expect(policy.priceTolerancePercent == Self.d("5"))
        #expect(policy.maxReturnSharePercent == Self.d("20"))
        #expect(policy.maxDiscountPercent == Self.d("30"))
        #expect(policy.opensAt == "09:00")
        #expect(policy.closesAt == "21:00")
    }

    // MARK: SKU outside the assortment

    @Test("a SKU outside the assortment is flagged once per receipt, sales and returns alike")
    func skuOutsideAssortment() {
        let report = Self.report(
            Self.sale("0001", Self.line("XX-9", "2", "10"), Self.line("CP-100", "1", "10000"), Self.line("XX-9", "1.5", "10")),
            Self.refund("0002", Self.line("XX-9", "1", "10")))
        let anomalies = Self.check(report, only: .skuOutsideAssortment)
        #expect(anomalies == [
            Anomaly(kind: .skuOutsideAssortment, receipt: "0001", sku: "XX-9",
                    detail: "receipt 0001 sells 3.5 × XX-9, which is not in the shop's assortment"),
            Anomaly(kind: .skuOutsideAssortment, receipt: "0002", sku: "XX-9",
                    detail: "receipt 0002 returns 1 × XX-9, which is not in the shop's assortment"),
        ])
    }

    @Test("a SKU in the assortment is not flagged, even without a list price")
    func skuInAssortment() {
        let report = Self.report(Self.sale("0001", Self.line("BR-7", "1", "1")))
        #expect(Self.check(report, only: .skuOutsideAssortment).isEmpty)
        #expect(Self.check(report, only: .priceBelowList).isEmpty)
    }

    // MARK: Price below the list price

    /// quantity, unit price, discount → flagged? List price 10,000.00, tolerance 5 %: the
    /// effective unit price may go down to 9,500.00 exactly.
    @Test("a sale below the list price is flagged only beyond the tolerance", arguments: [
        ("1", "9500.00", "0", false),  // exactly 5 %
        ("1", "9499.99", "0", true),  // one cent more
        ("2", "10000", "1000", false),  // 9,500.00 each after the line discount
        ("2", "10000", "1000.02", true),  // 9,499.99 each
        ("1", "10000", "500", false),
        ("1", "10000", "500.01", true),
        ("3", "9500", "0", false),
        ("0.5", "9500", "0", false),
        ("0.5", "9499.98", "0", true),
        ("1", "12000", "0", false),  // above the list price is never flagged
    ])
    func priceBoundary(quantity: String, price: String, discount: String, flagged: Bool) {
        let report = Self.report(Self.sale("0001", Self.line("CP-100", quantity, price, discount: discount)))
        #expect(Self.check(report, only: .priceBelowList).count == (flagged ? 1 : 0))
    }

    @Test("the price detail gives the effective price, the shortfall and the tolerance")
    func priceDetail() {
        let report = Self.report(
            Self.sale("0001", Self.line("CP-100", "1", "8500")),
            Self.sale("0002", Self.line("CP-100", "2", "10000", discount: "3000")))
        #expect(Self.check(report, only: .priceBelowList).map(\.detail) == [
            "CP-100 sold at 8,500.00, 15.0 % below the list price 10,000.00 (tolerance 5 %)",
            "CP-100 sold at 8,500.00, 15.0 % below the list price 10,000.00 (tolerance 5 %)",
        ])
    }

    @Test("a shortfall just past the tolerance is shown with enough decimals to read above it")
    func priceDetailJustPastTolerance() {
        let report = Self.report(Self.sale("0001", Self.line("CP-100", "1", "9499.99")))
        #expect(Self.check(report, only: .priceBelowList).map(\.detail) == [
            "CP-100 sold at 9,499.99, 5.0001 % below the list price 10,000.00 (tolerance 5 %)"
        ])
    }

    @Test("two lines of one SKU on one receipt are listed in the receipt's order")
    func sameKeyKeepsLineOrder() {
        let report = Self.report(Self.sale("0001", Self.line("CP-100", "1", "9000"), Self.line("CP-100", "1", "8000")))
        #expect(Self.check(report, only: .priceBelowList).map(\.detail) == [
            "CP-100 sold at 9,000.00, 10.0 % below the list price 10,000.00 (tolerance 5 %)",
            "CP-100 sold at 8,000.00, 20.0 % below the list price 10,000.00 (tolerance 5 %)",
        ])
    }

    @Test("returns and SKUs without a list price are not price-checked")
    func priceNotCheckedForReturnsOrUnlisted() {
        let report = Self.report(
            Self.refund("0001", Self.line("CP-100", "1", "1")),
            Self.sale("0002", Self.line("BR-7", "1", "0.01")))
        #expect(Self.check(report, only: .priceBelowList).isEmpty)
    }

    @Test("the price tolerance comes from the policy")
    func priceToleranceFromPolicy() {
        var policy = AnomalyPolicy.standard
        policy.priceTolerancePercent = Self.d("12.5")
        let at = Self.report(Self.sale("0001", Self.line("CP-100", "1", "8750")))
        let past = Self.report(Self.sale("0001", Self.line("CP-100", "1", "8749.99")))
        #expect(Self.check(at, only: .priceBelowList, policy: policy).isEmpty)
        #expect(Self.check(past, only: .priceBelowList, policy: policy).map(\.detail) == [
            "CP-100 sold at 8,749.99, 12.5001 % below the list price 10,000.00 (tolerance 12.5 %)"
        ])
    }

    // MARK: Duplicate receipts

    @Test("a receipt number used more than once is flagged once, with the count")
    func duplicateReceipt() {
        let report = Self.report(
            Self.sale("0007", Self.line("BR-7", "1", "10")),
            Self.sale("0002", Self.line("BR-7", "1", "10")),
            Self.sale("0007", Self.line("BR-7", "1", "10")),
            Self.refund("0007", Self.line("BR-7", "1", "10")),
            Self.sale("0002", Self.line("BR-7", "1", "10")),
            Self.sale("0003", Self.line("BR-7", "1", "10")))
        #expect(Self.check(report, only: .duplicateReceipt) == [
            Anomaly(kind: .duplicateReceipt, receipt: "0002", sku: nil, detail: "receipt 0002 appears 2 times in the report"),
            Anomaly(kind: .duplicateReceipt, receipt: "0007", sku: nil, detail: "receipt 0007 appears 3 times in the report"),
        ])
    }

    @Test("distinct receipt numbers are not flagged")
    func distinctReceipts() {
        let report = Self.report(
            Self.sale("0001", Self.line("BR-7", "1", "10")), Self.sale("00001", Self.line("BR-7", "1", "10")))
        #expect(Self.check(report, only: .duplicateReceipt).isEmpty)
    }

    // MARK: Returns above the threshold

    @Test("returns at exactly 20 % of sales are not flagged; one cent more is")
    func returnsBoundary() {
        let at = Self.report(Self.sale("0001", Self.line("BR-7", "1", "1000")), Self.refund("0002", Self.line("BR-7", "1", "200")))
        let past = Self.report(Self.sale("0001", Self.line("BR-7", "1", "1000")), Self.refund("0002", Self.line("BR-7", "1", "200.01")))
        #expect(Self.check(at, only: .returnsAboveThreshold).isEmpty)
        #expect(Self.check(past, only: .returnsAboveThreshold) == [
            Anomaly(kind: .returnsAboveThreshold, receipt: nil, sku: nil,
                    detail: "returns of 200.01 are 20.001 % of sales of 1,000.00 (threshold 20 %)")
        ])
    }

    @Test("returns are flagged once per report, from the day's totals")
    func returnsOncePerReport() {
        let report = Self.report(
            Self.sale("0001", Self.line("BR-7", "2", "2500")),
            Self.refund("0002", Self.line("BR-7", "1", "1500")),
            Self.refund("0003", Self.line("FL-20", "4", "250")))
        #expect(Self.check(report, only: .returnsAboveThreshold).map(\.detail) == [
            "returns of 2,500.00 are 50.0 % of sales of 5,000.00 (threshold 20 %)"
        ])
    }

    @Test("a report of returns only is flagged, and its totals are negative")
    func returnsOnlyReport() {
        let report = Self.report(
            Self.refund("0001", Self.line("BR-7", "1", "300")), Self.refund("0002", Self.line("FL-20", "1", "250", discount: "50")))
        #expect(report.validate().isEmpty)
        #expect(report.salesTotal == 0)
        #expect(report.returnsTotal == Self.d("500"))
        #expect(report.net == Self.d("-500"))
        #expect(Self.check(report) == [
            Anomaly(kind: .returnsAboveThreshold, receipt: nil, sku: nil,
                    detail: "returns of 500.00 on a day without sales (threshold 20 %)")
        ])
    }

    @Test("a day without sales or returns raises no returns anomaly")
    func noSalesNoReturns() {
        let report = Self.report(Self.sale("0001", Self.line("BR-7", "1", "0")))
        #expect(Self.check(report, only: .returnsAboveThreshold).isEmpty)
    }

    // MARK: Discount above the threshold

    @Test("a line discount of exactly 30 % of its gross is not flagged; one cent more is")
    func discountBoundary() {
        let report = Self.report(
            Self.sale("0001", Self.line("BR-7", "4", "250", discount: "300")),
            Self.sale("0002", Self.line("BR-7", "4", "250", discount: "300.01")))
        #expect(Self.check(report, only: .discountAboveThreshold) == [
            Anomaly(kind: .discountAboveThreshold, receipt: "0002", sku: "BR-7",
                    detail: "discount of 300.01 on BR-7 is 30.001 % of the line's gross 1,000.00 (threshold 30 %)")
        ])
    }

    @Test("discounts are judged per line, on returns as well")
    func discountPerLine() {
        let report = Self.report(
            Self.sale("0001", Self.line("BR-7", "1", "100", discount: "20"), Self.line("FL-20", "1", "250", discount: "125")),
            Self.refund("0002", Self.line("BR-7", "1", "100", discount: "40")))
        #expect(Self.check(report, only: .discountAboveThreshold).map(\.detail) == [
            "discount of 125.00 on FL-20 is 50.0 % of the line's gross 250.00 (threshold 30 %)",
            "discount of 40.00 on BR-7 is 40.0 % of the line's gross 100.00 (threshold 30 %)",
        ])
    }

    @Test("a free line (price 0, no discount) is not a discount anomaly")
    func freeLine() {
        let report = Self.report(Self.sale("0001", Self.line("BR-7", "1", "0")))
        #expect(Self.check(report, only: .discountAboveThreshold).isEmpty)
    }

    // MARK: Opening hours

    /// Receipt time → flagged, for a shop open 09:00 to 21:00.
    @Test("receipts before opening or at/after closing are flagged", arguments: [
        ("00:00", true), ("08:59", true), ("09:00", false), ("12:30", false), ("20:59", false), ("21:00", true), ("23:59", true),
    ])
    func openingHours(time: String, flagged: Bool) {
        let report = Self.report(Self.sale("0001", at: time, Self.line("BR-7", "1", "10")))
        let anomalies = Self.check(report, only: .outsideOpeningHours)
        #expect(anomalies.count == (flagged ? 1 : 0))
        if flagged {
            #expect(anomalies.first?.detail == "receipt 0001 at \(time) is outside the opening hours 09:00 to 21:00")
        }
    }

    /// Receipt time → flagged, for a shop open 10:00 to 02:00 the next morning.
    @Test("a shop closing after midnight is open across it", arguments: [
        ("09:59", true), ("10:00", false), ("23:30", false), ("00:00", false), ("01:59", false), ("02:00", true), ("05:00", true),
    ])
    func overnightOpeningHours(time: String, flagged: Bool) {
        var policy = AnomalyPolicy.standard
        policy.opensAt = "10:00"
        policy.closesAt = "02:00"
        let report = Self.report(Self.refund("0001", at: time, Self.line("BR-7", "1", "1")), Self.sale("0002", Self.line("BR-7", "100", "1")))
        let anomalies = Self.check(report, only: .outsideOpeningHours, policy: policy)
        #expect(anomalies.map(\.receipt) == (flagged ? ["0001"] : []))
        if flagged {
            #expect(anomalies.first?.detail == "receipt 0001 at \(time) is outside the opening hours 10:00 to 02:00")
        }
    }

    @Test("a shop whose opening and closing times are equal is open round the clock")
    func roundTheClock() {
        var policy = AnomalyPolicy.standard
        policy.opensAt = "00:00"
        policy.closesAt = "00:00"
        let report = Self.report(Self.sale("0001", at: "03:00", Self.line("BR-7", "1", "1")), Self.sale("0002", at: "23:59", Self.line("BR-7", "1", "1")))
        #expect(Self.check(report, only: .outsideOpeningHours, policy: policy).isEmpty)
    }

    // MARK: Several anomalies

    @Test("several anomalies come ordered by kind, then receipt number, then SKU")
    func severalInOrder() {
        let report = Self.report(
            Self.sale("0009", at: "22:15", Self.line("ZZ-1", "1", "5"), Self.line("AA-1", "1", "5")),
            Self.sale("0003", at: "08:00", Self.line("CP-100", "1", "10000", discount: "4000")),
            Self.sale("0001", Self.line("FL-20", "10", "250", discount: "1000"), Self.line("CP-100", "1", "9000")),
            Self.refund("0003", Self.line("CP-100", "1", "10000")))
        let summary = Self.check(report).map { "\($0.kind.rawValue) \($0.receipt ?? "-") \($0.sku ?? "-")" }
        #expect(summary == [
            "sku_outside_assortment 0009 AA-1",
            "sku_outside_assortment 0009 ZZ-1",
            "price_below_list 0001 CP-100",
            "price_below_list 0001 FL-20",
            "price_below_list 0003 CP-100",
            "duplicate_receipt 0003 -",
            "returns_above_threshold - -",
            "discount_above_threshold 0001 FL-20",
            "discount_above_threshold 0003 CP-100",
            "outside_opening_hours 0003 -",
            "outside_opening_hours 0009 -",
        ])
        // The same report gives the same list, whatever the order of its receipts.
        let shuffled = SalesReport(shopCode: report.shopCode, day: report.day, currency: report.currency, receipts: report.receipts.reversed())
        #expect(Self.check(shuffled) == Self.check(report))
    }

    @Test("anomaly kinds keep their wire names and order")
    func anomalyKinds() throws {
        #expect(Anomaly.Kind.allCases.map(\.rawValue) == [
            "sku_outside_assortment", "price_below_list", "duplicate_receipt",
            "returns_above_threshold", "discount_above_threshold", "outside_opening_hours",
        ])
        let json = try JSONEncoder().encode(Anomaly(kind: .priceBelowList, receipt: "0001", sku: "CP-100", detail: "x"))
        let decoded = try JSONDecoder().decode(Anomaly.self, from: json)
        #expect(decoded.kind == .priceBelowList)
        #expect(String(decoding: json, as: UTF8.self).contains(#""kind":"price_below_list""#))
    }

    // MARK: Validation

    @Test("validation names each problem with its receipt number and line index")
    func validationMessages() {
        let report = SalesReport(
            shopCode: "  ", day: "2025-3-14", currency: "rub",
            receipts: [
                Self.sale("0001", at: "9:05", Self.line("BR-7", "0", "10"), Self.line("BR-7", "1", "-1", discount: "-2")),
                Self.sale("", at: "24:00", Self.line("BR-7", "2", "50", discount: "100.01")),
                Self.refund("0003"),
                Self.sale("0004", Self.line("BR-7", "-1", "10", discount: "50")),
            ])
        #expect(report.validate() == [
            "shopCode is empty",
            "day \"2025-3-14\" is not a calendar date written YYYY-MM-DD",
            "currency \"rub\" is not three upper-case letters (ISO 4217)",
            "receipt \"0001\": time \"9:05\" is not HH:MM (00:00 to 23:59)",
            "receipt \"0001\", line 0: quantity must be above 0, got 0",
            "receipt \"0001\", line 1: unitPrice must not be negative, got -1",
            "receipt \"0001\", line 1: discount must not be negative, got -2",
            "receipt at index 1: number is empty",
            "receipt at index 1: time \"24:00\" is not HH:MM (00:00 to 23:59)",
            "receipt at index 1, line 0: discount 100.01 is above the line's gross 100 (2 × 50)",
            "receipt \"0003\": has no lines",
            "receipt \"0004\", line 0: quantity must be above 0, got -1",
        ])
    }

    @Test("a day must be a real calendar date", arguments: [
        ("2024-02-29", true), ("2023-02-29", false), ("2000-02-29", true), ("1900-02-29", false),
        ("2025-04-31", false), ("2025-12-31", true), ("2025-13-01", false), ("2025-00-10", false),
        ("2025-01-00", false), ("25-01-01", false), ("2025/01/01", false), ("2025-01-01T00:00", false), ("", false),
    ])
    func calendarDay(day: String, valid: Bool) {
        var report = Self.report(Self.sale("0001", Self.line("BR-7", "1", "10")))
        report.day = day
        #expect(report.validate().isEmpty == valid)
    }

    @Test("a receipt time must be HH:MM from 00:00 to 23:59", arguments: [
        ("00:00", true), ("23:59", true), ("24:00", false), ("12:60", false), ("9:00", false),
        ("09:00:00", false), ("0900", false), ("+9:00", false), ("", false),
    ])
    func receiptTime(time: String, valid: Bool) {
        let report = Self.report(Self.sale("0001", at: time, Self.line("BR-7", "1", "10")))
        #expect(report.validate().isEmpty == valid)
    }

    @Test("a discount equal to the line's gross is valid: a gift is still a line")
    func discountEqualToGross() {
        let report = Self.report(Self.sale("0001", Self.line("BR-7", "3", "33.33", discount: "99.99")))
        #expect(report.validate().isEmpty)
        #expect(report.salesTotal == 0)
    }

    @Test("more than 10,000 receipts is refused without examining them one by one")
    func tooManyReceipts() {
        let empty = Receipt(number: "", time: "x", payment: .other, kind: .sale, lines: [])
        let atLimit = SalesReport(
            shopCode: "S-1", day: "2025-03-14", currency: "RUB",
            receipts: (1...10_000).map { Self.sale(String($0), Self.line("BR-7", "1", "1")) })
        var over = atLimit
        over.receipts.append(empty)
        #expect(atLimit.validate().isEmpty)
        #expect(over.validate() == ["the report has 10001 receipts, more than the 10000 allowed"])
    }

    // MARK: Totals

    @Test("a line's amount is quantity × price less the discount, rounded half-up to cents", arguments: [
        ("2", "100", "0", "200"),
        ("3", "33.335", "0", "100.01"),  // 100.005 → up
        ("3", "33.3349", "0", "100"),  // 100.0047 → down
        ("1", "10.05", "5.025", "5.03"),  // rounded after the discount, not before
        ("0.5", "99.99", "0", "50"),  // 49.995
        ("1.25", "80", "0.5", "99.5"),
        ("1", "100", "100", "0"),
    ])
    func lineAmount(quantity: String, price: String, discount: String, expected: String) {
        #expect(Self.line("BR-7", quantity, price, discount: discount).amount == Self.d(expected))
    }

    @Test("report totals add rounded lines; discounts count on sales only; net is sales less returns")
    func reportTotals() {
        let report = Self.report(
            Self.sale("0001", Self.line("BR-7", "3", "33.335"), Self.line("FL-20", "2", "250", discount: "49.995")),
            Self.sale("0002", Self.line("CP-100", "1", "10000", discount: "100"), Self.line("BR-7", "0.5", "0.01")),
            Self.refund("0003", Self.line("FL-20", "1", "250", discount: "25"), Self.line("BR-7", "1", "0.005")))
        // 100.01 + 450.01 (450.005) + 9,900.00 + 0.01 (0.005)
        #expect(report.receipts.map(\.total) == [Self.d("550.02"), Self.d("9900.01"), Self.d("225.01")])
        #expect(report.salesTotal == Self.d("10450.03"))
        #expect(report.returnsTotal == Self.d("225.01"))
        #expect(report.net == Self.d("10225.02"))
        #expect(report.discountTotal == Self.d("150"))  // 149.995 → up; the return's 25 is not a discount given
        #expect(report.receiptCount == 3)
        #expect(report.lineCount == 6)
        #expect(report.totals == SalesReport.Totals(
            sales: Self.d("10450.03"), returns: Self.d("225.01"), discounts: Self.d("150"), net: Self.d("10225.02"),
            receipts: 3, lines: 6))
    }

    @Test("an empty report totals zero")
    func emptyTotals() {
        let report = Self.report()
        #expect(report.salesTotal == 0)
        #expect(report.returnsTotal == 0)
        #expect(report.discountTotal == 0)
        #expect(report.net == 0)
        #expect(report.receiptCount == 0)
        #expect(report.lineCount == 0)
        #expect(report.validate().isEmpty)
        #expect(Self.check(report).isEmpty)
    }

    // MARK: JSON

    @Test("a report decodes from JSON: discount defaults to 0, decimals are exact")
    func decodeJSON() throws {
        let json = #"""
            {"shopCode": "S-MSK-01-1", "day": "2025-03-14", "currency": "RUB", "receipts": [
              {"number": "0001", "time": "10:15", "payment": "cash", "kind": "sale", "lines": [
                {"sku": "BR-7", "quantity": 3, "unitPrice": 0.1},
                {"sku": "FL-20", "quantity": 1.5, "unitPrice": 250.10, "discount": 12.34}]},
              {"number": "0002", "time": "18:40", "payment": "transfer", "kind": "return", "lines": [
                {"sku": "CP-100", "quantity": 1, "unitPrice": 10000, "discount": null}]}]}
            """#
        let report = try JSONDecoder().decode(SalesReport.self, from: Data(json.utf8))
        #expect(report == Self.report(
            Receipt(number: "0001", time: "10:15", payment: .cash, kind: .sale, lines: [
                Self.line("BR-7", "3", "0.1"), Self.line("FL-20", "1.5", "250.10", discount: "12.34"),
            ]),
            Receipt(number: "0002", time: "18:40", payment: .transfer, kind: .return, lines: [Self.line("CP-100", "1", "10000")])))
        #expect(report.receipts[0].lines[0].discount == 0)
        #expect(report.receipts[0].total == Self.d("363.11"))  // 0.30 + 362.81 (375.15 − 12.34)
        let again = try JSONDecoder().decode(SalesReport.self, from: JSONEncoder().encode(report))
        #expect(again == report)
    }

    @Test("an unknown payment or receipt kind does not decode")
    func decodeUnknownEnum() {
        let json = #"""
            {"number": "0001", "time": "10:15", "payment": "crypto", "kind": "sale", "lines": []}
            """#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Receipt.self, from: Data(json.utf8)) }
    }
}
