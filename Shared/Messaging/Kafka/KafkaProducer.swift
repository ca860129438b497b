import CRdkafka
import Dispatch
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Where the broker stored an acknowledged message.
public struct DeliveryReport: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// An outgoing Kafka record.
public struct OutgoingRecord: Sendable {
    public var topic: String
    public var key: [UInt8]
    public var value: [UInt8]
    public var headers: [(name: String, value: [UInt8])]

    public init(topic: String, key: [UInt8], value: [UInt8], headers: [(name: String, value: [UInt8])] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// The messages waiting for the broker's acknowledgement, keyed by a per-message id that travels
/// through librdkafka as the message opaque. Each belongs to a batch waiting for all its reports.
final class PendingDeliveries: Sendable {
    struct Entry {
        var batch: DeliveryBatch
        var index: Int
        /// Which client the message was handed to.
        var client: Int
        var since: ContinuousClock.Instant
    }
    private struct State {
        var nextID: UInt = 1
        var waiting: [UInt: Entry] = [:]
        var accepting = true
    }
    private let state = Mutex(State())

    /// Registers a message of a batch handed to `client`; nil when shutting down.
    func register(_ batch: DeliveryBatch, index: Int, client: Int) -> UInt? {
        state.withLock { state in
            guard state.accepting else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.waiting[id] = Entry(batch: batch, index: index, client: client, since: .now)
            return id
        }
    }

    func take(_ id: UInt) -> (batch: DeliveryBatch, index: Int)? {
        state.withLock { $0.waiting.removeValue(forKey: id).map { ($0.batch, $0.index) } }
    }

    /// How long the oldest message of `client` has waited for its acknowledgement.
    func oldestWait(client: Int) -> Duration? {
        state.withLock { state in
            state.waiting.values.filter { $0.client == client }.map(\.since).min().map { ContinuousClock.now - $0 }
        }
    }

    /// Removes and returns what still waits on `client` (after it was destroyed).
    func takeAll(client: Int) -> [(batch: DeliveryBatch, index: Int)] {
        state.withLock { state in
            let ids = state.waiting.filter { $0.value.client == client }.map(\.key)
            return ids.compactMap { state.waiting.removeValue(forKey: $0).map { ($0.batch, $0.index) } }
        }
    }

    /// Stops accepting and hands back whatever still waits, to be failed by the caller.
    func drain() -> [(batch: DeliveryBatch, index: Int)] {
        state.withLock { state in
            state.accepting = false
            defer { state.waiting.removeAll() }
            return state.waiting.values.map { ($0.batch, $0.index) }
        }
    }

    var count: Int { state.withLock { $0.waiting.count } }
}

/// The reports of one `send` call, delivered together once every message has one.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<DeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>?
    }
    private let state: Mutex<State>

    init(count: Int, continuation: CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count, continuation: continuation))
    }

    func complete(_ index: Int, _ result: Result<DeliveryReport, KafkaError>) {
        let finished: (CheckedContinuation<[Result<DeliveryReport, KafkaError>], Never>, [Result<DeliveryReport, KafkaError>])? =
            state.withLock { state in
                guard state.results[index] == nil else { return nil }
                state.results[index] = result
                state.remaining -= 1
                guard state.remaining == 0, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, state.results.map { $0! })
            }
        if let (continuation, results) = finished { continuation.resume(returning: results) }
    }
}

/// What librdkafka's callbacks need: the pending table, a logger, and why the client must be
/// replaced (a fatal error, or a broker that no longer accepts its producer identity), if it must.
final class ProducerCallbacks: Sendable {
    let pending = PendingDeliveries()
    let logger: Logger
    /// The client (its `rd_kafka_t` address) to replace, and why.
    let replacement = Mutex<(client: UInt, reason: String)?>(nil)

    init(logger: Logger) { self.logger = logger }

    /// Asks the watchdog to replace `client` (the first reason wins until it has). A late report
    /// from a client already replaced names that one, and the watchdog ignores it.
    func requestReplacement(of client: OpaquePointer?, _ reason: String) {
        let address = client.map { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer($0))) } ?? 0
        replacement.withLock { $0 = $0 ?? (address, reason) }
    }

    /// Delivery errors after which the client never delivers again, though librdkafka does not
    /// raise them as fatal: the broker rejects the producer id or epoch the client holds. Seen on
    /// a broker that restarted without its state: it handed the client's producer id to another
    /// client, bumped its epoch, and fenced this one ("There is a newer producer with the same
    /// transactionalId") for good.
    static func rejectsProducerIdentity(_ error: rd_kafka_resp_err_t) -> Bool {
        switch error {
        case RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID,
             RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, RD_KAFKA_RESP_ERR__FENCED:
            true
        default:
            false
        }
    }
}

