import Contracts
import Foundation
import Messaging
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// The delivery guarantees under faults: processes killed mid-flight, a broker that stops
/// answering, a database that goes away. Each test has its own database, topic and group (and,
/// where it pauses or restarts the broker or the database, its own broker or cluster).
@Suite("Messaging under faults")
struct FaultTests {
    @Test("kill -9 a consumer in the middle of 10,000 events, restart it: every event applied exactly once")
    func consumerKilledMidBatch() async throws {
        try await MessagingFixture.with { fixture in
            let total = 10_000
            var envelopes: [EventEnvelope] = []
            for index in 0..<total { envelopes.append(try fixture.envelope(key: "key-\(index % 50)", sequence: index)) }
            for chunk in stride(from: 0, to: total, by: 1_000) {
                try await fixture.produce(Array(envelopes[chunk..<min(total, chunk + 1_000)]))
            }

            let first = try ChildProcess("messaging-drill", environment: fixture.drillEnvironment(mode: "consume"))
            var appliedAtKill = 0
            try await eventually("the first consumer to be under way", timeout: .seconds(60), every: .milliseconds(20)) {
                appliedAtKill = try await fixture.appliedCounts().rows
                return appliedAtKill >= 500 ? nil : "\(appliedAtKill) applied; \(first.isRunning ? "running" : "exited: \(first.output.suffix(500))")"
            }
            first.signal(SIGKILL)
            let ended = try await first.waitForExit()
            #expect(ended.signalled && ended.status == SIGKILL)
            appliedAtKill = try await fixture.appliedCounts().rows
            #expect(appliedAtKill < total, "killed before the end (\(appliedAtKill) applied)")

            let second = try ChildProcess("messaging-drill", environment: fixture.drillEnvironment(mode: "consume"))
            try await eventually("every event applied", timeout: .seconds(120), every: .milliseconds(100)) {
                let counts = try await fixture.appliedCounts()
                return counts.distinct == total ? nil : "\(counts); \(second.isRunning ? "running" : "exited: \(second.output.suffix(500))")"
            }
            second.signal(SIGTERM)
            let stopped = try await second.waitForExit()
            #expect(!stopped.signalled && stopped.status == 0, "graceful stop")

            let counts = try await fixture.appliedCounts()
            #expect(counts.rows == total, "no event applied twice")
            #expect(counts.distinct == total)
            let inbox = try await fixture.scalar("SELECT count(*)::int FROM inbox")
            #expect(inbox == total)
        }
    }

    @Test("kill the relay after the broker acknowledged but before it marked the rows: the duplicates are absorbed by the inbox")
    func relayKilledBeforeMarking() async throws {
        try await MessagingFixture.with { fixture in
            let written = try await fixture.writeThroughOutbox(count: 300, keys: 10)

            let crashing = try ChildProcess(
                "messaging-drill", environment: fixture.drillEnvironment(mode: "relay", extra: ["DRILL_CRASH_AFTER_ACK": "1"]))
            let ended = try await crashing.waitForExit(timeout: .seconds(60))
            #expect(ended.signalled && ended.status == SIGKILL, "the drill killed itself: \(crashing.output.suffix(500))")
            #expect(crashing.output.contains("acknowledged rows"))
            let pending = try await fixture.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL")
            #expect(pending == 300, "nothing was marked")

            // A new relay publishes the same rows again; the consumer sees every event twice.
            let relay = try ChildProcess("messaging-drill", environment: fixture.drillEnvironment(mode: "relay"))
            try await eventually("the outbox to be published", timeout: .seconds(60)) {
                let left = try await fixture.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL")
                return left == 0 ? nil : "\(left) pending"
            }
            relay.signal(SIGTERM)
            try await relay.waitForExit()

            let onTopic = try await readAll(fixture.topic, brokers: fixture.brokers, count: 600)
            #expect(onTopic.count == 600, "each event is on the topic twice")

            let inbox = fixture.inbox()
            try await withServices([inbox]) {
                try await eventually("every event applied", timeout: .seconds(60)) {
                    let counts = try await fixture.appliedCounts()
                    return counts.distinct == 300 ? nil : "\(counts)"
                }
                let consumer = try #require(inbox.consumer)
                try await eventually("all 600 offsets committed") {
                    let committed = try await consumer.committedOffsets((0..<6).map { TopicPartition(fixture.topic, Int32($0)) })
                    let sum = committed.values.filter { $0 >= 0 }.reduce(0, +)
                    return sum == 600 ? nil : "\(sum)"
                }
            }
            #expect(try await fixture.appliedCounts().rows == 300, "duplicates absorbed")
            let byKey = try await fixture.appliedSequencesByKey()
            for (key, sequences) in byKey { #expect(sequences == sequences.sorted(), "order of \(key)") }
            #expect(Set(written.map(\.key)).count == byKey.count)
        }
    }

    @Test("the broker stops answering (SIGSTOP) while a service writes through the outbox for ten seconds: everything arrives, in order per key")
    func brokerPausedWhileWriting() async throws {
        try await withScratchBroker { broker in try await MessagingFixture.with(brokers: broker.address) { fixture in
            let relay = fixture.relay()
            let inbox = fixture.inbox()
            try await withServices([relay, inbox]) {
                try await fixture.startFlowing(50, keys: 5)

                broker.pause()
                // Keep writing with the broker frozen, as a service would, in transactions of ten;
                // then hold it frozen until the oldest unpublished event has waited ten seconds.
                var written = 50
                for _ in 0..<50 {
                    _ = try await fixture.writeThroughOutbox(count: 10, keys: 5, perTransaction: 10, startingAt: written)
                    written += 10
                }
                try await eventually("an event to have waited ten seconds on the frozen broker", timeout: .seconds(60), every: .milliseconds(500)) {
                    let waited = try await fixture.scalar(
                        "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::int FROM outbox WHERE published_at IS NULL")
                    return waited >= 10 ? nil : "oldest unpublished event waited \(waited) s"
                }
                #expect(try await fixture.appliedCounts().rows == 50, "no event written during the freeze arrived while it lasted")
                broker.resume()
                try await fixture.expectAppliedOnce(written)
            }
            try await fixture.expectOrderPerKey(keys: 5)
        } }
    }

    @Test("the broker freezes for longer than the producer's message timeout: the sends fail, the rows stay pending and go out again; each event arrives once, in order per key")
    func brokerFrozenPastMessageTimeout() async throws {
        try await withScratchBroker { broker in try await MessagingFixture.with(brokers: broker.address) { fixture in
            // A relay whose producer gives up on a record after 3 s (librdkafka's default is 5 min);
            // a record already sent waits for its request to time out (2 s instead of 30 s).
            let impatient = try KafkaProducer(
                configuration: KafkaConfiguration(
                    bootstrapServers: broker.address, properties: ["message.timeout.ms": "3000", "request.timeout.ms": "2000"]),
                logger: fixture.logger)
            // Armed, the relay freezes the broker just before it sends: the send meets the frozen
            // broker (a freeze between batches would only fail the relay's checks before sending).
            let armed = Atomic<Bool>(false)
            var options = OutboxRelay.Options()
            options.beforeSend = { _ in
                if armed.exchange(false, ordering: .acquiringAndReleasing) { broker.pause() }
            }
            let relay = OutboxRelay(client: fixture.client, producer: impatient, options: options, logger: fixture.logger)
            let inbox = fixture.inbox()
            try await withServices([impatient, relay, inbox]) {
                try await fixture.startFlowing(50, keys: 5)

                armed.store(true, ordering: .releasing)
                var written = 50
                for _ in 0..<10 {
                    _ = try await fixture.writeThroughOutbox(count: 10, keys: 5, perTransaction: 10, startingAt: written)
                    written += 10
                }
                // The window: the producer gave up on records it had sent to the frozen broker.
                try await eventually("the producer to give up on a send", timeout: .seconds(60), every: .milliseconds(200)) {
                    relay.unacknowledged > 0 ? nil : "no send failed yet (armed: \(armed.load(ordering: .acquiring)))"
                }
                #expect(try await fixture.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL") == written - 50,
                        "what the broker did not acknowledge stays pending")
                #expect(try await fixture.appliedCounts().rows == 50, "no event written during the freeze arrived while it lasted")
                broker.resume()
                try await fixture.expectAppliedOnce(written, "exactly once, though records sent before the timeout may reach the topic twice")
            }
            try await fixture.expectOrderPerKey(keys: 5)
        } }
    }

