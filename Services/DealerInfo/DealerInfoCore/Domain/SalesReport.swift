import Foundation

// Franchise shops of independent dealers send head office their retail sales once a day
// (`POST /v1/dealer/sales-reports`). Two kinds of checks run on a report:
//
// - `SalesReport.validate()` finds what makes a report unusable (a 422): bad formats, impossible
//   quantities, a discount larger than the line. Nothing else is rejected.
// - `AnomalyRules.check` finds what head office's anti-fraud review should look at. Anomalies are
//   flagged, never dropped: the report is stored as sent, with its anomalies beside it.
//
// Amounts are `Decimal` from end to end (JSON numbers are decoded from their text, exactly);
// no binary floating point touches them, and percentages are computed with Decimal too.

// MARK: - Report

/// One shop's retail sales for one day, as the shop's till system sends them. A report is
/// idempotent per shop and day: a corrected report replaces the earlier one.
public struct SalesReport: Codable, Sendable, Equatable {
    /// The most receipts one report may hold. Far above a real shop's day; a larger report is
    /// rejected rather than stored, so a runaway till export cannot fill the database.
    public static let maxReceipts = 10_000

    /// The shop's code in the dealer network, e.g. "S-MSK-01-2".
    public var shopCode: String
    /// The trading day, "YYYY-MM-DD", in the shop's local calendar.
    public var day: String
    /// ISO 4217 code of every amount in the report, e.g. "RUB".
    public var currency: String
    /// Sales and returns of the day, in the till's order.
    public var receipts: [Receipt]

    public init(shopCode: String, day: String, currency: String, receipts: [Receipt]) {
        self.shopCode = shopCode
        self.day = day
        self.currency = currency
        self.receipts = receipts
    }

    // MARK: Totals

    /// Sum of the sale receipts' totals (each line already rounded to cents).
    public var salesTotal: Decimal { total(of: .sale) }

    /// Sum of the return receipts' totals, as a positive amount: the money paid back.
    public var returnsTotal: Decimal { total(of: .return) }

    /// Money taken off the sale lines by discounts, rounded half-up to cents. Returns are left
    /// out: a returned line refunds the discounted amount, it gives no new discount.
    public var discountTotal: Decimal {
        receipts.filter { $0.kind == .sale }
            .flatMap(\.lines)
            .reduce(Decimal(0)) { $0 + $1.discount }
            .roundedToCents()
    }

    /// What the shop took in: sales less returns. Negative on a day with more returns than sales.
    public var net: Decimal { salesTotal - returnsTotal }

    /// Receipts of both kinds.
    public var receiptCount: Int { receipts.count }

    /// Lines over all receipts of both kinds.
    public var lineCount: Int { receipts.reduce(0) { $0 + $1.lines.count } }

    /// The day's figures in one value, as they are stored beside the report and published.
    public struct Totals: Codable, Sendable, Equatable {
        public var sales: Decimal
        public var returns: Decimal
        public var discounts: Decimal
        public var net: Decimal
        public var receipts: Int
        public var lines: Int

        public init(sales: Decimal, returns: Decimal, discounts: Decimal, net: Decimal, receipts: Int, lines: Int) {
            self.sales = sales
            self.returns = returns
            self.discounts = discounts
            self.net = net
            self.receipts = receipts
            self.lines = lines
        }
    }

    /// `salesTotal`, `returnsTotal`, `discountTotal`, `net`, `receiptCount` and `lineCount` together.
    public var totals: Totals {
        let sales = salesTotal
        let returns = returnsTotal
        return Totals(
            sales: sales, returns: returns, discounts: discountTotal, net: sales - returns,
            receipts: receiptCount, lines: lineCount)
    }

    private func total(of kind: Receipt.Kind) -> Decimal {
        receipts.filter { $0.kind == kind }.reduce(Decimal(0)) { $0 + $1.total }
    }

    // MARK: Validation

