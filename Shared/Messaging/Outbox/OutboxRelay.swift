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
        /// Published rows are deleted after this long.
        public var retention: Duration = .seconds(7 * 24 * 3600)
        public var pruneInterval: Duration = .seconds(60)
        /// Backlog metrics are refreshed this often.
        public var backlogInterval: Duration = .seconds(5)
        /// Fault injection for tests and drills: runs after the broker acknowledged a batch and
        /// before its rows are marked (a drill kills the process here).
        public var afterAcknowledged: (@Sendable ([Int64]) async throws -> Void)?

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

    public init(client: PostgresClient, producer: KafkaProducer, options: Options = Options(), logger: Logger) {
        self.client = client
        self.producer = producer
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                group.addTask { await self.maintain() }
                await self.relayLoop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            self.doorbell.ring()
        }
    }

    /// Relays until stopped: straight on while full batches come back, else waits for a
    /// notification or the poll interval; backs off while the broker or database fails.
    private func relayLoop() async {
        var failures = 0
        while !stopping.load(ordering: .acquiring) && !Task.isCancelled {
            do {
                let outcome = try await relayBatch()
                if outcome.failed > 0 {
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
    }

    /// One batch: lock, read pending rows in order, publish, mark what was acknowledged.
    func relayBatch() async throws -> BatchOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let locked = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            guard locked else { return BatchOutcome() }  // another replica is relaying
            let rows = try await connection.query(
                """
                SELECT position, topic, message_key, event_id, event_type, envelope FROM outbox
                WHERE published_at IS NULL ORDER BY position LIMIT \(options.batchSize)
                """, logger: logger)
            var positions: [Int64] = []
            var records: [OutgoingRecord] = []
            for try await (position, topic, key, id, type, envelope) in rows.decode((Int64, String, String, UUID, String, String).self) {
                positions.append(position)
                records.append(OutgoingRecord(
                    topic: topic, key: Array(key.utf8), value: Array(envelope.utf8),
                    headers: [("dms-event-id", Array(id.uuidString.lowercased().utf8)), ("dms-event-type", Array(type.utf8))]))
            }
            guard !records.isEmpty else { return BatchOutcome() }
            // The producer is idempotent: within a partition (hence a key) records are written in
            // the order given, without gaps or duplicates from its own retries.
            let results = await producer.send(records)
            var acknowledged: [Int64] = []
            var firstError: KafkaError?
            for (position, result) in zip(positions, results) {
                switch result {
                case .success: acknowledged.append(position)
                case .failure(let error): firstError = firstError ?? error
                }
            }
            if let firstError {
                logger.warning("broker did not acknowledge outbox rows; they stay pending",
                    metadata: ["failed": "\(records.count - acknowledged.count)", "error": "\(firstError)"])
            }
            if let hook = options.afterAcknowledged { try await hook(acknowledged) }
            if !acknowledged.isEmpty {
                try await connection.query(
                    "UPDATE outbox SET published_at = now() WHERE position = ANY(\(acknowledged))", logger: logger)
            }
            Counter(label: "dms_outbox_published_total").increment(by: acknowledged.count)
            return BatchOutcome(published: acknowledged.count, failed: records.count - acknowledged.count)
        }
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
                    SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0)
                    FROM outbox WHERE published_at IS NULL
                    """, logger: logger
                ).collect().first
                if let (backlog, age) = try row?.decode((Int64, Double).self) {
                    Gauge(label: "dms_outbox_backlog").record(backlog)
                    Gauge(label: "dms_outbox_oldest_age_seconds").record(age)
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
