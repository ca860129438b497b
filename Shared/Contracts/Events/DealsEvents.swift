import Foundation

// Events of the deals service on `dms.deals.events.v1`, keyed by the deal id (tasks by their
// deal, or their own id when they have none). Additive changes only.

/// A deal was opened (from a converted lead, or by a manager).
public struct DealOpened: EventPayload, Equatable {
    public static let eventType = "DealOpened"
    public static let eventVersion = 1
    public var dealId: UUID
    public var leadId: UUID?
    public var counterpartyName: String
    public var managerId: UUID
    public var departmentCode: String
    public var stage: String
    public var total: Money?
    public var openedAt: Date
    /// The equipment types of the deal's lines, sorted (additive: absent in events written before
    /// it existed; a deal opened from a lead has no lines yet). Later edits send `DealLinesChanged`.
    public var equipmentTypes: [String]?

    public init(dealId: UUID, leadId: UUID?, counterpartyName: String, managerId: UUID, departmentCode: String, stage: String,
                total: Money?, openedAt: Date, equipmentTypes: [String]? = nil) {
        self.dealId = dealId
        self.leadId = leadId
        self.counterpartyName = counterpartyName
        self.managerId = managerId
        self.departmentCode = departmentCode
        self.stage = stage
        self.total = total
        self.openedAt = openedAt
        self.equipmentTypes = equipmentTypes
    }
}

/// A deal moved from one stage to another (lost and closed included).
/// A deal's lines (or their currency) were edited: what reporting needs to slice by equipment type.
public struct DealLinesChanged: EventPayload, Equatable {
    public static let eventType = "DealLinesChanged"
    public static let eventVersion = 1
    public var dealId: UUID
    /// The equipment types of the lines now, sorted, each once.
    public var equipmentTypes: [String]
    public var lineCount: Int
    public var total: Money?
    public var changedBy: UUID?
    public var changedAt: Date

    public init(dealId: UUID, equipmentTypes: [String], lineCount: Int, total: Money?, changedBy: UUID?, changedAt: Date) {
        self.dealId = dealId
        self.equipmentTypes = equipmentTypes
        self.lineCount = lineCount
        self.total = total
        self.changedBy = changedBy
        self.changedAt = changedAt
    }
}

public struct DealStageChanged: EventPayload, Equatable {
    public static let eventType = "DealStageChanged"
    public static let eventVersion = 1
    public var dealId: UUID
    public var from: String
    public var to: String
    /// Win probability of the new stage, in percent.
    public var probability: Int
    public var total: Money?
    public var changedBy: UUID?
    public var changedAt: Date

    public init(dealId: UUID, from: String, to: String, probability: Int, total: Money?, changedBy: UUID?, changedAt: Date) {
        self.dealId = dealId
        self.from = from
        self.to = to
        self.probability = probability
        self.total = total
        self.changedBy = changedBy
        self.changedAt = changedAt
    }
}

/// The customer refused.
public struct DealLost: EventPayload, Equatable {
    public static let eventType = "DealLost"
    public static let eventVersion = 1
    public var dealId: UUID
    public var reason: String
    public var comment: String?
    public var lostAt: Date
    public init(dealId: UUID, reason: String, comment: String?, lostAt: Date) {
        self.dealId = dealId
        self.reason = reason
        self.comment = comment
        self.lostAt = lostAt
    }
}

/// Paid, documents complete, service resolved.
public struct DealClosed: EventPayload, Equatable {
    public static let eventType = "DealClosed"
    public static let eventVersion = 1
    public var dealId: UUID
    public var total: Money?
    public var closedAt: Date
    public init(dealId: UUID, total: Money?, closedAt: Date) {
        self.dealId = dealId
        self.total = total
        self.closedAt = closedAt
    }
}

/// A commercial offer was issued for a deal.
public struct OfferIssued: EventPayload, Equatable {
    public static let eventType = "OfferIssued"
    public static let eventVersion = 1
    public var dealId: UUID
    public var offerId: UUID
    public var number: String
    public var version: Int
    public var language: String
    public var total: Money?
    public var validUntil: String
    public var issuedAt: Date
    public init(dealId: UUID, offerId: UUID, number: String, version: Int, language: String, total: Money?, validUntil: String, issuedAt: Date) {
        self.dealId = dealId
        self.offerId = offerId
        self.number = number
        self.version = version
        self.language = language
        self.total = total
        self.validUntil = validUntil
        self.issuedAt = issuedAt
    }
}

