import Contracts
import Foundation
import Logging
import Messaging
import Testing
import TestSupport

/// `DMS_TOPIC_PREFIX`: two suites share one cluster without reading each other's events.
@Suite("Topic prefix", .serialized)
struct TopicPrefixTests {
    static let logger = Logger(label: "e2e.topic-prefix")

    @Test("with DMS_TOPIC_PREFIX a converted lead travels on the prefixed topic and opens its deal; no unprefixed topic is touched")
    func prefixedSuiteCarriesTheJourney() async throws {
        let prefix = "e2e.\(UUID().uuidString.prefix(8).lowercased())."
        try await ScratchSuite.with([.leads, .deals], environment: ["DMS_TOPIC_PREFIX": prefix]) { suite in
            let leads = suite[.leads], deals = suite[.deals]
            let (lead, manager) = try await LeadToDealTests.qualifiedLead(leads: leads, databaseURL: suite.databases[.leads]!)
            #expect(try await leads.send("POST", "/v1/leads/\(lead)/convert").status == 200)

            struct Page: Decodable { var items: [Deal] }
            struct Deal: Decodable { var leadId: UUID? }
            try await eventually("the deal opened from the lead", timeout: .seconds(90)) {
                let page = try await deals.call(Page.self, "GET", "/v1/deals?manager=\(manager)")
                return page.items.map(\.leadId) == [lead] ? nil : "\(page.items.count) deals"
            }

            let written = try await ServiceHarness.scalar(
                "SELECT string_agg(DISTINCT topic, ',') FROM outbox WHERE event_type = 'LeadConverted'", databaseURL: suite.databases[.leads]!)
            #expect(written == prefix + "dms.leads.events.v1")
            let observer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: suite.broker.address), logger: Self.logger)
            let topics = Set(try await observer.metadata(timeout: .seconds(5)).topics.keys)
            await observer.shutdown()
            #expect(topics.contains(prefix + "dms.leads.events.v1") && topics.contains(prefix + "dms.deals.events.v1"), "\(topics.sorted())")
            let unprefixed = topics.filter { $0.hasPrefix("dms.") }
            #expect(unprefixed.isEmpty, "topics without the prefix: \(unprefixed.sorted())")
        }
    }
}
