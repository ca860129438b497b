import Contracts
import Foundation

/// Configuration the rules need, read from the database by the caller (tables
/// `certification_required_types` and `loss_reasons`), so the lifecycle stays a pure function.
public struct SalesRules: Sendable, Equatable {
    /// Equipment types that need certification by an outside body before commissioning.
    public var certificationTypes: Set<String>
    /// Loss reason code → whether losing for it gives the head of department a quality-check task.
    public var lossReasons: [String: Bool]

    public init(certificationTypes: Set<String>, lossReasons: [String: Bool]) {
        self.certificationTypes = certificationTypes
        self.lossReasons = lossReasons
    }
}

/// What a manager does to a deal's stage. Pure data: who may issue it is checked by the caller.
public enum DealCommand: Sendable, Equatable {
    /// A forward move chosen by the manager (e.g. skipping the offer).
    case advance(to: DealStage)
    /// The customer refused; allowed from any open stage.
    case lose(reason: String, comment: String?)
}

/// Why a command is refused: the client's conflict with the deal's state (a 409), never a server
/// fault. Each case carries enough for the response to name the stage and every unmet condition.
public enum DealRuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// `to` is not a next stage of `from`; `allowed` lists the ones that are, in process order.
    case invalidTransition(from: DealStage, to: DealStage, allowed: [DealStage])
    /// The move is allowed but its conditions are not met. `missing` lists all of them at once, as
    /// human-readable conditions or JSON field names ("every line priced", "legalEntity.taxId").
    case gateNotMet(from: DealStage, to: DealStage, missing: [String])
    /// The loss reason is not one of the configured codes (listed sorted in `known`).
    case unknownLossReason(String, known: [String])
    /// The deal is already closed or lost and accepts no more commands.
    case closed(DealStage)

    public var description: String {
        switch self {
        case .invalidTransition(let from, let to, let allowed):
            let next = allowed.isEmpty ? "none" : allowed.map(\.rawValue).joined(separator: ", ")
            return "a deal in stage \(from.rawValue) cannot move to \(to.rawValue); next stages: \(next)"
        case .gateNotMet(let from, let to, let missing):
            return "a deal in stage \(from.rawValue) cannot move to \(to.rawValue) yet; missing: "
                + missing.joined(separator: "; ")
        case .unknownLossReason(let reason, let known):
            return "unknown loss reason \"\(reason)\"; known reasons: \(known.joined(separator: ", "))"
        case .closed(let stage):
            return "the deal is \(stage.rawValue) and accepts no more changes"
        }
    }
}

/// Something a stage change causes; the storage layer turns these into rows and events in the
/// same transaction as the change.
public enum DealEffect: Sendable, Equatable {
    /// "offer_service" → the deal's manager; "quality_check" → the department's head.
    case createTask(kind: String, assignee: TaskAssignee)
}

/// Who a task created by a stage change goes to; resolved to a person by the caller, who knows
/// the deal's manager and the department's head.
public enum TaskAssignee: String, Sendable, Equatable, Codable {
    case manager
    case headOfDepartment = "head_of_department"
}

/// The deal state machine. Free of storage and clocks so every stage and gate is unit-tested as a
/// plain function; storage asks it for the new stage and effects, then writes them together.
public enum DealLifecycle {
    /// Task kind created for the manager when a deal enters `service`.
    public static let offerServiceTask = "offer_service"
    /// Task kind created for the head of department when a deal is lost for a reason that asks
    /// for it (the manager's work is checked).
    public static let qualityCheckTask = "quality_check"

    /// The stages a deal may move to from its current stage, in process order: selection →
    /// [offer, contract]; offer → [contract]; contract → [fulfilment]; fulfilment →
    /// [certification] if any line's equipment type needs it, else [commissioning];
    /// certification → [commissioning]; commissioning → [service]; service → [closed]; none from
    /// closed or lost. `lost` is never listed: it is reached by `.lose` from any open stage.
    public static func nextStages(of deal: Deal, rules: SalesRules) -> [DealStage] {
        switch deal.stage {
        case .selection: [.offer, .contract]
        case .offer: [.contract]
        case .contract: [.fulfilment]
        case .fulfilment: needsCertification(deal, rules: rules) ? [.certification] : [.commissioning]
        case .certification: [.commissioning]
        case .commissioning: [.service]
        case .service: [.closed]
        case .closed, .lost: []
        }
    }

