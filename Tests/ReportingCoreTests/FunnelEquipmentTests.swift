import Contracts
import Foundation
import Testing
import TestSupport

@testable import ReportingCore

// The funnel sliced by equipment type: deals carry their lines' types (`DealOpened`,
// `DealLinesChanged`, latest wins as of the query's instant), and the leads and inquiries they
// came from are traced back through each lead's source.

private let mailA = id(3, 10)
private let callB = id(4, 10)
private let chatC = id(3, 11)
private let leadA = id(1, 10)
private let leadB = id(1, 11)
private let leadC = id(1, 12)
private let dealA = id(2, 10)
private let dealB = id(2, 11)
private let manager = id(9, 10)

private func lead(_ lead: UUID, _ channel: LeadChannel, source: String, _ when: String) -> Fed {
    Fed(payload: LeadCreated(
        leadId: lead, channel: channel, name: "Клиент", email: nil, phone: nil, company: nil, source: source,
        createdAt: at(when), triageDueAt: nil),
        occurredAt: at(when))
}

private func lines(_ deal: UUID, _ types: [String], _ when: String) -> Fed {
    Fed(payload: DealLinesChanged(dealId: deal, equipmentTypes: types, lineCount: types.count, total: nil, changedBy: manager, changedAt: at(when)),
        occurredAt: at(when))
}

private let events: [Fed] = [
    Fed(payload: InquiryReceived(
        inquiryId: mailA, channel: .mail, identity: InquiryIdentity(email: "a@example.com"), subject: nil, text: "autoclave",
        attachments: [], source: InquirySource(connector: "mail", sourceId: "m-a"), receivedAt: at("2026-04-01T08:00:00Z")),
        occurredAt: at("2026-04-01T08:00:00Z")),
    Fed(payload: CallRegistered(
        callId: callB, linkedId: "pbx-b", direction: .inbound, caller: PartyNumber(raw: "+4930123", e164: "+4930123"), called: nil,
        did: "+4930999", startedAt: at("2026-04-01T09:00:00Z")),
        occurredAt: at("2026-04-01T09:00:00Z")),
    Fed(payload: InquiryReceived(
        inquiryId: chatC, channel: .chat, identity: InquiryIdentity(email: "c@example.com"), subject: nil, text: "price?",
        attachments: [], source: InquirySource(connector: "chat", sourceId: "c-c"), receivedAt: at("2026-04-01T10:00:00Z")),
        occurredAt: at("2026-04-01T10:00:00Z")),
    lead(leadA, .mail, source: "inquiry:\(mailA.uuidString.lowercased())", "2026-04-01T08:00:05Z"),
    lead(leadB, .phone, source: "call:\(callB.uuidString.lowercased())", "2026-04-01T09:00:05Z"),
    lead(leadC, .chat, source: "inquiry:\(chatC.uuidString.lowercased())", "2026-04-01T10:00:05Z"),
    Fed(payload: DealOpened(
        dealId: dealA, leadId: leadA, counterpartyName: "ACME", managerId: manager, departmentCode: "sales", stage: "selection",
        total: nil, openedAt: at("2026-04-02T09:00:00Z"), equipmentTypes: ["autoclave"]),
        occurredAt: at("2026-04-02T09:00:00Z")),
    opened(dealB, lead: leadB, "2026-04-02T10:00:00Z", department: "sales", manager: manager),
    lines(dealB, ["climate_chamber"], "2026-04-03T09:00:00Z"),
    lines(dealA, ["climate_chamber", "autoclave", "autoclave"], "2026-04-04T09:00:00Z"),
    moved(dealB, "selection", "lost", "2026-04-05T09:00:00Z"),
    lost(dealB, reason: "price", "2026-04-05T09:00:00Z"),
]

