import Contracts
import Foundation
import Testing

@testable import DealsCore

@Suite("Deals: totals and opening")
struct DealTotalsTests {
    typealias F = DealFixtures

    // MARK: Line totals

    /// quantity, unit price, discount % → line total, worked out by hand: exact product first,
    /// then half-up to cents.
    @Test("a line's total is quantity × price less the discount, rounded half-up to cents", arguments: [
        ("2", "100", "0", "200.00"),
        ("3", "100", "10", "270.00"),
        ("3", "33.335", "0", "100.01"),  // 100.005 → up
        ("3", "33.3349", "0", "100.00"),  // 100.0047 → down
        ("1", "10.05", "50", "5.03"),  // 5.025: rounded after the discount, not before
        ("7", "19.99", "15", "118.94"),  // 139.93 × 0.85 = 118.9405
        ("1", "1", "12.5", "0.88"),  // 0.875
        ("0.5", "99.99", "0", "50.00"),  // 49.995; fractional quantities (metres, kilograms)
        ("1", "0.004", "0", "0.00"),
        ("1", "0.005", "0", "0.01"),
        ("1", "100", "100", "0.00"),  // a gift is still a priced line
        ("1", "1", "33.3333", "0.67"),  // 0.666667
        ("1000000", "12345.67", "0", "12345670000.00"),
    ])
    func lineTotal(quantity: String, price: String, discount: String, expected: String) throws {
        let line = F.line(quantity: quantity, price: price, discount: discount)
        let total = try #require(line.total)
        #expect(total == Money(F.d(expected), "EUR"))
        #expect(total.amount.centsText() == expected)
        #expect(line.isPriced)
    }

    @Test("rounding is per line: two lines of half a cent make two cents, not one")
    func roundingPerLine() {
        let deal = F.ready(at: .selection, lines: [F.line(1, price: "0.005"), F.line(2, price: "0.005")])
        #expect(deal.lines.map(\.total) == [Money(F.d("0.01"), "EUR"), Money(F.d("0.01"), "EUR")])
        #expect(deal.total == Money(F.d("0.02"), "EUR"))
    }

    /// Lines that cannot be invoiced: no price, nothing to sell, or a discount outside 0...100.
    @Test("a line without a positive price and quantity, or with an impossible discount, is unpriced and has no total",
        arguments: [
            F.line(price: nil), F.line(price: "0"), F.line(price: "-5"), F.line(quantity: "0"), F.line(quantity: "-1"),
            F.line(discount: "100.01"), F.line(discount: "-1"),
        ])
    func unpricedLine(line: DealLine) {
        #expect(!line.isPriced)
        #expect(line.total == nil)
    }

    @Test("a line's total is in its unit price's currency")
    func lineCurrency() {
        #expect(F.line(price: "10", currency: "USD").total == Money(10, "USD"))
    }

    // MARK: Deal totals

    @Test("a deal's total is the sum of its lines' totals in the deal currency")
    func dealTotal() {
        let deal = F.ready(at: .offer, lines: [
            F.line(1, quantity: "2", price: "100"), F.line(2, price: "50", discount: "10"),
            F.line(3, quantity: "3", price: "33.335"),
        ])
        #expect(deal.total == Money(F.d("345.01"), "EUR"))  // 200 + 45 + 100.01
        #expect(deal.unpricedLines.isEmpty)
    }

    @Test("one unpriced line makes the total unknown and is reported as such")
    func dealTotalUnknown() {
        let deal = F.ready(at: .offer, lines: [F.line(1), F.line(2, price: nil)])
        #expect(deal.total == nil)
        #expect(deal.unpricedLines.map(\.sku) == ["SKU-2"])
    }

    @Test("a deal without lines totals zero")
    func emptyDealTotal() {
        #expect(F.ready(at: .selection, lines: []).total == Money(0, "EUR"))
    }