    /// The structural problems that make the report unusable, each an English sentence naming
    /// the receipt (by number, or by its index when the number is empty) and the line (by its
    /// index in the receipt's `lines`, from 0); empty when the report can be stored.
    ///
    /// Only what makes the numbers meaningless is a problem here; anything merely suspicious is
    /// left to `AnomalyRules`, which flags it for review. With more receipts than `maxReceipts`
    /// the receipts are not examined one by one: the report has to be sent again anyway, and a
    /// huge payload should not produce a huge answer.
    public func validate() -> [String] {
        var problems: [String] = []
        if shopCode.isBlank {
            problems.append("shopCode is empty")
        }
        if !ClockText.isCalendarDay(day) {
            problems.append("day \"\(day)\" is not a calendar date written YYYY-MM-DD")
        }
        if !ClockText.isCurrencyCode(currency) {
            problems.append("currency \"\(currency)\" is not three upper-case letters (ISO 4217)")
        }
        if receipts.count > Self.maxReceipts {
            problems.append("the report has \(receipts.count) receipts, more than the \(Self.maxReceipts) allowed")
            return problems
        }
        for (index, receipt) in receipts.enumerated() {
            problems += receipt.problems(index: index)
        }
        return problems
    }
}

// MARK: - Receipt

/// One till receipt: a sale, or a return of goods sold earlier.
public struct Receipt: Codable, Sendable, Equatable {
    /// How the customer paid (or was paid back).
    public enum Payment: String, Codable, Sendable, CaseIterable {
        case cash, card, transfer, other
    }

    /// A sale takes money in; a return pays it back. Amounts are positive in both.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sale
        case `return`
    }

    /// The till's receipt number; unique within a shop's day (a repeat is flagged).
    public var number: String
    /// "HH:MM", the shop's local time.
    public var time: String
    public var payment: Payment
    public var kind: Kind
    public var lines: [ReceiptLine]

    public init(number: String, time: String, payment: Payment, kind: Kind, lines: [ReceiptLine]) {
        self.number = number
        self.time = time
        self.payment = payment
        self.kind = kind
        self.lines = lines
    }

    /// Sum of the lines' amounts (each rounded to cents, as the till prints them).
    public var total: Decimal { lines.reduce(Decimal(0)) { $0 + $1.amount } }

    /// How messages name this receipt: by number, or by position when the number is empty.
    fileprivate func label(index: Int) -> String {
        number.isBlank ? "receipt at index \(index)" : "receipt \"\(number)\""
    }

    /// `SalesReport.validate()` for one receipt; `index` is its position in the report.
    fileprivate func problems(index: Int) -> [String] {
        let name = label(index: index)
        var problems: [String] = []
        if number.isBlank {
            problems.append("\(name): number is empty")
        }
        if ClockText.minutes(time) == nil {
            problems.append("\(name): time \"\(time)\" is not HH:MM (00:00 to 23:59)")
        }
        if lines.isEmpty {
            problems.append("\(name): has no lines")
        }
        for (lineIndex, line) in lines.enumerated() {
            let prefix = "\(name), line \(lineIndex)"
            if line.quantity <= 0 {
                problems.append("\(prefix): quantity must be above 0, got \(line.quantity)")
            }
            if line.unitPrice < 0 {
                problems.append("\(prefix): unitPrice must not be negative, got \(line.unitPrice)")
            }
            if line.discount < 0 {
                problems.append("\(prefix): discount must not be negative, got \(line.discount)")
            }
            // Only meaningful once the parts are; otherwise the same mistake would be told twice.
            if line.quantity > 0, line.unitPrice >= 0, line.discount > line.gross {
                problems.append(
                    "\(prefix): discount \(line.discount) is above the line's gross \(line.gross) (\(line.quantity) × \(line.unitPrice))")
            }
        }
        return problems
    }
}

// MARK: - Line

/// One article on a receipt. `discount` is money off the whole line (not a percentage), 0 when
/// the till sends none.
public struct ReceiptLine: Codable, Sendable, Equatable {
    public var sku: String
    /// Above 0; fractional for goods sold by weight or length.
    public var quantity: Decimal
    /// The price the shop charged per unit before the discount; not negative.
    public var unitPrice: Decimal
    /// Money off the line, from 0 up to the line's gross.
    public var discount: Decimal

    public init(sku: String, quantity: Decimal, unitPrice: Decimal, discount: Decimal = 0) {
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.discount = discount
    }

    enum CodingKeys: String, CodingKey { case sku, quantity, unitPrice, discount }

    /// Decodes a line; an absent (or null) `discount` is 0, since most tills only send it when
    /// there is one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sku = try c.decode(String.self, forKey: .sku)
        quantity = try c.decode(Decimal.self, forKey: .quantity)
        unitPrice = try c.decode(Decimal.self, forKey: .unitPrice)
        discount = try c.decodeIfPresent(Decimal.self, forKey: .discount) ?? 0
    }

    /// quantity × unitPrice, exact (not rounded): what the line would cost without the discount.
    public var gross: Decimal { quantity * unitPrice }

    /// quantity × unitPrice − discount, rounded half-up to cents once, after the discount.
    public var amount: Decimal { (gross - discount).roundedToCents() }
}

