import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Testing
import TestSupport

/// The local broker keeps its log in memory: a restart loses every topic, group and offset. The
/// services must notice, re-create their topics, reconnect and carry on without being restarted.
@Suite("Broker restart under the running services", .serialized)
struct BrokerRestartTests {
    let logger = Logger(label: "e2e.broker-restart")

    @Test("after a real broker restart every service re-creates its topics, reconnects and carries on")
    func servicesSurviveBrokerRestart() async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        var databases: [ServiceName: (name: String, url: String)] = [:]
        let admin = TestEnvironment.current.adminDatabaseURL
        for service in ServiceName.allCases {
            let name = "e2e_restart_\(service.rawValue.replacingOccurrences(of: "-", with: "_"))_\(UUID().uuidString.prefix(6).lowercased())"
            try await TemporaryDatabase.admin { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
            var components = URLComponents(string: admin)!
            components.path = "/" + name
            databases[service] = (name, components.string!)
        }
        do {
            try await exercise(broker: broker, databases: databases.mapValues(\.url))
        } catch {
            try? await broker.stop()
            await drop(databases.values.map(\.name))
            throw error
        }
        try await broker.stop()
        await drop(databases.values.map(\.name))
    }

    func drop(_ names: [String]) async {
        for name in names {
            _ = try? await TemporaryDatabase.admin { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
        }
    }

    func exercise(broker: ScratchBroker, databases: [ServiceName: String]) async throws {
        let processes = try ServiceName.allCases.map { service in
            try ServiceProcess(service, environment: ["DMS_DATABASE_URL": databases[service]!, "DMS_KAFKA_BROKERS": broker.address])
        }
        let expectedTopics = Set(Topic.all + Topic.all.map(Topic.deadLetter(of:)))
        let observer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.address), logger: logger)

        try await ServiceProcess.allReady(processes)
        try await topicsPresent(expectedTopics, observer)
        try await publishThroughLeads(databases, marker: "before-restart")

        // A topic no service knows: the services re-create theirs within moments of the restart,
        // so only this one can show that the broker really forgot.
        let marker = "e2e.restart.marker.\(UUID().uuidString.prefix(8).lowercased())"
        try await observer.ensureTopics([marker], partitions: 1)
        try await broker.restart()
        #expect(try await observer.metadata(timeout: .seconds(5)).topics[marker] == nil, "the restarted broker lost its topics")

        try await topicsPresent(expectedTopics, observer)
        try await ServiceProcess.allReady(processes)
        try await publishThroughLeads(databases, marker: "after-restart")

        await observer.shutdown()
        for process in processes {
            #expect(process.isRunning, "\(process.service.rawValue) carried on without a restart")
            let status = try await process.terminate()
            #expect(status == 0, "\(process.service.rawValue) exit status; output: \(process.output.suffix(1500))")
        }
    }


    func topicsPresent(_ expected: Set<String>, _ observer: KafkaProducer) async throws {
        try await eventually("the services to (re-)create their topics", timeout: .seconds(60)) {
            let present = Set(try await observer.metadata(timeout: .seconds(3)).topics.keys)
            let missing = expected.subtracting(present)
            return missing.isEmpty ? nil : "missing \(missing.sorted())"
        }
    }

    /// Writes an event into the leads service's outbox, as its own transaction would; its relay
    /// publishes it and reporting's consumer must record it.
    func publishThroughLeads(_ databases: [ServiceName: String], marker: String) async throws {
        let envelope = EventEnvelope(
            type: "BrokerRestartProbe", occurredAt: Date(), source: "leads", key: marker, correlationId: UUID(),
            payload: .object(["marker": .string(marker)]))
        try await TemporaryDatabase.withClient(url: databases[.leads]!) { client in
            try await client.withTransaction(logger: logger) { connection in
                try await Outbox.append([OutboxEvent(topic: Topic.leadsEvents, envelope: envelope)], on: connection, logger: logger)
            }
        }
        try await TemporaryDatabase.withClient(url: databases[.reporting]!) { client in
            try await eventually("reporting to record the \(marker) event", timeout: .seconds(90)) {
                let rows = try await client.query(
                    "SELECT count(*)::int FROM consumed_events WHERE id = \(envelope.id) AND topic = \(Topic.leadsEvents)",
                    logger: logger).collect()
                return try rows.first?.decode(Int.self) == 1 ? nil : "not yet"
            }
        }
    }
}
