import Foundation

// What every read model folds its facts with. Events arrive out of order and more than once, so a
// fact is kept by an operation that is commutative, associative and idempotent: the earliest or the
// latest instant seen. A report reads the facts "as of" an instant.

/// Keeps the earliest of `current` and `instant`.
func earliest(_ current: Date?, _ instant: Date) -> Date {
    guard let current else { return instant }
    return min(current, instant)
}

/// Keeps the latest of `current` and `instant`.
func latest(_ current: Date?, _ instant: Date) -> Date {
    guard let current else { return instant }
    return max(current, instant)
}

/// Whether `instant` is known as of `limit` (nil: everything known).
func known(_ instant: Date?, asOf limit: Date?) -> Bool {
    guard let instant else { return false }
    guard let limit else { return true }
    return instant <= limit
}

/// A value that can be ordered deterministically when two statements of it carry the same instant.
protocol LatestWinsValue: Hashable, Sendable {
    var tieBreak: String { get }
}

extension String: LatestWinsValue {
    var tieBreak: String { self }
}

extension UUID: LatestWinsValue {
    var tieBreak: String { uuidString }
}

/// A latest-wins value with its history: the value stated at each instant (the greater one when
/// two statements share an instant). Recording is order-independent and idempotent.
struct LatestWins<Value: LatestWinsValue>: Sendable, Equatable {
    private(set) var statements: [Date: Value] = [:]

    mutating func record(_ value: Value, at instant: Date) {
        if let existing = statements[instant], existing.tieBreak >= value.tieBreak { return }
        statements[instant] = value
    }

    /// The value stated last at or before `limit` (everything when nil).
    func value(asOf limit: Date?) -> Value? {
        var best: (at: Date, value: Value)?
        for (at, value) in statements where limit.map({ at <= $0 }) ?? true {
            if best.map({ at > $0.at }) ?? true { best = (at, value) }
        }
        return best?.value
    }

    /// The earliest instant anything was stated at.
    var earliest: Date? { statements.keys.min() }
}

/// A query over a period `[from, to)`; nil ends are open.
protocol PeriodQuery {
    var from: Date? { get }
    var to: Date? { get }
}

extension PeriodQuery {
    func inPeriod(_ instant: Date) -> Bool {
        if let from, instant < from { return false }
        if let to, instant >= to { return false }
        return true
    }
}

extension FunnelQuery: PeriodQuery {}
extension TimelinessQuery: PeriodQuery {}
extension SalesQuery: PeriodQuery {}
extension StockNetworkQuery: PeriodQuery {}
