import Foundation

/// Where a lead is in its life: from an unknown caller or mailer to a deal (or a reasoned "no").
public enum LeadState: String, Codable, Sendable, CaseIterable {
    /// Registered from a call or a mail; waiting for the head of sales to triage it.
    case new
    /// Triaged to a department and manager; the manager has not reached the customer yet.
    case assigned
    /// The manager has contacted the customer.
    case inProgress = "in_progress"
    /// Needs, counterparty and contacts are known; ready to become a deal.
    case qualified
    /// A deal was opened from it.
    case converted
    /// Closed without a deal, for a recorded reason.
    case disqualified

    /// Still being worked: not converted and not disqualified. Only open leads have SLA deadlines.
    public var isOpen: Bool {
        switch self {
        case .new, .assigned, .inProgress, .qualified: true
        case .converted, .disqualified: false
        }
    }
}

/// Why a lead was closed without a deal. The raw values are stored and sent on the wire, so they
/// never change; `not_suitable` is spelled as the deals service's loss reason of the same meaning.
public enum DisqualificationReason: String, Codable, Sendable, CaseIterable {
    case notSuitable = "not_suitable"
    case noBudget = "no_budget"
    case duplicate
    case spam
    case other
}

/// What sales staff do to a lead. Pure data: who may issue it and whether the ids exist is checked
/// by the caller against the database; the lifecycle only judges the state and the payload.
public enum LeadCommand: Sendable, Equatable {
    /// Triage (or re-triage) to a department and one of its managers.
    case assign(department: String, manager: UUID)
    /// The manager contacted the customer; this stops the first-contact SLA clock.
    case startWork
    /// The customer's needs are understood and at least one contact person is known.
    case qualify(needs: String, counterpartyId: UUID?, contactIds: [UUID])
    /// Close without a deal; `.other` must be explained in `comment`.
    case disqualify(reason: DisqualificationReason, comment: String?)
    /// A deal was opened from the lead.
    case convert

    /// The command's name on the wire, in logs and in error messages.
    public var name: String {
        switch self {
        case .assign: "assign"
        case .startWork: "start_work"
        case .qualify: "qualify"
        case .disqualify: "disqualify"
        case .convert: "convert"
        }
    }
}

/// A command that the lead's state or the command's own data does not allow: the client's
/// mistake (a conflict or an unprocessable request), never a server fault.
public enum LeadRuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command is not allowed in the lead's current state.
    case invalidTransition(command: String, from: LeadState, allowedFrom: [LeadState])
    /// The command lacks data the business requires; `field` is the wire name.
    case missing(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalidTransition(let command, let from, let allowedFrom):
            let allowed = allowedFrom.isEmpty ? "no state" : allowedFrom.map(\.rawValue).joined(separator: ", ")
            return "cannot \(command) a lead in state \(from.rawValue); allowed from: \(allowed)"
        case .missing(let field, let reason):
            return "\(field) is required: \(reason)"
        }
    }
}

/// The lead state machine. Kept free of storage and clocks so every rule is unit-tested as a
/// plain function; storage decides the next state here, then writes it with its outbox event.
public enum LeadLifecycle {
    /// The state after `command`, or the rule it breaks.
    ///
    /// The state is checked before the payload: a command in the wrong state is rejected as such
    /// even when its data is also incomplete, because fixing the data would not help.
    public static func next(from state: LeadState, _ command: LeadCommand) throws(LeadRuleViolation) -> LeadState {
        let allowed = allowedStates(for: command)
        guard allowed.contains(state) else {
            throw .invalidTransition(command: command.name, from: state, allowedFrom: allowed)
        }
        switch command {
        case .assign(let department, _):
            if department.isBlank {
                throw .missing(field: "department", reason: "a lead is assigned to a department and one of its managers")
            }
            return .assigned
        case .startWork:
            return .inProgress
        case .qualify(let needs, _, let contactIds):
            if needs.isBlank {
                throw .missing(field: "needs", reason: "describe what the customer needs before qualifying the lead")
            }
            if contactIds.isEmpty {
                throw .missing(field: "contactIds", reason: "a qualified lead needs at least one contact person")
            }
            return .qualified
        case .disqualify(let reason, let comment):
            if reason == .other, comment?.isBlank ?? true {
                throw .missing(field: "comment", reason: "disqualifying for reason \"other\" needs a comment saying why")
            }
            return .disqualified
        case .convert:
            return .converted
        }
    }

    /// States `command` may be applied in, in `LeadState.allCases` order.
    ///
    /// Re-assignment is allowed until qualification: a lead triaged to the wrong department must
    /// be movable, and it goes back to `assigned` so the new manager's first-contact clock starts.
    /// A qualified lead is no longer re-assigned — its manager owns the coming deal.
    public static func allowedStates(for command: LeadCommand) -> [LeadState] {
        switch command {
        case .assign: [.new, .assigned, .inProgress]
        case .startWork: [.assigned]
        case .qualify: [.inProgress]
        case .disqualify: LeadState.allCases.filter(\.isOpen)
        case .convert: [.qualified]
        }
    }
}

extension String {
    /// Empty or only whitespace: what a form sends when the user typed nothing.
    fileprivate var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}
