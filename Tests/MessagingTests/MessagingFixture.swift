import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle
import Storage
import Testing
import TestSupport

/// The same wire shape as `messaging-drill`'s event.
struct DrillEvent: EventPayload, Equatable {
    static let eventType = "DrillEvent"
    static let eventVersion = 1
    var sequence: Int
    var note: String?
    var price: Money?
}

/// Appends one row per applied event (no unique constraint: a double application would show);
/// rejects sequence -1 as a violated invariant.
struct RecordApplied: InboxHandler {
    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        guard let payload = event.payload as? DrillEvent else { return }
        if payload.sequence == -1 { throw EventRejected("sequence must not be negative") }
        try await transaction.connection.query(
            "INSERT INTO drill_applied (event_id, event_key, sequence) VALUES (\(event.envelope.id), \(event.envelope.key), \(payload.sequence))",
            logger: transaction.logger)
    }
}

/// One test's own database (outbox, inbox and `drill_applied` tables), topic, group and producer.
struct MessagingFixture: Sendable {
    static let logger: Logger = {
        var logger = Logger(label: "test.messaging")
        logger.logLevel = .notice
        return logger
    }()

    let databaseURL: String
    let client: PostgresClient
    let producer: KafkaProducer
    let brokers: String
    let topic: String
    let group: String
    var logger: Logger { Self.logger }

