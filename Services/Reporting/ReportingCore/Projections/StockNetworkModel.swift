import Contracts
import Foundation

// The stock and network read model: stock levels per product and warehouse, lots about to expire,
// anomalies flagged in shops' reports, and ABC turnover classes of products (by quantity shipped)
// and of shops (by net sales).
//
// It follows the funnel's approach (see FunnelModel.swift and Facts.swift): events arrive out of order and more
// than once, so every fact is updated by a commutative, associative and idempotent operation, and
// a report reads the model "as of T":
//
// - a product's level in a warehouse is latest-wins by `changedAt`; a lot's expiry and stock are
//   latest-wins by `detectedAt`;
// - an anomaly is one per (report, kind, receipt, SKU), flagged at its earliest instant;
// - a shipment is one per shipment id, its lines a set;
// - a shop's day keeps every version it was reported in (as the sales model does).
//
// A query without `asOf` is read as of the latest instant the model has seen (it has no clock of
// its own): that is where "expiring within N days" counts from.

// MARK: - ABC

/// An ABC class: A the few items making up most of the total, C the long tail.
public enum ABCClass: String, Codable, Sendable, Comparable {
    case a = "A"
    case b = "B"
    case c = "C"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One item of an ABC classification.
public struct ABCItem: Codable, Sendable, Equatable {
    public var key: String
    public var value: Decimal
    /// The running share of the total up to and including this item, in percent rounded half-up
    /// to 0.1; nil when the item does not count (a value at or below zero) or the total is zero.
    public var cumulativePercent: Decimal?
    public var abcClass: ABCClass

    public init(key: String, value: Decimal, cumulativePercent: Decimal?, abcClass: ABCClass) {
        self.key = key
        self.value = value
        self.cumulativePercent = cumulativePercent
        self.abcClass = abcClass
    }
}

/// ABC classification, a pure function of the values.
public enum ABCAnalysis {
    /// Where class A ends and where class B ends, in percent of the total.
    public static let aLimit: Decimal = 80
    public static let bLimit: Decimal = 95

    /// Sorts `values` descending (ties by key) and classes them: A while the total before an item
    /// is under 80 % (so the item that reaches or crosses 80 % is A), B while under 95 %, C the
    /// rest. Items of value zero (or below) are C and count nothing towards the total; when
    /// nothing is positive, everything is C. Exact decimal arithmetic: no rounding decides a class.
    public static func classify(_ values: [String: Decimal]) -> [ABCItem] {
        let sorted = values.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let total = sorted.reduce(Decimal(0)) { $0 + max($1.value, 0) }
        var before = Decimal(0)
        return sorted.map { key, value in
            guard value > 0, total > 0 else { return ABCItem(key: key, value: value, cumulativePercent: nil, abcClass: .c) }
            let share = before * 100
            let abcClass: ABCClass = share < aLimit * total ? .a : share < bLimit * total ? .b : .c
            before += value
            return ABCItem(key: key, value: value, cumulativePercent: roundedPercent(before, of: total), abcClass: abcClass)
        }
    }
}

// MARK: - Facts

/// A product's level in one warehouse.
struct StockLevel: LatestWinsValue {
    var onHand: Decimal
    var reserved: Decimal
    var available: Decimal

    var tieBreak: String { "\(onHand)|\(reserved)|\(available)" }
}

struct StockKey: Sendable, Hashable {
    var sku: String
    var warehouse: String
}

/// A lot's expiry and what is on hand of it.
struct LotState: LatestWinsValue {
    var expiresOn: String
    var onHand: Decimal

