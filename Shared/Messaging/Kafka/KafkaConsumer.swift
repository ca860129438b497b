import CRdkafka
import Foundation
import Logging
import Metrics
import Synchronization

/// A consumer-group member over librdkafka with manual commits.
///
/// A dedicated thread polls librdkafka and fills a bounded buffer; when the buffer reaches its high
/// watermark the assigned partitions are paused (rebalances are still served) and resumed below the
/// low watermark. One reader takes batches (`nextBatch`) and, once it applied them, `commit`s them:
/// only then do their offsets reach the group. On revocation the consumer waits briefly for the
/// batch in flight, commits what was processed, and drops what it had buffered.
public final class KafkaConsumer: Sendable {
    public struct Options: Sendable {
        /// Buffered messages at which fetching pauses. Generous: pausing makes librdkafka drop
        /// what it had fetched ahead, which it then fetches again (measured: a backlog read 17
        /// times slower with 5,000).
        public var highWatermark = 50_000
        /// Buffered messages at which fetching resumes.
        public var lowWatermark = 10_000
        /// How long a revocation waits for the batch in flight before letting go of its partitions.
        public var revocationGrace: Duration = .seconds(3)
        /// When an idle consumer fetches (see `IdleFetching`); `.never` fetches continuously.
        public var idle = IdleFetching.Settings()
        public init() {}
    }

    private let core: ConsumerCore
    private let handle: KafkaHandle
    public let groupID: String
    public let topics: [String]

