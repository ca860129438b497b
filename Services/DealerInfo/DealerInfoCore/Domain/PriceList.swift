import Foundation

/// One line of a price list: the price of a SKU in a currency, optionally limited in time.
///
/// Prices are `Decimal` and are encoded as JSON numbers written from their decimal digits, never
/// through `Double`, so `1999.99` stays `1999.99` on every dealer's side.
public struct PriceItem: Codable, Sendable, Hashable {
    /// The article the price is for; unique within a price list.
    public var sku: String
    /// The price, at least 0 and with at most 2 fraction digits.
    public var price: Decimal
    /// ISO 4217 code, three upper-case letters (`RUB`, `EUR`).
    public var currency: String
    /// First day the price applies, ISO `YYYY-MM-DD`; `nil` means "already".
    public var validFrom: String?
    /// Last day the price applies, ISO `YYYY-MM-DD`; `nil` means "until further notice".
    public var validTo: String?

    public init(sku: String, price: Decimal, currency: String, validFrom: String? = nil, validTo: String? = nil) {
        self.sku = sku
        self.price = price
        self.currency = currency
        self.validFrom = validFrom
        self.validTo = validTo
    }

    /// Every problem with this item on its own, in words; empty when it is sound.
    ///
    /// Checked: the SKU is not blank; the price is a number, not negative, with at most 2 fraction
    /// digits; the currency is three upper-case Latin letters; each date is a real calendar date
    /// written `YYYY-MM-DD`; `validFrom` is not after `validTo`.
    public func validate() -> [String] {
        var problems: [String] = []
        if sku.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("sku is blank")
        }
        if price.isNaN {
            problems.append("price is not a number")
        } else {
            if price < 0 {
                problems.append("price \(price) is negative")
            }
            if !Self.hasAtMostTwoFractionDigits(price) {
                problems.append("price \(price) has more than 2 fraction digits")
            }
        }
        let isCurrencyCode = currency.unicodeScalars.count == 3
            && currency.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
        if !isCurrencyCode {
            problems.append("currency '\(currency)' is not 3 upper-case letters (ISO 4217, e.g. RUB)")
        }
        let fromIsDate = validFrom.map(Self.isISODate) ?? true
        let toIsDate = validTo.map(Self.isISODate) ?? true
        if let validFrom, !fromIsDate {
            problems.append("validFrom '\(validFrom)' is not a date written YYYY-MM-DD")
        }
        if let validTo, !toIsDate {
            problems.append("validTo '\(validTo)' is not a date written YYYY-MM-DD")
        }
        // Fixed-width ISO dates order like the days they name, so comparing the strings suffices.
        if let validFrom, let validTo, fromIsDate, toIsDate, validFrom > validTo {
            problems.append("validFrom \(validFrom) is after validTo \(validTo)")
        }
        return problems
    }

    /// Every problem with a whole price list: each item's own problems, prefixed with its index
    /// (`items[3] (sku 'A-1'): …`), and every SKU that appears again (`items[5]: sku 'A-1' repeats
    /// items[1]`), because a delta is keyed by SKU and cannot carry two prices for one.
    public static func validate(_ items: [PriceItem]) -> [String] {
        var problems: [String] = []
        var firstIndex: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            for problem in item.validate() {
                problems.append("items[\(index)] (sku '\(item.sku)'): \(problem)")
            }
            if let first = firstIndex[item.sku] {
                problems.append("items[\(index)]: sku '\(item.sku)' repeats items[\(first)]")
            } else {
                firstIndex[item.sku] = index
            }
        }
        return problems
    }

    /// Whether rounding to cents leaves the price unchanged; done in `Decimal` arithmetic.
    static func hasAtMostTwoFractionDigits(_ value: Decimal) -> Bool {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        return rounded == value
    }

    /// Whether `text` is a real Gregorian calendar date written `YYYY-MM-DD` (years 0001–9999).
    static func isISODate(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 10, scalars[4] == "-", scalars[7] == "-" else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for scalar in scalars[range] {
                guard ("0"..."9").contains(scalar) else { return nil }
                value = value * 10 + Int(scalar.value - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            year >= 1, (1...12).contains(month), day >= 1
        else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let daysInMonth = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= daysInMonth[month - 1]
    }
}

/// What a dealer needs to go from one version of a price-list series to another: the items that
/// are new or changed, and the SKUs that are gone. Both lists are sorted by SKU, so the same two
/// versions always give the same delta (and the same bytes, for caching and ETags).
public struct PriceListDelta: Codable, Sendable, Equatable {
    /// The version the dealer holds.
    public var fromVersion: Int
    /// The version the dealer has after applying the delta.
    public var toVersion: Int
    /// Items that are new or differ in any field, in full.
    public var upserted: [PriceItem]
    /// SKUs that are no longer in the list.
    public var removed: [String]

    public init(fromVersion: Int, toVersion: Int, upserted: [PriceItem], removed: [String]) {
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.upserted = upserted
        self.removed = removed
    }

    /// Whether the two versions hold the same items.
    public var isEmpty: Bool { upserted.isEmpty && removed.isEmpty }
}

/// Computing and applying price-list deltas, so a dealer downloads only what changed since the
/// version it holds instead of the whole list.
///
/// The lists are expected to have passed ``PriceItem/validate(_:)``; should a SKU appear twice,
/// its last occurrence counts, on both sides alike.
public enum PriceLists {
    /// The delta taking `old` (at `oldVersion`) to `new` (at `newVersion`): items of `new` that
    /// are absent from `old` or differ in any field (a change of `validTo` alone counts), and
    /// the SKUs of `old` missing from `new`. Input order does not matter; output is sorted by SKU.
    public static func delta(
        from old: [PriceItem], version oldVersion: Int, to new: [PriceItem], version newVersion: Int
    ) -> PriceListDelta {
        let before = bySKU(old)
        let after = bySKU(new)
        let upserted = after.values.filter { before[$0.sku] != $0 }.sorted { $0.sku < $1.sku }
        let removed = before.keys.filter { after[$0] == nil }.sorted()
        return PriceListDelta(fromVersion: oldVersion, toVersion: newVersion, upserted: upserted, removed: removed)
    }

    /// `items` with `delta` applied: removed SKUs dropped, upserted items added or replaced,
    /// sorted by SKU. Applied to the list the delta was computed from, this is exactly the newer
    /// list, sorted by SKU.
    public static func apply(_ delta: PriceListDelta, to items: [PriceItem]) -> [PriceItem] {
        var current = bySKU(items)
        for sku in delta.removed {
            current[sku] = nil
        }
        for item in delta.upserted {
            current[item.sku] = item
        }
        return current.values.sorted { $0.sku < $1.sku }
    }

    /// The items keyed by SKU, the last occurrence winning.
    private static func bySKU(_ items: [PriceItem]) -> [String: PriceItem] {
        Dictionary(items.map { ($0.sku, $0) }, uniquingKeysWith: { _, last in last })
    }
}
