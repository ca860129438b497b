import Contracts
import Foundation

// The sales read model: what was ordered, cancelled, shipped and paid (per currency and month),
// what the dealers' shops sold (per dealer and month, against the plan's revenue targets), and how
// quickly dealers acknowledge publications.
//
// It follows the funnel's approach (see FunnelModel.swift and Facts.swift): events arrive out of order and more
// than once, so every fact is updated by a commutative, associative and idempotent operation, and
// a report reads the model "as of T" (nil: everything known):
//
// - a deal's total is latest-wins by the instant it was stated at (`DealOpened`, `DealStageChanged`,
//   `DealClosed`); an order is worth its deal's total as of its placement (or, when none was stated
//   by then, the latest one known);
// - an order's placement, cancellation and complete shipment are earliest instants;
// - a payment is one per deal and reference; its amount and day are latest-wins by the instant of
//   the envelope that carried it (a payment has no instant of its own);
// - a shop's day keeps every version it was reported in; the highest version reported by T counts;
// - a plan target is latest-wins per dealer, period and metric by the publication's instant;
// - a delivery (publication × dealer) keeps its earliest delivery and earliest receipt, with that
//   receipt's lag.
//
// Months are `YYYY-MM` in UTC; each figure is bucketed by its own instant (or day).

extension Money: LatestWinsValue {
    var tieBreak: String { "\(currency) \(amount)" }
}

extension Decimal: LatestWinsValue {
    var tieBreak: String { description }
}

/// Calendar arithmetic on the suite's UTC text forms: instants, days `YYYY-MM-DD`, months
/// `YYYY-MM` and quarters `YYYY-Qn`.
enum UTCPeriods {
    /// `YYYY-MM` of an instant, in UTC.
    static func month(of instant: Date) -> String { String(Timestamp.format(instant).prefix(7)) }

    /// `YYYY-MM-DD` of an instant, in UTC.
    static func day(of instant: Date) -> String { String(Timestamp.format(instant).prefix(10)) }

    /// Midnight UTC starting `day` (`YYYY-MM-DD`); nil when it is not one.
    static func start(ofDay day: String) -> Date? {
        guard day.count == 10 else { return nil }
        return Timestamp.parse(day + "T00:00:00Z")
    }

    /// The month (`YYYY-MM`) of a day (`YYYY-MM-DD`); nil when it is not one.
    static func month(ofDay day: String) -> String? {
        start(ofDay: day).map { _ in String(day.prefix(7)) }
    }

    /// Midnight UTC starting `month` (`YYYY-MM`); nil when it is not one.
    static func start(ofMonth month: String) -> Date? {
        guard month.count == 7 else { return nil }
        return Timestamp.parse(month + "-01T00:00:00Z")
    }

    /// The month after `month`.
    static func month(after month: String) -> String? {
        guard let year = Int(month.prefix(4)), let number = Int(month.suffix(2)), start(ofMonth: month) != nil else { return nil }
        return number == 12 ? text(year: year + 1, month: 1) : text(year: year, month: number + 1)
    }

    /// `YYYY-Qn` of a month.
    static func quarter(ofMonth month: String) -> String? {
        guard let year = Int(month.prefix(4)), let number = Int(month.suffix(2)), start(ofMonth: month) != nil else { return nil }
        return "\(pad(year, 4))-Q\((number - 1) / 3 + 1)"
    }

    /// The three months of a quarter (`YYYY-Qn`), first first; nil when it is not one.
    static func months(ofQuarter quarter: String) -> [String]? {
        let parts = quarter.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), parts[1].count == 2, parts[1].first == "Q",
              let number = Int(parts[1].dropFirst()), (1...4).contains(number) else { return nil }
        return (1...3).map { text(year: year, month: (number - 1) * 3 + $0) }
    }

    /// Whether `[start of first, start of the month after last)` meets `[from, to)` (nil ends are open).
    static func months(_ first: String, through last: String, overlapFrom from: Date?, to: Date?) -> Bool {
        guard let begin = start(ofMonth: first), let next = month(after: last), let end = start(ofMonth: next) else { return false }
        if let from, end <= from { return false }
        if let to, begin >= to { return false }
        return true
    }

    private static func text(year: Int, month: Int) -> String { "\(pad(year, 4))-\(pad(month, 2))" }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// `part` of `whole` in percent, rounded half-up (away from zero) to one decimal; nil when `whole`