    /// Joins `groupID` and subscribes to `topics` (they may not exist yet; they are picked up
    /// when they appear).
    public init(
        configuration: KafkaConfiguration, groupID: String, topics: [String], options: Options = Options(),
        logger: Logger
    ) throws {
        var properties = configuration.properties
        properties["group.id"] = groupID
        properties["enable.auto.commit"] = "false"
        properties["enable.auto.offset.store"] = "false"
        properties["auto.offset.reset", default: "earliest"] = properties["auto.offset.reset"] ?? "earliest"
        // The poll thread keeps polling while a batch is applied (even through a long database
        // outage), so a short poll interval is safe; it bounds how long a rebalance waits for
        // members, and a short session lets the group recover quickly after a broker restart.
        properties["session.timeout.ms"] = properties["session.timeout.ms"] ?? "10000"
        properties["max.poll.interval.ms"] = properties["max.poll.interval.ms"] ?? "15000"
        // A fetch returns as soon as there is data on Apache Kafka; the local broker holds it for
        // the whole wait, so librdkafka's 500 ms default would be the latency of every event.
        properties["fetch.wait.max.ms"] = properties["fetch.wait.max.ms"] ?? "10"
        // Notice re-created topics (the local broker loses them on restart) within seconds.
        properties["topic.metadata.refresh.interval.ms"] = properties["topic.metadata.refresh.interval.ms"] ?? "5000"
        if let strategy = properties["partition.assignment.strategy"], strategy.contains("cooperative") {
            throw KafkaError(.configuration, "partition.assignment.strategy: cooperative rebalancing is not supported; use range or roundrobin")
        }
        let core = ConsumerCore(groupID: groupID, options: options, logger: logger)
        self.core = core
        self.groupID = groupID
        self.topics = topics
        self.handle = try KafkaHandle(
            type: RD_KAFKA_CONSUMER,
            configuration: KafkaConfiguration(bootstrapServers: configuration.bootstrapServers, properties: properties),
            configure: { conf in
                // The opaque is the core, owned by self, which closes the handle before it goes.
                rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(core).toOpaque())
                rd_kafka_conf_set_rebalance_cb(conf) { rk, error, partitions, opaque in
                    guard let rk, let opaque else { return }
                    Unmanaged<ConsumerCore>.fromOpaque(opaque).takeUnretainedValue().rebalance(rk, error, partitions)
                }
                rd_kafka_conf_set_offset_commit_cb(conf) { _, error, offsets, opaque in
                    guard let opaque else { return }
                    Unmanaged<ConsumerCore>.fromOpaque(opaque).takeUnretainedValue().committed(error, offsets)
                }
                rd_kafka_conf_set_error_cb(conf) { _, error, reason, opaque in
                    guard let opaque else { return }
                    let text = reason.map { String(cString: $0) } ?? ""
                    Unmanaged<ConsumerCore>.fromOpaque(opaque).takeUnretainedValue().logger.warning(
                        "kafka consumer error", metadata: ["code": "\(error)", "reason": "\(text)"])
                }
            },
            prepare: { rk throws(KafkaError) in
                rd_kafka_poll_set_consumer(rk)
                let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
                defer { rd_kafka_topic_partition_list_destroy(list) }
                for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
                let error = rd_kafka_subscribe(rk, list)
                if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(.client, code: error) }
            },
            poll: { rk in core.pollOnce(rk) })
    }

    /// Waits for at least one message (for ever, or up to `idleTimeout`), then up to `maxWait` for
    /// `maxMessages`, and returns what is there (at most `maxMessages`). Returns an empty batch once
    /// the consumer is stopped or when nothing came within `idleTimeout`.
    public func nextBatch(maxMessages: Int, maxWait: Duration, idleTimeout: Duration? = nil) async throws -> [ConsumedMessage] {
        try await core.nextBatch(maxMessages: maxMessages, maxWait: maxWait, idleTimeout: idleTimeout)
    }

    /// Marks the batch applied and commits its offsets (asynchronously; revocation and close
    /// commit synchronously).
    public func commit(_ batch: [ConsumedMessage]) {
        let offsets = core.completed(batch)
        guard !offsets.isEmpty, !handle.isClosed else { return }
        let list = topicPartitionList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_commit(handle.pointer, list, 1)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            core.logger.warning("offset commit refused", metadata: ["error": "\(String(cString: rd_kafka_err2str(error)))"])
        }
    }

    /// The batch will not be committed (the reader gives up on it while shutting down).
    public func release(_ batch: [ConsumedMessage]) {
        core.released()
    }

    /// Wakes the reader with an empty batch and hands out nothing more.
    public func stop() {
        core.stop()
    }

    /// The partitions assigned to this member now.
    public var assignment: Set<TopicPartition> { core.assignment }

    /// Whether the consumer is idle (resting or looking), as opposed to fetching continuously.
    public var isIdle: Bool { core.isIdle }

    /// The group's committed offsets for the given partitions, as the broker has them.
    public func committedOffsets(_ partitions: [TopicPartition], timeout: Duration = .seconds(5)) async throws -> [TopicPartition: Int64] {
        let timeoutMS = milliseconds(timeout)
        return try await handle.blocking { rk throws(KafkaError) in
            let list = topicPartitionList(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) }))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_committed(rk, list, timeoutMS)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(.unreachable, code: error) }
            return offsets(in: list)
        }
    }

    /// Stops, waits briefly for the batch in flight, commits what was processed, leaves the group
    /// and destroys the client. Idempotent. Leaving the group can block for as long as the broker
    /// is unreachable or a rebalance is stuck (seen when topics are re-created under the
    /// consumer), so the wait is bounded by `timeout`: after it, shutdown goes on and the close
    /// finishes (or not) on its own thread — what was not committed is delivered again, which the
    /// inbox deduplicates.
    public func close(timeout: Duration = .seconds(10)) async {
        core.stop()
        await core.waitForInFlight()
        let closed = await finishes(within: timeout) { [handle, core] in
            await handle.close { rk in
                core.commitProcessed(rk)
                rd_kafka_consumer_close(rk)
            }
        }
        if closed {
            core.logger.info("consumer left its group and closed", metadata: ["group": "\(core.groupID)"])
        } else {
            core.logger.warning("the consumer did not leave its group in time; shutting down anyway", metadata: ["group": "\(core.groupID)"])
        }
    }

    deinit {
        handle.close { rk in rd_kafka_consumer_close(rk) }
    }
}

/// The consumer's state and the callbacks librdkafka calls on the poll thread.
final class ConsumerCore: Sendable {
    typealias Waiter = CheckedContinuation<Void, Never>

    let logger: Logger
    let groupID: String
    let options: KafkaConsumer.Options
    private let state: Mutex<ConsumerState<Waiter>>
    private let nextWaiterID = Atomic<UInt64>(1)
    private let lagReportedAt = Mutex<ContinuousClock.Instant>(.now)
    /// Used on the poll thread only (and in the rebalance callback, which runs on it).
    private let idle: Mutex<IdleFetching>
    /// Assigned partitions that have had a fetch answered (their high watermark is known). A
    /// consumer rests only once all have: pausing a partition whose start offset is still being
    /// looked up restarts the lookup at every resume, and a look too short for it under load
    /// never got the partition going (seen in CI: an event published to a resting consumer never
    /// arrived).
    private let fetchedOnce = Mutex<Set<TopicPartition>>([])
    /// When the current assignment came. A consumer does not rest for `settleTime` after it:
    /// librdkafka looks up each partition's start offset again (the cached watermarks above may be
    /// from the previous assignment), and a pause during the lookup restarts it.
    private let assignedAt = Mutex<ContinuousClock.Instant>(.now)
    static let settleTime: Duration = .seconds(5)

