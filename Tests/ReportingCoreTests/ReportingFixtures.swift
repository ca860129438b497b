import Contracts
import Foundation
import Testing
import TestSupport

// Shared by the read-model tests: events as the projections receive them, fixed instants and ids, the
// lead and deal events the funnel and timeliness tests both state, and the checks that a model does not
// depend on the order its events arrive in nor on their repetition.

/// One event as a read model receives it: the payload and its envelope's `occurredAt`.
struct Fed: Sendable {
    var payload: any EventPayload
    var occurredAt: Date
}

/// An instant from its ISO 8601 text (tests only: a typo stops the test run at once).
func at(_ iso: String) -> Date {
    guard let date = Timestamp.parse(iso) else { fatalError("not an ISO 8601 instant: \(iso)") }
    return date
}

/// A readable fixed id, `00000000-0000-0000-000<kind>-<n>`: each suite says what its kinds are.
func id(_ kind: Int, _ n: Int) -> UUID {
    UUID(uuidString: "00000000-0000-0000-000\(kind)-" + String(repeating: "0", count: 12 - String(n).count) + String(n))!
}

/// A query as a test case names it: the parts it sets, or "everything".
func queryDescription(from: Date?, to: Date?, asOf: Date?, department: String?, manager: UUID?, channel: String? = nil) -> String {
    let parts: [String?] = [
        from.map { "from \(Timestamp.format($0))" }, to.map { "to \(Timestamp.format($0))" },
        asOf.map { "as of \(Timestamp.format($0))" }, department.map { "department \($0)" }, manager.map { "manager \($0)" },
        channel.map { "channel \($0)" },
    ]
    let text = parts.compactMap { $0 }.joined(separator: ", ")
    return text.isEmpty ? "everything" : text
}

// MARK: - Leads and deals

// As the funnel and timeliness tests state them; each event occurs at its own instant.

func created(_ lead: UUID, _ channel: LeadChannel, _ when: String, triageDue: String? = nil) -> Fed {
    Fed(payload: LeadCreated(
        leadId: lead, channel: channel, name: "Customer", email: nil, phone: nil, company: nil, source: "inquiry:x",
        createdAt: at(when), triageDueAt: triageDue.map(at)),
        occurredAt: at(when))
}

func state(
    _ lead: UUID, _ from: String, _ to: String, _ when: String, department: String? = nil, manager: UUID? = nil, reason: String? = nil
) -> Fed {
    Fed(payload: LeadStateChanged(
        leadId: lead, from: from, to: to, departmentCode: department, managerId: manager, reason: reason, changedBy: nil,
        changedAt: at(when)),
        occurredAt: at(when))
}

func opened(_ deal: UUID, lead: UUID? = nil, _ when: String, department: String, manager: UUID, stage: String = "selection") -> Fed {
    Fed(payload: DealOpened(
        dealId: deal, leadId: lead, counterpartyName: "ACME", managerId: manager, departmentCode: department, stage: stage,
        total: nil, openedAt: at(when)),
        occurredAt: at(when))
}

func moved(_ deal: UUID, _ from: String, _ to: String, _ when: String) -> Fed {
    Fed(payload: DealStageChanged(dealId: deal, from: from, to: to, probability: 50, total: nil, changedBy: nil, changedAt: at(when)),
        occurredAt: at(when))
}

func lost(_ deal: UUID, reason: String = "price", _ when: String) -> Fed {
    Fed(payload: DealLost(dealId: deal, reason: reason, comment: nil, lostAt: at(when)), occurredAt: at(when))
}

func closed(_ deal: UUID, _ when: String) -> Fed {
    Fed(payload: DealClosed(dealId: deal, total: Money(Decimal(1000), "EUR"), closedAt: at(when)), occurredAt: at(when))
}

// MARK: - Order independence

/// A model fed `events` in turn, starting from `make()`.
func model<M>(_ events: [Fed], _ make: () -> M, apply: (inout M, Fed) -> Void) -> M {
    var model = make()
    for event in events { apply(&model, event) }
    return model
}

/// What the order-independence and idempotence checks of one read model take: its events, how a model
/// is built from events, the queries to compare reports under, and the figures to compare drill-downs into.
struct OrderIndependence<Model: Equatable & Sendable, Query: Sendable, Report: Equatable, Detail: Equatable>: Sendable {
    let events: [Fed]
    let build: @Sendable ([Fed]) -> Model
    let probes: [Query]
    let report: @Sendable (Model, Query) -> Report
    let figures: [String]
    let drillDown: @Sendable (Model, Query, String) -> Detail

    /// Expects the model built from the events reversed, and from them shuffled with `seed`, to equal the
    /// one built from them in order, and so its report under each probe; and the shuffled model's
    /// drill-down into each figure under each probe to equal the in-order one's.
    func expectOrderIndependent(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        let inOrder = build(events)
        var random = SplitMix64(seed: seed)
        let reversed = build(events.reversed())
        let shuffled = build(random.shuffled(events))
        #expect(reversed == inOrder, "reversed", sourceLocation: sourceLocation)
        #expect(shuffled == inOrder, "shuffled (seed \(seed))", sourceLocation: sourceLocation)
        for query in probes {
            let expected = report(inOrder, query)
            #expect(report(reversed, query) == expected, "reversed, query \(query)", sourceLocation: sourceLocation)
            #expect(report(shuffled, query) == expected, "shuffled (seed \(seed)), query \(query)", sourceLocation: sourceLocation)
            for figure in figures {
                #expect(
                    drillDown(shuffled, query, figure) == drillDown(inOrder, query, figure),
                    "shuffled (seed \(seed)), query \(query), drill-down \(figure)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Expects every event applied twice (all of them again, or each one twice in a row), or three times
    /// shuffled with `seed`, to give a model equal to the one built from the events once, and so equal
    /// reports under each probe.
    func expectIdempotent(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        let once = build(events)
        #expect(build(events + events) == once, "all twice", sourceLocation: sourceLocation)
        #expect(build(events.flatMap { [$0, $0] }) == once, "each twice in a row", sourceLocation: sourceLocation)
        var random = SplitMix64(seed: seed)
        let thrice = build(random.shuffled(events + events + events))
        #expect(thrice == once, "thrice, shuffled (seed \(seed))", sourceLocation: sourceLocation)
        for query in probes {
            #expect(report(thrice, query) == report(once, query), "thrice, shuffled (seed \(seed)), query \(query)", sourceLocation: sourceLocation)
        }
    }
}

extension OrderIndependence where Detail == Bool {
    /// For a model without drill-downs.
    init(events: [Fed], build: @escaping @Sendable ([Fed]) -> Model, probes: [Query], report: @escaping @Sendable (Model, Query) -> Report) {
        self.init(events: events, build: build, probes: probes, report: report, figures: [], drillDown: { _, _, _ in true })
    }
}
