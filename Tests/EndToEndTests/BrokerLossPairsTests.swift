import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit
import Testing
import TestSupport

/// The six services as processes on a broker of the test's own. For every producer → consumer
/// pair of the suite, events are published while the consumer is paused (SIGSTOP), the broker is
/// restarted (losing them), the consumer resumes: each event must be applied exactly once and in
/// order per key. Two rounds, because a service is both a producer and a consumer: a paused
/// process publishes nothing. Part of the serialized broker-restart suite: two tests that each run
/// six services and a broker of their own at once overload a two-core machine.
extension BrokerRestartTests {
    /// A test event written into a producer's outbox, as its own transaction would write it.
    struct Probe {
        var id: UUID
        var topic: String
        var key: String
        var sequence: Int
    }

    /// Producers publish while the consumers are paused.
    struct Round {
        var producers: [ServiceName]
        var paused: [ServiceName]
    }

    static let rounds = [
        // ingest → leads, deals → leads and inventory, ingest / deals / dealer-info → reporting
        Round(producers: [.ingest, .deals, .dealerInfo], paused: [.leads, .inventory, .reporting]),
        // leads → deals, inventory → deals and dealer-info, leads / inventory → reporting
        Round(producers: [.leads, .inventory], paused: [.deals, .dealerInfo, .reporting]),
    ]

