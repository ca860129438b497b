/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A record read from a topic. Key, value and headers are copies; nothing points into librdkafka.
public struct ConsumedMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [(name: String, value: [UInt8])]
    /// The assignment this message was fetched under; its offset is committed only while that
    /// assignment still holds.
    var generation: Int
    /// The id of the topic the message was published to (the `dms-topic-id` header the outbox relay
    /// sets), which changes when a topic is re-created under the same name.
    public var topicID: String? { header(TopicIdentity.header).map { String(decoding: $0, as: UTF8.self) } }

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [(name: String, value: [UInt8])] = [], generation: Int = 0
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.generation = generation
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The value of the first header with that name.
    public func header(_ name: String) -> [UInt8]? { headers.first { $0.name == name }?.value }
}

/// The consumer's bookkeeping as a plain value: buffered messages, the assignment, processed
/// offsets and the one waiting reader. Every method says what the caller must do next (resume a
/// waiter, pause or resume fetching, commit offsets); the caller does it outside the lock.
struct ConsumerState<Waiter> {
    struct Waiting {
        var id: UInt64
        var minimum: Int
        var waiter: Waiter
    }

    enum FetchAction: Equatable {
        case none
        case pause
        case resume
    }

    private(set) var buffer: [ConsumedMessage] = []
    private var head = 0
    private(set) var assigned: Set<TopicPartition> = []
    /// Increases with every assignment change; messages of an older generation are stale.
    private(set) var generation = 0
    /// Next offset to commit per partition (last processed + 1), for the current generation only.
    private(set) var processed: [TopicPartition: Int64] = [:]
    /// The topic id each partition's messages came from. Kept across assignments: it describes the
    /// broker's log, not this member's share of it.
    private(set) var topicIDs: [TopicPartition: String] = [:]
    /// Batches handed out and not yet committed or released.
    private(set) var inFlight = 0
    private(set) var stopped = false
    /// Whether fetching is paused because the buffer is full.
    private(set) var paused = false
    private var waiting: Waiting?
    private var lastRegistered: UInt64 = 0
    /// Waits that ended (deadline or cancellation) before they were registered.
    private var endedEarly: Set<UInt64> = []

    let highWatermark: Int
    let lowWatermark: Int

    init(highWatermark: Int, lowWatermark: Int) {
        precondition(lowWatermark < highWatermark && lowWatermark >= 0)
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    var buffered: Int { buffer.count - head }

    /// Whether a reader is registered and waiting.
    var hasWaiter: Bool { waiting != nil }

    // MARK: Poll thread

    /// Adds fetched messages; drops those fetched under an older assignment (they were not
    /// committed, so whoever owns the partition now reads them again). Returns a waiter to resume.
    ///
    /// A message from another topic id than the partition's earlier messages means the topic was
    /// re-created under the same name (a broker that lost its log): the offsets we hold belong to
    /// the old log and the new one may hold events we never read below them. That message and the
    /// rest of its partition in this round are dropped, and `rewind` names the partition: the caller
    /// reads it again from the beginning (the inbox absorbs what was already applied).
    mutating func append(_ messages: [ConsumedMessage]) -> (waiter: Waiter?, rewind: [TopicPartition]) {
        guard !stopped else { return (nil, []) }
        var rewind: [TopicPartition] = []
        for message in messages where message.generation == generation && assigned.contains(message.topicPartition) {
            let tp = message.topicPartition
            if rewind.contains(tp) { continue }
            if let id = message.topicID {
                if let known = topicIDs[tp], known != id {
                    topicIDs[tp] = id
                    processed[tp] = nil
                    rewind.append(tp)
                    continue
                }
                topicIDs[tp] = id
            }
            buffer.append(message)
        }
        return (satisfiedWaiter(), rewind)
    }

    /// Whether fetching should be paused or resumed now; records the change as done.
    mutating func fetchAction() -> FetchAction {
        if !paused && buffered >= highWatermark {
            paused = true
            return .pause
        }
        if paused && buffered <= lowWatermark {
            paused = false
            return .resume
        }
        return .none
    }

    /// A new assignment (eager protocol: it replaces the previous one).
    mutating func assign(_ partitions: Set<TopicPartition>) {
        generation += 1
        assigned = partitions
        processed = [:]
    }

    /// The assignment is revoked: returns the processed offsets to commit before letting go and
    /// drops what is buffered (the next owner reads it again from the committed offset).
    mutating func revokeAll() -> [TopicPartition: Int64] {
        let offsets = processed
        generation += 1
        assigned = []
        processed = [:]
        buffer.removeAll()
        head = 0
        return offsets
    }

    // MARK: Reader

    /// Registers the reader waiting for at least `minimum` buffered messages; returns the waiter
    /// back when it need not wait (enough buffered, stopped, or already cancelled).
    mutating func wait(id: UInt64, minimum: Int, _ waiter: Waiter) -> Waiter? {
        precondition(waiting == nil, "a KafkaConsumer has one reader at a time")
        lastRegistered = max(lastRegistered, id)
        let ended = endedEarly.remove(id) != nil
        if stopped || buffered >= minimum || ended { return waiter }
        waiting = Waiting(id: id, minimum: minimum, waiter: waiter)
        return nil
    }

    /// The reader's wait ended (deadline or cancellation): returns its waiter if still registered,
    /// and remembers a wait that has not registered yet so that it does not start.
    mutating func endWait(id: UInt64) -> Waiter? {
        if let waiting, waiting.id == id {
            self.waiting = nil
            return waiting.waiter
        }
        if id > lastRegistered { endedEarly.insert(id) }
        return nil
    }

    /// Hands out up to `max` messages in fetch order.
    mutating func take(_ max: Int) -> [ConsumedMessage] {
        let count = min(max, buffered)
        guard count > 0 else { return [] }
        let batch = Array(buffer[head..<(head + count)])
        head += count
        if head > 4096 && head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
        inFlight += 1
        return batch
    }

    /// The batch was applied: returns the offsets to commit (partitions still assigned, current
    /// generation, moving forward only).
    mutating func completed(_ batch: [ConsumedMessage]) -> [TopicPartition: Int64] {
        inFlight = max(0, inFlight - 1)
        var commit: [TopicPartition: Int64] = [:]
        for message in batch where message.generation == generation && assigned.contains(message.topicPartition) {
            let next = message.offset + 1
            let tp = message.topicPartition
            // An offset in a log that has since been replaced says nothing about the new one.
            if let id = message.topicID, let current = topicIDs[tp], id != current { continue }
            if next > processed[tp, default: -1] {
                processed[tp] = next
                commit[tp] = next
            }
        }
        return commit
    }

    /// The batch will not be committed (shutting down mid-retry).
    mutating func released() {
        inFlight = max(0, inFlight - 1)
    }

    /// No more batches: returns a waiting reader to wake.
    mutating func stop() -> Waiter? {
        stopped = true
        defer { waiting = nil }
        return waiting?.waiter
    }

    private mutating func satisfiedWaiter() -> Waiter? {
        guard let waiting, buffered >= waiting.minimum else { return nil }
        self.waiting = nil
        return waiting.waiter
    }
}
