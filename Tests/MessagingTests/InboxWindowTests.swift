import Contracts
import Foundation
import Messaging
import PostgresNIO
import Testing
import TestSupport

/// The inbox's windows, each hit on purpose: a crash between the database commit and the offset
/// commit, a poison message delivered again, a failure of unknown kind.
@Suite("The inbox's windows, hit on purpose", .timeLimit(.minutes(3)))
struct InboxWindowTests {
    /// Runs the drill consumer that kills itself after its first batch's transaction committed
    /// and before its offsets were; returns how many events that batch applied.
    static func crashAfterFirstBatch(_ fixture: MessagingFixture) async throws -> Int {
        let crashing = try ChildProcess(
            "messaging-drill", environment: fixture.drillEnvironment(mode: "consume", extra: ["DRILL_CRASH_AFTER_APPLY": "1"]))
        let ended = try await crashing.waitForExit(timeout: .seconds(60))
        #expect(ended.signalled && ended.status == SIGKILL, "the drill killed itself: \(crashing.output.suffix(500))")
        let line = try #require(crashing.output.split(separator: "\n").first { $0.contains("killing myself after applying") })
        return try #require(Int(line.split(separator: " ").dropLast().last ?? ""), "\(line)")
    }

    @Test("killed after the batch's transaction committed and before its offsets were: the batch is delivered again and the inbox skips it")
    func crashBetweenCommits() async throws {
        try await MessagingFixture.with { fixture in
            let total = 300
            try await fixture.produce(try (0..<total).map { try fixture.envelope(key: "key-\($0 % 7)", sequence: $0) })
            let firstBatch = try await Self.crashAfterFirstBatch(fixture)
            #expect(firstBatch > 0)
            #expect(try await fixture.appliedCounts().rows == firstBatch, "the first batch was applied and committed in the database")
            // And more after the crash, so the restarted consumer has new events as well as the old batch.
            try await fixture.produce(try (total..<total + 200).map { try fixture.envelope(key: "key-\($0 % 7)", sequence: $0) })

            let inbox = fixture.inbox()
            try await withServices([inbox]) {
                try await eventually("every event applied and every offset committed", timeout: .seconds(60)) {
                    let counts = try await fixture.appliedCounts()
                    guard counts.distinct == total + 200 else { return "\(counts)" }
                    guard let consumer = inbox.consumer else { return "not started" }
                    let partitions = (0..<6).map { TopicPartition(fixture.topic, Int32($0)) }
                    let committed = try await consumer.committedOffsets(partitions).values.filter { $0 >= 0 }.reduce(0, +)
                    return committed == Int64(total + 200) ? nil : "\(committed) offsets committed"
                }
                #expect(inbox.duplicates == firstBatch, "the crashed batch was delivered again and skipped, all of it")
            }
            #expect(try await fixture.appliedCounts().rows == total + 200, "nothing applied twice")
            try await fixture.expectOrderPerKey(keys: 7)
        }
    }

