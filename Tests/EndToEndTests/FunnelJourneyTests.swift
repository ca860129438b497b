import Contracts
import Foundation
import ServiceKit
import Testing
import TestSupport

/// The whole sales journey through five real processes on a broker of the test's own — a web
/// form posted to ingest becomes a lead, is qualified and converted in leads, the deal gets lines
/// and an order in deals, inventory routes it — and reporting's funnel shows each step; a rebuild
/// from its event log gives the same figures.
@Suite("Journey in the funnel", .serialized)
struct FunnelJourneyTests {
    struct Items<T: Decodable>: Decodable { var items: [T] }
    struct Lead: Decodable { var id: UUID; var state: String }
    struct Created: Decodable { var id: UUID }
    struct Deal: Decodable { var deal: Body; struct Body: Decodable { var id: UUID; var stage: String; var version: Int } }
    struct Report: Decodable, Equatable {
        var inquiries: Int; var leads: Int; var assigned: Int; var contacted: Int; var qualified: Int; var converted: Int; var deals: Int
        var dealsByStage: [String: Int]
    }

    @Test("a scripted journey through ingest, leads, deals and inventory shows the expected counts in the funnel; a rebuild gives the same")
    func journeyInTheFunnel() async throws {
        try await ScratchSuite.with(
            [.ingest, .leads, .deals, .inventory, .reporting],
            seed: [.leads: ["infra/demo/leads.sql"], .deals: ["infra/demo/deals.sql"], .inventory: ["infra/demo/inventory.sql"]]
        ) { suite in
            let ingest = suite[.ingest], leads = suite[.leads], deals = suite[.deals], inventory = suite[.inventory], reporting = suite[.reporting]
            let anna = "6b0f6a9e-4d2c-4b7e-9a51-000000000003"  // manager in alto (infra/demo/leads.sql)

            let phone = "+7916\(Int.random(in: 1_000_000...9_999_999))"
            let form = Array(try JSONEncoder().encode(["name": "Пётр Васильев", "phone": phone, "message": "Нужен насос CP-100, 2 шт."]))
            let posted = try await ingest.send(
                "POST", "/v1/forms/submissions", body: form,
                headers: ["DMS-Signature": WebhookSignature.sign(form, secret: ServiceHarness.connectorSecrets["DMS_INGEST_SECRET_FORMS"]!, time: Date()),
                          "Content-Type": "application/json"])
            #expect(posted.status == 202, "\(posted.body)")

            var lead: Lead?
            try await eventually("the inquiry to become a lead", timeout: .seconds(90)) {
                lead = try await leads.call(Items<Lead>.self, "GET", "/v1/leads?state=new").items.first
                return lead == nil ? "no lead yet" : nil
            }
            let leadID = try #require(lead).id
            #expect(try await leads.send("POST", "/v1/leads/\(leadID)/assign", json: #"{"department":"alto","manager":"\#(anna)"}"#).status == 200)
            #expect(try await leads.send("POST", "/v1/leads/\(leadID)/start").status == 200)
            let qualified = try await leads.send(
                "POST", "/v1/leads/\(leadID)/qualify", json: #"{"needs":"Два насоса","counterparty":{"name":"ООО «Вода»","taxId":"7700000001","kind":"prospect"}}"#)
            #expect(qualified.status == 200, "\(qualified.body)")
            #expect(try await leads.send("POST", "/v1/leads/\(leadID)/convert").status == 200)

            var dealID: UUID?
            try await eventually("the deal to open", timeout: .seconds(90)) {
                dealID = try await deals.call(Items<Deal.Body>.self, "GET", "/v1/deals?manager=\(anna)").items.first?.id
                return dealID == nil ? "no deal yet" : nil
            }
            let id = try #require(dealID)
            let current = try await deals.call(Deal.self, "GET", "/v1/deals/\(id)")
            let patch = try await deals.send(
                "PATCH", "/v1/deals/\(id)",
                json: #"""
                    {"legalEntity":{"name":"ООО «Вода»","taxId":"7700000001","paymentDetails":"р/с 40702810000000000003","address":"Москва"},
                     "lines":[{"sku":"PMP-100","name":"Pump CP-100","equipmentType":"pumps","quantity":2,"unitPrice":{"amount":"250000.00","currency":"RUB"}}]}
                    """#, headers: ["If-Match": "\"\(current.deal.version)\""])
            #expect(patch.status == 200, "\(patch.body)")
            #expect(try await deals.send("POST", "/v1/deals/\(id)/stage", json: #"{"to":"contract"}"#).status == 200)
            #expect(try await deals.send("POST", "/v1/deals/\(id)/order").status == 200)
            try await eventually("inventory to route the order", timeout: .seconds(90)) {
                let routed = try await ServiceHarness.scalar(
                    "SELECT count(*)::text FROM orders WHERE routed_at IS NOT NULL", databaseURL: suite.databases[.inventory]!)
                return routed == "1" ? nil : "not routed"
            }
            _ = inventory

            let expected = Report(
                inquiries: 1, leads: 1, assigned: 1, contacted: 1, qualified: 1, converted: 1, deals: 1, dealsByStage: ["fulfilment": 1])
            var seen: Report?
            try await eventually("reporting to show the journey", timeout: .seconds(90)) {
                seen = try await reporting.call(Report.self, "GET", "/v1/funnel")
                return seen == expected ? nil : "\(String(describing: seen))"
            }
            struct Rebuilt: Decodable { var report: Report }
            let rebuilt = try await reporting.call(Rebuilt.self, "POST", "/v1/projections/funnel/rebuild")
            #expect(rebuilt.report == expected)

            // The deal's pump line (DealLinesChanged) slices the funnel by equipment type, back to the mail it came from.
            struct Sliced: Decodable { var inquiries: Int; var leads: Int; var deals: Int; var dealsByEquipmentType: [String: Int] }
            let pumps = try await reporting.call(Sliced.self, "GET", "/v1/funnel?equipmentType=pumps")
            #expect(pumps.inquiries == 1 && pumps.leads == 1 && pumps.deals == 1 && pumps.dealsByEquipmentType == ["pumps": 1], "\(pumps)")
            let none = try await reporting.call(Sliced.self, "GET", "/v1/funnel?equipmentType=autoclaves")
            #expect(none.inquiries == 0 && none.leads == 0 && none.deals == 0, "\(none)")
        }
    }
}