// MARK: - Anomalies

/// Thresholds of the anomaly rules. Percentages are plain numbers: 5 means 5 %.
public struct AnomalyPolicy: Codable, Sendable, Equatable {
    /// How far below the list price a sale's effective unit price may go before it is flagged.
    public var priceTolerancePercent: Decimal
    /// Returns as a share of sales above which the day is flagged.
    public var maxReturnSharePercent: Decimal
    /// A line's discount as a share of its gross above which the line is flagged.
    public var maxDiscountPercent: Decimal
    /// "HH:MM": a receipt before this time is flagged.
    public var opensAt: String
    /// "HH:MM": a receipt at or after this time is flagged. Earlier than `opensAt` for a shop
    /// that closes after midnight; equal to it for a shop open round the clock. A policy time
    /// that is not HH:MM switches the opening-hours rule off.
    public var closesAt: String

    public init(
        priceTolerancePercent: Decimal, maxReturnSharePercent: Decimal, maxDiscountPercent: Decimal,
        opensAt: String, closesAt: String
    ) {
        self.priceTolerancePercent = priceTolerancePercent
        self.maxReturnSharePercent = maxReturnSharePercent
        self.maxDiscountPercent = maxDiscountPercent
        self.opensAt = opensAt
        self.closesAt = closesAt
    }

    /// Head office's defaults: 5 % price tolerance, 20 % returns, 30 % discount, 09:00 to 21:00.
    public static let standard = AnomalyPolicy(
        priceTolerancePercent: 5, maxReturnSharePercent: 20, maxDiscountPercent: 30,
        opensAt: "09:00", closesAt: "21:00")
}

/// Something in a report that head office's review should look at. It never rejects the report.
public struct Anomaly: Codable, Sendable, Equatable, Hashable {
    /// The rule that fired. Raw values are stored and sent on the wire, so they never change;
    /// the declaration order is the order anomalies are listed in.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case skuOutsideAssortment = "sku_outside_assortment"
        case priceBelowList = "price_below_list"
        case duplicateReceipt = "duplicate_receipt"
        case returnsAboveThreshold = "returns_above_threshold"
        case discountAboveThreshold = "discount_above_threshold"
        case outsideOpeningHours = "outside_opening_hours"
    }

    public var kind: Kind
    /// The receipt number; nil for an anomaly of the whole report.
    public var receipt: String?
    /// The article; nil when the anomaly is not about one.
    public var sku: String?
    /// An English sentence with the numbers, for the reviewer.
    public var detail: String

    public init(kind: Kind, receipt: String?, sku: String?, detail: String) {
        self.kind = kind
        self.receipt = receipt
        self.sku = sku
        self.detail = detail
    }
}

/// The anti-fraud rules run on every stored report.
public enum AnomalyRules {
    /// Every anomaly of `report`, ordered by kind (in `Anomaly.Kind` order), then receipt number,
    /// then SKU (a missing one first), then the order in the report, so the same report always
    /// gives the same list.
    ///
    /// - `assortment`: the SKUs the shop may sell; any other SKU is flagged, on sales and returns.
    /// - `listPrices`: list price per SKU; a SKU without one is not price-checked.
    ///
    /// Meant for a report that passed `validate()`; lines and times it would reject are skipped
    /// by the rules they would make meaningless, never a crash.
    public static func check(
        _ report: SalesReport, assortment: Set<String>, listPrices: [String: Decimal], policy: AnomalyPolicy
    ) -> [Anomaly] {
        var found = outsideAssortment(report, assortment: assortment)
        found += pricesBelowList(report, listPrices: listPrices, tolerance: policy.priceTolerancePercent)
        found += duplicateReceipts(report)
        found += returnsAboveThreshold(report, maxShare: policy.maxReturnSharePercent)
        found += discountsAboveThreshold(report, maxPercent: policy.maxDiscountPercent)
        found += outsideOpeningHours(report, opensAt: policy.opensAt, closesAt: policy.closesAt)
        return ordered(found)
    }

    // MARK: Rules