    /// Applies a command: the new stage and its effects, or the violated rule.
    ///
    /// Checks in order: the deal is open, the move is one of `nextStages` (or the loss reason is
    /// configured), then the gate of the target stage, listing every unmet condition at once:
    ///   → offer: at least one line, every line priced
    ///   → contract: the same, and the legal entity complete (each missing field listed)
    ///   → fulfilment: buyer order placed
    ///   → certification / commissioning (from fulfilment): everything shipped
    ///   → commissioning (from certification): certified
    ///   → service: commissioned (effect: an "offer_service" task for the manager)
    ///   → closed: payment covers the invoice total (every line priced so it is known), service
    ///     offer resolved
    ///   lose: a configured reason (effect: a "quality_check" task for the head of department when
    ///     the reason asks for one)
    public static func apply(
        _ command: DealCommand, to deal: Deal, rules: SalesRules
    ) throws(DealRuleViolation) -> (stage: DealStage, effects: [DealEffect]) {
        guard deal.stage.isOpen else { throw .closed(deal.stage) }
        switch command {
        case .advance(let target):
            let allowed = nextStages(of: deal, rules: rules)
            guard allowed.contains(target) else {
                throw .invalidTransition(from: deal.stage, to: target, allowed: allowed)
            }
            let missing = unmetConditions(moving: deal, to: target)
            guard missing.isEmpty else { throw .gateNotMet(from: deal.stage, to: target, missing: missing) }
            let effects: [DealEffect] =
                target == .service ? [.createTask(kind: offerServiceTask, assignee: .manager)] : []
            return (target, effects)
        case .lose(let reason, _):
            guard let createsQualityTask = rules.lossReasons[reason] else {
                throw .unknownLossReason(reason, known: rules.lossReasons.keys.sorted())
            }
            let effects: [DealEffect] =
                createsQualityTask ? [.createTask(kind: qualityCheckTask, assignee: .headOfDepartment)] : []
            return (.lost, effects)
        }
    }

    /// Whether any line's equipment type is one the rules say needs certification.
    public static func needsCertification(_ deal: Deal, rules: SalesRules) -> Bool {
        !deal.equipmentTypes.isDisjoint(with: rules.certificationTypes)
    }

    /// Every condition of entering `target` from the deal's stage that the deal does not meet.
    /// Only called for moves `nextStages` allows.
    static func unmetConditions(moving deal: Deal, to target: DealStage) -> [String] {
        var missing: [String] = []
        switch target {
        case .offer:
            missing += lineConditions(deal)
        case .contract:
            // Re-checked although an offer needed priced lines too: lines may change during the
            // offer, and a deal may skip the offer altogether.
            missing += lineConditions(deal)
            missing += deal.legalEntity.missingForContract
        case .fulfilment:
            if !deal.orderPlaced { missing.append("buyer order placed") }
        case .certification:
            if !deal.allShipped { missing.append("everything shipped") }
        case .commissioning:
            if deal.stage == .certification {
                if !deal.certified { missing.append("certified") }
            } else if !deal.allShipped {
                missing.append("everything shipped")
            }
        case .service:
            if !deal.commissioned { missing.append("commissioned") }
        case .closed:
            if let total = deal.total {
                if deal.paid < total.amount {
                    // Paid is rounded down so a shortfall of less than a cent never reads as
                    // "paid 100.00 of 100.00".
                    missing.append(
                        "payment covers the invoice (paid \(deal.paid.centsText(.down)) of "
                            + "\(total.amount.centsText()) \(total.currency))")
                }
            } else {
                missing.append("every line priced")
            }
            if !deal.serviceResolved { missing.append("service offer resolved") }
        case .selection, .lost:
            break
        }
        return missing
    }

    /// The offer's and the contract's conditions on lines. A line priced in another currency than
    /// the deal's counts as unpriced (see `Deal.unpricedLines`).
    private static func lineConditions(_ deal: Deal) -> [String] {
        var missing: [String] = []
        if deal.lines.isEmpty { missing.append("at least one line") }
        if !deal.unpricedLines.isEmpty { missing.append("every line priced") }
        return missing
    }
}
