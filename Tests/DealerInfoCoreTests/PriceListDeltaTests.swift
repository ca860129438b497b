import Foundation
import Testing
import TestSupport

@testable import DealerInfoCore

@Suite("Dealer-info: price-list deltas")
struct PriceListDeltaTests {
    // MARK: - Fixtures

    static func decimal(_ text: String) -> Decimal {
        Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))!
    }

    static func item(
        _ sku: String, _ price: String, _ currency: String = "RUB", from: String? = nil, to: String? = nil
    ) -> PriceItem {
        PriceItem(sku: sku, price: decimal(price), currency: currency, validFrom: from, validTo: to)
    }

    static let version1: [PriceItem] = [
        item("SAW-200", "45990.00", from: "2025-01-01"),
        item("BLADE-12", "1290.50"),
        item("OIL-1L", "799.99", to: "2025-06-30"),
    ]

    func delta(_ old: [PriceItem], _ new: [PriceItem]) -> PriceListDelta {
        PriceLists.delta(from: old, version: 1, to: new, version: 2)
    }

    func sorted(_ items: [PriceItem]) -> [PriceItem] { items.sorted { $0.sku < $1.sku } }

    // MARK: - Deltas

    @Test("unchanged lists give an empty delta, whatever their order")
    func unchanged() {
        let delta = PriceLists.delta(from: Self.version1, version: 7, to: Self.version1.reversed(), version: 8)
        #expect(delta == PriceListDelta(fromVersion: 7, toVersion: 8, upserted: [], removed: []))
        #expect(delta.isEmpty)
        #expect(PriceLists.apply(delta, to: Self.version1) == sorted(Self.version1))
    }

    @Test("an added item is upserted")
    func added() {
        let new = Self.version1 + [Self.item("CHAIN-3", "2100")]
        #expect(delta(Self.version1, new) == PriceListDelta(fromVersion: 1, toVersion: 2, upserted: [Self.item("CHAIN-3", "2100")], removed: []))
    }

    @Test("an item whose price, currency or start date changed is upserted in full")
    func changed() {
        var new = Self.version1
        new[0].price = Self.decimal("47990")
        new[1].currency = "EUR"
        new[2].validFrom = "2025-02-01"
        let delta = delta(Self.version1, new)
        #expect(delta.upserted == sorted(new))
        #expect(delta.removed == [])
    }

    @Test("a change in validTo alone counts as a change")
    func validToOnly() {
        var new = Self.version1
        new[2].validTo = "2025-12-31"
        #expect(delta(Self.version1, new).upserted == [Self.item("OIL-1L", "799.99", to: "2025-12-31")])
        new[2].validTo = nil
        #expect(delta(Self.version1, new).upserted == [Self.item("OIL-1L", "799.99")])
    }

    @Test("a price written with another number of trailing zeros is the same price")
    func sameNumericPrice() {
        let new = [Self.item("SAW-200", "45990", from: "2025-01-01"), Self.item("BLADE-12", "1290.5"), Self.version1[2]]
        #expect(delta(Self.version1, new).isEmpty)
    }

    @Test("removed SKUs are listed, sorted")
    func removed() {
        let delta = delta(Self.version1, [Self.version1[1]])
        #expect(delta.upserted == [])
        #expect(delta.removed == ["OIL-1L", "SAW-200"])
    }

    @Test("added, changed and removed together, each list sorted by SKU")
    func mixed() {
        let new = [
            Self.item("ZIP-9", "10"),
            Self.item("SAW-200", "45990.00", from: "2025-01-01"),
            Self.item("OIL-1L", "849.99", to: "2025-06-30"),
            Self.item("AXE-1", "3500"),
        ]
        let delta = delta(Self.version1, new)
        #expect(delta.upserted.map(\.sku) == ["AXE-1", "OIL-1L", "ZIP-9"])
        #expect(delta.removed == ["BLADE-12"])
        #expect(PriceLists.apply(delta, to: Self.version1) == sorted(new))
    }

    @Test("from an empty list everything is upserted; to an empty list everything is removed")
    func emptyLists() {
        #expect(delta([], Self.version1).upserted == sorted(Self.version1))
        #expect(delta(Self.version1, []) == PriceListDelta(fromVersion: 1, toVersion: 2, upserted: [], removed: ["BLADE-12", "OIL-1L", "SAW-200"]))
        #expect(PriceLists.apply(delta(Self.version1, []), to: Self.version1) == [])
        #expect(delta([], []).isEmpty)
    }

    @Test("a delta travels as JSON with its prices' exact decimal digits")
    func deltaJSON() throws {
        let delta = delta([], [Self.item("BIG-1", "12345678901234567.89", "EUR", from: "2025-01-01", to: "2025-12-31")])
        let data = try JSONEncoder().encode(delta)
        #expect(String(decoding: data, as: UTF8.self).contains("12345678901234567.89"))
        #expect(try JSONDecoder().decode(PriceListDelta.self, from: data) == delta)
    }

    // MARK: - Generated cases

    static let skuPool: [String] =
        (0..<15).map { "SKU-\($0)" } + (0..<8).map { "sku-\($0)" } + (0..<7).map { "Пила-\($0)" }
    static let currencies = ["RUB", "EUR", "USD", "KZT"]
    /// Start dates all precede end dates, so generated items stay valid whichever is changed.
    static let startDates: [String?] = [nil, "2025-01-01", "2025-03-15", "2025-06-30"]
    static let endDates: [String?] = [nil, "2025-06-30", "2025-09-30", "2025-12-31"]

    static func randomPrice(_ random: inout SplitMix64) -> Decimal {
        let cents = random.int(in: 0...99)
        return decimal("\(random.int(in: 0...99_999)).\(cents < 10 ? "0" : "")\(cents)")
    }

    static func randomItem(_ sku: String, _ random: inout SplitMix64) -> PriceItem {
        PriceItem(
            sku: sku, price: randomPrice(&random), currency: random.pick(currencies),
            validFrom: random.pick(startDates), validTo: random.pick(endDates))
    }

    /// An old list and a newer one: each old item kept, dropped or changed in one field, plus new SKUs.
    static func randomVersions(seed: UInt64) -> (old: [PriceItem], new: [PriceItem]) {
        var random = SplitMix64(seed: seed)
        let skus = random.shuffled(skuPool)
        let oldCount = random.int(in: 0...20)
        let old = skus[..<oldCount].map { randomItem($0, &random) }
        var new: [PriceItem] = []
        for item in old {
            var next = item
            switch random.int(in: 0...6) {
            case 0: continue
            case 1: next.price = randomPrice(&random)
            case 2: next.currency = random.pick(currencies)
            case 3: next.validFrom = random.pick(startDates)
            case 4: next.validTo = random.pick(endDates)
            default: break
            }
            new.append(next)
        }
        new += skus[oldCount...].prefix(random.int(in: 0...8)).map { randomItem($0, &random) }
        return (random.shuffled(old), random.shuffled(new))
    }

    @Test("applying the delta to the old list gives exactly the new list (300 generated cases)", arguments: 0..<300)
    func generated(seed: Int) throws {
        let (old, new) = Self.randomVersions(seed: UInt64(seed))
        let delta = PriceLists.delta(from: old, version: seed, to: new, version: seed + 1)
        let oldBySKU = Dictionary(uniqueKeysWithValues: old.map { ($0.sku, $0) })
        let newSKUs = Set(new.map(\.sku))

        #expect(PriceLists.apply(delta, to: old) == sorted(new))
        // Minimal: only real changes travel, and removals are exactly the vanished SKUs.
        #expect(delta.upserted.allSatisfy { oldBySKU[$0.sku] != $0 })
        #expect(delta.upserted.count == new.filter { oldBySKU[$0.sku] != $0 }.count)
        #expect(delta.removed == oldBySKU.keys.filter { !newSKUs.contains($0) }.sorted())
        #expect(delta.upserted == sorted(delta.upserted))
        #expect(delta.fromVersion == seed && delta.toVersion == seed + 1)
        // The same delta after a JSON trip, applied to the old list in another order, still works.
        let travelled = try JSONDecoder().decode(PriceListDelta.self, from: try JSONEncoder().encode(delta))
        #expect(travelled == delta)
        #expect(PriceLists.apply(travelled, to: old.reversed()) == sorted(new))
        #expect(PriceLists.delta(from: old, version: 1, to: old.reversed(), version: 2).isEmpty)
        #expect(PriceItem.validate(new) == [])
    }

    // MARK: - Validation

    @Test("a sound item has no problems")
    func validItem() {
        #expect(Self.item("SAW-200", "45990.00", from: "2024-02-29", to: "2024-02-29").validate() == [])
        #expect(Self.item("SAW-200", "0", from: "2000-02-29").validate() == [])
        #expect(Self.item("SAW-200", "10.5").validate() == [])
        #expect(PriceItem.validate(Self.version1) == [])
    }

    @Test("a blank SKU is a problem")
    func blankSKU() {
        #expect(Self.item("  ", "1").validate() == ["sku is blank"])
    }

    @Test("a negative price, or one with more than 2 fraction digits, is a problem")
    func badPrices() {
        #expect(Self.item("A", "-0.01").validate() == ["price -0.01 is negative"])
        #expect(Self.item("A", "1.005").validate() == ["price 1.005 has more than 2 fraction digits"])
        #expect(Self.item("A", "-3.141").validate() == ["price -3.141 is negative", "price -3.141 has more than 2 fraction digits"])
        #expect(PriceItem(sku: "A", price: .nan, currency: "RUB").validate() == ["price is not a number"])
    }

    @Test("a currency must be three upper-case Latin letters", arguments: ["rub", "RU", "RUBL", "РУБ", "R1B", "", " RUB"])
    func badCurrency(currency: String) {
        #expect(Self.item("A", "1", currency).validate() == ["currency '\(currency)' is not 3 upper-case letters (ISO 4217, e.g. RUB)"])
    }

    @Test("dates must be real days written YYYY-MM-DD", arguments: ["2025-02-29", "2025-2-01", "2025-13-01", "2025-04-31", "01.02.2025", "2025-00-10", "0000-01-01", "2100-02-29", ""])
    func badDates(date: String) {
        #expect(Self.item("A", "1", from: date).validate() == ["validFrom '\(date)' is not a date written YYYY-MM-DD"])
        #expect(Self.item("A", "1", to: date).validate() == ["validTo '\(date)' is not a date written YYYY-MM-DD"])
    }

    @Test("validFrom after validTo is a problem; the same day is fine")
    func dateOrder() {
        #expect(Self.item("A", "1", from: "2025-07-01", to: "2025-06-30").validate() == ["validFrom 2025-07-01 is after validTo 2025-06-30"])
        #expect(Self.item("A", "1", from: "2025-06-30", to: "2025-06-30").validate() == [])
        #expect(Self.item("A", "1", from: "2025-12-31", to: "2026-01-01").validate() == [])
    }

    @Test("list validation prefixes each problem with the item's index and reports repeated SKUs")
    func listValidation() {
        let items = [
            Self.item("A", "1"),
            Self.item("B", "-1"),
            Self.item("A", "2"),
            Self.item("C", "3", "rub"),
            Self.item("A", "4"),
        ]
        #expect(
            PriceItem.validate(items) == [
                "items[1] (sku 'B'): price -1 is negative",
                "items[2]: sku 'A' repeats items[0]",
                "items[3] (sku 'C'): currency 'rub' is not 3 upper-case letters (ISO 4217, e.g. RUB)",
                "items[4]: sku 'A' repeats items[0]",
            ])
    }

    @Test("with a repeated SKU the last occurrence counts, on both sides")
    func duplicatesLastWins() {
        let old = [Self.item("A", "1"), Self.item("A", "2")]
        let new = [Self.item("A", "3"), Self.item("A", "2")]
        #expect(delta(old, new).isEmpty)
        #expect(PriceLists.apply(delta([], new), to: []) == [Self.item("A", "2")])
    }
}