    /// Currencies are not mixed: the domain has no exchange rates and an invoice is in one
    /// currency, so a line priced in another currency counts as unpriced until it is re-priced.
    @Test("a line in another currency than the deal's leaves the total unknown and blocks the offer as unpriced")
    func mixedCurrency() {
        let usd = F.line(2, price: "10", currency: "USD")
        let deal = F.ready(at: .selection, lines: [F.line(1), usd])
        #expect(usd.isPriced)
        #expect(deal.total == nil)
        #expect(deal.unpricedLines == [usd])
        #expect(throws: DealRuleViolation.gateNotMet(from: .selection, to: .offer, missing: ["every line priced"])) {
            try DealLifecycle.apply(.advance(to: .offer), to: deal, rules: F.rules)
        }
    }

    @Test("decimal arithmetic is exact: 0.1 + 0.2 is 0.3, where Double is not")
    func decimalExactness() {
        #expect(F.d("0.1") + F.d("0.2") == F.d("0.3"))
        #expect(0.1 + 0.2 != 0.3 as Double)
        let deal = F.ready(at: .offer, lines: [F.line(1, price: "0.1"), F.line(2, price: "0.2")])
        #expect(deal.total == Money(F.d("0.3"), "EUR"))
        let tenDimes = F.ready(at: .offer, lines: (1...10).map { F.line($0, price: "0.1") })
        #expect(tenDimes.total == Money(1, "EUR"))
    }

    @Test("amounts in messages have two decimals, a point and no grouping", arguments: [
        ("100", "100.00"), ("0.5", "0.50"), ("1234567.891", "1234567.89"), ("2.005", "2.01"), ("-1.5", "-1.50"),
        ("0", "0.00"),
    ])
    func centsText(amount: String, text: String) {
        #expect(F.d(amount).centsText() == text)
    }

    @Test("the equipment types are those of the lines, typeless lines left out")
    func equipmentTypes() {
        let deal = F.ready(at: .selection, lines: [
            F.line(1, type: "pump"), F.line(2, type: "climatic"), F.line(3, type: "pump"), F.line(4, type: nil),
        ])
        #expect(deal.equipmentTypes == ["pump", "climatic"])
    }

    // MARK: Legal entity and draft

    @Test("the contract needs the legal entity's tax id, payment details and address; blank counts as missing")
    func legalEntityForContract() {
        #expect(F.completeEntity.missingForContract == [])
        #expect(LegalEntity(name: "Agro LLC").missingForContract
            == ["legalEntity.taxId", "legalEntity.paymentDetails", "legalEntity.address"])
        #expect(LegalEntity(name: "  ", taxId: "7701234567", paymentDetails: "", address: "Tver").missingForContract
            == ["legalEntity.name", "legalEntity.paymentDetails"])
    }

    static let completeDraft = DealDraft(
        needs: "Climatic chamber for seed tests", legalEntity: LegalEntity(name: "Agro LLC"),
        contacts: [DealContact(name: "Ivan Petrov")], lines: [F.line(1, type: "climatic")], currency: "EUR",
        managerId: F.manager, departmentCode: "lab")

    @Test("an empty draft lists every required field at once")
    func emptyDraft() {
        #expect(DealDraft().missing == ["needs", "legalEntity.name", "contacts", "managerId", "departmentCode", "currency"])
    }

    @Test("a complete draft misses nothing; only the legal entity's name is needed to open")
    func completeDraft() {
        #expect(Self.completeDraft.missing == [])
    }

    @Test("blank text and contacts naming no one count as missing")
    func blankDraft() {
        var draft = Self.completeDraft
        draft.needs = " \n"
        draft.legalEntity = LegalEntity(name: "", taxId: "7701234567")
        draft.contacts = [DealContact(name: "  ", phone: "+79161234567")]
        draft.departmentCode = ""
        #expect(draft.missing == ["needs", "legalEntity.name", "contacts", "departmentCode"])
        draft.contacts = [DealContact(contactId: F.uuid(7), name: "")]
        #expect(draft.missing == ["needs", "legalEntity.name", "departmentCode"])
    }

    @Test("the currency must be three upper-case letters", arguments: [
        ("EUR", true), ("RUB", true), ("eur", false), ("EU", false), ("EURO", false), (" EUR", false), ("ЕUR", false),
        ("", false), ("E1R", false),
    ])
    func draftCurrency(code: String, valid: Bool) {
        var draft = Self.completeDraft
        draft.currency = code
        #expect(draft.missing == (valid ? [] : ["currency"]))
    }

    @Test("a complete draft opens a deal in selection with nothing done yet")
    func openDeal() throws {
        let deal = try #require(Self.completeDraft.openDeal(id: F.uuid(1), correlationId: F.uuid(2), leadId: F.uuid(3)))
        #expect(deal.stage == .selection)
        #expect(deal.needs == "Climatic chamber for seed tests")
        #expect(deal.currency == "EUR" && deal.departmentCode == "lab" && deal.managerId == F.manager)
        #expect(deal.correlationId == F.uuid(2) && deal.leadId == F.uuid(3))
        #expect(!deal.orderPlaced && !deal.allShipped && !deal.certified && !deal.commissioned && !deal.serviceResolved)
        #expect(deal.paid == 0 && deal.version == 1 && deal.lostReason == nil)
        #expect(DealDraft(needs: "x").openDeal(id: F.uuid(1), correlationId: F.uuid(2), leadId: nil) == nil)
    }

    @Test("a deal survives a JSON round trip exactly, amounts included")
    func jsonRoundTrip() throws {
        var deal = F.ready(at: .offer, lines: [F.line(1, quantity: "3", price: "33.335", discount: "12.5")])
        deal.paid = F.d("0.3")
        deal.lostComment = "—"
        let json = try JSONEncoder().encode(deal)
        #expect(try JSONDecoder().decode(Deal.self, from: json) == deal)
        #expect(String(decoding: json, as: UTF8.self).contains(#""amount":"33.335""#))
    }
}
