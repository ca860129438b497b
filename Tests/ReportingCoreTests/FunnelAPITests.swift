import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import ReportingCore

/// The funnel over HTTP, fed from the consumed-event log of a real database: the figures, "as of",
/// drill-down, and a rebuild that gives exactly the same report.
@Suite("Reporting: the funnel over HTTP")
struct FunnelAPITests {
    static func at(_ text: String) -> Date { Timestamp.parse(text)! }

    /// Stores an event as the inbox does.
    static func log<P: EventPayload>(_ payload: P, at occurred: String, topic: String, url: String) async throws {
        let envelope = try EventEnvelope(
            occurredAt: at(occurred), source: "test", key: UUID().uuidString, correlationId: UUID(), payload: payload)
        let json = String(decoding: try envelope.encoded(), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
        try await ServiceHarness.applySQL(
            """
            INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
            VALUES ('\(envelope.id)', '\(topic)', 0, 0, '\(envelope.type)', '\(occurred)', '\(json)'::jsonb)
            """, databaseURL: url)
    }

    struct Report: Decodable, Equatable {
        var inquiries: Int; var leads: Int; var qualified: Int; var converted: Int; var deals: Int; var closed: Int; var lost: Int
        var dealsByStage: [String: Int]; var lostByReason: [String: Int]
    }

    @Test("a journey shows in every step; as of an earlier instant it does not yet; a rebuild gives the same report")
    func funnel() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { client, url in
            let manager = UUID(), lead = UUID(), other = UUID(), deal = UUID(), lost = UUID()
            try await Self.log(
                InquiryReceived(inquiryId: UUID(), channel: .webForm, identity: InquiryIdentity(name: "Ирина", email: "i@example.ru", phone: nil, company: nil),
                                subject: nil, text: "Нужен насос", attachments: [], source: InquirySource(connector: "forms", sourceId: "f-1"),
                                receivedAt: Self.at("2026-11-02T09:00:00Z")),
                at: "2026-11-02T09:00:00Z", topic: Topic.ingestInquiries, url: url)
            for (id, name) in [(lead, "Ирина"), (other, "Олег")] {
                try await Self.log(
                    LeadCreated(leadId: id, channel: .webForm, name: name, email: nil, phone: nil, company: nil, source: "test",
                                createdAt: Self.at("2026-11-02T09:00:01Z"), triageDueAt: nil),
                    at: "2026-11-02T09:00:01Z", topic: Topic.leadsEvents, url: url)
            }
            for (to, time) in [("assigned", "2026-11-02T10:00:00Z"), ("in_progress", "2026-11-02T11:00:00Z"), ("qualified", "2026-11-03T09:00:00Z")] {
                try await Self.log(
                    LeadStateChanged(leadId: lead, from: "x", to: to, departmentCode: "alto", managerId: manager, changedBy: manager, changedAt: Self.at(time)),
                    at: time, topic: Topic.leadsEvents, url: url)
            }
            try await Self.log(
                LeadConverted(leadId: lead, counterpartyId: nil, contactIds: [], managerId: manager, departmentCode: "alto", needs: "Насос",
                              channel: .webForm, correlationId: UUID(), convertedAt: Self.at("2026-11-03T10:00:00Z")),
                at: "2026-11-03T10:00:00Z", topic: Topic.leadsEvents, url: url)
            for (id, leadID) in [(deal, lead), (lost, other)] {
                try await Self.log(
                    DealOpened(dealId: id, leadId: leadID, counterpartyName: "ООО", managerId: manager, departmentCode: "alto", stage: "selection",
                               total: nil, openedAt: Self.at("2026-11-03T10:00:01Z")),
                    at: "2026-11-03T10:00:01Z", topic: Topic.dealsEvents, url: url)
            }
            try await Self.log(
                DealStageChanged(dealId: deal, from: "selection", to: "contract", probability: 60, total: nil, changedBy: manager,
                                 changedAt: Self.at("2026-11-10T10:00:00Z")),
                at: "2026-11-10T10:00:00Z", topic: Topic.dealsEvents, url: url)
            try await Self.log(
                DealStageChanged(dealId: lost, from: "selection", to: "lost", probability: 0, total: nil, changedBy: manager,
                                 changedAt: Self.at("2026-11-11T10:00:00Z")),
                at: "2026-11-11T10:00:00Z", topic: Topic.dealsEvents, url: url)
            try await Self.log(
                DealLost(dealId: lost, reason: "competitor", comment: nil, lostAt: Self.at("2026-11-11T10:00:00Z")),
                at: "2026-11-11T10:00:00Z", topic: Topic.dealsEvents, url: url)

            let now = try await client.call(.get, "/v1/funnel").decode(Report.self)
            #expect(now.inquiries == 1 && now.leads == 2 && now.qualified == 1 && now.converted == 1 && now.deals == 2)
            #expect(now.dealsByStage == ["contract": 1, "lost": 1] && now.lost == 1 && now.lostByReason == ["competitor": 1])
            let before = try await client.call(.get, "/v1/funnel?asOf=2026-11-03T09:30:00Z").decode(Report.self)
            #expect(before.qualified == 1 && before.converted == 0 && before.deals == 0, "as of then, not yet converted")
            let filtered = try await client.call(.get, "/v1/funnel?department=prom").decode(Report.self)
            #expect(filtered.leads == 0 && filtered.deals == 0)
            struct Ids: Decodable { var ids: [UUID] }
            #expect(try await client.call(.get, "/v1/funnel/drill-down?step=lost").decode(Ids.self).ids == [lost])
            #expect(try await client.call(.get, "/v1/funnel?asOf=yesterday").status == 422)

            struct Rebuilt: Decodable { var events: Int; var report: Report }
            let rebuilt = try await client.call(.post, "/v1/projections/funnel/rebuild").decode(Rebuilt.self)
            #expect(rebuilt.events == 12 && rebuilt.report == now)
            #expect(try await client.call(.get, "/v1/funnel").decode(Report.self) == now)
            #expect(try await client.call(.post, "/v1/projections/nothing/rebuild").status == 404)
        }
    }
}
