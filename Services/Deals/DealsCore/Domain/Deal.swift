import Contracts
import Foundation

/// Where a deal is in the sales process. The raw values are stored and sent on the wire, so they
/// never change.
public enum DealStage: String, Codable, Sendable, CaseIterable {
    /// Choosing equipment with the customer; lines are still being priced.
    case selection
    /// A commercial offer was sent. Optional: a deal may go from selection straight to contract.
    case offer
    /// The contract is being signed; it needs the legal entity's full details.
    case contract
    /// The buyer order is placed with the supplier; equipment is being delivered.
    case fulfilment
    /// An outside body certifies equipment whose type requires it (e.g. climatic chambers).
    case certification
    /// Installation and start-up at the customer's site.
    case commissioning
    /// Installed and working; the manager offers a service contract.
    case service
    /// Paid in full and the service offer answered: nothing left to do.
    case closed
    /// The customer refused, for a configured reason.
    case lost

    /// Still being worked: neither closed nor lost. Only open deals accept commands.
    public var isOpen: Bool {
        switch self {
        case .selection, .offer, .contract, .fulfilment, .certification, .commissioning, .service: true
        case .closed, .lost: false
        }
    }

    /// Chance of the deal being won, in percent, for the weighted sales pipeline.
    public var probability: Int {
        switch self {
        case .selection: 10
        case .offer: 25
        case .contract: 50
        case .fulfilment: 75
        case .certification: 80
        case .commissioning: 85
        case .service: 95
        case .closed: 100
        case .lost: 0
        }
    }
}

/// The customer's company as the contract names it. Only the name is needed to open a deal: the
/// rest is usually collected while the offer is discussed, and is required before the contract.
public struct LegalEntity: Codable, Sendable, Equatable {
    public var name: String
    public var taxId: String?
    public var paymentDetails: String?
    public var address: String?

    public init(name: String, taxId: String? = nil, paymentDetails: String? = nil, address: String? = nil) {
        self.name = name
        self.taxId = taxId
        self.paymentDetails = paymentDetails
        self.address = address
    }

    /// Fields the contract needs that are missing or blank, by JSON name ("legalEntity.taxId", …),
    /// in a fixed order so the 409 reads the same every time.
    public var missingForContract: [String] {
        var missing: [String] = []
        if name.isBlank { missing.append("legalEntity.name") }
        if taxId.isBlank { missing.append("legalEntity.taxId") }
        if paymentDetails.isBlank { missing.append("legalEntity.paymentDetails") }
        if address.isBlank { missing.append("legalEntity.address") }
        return missing
    }
}

/// A person at the customer the manager talks to: an existing contact of the leads service
/// (`contactId`) or one typed in when the deal was opened.
public struct DealContact: Codable, Sendable, Equatable {
    public var contactId: UUID?
    public var name: String
    public var phone: String?
    public var email: String?

    public init(contactId: UUID? = nil, name: String, phone: String? = nil, email: String? = nil) {
        self.contactId = contactId
        self.name = name
        self.phone = phone
        self.email = email
    }
}

/// What the equipment is for; the equipment type itself is per line.
public struct DealParameters: Codable, Sendable, Equatable {
    public var applicationArea: String?
    /// Materials the equipment will process or test.
    public var materials: [String]

    public init(applicationArea: String? = nil, materials: [String] = []) {
        self.applicationArea = applicationArea
        self.materials = materials
    }
}

/// One item of the offer: an article, how many, and at what price.
public struct DealLine: Codable, Sendable, Equatable, Identifiable {
    public var id: UUID
    public var sku: String
    public var name: String
    /// Decides whether the deal needs certification (see `SalesRules.certificationTypes`).
    public var equipmentType: String?
    public var quantity: Decimal
    /// Unset until the manager prices the line.
    public var unitPrice: Money?
    /// 0...100.
    public var discountPercent: Decimal

    public init(
        id: UUID, sku: String, name: String, equipmentType: String? = nil, quantity: Decimal, unitPrice: Money? = nil,
        discountPercent: Decimal = 0
    ) {
        self.id = id
        self.sku = sku
        self.name = name
        self.equipmentType = equipmentType
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.discountPercent = discountPercent
    }

