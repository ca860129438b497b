import Contracts
import Foundation
import Testing

@testable import DealsCore

@Suite("Deals: lifecycle")
struct DealLifecycleTests {
    typealias F = DealFixtures

    /// The forward moves, written out independently of the implementation. Lost is reached only by
    /// `.lose`; closed and lost have no next stage.
    static let withoutCertification: [DealStage: [DealStage]] = [
        .selection: [.offer, .contract], .offer: [.contract], .contract: [.fulfilment],
        .fulfilment: [.commissioning], .certification: [.commissioning], .commissioning: [.service],
        .service: [.closed], .closed: [], .lost: [],
    ]
    static let withCertification: [DealStage: [DealStage]] = withoutCertification.merging(
        [.fulfilment: [.certification]], uniquingKeysWith: { $1 })

    static let openStages = DealStage.allCases.filter(\.isOpen)

    // MARK: Stages

    @Test("open means neither closed nor lost")
    func openStagesAreAllButClosedAndLost() {
        #expect(Self.openStages == [.selection, .offer, .contract, .fulfilment, .certification, .commissioning, .service])
    }

    @Test("probability grows along the process and is 0 for a lost deal")
    func probabilities() {
        let expected: [DealStage: Int] = [
            .selection: 10, .offer: 25, .contract: 50, .fulfilment: 75, .certification: 80, .commissioning: 85,
            .service: 95, .closed: 100, .lost: 0,
        ]
        for stage in DealStage.allCases { #expect(stage.probability == expected[stage], "\(stage)") }
    }

    @Test("wire names never change")
    func rawValues() {
        #expect(DealStage.allCases.map(\.rawValue) == [
            "selection", "offer", "contract", "fulfilment", "certification", "commissioning", "service", "closed", "lost",
        ])
        #expect(TaskAssignee.manager.rawValue == "manager")
        #expect(TaskAssignee.headOfDepartment.rawValue == "head_of_department")
    }

    // MARK: Transitions

    @Test("next stages follow the table, with certification only when a line needs it", arguments: DealStage.allCases)
    func nextStages(stage: DealStage) {
        #expect(DealLifecycle.nextStages(of: F.ready(at: stage, lines: F.pumpLines), rules: F.rules)
            == Self.withoutCertification[stage])
        #expect(DealLifecycle.nextStages(of: F.ready(at: stage, lines: F.climaticLines), rules: F.rules)
            == Self.withCertification[stage])
    }

    @Test("every stage × target: a deal meeting every gate moves exactly where the table says",
        arguments: DealStage.allCases, DealStage.allCases)
    func advance(from stage: DealStage, to target: DealStage) throws {
        for (lines, table) in [(F.pumpLines, Self.withoutCertification), (F.climaticLines, Self.withCertification)] {
            let deal = F.ready(at: stage, lines: lines)
            let allowed = try #require(table[stage])
            if !stage.isOpen {
                #expect(throws: DealRuleViolation.closed(stage)) {
                    try DealLifecycle.apply(.advance(to: target), to: deal, rules: F.rules)
                }
            } else if allowed.contains(target) {
                let result = try DealLifecycle.apply(.advance(to: target), to: deal, rules: F.rules)
                #expect(result.stage == target)
                #expect(result.effects == (target == .service ? [.createTask(kind: "offer_service", assignee: .manager)] : []))
            } else {
                #expect(throws: DealRuleViolation.invalidTransition(from: stage, to: target, allowed: allowed)) {
                    try DealLifecycle.apply(.advance(to: target), to: deal, rules: F.rules)
                }
            }
        }
    }

    @Test("the move is judged before its gate: a wrong target is not reported as unmet conditions")
    func transitionBeforeGate() {
        var deal = F.ready(at: .selection, lines: [])
        deal.legalEntity = LegalEntity(name: "Agro LLC")
        #expect(throws: DealRuleViolation.invalidTransition(from: .selection, to: .service, allowed: [.offer, .contract])) {
            try DealLifecycle.apply(.advance(to: .service), to: deal, rules: F.rules)
        }
    }

    @Test("the offer may be skipped: selection goes straight to contract")
    func offerSkip() throws {
        let result = try DealLifecycle.apply(.advance(to: .contract), to: F.ready(at: .selection), rules: F.rules)
        #expect(result.stage == .contract)
        #expect(result.effects.isEmpty)
    }

    @Test("a deal cannot stay where it is or go back", arguments: DealStage.allCases.filter(\.isOpen))
    func noStandingStillOrGoingBack(stage: DealStage) {
        let earlier = DealStage.allCases.prefix { $0 != stage } + [stage]
        for target in earlier {
            #expect(throws: DealRuleViolation.self) {
                try DealLifecycle.apply(.advance(to: target), to: F.ready(at: stage), rules: F.rules)
            }
        }
    }

    @Test("`lost` is reached by losing, never by advancing", arguments: DealStage.allCases.filter(\.isOpen))
    func advanceToLostIsRefused(stage: DealStage) throws {
        let allowed = try #require(Self.withoutCertification[stage])
        #expect(throws: DealRuleViolation.invalidTransition(from: stage, to: .lost, allowed: allowed)) {
            try DealLifecycle.apply(.advance(to: .lost), to: F.ready(at: stage), rules: F.rules)
        }
    }

    // MARK: Certification

    @Test("a climatic or simulation line sends the deal through certification", arguments: ["climatic", "simulation"])
    func certificationForConfiguredTypes(type: String) throws {
        let deal = F.ready(at: .fulfilment, lines: [F.line(1), F.line(2, type: type)])
        #expect(DealLifecycle.nextStages(of: deal, rules: F.rules) == [.certification])
        #expect(try DealLifecycle.apply(.advance(to: .certification), to: deal, rules: F.rules).stage == .certification)
        #expect(throws: DealRuleViolation.invalidTransition(from: .fulfilment, to: .commissioning, allowed: [.certification])) {
            try DealLifecycle.apply(.advance(to: .commissioning), to: deal, rules: F.rules)
        }
    }

    @Test("pump-only deals (or lines without a type) go straight to commissioning")
    func noCertificationForOtherTypes() throws {
        let deal = F.ready(at: .fulfilment, lines: [F.line(1), F.line(2, type: nil)])
        #expect(DealLifecycle.nextStages(of: deal, rules: F.rules) == [.commissioning])
        #expect(try DealLifecycle.apply(.advance(to: .commissioning), to: deal, rules: F.rules).stage == .commissioning)
        #expect(throws: DealRuleViolation.invalidTransition(from: .fulfilment, to: .certification, allowed: [.commissioning])) {
            try DealLifecycle.apply(.advance(to: .certification), to: deal, rules: F.rules)
        }
    }

    @Test("which types need certification is configuration, not code")
    func certificationTypesComeFromRules() {
        let deal = F.ready(at: .fulfilment, lines: F.climaticLines)
        let pumpsCertified = SalesRules(certificationTypes: ["pump"], lossReasons: [:])
        let nothingCertified = SalesRules(certificationTypes: [], lossReasons: [:])
        #expect(DealLifecycle.nextStages(of: F.ready(at: .fulfilment, lines: F.pumpLines), rules: pumpsCertified)
            == [.certification])
        #expect(DealLifecycle.nextStages(of: deal, rules: nothingCertified) == [.commissioning])
        #expect(!DealLifecycle.needsCertification(deal, rules: nothingCertified))
        #expect(DealLifecycle.needsCertification(deal, rules: F.rules))
    }

    // MARK: Gates

    /// One unmet gate: the deal, the move, and every condition the 409 must name.
    struct Gate: Sendable, CustomTestStringConvertible {
        var name: String
        var deal: Deal
        var target: DealStage
        var missing: [String]
        var testDescription: String { name }
    }

    static let unmetGates: [Gate] = {
        var gates: [Gate] = []
        func gate(_ name: String, _ stage: DealStage, to target: DealStage, lines: [DealLine] = F.pumpLines,
            _ change: (inout Deal) -> Void, _ missing: [String]) {
            var deal = F.ready(at: stage, lines: lines)
            change(&deal)
            gates.append(Gate(name: name, deal: deal, target: target, missing: missing))
        }
        gate("offer without lines", .selection, to: .offer, lines: [], { _ in }, ["at least one line"])
        gate("offer with an unpriced line", .selection, to: .offer, lines: [F.line(1), F.line(2, price: nil)], { _ in },
            ["every line priced"])
        gate("offer with a zero price", .selection, to: .offer, lines: [F.line(1, price: "0")], { _ in },
            ["every line priced"])
        gate("offer with a zero quantity", .selection, to: .offer, lines: [F.line(1, quantity: "0")], { _ in },
            ["every line priced"])
        gate("contract with everything missing", .offer, to: .contract, lines: [F.line(1, price: nil)],
            { $0.legalEntity = LegalEntity(name: "Agro LLC") },
            ["every line priced", "legalEntity.taxId", "legalEntity.paymentDetails", "legalEntity.address"])
        gate("contract skipping the offer, without lines, blank details", .selection, to: .contract, lines: [],
            { $0.legalEntity = LegalEntity(name: " ", taxId: "  ", paymentDetails: "\n", address: "1 Field Road") },
            ["at least one line", "legalEntity.name", "legalEntity.taxId", "legalEntity.paymentDetails"])
        gate("contract with only the address missing", .offer, to: .contract, { $0.legalEntity.address = nil },
            ["legalEntity.address"])
        gate("fulfilment without the buyer order", .contract, to: .fulfilment, { $0.orderPlaced = false },
            ["buyer order placed"])
        gate("commissioning before everything shipped", .fulfilment, to: .commissioning, { $0.allShipped = false },
            ["everything shipped"])
        gate("certification before everything shipped", .fulfilment, to: .certification, lines: F.climaticLines,
            { $0.allShipped = false }, ["everything shipped"])
        gate("commissioning before certified", .certification, to: .commissioning, lines: F.climaticLines,
            { $0.certified = false }, ["certified"])
        gate("service before commissioned", .commissioning, to: .service, { $0.commissioned = false }, ["commissioned"])
        gate("closing underpaid and service unresolved", .service, to: .closed,
            lines: [F.line(1, quantity: "2", price: "125")], { $0.paid = 100; $0.serviceResolved = false },
            ["payment covers the invoice (paid 100.00 of 250.00 EUR)", "service offer resolved"])
        gate("closing unpaid", .service, to: .closed, { $0.paid = 0 },
            ["payment covers the invoice (paid 0.00 of 250.00 EUR)"])
        gate("closing short by less than a cent", .service, to: .closed, lines: [F.line(1, price: "250")],
            { $0.paid = F.d("249.999") }, ["payment covers the invoice (paid 249.99 of 250.00 EUR)"])
        gate("closing with an unknown total", .service, to: .closed, lines: [F.line(1), F.line(2, price: nil)],
            { $0.paid = 1_000 }, ["every line priced"])
        gate("closing with the service offer unanswered", .service, to: .closed, { $0.serviceResolved = false },
            ["service offer resolved"])
        return gates
    }()

    @Test("an unmet gate names every missing condition at once", arguments: unmetGates)
    func gateNotMet(gate: Gate) {
        #expect(throws: DealRuleViolation.gateNotMet(from: gate.deal.stage, to: gate.target, missing: gate.missing)) {
            try DealLifecycle.apply(.advance(to: gate.target), to: gate.deal, rules: F.rules)
        }
    }

    @Test("certification's gate is not asked again after it: commissioning from certification needs only `certified`")
    func commissioningAfterCertification() throws {
        var deal = F.ready(at: .certification, lines: F.climaticLines)
        deal.allShipped = false
        #expect(try DealLifecycle.apply(.advance(to: .commissioning), to: deal, rules: F.rules).stage == .commissioning)
    }

    @Test("overpaying closes the deal too")
    func overpaid() throws {
        var deal = F.ready(at: .service)
        deal.paid += 10
        let result = try DealLifecycle.apply(.advance(to: .closed), to: deal, rules: F.rules)
        #expect(result.stage == .closed)
        #expect(result.effects.isEmpty)
    }

    @Test("entering service, and only that, creates the offer_service task for the manager")
    func serviceTask() throws {
        let result = try DealLifecycle.apply(.advance(to: .service), to: F.ready(at: .commissioning), rules: F.rules)
        #expect(result.stage == .service)
        #expect(result.effects == [.createTask(kind: DealLifecycle.offerServiceTask, assignee: .manager)])
        #expect(DealLifecycle.offerServiceTask == "offer_service")
    }

    // MARK: Losing

    @Test("a deal may be lost from every open stage; only a reason configured so creates a quality check",
        arguments: DealStage.allCases.filter(\.isOpen), ["not_suitable", "no_budget", "competitor", "other"])
    func lose(from stage: DealStage, reason: String) throws {
        let result = try DealLifecycle.apply(
            .lose(reason: reason, comment: "chose a cheaper model"), to: F.ready(at: stage), rules: F.rules)
        #expect(result.stage == .lost)
        if reason == "not_suitable" {
            #expect(result.effects == [.createTask(kind: "quality_check", assignee: .headOfDepartment)])
        } else {
            #expect(result.effects.isEmpty)
        }
    }

    @Test("losing needs no gate: even a deal with nothing done can be lost without a comment")
    func loseWithoutAnything() throws {
        var deal = F.ready(at: .selection, lines: [])
        deal.legalEntity = LegalEntity(name: "Agro LLC")
        let result = try DealLifecycle.apply(.lose(reason: "no_budget", comment: nil), to: deal, rules: F.rules)
        #expect(result.stage == .lost)
        #expect(result.effects.isEmpty)
    }

    @Test("the quality check follows the configuration, not the reason's name")
    func qualityTaskIsConfigured() throws {
        let rules = SalesRules(certificationTypes: [], lossReasons: ["not_suitable": false, "rude_manager": true])
        let deal = F.ready(at: .offer)
        #expect(try DealLifecycle.apply(.lose(reason: "not_suitable", comment: nil), to: deal, rules: rules).effects == [])
        #expect(try DealLifecycle.apply(.lose(reason: "rude_manager", comment: nil), to: deal, rules: rules).effects
            == [.createTask(kind: "quality_check", assignee: .headOfDepartment)])
    }

    @Test("an unknown loss reason is refused and the known ones listed, sorted", arguments: ["too_expensive", "NOT_SUITABLE", ""])
    func unknownLossReason(reason: String) {
        #expect(throws: DealRuleViolation.unknownLossReason(
            reason, known: ["competitor", "no_budget", "not_suitable", "other", "postponed"])) {
            try DealLifecycle.apply(.lose(reason: reason, comment: nil), to: F.ready(at: .offer), rules: F.rules)
        }
    }

    @Test("closed and lost deals accept no command at all", arguments: [DealStage.closed, .lost])
    func finalStages(stage: DealStage) {
        let deal = F.ready(at: stage)
        let commands: [DealCommand] =
            DealStage.allCases.map { .advance(to: $0) } + [
                .lose(reason: "not_suitable", comment: nil), .lose(reason: "too_expensive", comment: nil),
            ]
        for command in commands {
            #expect(throws: DealRuleViolation.closed(stage)) { try DealLifecycle.apply(command, to: deal, rules: F.rules) }
        }
    }

    // MARK: Messages

    @Test("violations read as sentences naming the stage and every condition")
    func descriptions() {
        #expect(DealRuleViolation.invalidTransition(from: .selection, to: .service, allowed: [.offer, .contract]).description
            == "a deal in stage selection cannot move to service; next stages: offer, contract")
        #expect(DealRuleViolation.invalidTransition(from: .closed, to: .service, allowed: []).description
            == "a deal in stage closed cannot move to service; next stages: none")
        #expect(DealRuleViolation.gateNotMet(
            from: .offer, to: .contract, missing: ["every line priced", "legalEntity.taxId"]).description
            == "a deal in stage offer cannot move to contract yet; missing: every line priced; legalEntity.taxId")
        #expect(DealRuleViolation.unknownLossReason("x", known: ["no_budget", "other"]).description
            == "unknown loss reason \"x\"; known reasons: no_budget, other")
        #expect(DealRuleViolation.closed(.lost).description == "the deal is lost and accepts no more changes")
    }
}
