import Foundation

/// How a product is sourced when the warehouse does not have it.
enum Sourcing: String, Codable, Sendable, CaseIterable {
    /// Kept in stock; a shortage is bought from the default supplier if there is one, or waits
    /// for the next receipt (backorder).
    case stocked
    /// Made in-house: a shortage becomes a production order.
    case manufactured
    /// Bought: a shortage becomes a supplier order.
    case purchased
}

/// Stock that might be reserved: one product in one warehouse and lot, with what is available.
struct StockCandidate: Sendable, Equatable {
    var bucketID: Int64
    var warehouse: String
    var lot: String?
    /// ISO date (`YYYY-MM-DD`); nil for goods without a shelf life.
    var expiresOn: String?
    var firstReceivedAt: Date
    var available: Decimal
}

/// A quantity to reserve from one candidate.
struct Allocation: Sendable, Equatable {
    var bucketID: Int64
    var quantity: Decimal
}

/// First expired, first out: which stock an order takes.
enum FEFO {
    /// Expired means the expiry date has passed (`today` is an ISO date). Goods that expire
    /// today may still be reserved today.
    static func isExpired(_ candidate: StockCandidate, today: String) -> Bool {
        guard let expiresOn = candidate.expiresOn else { return false }
        return expiresOn < today
    }

    /// The candidates in the order they are taken: earliest expiry first (goods without a shelf
    /// life last), then the oldest receipt, then the bucket id so the order is total. Expired
    /// lots and empty buckets are left out.
    static func order(_ candidates: [StockCandidate], today: String) -> [StockCandidate] {
        candidates
            .filter { $0.available > 0 && !isExpired($0, today: today) }
            .sorted { a, b in
                switch (a.expiresOn, b.expiresOn) {
                case let (x?, y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default:
                    if a.firstReceivedAt != b.firstReceivedAt { return a.firstReceivedAt < b.firstReceivedAt }
                    return a.bucketID < b.bucketID
                }
            }
    }

    /// Takes up to `quantity` FEFO from the candidates; the sum of the allocations is the
    /// smaller of `quantity` and what is available (unexpired).
    static func allocate(_ quantity: Decimal, from candidates: [StockCandidate], today: String) -> [Allocation] {
        var remaining = quantity
        var allocations: [Allocation] = []
        for candidate in order(candidates, today: today) where remaining > 0 {
            let take = min(remaining, candidate.available)
            allocations.append(Allocation(bucketID: candidate.bucketID, quantity: take))
            remaining -= take
        }
        return allocations
    }
}

/// How one order line is split: reserved now, and the rest by the product's sourcing.
struct LinePlan: Sendable, Equatable {
    var reserve: Decimal = 0
    var produce: Decimal = 0
    var purchase: Decimal = 0
    var backorder: Decimal = 0

    var total: Decimal { reserve + produce + purchase + backorder }
}

enum LineRouting {
    /// Splits a line of `quantity` when `reservable` can be reserved at once: the rest is made,
    /// bought, or (a stocked product with no supplier) waits for stock.
    static func plan(quantity: Decimal, reservable: Decimal, sourcing: Sourcing, hasSupplier: Bool) -> LinePlan {
        var plan = LinePlan()
        plan.reserve = max(0, min(quantity, reservable))
        let rest = quantity - plan.reserve
        guard rest > 0 else { return plan }
        switch sourcing {
        case .manufactured: plan.produce = rest
        case .purchased: plan.purchase = rest
        case .stocked:
            if hasSupplier { plan.purchase = rest } else { plan.backorder = rest }
        }
        return plan
    }
}

/// Where an order line stands, from its reservations, shipments and supply orders.
struct LineProgress: Sendable, Equatable, Codable {
    var quantity: Decimal
    /// Reserved in the warehouse and not yet shipped.
    var reserved: Decimal
    var shipped: Decimal
    /// Being made (production orders not done nor cancelled).
    var inProduction: Decimal
    /// Ordered from a supplier and not yet received.
    var onOrder: Decimal
    var backordered: Decimal

    enum State: String, Codable, Sendable {
        case shipped, partiallyShipped = "partially_shipped", reserved, inProduction = "in_production",
            orderedFromSupplier = "ordered_from_supplier", backordered, partiallyReserved = "partially_reserved", unrouted
    }

    /// Nothing of the line is left to reserve: everything is reserved or shipped.
    var readyToShip: Bool { reserved > 0 && reserved + shipped >= quantity }

    var state: State {
        if shipped >= quantity { return .shipped }
        if readyToShip { return shipped > 0 ? .partiallyShipped : .reserved }
        if inProduction > 0 { return .inProduction }
        if onOrder > 0 { return .orderedFromSupplier }
        if backordered > 0 { return .backordered }
        if reserved > 0 { return .partiallyReserved }
        if shipped > 0 { return .partiallyShipped }
        return .unrouted
    }
}
