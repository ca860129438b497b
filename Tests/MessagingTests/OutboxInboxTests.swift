import Contracts
import Foundation
import Messaging
import PostgresNIO
import Testing
import TestSupport

@Suite("Outbox, relay and inbox against the local broker and PostgreSQL")
struct OutboxInboxTests {
    @Test("every envelope field survives outbox → relay → broker, and each key keeps its order across six partitions")
    func roundTripAndOrder() async throws {
        try await MessagingFixture.with { fixture in
            let written = try await fixture.writeThroughOutbox(count: 600, keys: 12, perTransaction: 50)
            let relay = fixture.relay()
            let inbox = fixture.inbox()
            try await withServices([relay, inbox]) {
                try await eventually("600 events applied", timeout: .seconds(60)) {
                    let counts = try await fixture.appliedCounts()
                    return counts.distinct == 600 ? nil : "\(counts)"
                }
            }
            let counts = try await fixture.appliedCounts()
            #expect(counts.rows == 600, "each event applied exactly once")

            // Per key, in the order applied: the order written.
            let byKey = try await fixture.appliedSequencesByKey()
            #expect(byKey.count == 12)
            for (key, sequences) in byKey {
                #expect(sequences == sequences.sorted(), "order of \(key)")
                #expect(sequences.count == 50)
            }

            // The published bytes decode to exactly the envelopes written, every field.
            let messages = try await readAll(fixture.topic, brokers: fixture.brokers, count: 600)
            let partitions = Set(messages.map(\.partition))
            #expect(partitions.count > 1, "the keys spread over partitions")
            let published = try Dictionary(uniqueKeysWithValues: messages.map { message in
                let envelope = try EventEnvelope.decode(message.value).get()
                #expect(message.key == Array(envelope.key.utf8))
                #expect(message.header("dms-event-id") == Array(envelope.id.uuidString.lowercased().utf8))
                #expect(message.header("dms-event-type") == Array("DrillEvent".utf8))
                return (envelope.id, envelope)
            })
            for envelope in written {
                #expect(published[envelope.id] == envelope)
            }
            let sample = try #require(published[written[0].id])
            #expect(try sample.payload(as: DrillEvent.self).price == Money(Decimal(string: "1234.50")!, "EUR"))

            let pending = try await fixture.scalar("SELECT count(*)::int FROM outbox WHERE published_at IS NULL")
            #expect(pending == 0, "every acknowledged row is marked")
        }
    }

    @Test("a poison message lands in the dead-letter topic with its reason; the partition moves on")
    func poisonGoesToDeadLetters() async throws {
        try await MessagingFixture.with(partitions: 1) { fixture in
            let good1 = try fixture.envelope(key: "k", sequence: 1)
            let rejected = try fixture.envelope(key: "k", sequence: -1)
            let good2 = try fixture.envelope(key: "k", sequence: 2)
            var wrongShape = try fixture.envelope(key: "k", sequence: 3)
            wrongShape.payload = .object(["sequence": .string("three")])
            let garbage = Array("this is not an envelope".utf8)
            let records: [OutgoingRecord] = [
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try good1.encoded()),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: garbage, headers: [("origin", Array("test".utf8))]),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try wrongShape.encoded()),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try rejected.encoded()),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try good2.encoded()),
            ]
            for result in await fixture.producer.send(records) { _ = try result.get() }

            let inbox = fixture.inbox()
            try await withServices([inbox]) {
                try await eventually("the good events applied", timeout: .seconds(60)) {
                    let counts = try await fixture.appliedCounts()
                    return counts.rows == 2 ? nil : "\(counts)"
                }
                let consumer = try #require(inbox.consumer)
                try await eventually("offsets committed past the last message") {
                    let committed = try await consumer.committedOffsets([TopicPartition(fixture.topic, 0)])
                    return committed[TopicPartition(fixture.topic, 0)] == 5 ? nil : "\(committed)"
                }
            }
            #expect(try await fixture.appliedSequencesByKey() == ["k": [1, 2]])

            let dead = try await readAll(Topic.deadLetter(of: fixture.topic), brokers: fixture.brokers, count: 3)
            #expect(dead.count == 3)
            let byOffset = Dictionary(uniqueKeysWithValues: dead.map { (String(decoding: $0.header("dlq-original-offset") ?? [], as: UTF8.self), $0) })
            let undecodable = try #require(byOffset["1"])
            #expect(undecodable.value == garbage, "original bytes untouched")
            #expect(undecodable.header("origin") == Array("test".utf8), "original headers kept")
            #expect(String(decoding: undecodable.header("dlq-error") ?? [], as: UTF8.self).contains("malformed envelope"))
            let misshapen = try #require(byOffset["2"])
            #expect(misshapen.value == (try wrongShape.encoded()))
            #expect(String(decoding: misshapen.header("dlq-error") ?? [], as: UTF8.self).contains("malformed payload"))
            let refused = try #require(byOffset["3"])
            #expect(String(decoding: refused.header("dlq-error") ?? [], as: UTF8.self).contains("sequence must not be negative"))
            for message in dead {
                #expect(message.header("dlq-original-topic") == Array(fixture.topic.utf8))
                #expect(message.header("dlq-original-partition") == Array("0".utf8))
                #expect(message.header("dlq-consumer-group") == Array(fixture.group.utf8))
                #expect(Timestamp.parse(String(decoding: message.header("dlq-failed-at") ?? [], as: UTF8.self)) != nil)
                #expect(message.key == Array("k".utf8))
            }
            let deadLettered = try await fixture.scalar("SELECT count(*)::int FROM inbox WHERE outcome = 'dead_lettered'")
            #expect(deadLettered == 3, "poison is remembered (undecodable bytes by where they were read), so a redelivery is not dead-lettered twice")
        }
    }

    @Test("a redelivered event is applied once; an unknown type is recorded and ignored")
    func redeliveryIsSkipped() async throws {
        try await MessagingFixture.with(partitions: 1) { fixture in
            let event = try fixture.envelope(key: "k", sequence: 7)
            let unknown = EventEnvelope(
                type: "SomethingNew", version: 3, occurredAt: Date(), source: "test", key: "k",
                correlationId: UUID(), payload: .object(["x": .number("1")]))
            try await fixture.produce([event, event, unknown, event])
            let last = try fixture.envelope(key: "k", sequence: 8)
            try await fixture.produce([last])
            let inbox = fixture.inbox()
            try await withServices([inbox]) {
                try await eventually("the last event applied", timeout: .seconds(60)) {
                    let counts = try await fixture.appliedCounts()
                    return counts.distinct == 2 ? nil : "\(counts)"
                }
            }
            #expect(try await fixture.appliedCounts().rows == 2)
            #expect(try await fixture.scalar("SELECT count(*)::int FROM inbox WHERE outcome = 'ignored'") == 1)
        }
    }
}
