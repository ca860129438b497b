import Contracts
import Foundation
import Testing
import TestSupport

@testable import ReportingCore

// MARK: - Fixture

// Ids (`id(kind, n)`): kind 1 = lead, 2 = deal, 3 = inquiry, 4 = call, 9 = manager.
// Lead and deal events (`created`, `state`, `opened`, `moved`, `lost`, `closed`) are in ReportingFixtures.swift.

private func inquiry(_ inquiryId: UUID, _ channel: InquiryChannel, _ when: String) -> Fed {
    Fed(payload: InquiryReceived(
        inquiryId: inquiryId, channel: channel, identity: InquiryIdentity(email: "someone@example.com"), subject: nil, text: "hello",
        attachments: [], source: InquirySource(connector: "mail", sourceId: inquiryId.uuidString), receivedAt: at(when)),
        occurredAt: at(when))
}

private func call(_ callId: UUID, startedAt: String?, occurredAt: String, direction: CallDirection = .inbound) -> Fed {
    Fed(payload: CallRegistered(
        callId: callId, linkedId: "pbx-\(callId.uuidString.suffix(4))", direction: direction,
        caller: PartyNumber(raw: "+4930123456", e164: "+4930123456"), called: nil, did: "+4930999", startedAt: startedAt.map(at)),
        occurredAt: at(occurredAt))
}

private func converted(_ lead: UUID, _ when: String, department: String, manager: UUID, channel: LeadChannel) -> Fed {
    Fed(payload: LeadConverted(
        leadId: lead, counterpartyId: nil, contactIds: [], managerId: manager, departmentCode: department, needs: "a chamber",
        channel: channel, correlationId: lead, convertedAt: at(when)),
        occurredAt: at(when))
}