private func model(_ events: [Fed]) -> FunnelModel {
    model(events, FunnelModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

private let probes: [FunnelQuery] = [
    FunnelQuery(),
    FunnelQuery(equipmentType: "autoclave"),
    FunnelQuery(equipmentType: "climate_chamber"),
    FunnelQuery(asOf: at("2026-04-03T12:00:00Z"), equipmentType: "climate_chamber"),
    FunnelQuery(equipmentType: "press"),
]

private let orderIndependence = OrderIndependence(
    events: events, build: model, probes: probes, report: { $0.report($1) },
    figures: ["inquiries", "leads", "deals", "lost", "equipment:autoclave", "equipment:climate_chamber"],
    drillDown: { $0.drillDown($1, step: $2) })

@Suite("Reporting: the funnel by equipment type")
struct FunnelEquipmentTests {
    @Test("deals count under each type of their lines, as the lines stand")
    func breakdown() {
        let funnel = model(events)
        #expect(funnel.report(FunnelQuery()).dealsByEquipmentType == ["autoclave": 1, "climate_chamber": 2])
        // Before deal A's lines were edited, and before deal B had any.
        #expect(funnel.report(FunnelQuery(asOf: at("2026-04-02T12:00:00Z"))).dealsByEquipmentType == ["autoclave": 1])
        #expect(funnel.drillDown(FunnelQuery(), step: "equipment:climate_chamber") == [dealA, dealB].sorted { $0.uuidString < $1.uuidString })
        #expect(funnel.drillDown(FunnelQuery(), step: "equipment:press") == [])
    }

    @Test("a filter keeps the deals of the type and traces back their leads and inquiries")
    func filter() {
        let funnel = model(events)
        let autoclave = funnel.report(FunnelQuery(equipmentType: "autoclave"))
        #expect(autoclave.deals == 1 && autoclave.leads == 1 && autoclave.inquiries == 1 && autoclave.inquiriesByChannel == ["mail": 1])
        #expect(funnel.drillDown(FunnelQuery(equipmentType: "autoclave"), step: "leads") == [leadA])
        #expect(funnel.drillDown(FunnelQuery(equipmentType: "autoclave"), step: "inquiries") == [mailA])

        let chambers = FunnelQuery(equipmentType: "climate_chamber")
        let report = funnel.report(chambers)
        #expect(report.deals == 2 && report.lost == 1 && report.lostByReason == ["price": 1])
        #expect(report.leads == 2 && report.inquiries == 2 && report.inquiriesByChannel == ["mail": 1, "phone": 1])
        #expect(Set(funnel.drillDown(chambers, step: "inquiries")) == [mailA, callB], "the call behind lead B counts, the chat without a deal does not")

        // As of the day deal B got its chamber, deal A was still only an autoclave.
        let then = funnel.report(FunnelQuery(asOf: at("2026-04-03T12:00:00Z"), equipmentType: "climate_chamber"))
        #expect(then.deals == 1 && then.leads == 1 && then.inquiries == 1 && then.lost == 0)
        #expect(funnel.report(FunnelQuery(equipmentType: "press")) == FunnelReport())
        #expect(funnel.report(FunnelQuery()).leads == 3, "without the filter every lead counts")
    }

    @Test("equipment types in the funnel kept per event equal counting afresh", arguments: [2, 9] as [UInt64])
    func keptEqualsCounted(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var funnel = FunnelModel()
        for event in random.shuffled(events + events) {
            funnel.apply(event.payload, occurredAt: event.occurredAt)
            #expect(funnel.report(FunnelQuery()) == funnel.counted(FunnelQuery()))
        }
    }

    @Test("shuffled and reversed orders give an equal model and report", arguments: [1, 5, 77] as [UInt64])
    func orderIndependent(seed: UInt64) { orderIndependence.expectOrderIndependent(seed: seed) }

    @Test("redelivered events change nothing", arguments: [3, 11] as [UInt64])
    func idempotent(seed: UInt64) { orderIndependence.expectIdempotent(seed: seed) }
}
