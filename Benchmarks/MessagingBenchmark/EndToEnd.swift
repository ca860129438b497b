import Contracts
import BenchmarkSupport
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage
import Synchronization

/// Set once every outbox writer finished (or one failed).
final class WritesDone: Sendable {
    private let flag = Atomic<Bool>(false)
    private let error = Mutex<String?>(nil)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    var failure: String? { error.withLock { $0 } }
    func set() { flag.store(true, ordering: .releasing) }
    func fail(_ description: String) { error.withLock { $0 = description } }
}

/// Tests 3 and 4: outbox → relay → broker → inbox against a temporary database.
struct EndToEnd {
    let client: PostgresClient
    let producer: KafkaProducer
    let consumerKafka: KafkaConfiguration
    let settings: Settings
    let logger: Logger
    let tag: String
    let handlerClock = HandlerClock()

    var topic: String { "bench.e2e.\(tag)" }
    var groupID: String { "bench-inbox-\(tag)" }

    /// Latency from `occurredAt` (the scheduled send time in the fixed-rate run, the write in the
    /// throughput run) to the commit of the inbox transaction that made the event's row visible
    /// (PostgreSQL's commit timestamp of the row, `track_commit_timestamp=on`).
    struct Latency {
        var count = 0
        var p50 = Double.nan
        var p99 = Double.nan
        var max = Double.nan
        /// Last commit minus first occurredAt, seconds.
        var span = Double.nan
    }

    /// Where the time goes, p50 per stage (ms), and how the work was batched.
    struct Stages {
        /// occurredAt → start of the relay transaction that picked the row.
        var waitingInOutbox = Double.nan
        /// relay transaction start → start of the inbox transaction (read, send, acknowledge,
        /// mark published and commit; fetch; batch wait).
        var relayToInbox = Double.nan
        /// inbox transaction start → the handler's insert.
        var inboxApply = Double.nan
        var relayBatches = 0
        var inboxBatches = 0
        /// Sum over inbox transactions of (last handler insert − transaction start), seconds.
        var inboxBusy = Double.nan
        /// Time inside the handler (one INSERT round trip per event), seconds.
        var handler = Double.nan
        /// CPU use per process group while the test ran.
        var cpu = ""
    }

    struct ThroughputResult {
        var events: Int
        var writeElapsed: Duration
        var publishedAfter: Duration?
        var appliedAfter: Duration
        var latency: Latency
        var stages: Stages
        /// Events over first write → last applied (the database's `applied_at`).
        var perSecond: Double { Double(events) / latency.span }
        var writesPerSecond: Double { Double(events) / seconds(writeElapsed) }
    }

    struct FixedRateResult {
        var events: Int
        var transactions: Int
        var writeElapsed: Duration
        /// Ticks whose transaction started more than one tick late.
        var lateTicks: Int
        var latency: Latency
        var stages: Stages
        var achievedRate: Double { Double(events) / seconds(writeElapsed) }
    }

    // MARK: Set-up

    /// Outbox and inbox tables, and the handler's table.
    static func prepare(_ client: PostgresClient, logger: Logger) async throws {
        try await requireCommitTimestamps(client, logger: logger)
        try await MessagingMigrations.runner().apply(on: client, logger: logger)
        try await client.query(
            """
            CREATE TABLE applied (
                event_id uuid NOT NULL,
                occurred_at timestamptz NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """, logger: logger)
    }

    /// Runs relay and inbox for the duration of `body`, after a warm-up that waits for the consumer
    /// group's assignment (so that the ~3 s join is not counted).
    func withPipeline<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await producer.ensureTopics([topic, Topic.deadLetter(of: topic)], partitions: settings.partitions)
        var relayOptions = OutboxRelay.Options()
        relayOptions.batchSize = settings.relayBatch
        let relay = OutboxRelay(client: client, producer: producer, options: relayOptions, logger: logger)
        var inboxOptions = InboxConsumer.Options()
        inboxOptions.maxBatch = settings.inboxBatch
        inboxOptions.consumer = settings.consumerOptions
        let inbox = InboxConsumer(
            groupID: groupID, topics: [topic], kafka: consumerKafka, client: client, producer: producer,
            registry: EventRegistry([BenchmarkEvent.self]), handler: AppliedHandler(clock: handlerClock), options: inboxOptions,
            logger: logger)
        let relayTask = Task { try await relay.run() }
        let inboxTask = Task { try await inbox.run() }
        func stop() async {
            relayTask.cancel()
            inboxTask.cancel()
            if case .failure(let error) = await relayTask.result { warn("relay ended with \(error)") }
            if case .failure(let error) = await inboxTask.result { warn("inbox ended with \(error)") }
        }
        do {
            let factory = try EventFactory(topic: topic, envelopeSize: settings.envelopeSize)
            let warmUp = 60
            let started = ContinuousClock.now
            try await write(factory.events(-warmUp ..< 0).stamped())
            _ = try await waitForApplied(warmUp, publishedToo: false, timeout: .seconds(60), label: "warm-up")
            say("  warm-up: \(warmUp) events through the pipeline in \(format(.now - started)) (consumer group joined)")
            try await client.query("DELETE FROM applied", logger: logger)
            _ = handlerClock.reset()
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    private func write(_ events: [OutboxEvent]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await Outbox.append(events, on: connection, logger: logger)
        }
    }