private func model(_ events: [Fed]) -> FunnelModel {
    model(events, FunnelModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

private let sales = "sales"
private let service = "service"
private let m1 = id(9, 1)
private let m2 = id(9, 2)
private let m3 = id(9, 3)

private let lead1 = id(1, 1)
private let lead2 = id(1, 2)
private let lead3 = id(1, 3)
private let lead4 = id(1, 4)
/// Named by deal 3 but never seen.
private let unknownLead = id(1, 99)
private let deal1 = id(2, 1)
private let deal2 = id(2, 2)
private let deal3 = id(2, 3)
private let mail1 = id(3, 1)
private let chat1 = id(3, 2)
private let form1 = id(3, 3)
private let call1 = id(4, 1)
private let outboundCall = id(4, 2)

/// One inbound call that becomes lead 1, is worked, qualified, converted, and its deal closed.
private let journey: [Fed] = [
    call(call1, startedAt: "2026-03-02T09:00:00Z", occurredAt: "2026-03-02T09:00:01Z"),
    created(lead1, .phone, "2026-03-02T09:01:00Z"),
    state(lead1, "new", "assigned", "2026-03-02T10:00:00Z", department: sales, manager: m1),
    state(lead1, "assigned", "in_progress", "2026-03-02T11:00:00Z", department: sales, manager: m1),
    state(lead1, "in_progress", "qualified", "2026-03-03T12:00:00Z", department: sales, manager: m1),
    converted(lead1, "2026-03-04T09:00:00Z", department: sales, manager: m1, channel: .phone),
    opened(deal1, lead: lead1, "2026-03-04T09:00:01Z", department: sales, manager: m1),
    moved(deal1, "selection", "offer", "2026-03-05T10:00:00Z"),
    moved(deal1, "offer", "contract", "2026-03-06T10:00:00Z"),
    moved(deal1, "contract", "closed", "2026-03-10T10:00:00Z"),
    closed(deal1, "2026-03-10T10:00:00Z"),
]

/// The journey plus: a disqualified chat lead, a web-form lead converted into a deal that is lost,
/// a new mail lead, a deal whose lead is unknown, stray inquiries and an outbound call.
private let world: [Fed] = journey + [
    inquiry(mail1, .mail, "2026-03-01T08:00:00Z"),
    inquiry(chat1, .chat, "2026-03-02T09:59:00Z"),
    inquiry(form1, .webForm, "2026-03-07T15:00:00Z"),
    call(outboundCall, startedAt: "2026-03-02T12:00:00Z", occurredAt: "2026-03-02T12:00:00Z", direction: .outbound),

    created(lead2, .chat, "2026-03-02T10:00:00Z"),
    state(lead2, "new", "assigned", "2026-03-02T11:00:00Z", department: sales, manager: m2),
    state(lead2, "assigned", "disqualified", "2026-03-05T09:00:00Z", department: sales, manager: m2, reason: "no_budget"),

    created(lead3, .webForm, "2026-03-08T09:00:00Z"),
    state(lead3, "new", "assigned", "2026-03-08T10:00:00Z", department: service, manager: m3),
    state(lead3, "assigned", "qualified", "2026-03-09T10:00:00Z", department: service, manager: m3),
    converted(lead3, "2026-03-11T09:00:00Z", department: service, manager: m3, channel: .webForm),
    opened(deal2, lead: lead3, "2026-03-11T09:00:01Z", department: service, manager: m3),
    moved(deal2, "selection", "lost", "2026-03-15T10:00:00Z"),
    lost(deal2, reason: "price", "2026-03-15T10:00:00Z"),

    created(lead4, .mail, "2026-03-20T09:00:00Z"),

    opened(deal3, lead: unknownLead, "2026-03-12T09:00:00Z", department: sales, manager: m1),
    moved(deal3, "selection", "offer", "2026-03-13T09:00:00Z"),
]

/// Queries the order-independence tests compare under.
private let probes: [FunnelQuery] = [
    FunnelQuery(),
    FunnelQuery(asOf: at("2026-03-03T00:00:00Z")),
    FunnelQuery(asOf: at("2026-03-09T12:00:00Z")),
    FunnelQuery(asOf: at("2026-03-14T00:00:00Z")),
    FunnelQuery(from: at("2026-03-02T00:00:00Z"), to: at("2026-03-09T00:00:00Z")),
    FunnelQuery(department: sales),
    FunnelQuery(manager: m3),
    FunnelQuery(channel: "phone"),
]

private let steps = ["inquiries", "leads", "assigned", "contacted", "qualified", "disqualified", "converted", "deals", "closed", "lost"]

/// The world under the probes, and drilled into every step and two stages.
private let orderIndependence = OrderIndependence(
    events: world, build: model, probes: probes, report: { $0.report($1) },
    figures: steps + ["stage:offer", "stage:selection"], drillDown: { $0.drillDown($1, step: $2) })

private func figure(_ report: FunnelReport, _ step: String) -> Int {
    switch step {
    case "inquiries": report.inquiries
    case "leads": report.leads
    case "assigned": report.assigned
    case "contacted": report.contacted
    case "qualified": report.qualified
    case "disqualified": report.disqualified
    case "converted": report.converted
    case "deals": report.deals
    case "closed": report.closed
    case "lost": report.lost
    default: -1
    }
}

// MARK: - Tests

@Suite("Reporting: funnel model")
struct FunnelModelTests {
    @Test("a full journey counts in every step")
    func fullJourney() {
        let report = model(journey).report(FunnelQuery())
        #expect(report == FunnelReport(
            inquiries: 1, inquiriesByChannel: ["phone": 1], leads: 1, assigned: 1, contacted: 1, qualified: 1, disqualified: 0,
            disqualifiedByReason: [:], converted: 1, deals: 1, dealsByStage: ["closed": 1], closed: 1, lost: 0, lostByReason: [:],
            conversion: .init(leadToQualified: 100, qualifiedToConverted: 100, dealToClosed: 100)))
    }

    @Test("the whole world, as of now")
    func worldNow() {
        let report = model(world).report(FunnelQuery())
        #expect(report.inquiries == 4)
        #expect(report.inquiriesByChannel == ["phone": 1, "mail": 1, "chat": 1, "web_form": 1])
        #expect(report.leads == 4)
        #expect(report.assigned == 3)
        #expect(report.contacted == 1)
        #expect(report.qualified == 2)
        #expect(report.disqualified == 1)
        #expect(report.converted == 2)
        #expect(report.deals == 3)
        #expect(report.dealsByStage == ["closed": 1, "lost": 1, "offer": 1])
        #expect(report.closed == 1)
        #expect(report.lost == 1)
        #expect(report.conversion == .init(leadToQualified: Decimal(string: "50.0"), qualifiedToConverted: 100, dealToClosed: Decimal(string: "33.3")))
    }

    @Test("the same events in reverse and shuffled order give an equal model and report", arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func orderIndependent(seed: UInt64) { orderIndependence.expectOrderIndependent(seed: seed) }

    @Test("every event applied twice (or three times, interleaved) gives the same", arguments: [7, 99] as [UInt64])
    func idempotent(seed: UInt64) { orderIndependence.expectIdempotent(seed: seed) }

    @Test("the unfiltered funnel kept per event equals counting every entity afresh, after every event, in any order",
          arguments: [1, 2, 3, 42] as [UInt64])
    func keptEqualsCounted(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for events in [world, world.reversed(), random.shuffled(world), random.shuffled(world + world)] {
            var funnel = FunnelModel()
            for (index, event) in events.enumerated() {
                funnel.apply(event.payload, occurredAt: event.occurredAt)
                #expect(funnel.report(FunnelQuery()) == funnel.counted(FunnelQuery()), "after \(index + 1) events (seed \(seed))")
            }
        }
    }

    @Test("a rebuild's model (counted once at the end) equals one that counted per event")
    func recountEqualsKept() {
        var rebuilt = FunnelModel()
        rebuilt.deferTally()
        for event in world { rebuilt.apply(event.payload, occurredAt: event.occurredAt) }
        #expect(rebuilt != model(world), "not counted yet")
        rebuilt.recount()
        #expect(rebuilt == model(world))
        #expect(rebuilt.report(FunnelQuery()) == model(world).counted(FunnelQuery()))
    }

    @Test("as of before a lead was qualified it is unqualified; later leads do not exist yet")
    func asOfLead() {
        let funnel = model(world)
        // Lead 3 assigned at 10:00 on the 8th, qualified on the 9th; lead 4 created on the 20th.
        let before = funnel.report(FunnelQuery(asOf: at("2026-03-08T12:00:00Z")))
        #expect(before.leads == 3)
        #expect(before.assigned == 3)
        #expect(before.qualified == 1)
        #expect(before.converted == 1)
        #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-08T12:00:00Z")), step: "qualified") == [lead1])

        let after = funnel.report(FunnelQuery(asOf: at("2026-03-09T10:00:00Z")))  // the very instant counts
        #expect(after.qualified == 2)
        #expect(after.converted == 1)
        #expect(after.conversion.qualifiedToConverted == 50)

        // Before lead 1 was created: only the call and the first mail had arrived.
        let early = funnel.report(FunnelQuery(asOf: at("2026-03-02T09:00:30Z")))
        #expect(early.inquiries == 2)
        #expect(early.leads == 0)
        #expect(early.deals == 0)
        #expect(early.conversion == .init(leadToQualified: nil, qualifiedToConverted: nil, dealToClosed: nil))

        // Lead 2 is disqualified on the 5th: not yet on the 4th.
        #expect(funnel.report(FunnelQuery(asOf: at("2026-03-04T00:00:00Z"))).disqualified == 0)
        #expect(funnel.report(FunnelQuery(asOf: at("2026-03-05T09:00:00Z"))).disqualifiedByReason == ["no_budget": 1])
    }

    @Test("a deal's stage as of a past instant")
    func asOfDealStage() {
        let funnel = model(world)
        func stages(_ when: String) -> [String: Int] { funnel.report(FunnelQuery(asOf: at(when))).dealsByStage }
        #expect(stages("2026-03-04T09:00:00Z") == [:])  // deal 1 opens a second later
        #expect(stages("2026-03-04T09:00:01Z") == ["selection": 1])
        #expect(stages("2026-03-05T12:00:00Z") == ["offer": 1])
        #expect(stages("2026-03-09T00:00:00Z") == ["contract": 1])
        #expect(stages("2026-03-10T09:59:59Z") == ["contract": 1])
        #expect(stages("2026-03-10T10:00:00Z") == ["closed": 1])
        #expect(stages("2026-03-12T12:00:00Z") == ["closed": 1, "selection": 2])
        #expect(stages("2026-03-14T00:00:00Z") == ["closed": 1, "selection": 1, "offer": 1])
        #expect(stages("2026-03-16T00:00:00Z") == ["closed": 1, "lost": 1, "offer": 1])

        // Entries at one instant: the greater stage name, whatever the order.
        let deal = id(2, 40)
        let tied = [
            opened(deal, lead: nil, "2026-03-02T09:00:00Z", department: sales, manager: m1, stage: "commissioning"),
            moved(deal, "commissioning", "service", "2026-03-02T09:00:00Z"),
            moved(deal, "commissioning", "certification", "2026-03-02T09:00:00Z"),
            moved(deal, "commissioning", "fulfilment", "2026-03-02T09:00:00Z"),
            moved(deal, "commissioning", "contract", "2026-03-02T09:00:00Z"),
        ]
        #expect(model(tied).report(FunnelQuery()).dealsByStage == ["service": 1])
        #expect(model(tied.reversed()).report(FunnelQuery()).dealsByStage == ["service": 1])

        let beforeClosing = funnel.report(FunnelQuery(asOf: at("2026-03-09T00:00:00Z")))
        #expect(beforeClosing.closed == 0)
        #expect(beforeClosing.conversion.dealToClosed == 0)

        let midway = FunnelQuery(asOf: at("2026-03-12T12:00:00Z"))
        let report = funnel.report(midway)
        #expect(report.closed == 1)
        #expect(report.lost == 0)
        #expect(report.lostByReason == [:])
        #expect(report.conversion.dealToClosed == Decimal(string: "33.3"))
        #expect(funnel.drillDown(midway, step: "stage:selection") == [deal2, deal3])
        #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-16T00:00:00Z")), step: "lost") == [deal2])
    }

    @Test("the period [from, to) applies to each entity's own start")
    func period() {
        let funnel = model(world)
        // Lead 3 is created at exactly 09:00 on the 8th: outside a period ending then, inside one starting then.
        let first = FunnelQuery(from: at("2026-03-02T00:00:00Z"), to: at("2026-03-08T09:00:00Z"))
        let report = funnel.report(first)
        #expect(report.inquiries == 3)  // the call, the chat, the form; the mail came on the 1st
        #expect(report.inquiriesByChannel == ["phone": 1, "chat": 1, "web_form": 1])
        #expect(report.leads == 2)
        #expect(funnel.drillDown(first, step: "leads") == [lead1, lead2])
        #expect(report.deals == 1)  // deal 1 opened on the 4th; its closing on the 10th still counts
        #expect(report.closed == 1)

        let second = FunnelQuery(from: at("2026-03-08T09:00:00Z"), to: at("2026-04-01T00:00:00Z"))
        #expect(funnel.drillDown(second, step: "leads") == [lead3, lead4])
        #expect(funnel.drillDown(second, step: "deals") == [deal2, deal3])
        #expect(funnel.drillDown(second, step: "inquiries") == [])

        let openEnded = FunnelQuery(from: at("2026-03-11T09:00:01Z"))
        #expect(funnel.drillDown(openEnded, step: "deals") == [deal2, deal3])
        #expect(funnel.drillDown(FunnelQuery(to: at("2026-03-11T09:00:01Z")), step: "deals") == [deal1])
    }

    @Test("department, manager and channel filters")
    func filters() {
        let funnel = model(world)

        let bySales = FunnelQuery(department: sales)
        #expect(funnel.drillDown(bySales, step: "leads") == [lead1, lead2])
        #expect(funnel.drillDown(bySales, step: "deals") == [deal1, deal3])
        #expect(funnel.report(bySales).inquiries == 4)  // inquiries have no department

        let byManager = FunnelQuery(manager: m3)
        #expect(funnel.drillDown(byManager, step: "leads") == [lead3])
        #expect(funnel.drillDown(byManager, step: "deals") == [deal2])
        #expect(funnel.report(byManager).lostByReason == ["price": 1])

        let both = FunnelQuery(department: sales, manager: m2)
        #expect(funnel.drillDown(both, step: "leads") == [lead2])
        #expect(funnel.drillDown(both, step: "deals") == [])

        let phone = FunnelQuery(channel: "phone")
        let report = funnel.report(phone)
        #expect(report.inquiries == 1)
        #expect(report.inquiriesByChannel == ["phone": 1])
        #expect(funnel.drillDown(phone, step: "leads") == [lead1])
        #expect(funnel.drillDown(phone, step: "deals") == [deal1])  // deal 3's lead is unknown

        let webForm = FunnelQuery(channel: "web_form")
        #expect(funnel.drillDown(webForm, step: "inquiries") == [form1])
        #expect(funnel.drillDown(webForm, step: "deals") == [deal2])
        #expect(funnel.drillDown(FunnelQuery(channel: "mail"), step: "leads") == [lead4])
        #expect(funnel.report(FunnelQuery(channel: "manual")) == FunnelReport())
    }

    @Test("department and manager are latest-wins, read as of the query's instant")
    func latestWinsAttributes() {
        let lead = id(1, 50)
        let events = [
            created(lead, .mail, "2026-03-02T09:00:00Z"),
            state(lead, "new", "assigned", "2026-03-02T10:00:00Z", department: sales, manager: m1),
            state(lead, "assigned", "assigned", "2026-03-03T10:00:00Z", department: service, manager: m2),
            state(lead, "assigned", "in_progress", "2026-03-04T10:00:00Z"),  // states no department: keeps the last
        ]
        for funnel in [model(events), model(events.reversed())] {
            // Assigned twice: the first assignment is the one that counts.
            #expect(funnel.leads[lead]?.assignedAt == at("2026-03-02T10:00:00Z"))
            #expect(funnel.report(FunnelQuery(asOf: at("2026-03-02T12:00:00Z"))).assigned == 1)
            #expect(funnel.drillDown(FunnelQuery(department: service), step: "leads") == [lead])
            #expect(funnel.drillDown(FunnelQuery(department: sales), step: "leads") == [])
            #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-02T12:00:00Z"), department: sales), step: "leads") == [lead])
            #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-02T12:00:00Z"), manager: m2), step: "leads") == [])
            #expect(funnel.drillDown(FunnelQuery(manager: m2), step: "contacted") == [lead])
        }

        // Two statements at the same instant: the greater value wins, whichever came first.
        let tie = [
            created(lead, .mail, "2026-03-02T09:00:00Z"),
            state(lead, "new", "assigned", "2026-03-02T10:00:00Z", department: "alpha"),
            state(lead, "new", "assigned", "2026-03-02T10:00:00Z", department: "beta"),
        ]
        #expect(model(tie) == model(tie.reversed()))
        #expect(model(tie).drillDown(FunnelQuery(department: "beta"), step: "leads") == [lead])
        #expect(model(tie.reversed()).drillDown(FunnelQuery(department: "alpha"), step: "leads") == [])
    }

    @Test("conversion percentages are rounded half-up to one decimal")
    func conversionRounding() {
        func leads(_ total: Int, qualified: Int, converting: Int = 0) -> FunnelReport.Conversion {
            var events: [Fed] = []
            for n in 0..<total {
                let lead = id(1, 100 + n)
                events.append(created(lead, .chat, "2026-03-02T09:00:00Z"))
                if n < qualified { events.append(state(lead, "in_progress", "qualified", "2026-03-03T09:00:00Z")) }
                if n < converting { events.append(converted(lead, "2026-03-04T09:00:00Z", department: sales, manager: m1, channel: .chat)) }
            }
            return model(events).report(FunnelQuery()).conversion
        }
        #expect(leads(16, qualified: 1).leadToQualified == Decimal(string: "6.3"))  // 6.25: half-up, not to even
        #expect(leads(16, qualified: 3).leadToQualified == Decimal(string: "18.8"))  // 18.75
        #expect(leads(3, qualified: 1).leadToQualified == Decimal(string: "33.3"))
        #expect(leads(3, qualified: 2).leadToQualified == Decimal(string: "66.7"))
        #expect(leads(8, qualified: 8, converting: 1).qualifiedToConverted == Decimal(string: "12.5"))
        #expect(leads(7, qualified: 7, converting: 7) == .init(leadToQualified: 100, qualifiedToConverted: 100, dealToClosed: nil))
        #expect(leads(4, qualified: 0) == .init(leadToQualified: 0, qualifiedToConverted: nil, dealToClosed: nil))
        #expect(FunnelModel().report(FunnelQuery()).conversion == .init(leadToQualified: nil, qualifiedToConverted: nil, dealToClosed: nil))

        #expect(FunnelReport.percent(1, of: 6) == Decimal(string: "16.7"))
        #expect(FunnelReport.percent(1, of: 40) == Decimal(string: "2.5"))
        #expect(FunnelReport.percent(1, of: 80) == Decimal(string: "1.3"))  // 1.25
        #expect(FunnelReport.percent(0, of: 0) == nil)
    }

    @Test("a converted lead counts as qualified even when its qualification was never seen")
    func convertedIsQualified() {
        let lead = id(1, 60)
        let funnel = model([
            created(lead, .manual, "2026-03-02T09:00:00Z"),
            converted(lead, "2026-03-05T09:00:00Z", department: sales, manager: m1, channel: .manual),
        ])
        let report = funnel.report(FunnelQuery())
        #expect(report.qualified == 1)
        #expect(report.converted == 1)
        #expect(report.conversion.qualifiedToConverted == 100)
        #expect(funnel.report(FunnelQuery(asOf: at("2026-03-04T00:00:00Z"))).qualified == 0)
    }

    @Test("disqualification and loss reasons")
    func reasons() {
        let a = id(1, 70), b = id(1, 71), c = id(1, 72), d = id(1, 73)
        let lostOne = id(2, 70), lostTwo = id(2, 71), lostQuietly = id(2, 72)
        let events = [
            created(a, .chat, "2026-03-02T09:00:00Z"),
            state(a, "new", "disqualified", "2026-03-02T10:00:00Z", reason: "spam"),
            created(b, .chat, "2026-03-02T09:00:00Z"),
            state(b, "new", "disqualified", "2026-03-02T10:00:00Z", reason: "spam"),
            created(c, .mail, "2026-03-02T09:00:00Z"),
            state(c, "new", "disqualified", "2026-03-02T10:00:00Z", reason: "duplicate"),
            // Disqualified without a reason.
            created(d, .mail, "2026-03-02T09:00:00Z"),
            state(d, "new", "disqualified", "2026-03-02T10:00:00Z"),

            opened(lostOne, lead: nil, "2026-03-03T09:00:00Z", department: sales, manager: m1),
            moved(lostOne, "selection", "lost", "2026-03-04T09:00:00Z"),
            lost(lostOne, reason: "price", "2026-03-04T09:00:00Z"),
            opened(lostTwo, lead: nil, "2026-03-03T09:00:00Z", department: sales, manager: m1),
            lost(lostTwo, reason: "competitor", "2026-03-05T09:00:00Z"),  // its stage change not arrived yet
            opened(lostQuietly, lead: nil, "2026-03-03T09:00:00Z", department: sales, manager: m1),
            moved(lostQuietly, "selection", "lost", "2026-03-05T09:00:00Z"),  // its DealLost not arrived yet
            lost(lostQuietly, reason: "", "2026-03-05T09:00:00Z"),  // nor does an empty reason name one
        ]
        let report = model(events).report(FunnelQuery())
        #expect(report.disqualified == 4)
        #expect(report.disqualifiedByReason == ["spam": 2, "duplicate": 1, FunnelModel.unspecifiedReason: 1])
        #expect(report.lost == 3)
        #expect(report.dealsByStage == ["lost": 3])
        #expect(report.lostByReason == ["price": 1, "competitor": 1, FunnelModel.unspecifiedReason: 1])
        #expect(report.conversion.dealToClosed == 0)

        // A reason stated twice at one instant: the greater one, in any order.
        let twice = [
            created(a, .chat, "2026-03-02T09:00:00Z"),
            state(a, "new", "disqualified", "2026-03-02T10:00:00Z", reason: "duplicate"),
            state(a, "new", "disqualified", "2026-03-02T10:00:00Z", reason: "spam"),
        ]
        #expect(model(twice).report(FunnelQuery()).disqualifiedByReason == ["spam": 1])
        #expect(model(twice.reversed()).report(FunnelQuery()).disqualifiedByReason == ["spam": 1])
    }

    @Test("a deal whose lead is unknown is counted, but has no channel")
    func dealWithUnknownLead() {
        let funnel = model(world)
        #expect(funnel.leads[unknownLead] == nil)
        #expect(funnel.drillDown(FunnelQuery(), step: "stage:offer") == [deal3])
        #expect(funnel.drillDown(FunnelQuery(department: sales, manager: m1), step: "deals") == [deal1, deal3])
        for channel in ["phone", "chat", "web_form", "mail", "manual"] {
            #expect(!funnel.drillDown(FunnelQuery(channel: channel), step: "deals").contains(deal3))
        }

        // Once its lead shows up, the deal takes the lead's channel.
        let later = model(world + [created(unknownLead, .manual, "2026-03-11T09:00:00Z")])
        #expect(later.drillDown(FunnelQuery(channel: "manual"), step: "deals") == [deal3])
    }

    @Test("a lead or deal known only from later events exists with the facts it has")
    func partialEntities() {
        let lead = id(1, 80), deal = id(2, 80)
        var funnel = model([
            state(lead, "assigned", "qualified", "2026-03-05T09:00:00Z", department: sales, manager: m1),
            moved(deal, "selection", "offer", "2026-03-06T09:00:00Z"),
        ])
        var report = funnel.report(FunnelQuery())
        #expect(report.leads == 1)
        #expect(report.qualified == 1)
        #expect(report.assigned == 0)
        #expect(report.dealsByStage == ["offer": 1])
        // It began, as far as is known, with its earliest fact.
        #expect(funnel.report(FunnelQuery(asOf: at("2026-03-05T08:59:59Z"))).leads == 0)
        #expect(funnel.drillDown(FunnelQuery(channel: "chat"), step: "leads") == [])

        funnel.apply(created(lead, .chat, "2026-03-01T09:00:00Z").payload, occurredAt: at("2026-03-01T09:00:00Z"))
        funnel.apply(opened(deal, lead: lead, "2026-03-02T09:00:00Z", department: sales, manager: m1).payload, occurredAt: at("2026-03-02T09:00:00Z"))
        report = funnel.report(FunnelQuery(asOf: at("2026-03-03T00:00:00Z")))
        #expect(report.leads == 1)
        #expect(report.qualified == 0)
        #expect(report.dealsByStage == ["selection": 1])
        #expect(funnel.drillDown(FunnelQuery(channel: "chat"), step: "deals") == [deal])
    }

    @Test("calls: inbound only, at their start or else the envelope's instant; other payloads are ignored")
    func callsAndOtherPayloads() {
        let undated = id(4, 90)
        let funnel = model([
            call(undated, startedAt: nil, occurredAt: "2026-03-03T08:00:00Z"),
            call(id(4, 91), startedAt: "2026-03-03T09:00:00Z", occurredAt: "2026-03-03T09:00:00Z", direction: .internal),
            call(id(4, 92), startedAt: "2026-03-03T09:00:00Z", occurredAt: "2026-03-03T09:00:00Z", direction: .outbound),
        ])
        #expect(funnel.drillDown(FunnelQuery(), step: "inquiries") == [undated])
        #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-03T07:59:59Z")), step: "inquiries") == [])
        #expect(funnel.drillDown(FunnelQuery(asOf: at("2026-03-03T08:00:00Z")), step: "inquiries") == [undated])

        var ignoring = FunnelModel()
        ignoring.apply(CallAnswered(callId: undated, linkedId: "x", answeredBy: "101", answeredAt: nil), occurredAt: at("2026-03-03T08:00:00Z"))
        ignoring.apply(LeadTriageOverdue(leadId: lead1, dueAt: at("2026-03-03T08:00:00Z")), occurredAt: at("2026-03-03T08:00:00Z"))
        ignoring.apply(
            TaskCreated(taskId: id(5, 1), dealId: deal1, kind: "call", assigneeId: m1, dueAt: nil), occurredAt: at("2026-03-03T08:00:00Z"))
        #expect(ignoring == FunnelModel())
    }

    @Test("drill-down ids match the figures", arguments: probes)
    func drillDownMatchesCounts(query: FunnelQuery) {
        let funnel = model(world)
        let report = funnel.report(query)
        for step in steps {
            let ids = funnel.drillDown(query, step: step)
            #expect(ids.count == figure(report, step), "\(step)")
            #expect(ids == ids.sorted { $0.uuidString < $1.uuidString })
            #expect(Set(ids).count == ids.count)
        }
        for (stage, count) in report.dealsByStage {
            #expect(funnel.drillDown(query, step: "stage:\(stage)").count == count, "stage:\(stage)")
        }
        #expect(funnel.drillDown(query, step: "stage:nowhere") == [])
        #expect(funnel.drillDown(query, step: "bogus") == [])
    }

    @Test("drill-down names the expected entities")
    func drillDownIds() {
        let funnel = model(world)
        let all = FunnelQuery()
        #expect(funnel.drillDown(all, step: "inquiries") == [mail1, chat1, form1, call1])
        #expect(funnel.drillDown(all, step: "leads") == [lead1, lead2, lead3, lead4])
        #expect(funnel.drillDown(all, step: "qualified") == [lead1, lead3])
        #expect(funnel.drillDown(all, step: "converted") == [lead1, lead3])
        #expect(funnel.drillDown(all, step: "disqualified") == [lead2])
        #expect(funnel.drillDown(all, step: "deals") == [deal1, deal2, deal3])
        #expect(funnel.drillDown(all, step: "closed") == [deal1])
        #expect(funnel.drillDown(all, step: "lost") == [deal2])
        #expect(funnel.drillDown(all, step: "stage:closed") == [deal1])
    }

    @Test("the report survives a JSON round trip")
    func reportCodable() throws {
        let report = model(world).report(FunnelQuery())
        let decoded = try JSONDecoder().decode(FunnelReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}

extension FunnelQuery: CustomTestStringConvertible {
    public var testDescription: String {
        queryDescription(from: from, to: to, asOf: asOf, department: department, manager: manager, channel: channel)
    }
}