/// is not positive.
func roundedPercent(_ part: Decimal, of whole: Decimal) -> Decimal? {
    guard whole > 0 else { return nil }
    var exact = part * 100 / whole
    var rounded = Decimal()
    NSDecimalRound(&rounded, &exact, 1, .plain)
    return rounded
}

// MARK: - Facts

/// What the sales model knows about one deal: its total as stated over time.
struct SalesDealFacts: Sendable, Equatable {
    var total = LatestWins<Money>()
}

/// What the sales model knows about one buyer order.
struct SalesOrderFacts: Sendable, Equatable {
    var deal = LatestWins<UUID>()
    var placedAt: Date?
    var cancelledAt: Date?
    /// The earliest shipment that completed the order.
    var shippedAt: Date?
}

/// A payment is one per deal and reference.
struct PaymentKey: Sendable, Hashable {
    var dealId: UUID
    var reference: String
}

/// What the sales model knows about one payment, stated at the instants of the envelopes that carried it.
struct PaymentFacts: Sendable, Equatable {
    var amount = LatestWins<Money>()
    var paidOn = LatestWins<String>()
}

/// A shop's day (shop codes are unique across the network).
struct ShopDayKey: Sendable, Hashable {
    var shop: String
    var day: String
}

/// One version of a shop's daily report.
struct ShopReportVersion: Sendable, Hashable {
    var reportId: UUID
    var dealerCode: String
    var currency: String
    var sales: Decimal
    var returns: Decimal
    var net: Decimal
    var reportedAt: Date

    /// Orders two statements of one version deterministically: the later, then the greater text.
    func supersedes(_ other: ShopReportVersion) -> Bool {
        if reportedAt != other.reportedAt { return reportedAt > other.reportedAt }
        return text > other.text
    }

    private var text: String { "\(reportId.uuidString)|\(dealerCode)|\(currency)|\(sales)|\(returns)|\(net)" }
}

/// Every version a shop's day was reported in. A later version replaces an earlier one; as of T
/// the highest version reported by then counts.
struct ShopDayFacts: Sendable, Equatable {
    private(set) var versions: [Int: ShopReportVersion] = [:]

    mutating func record(_ event: DealerSalesReported) {
        let stated = ShopReportVersion(
            reportId: event.reportId, dealerCode: event.dealerCode, currency: event.currency, sales: event.sales, returns: event.returns,
            net: event.net, reportedAt: event.reportedAt)
        if let existing = versions[event.version], !stated.supersedes(existing) { return }
        versions[event.version] = stated
    }

    /// The highest version reported by `limit` (nil: everything known), with its number.
    func current(asOf limit: Date?) -> (version: Int, report: ShopReportVersion)? {
        var best: (version: Int, report: ShopReportVersion)?
        for (version, report) in versions where known(report.reportedAt, asOf: limit) {
            if best.map({ version > $0.version }) ?? true { best = (version, report) }
        }
        return best
    }
}

/// A plan target's key.
struct PlanTargetKey: Sendable, Hashable {
    var dealer: String
    var period: String
    var metric: String
}

/// A publication as one dealer handled it.
struct DeliveryKey: Sendable, Hashable {
    var publicationId: UUID
    var dealer: String
}

/// When a dealer took a publication and first answered it.
struct DeliveryFacts: Sendable, Equatable {
    var deliveredAt: Date?
    var acknowledgedAt: Date?
    /// The lag the earliest receipt reported (the greater one when two share its instant).
    var lagSeconds: Double?

    mutating func acknowledge(at instant: Date, lagSeconds lag: Double) {
        if let current = acknowledgedAt, current < instant || (current == instant && (lagSeconds ?? 0) >= lag) { return }
        acknowledgedAt = instant
        lagSeconds = lag
    }

    /// When the publication first reached the dealer, as far as known.
    var startedAt: Date? { [deliveredAt, acknowledgedAt].compactMap { $0 }.min() }
}

// MARK: - Query and report

/// Which slice of sales to count.
public struct SalesQuery: Sendable, Equatable {
    /// The period `[from, to)`, on each figure's own instant or day: an order's placement,
    /// cancellation or complete shipment, a payment's day, a shop report's day, a delivery's start.
    /// A plan target counts when its month (or quarter) meets the period. Nil ends are open.
    public var from: Date?
    public var to: Date?
    /// The instant the figures are seen at: only facts stamped at or before it count. Nil: everything known.
    public var asOf: Date?
    /// Money figures in this currency only (orders and payments by their currency, shop reports by theirs).
    public var currency: String?
    /// Dealer figures of this dealer only (orders and payments are not a dealer's).
    public var dealer: String?

