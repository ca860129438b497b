import Contracts
import Foundation

@testable import DealsCore

/// Deals and rules shared by the deal domain's unit tests.
enum DealFixtures {
    /// An exact decimal from its text. Never write `0.1 as Decimal`: the literal goes through
    /// `Double` and may not be exactly 0.1.
    static func d(_ text: String) -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            preconditionFailure("not a decimal: \(text)")
        }
        return value
    }

    static func uuid(_ n: Int) -> UUID {
        UUID(uuidString: "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - String(n).count) + String(n))!
    }

    static let manager = uuid(9001)

    /// As seeded in the database: two types need certification, one reason asks for a quality check.
    static let rules = SalesRules(
        certificationTypes: ["climatic", "simulation"],
        lossReasons: ["not_suitable": true, "no_budget": false, "competitor": false, "postponed": false, "other": false]
    )

    static func line(
        _ n: Int = 1, type: String? = "pump", quantity: String = "1", price: String? = "100", currency: String = "EUR",
        discount: String = "0"
    ) -> DealLine {
        DealLine(
            id: uuid(n), sku: "SKU-\(n)", name: "Item \(n)", equipmentType: type, quantity: d(quantity),
            unitPrice: price.map { Money(d($0), currency) }, discountPercent: d(discount))
    }

    static let completeEntity = LegalEntity(
        name: "Agro LLC", taxId: "7701234567", paymentDetails: "IBAN DE89 3704 0044 0532 0130 00",
        address: "1 Field Road, Tver")

    /// A deal at `stage` that meets every gate: priced lines, full legal entity, every fact
    /// recorded, paid in full. Tests take away one thing at a time.
    static func ready(at stage: DealStage, lines: [DealLine] = [line(1), line(2, quantity: "2", price: "75")]) -> Deal {
        var deal = Deal(
            id: uuid(1), stage: stage, needs: "Two pumps for the irrigation system", legalEntity: completeEntity,
            contacts: [DealContact(name: "Ivan Petrov", phone: "+79161234567")],
            parameters: DealParameters(applicationArea: "agriculture", materials: ["water"]), lines: lines,
            currency: "EUR", managerId: manager, departmentCode: "prom", correlationId: uuid(2), leadId: uuid(3),
            orderPlaced: true, allShipped: true, certified: true, commissioned: true, serviceResolved: true)
        deal.paid = deal.total?.amount ?? 0
        return deal
    }

    /// Only pump lines: no certification.
    static let pumpLines = [line(1), line(2, quantity: "2", price: "75")]
    /// A climatic chamber among pumps: certification needed.
    static let climaticLines = [line(1), line(2, type: "climatic", price: "1500")]
}