    init(groupID: String, options: KafkaConsumer.Options, logger: Logger) {
        self.groupID = groupID
        self.options = options
        self.logger = logger
        self.state = Mutex(ConsumerState(highWatermark: options.highWatermark, lowWatermark: options.lowWatermark))
        self.idle = Mutex(IdleFetching(settings: options.idle, now: .now))
    }

    var assignment: Set<TopicPartition> { state.withLock { $0.assigned } }

    var isIdle: Bool { idle.withLock { $0.phase != .active } }

    // MARK: Reader side

    /// See `KafkaConsumer.nextBatch`. An empty batch means stopped or idle, never "revoked": a
    /// revocation can empty the buffer between the append that woke the reader and its take (seen
    /// with two replicas under load: the inbox took the empty batch for a stop and its service
    /// exited), and then the reader waits again.
    func nextBatch(maxMessages: Int, maxWait: Duration, idleTimeout: Duration?) async throws -> [ConsumedMessage] {
        let deadline = idleTimeout.map { ContinuousClock.now + $0 }
        while true {
            try await waitUntil(buffered: 1, deadline: deadline)
            if maxMessages > 1 && maxWait > .zero {
                try await waitUntil(buffered: maxMessages, deadline: .now + maxWait)
            }
            let batch = take(maxMessages)
            if !batch.isEmpty || isStopped { return batch }
            if let deadline, ContinuousClock.now >= deadline { return batch }
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// The current assignment's generation (messages are stamped with it).
    var generation: Int { state.withLock { $0.generation } }

    /// Whether a reader waits for messages (tests wait for it before they drive the state).
    var hasWaitingReader: Bool { state.withLock { $0.hasWaiter } }

    /// Buffers what the poll thread fetched and wakes the reader; returns the partitions whose
    /// topic was re-created (to read again from the start).
    func buffer(_ fetched: [ConsumedMessage]) -> [TopicPartition] {
        let (waiter, rewind) = state.withLock { $0.append(fetched) }
        waiter?.resume()
        return rewind
    }

    /// A new assignment (generation); returns whether fetching is paused for back-pressure.
    func assigned(_ partitions: Set<TopicPartition>) -> Bool {
        state.withLock { state in
            state.assign(partitions)
            return state.paused
        }
    }

    /// Everything of the current assignment goes; returns the processed offsets to commit.
    func revoked() -> [TopicPartition: Int64] {
        state.withLock { $0.revokeAll() }
    }

    func waitUntil(buffered minimum: Int, deadline: ContinuousClock.Instant?) async throws {
        let id = nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue
        let timer = deadline.map { deadline in
            Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                self?.state.withLock { $0.endWait(id: id) }?.resume()
            }
        }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Waiter) in
                state.withLock { $0.wait(id: id, minimum: minimum, continuation) }?.resume()
            }
        } onCancel: {
            state.withLock { $0.endWait(id: id) }?.resume()
        }
        try Task.checkCancellation()
    }

    func take(_ max: Int) -> [ConsumedMessage] {
        state.withLock { $0.take(max) }
    }

    func completed(_ batch: [ConsumedMessage]) -> [TopicPartition: Int64] {
        state.withLock { $0.completed(batch) }
    }

    func released() {
        state.withLock { $0.released() }
    }

    func stop() {
        state.withLock { $0.stop() }?.resume()
    }

    func waitForInFlight() async {
        let deadline = ContinuousClock.now + options.revocationGrace
        while state.withLock({ $0.inFlight > 0 }) && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Poll thread

    /// One round on the poll thread: apply back-pressure, fetch what is ready, pause or resume
    /// for idleness, report lag.
    func pollOnce(_ rk: OpaquePointer) {
        let (action, backPressured) = state.withLock { ($0.fetchAction(), $0.paused) }
        switch action {
        case .pause: setPaused(rk, true)
        case .resume: setPaused(rk, false)
        case .none: break
        }
        var fetched: [ConsumedMessage] = []
        let due = idle.withLock { $0.nextDeadline(now: .now) }
        var wait = due.map { Int32(clamping: max(1, min(100, milliseconds($0)))) } ?? 100
        while fetched.count < 1_000, let message = rd_kafka_consumer_poll(rk, wait) {
            wait = 0
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    logger.warning("kafka fetch error", metadata: ["error": "\(String(cString: rd_kafka_err2str(m.err)))"])
                }
                continue
            }
            // Stamped after the poll that returned it: a rebalance served inside that poll
            // already moved the generation on.
            let generation = state.withLock { $0.generation }
            fetched.append(Self.copy(message, generation: generation))
        }
        if !fetched.isEmpty {
            Metrics.Counter(label: "dms_kafka_consumed_total", dimensions: [("group", groupID)]).increment(by: fetched.count)
            let rewind = buffer(fetched)
            if !rewind.isEmpty { readFromBeginning(rk, rewind) }
        }
        // A full buffer is not idleness: back-pressure owns the pause then; nor is a partition
        // not yet fetched once.
        let settled = backPressured || !fetched.isEmpty
            || (ContinuousClock.now - assignedAt.withLock { $0 } >= Self.settleTime && allFetchedOnce(rk))
        let (wasActive, idleAction) = idle.withLock { idle in
            (idle.phase == .active, idle.step(now: .now, received: !fetched.isEmpty || backPressured || !settled))
        }
        if let idleAction, !backPressured {
            setPaused(rk, idleAction == .pause, quietly: true)
            if wasActive && idleAction == .pause {
                logger.debug("nothing to read; fetching only every so often until messages come", metadata: ["group": "\(groupID)"])
            }
        }
        reportLag(rk)
    }

    /// Whether every assigned partition has had a fetch answered (librdkafka's cached watermarks).
    private func allFetchedOnce(_ rk: OpaquePointer) -> Bool {
        let assigned = state.withLock { $0.assigned }
        return fetchedOnce.withLock { known in
            known.formIntersection(assigned)
            for tp in assigned where !known.contains(tp) {
                var low: Int64 = 0
                var high: Int64 = -1
                guard rd_kafka_get_watermark_offsets(rk, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
                else { return false }
                known.insert(tp)
            }
            return true
        }
    }

    /// Reads partitions whose topic was re-created again from their first offset. librdkafka drops
    /// what it had fetched of them, so the next messages come from the new beginning.
    private func readFromBeginning(_ rk: OpaquePointer, _ partitions: [TopicPartition]) {
        logger.warning(
            "a topic was re-created under the consumer (the broker lost its log); reading its partitions again from the start",
            metadata: ["group": "\(groupID)", "partitions": "\(partitions.map(\.description))"])
        Metrics.Counter(label: "dms_kafka_consumer_rewinds_total", dimensions: [("group", groupID)]).increment(by: partitions.count)
        let list = topicPartitionList(Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(RD_KAFKA_OFFSET_BEGINNING)) }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(rk, list, 5_000) {
            logger.error("seek to the beginning failed", metadata: ["error": "\(String(cString: rd_kafka_error_string(error)))"])
            rd_kafka_error_destroy(error)
        }
    }

    private static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>, generation: Int) -> ConsumedMessage {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var headers: [(name: String, value: [UInt8])] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append((name.map { String(cString: $0) } ?? "", headerValue))
                index += 1
            }
        }
        return ConsumedMessage(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value, headers: headers,
            generation: generation)
    }

    private func setPaused(_ rk: OpaquePointer, _ paused: Bool, quietly: Bool = false) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = paused ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
        if !quietly { logger.debug(paused ? "buffer full; fetching paused" : "buffer drained; fetching resumed") }
    }

    /// Called by librdkafka on the poll thread (or inside `rd_kafka_consumer_close`).
    func rebalance(
        _ rk: OpaquePointer, _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let assigned = Set(partitions.map { offsets(in: $0).keys.map { $0 } } ?? [])
            let paused = self.assigned(assigned)
            rd_kafka_assign(rk, partitions)
            // New partitions are read at once (an idle pause of before does not carry over).
            _ = idle.withLock { $0.step(now: .now, received: true) }
            assignedAt.withLock { $0 = .now }
            if let partitions { _ = paused ? rd_kafka_pause_partitions(rk, partitions) : rd_kafka_resume_partitions(rk, partitions) }
            logger.info("partitions assigned", metadata: ["group": "\(groupID)", "partitions": "\(assigned.map(\.description).sorted())"])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Give the batch in flight a moment so that its offsets are committed by us rather
            // than re-read by the next owner (the inbox would absorb that, but it costs time).
            let deadline = ContinuousClock.now + options.revocationGrace
            while state.withLock({ $0.inFlight > 0 }) && ContinuousClock.now < deadline {
                usleep(5_000)
            }
            commitProcessed(rk, revoking: true)
            rd_kafka_assign(rk, nil)
            logger.info("partitions revoked", metadata: ["group": "\(groupID)"])
        default:
            logger.warning("rebalance error", metadata: ["error": "\(String(cString: rd_kafka_err2str(error)))"])
            _ = revoked()
            rd_kafka_assign(rk, nil)
        }
    }

    /// Commits processed offsets synchronously (revocation, close).
    func commitProcessed(_ rk: OpaquePointer, revoking: Bool = false) {
        let offsets = revoking ? revoked() : state.withLock { $0.processed }
        guard !offsets.isEmpty else { return }
        let list = topicPartitionList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_commit(rk, list, 0)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            logger.warning("final offset commit failed", metadata: ["error": "\(String(cString: rd_kafka_err2str(error)))"])
        }
    }

    func committed(_ error: rd_kafka_resp_err_t, _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        guard error != RD_KAFKA_RESP_ERR__NO_OFFSET else { return }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("offset commit failed", metadata: ["error": "\(String(cString: rd_kafka_err2str(error)))"])
            return
        }
        Metrics.Counter(label: "dms_kafka_commits_total", dimensions: [("group", groupID)]).increment()
    }

    /// Consumer lag (high watermark minus what was processed) per topic, about once a second.
    private func reportLag(_ rk: OpaquePointer) {
        let due = lagReportedAt.withLock { last in
            guard ContinuousClock.now - last >= .seconds(1) else { return false }
            last = .now
            return true
        }
        guard due else { return }
        let (assigned, processed) = state.withLock { ($0.assigned, $0.processed) }
        guard !assigned.isEmpty else { return }
        let positions = topicPartitionList(Dictionary(uniqueKeysWithValues: assigned.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) }))
        defer { rd_kafka_topic_partition_list_destroy(positions) }
        rd_kafka_position(rk, positions)
        let fetched = offsets(in: positions)
        var lagByTopic: [String: Int64] = [:]
        for tp in assigned {
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(rk, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                high >= 0
            else { continue }
            let done = processed[tp] ?? fetched[tp].flatMap { $0 >= 0 ? $0 : nil } ?? low
            lagByTopic[tp.topic, default: 0] += max(0, high - done)
        }
        for (topic, lag) in lagByTopic {
            Metrics.Gauge(label: "dms_kafka_consumer_lag", dimensions: [("group", groupID), ("topic", topic)]).record(lag)
        }
    }
}