    var tieBreak: String { "\(expiresOn)|\(onHand)" }
}

struct LotKey: Sendable, Hashable {
    var sku: String
    var lot: String
}

/// An anomaly counts once per report, kind, receipt and SKU (a report's corrected version keeps its id).
struct AnomalyKey: Sendable, Hashable {
    var reportId: UUID
    var kind: String
    var receipt: String?
    var sku: String?
}

/// Where an anomaly was flagged, and when first.
struct AnomalyFacts: Sendable, Equatable {
    var dealer = LatestWins<String>()
    var shop = LatestWins<String>()
    var day = LatestWins<String>()
    var flaggedAt: Date?
}

/// One shipped line, as a set member.
struct ShipmentLine: Sendable, Hashable {
    var lineId: UUID
    var sku: String
    var warehouse: String
    var lot: String?
    var quantity: Decimal
}

/// What the model knows about one shipment.
struct ShipmentFacts: Sendable, Equatable {
    var shippedAt: Date?
    var lines = Set<ShipmentLine>()
}

// MARK: - Query and report

/// Which slice of stock and network to show.
public struct StockNetworkQuery: Sendable, Equatable {
    /// The period `[from, to)` of turnover: shipments by `shippedAt`, shop reports and anomalies by
    /// their day. Nil ends are open. Stock levels and lots are as of `asOf`, whatever the period.
    public var from: Date?
    public var to: Date?
    /// The instant the figures are seen at: only facts stamped at or before it count. Nil: the
    /// latest instant the model has seen.
    public var asOf: Date?
    /// Lots expiring on or before this many days after `asOf`'s day (expired ones with stock included).
    public var expiringWithinDays: Int
    /// Stock levels and shipped quantities of this warehouse only.
    public var warehouse: String?
    /// Anomalies and shops of this dealer only.
    public var dealer: String?

    public init(
        from: Date? = nil, to: Date? = nil, asOf: Date? = nil, expiringWithinDays: Int = 30, warehouse: String? = nil, dealer: String? = nil
    ) {
        self.from = from
        self.to = to
        self.asOf = asOf
        self.expiringWithinDays = expiringWithinDays
        self.warehouse = warehouse
        self.dealer = dealer
    }

    func inPeriod(day: String) -> Bool {
        guard let start = UTCPeriods.start(ofDay: day) else { return false }
        return inPeriod(start)
    }
}

/// The stock and network figures for one query.
public struct StockNetworkReport: Codable, Sendable, Equatable {
    /// A product's level in one warehouse, as last reported by then.
    public struct WarehouseStock: Codable, Sendable, Equatable {
        public var warehouse: String
        public var onHand: Decimal
        public var reserved: Decimal
        public var available: Decimal

        public init(warehouse: String, onHand: Decimal, reserved: Decimal, available: Decimal) {
            self.warehouse = warehouse
            self.onHand = onHand
            self.reserved = reserved
            self.available = available
        }
    }

    /// A product's levels summed over its warehouses, and per warehouse (sorted by warehouse).
    public struct ProductStock: Codable, Sendable, Equatable {
        public var sku: String
        public var onHand: Decimal
        public var reserved: Decimal
        public var available: Decimal
        public var warehouses: [WarehouseStock]

        public init(sku: String, onHand: Decimal, reserved: Decimal, available: Decimal, warehouses: [WarehouseStock]) {
            self.sku = sku
            self.onHand = onHand
            self.reserved = reserved
            self.available = available
            self.warehouses = warehouses
        }
    }

    /// A lot with stock that expires soon (or has expired: `daysLeft` below zero).
    public struct ExpiringLot: Codable, Sendable, Equatable {
        public var sku: String
        public var lot: String
        public var expiresOn: String
        /// Days from the query's day (UTC) to the expiry day.
        public var daysLeft: Int
        public var onHand: Decimal

        public init(sku: String, lot: String, expiresOn: String, daysLeft: Int, onHand: Decimal) {
            self.sku = sku
            self.lot = lot
            self.expiresOn = expiresOn
            self.daysLeft = daysLeft
            self.onHand = onHand
        }
    }

    /// Anomalies of one kind in one shop's reports.
    public struct AnomalyCount: Codable, Sendable, Equatable {
        public var dealer: String
        public var shop: String
        public var kind: String
        public var count: Int

        public init(dealer: String, shop: String, kind: String, count: Int) {
            self.dealer = dealer
            self.shop = shop
            self.kind = kind
            self.count = count
        }
    }

