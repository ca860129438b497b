import CRdkafka
import Dispatch
import Foundation
import Synchronization

/// An `rd_kafka_t` with its own poll thread. librdkafka documents `rd_kafka_t` as thread-safe for
/// produce, poll, metadata and admin calls, and it is destroyed exactly once (in `close()` or
/// `deinit`, after the poll thread has stopped), which is why it may be shared across tasks.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let polling = PollControl()
    private let closed = Atomic<Bool>(false)
    /// Blocking librdkafka calls (metadata, admin, flush) run here, never on the cooperative pool.
    let blockingThread: BlockingThread

    /// Creates the client; `configure` may set callbacks and the opaque on the conf before creation,
    /// `prepare` runs once on the new client before polling starts, and `poll` is called in a loop on
    /// the poll thread (it must return within about 100 ms so that `close` is prompt).
    init(
        type: rd_kafka_type_t,
        configuration: KafkaConfiguration,
        configure: (OpaquePointer) -> Void = { _ in },
        prepare: (OpaquePointer) throws(KafkaError) -> Void = { _ throws(KafkaError) in },
        poll: @escaping @Sendable (OpaquePointer) -> Void = { rd_kafka_poll($0, 100) }
    ) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.client, "rd_kafka_conf_new failed") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in configuration.properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(.configuration, "\(key): \(cString(errstr))")
            }
        }
        configure(conf)
        guard let handle = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(.client, cString(errstr))
        }
        do throws(KafkaError) {
            try prepare(handle)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        self.pointer = handle
        self.blockingThread = BlockingThread(name: "dms.kafka.blocking")
        let thread = Thread { [pointer = UnsafeSendable(handle), polling] in
            while !polling.stop.load(ordering: .acquiring) {
                poll(pointer.value)
            }
            polling.stopped.signal()
        }
        thread.name = "dms.kafka.poll"
        thread.start()
    }

    /// Runs a blocking librdkafka call on the client's blocking thread.
    func blocking<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            blockingThread.async { [pointer = UnsafeSendable(pointer)] in
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try work(pointer.value)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// The broker's cluster view; fails when no broker answers within the timeout.
    func metadata(timeout: Duration) async throws(KafkaError) -> ClusterMetadata {
        let milliseconds = milliseconds(timeout)
        return try await blocking { pointer throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(pointer, 1, nil, &metadata, milliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(.unreachable, code: error)
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var topics: [String: Int] = [:]
            let m = metadata.pointee
            for index in 0..<Int(m.topic_cnt) {
                let topic = m.topics[index]
                if topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    topics[String(cString: topic.topic)] = Int(topic.partition_cnt)
                }
            }
            return ClusterMetadata(brokerCount: Int(m.broker_cnt), topics: topics)
        }
    }

    /// Stops polling and destroys the client off the cooperative pool (both may block). Idempotent.
    /// `beforeDestroy` runs after the poll thread stopped (a consumer closes its group membership there).
    func close(beforeDestroy: @escaping @Sendable (OpaquePointer) -> Void = { _ in }) async {
        await withCheckedContinuation { continuation in
            blockingThread.async {
                self.close(beforeDestroy: beforeDestroy)
                continuation.resume()
            }
        }
    }

    /// Stops polling and destroys the client, blocking the calling thread. Idempotent.
    func close(beforeDestroy: (OpaquePointer) -> Void = { _ in }) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        polling.stop.store(true, ordering: .releasing)
        polling.stopped.wait()
        beforeDestroy(pointer)
        rd_kafka_destroy(pointer)
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    deinit { close() }
}

/// What the broker told us about the cluster.
public struct ClusterMetadata: Sendable, Equatable {
    public var brokerCount: Int
    /// Topic name to partition count.
    public var topics: [String: Int]
}

/// Carries a C pointer into a `@Sendable` closure. Only used for `rd_kafka_t` handles, which
/// librdkafka documents as safe to use from any thread.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A thread of its own that runs blocking librdkafka calls one after another. Not a dispatch queue:
/// on Linux those run on GCD's default pool, one thread per core, so two slow calls anywhere in the
/// process (a metadata request to a broker that does not answer waits for its whole timeout) held
/// up every other client's blocking calls (seen: a 500 ms metadata timeout answered after 5 s).
final class BlockingThread: Sendable {
    private final class Jobs: Sendable {
        let state = Mutex<(pending: [@Sendable () -> Void], stopped: Bool)>(([], false))
        /// One signal per job added, and one to stop.
        let ready = DispatchSemaphore(value: 0)
    }
    private let jobs = Jobs()

    init(name: String) {
        let thread = Thread { [jobs] in
            while true {
                jobs.ready.wait()
                let next = jobs.state.withLock { state in state.pending.isEmpty ? nil : state.pending.removeFirst() }
                if let next {
                    next()
                } else if jobs.state.withLock({ $0.stopped }) {
                    return
                }
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the thread after what was queued before it.
    func async(_ work: @escaping @Sendable () -> Void) {
        jobs.state.withLock { $0.pending.append(work) }
        jobs.ready.signal()
    }

    /// The thread finishes what is queued, then ends.
    deinit {
        jobs.state.withLock { $0.stopped = true }
        jobs.ready.signal()
    }
}

/// Tells the poll thread to stop and lets the closer wait until it has.
final class PollControl: Sendable {
    let stop = Atomic<Bool>(false)
    let stopped = DispatchSemaphore(value: 0)
}

/// A librdkafka timeout argument in milliseconds.
func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
}

/// The text in a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