    @Test("PostgreSQL stops under a consumer: it retries, commits nothing it did not apply, and catches up when the database returns")
    func databaseStoppedUnderConsumer() async throws {
        let cluster = try ScratchCluster()
        try await cluster.start()
        do {
            try await TemporaryDatabase.admin(url: cluster.adminURL) { admin in
                try await admin.query("CREATE DATABASE consumer_under_test", logger: MessagingFixture.logger)
            }
            let url = cluster.adminURL.replacingOccurrences(of: "/postgres", with: "/consumer_under_test")
            try await MessagingFixture.with(partitions: 3, databaseURL: url) { fixture in
                let partitions = (0..<3).map { TopicPartition(fixture.topic, Int32($0)) }
                var options = InboxConsumer.Options()
                options.retryMax = .milliseconds(500)
                options.attemptTimeout = .seconds(2)
                let inbox = fixture.inbox(options: options)
                try await withServices([inbox]) {
                    try await fixture.produce(try (0..<100).map { try fixture.envelope(key: "key-\($0 % 9)", sequence: $0) })
                    try await eventually("the first 100 applied", timeout: .seconds(60)) {
                        let counts = try await fixture.appliedCounts()
                        return counts.distinct == 100 ? nil : "\(counts)"
                    }
                    let consumer = try #require(inbox.consumer)
                    func committedSum() async throws -> Int64 {
                        try await consumer.committedOffsets(partitions).values.filter { $0 >= 0 }.reduce(0, +)
                    }
                    try await eventually("100 offsets committed") {
                        let sum = try await committedSum()
                        return sum == 100 ? nil : "\(sum)"
                    }

                    try await cluster.stop()
                    let retriesBefore = inbox.retries
                    try await fixture.produce(try (100..<200).map { try fixture.envelope(key: "key-\($0 % 9)", sequence: $0) })
                    try await eventually("the consumer to be retrying", timeout: .seconds(60)) {
                        inbox.retries >= retriesBefore + 3 ? nil : "\(inbox.retries - retriesBefore) retries"
                    }
                    #expect(try await committedSum() == 100, "no offset committed for events not applied")

                    try await cluster.start()
                    try await eventually("every event applied after the database returned", timeout: .seconds(90)) {
                        let counts = try await fixture.appliedCounts()
                        return counts.distinct == 200 ? nil : "\(counts)"
                    }
                    try await eventually("200 offsets committed") {
                        let sum = try await committedSum()
                        return sum == 200 ? nil : "\(sum)"
                    }
                }
                #expect(try await fixture.appliedCounts().rows == 200, "exactly once")
            }
            await cluster.destroy()
        } catch {
            await cluster.destroy()
            throw error
        }
    }
}