    /// Sorted by SKU.
    public var stock: [ProductStock]
    /// Sorted by expiry day, then SKU and lot.
    public var expiringLots: [ExpiringLot]
    /// Sorted by dealer, shop, kind.
    public var anomalies: [AnomalyCount]
    /// Products by quantity shipped in the period: every product known by then (stocked or ever
    /// shipped, of the warehouse), at zero when none was shipped in the period.
    public var productClasses: [ABCItem]
    /// Per currency: shops by net sales in the period (every shop known in that currency).
    public var shopClasses: [String: [ABCItem]]

    public init(
        stock: [ProductStock] = [], expiringLots: [ExpiringLot] = [], anomalies: [AnomalyCount] = [], productClasses: [ABCItem] = [],
        shopClasses: [String: [ABCItem]] = [:]
    ) {
        self.stock = stock
        self.expiringLots = expiringLots
        self.anomalies = anomalies
        self.productClasses = productClasses
        self.shopClasses = shopClasses
    }
}

// MARK: - Model

/// Stock and network: per-entity facts fed by events in any order, any number of times.
public struct StockNetworkModel: Sendable, Equatable {
    var stock: [StockKey: LatestWins<StockLevel>] = [:]
    var lots: [LotKey: LatestWins<LotState>] = [:]
    var anomalies: [AnomalyKey: AnomalyFacts] = [:]
    var shipments: [UUID: ShipmentFacts] = [:]
    var shopDays: [ShopDayKey: ShopDayFacts] = [:]
    /// The latest instant of any event taken in: what a query without `asOf` is read as of.
    var latestKnown: Date?

    public init() {}

    /// Folds one event in; other types are ignored.
    public mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        switch payload {
        case let event as StockLevelChanged:
            note(occurredAt, event.changedAt)
            let level = StockLevel(onHand: event.onHand, reserved: event.reserved, available: event.available)
            stock[StockKey(sku: event.sku, warehouse: event.warehouse), default: LatestWins<StockLevel>()].record(level, at: event.changedAt)
        case let event as LotExpiringSoon:
            note(occurredAt, event.detectedAt)
            let state = LotState(expiresOn: event.expiresOn, onHand: event.onHand)
            lots[LotKey(sku: event.sku, lot: event.lot), default: LatestWins<LotState>()].record(state, at: event.detectedAt)
        case let event as DealerAnomalyFlagged:
            note(occurredAt, event.flaggedAt)
            let key = AnomalyKey(reportId: event.reportId, kind: event.kind, receipt: event.receipt, sku: event.sku)
            var facts = anomalies[key] ?? AnomalyFacts()
            facts.dealer.record(event.dealerCode, at: event.flaggedAt)
            facts.shop.record(event.shopCode, at: event.flaggedAt)
            facts.day.record(event.day, at: event.flaggedAt)
            facts.flaggedAt = earliest(facts.flaggedAt, event.flaggedAt)
            anomalies[key] = facts
        case let event as Shipped:
            note(occurredAt, event.shippedAt)
            var facts = shipments[event.shipmentId] ?? ShipmentFacts()
            facts.shippedAt = earliest(facts.shippedAt, event.shippedAt)
            for line in event.lines {
                facts.lines.insert(ShipmentLine(lineId: line.lineId, sku: line.sku, warehouse: line.warehouse, lot: line.lot, quantity: line.quantity))
            }
            shipments[event.shipmentId] = facts
        case let event as DealerSalesReported:
            note(occurredAt, event.reportedAt)
            shopDays[ShopDayKey(shop: event.shopCode, day: event.day), default: ShopDayFacts()].record(event)
        default:
            break
        }
    }

    private mutating func note(_ instants: Date...) {
        for instant in instants { latestKnown = latest(latestKnown, instant) }
    }

    // MARK: - Reading

    /// An anomaly as the query sees it.
    struct AnomalyView {
        var key: AnomalyKey
        var dealer: String
        var shop: String
    }