    /// One anomaly per receipt and SKU not in the assortment, with the quantity on that receipt.
    private static func outsideAssortment(_ report: SalesReport, assortment: Set<String>) -> [Anomaly] {
        var found: [Anomaly] = []
        for receipt in report.receipts {
            var quantities: [String: Decimal] = [:]
            var order: [String] = []
            for line in receipt.lines where !assortment.contains(line.sku) {
                if quantities[line.sku] == nil { order.append(line.sku) }
                quantities[line.sku, default: 0] += line.quantity
            }
            let verb = receipt.kind == .sale ? "sells" : "returns"
            for sku in order {
                let quantity = quantities[sku] ?? 0
                found.append(Anomaly(
                    kind: .skuOutsideAssortment, receipt: receipt.number, sku: sku,
                    detail: "receipt \(receipt.number) \(verb) \(quantity) × \(sku), which is not in the shop's assortment"))
            }
        }
        return found
    }

    /// A sale line whose effective unit price, (quantity × unitPrice − discount) / quantity, is
    /// more than `tolerance` % below the SKU's list price. Exactly at the tolerance is not flagged.
    private static func pricesBelowList(_ report: SalesReport, listPrices: [String: Decimal], tolerance: Decimal) -> [Anomaly] {
        var found: [Anomaly] = []
        for receipt in report.receipts where receipt.kind == .sale {
            for line in receipt.lines where line.quantity > 0 {
                guard let list = listPrices[line.sku], list > 0 else { continue }
                let paid = line.gross - line.discount
                let listed = line.quantity * list
                // paid / q < list × (100 − tol) / 100, multiplied out so no division rounds.
                guard paid * 100 < listed * (100 - tolerance) else { continue }
                let below = (listed - paid) * 100 / listed
                let effective = paid / line.quantity
                found.append(Anomaly(
                    kind: .priceBelowList, receipt: receipt.number, sku: line.sku,
                    detail: "\(line.sku) sold at \(Format.money(effective)), \(Format.percent(below, above: tolerance)) % "
                        + "below the list price \(Format.money(list)) (tolerance \(tolerance) %)"))
            }
        }
        return found
    }

    /// One anomaly per receipt number used more than once, with how many times.
    private static func duplicateReceipts(_ report: SalesReport) -> [Anomaly] {
        var counts: [String: Int] = [:]
        for receipt in report.receipts where !receipt.number.isBlank {
            counts[receipt.number, default: 0] += 1
        }
        return counts.filter { $0.value > 1 }.map { number, count in
            Anomaly(
                kind: .duplicateReceipt, receipt: number, sku: nil,
                detail: "receipt \(number) appears \(count) times in the report")
        }
    }

    /// Returns above `maxShare` % of sales: one anomaly for the report. Returns on a day without
    /// sales are always above. Exactly at the threshold is not flagged.
    private static func returnsAboveThreshold(_ report: SalesReport, maxShare: Decimal) -> [Anomaly] {
        let sales = report.salesTotal
        let returns = report.returnsTotal
        guard returns > 0, returns * 100 > sales * maxShare else { return [] }
        let detail =
            sales > 0
            ? "returns of \(Format.money(returns)) are \(Format.percent(returns * 100 / sales, above: maxShare)) % "
                + "of sales of \(Format.money(sales)) (threshold \(maxShare) %)"
            : "returns of \(Format.money(returns)) on a day without sales (threshold \(maxShare) %)"
        return [Anomaly(kind: .returnsAboveThreshold, receipt: nil, sku: nil, detail: detail)]
    }

    /// A line (sale or return) whose discount is more than `maxPercent` % of its gross. Exactly
    /// at the threshold is not flagged.
    private static func discountsAboveThreshold(_ report: SalesReport, maxPercent: Decimal) -> [Anomaly] {
        var found: [Anomaly] = []
        for receipt in report.receipts {
            for line in receipt.lines where line.gross > 0 && line.discount * 100 > line.gross * maxPercent {
                let share = line.discount * 100 / line.gross
                found.append(Anomaly(
                    kind: .discountAboveThreshold, receipt: receipt.number, sku: line.sku,
                    detail: "discount of \(Format.money(line.discount)) on \(line.sku) is \(Format.percent(share, above: maxPercent)) % "
                        + "of the line's gross \(Format.money(line.gross)) (threshold \(maxPercent) %)"))
            }
        }
        return found
    }