/// Idempotent Kafka producer (`enable.idempotence=true`, `acks=all`): `send` returns only once the
/// broker acknowledged the records. Runs as a `Service`: on graceful shutdown it flushes what is in
/// flight before destroying the client. After a fatal error (an idempotent producer's sequence
/// broken, e.g. by a broker that lost its log), or once the broker rejects the client's producer
/// identity, the watchdog replaces the client within a second; the failed sends are sent again by
/// their callers.
public final class KafkaProducer: Service, Sendable {
    /// The client in use and its number (each replacement gets the next one).
    private let current: Mutex<(handle: KafkaHandle, number: Int)>
    private let callbacks: ProducerCallbacks
    private let configuration: KafkaConfiguration
    private let logger: Logger
    private let flushTimeout: Duration
    private let stallTimeout: Duration
    private let shutDown = Atomic<Bool>(false)
    /// Signalled to stop the watchdog thread.
    private let watchdogStop = DispatchSemaphore(value: 0)

    var handle: KafkaHandle { current.withLock { $0.handle } }
    private var pending: PendingDeliveries { callbacks.pending }

    /// - Parameter stallTimeout: when the broker answers but has acknowledged nothing for this
    ///   long, the client is replaced (librdkafka 2.8 never recovers a producer whose topic was
    ///   re-created under the same name, as after a restart of a broker that lost its log); the
    ///   waiting sends fail and their callers send again.
    public init(
        configuration: KafkaConfiguration, logger: Logger, flushTimeout: Duration = .seconds(10),
        stallTimeout: Duration = .seconds(15)
    ) throws {
        let callbacks = ProducerCallbacks(logger: logger)
        self.callbacks = callbacks
        self.logger = logger
        self.flushTimeout = flushTimeout
        self.stallTimeout = stallTimeout
        self.configuration = configuration.forProducer()
        self.current = Mutex((try Self.makeHandle(self.configuration, callbacks), 1))
        // The watchdog makes blocking librdkafka calls, so it has a thread of its own.
        let thread = Thread { [weak self, watchdogStop] in
            while watchdogStop.wait(timeout: .now() + 1) == .timedOut {
                guard let self else { return }
                self.inspect()
            }
        }
        thread.name = "dms.kafka.watchdog"
        thread.start()
    }