    public init(from: Date? = nil, to: Date? = nil, asOf: Date? = nil, currency: String? = nil, dealer: String? = nil) {
        self.from = from
        self.to = to
        self.asOf = asOf
        self.currency = currency
        self.dealer = dealer
    }
}

/// The sales figures for one query.
public struct SalesPlanReport: Codable, Sendable, Equatable {
    /// Buyer orders and payments of one currency in one month.
    public struct CurrencyMonth: Codable, Sendable, Equatable {
        public var currency: String
        /// `YYYY-MM`, UTC.
        public var month: String
        /// Orders placed in the month, at their deal's total.
        public var ordered: Decimal
        /// Orders cancelled in the month.
        public var cancelled: Decimal
        /// Orders whose shipment completed in the month.
        public var shipped: Decimal
        /// Payments of days in the month.
        public var paid: Decimal

        public init(currency: String, month: String, ordered: Decimal = 0, cancelled: Decimal = 0, shipped: Decimal = 0, paid: Decimal = 0) {
            self.currency = currency
            self.month = month
            self.ordered = ordered
            self.cancelled = cancelled
            self.shipped = shipped
            self.paid = paid
        }
    }

    /// A dealer's retail figures from its shops' reports (latest versions) over a month or a
    /// quarter, with the plan's `revenue` target of that period. A dealer reporting in several
    /// currencies has a row per currency, each compared with the target (targets carry none).
    public struct DealerPeriod: Codable, Sendable, Equatable {
        public var dealer: String
        /// The reports' currency; for a row with a target and no reports, the currency of the
        /// dealer's latest report (nil when it has none).
        public var currency: String?
        /// `YYYY-MM` or `YYYY-Qn`.
        public var period: String
        /// The months whose reports are summed, sorted (for a quarter, its months inside the
        /// query's period that have reports); empty for a row that has only a target.
        public var months: [String]
        public var sales: Decimal
        public var returns: Decimal
        public var net: Decimal
        /// The `revenue` target published for the period by then; nil when none.
        public var target: Decimal?
        /// `net` of `target` in percent, rounded half-up to 0.1; nil without a (positive) target.
        public var achievedPercent: Decimal?

        public init(
            dealer: String, currency: String?, period: String, months: [String], sales: Decimal = 0, returns: Decimal = 0, net: Decimal = 0,
            target: Decimal? = nil, achievedPercent: Decimal? = nil
        ) {
            self.dealer = dealer
            self.currency = currency
            self.period = period
            self.months = months
            self.sales = sales
            self.returns = returns
            self.net = net
            self.target = target
            self.achievedPercent = achievedPercent
        }
    }

    /// How a dealer answered the publications that reached it.
    public struct DealerAcknowledgements: Codable, Sendable, Equatable {
        public var dealer: String
        /// Publications it sent a receipt for by then (applied or rejected).
        public var acknowledged: Int
        /// Publications it took from its feed and had not answered by then.
        public var pending: Int
        /// Nearest-rank median and maximum of the first receipts' lags (release → receipt), whole seconds.
        public var lagP50Seconds: Int?
        public var lagMaxSeconds: Int?

        public init(dealer: String, acknowledged: Int, pending: Int, lagP50Seconds: Int?, lagMaxSeconds: Int?) {
            self.dealer = dealer
            self.acknowledged = acknowledged
            self.pending = pending
            self.lagP50Seconds = lagP50Seconds
            self.lagMaxSeconds = lagMaxSeconds
        }
    }

    /// Sorted by currency, then month.
    public var byCurrency: [CurrencyMonth]
    /// Orders placed in the period whose deal had no total stated by then: in no amount above
    /// (their currency unknown, the currency filter cannot leave them out).
    public var unpricedOrders: Int
    /// Per dealer and month; sorted by dealer, currency, month.
    public var dealerMonths: [DealerPeriod]
    /// Per dealer and quarter of the months above (and of quarterly targets); sorted like `dealerMonths`.
    public var dealerQuarters: [DealerPeriod]
    /// Sorted by dealer.
    public var acknowledgements: [DealerAcknowledgements]

