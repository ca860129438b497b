import Contracts
import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Publishes a service's outbox: rows in `position` order, through the idempotent producer, marked
/// published only after the broker acknowledged them. Wakes on `LISTEN dms_outbox` and also polls.
///
/// Several replicas may run: each batch runs in a transaction that first takes a transaction-level
/// advisory lock, so one replica relays at a time and a row is never relayed by two at once; a
/// replica that crashes mid-batch releases the lock with its connection and its rows stay pending.
public final class OutboxRelay: Service, Sendable {
    public struct Options: Sendable {
        /// Rows per batch (one transaction, one round of acknowledgements).
        public var batchSize = 500
        /// Poll this often even without a notification.
        public var pollInterval: Duration = .seconds(1)
        /// Published rows are kept this long (with the partition and offset the broker gave them),
        /// so that what a broker loses can be published again; then they are deleted.
        public var retention: Duration = .seconds(7 * 24 * 3600)
        public var pruneInterval: Duration = .seconds(60)
        /// Backlog metrics are refreshed this often.
        public var backlogInterval: Duration = .seconds(5)
        /// How often the relay checks, even when idle, that the broker still holds what it
        /// acknowledged (cluster id, topic ids, end offsets).
        public var auditInterval: Duration = .seconds(5)
        /// A batch checks its topics' ids against the broker when the ids it last saw are older
        /// than this (one metadata round trip per topic set, not per batch: at a busy relay that
        /// round trip was a third of the broker's requests). A topic re-created within it is still
        /// found: by the offsets the broker hands out (they go back) and by the next audit.
        public var topicIdentityTTL: Duration = .seconds(1)
        /// Fault injection for tests and drills: runs after the broker acknowledged a batch and
        /// before its rows are marked (a drill kills the process here).
        public var afterAcknowledged: (@Sendable ([Int64]) async throws -> Void)?
        /// Fault injection for tests: runs after the broker checks and before a batch is sent (a
        /// test freezes the broker here, so that the send itself meets the frozen broker).
        public var beforeSend: (@Sendable ([Int64]) async throws -> Void)?

        public init() {}
    }

    /// Advisory lock key taken by the replica relaying a batch ("DMS_OUTB").
    static let lockKey: Int64 = 0x444D_535F_4F55_5442

    private let client: PostgresClient
    private let producer: KafkaProducer
    private let options: Options
    private let logger: Logger
    private let doorbell = Doorbell()
    private let stopping = Atomic<Bool>(false)
    private let lastAudit = Mutex<ContinuousClock.Instant>(.now - .seconds(3600))
    /// The topic ids last seen, and when.
    private let knownIdentities = Mutex<[String: (identity: TopicIdentity?, seen: ContinuousClock.Instant)]>([:])
    private let unacknowledgedCount = Atomic<Int>(0)

    /// Rows the broker did not acknowledge so far (each stayed pending and was sent again).
    public var unacknowledged: Int { unacknowledgedCount.load(ordering: .relaxed) }

    public init(client: PostgresClient, producer: KafkaProducer, options: Options = Options(), logger: Logger) {
        self.client = client
        self.producer = producer
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        // The listener and the maintenance loop are not children of this task: waiting for them
        // at shutdown could last for ever (a LISTEN connection re-made after a database restart was
        // seen not ending when cancelled, and the service never exited). They are cancelled and
        // given 5 s.
        let listener = Task { await self.listen() }
        let maintenance = Task { await self.maintain() }
        await withGracefulShutdownHandler {
            await self.relayLoop()
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            self.doorbell.ring()
        }
        listener.cancel()
        maintenance.cancel()
        if await finishes(within: .seconds(5), { await listener.value; await maintenance.value }) {
            logger.info("outbox relay stopped")
        } else {
            logger.warning("the outbox listener did not stop within 5 s of the shutdown; going on")
        }
    }