    // MARK: Test 3

    /// `e2eCount` events written by `writers` tasks in transactions of `e2eTransaction`, as fast as
    /// they go; measured from the first write to the last applied.
    func throughput() async throws -> ThroughputResult {
        let factory = try EventFactory(topic: topic, envelopeSize: settings.envelopeSize)
        let total = settings.e2eCount
        let size = settings.e2eTransaction
        let transactions = (total + size - 1) / size
        let writers = min(settings.writers, transactions)
        let client = self.client
        let logger = self.logger

        let writesDone = WritesDone()
        let cpu = CPUSnapshot.take()
        let started = ContinuousClock.now
        let writing = Task {
            defer { writesDone.set() }
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            // Writer w takes transactions w, w + writers, w + 2·writers, …
                            for transaction in stride(from: writer, to: transactions, by: writers) {
                                let range = (transaction * size)..<min(total, (transaction + 1) * size)
                                let events = try factory.events(range).stamped()
                                try await client.withTransaction(logger: logger) { connection in
                                    try await Outbox.append(events, on: connection, logger: logger)
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            } catch {
                writesDone.fail(String(reflecting: error))
                throw error
            }
            return ContinuousClock.now
        }
        let progress: Progress
        do {
            progress = try await waitForApplied(
                total, publishedToo: true, timeout: settings.phaseTimeout, label: "throughput", writesDone: writesDone)
        } catch {
            writing.cancel()
            throw error
        }
        let cpuUse = CPUSnapshot.take().since(cpu)
        let writesFinished = try await writing.value
        return ThroughputResult(
            events: total, writeElapsed: writesFinished - started,
            publishedAfter: progress.allPublished.map { $0 - started }, appliedAfter: progress.allApplied - started,
            latency: try await latency(), stages: try await stages(cpu: cpuUse))
    }

    // MARK: Test 4

    /// `rate` events/s for `seconds`: one transaction every tick, started on schedule whatever the
    /// previous one is doing (an open loop: a slow commit does not slow the offered rate).
    func fixedRate() async throws -> FixedRateResult {
        let factory = try EventFactory(topic: topic, envelopeSize: settings.envelopeSize)
        let tick = Duration.milliseconds(settings.tickMilliseconds)
        let ticks = max(1, settings.seconds * 1000 / settings.tickMilliseconds)
        let rate = settings.rate
        let tickMS = settings.tickMilliseconds
        // Events due by the end of tick i: ⌊rate · (i+1) · tick⌋; each tick writes the difference.
        func due(_ tickIndex: Int) -> Int { rate * tickIndex * tickMS / 1000 }
        let total = due(ticks)
        let client = self.client
        let logger = self.logger

        let cpu = CPUSnapshot.take()
        let started = ContinuousClock.now + .milliseconds(20)
        // The wall-clock time of `started`: each event's occurredAt is the time it was scheduled
        // for, so a writer that falls behind shows in the latency instead of hiding it.
        let startedAt = Date().addingTimeInterval(seconds(started - .now))
        let (transactions, late, writesDone) = try await withThrowingTaskGroup(of: Void.self) { group in
            var transactions = 0
            var late = 0
            for index in 0..<ticks {
                let range = due(index)..<due(index + 1)
                guard !range.isEmpty else { continue }
                let events = try factory.events(range)
                let scheduled = started + tick * index
                try await Task.sleep(until: scheduled, clock: .continuous)
                if ContinuousClock.now - scheduled > tick { late += 1 }
                transactions += 1
                let scheduledAt = startedAt.addingTimeInterval(seconds(tick * index))
                group.addTask {
                    let stamped = events.stamped(at: scheduledAt)
                    try await client.withTransaction(logger: logger) { connection in
                        try await Outbox.append(stamped, on: connection, logger: logger)
                    }
                }
            }
            try await group.waitForAll()
            return (transactions, late, ContinuousClock.now)
        }
        _ = try await waitForApplied(total, publishedToo: false, timeout: settings.phaseTimeout, label: "fixed rate")
        let cpuUse = CPUSnapshot.take().since(cpu)
        return FixedRateResult(
            events: total, transactions: transactions, writeElapsed: writesDone - started, lateTicks: late,
            latency: try await latency(), stages: try await stages(cpu: cpuUse))
    }

    // MARK: Measuring

    struct Progress {
        var allPublished: ContinuousClock.Instant?
        var allApplied: ContinuousClock.Instant
    }

    /// Polls the applied count (and the outbox backlog) every 100 ms until `count` events were
    /// applied; fails after `timeout`.
    private func waitForApplied(
        _ count: Int, publishedToo: Bool, timeout: Duration, label: String,
        writesDone: WritesDone? = nil
    ) async throws -> Progress {
        let started = ContinuousClock.now
        let deadline = started + timeout
        var allPublished: ContinuousClock.Instant?
        var lastReport = started
        while true {
            let row = try await client.query(
                "SELECT (SELECT count(*) FROM applied), (SELECT count(*) FROM outbox WHERE published_at IS NULL)",
                logger: logger
            ).collect().first
            guard let (applied, pending) = try row?.decode((Int, Int).self) else {
                throw BenchmarkFailure.failed("no answer to the progress query")
            }
            if let failure = writesDone?.failure {
                throw BenchmarkFailure.failed("\(label): an outbox write failed: \(failure)")
            }
            let now = ContinuousClock.now
            if publishedToo, allPublished == nil, pending == 0, writesDone?.isSet ?? true {
                allPublished = now
            }
            if applied >= count {
                if publishedToo && allPublished == nil { allPublished = now }
                return Progress(allPublished: allPublished, allApplied: now)
            }
            if now > deadline {
                throw BenchmarkFailure.failed(
                    "\(label): only \(applied) of \(count) events applied after \(format(timeout)) (\(pending) still in the outbox)")
            }
            if now - lastReport >= .seconds(5) {
                lastReport = now
                warn("  … \(label): \(grouped(applied))/\(grouped(count)) applied, \(grouped(pending)) waiting in the outbox after \(format(now - started))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// p50/p99/max of (commit of the row's transaction − occurred_at) over the `applied` table,
    /// computed by PostgreSQL.
    private func latency() async throws -> Latency {
        let row = try await client.query(
            """
            SELECT count(*)::int8,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM visible_at - occurred_at)::float8) * 1000,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM visible_at - occurred_at)::float8) * 1000,
                max(EXTRACT(EPOCH FROM visible_at - occurred_at)::float8) * 1000,
                EXTRACT(EPOCH FROM max(visible_at) - min(occurred_at))::float8
            FROM (SELECT occurred_at, pg_xact_commit_timestamp(xmin) AS visible_at FROM applied) AS a
            """, logger: logger
        ).collect().first
        guard let (count, p50, p99, max, span) = try row?.decode((Int64, Double?, Double?, Double?, Double?).self) else {
            return Latency()
        }
        return Latency(count: Int(count), p50: p50 ?? .nan, p99: p99 ?? .nan, max: max ?? .nan, span: span ?? .nan)
    }

    /// Joins the applied events with their outbox and inbox rows: p50 time per stage, and how many
    /// relay and inbox transactions carried them (each has its own `now()`).
    private func stages(cpu: String) async throws -> Stages {
        let row = try await client.query(
            """
            SELECT
                percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM o.published_at - a.occurred_at)::float8) * 1000,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM i.processed_at - o.published_at)::float8) * 1000,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM a.applied_at - i.processed_at)::float8) * 1000,
                count(DISTINCT o.published_at)::int8,
                count(DISTINCT i.processed_at)::int8
            FROM applied a
            JOIN outbox o ON o.event_id = a.event_id
            JOIN inbox i ON i.event_id = a.event_id AND i.consumer_group = \(groupID)
            """, logger: logger
        ).collect().first
        guard let (outbox, transit, apply, relayBatches, inboxBatches) =
            try row?.decode((Double?, Double?, Double?, Int64, Int64).self)
        else { return Stages() }
        let busy = try await client.query(
            """
            SELECT sum(EXTRACT(EPOCH FROM last - processed_at)::float8) FROM (
                SELECT i.processed_at, max(a.applied_at) AS last
                FROM applied a JOIN inbox i ON i.event_id = a.event_id AND i.consumer_group = \(groupID)
                GROUP BY i.processed_at
            ) AS batches
            """, logger: logger
        ).collect().first?.decode(Double?.self)
        return Stages(
            waitingInOutbox: outbox ?? .nan, relayToInbox: transit ?? .nan, inboxApply: apply ?? .nan,
            relayBatches: Int(relayBatches), inboxBatches: Int(inboxBatches), inboxBusy: (busy ?? nil) ?? .nan,
            handler: seconds(handlerClock.reset().total), cpu: cpu)
    }
}
