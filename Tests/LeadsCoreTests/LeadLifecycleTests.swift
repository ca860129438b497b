import Foundation
import Testing

@testable import LeadsCore

@Suite("Leads: lifecycle")
struct LeadLifecycleTests {
    static let manager = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!
    static let contact = UUID(uuidString: "0B1E5C52-3B8A-4C39-9D0A-3F2B6A1C7E11")!

    /// One well-formed example of each command.
    static let commands: [LeadCommand] = [
        .assign(department: "prom", manager: manager),
        .startWork,
        .qualify(needs: "Two tractors before spring sowing", counterpartyId: nil, contactIds: [contact]),
        .disqualify(reason: .noBudget, comment: nil),
        .convert,
    ]

    /// The whole transition table, written out independently of the implementation: command name →
    /// state before → state after. A missing entry means the command is not allowed there.
    static let table: [String: [LeadState: LeadState]] = [
        "assign": [.new: .assigned, .assigned: .assigned, .inProgress: .assigned],
        "start_work": [.assigned: .inProgress],
        "qualify": [.inProgress: .qualified],
        "disqualify": [.new: .disqualified, .assigned: .disqualified, .inProgress: .disqualified, .qualified: .disqualified],
        "convert": [.qualified: .converted],
    ]

    @Test("every state × command pair gives the table's target or names the states it is allowed from",
        arguments: LeadState.allCases, commands)
    func transition(from state: LeadState, command: LeadCommand) throws {
        let targets = try #require(Self.table[command.name])
        if let target = targets[state] {
            #expect(try LeadLifecycle.next(from: state, command) == target)
        } else {
            let allowed = LeadState.allCases.filter { targets[$0] != nil }
            #expect(throws: LeadRuleViolation.invalidTransition(command: command.name, from: state, allowedFrom: allowed)) {
                try LeadLifecycle.next(from: state, command)
            }
        }
    }

    @Test("allowed states are listed in lifecycle order", arguments: commands)
    func allowedStates(command: LeadCommand) throws {
        let targets = try #require(Self.table[command.name])
        #expect(LeadLifecycle.allowedStates(for: command) == LeadState.allCases.filter { targets[$0] != nil })
    }

    @Test("closed leads accept no command at all", arguments: [LeadState.converted, .disqualified])
    func closedLeadsAreFinal(state: LeadState) {
        for command in Self.commands {
            #expect(throws: LeadRuleViolation.self) { try LeadLifecycle.next(from: state, command) }
        }
    }

    @Test("open means neither converted nor disqualified")
    func openStates() {
        #expect(LeadState.allCases.filter(\.isOpen) == [.new, .assigned, .inProgress, .qualified])
    }

    // MARK: Missing data

    struct MissingData: Sendable, CustomTestStringConvertible {
        var state: LeadState
        var command: LeadCommand
        var field: String
        var testDescription: String { "\(command.name) without \(field)" }
    }

    static let missingData: [MissingData] = [
        .init(state: .new, command: .assign(department: "", manager: manager), field: "department"),
        .init(state: .inProgress, command: .assign(department: " \t", manager: manager), field: "department"),
        .init(state: .inProgress, command: .qualify(needs: "", counterpartyId: nil, contactIds: [contact]), field: "needs"),
        .init(state: .inProgress, command: .qualify(needs: "  \n ", counterpartyId: contact, contactIds: [contact]), field: "needs"),
        .init(state: .inProgress, command: .qualify(needs: "A loader", counterpartyId: nil, contactIds: []), field: "contactIds"),
        // Both missing: the needs are reported first.
        .init(state: .inProgress, command: .qualify(needs: " ", counterpartyId: nil, contactIds: []), field: "needs"),
        .init(state: .new, command: .disqualify(reason: .other, comment: nil), field: "comment"),
        .init(state: .qualified, command: .disqualify(reason: .other, comment: ""), field: "comment"),
        .init(state: .assigned, command: .disqualify(reason: .other, comment: " \n"), field: "comment"),
    ]

    @Test("a command without the data the business requires is refused", arguments: missingData)
    func missingDataIsRefused(example: MissingData) {
        let error = #expect(throws: LeadRuleViolation.self) {
            try LeadLifecycle.next(from: example.state, example.command)
        }
        guard case .missing(let field, let reason) = error else {
            Issue.record("expected a missing \(example.field), got \(String(describing: error))")
            return
        }
        #expect(field == example.field)
        #expect(!reason.isEmpty)
    }

    @Test("the state is checked before the data: fixing the data would not help")
    func stateIsCheckedFirst() {
        #expect(
            throws: LeadRuleViolation.invalidTransition(command: "qualify", from: .new, allowedFrom: [.inProgress])
        ) {
            try LeadLifecycle.next(from: .new, .qualify(needs: "", counterpartyId: nil, contactIds: []))
        }
        #expect(
            throws: LeadRuleViolation.invalidTransition(
                command: "disqualify", from: .converted, allowedFrom: [.new, .assigned, .inProgress, .qualified])
        ) {
            try LeadLifecycle.next(from: .converted, .disqualify(reason: .other, comment: nil))
        }
    }

    @Test("only reason `other` needs a comment", arguments: DisqualificationReason.allCases)
    func commentIsOptionalExceptForOther(reason: DisqualificationReason) throws {
        #expect(try LeadLifecycle.next(from: .new, .disqualify(reason: reason, comment: "Called back, no longer interested")) == .disqualified)
        if reason != .other {
            #expect(try LeadLifecycle.next(from: .inProgress, .disqualify(reason: reason, comment: nil)) == .disqualified)
            #expect(try LeadLifecycle.next(from: .inProgress, .disqualify(reason: reason, comment: "")) == .disqualified)
        }
    }

    @Test("a counterparty is optional when qualifying; several contacts are fine")
    func qualifyWithoutCounterparty() throws {
        let command = LeadCommand.qualify(needs: "Spare parts", counterpartyId: nil, contactIds: [Self.contact, Self.manager])
        #expect(try LeadLifecycle.next(from: .inProgress, command) == .qualified)
    }

    // MARK: Texts and wire codes

    @Test("violations read as sentences naming the command and the states")
    func descriptions() {
        #expect(
            LeadRuleViolation.invalidTransition(command: "qualify", from: .new, allowedFrom: [.inProgress]).description
                == "cannot qualify a lead in state new; allowed from: in_progress")
        #expect(
            LeadRuleViolation.invalidTransition(
                command: "disqualify", from: .converted, allowedFrom: [.new, .assigned, .inProgress, .qualified]
            ).description == "cannot disqualify a lead in state converted; allowed from: new, assigned, in_progress, qualified")
        #expect(
            LeadRuleViolation.invalidTransition(command: "convert", from: .new, allowedFrom: []).description
                == "cannot convert a lead in state new; allowed from: no state")
        #expect(
            LeadRuleViolation.missing(field: "needs", reason: "describe what the customer needs").description
                == "needs is required: describe what the customer needs")
    }

    @Test("the violation thrown for each missing field explains itself")
    func missingFieldTexts() {
        func text(_ state: LeadState, _ command: LeadCommand) -> String? {
            do {
                _ = try LeadLifecycle.next(from: state, command)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            text(.inProgress, .qualify(needs: "", counterpartyId: nil, contactIds: [Self.contact]))
                == "needs is required: describe what the customer needs before qualifying the lead")
        #expect(
            text(.inProgress, .qualify(needs: "Forklift", counterpartyId: nil, contactIds: []))
                == "contactIds is required: a qualified lead needs at least one contact person")
        #expect(
            text(.new, .disqualify(reason: .other, comment: nil))
                == "comment is required: disqualifying for reason \"other\" needs a comment saying why")
        #expect(
            text(.new, .assign(department: "", manager: Self.manager))
                == "department is required: a lead is assigned to a department and one of its managers")
        #expect(text(.assigned, .startWork) == nil)
    }

    @Test("wire codes never change: they are stored and sent")
    func wireCodes() throws {
        #expect(LeadState.allCases.map(\.rawValue) == ["new", "assigned", "in_progress", "qualified", "converted", "disqualified"])
        #expect(DisqualificationReason.allCases.map(\.rawValue) == ["not_suitable", "no_budget", "duplicate", "spam", "other"])
        #expect(Self.commands.map(\.name) == ["assign", "start_work", "qualify", "disqualify", "convert"])
        let encoded = try JSONEncoder().encode([LeadState.inProgress])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["in_progress"]"#)
        #expect(try JSONDecoder().decode([DisqualificationReason].self, from: Data(#"["no_budget"]"#.utf8)) == [.noBudget])
    }
}