    public init(
        byCurrency: [CurrencyMonth] = [], unpricedOrders: Int = 0, dealerMonths: [DealerPeriod] = [], dealerQuarters: [DealerPeriod] = [],
        acknowledgements: [DealerAcknowledgements] = []
    ) {
        self.byCurrency = byCurrency
        self.unpricedOrders = unpricedOrders
        self.dealerMonths = dealerMonths
        self.dealerQuarters = dealerQuarters
        self.acknowledgements = acknowledgements
    }
}

// MARK: - Model

/// Sales and plans: per-entity facts fed by events in any order, any number of times.
public struct SalesModel: Sendable, Equatable {
    /// The plan metric compared with shops' net sales.
    public static let revenueMetric = "revenue"

    var deals: [UUID: SalesDealFacts] = [:]
    var orders: [UUID: SalesOrderFacts] = [:]
    var payments: [PaymentKey: PaymentFacts] = [:]
    var shopDays: [ShopDayKey: ShopDayFacts] = [:]
    var targets: [PlanTargetKey: LatestWins<Decimal>] = [:]
    var deliveries: [DeliveryKey: DeliveryFacts] = [:]

    public init() {}

    /// Folds one event in; other types are ignored. `occurredAt` is the envelope's, used where the
    /// payload has no instant of its own.
    public mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        switch payload {
        case let event as DealOpened:
            if let total = event.total { deals[event.dealId, default: SalesDealFacts()].total.record(total, at: event.openedAt) }
        case let event as DealStageChanged:
            if let total = event.total { deals[event.dealId, default: SalesDealFacts()].total.record(total, at: event.changedAt) }
        case let event as DealClosed:
            if let total = event.total { deals[event.dealId, default: SalesDealFacts()].total.record(total, at: event.closedAt) }
        case let event as BuyerOrderPlaced:
            update(order: event.orderId) { order in
                order.deal.record(event.dealId, at: event.placedAt)
                order.placedAt = earliest(order.placedAt, event.placedAt)
            }
        case let event as BuyerOrderCancelled:
            update(order: event.orderId) { order in
                order.deal.record(event.dealId, at: event.cancelledAt)
                order.cancelledAt = earliest(order.cancelledAt, event.cancelledAt)
            }
        case let event as Shipped:
            update(order: event.orderId) { order in
                order.deal.record(event.dealId, at: event.shippedAt)
                if event.orderComplete { order.shippedAt = earliest(order.shippedAt, event.shippedAt) }
            }
        case let event as PaymentReceived:
            let key = PaymentKey(dealId: event.dealId, reference: event.reference)
            payments[key, default: PaymentFacts()].amount.record(event.amount, at: occurredAt)
            payments[key, default: PaymentFacts()].paidOn.record(event.paidOn, at: occurredAt)
        case let event as DealerSalesReported:
            shopDays[ShopDayKey(shop: event.shopCode, day: event.day), default: ShopDayFacts()].record(event)
        case let event as PublicationReleased:
            for target in event.targets ?? [] {
                let key = PlanTargetKey(dealer: target.dealerCode, period: target.period, metric: target.metric)
                targets[key, default: LatestWins<Decimal>()].record(target.target, at: event.publishedAt)
            }
        case let event as PublicationDelivered:
            let key = DeliveryKey(publicationId: event.publicationId, dealer: event.dealerCode)
            var facts = deliveries[key] ?? DeliveryFacts()
            facts.deliveredAt = earliest(facts.deliveredAt, event.deliveredAt)
            deliveries[key] = facts
        case let event as PublicationAcknowledged:
            let key = DeliveryKey(publicationId: event.publicationId, dealer: event.dealerCode)
            deliveries[key, default: DeliveryFacts()].acknowledge(at: event.acknowledgedAt, lagSeconds: event.lagSeconds)
        default:
            break
        }
    }

    private mutating func update(order id: UUID, _ change: (inout SalesOrderFacts) -> Void) {
        change(&orders[id, default: SalesOrderFacts()])
    }

    // MARK: - Reading

    /// An order as the query sees it: its amount (nil when unknown) and the months of what
    /// happened to it within the period by then.
    struct OrderView {
        var id: UUID
        var amount: Money?
        var placed: String?
        var cancelled: String?
        var shipped: String?
    }

    /// A payment as the query sees it.
    struct PaymentView {
        var key: PaymentKey
        var amount: Money
        var month: String
    }

    /// A shop's day as the query sees it (its highest version reported by then).
    struct ShopDayView {
        var key: ShopDayKey
        var month: String
        var report: ShopReportVersion
    }

    /// A publication as one dealer handled it, by then.
    struct DeliveryView {
        var key: DeliveryKey
        var acknowledged: Bool
        var lagSeconds: Int?
    }

    /// An order's amount as of `limit`: its deal's total as of its placement, or the latest known
    /// when none was stated by then.
    func amount(of order: SalesOrderFacts, asOf limit: Date?) -> Money? {
        guard let dealId = order.deal.value(asOf: limit), let deal = deals[dealId] else { return nil }
        if let placedAt = order.placedAt, known(placedAt, asOf: limit), let atPlacement = deal.total.value(asOf: placedAt) {
            return atPlacement
        }
        return deal.total.value(asOf: limit)
    }

    func orderViews(_ query: SalesQuery) -> [OrderView] {
        let limit = query.asOf
        func month(_ instant: Date?) -> String? {
            guard let instant, known(instant, asOf: limit), query.inPeriod(instant) else { return nil }
            return UTCPeriods.month(of: instant)
        }
        return orders.compactMap { id, order in
            let view = OrderView(
                id: id, amount: amount(of: order, asOf: limit), placed: month(order.placedAt), cancelled: month(order.cancelledAt),
                shipped: month(order.shippedAt))
            guard view.placed != nil || view.cancelled != nil || view.shipped != nil else { return nil }
            if let wanted = query.currency, let amount = view.amount, amount.currency != wanted { return nil }
            return view
        }
    }

    func paymentViews(_ query: SalesQuery) -> [PaymentView] {
        payments.compactMap { key, payment in
            guard let amount = payment.amount.value(asOf: query.asOf), let day = payment.paidOn.value(asOf: query.asOf),
                  let start = UTCPeriods.start(ofDay: day), query.inPeriod(start) else { return nil }
            if let wanted = query.currency, amount.currency != wanted { return nil }
            return PaymentView(key: key, amount: amount, month: String(day.prefix(7)))
        }
    }

    /// Shop days in the period, of the dealer; `currency` filters unless `anyCurrency`.
    func shopDayViews(_ query: SalesQuery, anyCurrency: Bool = false) -> [ShopDayView] {
        shopDays.compactMap { key, facts in
            guard let (_, report) = facts.current(asOf: query.asOf), let start = UTCPeriods.start(ofDay: key.day),
                  query.inPeriod(start), let month = UTCPeriods.month(ofDay: key.day) else { return nil }
            if let wanted = query.dealer, report.dealerCode != wanted { return nil }
            if !anyCurrency, let wanted = query.currency, report.currency != wanted { return nil }
            return ShopDayView(key: key, month: month, report: report)
        }
    }

    func deliveryViews(_ query: SalesQuery) -> [DeliveryView] {
        deliveries.compactMap { key, facts in
            guard let start = facts.startedAt, known(start, asOf: query.asOf), query.inPeriod(start) else { return nil }
            if let wanted = query.dealer, key.dealer != wanted { return nil }
            let acknowledged = known(facts.acknowledgedAt, asOf: query.asOf)
            return DeliveryView(
                key: key, acknowledged: acknowledged,
                lagSeconds: acknowledged ? facts.lagSeconds.map { Int(max(0, $0).rounded(.down)) } : nil)
        }
    }

    /// The currency of the dealer's latest report by `limit` (any day; the greater code on a tie).
    func currency(ofDealer dealer: String, asOf limit: Date?) -> String? {
        var best: ShopReportVersion?
        for facts in shopDays.values {
            guard let (_, report) = facts.current(asOf: limit), report.dealerCode == dealer else { continue }
            if best.map({ report.reportedAt > $0.reportedAt || (report.reportedAt == $0.reportedAt && report.currency > $0.currency) }) ?? true {
                best = report
            }
        }
        return best?.currency
    }

    /// The `revenue` targets published by `limit`, of the dealer: (dealer, period) → target.
    func revenueTargets(_ query: SalesQuery) -> [PlanTargetKey: Decimal] {
        var found: [PlanTargetKey: Decimal] = [:]
        for (key, target) in targets where key.metric == Self.revenueMetric {
            if let wanted = query.dealer, key.dealer != wanted { continue }
            if let value = target.value(asOf: query.asOf) { found[key] = value }
        }
        return found
    }

    /// The sales figures for `query`.
    public func report(_ query: SalesQuery) -> SalesPlanReport {
        var report = SalesPlanReport()

        struct MoneyKey: Hashable {
            var currency: String
            var month: String
        }
        var money: [MoneyKey: SalesPlanReport.CurrencyMonth] = [:]
        func add(_ amount: Money, _ month: String, _ change: (inout SalesPlanReport.CurrencyMonth) -> Void) {
            let key = MoneyKey(currency: amount.currency, month: month)
            change(&money[key, default: SalesPlanReport.CurrencyMonth(currency: amount.currency, month: month)])
        }
        for order in orderViews(query) {
            guard let amount = order.amount else {
                if order.placed != nil { report.unpricedOrders += 1 }
                continue
            }
            if let month = order.placed { add(amount, month) { $0.ordered += amount.amount } }
            if let month = order.cancelled { add(amount, month) { $0.cancelled += amount.amount } }
            if let month = order.shipped { add(amount, month) { $0.shipped += amount.amount } }
        }
        for payment in paymentViews(query) {
            add(payment.amount, payment.month) { $0.paid += payment.amount.amount }
        }
        report.byCurrency = money.values.sorted { ($0.currency, $0.month) < ($1.currency, $1.month) }

        let sums = monthlySums(query)
        report.dealerMonths = dealerMonths(query, sums: sums)
        report.dealerQuarters = dealerQuarters(query, sums: sums)

        var byDealer: [String: (acknowledged: Int, pending: Int, lags: [Int])] = [:]
        for delivery in deliveryViews(query) {
            var tally = byDealer[delivery.key.dealer] ?? (0, 0, [])
            if delivery.acknowledged {
                tally.acknowledged += 1
                if let lag = delivery.lagSeconds { tally.lags.append(lag) }
            } else {
                tally.pending += 1
            }
            byDealer[delivery.key.dealer] = tally
        }
        report.acknowledgements = byDealer.map { dealer, tally in
            let lags = tally.lags.sorted()
            return SalesPlanReport.DealerAcknowledgements(
                dealer: dealer, acknowledged: tally.acknowledged, pending: tally.pending,
                lagP50Seconds: TimelinessReport.Durations.nearestRank(50, of: lags), lagMaxSeconds: lags.last)
        }
        .sorted { $0.dealer < $1.dealer }
        return report
    }

    private struct DealerRowKey: Hashable, Comparable {
        var dealer: String
        var currency: String?
        var period: String

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.dealer, lhs.currency ?? "", lhs.period) < (rhs.dealer, rhs.currency ?? "", rhs.period)
        }
    }

    /// Whether a row of `currency` passes the query's currency filter.
    private func wanted(_ currency: String?, _ query: SalesQuery) -> Bool {
        query.currency.map { $0 == currency } ?? true
    }

    /// The shop reports' sums per dealer, currency and month.
    private func monthlySums(_ query: SalesQuery) -> [DealerRowKey: SalesPlanReport.DealerPeriod] {
        var rows: [DealerRowKey: SalesPlanReport.DealerPeriod] = [:]
        for day in shopDayViews(query) {
            let report = day.report
            let key = DealerRowKey(dealer: report.dealerCode, currency: report.currency, period: day.month)
            var row = rows[key] ?? SalesPlanReport.DealerPeriod(dealer: key.dealer, currency: key.currency, period: key.period, months: [key.period])
            row.sales += report.sales
            row.returns += report.returns
            row.net += report.net
            rows[key] = row
        }
        return rows
    }

    /// `rows` with the `revenue` targets of their periods, and a row (in the dealer's currency) for
    /// every target of a period that meets the query's and has none; sorted, with achievement.
    /// `months` gives a target period's months, nil when the target is not of this kind of period.
    private func withTargets(
        _ rows: [DealerRowKey: SalesPlanReport.DealerPeriod], _ query: SalesQuery, months: (String) -> [String]?
    ) -> [SalesPlanReport.DealerPeriod] {
        var rows = rows
        for (key, target) in revenueTargets(query) {
            guard let periodMonths = months(key.period), let first = periodMonths.first, let last = periodMonths.last,
                  UTCPeriods.months(first, through: last, overlapFrom: query.from, to: query.to) else { continue }
            let matching = rows.keys.filter { $0.dealer == key.dealer && $0.period == key.period }
            if matching.isEmpty {
                let currency = currency(ofDealer: key.dealer, asOf: query.asOf)
                guard wanted(currency, query) else { continue }
                let row = DealerRowKey(dealer: key.dealer, currency: currency, period: key.period)
                rows[row] = SalesPlanReport.DealerPeriod(dealer: key.dealer, currency: currency, period: key.period, months: [], target: target)
            } else {
                for row in matching { rows[row]?.target = target }
            }
        }
        return rows.sorted { $0.key < $1.key }.map { _, row in
            var row = row
            row.months.sort()
            row.achievedPercent = row.target.flatMap { roundedPercent(row.net, of: $0) }
            return row
        }
    }

    private func dealerMonths(_ query: SalesQuery, sums: [DealerRowKey: SalesPlanReport.DealerPeriod]) -> [SalesPlanReport.DealerPeriod] {
        withTargets(sums, query) { UTCPeriods.start(ofMonth: $0) != nil ? [$0] : nil }
    }

    private func dealerQuarters(_ query: SalesQuery, sums: [DealerRowKey: SalesPlanReport.DealerPeriod]) -> [SalesPlanReport.DealerPeriod] {
        var rows: [DealerRowKey: SalesPlanReport.DealerPeriod] = [:]
        for month in sums.values {
            guard let quarter = UTCPeriods.quarter(ofMonth: month.period) else { continue }
            let key = DealerRowKey(dealer: month.dealer, currency: month.currency, period: quarter)
            var row = rows[key] ?? SalesPlanReport.DealerPeriod(dealer: key.dealer, currency: key.currency, period: quarter, months: [])
            row.months.append(month.period)
            row.sales += month.sales
            row.returns += month.returns
            row.net += month.net
            rows[key] = row
        }
        return withTargets(rows, query) { UTCPeriods.months(ofQuarter: $0) }
    }

    /// The ids behind one figure of `report(query)`, sorted. `figure` is one of
    /// - `ordered`, `cancelled`, `shipped` (`:<currency>` and `:<month>` narrow it): order ids;
    /// - `unpriced`: ids of orders placed in the period whose deal has no total;
    /// - `paid` (`:<currency>:<month>` likewise): `<deal id>/<reference>` of payments;
    /// - `reports` (`:<dealer>` and `:<month>` or `:<quarter>` narrow it): `<shop>/<day>/v<version>` of the shop reports counted;
    /// - `acknowledged`, `pending` (`:<dealer>` narrows it): `<dealer>/<publication id>`.
    /// Anything else has no ids.
    public func drillDown(_ query: SalesQuery, figure: String) -> [String] {
        let parts = figure.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        let first = parts.count > 1 ? parts[1] : nil
        let second = parts.count > 2 ? parts[2] : nil
        func matches(_ amount: Money?, _ month: String?) -> Bool {
            guard let month else { return false }
            if let first, amount?.currency != first { return false }
            if let second, month != second { return false }
            return true
        }
        var ids: [String]
        switch name {
        case "ordered", "cancelled", "shipped":
            ids = orderViews(query).filter { order in
                guard order.amount != nil else { return false }
                let month = name == "ordered" ? order.placed : name == "cancelled" ? order.cancelled : order.shipped
                return matches(order.amount, month)
            }.map(\.id.uuidString)
        case "unpriced":
            ids = orderViews(query).filter { $0.amount == nil && $0.placed != nil }.map(\.id.uuidString)
        case "paid":
            ids = paymentViews(query).filter { matches($0.amount, $0.month) }.map { "\($0.key.dealId.uuidString)/\($0.key.reference)" }
        case "reports":
            ids = shopDayViews(query).filter { day in
                if let first, day.report.dealerCode != first { return false }
                if let second, day.month != second, UTCPeriods.quarter(ofMonth: day.month) != second { return false }
                return true
            }.compactMap { day in
                shopDays[day.key]?.current(asOf: query.asOf).map { "\(day.key.shop)/\(day.key.day)/v\($0.version)" }
            }
        case "acknowledged", "pending":
            ids = deliveryViews(query).filter { delivery in
                if let first, delivery.key.dealer != first { return false }
                return delivery.acknowledged == (name == "acknowledged")
            }.map { "\($0.key.dealer)/\($0.key.publicationId.uuidString)" }
        default:
            ids = []
        }
        return ids.sorted()
    }
}