    /// The anomalies flagged by `limit`, of days in the period, of the dealer.
    func anomalyViews(_ query: StockNetworkQuery, asOf limit: Date) -> [AnomalyView] {
        anomalies.compactMap { key, facts in
            guard known(facts.flaggedAt, asOf: limit), let day = facts.day.value(asOf: limit), query.inPeriod(day: day),
                  let dealer = facts.dealer.value(asOf: limit), let shop = facts.shop.value(asOf: limit) else { return nil }
            if let wanted = query.dealer, dealer != wanted { return nil }
            return AnomalyView(key: key, dealer: dealer, shop: shop)
        }
    }

    /// Quantity shipped per SKU in the period by `limit` (of the warehouse), with the shipments behind it.
    func shipped(_ query: StockNetworkQuery, asOf limit: Date) -> [String: (quantity: Decimal, shipments: Set<UUID>)] {
        var bySku: [String: (quantity: Decimal, shipments: Set<UUID>)] = [:]
        for (id, shipment) in shipments {
            guard let shippedAt = shipment.shippedAt, known(shippedAt, asOf: limit), query.inPeriod(shippedAt) else { continue }
            for line in shipment.lines {
                if let wanted = query.warehouse, line.warehouse != wanted { continue }
                bySku[line.sku, default: (0, [])].quantity += line.quantity
                bySku[line.sku, default: (0, [])].shipments.insert(id)
            }
        }
        return bySku
    }

    /// Per currency and shop: net sales of the shop's days in the period (latest versions by
    /// `limit`), with the days counted. Every shop of the dealer reported by then is there, at zero
    /// when none of its days is in the period (in the currency of its latest report).
    func shopNet(_ query: StockNetworkQuery, asOf limit: Date) -> [String: [String: (net: Decimal, days: [String])]] {
        var result: [String: [String: (net: Decimal, days: [String])]] = [:]
        var latestCurrency: [String: ShopReportVersion] = [:]
        for (key, facts) in shopDays {
            guard let (_, report) = facts.current(asOf: limit) else { continue }
            if let wanted = query.dealer, report.dealerCode != wanted { continue }
            if latestCurrency[key.shop].map({ report.supersedes($0) }) ?? true { latestCurrency[key.shop] = report }
            guard query.inPeriod(day: key.day) else { continue }
            result[report.currency, default: [:]][key.shop, default: (0, [])].net += report.net
            result[report.currency, default: [:]][key.shop, default: (0, [])].days.append(key.day)
        }
        for (shop, report) in latestCurrency where !result.values.contains(where: { $0[shop] != nil }) {
            result[report.currency, default: [:]][shop] = (0, [])
        }
        return result
    }

    /// The stock and network figures for `query`.
    public func report(_ query: StockNetworkQuery) -> StockNetworkReport {
        guard let limit = query.asOf ?? latestKnown else { return StockNetworkReport() }
        var report = StockNetworkReport()

        var bySku: [String: [StockNetworkReport.WarehouseStock]] = [:]
        for (key, levels) in stock {
            if let wanted = query.warehouse, key.warehouse != wanted { continue }
            guard let level = levels.value(asOf: limit) else { continue }
            bySku[key.sku, default: []].append(StockNetworkReport.WarehouseStock(
                warehouse: key.warehouse, onHand: level.onHand, reserved: level.reserved, available: level.available))
        }
        report.stock = bySku.map { sku, warehouses in
            StockNetworkReport.ProductStock(
                sku: sku, onHand: warehouses.reduce(0) { $0 + $1.onHand }, reserved: warehouses.reduce(0) { $0 + $1.reserved },
                available: warehouses.reduce(0) { $0 + $1.available }, warehouses: warehouses.sorted { $0.warehouse < $1.warehouse })
        }
        .sorted { $0.sku < $1.sku }

        report.expiringLots = expiringLots(query, asOf: limit)

        var counts: [[String]: Int] = [:]
        for anomaly in anomalyViews(query, asOf: limit) { counts[[anomaly.dealer, anomaly.shop, anomaly.key.kind], default: 0] += 1 }
        report.anomalies = counts
            .map { StockNetworkReport.AnomalyCount(dealer: $0.key[0], shop: $0.key[1], kind: $0.key[2], count: $0.value) }
            .sorted { ($0.dealer, $0.shop, $0.kind) < ($1.dealer, $1.shop, $1.kind) }

        // Every product known by then is classed: shipped in the period, stocked, or shipped at another time.
        var quantities = shipped(query, asOf: limit).mapValues(\.quantity)
        var knownSkus = Set(bySku.keys)
        for shipment in shipments.values where known(shipment.shippedAt, asOf: limit) {
            for line in shipment.lines where query.warehouse.map({ $0 == line.warehouse }) ?? true { knownSkus.insert(line.sku) }
        }
        for sku in knownSkus where quantities[sku] == nil { quantities[sku] = 0 }
        report.productClasses = ABCAnalysis.classify(quantities)
        report.shopClasses = shopNet(query, asOf: limit).mapValues { ABCAnalysis.classify($0.mapValues(\.net)) }
        return report
    }