    /// quantity × unitPrice × (1 − discount/100), rounded half-up to cents; nil when unpriced.
    ///
    /// Rounded per line, not on the deal's sum, because the invoice prints each line's amount
    /// and its total must be the sum of what it prints. In the unit price's currency: the line
    /// does not know the deal's (`Deal.total` rejects a mismatch).
    public var total: Money? {
        guard isPriced, let unitPrice else { return nil }
        let exact = quantity * unitPrice.amount * (1 - discountPercent / 100)
        return Money(exact.roundedToCents(.plain), unitPrice.currency)
    }

    /// Has a positive unit price and a positive quantity, and a discount within 0...100 — a
    /// discount outside that range is a typing mistake that would make the line free or negative,
    /// so such a line counts as not priced yet rather than being invoiced.
    public var isPriced: Bool {
        guard let unitPrice else { return false }
        return unitPrice.amount > 0 && quantity > 0 && discountPercent >= 0 && discountPercent <= 100
    }
}

/// A sale in progress: the customer, what they buy, and how far the sales process has got.
///
/// The flags (`orderPlaced`, `allShipped`, …) are facts recorded by other parts of the system
/// (purchasing, logistics, the certifier, the service task); the lifecycle only reads them to
/// decide whether the next stage may be entered.
public struct Deal: Codable, Sendable, Equatable {
    public var id: UUID
    public var stage: DealStage
    /// The customer's needs in their own words.
    public var needs: String
    public var legalEntity: LegalEntity
    public var contacts: [DealContact]
    public var parameters: DealParameters
    public var lines: [DealLine]
    /// ISO 4217 code of the invoice; every line must be priced in it.
    public var currency: String
    public var managerId: UUID
    public var departmentCode: String
    /// Carried into every event about the deal, so the lead's and the deal's events line up.
    public var correlationId: UUID
    /// The lead the deal was converted from; nil when a manager opened it directly.
    public var leadId: UUID?
    /// The buyer order is placed with the supplier.
    public var orderPlaced: Bool
    /// Every line has been delivered to the customer.
    public var allShipped: Bool
    /// The outside body has certified the equipment (only asked for when a line's type needs it).
    public var certified: Bool
    public var commissioned: Bool
    /// The "offer_service" task has an outcome (a service contract or a refusal).
    public var serviceResolved: Bool
    /// Sum of payments received, in `currency`.
    public var paid: Decimal
    public var lostReason: String?
    public var lostComment: String?
    /// Optimistic-concurrency counter: storage bumps it on every change.
    public var version: Int

    public init(
        id: UUID, stage: DealStage = .selection, needs: String, legalEntity: LegalEntity, contacts: [DealContact],
        parameters: DealParameters = DealParameters(), lines: [DealLine] = [], currency: String, managerId: UUID,
        departmentCode: String, correlationId: UUID, leadId: UUID? = nil, orderPlaced: Bool = false,
        allShipped: Bool = false, certified: Bool = false, commissioned: Bool = false, serviceResolved: Bool = false,
        paid: Decimal = 0, lostReason: String? = nil, lostComment: String? = nil, version: Int = 1
    ) {
        self.id = id
        self.stage = stage
        self.needs = needs
        self.legalEntity = legalEntity
        self.contacts = contacts
        self.parameters = parameters
        self.lines = lines
        self.currency = currency
        self.managerId = managerId
        self.departmentCode = departmentCode
        self.correlationId = correlationId
        self.leadId = leadId
        self.orderPlaced = orderPlaced
        self.allShipped = allShipped
        self.certified = certified
        self.commissioned = commissioned
        self.serviceResolved = serviceResolved
        self.paid = paid
        self.lostReason = lostReason
        self.lostComment = lostComment
        self.version = version
    }

    /// Lines that cannot be invoiced yet: not priced, or priced in a currency other than the
    /// deal's. A foreign-currency line counts as unpriced rather than being converted, because
    /// the domain has no exchange rates (they change daily and belong to the caller) and an
    /// invoice is in one currency; the manager re-prices the line instead.
    public var unpricedLines: [DealLine] {
        lines.filter { line in !line.isPriced || line.unitPrice?.currency != currency }
    }

