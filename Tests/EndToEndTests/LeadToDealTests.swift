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
        let broker = try ScratchBroker()
        try await broker.start()
        var databases: [ServiceName: (name: String, url: String)] = [:]
        for service in [ServiceName.leads, .deals] {
            let name = "e2e_deal_\(service.rawValue)_\(UUID().uuidString.prefix(8).lowercased())"
            try await TemporaryDatabase.admin { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: Self.logger) }
            var components = URLComponents(string: TestEnvironment.current.adminDatabaseURL)!
            components.path = "/" + name
            databases[service] = (name, components.string!)
        }
        let leads = try ServiceProcess(.leads, environment: ["DMS_DATABASE_URL": databases[.leads]!.url, "DMS_KAFKA_BROKERS": broker.address])
        let deals = try ServiceProcess(.deals, environment: ["DMS_DATABASE_URL": databases[.deals]!.url, "DMS_KAFKA_BROKERS": broker.address])
        do {
            try await exercise(leads: leads, deals: deals, broker: broker, databases: databases.mapValues(\.url))
        } catch {
            Self.logger.error("failed; deals output: \(deals.output.suffix(3000))")
            await stop([leads, deals], broker, databases.values.map(\.name))
            throw error
        }
        await stop([leads, deals], broker, databases.values.map(\.name))
    }

    func stop(_ processes: [ServiceProcess], _ broker: ScratchBroker, _ names: [String]) async {
        for process in processes { _ = try? await process.terminate() }
        try? await broker.stop()
        for name in names {
            _ = try? await TemporaryDatabase.admin { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: Self.logger) }
        }
    }

    func exercise(leads: ServiceProcess, deals: ServiceProcess, broker: ScratchBroker, databases: [ServiceName: String]) async throws {
        for process in [leads, deals] {
            try await eventually("\(process.service.rawValue) ready", timeout: .seconds(90)) {
                if let exit = process.exitStatus { return "exited \(exit): \(process.output.suffix(2000))" }
                return try await process.get("/health/ready").status == 200 ? nil : "not ready"
            }
        }
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
            """, databaseURL: databases[.leads]!)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/assign", json: #"{"department":"prom","manager":"\#(manager.id)"}"#).status == 200)
        #expect(try await leads.send("POST", "/v1/leads/\(lead)/start").status == 200)
        let qualified = try await leads.send(
            "POST", "/v1/leads/\(lead)/qualify",
            json: #"{"needs":"Два насоса для шахты","counterparty":{"name":"ПАО «Уралкалий»","taxId":"5911029807","kind":"prospect"}}"#)
        #expect(qualified.status == 200, "\(qualified.body)")
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
            let page = try await deals.call(Page.self, "GET", "/v1/deals?manager=\(manager.id)")
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