/// A payment arrived for a deal (once per reference).
public struct PaymentReceived: EventPayload, Equatable {
    public static let eventType = "PaymentReceived"
    public static let eventVersion = 1
    public var dealId: UUID
    public var amount: Money
    public var reference: String
    public var paidOn: String
    /// All payments of the deal so far.
    public var paidTotal: Money
    public init(dealId: UUID, amount: Money, reference: String, paidOn: String, paidTotal: Money) {
        self.dealId = dealId
        self.amount = amount
        self.reference = reference
        self.paidOn = paidOn
        self.paidTotal = paidTotal
    }
}

/// One line of a buyer order.
public struct OrderLine: Codable, Sendable, Equatable {
    public var lineId: UUID
    public var sku: String
    public var quantity: Decimal
    public init(lineId: UUID, sku: String, quantity: Decimal) {
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
    }
}

/// The agreed lines are to be reserved, produced or bought and shipped (inventory routes them).
public struct BuyerOrderPlaced: EventPayload, Equatable {
    public static let eventType = "BuyerOrderPlaced"
    public static let eventVersion = 1
    public var orderId: UUID
    public var dealId: UUID
    public var lines: [OrderLine]
    public var placedAt: Date
    public init(orderId: UUID, dealId: UUID, lines: [OrderLine], placedAt: Date) {
        self.orderId = orderId
        self.dealId = dealId
        self.lines = lines
        self.placedAt = placedAt
    }
}

/// The deal was lost after ordering: inventory releases reservations and cancels what it can.
public struct BuyerOrderCancelled: EventPayload, Equatable {
    public static let eventType = "BuyerOrderCancelled"
    public static let eventVersion = 1
    public var orderId: UUID
    public var dealId: UUID
    public var cancelledAt: Date
    public init(orderId: UUID, dealId: UUID, cancelledAt: Date) {
        self.orderId = orderId
        self.dealId = dealId
        self.cancelledAt = cancelledAt
    }
}

/// A task for a person (offer service, quality check, call the client, …).
public struct TaskCreated: EventPayload, Equatable {
    public static let eventType = "TaskCreated"
    public static let eventVersion = 1
    public var taskId: UUID
    public var dealId: UUID?
    public var kind: String
    public var assigneeId: UUID?
    public var dueAt: Date?
    public init(taskId: UUID, dealId: UUID?, kind: String, assigneeId: UUID?, dueAt: Date?) {
        self.taskId = taskId
        self.dealId = dealId
        self.kind = kind
        self.assigneeId = assigneeId
        self.dueAt = dueAt
    }
}

public struct TaskCompleted: EventPayload, Equatable {
    public static let eventType = "TaskCompleted"
    public static let eventVersion = 1
    public var taskId: UUID
    public var dealId: UUID?
    public var kind: String
    public var outcome: String
    public var completedAt: Date
    public init(taskId: UUID, dealId: UUID?, kind: String, outcome: String, completedAt: Date) {
        self.taskId = taskId
        self.dealId = dealId
        self.kind = kind
        self.outcome = outcome
        self.completedAt = completedAt
    }
}

/// A task passed its due time without an outcome; `headId` is who must hear of it (the head of
/// the deal's department, when known).
public struct TaskOverdue: EventPayload, Equatable {
    public static let eventType = "TaskOverdue"
    public static let eventVersion = 1
    public var taskId: UUID
    public var dealId: UUID?
    public var kind: String
    public var assigneeId: UUID?
    public var headId: UUID?
    public var dueAt: Date
    public init(taskId: UUID, dealId: UUID?, kind: String, assigneeId: UUID?, headId: UUID?, dueAt: Date) {
        self.taskId = taskId
        self.dealId = dealId
        self.kind = kind
        self.assigneeId = assigneeId
        self.headId = headId
        self.dueAt = dueAt
    }
}
