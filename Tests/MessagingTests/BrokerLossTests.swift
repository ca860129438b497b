import Contracts
import Foundation
import Messaging
import PostgresNIO
import Testing
import TestSupport

/// The outbox is the source of truth: when the broker loses what it acknowledged (here: a restart
/// of the in-memory broker), the relay publishes it again and consumers read the re-created topic
/// from its start; the inbox absorbs what was already applied.
@Suite("A broker that forgets what it acknowledged", .serialized, .timeLimit(.minutes(4)))
struct BrokerLossTests {
    /// A relay that checks the broker twice a second instead of every 5 s (tests wait less).
    static func relayOptions() -> OutboxRelay.Options {
        var options = OutboxRelay.Options()
        options.auditInterval = .milliseconds(500)
        return options
    }

    /// "replays/published: rows" for a failure message.
    static func outboxState(_ f: MessagingFixture) async throws -> String {
        let rows = try await f.client.query(
            "SELECT replays, published_at IS NOT NULL, count(*)::int FROM outbox GROUP BY 1, 2 ORDER BY 1, 2", logger: f.logger)
        var parts: [String] = []
        for try await (replays, published, count) in rows.decode((Int, Bool, Int).self) {
            parts.append("replays \(replays) \(published ? "published" : "pending"): \(count)")
        }
        return parts.joined(separator: ", ")
    }

    static func pending(_ f: MessagingFixture) async throws -> Int {
        try await f.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL")
    }

    static func waitUntilNothingPending(_ f: MessagingFixture) async throws {
        try await eventually("the relay to publish every row", timeout: .seconds(30)) {
            try await pending(f) == 0 ? nil : try await outboxState(f)
        }
    }

    /// Waits until `count` rows were published a second time (after the broker lost them).
    static func waitUntilPublishedAgain(_ f: MessagingFixture, count: Int) async throws {
        try await eventually("the relay to publish the \(count) lost rows again", timeout: .seconds(90)) {
            let again = try await f.scalar("SELECT count(*)::int FROM outbox WHERE replays = 1 AND published_at IS NOT NULL")
            return again == count ? nil : try await outboxState(f)
        }
    }

    /// Restarts the broker (every topic and message gone) and re-creates the fixture's topics as
    /// the services' provisioners do.
    static func restartLosingEverything(_ broker: ScratchBroker, _ f: MessagingFixture) async throws {
        try await broker.restart()
        #expect(try await f.producer.metadata(timeout: .seconds(5)).topics[f.topic] == nil, "the restarted broker lost the topic")
        try await f.producer.ensureTopics([f.topic], partitions: 6)
        try await f.producer.ensureTopics([Topic.deadLetter(of: f.topic)], partitions: 1)
    }

    static func expectAppliedOnceInOrder(_ f: MessagingFixture, count: Int) async throws {
        try await eventually("\(count) events applied", timeout: .seconds(120)) {
            let (rows, _) = try await f.appliedCounts()
            return rows >= count ? nil : "\(rows) applied"
        }
        let (rows, distinct) = try await f.appliedCounts()
        #expect(rows == count, "applied rows (a double application would show)")
        #expect(distinct == count)
        for (key, sequences) in try await f.appliedSequencesByKey() {
            #expect(sequences == sequences.sorted(), "order of \(key)")
        }
    }

    @Test("rows acknowledged before a broker restart that no consumer had read are published again and applied once, in order per key")
    func unreadRowsPublishedAgain() async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        defer { Task { try? await broker.stop() } }
        try await MessagingFixture.with(brokers: broker.address) { f in
            try await withServices([f.relay(options: Self.relayOptions())]) {
                try await f.writeThroughOutbox(count: 200, keys: 10)
                try await Self.waitUntilNothingPending(f)
                #expect(try await f.scalar("SELECT count(*)::int FROM outbox WHERE kafka_offset IS NOT NULL AND kafka_partition IS NOT NULL") == 200,
                    "each published row keeps where the broker stored it")

                try await Self.restartLosingEverything(broker, f)
                try await Self.waitUntilPublishedAgain(f, count: 200)
                try await f.writeThroughOutbox(count: 100, keys: 10, startingAt: 200)
                try await Self.waitUntilNothingPending(f)
                #expect(try await f.scalar("SELECT count(*)::int FROM outbox WHERE replays > 1") == 0, "each lost row published again once")
                try await withServices([f.inbox()]) {
                    try await Self.expectAppliedOnceInOrder(f, count: 300)
                }
            }
        }
        try await broker.stop()
    }

    @Test("a consumer paused (SIGSTOP) across a broker restart reads the re-created topic from its start: every event applied once, in order per key")
    func pausedConsumerReadsRecreatedTopicFromStart() async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        defer { Task { try? await broker.stop() } }
        try await MessagingFixture.with(brokers: broker.address) { f in
            let consumer = try ChildProcess("messaging-drill", environment: f.drillEnvironment(mode: "consume"))
            defer { consumer.signal(SIGKILL) }
            try await withServices([f.relay(options: Self.relayOptions())]) {
                try await f.writeThroughOutbox(count: 150, keys: 10)
                try await eventually("the consumer to apply the first 150", timeout: .seconds(60)) {
                    let (rows, _) = try await f.appliedCounts()
                    return rows == 150 ? nil : "\(rows)"
                }
                consumer.signal(SIGSTOP)
                try await Self.restartLosingEverything(broker, f)
                try await Self.waitUntilPublishedAgain(f, count: 150)
                // The new log now reaches past every offset the paused consumer held.
                try await f.writeThroughOutbox(count: 150, keys: 10, startingAt: 150)
                try await Self.waitUntilNothingPending(f)
                consumer.signal(SIGCONT)
                try await Self.expectAppliedOnceInOrder(f, count: 300)
                #expect(consumer.output.contains("a topic was re-created under the consumer"),
                    "the consumer noticed the new log under its old offsets: \(consumer.output.suffix(2000))")
            }
            consumer.signal(SIGTERM)
            try await consumer.waitForExit()
        }
        try await broker.stop()
    }

    @Test("an operator replays what was published since a time: those rows go out again in order and the inbox absorbs them")
    func operatorReplay() async throws {
        try await MessagingFixture.with { f in
            let relay = f.relay()
            try await withServices([relay, f.inbox()]) {
                try await f.writeThroughOutbox(count: 50, keys: 5)
                try await Self.expectAppliedOnceInOrder(f, count: 50)
                let cut = Date()
                try await f.writeThroughOutbox(count: 50, keys: 5, startingAt: 50)
                try await Self.expectAppliedOnceInOrder(f, count: 100)
                try await Self.waitUntilNothingPending(f)
                let replayed = try await relay.replay(publishedSince: cut, logger: f.logger)
                #expect(replayed == 50)
                // One more event per key after the replay: once each is applied, the replayed events
                // of its partition (published before it) have been through the inbox too.
                try await f.writeThroughOutbox(count: 5, keys: 5, startingAt: 100)
                try await Self.expectAppliedOnceInOrder(f, count: 105)
                #expect(try await f.scalar("SELECT count(*)::int FROM outbox WHERE replays = 1 AND published_at IS NOT NULL") == 50)
            }
        }
    }
}