    /// Lots with stock expiring within the query's days of `limit`'s day, soonest first.
    private func expiringLots(_ query: StockNetworkQuery, asOf limit: Date) -> [StockNetworkReport.ExpiringLot] {
        guard let today = UTCPeriods.start(ofDay: UTCPeriods.day(of: limit)) else { return [] }
        return lots.compactMap { key, states -> StockNetworkReport.ExpiringLot? in
            guard let state = states.value(asOf: limit), state.onHand > 0, let expiry = UTCPeriods.start(ofDay: state.expiresOn) else { return nil }
            let daysLeft = Int((expiry.timeIntervalSince(today) / 86_400).rounded())
            guard daysLeft <= query.expiringWithinDays else { return nil }
            return StockNetworkReport.ExpiringLot(sku: key.sku, lot: key.lot, expiresOn: state.expiresOn, daysLeft: daysLeft, onHand: state.onHand)
        }
        .sorted { ($0.expiresOn, $0.sku, $0.lot) < ($1.expiresOn, $1.sku, $1.lot) }
    }

    /// The ids behind one figure of `report(query)`, sorted. `figure` is one of
    /// - `anomalies` (`:<shop>` and `:<kind>` narrow it): `<report id>/<kind>/<receipt>/<sku>` of the anomalies counted;
    /// - `shipped:<sku>`: the ids of the shipments behind the product's shipped quantity;
    /// - `shop:<shop>`: the days (`YYYY-MM-DD`) behind the shop's net sales;
    /// - `expiring`: `<sku>/<lot>` of the lots listed.
    /// Anything else has no ids.
    public func drillDown(_ query: StockNetworkQuery, figure: String) -> [String] {
        guard let limit = query.asOf ?? latestKnown else { return [] }
        let parts = figure.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let first = parts.count > 1 ? parts[1] : nil
        let second = parts.count > 2 ? parts[2] : nil
        var ids: [String]
        switch parts[0] {
        case "anomalies":
            ids = anomalyViews(query, asOf: limit).filter { anomaly in
                (first.map { $0 == anomaly.shop } ?? true) && (second.map { $0 == anomaly.key.kind } ?? true)
            }.map { "\($0.key.reportId.uuidString)/\($0.key.kind)/\($0.key.receipt ?? "")/\($0.key.sku ?? "")" }
        case "shipped":
            guard let first else { return [] }
            ids = (shipped(query, asOf: limit)[first]?.shipments ?? []).map(\.uuidString)
        case "shop":
            guard let first else { return [] }
            ids = shopNet(query, asOf: limit).values.compactMap { $0[first]?.days }.flatMap { $0 }
        case "expiring":
            ids = expiringLots(query, asOf: limit).map { "\($0.sku)/\($0.lot)" }
        default:
            ids = []
        }
        return ids.sorted()
    }
}
