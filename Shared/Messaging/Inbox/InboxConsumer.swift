import Contracts
import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The idempotent consumer: reads batches from a consumer group, applies each batch and records its
/// event ids in one transaction (a redelivered id is skipped), then commits the offsets.
///
/// Transient failures (database unreachable) are retried with backoff and nothing is skipped or
/// committed meanwhile. An event that can never be applied — undecodable bytes, a payload that does
/// not match its type, a handler's `EventRejected`, an integrity violation — goes to `<topic>.dlq`
/// with the original bytes and headers saying where it came from and why; the partition moves on.
public final class InboxConsumer: Service, Sendable {
    public struct Options: Sendable {
        public var maxBatch = 500
        /// How long to wait for a full batch once the first message is there.
        public var maxWait: Duration = .milliseconds(10)
        public var retryBase: Duration = .milliseconds(100)
        public var retryMax: Duration = .seconds(5)
        /// An attempt to apply a batch that takes longer is abandoned (rolled back) and retried: a
        /// database that vanished otherwise holds the attempt in the connection pool for a minute.
        public var attemptTimeout: Duration = .seconds(30)
        /// Attempts for a failure of unknown kind (while the database answers) before the event is
        /// treated as poison.
        public var unknownFailureAttempts = 5
        /// Inbox rows are kept this long (longer than any redelivery could take).
        public var retention: Duration = .seconds(14 * 24 * 3600)
        public var consumer = KafkaConsumer.Options()
        /// Fault injection for tests and drills: runs after a batch's transaction committed (and
        /// its poison, if any, was dead-lettered) and before its offsets are committed — a drill
        /// kills the process here, so the batch is delivered again and the inbox must absorb it.
        public var afterApplied: (@Sendable ([ConsumedMessage]) async throws -> Void)?

        public init() {}
    }

    public let groupID: String
    public let topics: [String]
    private let kafka: KafkaConfiguration
    private let client: PostgresClient
    private let producer: KafkaProducer
    private let registry: EventRegistry
    private let handler: any InboxHandler
    private let options: Options
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let current = Mutex<KafkaConsumer?>(nil)
    private let retryCount = Atomic<Int>(0)
    private let duplicateCount = Atomic<Int>(0)

    public init(
        groupID: String, topics: [String], kafka: KafkaConfiguration, client: PostgresClient, producer: KafkaProducer,
        registry: EventRegistry, handler: any InboxHandler, options: Options = Options(), logger: Logger
    ) {
        self.groupID = groupID
        self.topics = topics
        self.kafka = kafka
        self.client = client
        self.producer = producer
        self.registry = registry
        self.handler = handler
        self.options = options
        var logger = logger
        logger[metadataKey: "group"] = "\(groupID)"
        self.logger = logger
    }

    /// The group member while running (tests read committed offsets through it).
    public var consumer: KafkaConsumer? { current.withLock { $0 } }

    /// Failed attempts to apply a batch so far (each one was retried or dead-lettered).
    public var retries: Int { retryCount.load(ordering: .relaxed) }

    /// Events delivered again that the inbox had already recorded, and skipped.
    public var duplicates: Int { duplicateCount.load(ordering: .relaxed) }