    /// Sum of line totals, in the deal's currency; nil while any line is in `unpricedLines`.
    /// A deal without lines totals zero.
    public var total: Money? {
        guard unpricedLines.isEmpty else { return nil }
        var sum: Decimal = 0
        for line in lines {
            guard let lineTotal = line.total else { return nil }
            sum += lineTotal.amount
        }
        return Money(sum, currency)
    }

    /// Equipment types of the lines (lines without a type are left out).
    public var equipmentTypes: Set<String> {
        Set(lines.compactMap(\.equipmentType))
    }
}

/// What a new deal is made of (from POST /v1/deals or LeadConverted), before it is checked.
public struct DealDraft: Sendable, Equatable {
    public var needs: String?
    public var legalEntity: LegalEntity?
    public var contacts: [DealContact]
    public var parameters: DealParameters
    public var lines: [DealLine]
    public var currency: String?
    public var managerId: UUID?
    public var departmentCode: String?

    public init(
        needs: String? = nil, legalEntity: LegalEntity? = nil, contacts: [DealContact] = [],
        parameters: DealParameters = DealParameters(), lines: [DealLine] = [], currency: String? = nil,
        managerId: UUID? = nil, departmentCode: String? = nil
    ) {
        self.needs = needs
        self.legalEntity = legalEntity
        self.contacts = contacts
        self.parameters = parameters
        self.lines = lines
        self.currency = currency
        self.managerId = managerId
        self.departmentCode = departmentCode
    }

    /// Every required field missing, by JSON name: "needs", "legalEntity.name", "contacts",
    /// "managerId", "departmentCode", "currency" — all of them at once, for a 422 listing them,
    /// so the client fixes its request in one round trip.
    ///
    /// Blank text counts as missing. A contact counts only if it names someone (a `contactId` or
    /// a non-blank name). The currency must look like ISO 4217: three upper-case ASCII letters;
    /// whether the code is actually in use is not checked here.
    public var missing: [String] {
        var missing: [String] = []
        if needs.isBlank { missing.append("needs") }
        if legalEntity?.name.isBlank ?? true { missing.append("legalEntity.name") }
        if !contacts.contains(where: { $0.contactId != nil || !$0.name.isBlank }) { missing.append("contacts") }
        if managerId == nil { missing.append("managerId") }
        if departmentCode.isBlank { missing.append("departmentCode") }
        if !(currency.map(Self.isCurrencyCode) ?? false) { missing.append("currency") }
        return missing
    }

    /// The deal this draft opens, in `selection` with nothing done yet; nil while `missing` is
    /// not empty. Ids come from the caller so the domain stays free of randomness.
    public func openDeal(id: UUID, correlationId: UUID, leadId: UUID?) -> Deal? {
        guard missing.isEmpty, let needs, let legalEntity, let currency, let managerId, let departmentCode else {
            return nil
        }
        return Deal(
            id: id, stage: .selection, needs: needs, legalEntity: legalEntity, contacts: contacts,
            parameters: parameters, lines: lines, currency: currency, managerId: managerId,
            departmentCode: departmentCode, correlationId: correlationId, leadId: leadId)
    }

    private static func isCurrencyCode(_ code: String) -> Bool {
        code.unicodeScalars.count == 3 && code.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
    }
}

extension Decimal {
    /// Rounded to two decimals; `.plain` is half away from zero, i.e. half-up for amounts.
    func roundedToCents(_ mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var value = self
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, mode)
        return rounded
    }

    /// Exactly two decimals with a "." and no grouping ("1234.50"): the same text whatever the
    /// server's locale, for messages that quote amounts.
    func centsText(_ mode: NSDecimalNumber.RoundingMode = .plain) -> String {
        let text = roundedToCents(mode).description
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        return "\(parts[0]).\(fraction.padding(toLength: 2, withPad: "0", startingAt: 0))"
    }
}

extension Optional where Wrapped == String {
    /// Nil, empty or only whitespace: what a form sends when the user typed nothing.
    fileprivate var isBlank: Bool { self?.isBlank ?? true }
}

extension String {
    /// Empty or only whitespace: what a form sends when the user typed nothing.
    fileprivate var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}