    @Test("poison delivered again after a crash is not dead-lettered twice, whether or not it decodes as an event")
    func poisonRedelivered() async throws {
        try await MessagingFixture.with(partitions: 1) { fixture in
            var misshapen = try fixture.envelope(key: "k", sequence: 2)
            misshapen.payload = .object(["sequence": .string("two")])
            let records = [
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try fixture.envelope(key: "k", sequence: 1).encoded()),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: Array("not an envelope".utf8)),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try misshapen.encoded()),
                OutgoingRecord(topic: fixture.topic, key: Array("k".utf8), value: try fixture.envelope(key: "k", sequence: 3).encoded()),
            ]
            for result in await fixture.producer.send(records) { _ = try result.get() }
            let deadLetters = TopicPartition(Topic.deadLetter(of: fixture.topic), 0)

            let firstBatch = try await Self.crashAfterFirstBatch(fixture)
            #expect(firstBatch == 4, "the four messages came as one batch (else the window is another one)")
            #expect(try await fixture.producer.endOffsets([deadLetters])[deadLetters] == 2, "both poison messages dead-lettered before the crash")

            let inbox = fixture.inbox()
            try await withServices([inbox]) {
                try await eventually("the batch read again and its offsets committed") {
                    guard let consumer = inbox.consumer else { return "not started" }
                    let committed = try await consumer.committedOffsets([TopicPartition(fixture.topic, 0)])
                    return committed[TopicPartition(fixture.topic, 0)] == 4 ? nil : "\(committed)"
                }
                #expect(inbox.duplicates == 4, "every message of the batch was recognised: two events, two poison")
            }
            #expect(try await fixture.producer.endOffsets([deadLetters])[deadLetters] == 2, "no poison dead-lettered a second time")
            #expect(try await fixture.appliedSequencesByKey() == ["k": [1, 3]])
            #expect(try await fixture.scalar("SELECT count(*)::int FROM inbox WHERE outcome = 'dead_lettered'") == 2)
        }
    }

    /// Fails with a real PostgreSQL error of a class the inbox does not know (42P01, undefined
    /// table) for one sequence number.
    struct FailsUnknown: InboxHandler {
        var sequence: Int
        func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
            guard let payload = event.payload as? DrillEvent else { return }
            if payload.sequence == sequence {
                try await transaction.connection.query("SELECT * FROM no_such_table", logger: transaction.logger)
            }
            try await RecordApplied().apply(event, in: transaction)
        }
    }

    @Test("a failure of unknown kind is retried while the database answers, then dead-lettered once; the partition moves on")
    func unknownFailure() async throws {
        try await MessagingFixture.with(partitions: 1) { fixture in
            try await fixture.produce(try (0..<10).map { try fixture.envelope(key: "k", sequence: $0) })
            var options = InboxConsumer.Options()
            options.unknownFailureAttempts = 3
            options.retryBase = .milliseconds(10)
            let inbox = InboxConsumer(
                groupID: fixture.group, topics: [fixture.topic], kafka: fixture.kafka, client: fixture.client,
                producer: fixture.producer, registry: EventRegistry([DrillEvent.self]), handler: FailsUnknown(sequence: 4),
                options: options, logger: fixture.logger)
            try await withServices([inbox]) {
                try await eventually("offsets committed past the last event", timeout: .seconds(60)) {
                    guard let consumer = inbox.consumer else { return "not started" }
                    let committed = try await consumer.committedOffsets([TopicPartition(fixture.topic, 0)])
                    return committed[TopicPartition(fixture.topic, 0)] == 10 ? nil : "\(committed)"
                }
            }
            // Each attempt that ends in "poisoned" is not retried: 2 retries for the batch, 2 for the event alone.
            #expect(inbox.retries >= 2, "retried before giving up (\(inbox.retries))")
            #expect(try await fixture.appliedSequencesByKey() == ["k": [0, 1, 2, 3, 5, 6, 7, 8, 9]])
            let dead = try await readAll(Topic.deadLetter(of: fixture.topic), brokers: fixture.brokers, count: 1)
            #expect(dead.count == 1)
            let reason = String(decoding: dead.first?.header("dlq-error") ?? [], as: UTF8.self)
            #expect(reason.hasPrefix("42P01"), "\(reason)")
            #expect(dead.first?.header("dlq-original-offset") == Array("4".utf8))
        }
    }
}

/// `FailureKind` on errors real PostgreSQL raises, not on hand-made ones.
@Suite("Failure kinds of real PostgreSQL errors")
struct FailureKindPostgresTests {
    /// The error `statement` raises inside a transaction, as the inbox sees it.
    static func error(of statements: [PostgresQuery]) async throws -> any Error {
        try await TemporaryDatabase.with(prefix: "kind") { url in
            try await TemporaryDatabase.withClient(url: url) { client in
                do {
                    try await client.withTransaction(logger: MessagingFixture.logger) { connection in
                        for statement in statements {
                            // Read to the end: an error after the first row (a timeout) only shows there.
                            _ = try await connection.query(statement, logger: MessagingFixture.logger).collect()
                        }
                    }
                } catch {
                    return error
                }
                Issue.record("the statements raised no error: \(statements.map(\.sql))")
                return CancellationError()
            }
        }
    }

    static func raise(_ sqlState: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'raised on purpose' USING ERRCODE = '\(sqlState)'; END $$")
    }

    @Test("integrity constraint violations (23xxx) and data exceptions (22xxx) are permanent")
    func permanent() async throws {
        let duplicate = try await Self.error(of: [
            "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)",
        ])
        #expect(FailureKind.of(duplicate) == .permanent, "23505: \(String(reflecting: duplicate))")
        let notNull = try await Self.error(of: ["CREATE TABLE t (id int NOT NULL)", "INSERT INTO t VALUES (NULL)"])
        #expect(FailureKind.of(notNull) == .permanent, "23502")
        let division = try await Self.error(of: ["SELECT 1 / 0"])
        #expect(FailureKind.of(division) == .permanent, "22012")
        let badNumber = try await Self.error(of: ["SELECT 'three'::int"])
        #expect(FailureKind.of(badNumber) == .permanent, "22P02")
    }

    @Test("serialization failures, deadlocks (40xxx), a cancelled statement and lack of resources are transient")
    func transient() async throws {
        for state in ["40001", "40P01", "53300"] {
            let error = try await Self.error(of: [Self.raise(state)])
            #expect(FailureKind.of(error) == .transient, "\(state): \(String(reflecting: error))")
        }
        // A statement that runs far longer than the 10 ms it is allowed.
        let timedOut = try await Self.error(of: ["SET LOCAL statement_timeout = 10", "SELECT count(*) FROM generate_series(1, 500000000)"])
        #expect(FailureKind.of(timedOut) == .transient, "57014 (statement timeout)")
    }

    @Test("other server errors (an undefined table, an internal error) are of unknown kind")
    func unknown() async throws {
        let undefined = try await Self.error(of: ["SELECT * FROM no_such_table"])
        #expect(FailureKind.of(undefined) == .unknown, "42P01")
        let internalError = try await Self.error(of: [Self.raise("XX000")])
        #expect(FailureKind.of(internalError) == .unknown, "XX000")
    }
}