    /// A receipt before `opensAt` or at/after `closesAt`. When `closesAt` is earlier than
    /// `opensAt` the shop closes after midnight (open 10:00 to 02:00: 01:59 is inside, 02:00
    /// outside); when they are equal it is open round the clock.
    private static func outsideOpeningHours(_ report: SalesReport, opensAt: String, closesAt: String) -> [Anomaly] {
        guard let opens = ClockText.minutes(opensAt), let closes = ClockText.minutes(closesAt), opens != closes else {
            return []
        }
        var found: [Anomaly] = []
        for receipt in report.receipts {
            guard let time = ClockText.minutes(receipt.time) else { continue }
            let open = opens < closes ? (opens <= time && time < closes) : (time >= opens || time < closes)
            if !open {
                found.append(Anomaly(
                    kind: .outsideOpeningHours, receipt: receipt.number, sku: nil,
                    detail: "receipt \(receipt.number) at \(receipt.time) is outside the opening hours \(opensAt) to \(closesAt)"))
            }
        }
        return found
    }

    // MARK: Order

    /// Sorted by kind, receipt number, SKU (nil first), then position in `anomalies`, which
    /// makes the order total and independent of the sort algorithm.
    private static func ordered(_ anomalies: [Anomaly]) -> [Anomaly] {
        let rank = Dictionary(uniqueKeysWithValues: Anomaly.Kind.allCases.enumerated().map { ($1, $0) })
        func before(_ a: String?, _ b: String?) -> Bool? {
            switch (a, b) {
            case (nil, nil): return nil
            case (nil, _): return true
            case (_, nil): return false
            case let (a?, b?): return a == b ? nil : a < b
            }
        }
        return anomalies.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element, rhs.element)
            if l.kind != r.kind { return (rank[l.kind] ?? 0) < (rank[r.kind] ?? 0) }
            if let receipt = before(l.receipt, r.receipt) { return receipt }
            if let sku = before(l.sku, r.sku) { return sku }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

// MARK: - Helpers

/// Strict parsing of the report's day, times and currency code.
private enum ClockText {
    /// Minutes since midnight of "HH:MM" (two digits each, 00:00 to 23:59); nil otherwise.
    static func minutes(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"),
            let hour = number(bytes[0..<2]), let minute = number(bytes[3..<5]),
            hour < 24, minute < 60
        else { return nil }
        return hour * 60 + minute
    }

    /// "YYYY-MM-DD" naming a real day of the Gregorian calendar (2024-02-29 yes, 2023-02-29 no).
    static func isCalendarDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10]),
            year >= 1, (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Three ASCII upper-case letters, e.g. "RUB".
    static func isCurrencyCode(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    /// The value of ASCII digits only (no sign, no spaces); nil for anything else.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}

/// Numbers in anomaly details, the same text whatever the server's locale.
private enum Format {
    /// Two decimals, half-up, thousands grouped with ",": "10,000.00".
    static func money(_ value: Decimal) -> String {
        let text = fixed(value, scale: 2, mode: .plain)
        let negative = text.hasPrefix("-")
        let unsigned = negative ? String(text.dropFirst()) : text
        let parts = unsigned.split(separator: ".", maxSplits: 1)
        let integer = Array(parts.first ?? "0")
        var grouped = ""
        for (index, digit) in integer.enumerated() {
            if index > 0, (integer.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        let fraction = parts.count > 1 ? "." + parts[1] : ""
        return (negative ? "-" : "") + grouped + fraction
    }

    /// A percentage that is above `limit`, with one decimal ("15.0"), or with as many more as it
    /// takes to read above the limit: 5.0001 % against a 5 % limit is shown "5.0001", not "5.0".
    static func percent(_ value: Decimal, above limit: Decimal) -> String {
        for scale in 1...6 where rounded(value, scale: scale, mode: .plain) > limit {
            return fixed(value, scale: scale, mode: .plain)
        }
        return fixed(value, scale: 6, mode: .up)
    }

    /// `value` rounded to `scale` decimals and written with exactly that many: "15.0", "8500.00".
    static func fixed(_ value: Decimal, scale: Int, mode: NSDecimalNumber.RoundingMode) -> String {
        let text = rounded(value, scale: scale, mode: mode).description
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        return "\(parts.first ?? "0").\(fraction.padding(toLength: scale, withPad: "0", startingAt: 0))"
    }

    static func rounded(_ value: Decimal, scale: Int, mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var value = value
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, mode)
        return result
    }
}

extension Decimal {
    /// Rounded half-up (away from zero) to cents.
    fileprivate func roundedToCents() -> Decimal {
        Format.rounded(self, scale: 2, mode: .plain)
    }
}

extension String {
    /// Empty or only whitespace.
    fileprivate var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}