/// A librdkafka partition list with offsets; the caller destroys it.
func topicPartitionList(_ offsets: [TopicPartition: Int64]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
    let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
    for (tp, offset) in offsets {
        rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition).pointee.offset = offset
    }
    return list
}

/// The partitions and offsets in a librdkafka partition list.
func offsets(in list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition: Int64] {
    var result: [TopicPartition: Int64] = [:]
    for index in 0..<Int(list.pointee.cnt) {
        let element = list.pointee.elems[index]
        result[TopicPartition(String(cString: element.topic), element.partition)] = element.offset
    }
    return result
}

/// Runs `work` in a task of its own and waits at most `timeout` for it: true when it finished in
/// time. After the timeout the work goes on (or stays stuck) on its own; the caller carries on, so
/// that a client stuck in librdkafka (a broker that does not answer) cannot hold up a shutdown.
public func finishes(within timeout: Duration, _ work: @escaping @Sendable () async -> Void) async -> Bool {
    await withCheckedContinuation { continuation in
        let once = ResumeOnce(continuation)
        Task {
            await work()
            once.resume(true)
        }
        Task {
            try? await Task.sleep(for: timeout)
            once.resume(false)
        }
    }
}

/// Resumes a continuation once: the first of several racing outcomes wins.
final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, Never>?>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ value: Value) {
        continuation.withLock { pending in
            pending?.resume(returning: value)
            pending = nil
        }
    }
}