    /// Runs on the watchdog thread once a second: replaces a client that failed fatally or whose
    /// producer identity the broker rejects, or one that has acknowledged nothing for
    /// `stallTimeout` while the broker answers.
    private func inspect() {
        guard !shutDown.load(ordering: .acquiring) else { return }
        let (handle, number) = current.withLock { $0 }
        if let request = callbacks.replacement.withLock({ request in defer { request = nil }; return request }) {
            if request.client == UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle.pointer))) {
                replace(number, reason: request.reason)
                return
            }
        }
        guard let waited = pending.oldestWait(client: number), waited > stallTimeout else { return }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        guard rd_kafka_metadata(handle.pointer, 0, nil, &metadata, 2_000) == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return  // the broker is away: waiting is right, librdkafka delivers when it is back
        }
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        replace(number, reason: "no acknowledgement for \(waited) while the broker answers")
    }

    /// Swaps in a new client if `number` is still the current one; the old one is purged and
    /// destroyed in the background, and whatever still waited on it fails.
    private func replace(_ number: Int, reason: String) {
        let replaced: KafkaHandle?
        do {
            replaced = try current.withLock { current -> KafkaHandle? in
                guard current.number == number else { return nil }
                let old = current.handle
                current = (try Self.makeHandle(configuration, callbacks), number + 1)
                return old
            }
        } catch {
            logger.error("could not create a replacement Kafka producer", metadata: ["error": "\(error)"])
            return
        }
        guard let old = replaced else { return }
        logger.warning("kafka producer replaced", metadata: ["reason": "\(reason)"])
        Counter(label: "dms_kafka_producer_replacements_total").increment()
        old.blockingThread.async { [pending] in
            old.close { rk in Self.purge(rk) }
            for (batch, index) in pending.takeAll(client: number) {
                batch.complete(index, .failure(KafkaError(.delivery, "producer replaced before the broker acknowledged (\(reason))")))
            }
        }
    }

    private static func makeHandle(_ configuration: KafkaConfiguration, _ callbacks: ProducerCallbacks) throws(KafkaError) -> KafkaHandle {
        try KafkaHandle(type: RD_KAFKA_PRODUCER, configuration: configuration) { conf in
            // The opaque is the callbacks object, owned by the producer, which closes every
            // handle before it goes away.
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
            rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, opaque in
                guard let message, let opaque else { return }
                let callbacks = Unmanaged<ProducerCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                let id = UInt(bitPattern: message.pointee._private)
                guard let (batch, index) = callbacks.pending.take(id) else { return }
                let m = message.pointee
                if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                    Metrics.Counter(label: "dms_kafka_produced_total", dimensions: [("topic", topic)]).increment()
                    batch.complete(index, .success(DeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
                } else {
                    if ProducerCallbacks.rejectsProducerIdentity(m.err) {
                        callbacks.requestReplacement(of: rk, "the broker rejects the producer's identity: \(String(cString: rd_kafka_err2str(m.err)))")
                    }
                    batch.complete(index, .failure(KafkaError(.delivery, code: m.err)))
                }
            }
            rd_kafka_conf_set_error_cb(conf) { rk, error, reason, opaque in
                guard let opaque else { return }
                let callbacks = Unmanaged<ProducerCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                var detail = reason.map { String(cString: $0) } ?? ""
                if error == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
                    var buffer = [CChar](repeating: 0, count: 512)
                    let cause = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                    detail = "fatal \(String(cString: rd_kafka_err2str(cause))): \(cString(buffer))"
                    callbacks.requestReplacement(of: rk, "fatal error: \(detail)")
                    callbacks.logger.error("kafka producer failed fatally; it will be replaced", metadata: ["reason": "\(detail)"])
                } else {
                    callbacks.logger.warning("kafka producer error", metadata: ["code": "\(error)", "reason": "\(detail)"])
                }
            }
        }
    }

    /// Fails what librdkafka still holds so that every waiting `send` gets its answer.
    private static func purge(_ rk: OpaquePointer) {
        rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        rd_kafka_poll(rk, 100)
    }

    /// Sends one record and waits for the broker's acknowledgement.
    @discardableResult
    public func send(_ record: OutgoingRecord) async throws -> DeliveryReport {
        try await send([record])[0].get()
    }

    /// Hands the records to librdkafka in order (so records of one key keep their order) and waits
    /// until each one was acknowledged or failed.
    public func send(_ records: [OutgoingRecord]) async -> [Result<DeliveryReport, KafkaError>] {
        guard !records.isEmpty else { return [] }
        let (handle, number) = current.withLock { $0 }
        return await withCheckedContinuation { continuation in
            let batch = DeliveryBatch(count: records.count, continuation: continuation)
            for (index, record) in records.enumerated() {
                guard let id = pending.register(batch, index: index, client: number) else {
                    batch.complete(index, .failure(KafkaError(.shutdown, "producer is shutting down")))
                    continue
                }
                if let error = produce(record, opaque: id, on: handle), pending.take(id) != nil {
                    batch.complete(index, .failure(error))
                }
            }
        }
    }

    /// Hands a record to librdkafka (which copies key, value and headers); nil when queued.
    private func produce(_ record: OutgoingRecord, opaque: UInt, on handle: KafkaHandle) -> KafkaError? {
        let topic = strdup(record.topic)
        let names = record.headers.map { strdup($0.name) }
        defer {
            free(topic)
            names.forEach { free($0) }
        }
        return record.key.withUnsafeBytes { key in
            record.value.withUnsafeBytes { value in
                withHeaderValues(record.headers.map(\.value)) { headerValues in
                    var vus: [rd_kafka_vu_t] = []
                    var vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_TOPIC
                    vu.u.cstr = UnsafePointer(topic)
                    vus.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_KEY
                    vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    vu.u.mem.size = key.count
                    vus.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_VALUE
                    vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    vu.u.mem.size = value.count
                    vus.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    vu.u.i = RD_KAFKA_MSG_F_COPY
                    vus.append(vu)
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_OPAQUE
                    vu.u.ptr = UnsafeMutableRawPointer(bitPattern: opaque)
                    vus.append(vu)
                    for (index, name) in names.enumerated() {
                        vu = rd_kafka_vu_t()
                        vu.vtype = RD_KAFKA_VTYPE_HEADER
                        vu.u.header.name = UnsafePointer(name)
                        vu.u.header.val = headerValues[index].baseAddress
                        vu.u.header.size = headerValues[index].count
                        vus.append(vu)
                    }
                    guard let error = rd_kafka_produceva(handle.pointer, &vus, vus.count) else { return nil }
                    defer { rd_kafka_error_destroy(error) }
                    return KafkaError(.delivery, String(cString: rd_kafka_error_string(error)),
                        code: rd_kafka_error_code(error).rawValue)
                }
            }
        }
    }

    /// The cluster as the broker describes it; used by readiness checks.
    public func metadata(timeout: Duration = .seconds(2)) async throws -> ClusterMetadata {
        try await handle.metadata(timeout: timeout)
    }

    /// Creates the topics that are missing (existing ones are left as they are).
    public func ensureTopics(_ names: [String], partitions: Int, replicationFactor: Int = -1,
                             timeout: Duration = .seconds(10)) async throws {
        let existing = try await metadata(timeout: timeout).topics
        let missing = names.filter { existing[$0] == nil }
        guard !missing.isEmpty else { return }
        logger.info("creating topics", metadata: ["topics": "\(missing.joined(separator: ","))", "partitions": "\(partitions)"])
        try await createTopics(missing, partitions: partitions, replicationFactor: replicationFactor, timeout: timeout)
    }

    private func createTopics(_ names: [String], partitions: Int, replicationFactor: Int, timeout: Duration) async throws {
        let milliseconds = Int32(timeout.components.seconds * 1000)
        try await handle.blocking { pointer throws(KafkaError) in
            var errstr = [CChar](repeating: 0, count: 512)
            var topics: [OpaquePointer?] = []
            defer { topics.forEach { rd_kafka_NewTopic_destroy($0) } }
            for name in names {
                guard let topic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor), &errstr, errstr.count) else {
                    throw KafkaError(.admin, "\(name): \(cString(errstr))")
                }
                topics.append(topic)
            }
            guard let queue = rd_kafka_queue_new(pointer) else { throw KafkaError(.admin, "rd_kafka_queue_new failed") }
            defer { rd_kafka_queue_destroy(queue) }
            rd_kafka_CreateTopics(pointer, &topics, topics.count, nil, queue)
            guard let event = rd_kafka_queue_poll(queue, milliseconds) else {
                throw KafkaError(.unreachable, "no answer to CreateTopics within \(milliseconds) ms")
            }
            defer { rd_kafka_event_destroy(event) }
            if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(.admin, code: rd_kafka_event_error(event))
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else {
                throw KafkaError(.admin, "unexpected admin result")
            }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
            for index in 0..<count {
                let error = rd_kafka_topic_result_error(results[index])
                if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                    let name = String(cString: rd_kafka_topic_result_name(results[index]))
                    throw KafkaError(.admin, "\(name): \(String(cString: rd_kafka_err2str(error)))", code: error.rawValue)
                }
            }
        }
    }

    /// Waits until every queued record was acknowledged or the timeout passed.
    public func flush(timeout: Duration) async throws {
        let milliseconds = Int32(timeout.components.seconds * 1000)
        try await handle.blocking { pointer throws(KafkaError) in
            let error = rd_kafka_flush(pointer, milliseconds)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(.unreachable, code: error) }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Flushes in-flight records, fails whatever the broker did not acknowledge, destroys the client.
    public func shutdown() async {
        guard !shutDown.load(ordering: .acquiring) else { return }
        do {
            try await flush(timeout: flushTimeout)
        } catch {
            logger.error("producer flush at shutdown did not complete", metadata: ["error": "\(error)", "pending": "\(pending.count)"])
        }
        shutDown.store(true, ordering: .releasing)
        watchdogStop.signal()
        for (batch, index) in pending.drain() {
            batch.complete(index, .failure(KafkaError(.shutdown, "producer shut down before the broker acknowledged")))
        }
        // Destroying the client waits for librdkafka's broker threads, which a broker that does not
        // answer can hold for a socket timeout; what mattered (the flush) is done, so the wait is bounded.
        if await finishes(within: .seconds(10), { [handle] in await handle.close() }) {
            logger.info("kafka producer closed")
        } else {
            logger.warning("the kafka producer's client did not close within 10 s; shutting down anyway")
        }
    }
}

/// Keeps every header value's bytes alive for the duration of `body`.
private func withHeaderValues<R>(_ values: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    func recurse(_ index: Int, _ acc: [UnsafeRawBufferPointer]) -> R {
        if index == values.count { return body(acc) }
        return values[index].withUnsafeBytes { recurse(index + 1, acc + [$0]) }
    }
    return recurse(0, [])
}