    /// Relays until stopped: straight on while full batches come back, else waits for a
    /// notification or the poll interval; backs off while the broker or database fails.
    private func relayLoop() async {
        var failures = 0
        while !stopping.load(ordering: .acquiring) && !Task.isCancelled {
            do {
                let outcome = try await relayBatch()
                if outcome.replayed > 0 {
                    failures = 0  // straight on: the rows the broker lost go out first
                } else if outcome.failed > 0 {
                    failures += 1
                    await doorbell.wait(timeout: backoff(failures))
                } else {
                    failures = 0
                    if outcome.published < options.batchSize { await doorbell.wait(timeout: options.pollInterval) }
                }
            } catch {
                if stopping.load(ordering: .acquiring) || Task.isCancelled { return }
                failures += 1
                logger.warning("outbox relay failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                await doorbell.wait(timeout: backoff(failures))
            }
        }
    }

    private func backoff(_ failures: Int) -> Duration {
        .milliseconds(min(5_000, 100 << min(failures, 6)))
    }

    struct BatchOutcome {
        var published = 0
        var failed = 0
        /// Rows made pending again because the broker lost them.
        var replayed = 0
    }

    /// One batch: lock, check that the broker still holds what it acknowledged (and make what it
    /// lost pending again), read pending rows in order, publish, mark what was acknowledged with
    /// the partition and offset the broker gave it.
    func relayBatch() async throws -> BatchOutcome {
        let auditDue = ContinuousClock.now - lastAudit.withLock { $0 } >= options.auditInterval
        return try await client.withTransaction(logger: logger) { connection in
            let locked = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            guard locked else { return BatchOutcome() }  // another replica is relaying
            let rows = try await connection.query(
                """
                SELECT position, topic, message_key, event_id, event_type, envelope FROM outbox
                WHERE published_at IS NULL AND dead_at IS NULL ORDER BY position LIMIT \(options.batchSize)
                """, logger: logger)
            var pending: [(position: Int64, topic: String, key: String, id: UUID, type: String, envelope: String)] = []
            for try await row in rows.decode((Int64, String, String, UUID, String, String).self) { pending.append(row) }
            guard !pending.isEmpty || auditDue else { return BatchOutcome() }

            // Before anything goes out: a broker that lost rows gets them again first, in order.
            let acknowledged = try await Self.acknowledgedPartitions(on: connection, logger: logger)
            let batchTopics = Array(Set(pending.map(\.topic))).sorted()
            var losses: [BrokerLoss]
            var identities: [String: TopicIdentity?]
            if auditDue {
                (losses, identities) = try await audit(acknowledged: acknowledged, alsoDescribing: batchTopics, on: connection)
                lastAudit.withLock { $0 = .now }
                remember(identities)
            } else {
                identities = try await topicIdentities(batchTopics)
                losses = BrokerLossDetector.losses(
                    acknowledged: acknowledged, recordedCluster: nil, cluster: nil, topics: identities)
            }
            if !losses.isEmpty {
                knownIdentities.withLock { $0 = [:] }  // the next batch asks the broker again
                let replayed = try await Self.makePending(losses, on: connection, logger: logger)
                return BatchOutcome(replayed: replayed)  // the next batch reads them in order
            }
            guard !pending.isEmpty else { return BatchOutcome() }

            let records = pending.map { row in
                var headers: [(name: String, value: [UInt8])] = [
                    ("dms-event-id", Array(row.id.uuidString.lowercased().utf8)), ("dms-event-type", Array(row.type.utf8)),
                ]
                // Consumers tell a re-created topic from the one they were reading by this id.
                if case .some(.some(let identity)) = identities[row.topic], !identity.id.isEmpty {
                    headers.append((TopicIdentity.header, Array(identity.id.utf8)))
                }
                return OutgoingRecord(topic: row.topic, key: Array(row.key.utf8), value: Array(row.envelope.utf8), headers: headers)
            }
            // The producer is idempotent: within a partition (hence a key) records are written in
            // the order given, without gaps or duplicates from its own retries.
            if let hook = options.beforeSend { try await hook(pending.map(\.position)) }
            let results = await producer.send(records)
            var acked: [(position: Int64, report: DeliveryReport)] = []
            var refused: [(position: Int64, id: UUID, reason: String)] = []
            var firstError: KafkaError?
            for (row, result) in zip(pending, results) {
                switch result {
                case .success(let report): acked.append((row.position, report))
                case .failure(let error) where error.refusedForGood:
                    refused.append((row.position, row.id, "\(error)"))
                case .failure(let error): firstError = firstError ?? error
                }
            }
            let failed = records.count - acked.count - refused.count
            if let firstError {
                unacknowledgedCount.add(failed, ordering: .relaxed)
                logger.warning("broker did not acknowledge outbox rows; they stay pending",
                    metadata: ["failed": "\(failed)", "error": "\(firstError)"])
            }
            if !refused.isEmpty { try await Self.setAside(refused, on: connection, logger: logger) }
            if let hook = options.afterAcknowledged { try await hook(acked.map(\.position)) }
            // A partition that hands out offsets it had already given lost what came before
            // (the broker restarted between the check above and the send).
            let regressions = BrokerLossDetector.regressions(acknowledged: acknowledged, reports: acked.map(\.report))
            if !regressions.isEmpty { knownIdentities.withLock { $0 = [:] } }
            let replayed = regressions.isEmpty ? 0 : try await Self.makePending(regressions, on: connection, logger: logger)
            if !acked.isEmpty {
                try await Self.markPublished(acked, identities: identities, on: connection, logger: logger)
            }
            Counter(label: "dms_outbox_published_total").increment(by: acked.count)
            return BatchOutcome(published: acked.count, failed: failed, replayed: replayed)
        }
    }

    /// The ids of `topics`, from what was seen within `topicIdentityTTL` or else from the broker.
    private func topicIdentities(_ topics: [String]) async throws -> [String: TopicIdentity?] {
        let now = ContinuousClock.now
        let recent = knownIdentities.withLock { known -> [String: TopicIdentity?]? in
            var found: [String: TopicIdentity?] = [:]
            for topic in topics {
                guard let entry = known[topic], now - entry.seen < options.topicIdentityTTL else { return nil }
                found[topic] = entry.identity
            }
            return found
        }
        if let recent { return recent }
        let described = try await producer.describeTopics(topics)
        remember(described)
        return described
    }

    private func remember(_ identities: [String: TopicIdentity?]) {
        let now = ContinuousClock.now
        knownIdentities.withLock { known in
            for (topic, identity) in identities { known[topic] = (identity, now) }
        }
    }

    /// Sets aside rows the broker refused for good (a dead letter of the outbox): they no longer
    /// hold up the rows after them, and wait for an operator (`retryDeadLetters`).
    static func setAside(_ rows: [(position: Int64, id: UUID, reason: String)], on connection: PostgresConnection, logger: Logger) async throws {
        for row in rows {
            try await connection.query(
                "UPDATE outbox SET dead_at = now(), dead_reason = \(row.reason) WHERE position = \(row.position)", logger: logger)
            logger.error(
                "the broker refuses an outbox row for good; it is set aside as a dead letter (GET /v1/outbox/dead-letters)",
                metadata: ["event": "\(row.id)", "reason": "\(row.reason)"])
        }
        Counter(label: "dms_outbox_dead_letters_total").increment(by: rows.count)
    }

    /// Rows set aside because the broker refused them for good, oldest first.
    public func deadLetters(limit: Int, logger: Logger) async throws -> [OutboxDeadLetter] {
        var letters: [OutboxDeadLetter] = []
        let rows = try await client.query(
            """
            SELECT event_id, topic, message_key, event_type, octet_length(envelope), created_at, dead_at, dead_reason
            FROM outbox WHERE dead_at IS NOT NULL ORDER BY position LIMIT \(limit)
            """, logger: logger)
        for try await (id, topic, key, type, size, created, dead, reason) in rows.decode(
            (UUID, String, String, String, Int32, Date, Date, String?).self)
        {
            letters.append(OutboxDeadLetter(
                eventId: id, topic: topic, key: key, type: type, bytes: Int(size), createdAt: created, deadAt: dead, reason: reason ?? ""))
        }
        return letters
    }

    /// Sends dead letters again (all of them, or those with the given event ids) once their cause is
    /// fixed, e.g. the broker's message size raised. Returns how many rows are pending again.
    public func retryDeadLetters(eventIDs: [UUID]?, logger: Logger) async throws -> Int {
        let rows: Int
        if let eventIDs {
            rows = try await client.query(
                """
                UPDATE outbox SET dead_at = NULL, dead_reason = NULL
                WHERE dead_at IS NOT NULL AND event_id = ANY(\(eventIDs)) RETURNING 1
                """, logger: logger
            ).collect().count
        } else {
            rows = try await client.query(
                "UPDATE outbox SET dead_at = NULL, dead_reason = NULL WHERE dead_at IS NOT NULL RETURNING 1", logger: logger
            ).collect().count
        }
        logger.warning("operator retry: dead letters of the outbox are pending again", metadata: ["rows": "\(rows)"])
        doorbell.ring()
        return rows
    }

    /// The full check, run every `auditInterval` even when nothing is pending: the cluster's id,
    /// every topic the outbox published to, and every partition's end offset.
    private func audit(
        acknowledged: [AcknowledgedPartition], alsoDescribing batchTopics: [String], on connection: PostgresConnection
    ) async throws -> ([BrokerLoss], [String: TopicIdentity?]) {
        let cluster = try await producer.clusterID()
        let recordedCluster = try await connection.query("SELECT cluster_id FROM outbox_cluster", logger: logger)
            .collect().first?.decode(String.self)
        let topics = Array(Set(acknowledged.map(\.topic) + batchTopics)).sorted()
        let identities = try await producer.describeTopics(topics)
        let ends = try await producer.endOffsets(acknowledged.map { TopicPartition($0.topic, $0.partition) })
        let losses = BrokerLossDetector.losses(
            acknowledged: acknowledged, recordedCluster: recordedCluster, cluster: cluster, topics: identities, endOffsets: ends)
        if let cluster, cluster != recordedCluster {
            try await connection.query(
                """
                INSERT INTO outbox_cluster (cluster_id) VALUES (\(cluster))
                ON CONFLICT (only_row) DO UPDATE SET cluster_id = EXCLUDED.cluster_id
                """, logger: logger)
        }
        return (losses, identities)
    }

    static func acknowledgedPartitions(on connection: PostgresConnection, logger: Logger) async throws -> [AcknowledgedPartition] {
        var result: [AcknowledgedPartition] = []
        let rows = try await connection.query(
            "SELECT topic, partition, topic_id, acknowledged_offset, latest_send_offset FROM outbox_partitions", logger: logger)
        for try await (topic, partition, id, offset, latest) in rows.decode((String, Int32, String, Int64, Int64).self) {
            result.append(AcknowledgedPartition(topic: topic, partition: partition, topicID: id, offset: offset, latestSendOffset: latest))
        }
        return result
    }

    /// Makes the rows the broker lost pending again (the relay publishes them in their original
    /// order) and forgets what the lost partitions had acknowledged. Returns how many rows.
    static func makePending(_ losses: [BrokerLoss], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var total = 0
        for loss in losses {
            let rows: Int
            if let partition = loss.partition {
                rows = try await connection.query(
                    """
                    UPDATE outbox SET published_at = NULL, replays = replays + 1
                    WHERE published_at IS NOT NULL AND topic = \(loss.topic) AND kafka_partition = \(partition)
                      AND kafka_offset >= \(loss.fromOffset)
                    RETURNING 1
                    """, logger: logger
                ).collect().count
                try await connection.query(
                    "DELETE FROM outbox_partitions WHERE topic = \(loss.topic) AND partition = \(partition)", logger: logger)
            } else {
                rows = try await connection.query(
                    """
                    UPDATE outbox SET published_at = NULL, replays = replays + 1
                    WHERE published_at IS NOT NULL AND topic = \(loss.topic)
                    RETURNING 1
                    """, logger: logger
                ).collect().count
                try await connection.query("DELETE FROM outbox_partitions WHERE topic = \(loss.topic)", logger: logger)
            }
            total += rows
            logger.warning(
                "broker lost events it had acknowledged; publishing them again",
                metadata: ["topic": "\(loss.topic)", "partition": "\(loss.partition.map(String.init) ?? "all")",
                           "reason": "\(loss.reason.rawValue)", "rows": "\(rows)"])
            Counter(label: "dms_outbox_broker_losses_total", dimensions: [("reason", loss.reason.rawValue)]).increment()
            Counter(label: "dms_outbox_replayed_total", dimensions: [("reason", loss.reason.rawValue)]).increment(by: rows)
        }
        return total
    }

    /// Marks acknowledged rows published with their partition and offset, and moves each
    /// partition's highest acknowledged offset on — one statement.
    static func markPublished(
        _ acked: [(position: Int64, report: DeliveryReport)], identities: [String: TopicIdentity?],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let positions = acked.map(\.position)
        let topics = acked.map(\.report.topic)
        let partitions = acked.map(\.report.partition)
        let offsets = acked.map(\.report.offset)
        let ids = acked.map { entry -> String in
            if case .some(.some(let identity)) = identities[entry.report.topic] { return identity.id }
            return ""
        }
        try await connection.query(
            """
            WITH acked AS (
                SELECT * FROM unnest(\(positions)::int8[], \(topics)::text[], \(partitions)::int4[], \(ids)::text[], \(offsets)::int8[])
                    AS a(position, topic, partition, topic_id, kafka_offset)
            ), marked AS (
                UPDATE outbox o SET published_at = now(), kafka_partition = a.partition, kafka_offset = a.kafka_offset
                FROM acked a WHERE o.position = a.position
            )
            INSERT INTO outbox_partitions (topic, partition, topic_id, acknowledged_offset, latest_send_offset)
            SELECT topic, partition, max(topic_id), max(kafka_offset), min(kafka_offset) FROM acked GROUP BY topic, partition
            ON CONFLICT (topic, partition) DO UPDATE SET
                topic_id = EXCLUDED.topic_id,
                acknowledged_offset = GREATEST(outbox_partitions.acknowledged_offset, EXCLUDED.acknowledged_offset),
                latest_send_offset = EXCLUDED.latest_send_offset
            """, logger: logger)
    }

    /// Makes every row published since `since` pending again, so that the relay publishes it once
    /// more in its original order (an operator's disaster recovery after a broker was restored from
    /// a backup). Consumers' inboxes absorb what they had applied. Returns how many rows.
    public func replay(publishedSince since: Date, logger: Logger) async throws -> Int {
        let rows = try await client.withTransaction(logger: logger) { connection in
            // Waits for a batch in flight, so its rows are marked before they are reset.
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            return try await connection.query(
                """
                UPDATE outbox SET published_at = NULL, replays = replays + 1
                WHERE published_at IS NOT NULL AND published_at >= \(since)
                RETURNING 1
                """, logger: logger
            ).collect().count
        }
        logger.warning("operator replay: publishing rows again", metadata: ["since": "\(since)", "rows": "\(rows)"])
        Counter(label: "dms_outbox_replayed_total", dimensions: [("reason", BrokerLoss.Reason.operatorReplay.rawValue)])
            .increment(by: rows)
        doorbell.ring()
        return rows
    }

    /// Wakes the relay whenever a transaction that wrote outbox rows commits.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "dms_outbox") { notifications in
                        self.doorbell.ring()  // rows may have arrived while we were not listening
                        for try await _ in notifications { self.doorbell.ring() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("outbox listener lost its connection; polling until it is back", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Backlog metrics and pruning of published rows.
    private func maintain() async {
        var lastPrune = ContinuousClock.now - options.pruneInterval
        while !Task.isCancelled {
            do {
                let row = try await client.query(
                    """
                    SELECT count(*) FILTER (WHERE dead_at IS NULL),
                           COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE dead_at IS NULL))::float8, 0),
                           count(*) FILTER (WHERE dead_at IS NOT NULL)
                    FROM outbox WHERE published_at IS NULL
                    """, logger: logger
                ).collect().first
                if let (backlog, age, dead) = try row?.decode((Int64, Double, Int64).self) {
                    Gauge(label: "dms_outbox_backlog").record(backlog)
                    Gauge(label: "dms_outbox_oldest_age_seconds").record(age)
                    // Alert on this above zero: each is an event no consumer will see until retried.
                    Gauge(label: "dms_outbox_dead_letters").record(dead)
                }
                if ContinuousClock.now - lastPrune >= options.pruneInterval {
                    lastPrune = .now
                    let pruned = try await prune()
                    if pruned > 0 { logger.debug("pruned published outbox rows", metadata: ["rows": "\(pruned)"]) }
                }
            } catch {
                logger.debug("outbox maintenance failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: options.backlogInterval)
        }
    }

    /// Deletes published rows older than the retention, in bounded chunks.
    @discardableResult
    func prune() async throws -> Int {
        let seconds = Double(options.retention.components.seconds)
        var total = 0
        while true {
            let rows = try await client.query(
                """
                WITH old AS (
                    SELECT position FROM outbox
                    WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => \(seconds))
                    LIMIT 5000
                )
                DELETE FROM outbox WHERE position IN (SELECT position FROM old) RETURNING 1
                """, logger: logger
            ).collect().count
            total += rows
            if rows < 5000 { return total }
        }
    }
}

/// An outbox row the broker refused for good.
public struct OutboxDeadLetter: Sendable, Codable, Equatable {
    public var eventId: UUID
    public var topic: String
    public var key: String
    public var type: String
    /// The envelope's size in bytes.
    public var bytes: Int
    public var createdAt: Date
    public var deadAt: Date
    public var reason: String
}
