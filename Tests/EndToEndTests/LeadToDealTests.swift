import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Testing
import TestSupport

/// `leads` and `deals` as real processes on a broker of the test's own: a converted lead opens
/// exactly one deal, with the counterparty and contact the lead was qualified with.
@Suite("From lead to deal", .serialized)
struct LeadToDealTests {
    static let logger = Logger(label: "e2e.lead-to-deal")

    @Test("a lead converted in leads opens exactly one deal, even when the event is delivered again under another id")
    func convertedLeadOpensOneDeal() async throws {
        try await ScratchSuite.with([.leads, .deals]) { suite in
            try await exercise(leads: suite[.leads], deals: suite[.deals], broker: suite.broker, databases: suite.databases)
        }
    }

    /// A department, a manager and a lead of theirs, assigned, worked on and qualified (needs
    /// "Два насоса для шахты", counterparty ПАО «Уралкалий»): ready to convert.
    static func qualifiedLead(leads: ServiceProcess, databaseURL: String) async throws -> (lead: UUID, manager: UUID) {
        _ = try await leads.send("POST", "/v1/departments", json: #"{"code":"prom","name":"Prom"}"#)
        struct Created: Decodable { var id: UUID }
        let manager = try await leads.call(
            Created.self, "POST", "/v1/staff", json: #"{"name":"Sergey","email":"sergey@dms.test","role":"manager","departmentCode":"prom"}"#,
            expect: 201)
        let lead = UUID()
        try await ServiceHarness.applySQL(
            """
            INSERT INTO leads (id, state, channel, source, name, phone_e164, phone_raw, correlation_id)
            VALUES ('\(lead)', 'new', 'phone', 'call:e2e', 'Игорь Смирнов', '+79161234567', '8 916 123-45-67', gen_random_uuid())
            """, databaseURL: databaseURL)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/assign", json: #"{"department":"prom","manager":"\#(manager.id)"}"#).status == 200)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/start").status == 200)
        let qualified = try await leads.send(
            "POST", "/v1/leads/\(lead)/qualify",
            json: #"{"needs":"Два насоса для шахты","counterparty":{"name":"ПАО «Уралкалий»","taxId":"5911029807","kind":"prospect"}}"#)
        #expect(qualified.status == 200, "\(qualified.body)")
        return (lead, manager.id)
    }

    func exercise(leads: ServiceProcess, deals: ServiceProcess, broker: ScratchBroker, databases: [ServiceName: String]) async throws {
        let (lead, manager) = try await Self.qualifiedLead(leads: leads, databaseURL: databases[.leads]!)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/convert").status == 200)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/convert").status == 200, "converting again answers the same")

        struct Page: Decodable { var items: [Deal] }
        struct Deal: Decodable {
            var id: UUID; var stage: String; var needs: String; var leadId: UUID?; var managerId: UUID
            var legalEntity: Entity; var contacts: [Person]
            struct Entity: Decodable { var name: String; var taxId: String? }
            struct Person: Decodable { var name: String; var phone: String? }
        }
        var opened: Deal?
        try await eventually("the deal opened from the lead", timeout: .seconds(90)) {
            let page = try await deals.call(Page.self, "GET", "/v1/deals?manager=\(manager)")
            opened = page.items.first
            return page.items.count == 1 ? nil : "\(page.items.count) deals"
        }
        let deal = try #require(opened)
        #expect(deal.leadId == lead && deal.stage == "selection" && deal.needs == "Два насоса для шахты")
        #expect(deal.legalEntity.name == "ПАО «Уралкалий»" && deal.legalEntity.taxId == "5911029807")
        #expect(deal.contacts.map(\.name) == ["Игорь Смирнов"] && deal.contacts.first?.phone == "+79161234567")

        // The same conversion again under a new event id (a re-emission the inbox cannot recognise by id).
        let original = try #require(try await ServiceHarness.scalar(
            "SELECT envelope FROM outbox WHERE event_type = 'LeadConverted'", databaseURL: databases[.leads]!))
        var copy = try EventEnvelope.decode(Array(original.utf8)).get()
        copy.id = UUID()
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.address), logger: Self.logger)
        _ = try await producer.send(OutgoingRecord(topic: Topic.leadsEvents, key: Array(copy.key.utf8), value: try copy.encoded()))
        await producer.shutdown()
        try await eventually("deals to have applied the copy", timeout: .seconds(60)) {
            let seen = try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM inbox WHERE event_id = '\(copy.id)'", databaseURL: databases[.deals]!)
            return seen == "1" ? nil : "not yet"
        }
        #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM deals", databaseURL: databases[.deals]!) == "1")
        #expect(try await ServiceHarness.scalar(
            "SELECT count(*)::text FROM outbox WHERE event_type = 'DealOpened'", databaseURL: databases[.deals]!) == "1")
    }
}