    var kafka: KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: brokers, properties: ["session.timeout.ms": "6000", "max.poll.interval.ms": "10000"])
    }

    /// Runs `body` with a fresh fixture; `databaseURL` overrides the temporary database.
    static func with<T>(
        brokers: String = TestEnvironment.current.kafkaBrokers, partitions: Int = 6, databaseURL: String? = nil,
        _ body: (MessagingFixture) async throws -> T
    ) async throws -> T {
        if let databaseURL { return try await with(url: databaseURL, brokers: brokers, partitions: partitions, body) }
        return try await TemporaryDatabase.with(prefix: "msg") { url in
            try await with(url: url, brokers: brokers, partitions: partitions, body)
        }
    }

    private static func with<T>(
        url: String, brokers: String, partitions: Int, _ body: (MessagingFixture) async throws -> T
    ) async throws -> T {
        try await TemporaryDatabase.withClient(url: url) { client in
            try await MessagingMigrations.runner().apply(on: client, logger: logger)
            try await client.query(
                """
                CREATE TABLE IF NOT EXISTS drill_applied (
                    n bigserial PRIMARY KEY, event_id uuid NOT NULL, event_key text NOT NULL, sequence integer NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
                """, logger: logger)
            let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: brokers), logger: logger)
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let fixture = MessagingFixture(
                databaseURL: url, client: client, producer: producer, brokers: brokers,
                topic: "test.messaging.\(suffix)", group: "test-group-\(suffix)")
            do {
                try await producer.ensureTopics([fixture.topic], partitions: partitions)
                try await producer.ensureTopics([Topic.deadLetter(of: fixture.topic)], partitions: 1)
                let result = try await body(fixture)
                await producer.shutdown()
                return result
            } catch {
                await producer.shutdown()
                throw error
            }
        }
    }

    /// An envelope carrying a `DrillEvent`.
    func envelope(key: String, sequence: Int, correlation: UUID = UUID()) throws -> EventEnvelope {
        try EventEnvelope(
            occurredAt: Date(), source: "test", key: key, correlationId: correlation, causationId: UUID(),
            payload: DrillEvent(sequence: sequence, note: "n\(sequence)", price: Money(Decimal(string: "1234.50")!, "EUR")))
    }

    /// Writes `count` events over `keys` keys through the outbox, `perTransaction` at a time;
    /// sequences increase per key. Returns the envelopes in writing order.
    @discardableResult
    func writeThroughOutbox(count: Int, keys: Int, perTransaction: Int = 100, startingAt start: Int = 0) async throws -> [EventEnvelope] {
        var written: [EventEnvelope] = []
        var index = start
        while index < start + count {
            let end = min(start + count, index + perTransaction)
            let events = try (index..<end).map { i in try envelope(key: "key-\(i % keys)", sequence: i) }
            try await client.withTransaction(logger: logger) { connection in
                try await Outbox.append(events.map { OutboxEvent(topic: topic, envelope: $0) }, on: connection, logger: logger)
            }
            written += events
            index = end
        }
        return written
    }

    /// Publishes envelopes directly (not through the outbox).
    func produce(_ envelopes: [EventEnvelope]) async throws {
        let records = try envelopes.map { OutgoingRecord(topic: topic, key: Array($0.key.utf8), value: try $0.encoded()) }
        for result in await producer.send(records) { _ = try result.get() }
    }

    func inbox(options: InboxConsumer.Options = .init(), registry: EventRegistry = EventRegistry([DrillEvent.self])) -> InboxConsumer {
        InboxConsumer(
            groupID: group, topics: [topic], kafka: kafka, client: client, producer: producer, registry: registry,
            handler: RecordApplied(), options: options, logger: logger)
    }

    func relay(options: OutboxRelay.Options = .init()) -> OutboxRelay {
        OutboxRelay(client: client, producer: producer, options: options, logger: logger)
    }

    /// (rows, distinct event ids) in drill_applied.
    func appliedCounts() async throws -> (rows: Int, distinct: Int) {
        let row = try await client.query("SELECT count(*), count(DISTINCT event_id) FROM drill_applied", logger: logger).collect().first!
        let (rows, distinct) = try row.decode((Int, Int).self)
        return (rows, distinct)
    }

    /// Applied sequences per key, in the order they were applied.
    func appliedSequencesByKey() async throws -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        let rows = try await client.query("SELECT event_key, sequence FROM drill_applied ORDER BY n", logger: logger)
        for try await (key, sequence) in rows.decode((String, Int).self) { result[key, default: []].append(sequence) }
        return result
    }

    /// Writes `count` events through the outbox and waits until they were applied: the relay and
    /// the consumer are under way (the group joined).
    func startFlowing(_ count: Int, keys: Int) async throws {
        _ = try await writeThroughOutbox(count: count, keys: keys, perTransaction: 5)
        try await eventually("the pipeline to be flowing", timeout: .seconds(60)) {
            let counts = try await appliedCounts()
            return counts.distinct == count ? nil : "\(counts)"
        }
    }

    /// Waits until `count` distinct events were applied, then expects none applied twice.
    func expectAppliedOnce(_ count: Int, timeout: Duration = .seconds(120), _ comment: Comment = "exactly once") async throws {
        try await eventually("all \(count) events to be applied", timeout: timeout) {
            let counts = try await appliedCounts()
            return counts.distinct == count ? nil : "\(counts) of \(count)"
        }
        #expect(try await appliedCounts().rows == count, comment)
    }

    /// Expects events of `keys` keys (when given), each key's applied in rising sequence order.
    func expectOrderPerKey(keys: Int? = nil) async throws {
        let byKey = try await appliedSequencesByKey()
        if let keys { #expect(byKey.count == keys) }
        for (key, sequences) in byKey { #expect(sequences == sequences.sorted(), "order of \(key)") }
    }

    func scalar(_ query: PostgresQuery) async throws -> Int {
        try await client.query(query, logger: logger).collect().first!.decode(Int.self)
    }

    /// Environment for `messaging-drill` against this fixture.
    func drillEnvironment(mode: String, extra: [String: String] = [:]) -> [String: String] {
        ["DRILL_MODE": mode, "DRILL_DATABASE_URL": databaseURL, "DRILL_BROKERS": brokers, "DRILL_TOPIC": topic, "DRILL_GROUP": group]
            .merging(extra) { $1 }
    }
}

/// Runs `body` with a broker of its own (started, and stopped after; never left frozen).
func withScratchBroker(_ body: (ScratchBroker) async throws -> Void) async throws {
    let broker = try ScratchBroker()
    try await broker.start()
    do {
        try await body(broker)
    } catch {
        broker.resume()
        try? await broker.stop()
        throw error
    }
    broker.resume()
    try await broker.stop()
}

/// Runs services (as a `ServiceGroup`) while `body` runs, then shuts them down gracefully.
func withServices<T>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(services: services, logger: MessagingFixture.logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// All messages of a topic, read with a group of their own, until `count` have arrived.
func readAll(_ topic: String, brokers: String, count: Int, timeout: Duration = .seconds(60)) async throws -> [ConsumedMessage] {
    let consumer = try KafkaConsumer(
        configuration: KafkaConfiguration(bootstrapServers: brokers, properties: ["session.timeout.ms": "6000"]),
        groupID: "reader-\(UUID().uuidString.prefix(8))", topics: [topic], logger: MessagingFixture.logger)
    var messages: [ConsumedMessage] = []
    do {
        try await eventually("\(count) messages on \(topic)", timeout: timeout, every: .milliseconds(1)) {
            let batch = try await consumer.nextBatch(maxMessages: 1_000, maxWait: .milliseconds(50), idleTimeout: .milliseconds(500))
            consumer.commit(batch)
            messages += batch
            return messages.count >= count ? nil : "\(messages.count)"
        }
    } catch {
        await consumer.close()
        throw error
    }
    await consumer.close()
    return messages
}