    public func run() async throws {
        let consumer = try KafkaConsumer(
            configuration: kafka, groupID: groupID, topics: topics, options: options.consumer, logger: logger)
        current.withLock { $0 = consumer }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pruneLoop() }
                await self.consume(consumer)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            consumer.stop()
        }
        await consumer.close()
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) || Task.isCancelled }

    private func consume(_ consumer: KafkaConsumer) async {
        while !isStopping {
            let batch: [ConsumedMessage]
            do {
                batch = try await consumer.nextBatch(maxMessages: options.maxBatch, maxWait: options.maxWait)
            } catch {
                return  // cancelled
            }
            guard !batch.isEmpty else { return }  // stopped
            if await process(batch) {
                if let hook = options.afterApplied { try? await hook(batch) }
                consumer.commit(batch)
                Counter(label: "dms_kafka_committed_messages_total", dimensions: [("group", groupID)]).increment(by: batch.count)
            } else {
                consumer.release(batch)
                return
            }
        }
    }

    // MARK: Applying

    private struct Decoded {
        var message: ConsumedMessage
        var envelope: EventEnvelope
    }

    /// Applies the batch; false when it gave up because the service is stopping (nothing is
    /// committed then, and the batch is read again after restart).
    func process(_ batch: [ConsumedMessage]) async -> Bool {
        var events: [Decoded] = []
        var poison: [(ConsumedMessage, String)] = []
        var seen: Set<UUID> = []
        for message in batch {
            switch EventEnvelope.decode(message.value) {
            case .success(let envelope):
                // A duplicate inside the batch (the relay re-published it) is applied once.
                if seen.insert(envelope.id).inserted { events.append(Decoded(message: message, envelope: envelope)) }
            case .failure(let error):
                poison.append((message, error.description))
            }
        }
        if !events.isEmpty {
            switch await applyWithRetry(events) {
            case .applied: break
            case .stopped: return false
            case .poisoned: if !(await applyOneByOne(events)) { return false }
            }
        }
        for (message, reason) in poison {
            // Bytes that are no event have no event id: the inbox records them under one derived
            // from where they were read, so a redelivery is not dead-lettered twice.
            let id = Self.undecodableID(message)
            guard await alreadyRecorded(id) == false else {
                duplicateCount.add(1, ordering: .relaxed)
                continue
            }
            guard await deadLetter(message, reason: reason, eventID: nil) else { return false }
            guard await recordDeadLettered(id: id, type: "undecodable", message) else { return false }
        }
        return true
    }

    /// The inbox id of an undecodable message: its topic, partition, offset and bytes, hashed
    /// (FNV-1a, 128 bits) into a name-based UUID (version 8). A broker that lost its log can give
    /// other bytes the same offset; their hash differs.
    static func undecodableID(_ message: ConsumedMessage) -> UUID {
        var hash: (UInt64, UInt64) = (0x6c62_272e_07bb_0142, 0x62b8_2175_6295_c58d)  // FNV-1a 128 offset basis
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash.1 ^= UInt64(byte)
                // Multiply by the 128-bit FNV prime 2^88 + 0x13b, modulo 2^128.
                let product = hash.1.multipliedFullWidth(by: 0x13b)
                hash = (hash.0 &* 0x13b &+ product.high &+ (hash.1 << 24), product.low)
            }
        }
        mix(Array("\(message.topic)|\(message.partition)|\(message.offset)|".utf8))
        mix(message.value)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: hash.0 >> (56 - 8 * UInt64(index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: hash.1 >> (56 - 8 * UInt64(index)))
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x80  // version 8
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 9562 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// Whether the inbox already holds `id` for this group; nil when stopping.
    private func alreadyRecorded(_ id: UUID) async -> Bool? {
        var failures = 0
        while true {
            do {
                return try await client.query(
                    "SELECT 1 FROM inbox WHERE consumer_group = \(groupID) AND event_id = \(id)", logger: logger
                ).collect().isEmpty == false
            } catch {
                failures += 1
                if isStopping { return nil }
                try? await Task.sleep(for: backoff(failures))
            }
        }
    }

    private enum Attempt {
        case applied
        case stopped
        /// A permanent failure somewhere in the events: isolate it.
        case poisoned(String)
    }

    /// Retries transient failures for as long as it takes; reports a permanent one.
    private func applyWithRetry(_ events: [Decoded]) async -> Attempt {
        var failures = 0
        var unknownFailures = 0
        while true {
            do {
                try await applyWithinDeadline(events)
                return .applied
            } catch {
                if isStopping { return .stopped }  // a cancelled attempt is not a failure worth a log line
                var kind = FailureKind.of(error)
                if kind == .unknown, !(await databaseAnswers()) { kind = .transient }
                let reason = Self.describe(error)
                switch kind {
                case .permanent:
                    return .poisoned(reason)
                case .unknown:
                    unknownFailures += 1
                    if unknownFailures >= options.unknownFailureAttempts { return .poisoned(reason) }
                case .transient:
                    break
                }
                failures += 1
                retryCount.add(1, ordering: .relaxed)
                Counter(label: "dms_inbox_retries_total", dimensions: [("group", groupID)]).increment()
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("applying events failed; retrying", metadata: [
                        "kind": "\(kind)", "attempt": "\(failures)", "events": "\(events.count)", "error": "\(reason)"])
                }
                if isStopping { return .stopped }
                try? await Task.sleep(for: backoff(failures))
                if isStopping { return .stopped }
            }
        }
    }

    /// A batch with a poisoned event: each event in its own transaction, the poisoned ones
    /// dead-lettered. False when stopping.
    private func applyOneByOne(_ events: [Decoded]) async -> Bool {
        for event in events {
            switch await applyWithRetry([event]) {
            case .applied: continue
            case .stopped: return false
            case .poisoned(let reason):
                guard await deadLetter(event.message, reason: reason, eventID: event.envelope.id) else { return false }
                guard await recordDeadLettered(id: event.envelope.id, type: event.envelope.type, event.message) else { return false }
            }
        }
        return true
    }

    private func applyWithinDeadline(_ events: [Decoded]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.apply(events) }
            group.addTask {
                try await Task.sleep(for: self.options.attemptTimeout)
                throw AttemptTimedOut(after: self.options.attemptTimeout)
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// One transaction: claim the ids not seen before, apply those events, commit.
    private func apply(_ events: [Decoded]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            var ids: [UUID] = []
            var types: [String] = []
            var topics: [String] = []
            var partitions: [Int32] = []
            var offsets: [Int64] = []
            var outcomes: [String] = []
            for event in events {
                ids.append(event.envelope.id)
                types.append(event.envelope.type)
                topics.append(event.message.topic)
                partitions.append(event.message.partition)
                offsets.append(event.message.offset)
                outcomes.append(registry.knows(type: event.envelope.type, version: event.envelope.version) ? "applied" : "ignored")
            }
            // Inserting first claims the ids: a replica applying the same event concurrently waits
            // on our uncommitted rows, then finds them and skips.
            let rows = try await connection.query(
                """
                INSERT INTO inbox (consumer_group, event_id, event_type, topic, partition, "offset", outcome)
                SELECT \(groupID), id, type, topic, partition, "offset", outcome
                FROM unnest(\(ids)::uuid[], \(types)::text[], \(topics)::text[], \(partitions)::int4[], \(offsets)::int8[], \(outcomes)::text[])
                    AS e(id, type, topic, partition, "offset", outcome)
                ON CONFLICT (consumer_group, event_id) DO NOTHING
                RETURNING event_id
                """, logger: logger)
            var claimed: Set<UUID> = []
            for try await id in rows.decode(UUID.self) { claimed.insert(id) }
            let duplicates = events.count - claimed.count
            if duplicates > 0 {
                duplicateCount.add(duplicates, ordering: .relaxed)
                Counter(label: "dms_inbox_duplicates_total", dimensions: [("group", groupID)]).increment(by: duplicates)
            }
            var toApply: [InboxEvent] = []
            for event in events where claimed.contains(event.envelope.id) {
                guard case .known(let payload) = try registry.decode(event.envelope) else { continue }
                toApply.append(InboxEvent(
                    envelope: event.envelope, payload: payload, topic: event.message.topic,
                    partition: event.message.partition, offset: event.message.offset))
            }
            if !toApply.isEmpty {
                let started = ContinuousClock.now
                try await handler.apply(toApply, in: InboxTransaction(connection: connection, logger: logger))
                Timer(label: "dms_inbox_handler_duration_seconds", dimensions: [("group", groupID)])
                    .recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
            }
            Counter(label: "dms_inbox_applied_total", dimensions: [("group", groupID)]).increment(by: claimed.count)
        }
    }

    private func recordDeadLettered(id: UUID, type: String, _ message: ConsumedMessage) async -> Bool {
        var failures = 0
        while true {
            do {
                try await client.query(
                    """
                    INSERT INTO inbox (consumer_group, event_id, event_type, topic, partition, "offset", outcome)
                    VALUES (\(groupID), \(id), \(type), \(message.topic),
                            \(message.partition), \(message.offset), 'dead_lettered')
                    ON CONFLICT (consumer_group, event_id) DO NOTHING
                    """, logger: logger)
                return true
            } catch {
                failures += 1
                if isStopping { return false }
                try? await Task.sleep(for: backoff(failures))
            }
        }
    }

    // MARK: Dead letters

    /// Publishes the message, bytes untouched, to `<topic>.dlq` with where it came from and why.
    /// Retries until the broker acknowledged it; false when stopping first.
    private func deadLetter(_ message: ConsumedMessage, reason: String, eventID: UUID?) async -> Bool {
        let topic = Topic.deadLetter(of: message.topic)
        var headers = message.headers.filter { !$0.name.hasPrefix("dlq-") }
        headers += [
            ("dlq-original-topic", Array(message.topic.utf8)),
            ("dlq-original-partition", Array(String(message.partition).utf8)),
            ("dlq-original-offset", Array(String(message.offset).utf8)),
            ("dlq-consumer-group", Array(groupID.utf8)),
            ("dlq-error", Array(reason.utf8)),
            ("dlq-failed-at", Array(Timestamp.format(Date()).utf8)),
        ]
        let record = OutgoingRecord(topic: topic, key: message.key ?? [], value: message.value, headers: headers)
        var failures = 0
        while true {
            do {
                try await producer.send(record)
                Counter(label: "dms_dlq_total", dimensions: [("group", groupID), ("topic", message.topic)]).increment()
                logger.error("event dead-lettered", metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                    "event": "\(eventID?.uuidString ?? "-")", "reason": "\(reason)"])
                return true
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("dead-letter topic not writable; retrying", metadata: ["topic": "\(topic)", "error": "\(error)"])
                }
                // The topic may be missing (a broker that lost its topics): create it.
                try? await producer.ensureTopics([topic], partitions: 1, timeout: .seconds(5))
                if isStopping { return false }
                try? await Task.sleep(for: backoff(failures))
            }
        }
    }

    // MARK: Helpers

    private func databaseAnswers() async -> Bool {
        (try? await client.query("SELECT 1", logger: logger).collect()) != nil
    }

    private func backoff(_ failures: Int) -> Duration {
        let base = options.retryBase * (1 << min(failures - 1, 10))
        let capped = min(base, options.retryMax)
        // Jitter spreads replicas that failed together.
        return capped * Double.random(in: 0.5...1.0)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError, let closure = error.closureError { return describe(closure) }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(error.serverInfo?[.sqlState] ?? "") \(message)"
            }
            return "database: \(error.code)"
        }
        return "\(error)"
    }

    /// Deletes inbox rows older than the retention, hourly.
    private func pruneLoop() async {
        let seconds = Double(options.retention.components.seconds)
        while !Task.isCancelled {
            _ = try? await client.query(
                """
                DELETE FROM inbox WHERE consumer_group = \(groupID)
                AND processed_at < now() - make_interval(secs => \(seconds))
                """, logger: logger)
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