    @Test("events published while the consumer is paused and lost by a broker restart are applied exactly once, in order per key",
          .timeLimit(.minutes(10)))
    func everyPairAcrossBrokerLoss() async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        var databases: [ServiceName: (name: String, url: String)] = [:]
        for service in ServiceName.allCases {
            databases[service] = try await TemporaryDatabase.create(prefix: "e2e_loss_\(service.rawValue.replacingOccurrences(of: "-", with: "_"))")
        }
        let processes = try Dictionary(uniqueKeysWithValues: ServiceName.allCases.map { service in
            (service, try ServiceProcess(service, environment: [
                "DMS_DATABASE_URL": databases[service]!.url, "DMS_KAFKA_BROKERS": broker.address,
            ].merging(ServiceHarness.connectorSecrets) { $1 }))
        })
        do {
            try await ServiceProcess.allReady(Array(processes.values))
            var pairsChecked: [String] = []
            for (index, round) in Self.rounds.enumerated() {
                pairsChecked += try await run(round, number: index + 1, broker: broker, processes: processes, databases: databases.mapValues(\.url))
            }
            let expected = ServiceName.allCases.flatMap { producer in
                producer.publishes.flatMap { topic in
                    ServiceName.allCases.filter { $0.consumes.contains(topic) }.map { "\(producer.rawValue) → \($0.rawValue)" }
                }
            }
            #expect(Set(pairsChecked) == Set(expected), "every producer → consumer pair of the suite was checked")
            for process in processes.values {
                #expect(process.isRunning, "\(process.service.rawValue) carried on without a restart")
                let status = try await process.terminate()
                #expect(status == 0, "\(process.service.rawValue) exit status; output: \(process.output.suffix(1500))")
            }
        } catch {
            for process in processes.values { _ = try? await process.terminate() }
            try? await broker.stop()
            for database in databases.values { await TemporaryDatabase.drop(database.name) }
            throw error
        }
        try await broker.stop()
        for database in databases.values { await TemporaryDatabase.drop(database.name) }
    }

    /// One round; returns the pairs it checked.
    func run(
        _ round: Round, number: Int, broker: ScratchBroker, processes: [ServiceName: ServiceProcess], databases: [ServiceName: String]
    ) async throws -> [String] {
        for service in round.paused { kill(processes[service]!.pid, SIGSTOP) }
        var probes: [Probe] = []
        for producer in round.producers {
            for topic in producer.publishes {
                probes += try await writeProbes(into: databases[producer]!, source: producer, topic: topic, round: number)
            }
        }
        let forms = round.producers.contains(.ingest) ? 40 : 0
        for index in 0..<forms { try await postForm(processes[.ingest]!, index: index, round: number) }
        for producer in round.producers {
            try await eventually("\(producer.rawValue) to publish its outbox (round \(number))", timeout: .seconds(60)) {
                let pending = try await scalar("SELECT count(*)::text FROM outbox WHERE published_at IS NULL", databases[producer]!)
                return pending == 0 ? nil : "\(pending) pending"
            }
        }
        let published = try await Dictionary(uniqueKeysWithValues: round.producers.asyncMap { producer in
            (producer, try await scalar("SELECT count(*)::text FROM outbox WHERE published_at IS NOT NULL", databases[producer]!))
        })

        try await broker.restart()
        for service in round.paused { kill(processes[service]!.pid, SIGCONT) }

        // The window was hit: the broker lost what it had acknowledged and each producer sent it again.
        for producer in round.producers {
            try await eventually("\(producer.rawValue) to publish again what the broker lost (round \(number))", timeout: .seconds(120)) {
                let again = try await scalar(
                    "SELECT count(*)::text FROM outbox WHERE replays > 0 AND published_at IS NOT NULL", databases[producer]!)
                return again >= published[producer]! ? nil : "\(again) of \(published[producer]!) published again"
            }
        }
        var pairs: [String] = []
        for consumer in round.paused {
            let expected = probes.filter { consumer.consumes.contains($0.topic) }
            guard !expected.isEmpty else { continue }
            try await expectAppliedOnceInOrder(expected, by: consumer, databases[consumer]!, round: number)
            pairs += Set(expected.map(\.topic)).flatMap { topic in
                ServiceName.allCases.filter { $0.publishes.contains(topic) }.map { "\($0.rawValue) → \(consumer.rawValue)" }
            }
        }
        if forms > 0 {
            try await eventually("leads to make exactly \(forms) leads of the web forms (round \(number))", timeout: .seconds(120)) {
                let leads = try await scalar("SELECT count(*)::text FROM leads", databases[.leads]!)
                return leads == forms ? nil : "\(leads) leads"
            }
        }
        return pairs
    }

    /// Each probe is recorded once by the consumer (its inbox; reporting's log of consumed events),
    /// and per key the offsets it was read at rise with the sequence.
    func expectAppliedOnceInOrder(_ probes: [Probe], by consumer: ServiceName, _ database: String, round: Int) async throws {
        let ids = probes.map(\.id)
        let table = consumer == .reporting
            ? "SELECT id AS event_id, partition, \"offset\" FROM consumed_events"
            : "SELECT event_id, partition, \"offset\" FROM inbox"  // the service's own scratch database: one group
        var seen: [UUID: (partition: Int32, offset: Int64, count: Int)] = [:]
        try await eventually("\(consumer.rawValue) to apply \(probes.count) events it was paused for (round \(round))", timeout: .seconds(120)) {
            seen = [:]
            try await TemporaryDatabase.withClient(url: database) { client in
                let rows = try await client.query(
                    "SELECT event_id, partition, \"offset\", count(*) OVER (PARTITION BY event_id)::int FROM (\(unescaped: table)) e WHERE event_id = ANY(\(ids))",
                    logger: logger)
                for try await (id, partition, offset, count) in rows.decode((UUID, Int32, Int64, Int).self) {
                    seen[id] = (partition, offset, count)
                }
            }
            return seen.count == probes.count ? nil : "\(seen.count) of \(probes.count)"
        }
        #expect(seen.values.allSatisfy { $0.count == 1 }, "\(consumer.rawValue): each event recorded once")
        for (key, group) in Dictionary(grouping: probes, by: { "\($0.topic)/\($0.key)" }) {
            let read = group.sorted { seen[$0.id]!.offset < seen[$1.id]!.offset }.map(\.sequence)
            #expect(read == read.sorted(), "\(consumer.rawValue) read \(key) in order: \(read)")
        }
    }

    func writeProbes(into database: String, source: ServiceName, topic: String, round: Int) async throws -> [Probe] {
        var probes: [Probe] = []
        var events: [OutboxEvent] = []
        for sequence in 0..<12 {
            let key = "probe-\(round)-\(sequence % 4)"
            let envelope = EventEnvelope(
                type: "BrokerLossProbe", occurredAt: Date(), source: source.rawValue, key: key, correlationId: UUID(),
                payload: .object(["sequence": .number(String(sequence))]))
            probes.append(Probe(id: envelope.id, topic: topic, key: key, sequence: sequence))
            events.append(OutboxEvent(topic: topic, envelope: envelope))
        }
        try await TemporaryDatabase.withClient(url: database) { client in
            try await client.withTransaction(logger: logger) { connection in
                try await Outbox.append(events, on: connection, logger: logger)
            }
        }
        return probes
    }

    func postForm(_ ingest: ServiceProcess, index: Int, round: Int) async throws {
        let fields = ["name": "Visitor \(index)", "email": "visitor-\(round)-\(index)@example.com", "message": "Need a quote #\(index)"]
        let body = Array(try JSONEncoder().encode(fields))
        let response = try await ingest.send(
            "POST", "/v1/forms/submissions", body: body,
            headers: ["DMS-Signature": WebhookSignature.sign(body, secret: ServiceHarness.connectorSecrets["DMS_INGEST_SECRET_FORMS"]!, time: Date()),
                      "Content-Type": "application/json", "Idempotency-Key": "loss-\(round)-\(index)"])
        #expect(response.status == 202, "web form \(index): \(response.body)")
    }

    func scalar(_ sql: String, _ database: String) async throws -> Int {
        Int(try await ServiceHarness.scalar(sql, databaseURL: database) ?? "") ?? -1
    }

}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
