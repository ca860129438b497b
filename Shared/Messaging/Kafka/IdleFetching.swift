/// When an idle consumer fetches. A fetch on the local broker (Tansu 0.6) is held for the whole
/// `fetch.wait.max.ms` even when data arrives, so consumers fetch with a short wait (10 ms) to keep
/// latency low — a hundred fetches a second per consumer, which kept the idle broker at ~68 % of a
/// core. So a consumer that received nothing for `idleAfter` pauses its partitions and only looks
/// again every `peekInterval`, for `peekWindow`: resumed, it fetches; anything received makes it
/// active again (fetching continuously) until it is idle once more.
///
/// Pure: the poll thread passes the clock and what it fetched, and applies the answer with
/// `rd_kafka_pause_partitions` / `rd_kafka_resume_partitions`. Pausing drops nothing: librdkafka
/// fetches again from the position of the last message handed out.
public struct IdleFetching: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Nothing received for this long makes the consumer idle. Zero: never idle (always fetching).
        public var idleAfter: Duration
        /// An idle consumer looks for new messages this often: the most an event waits before an
        /// idle consumer sees it.
        public var peekInterval: Duration
        /// How long each look fetches (a few fetch round trips).
        public var peekWindow: Duration

        public init(idleAfter: Duration = .seconds(1), peekInterval: Duration = .milliseconds(100),
                    peekWindow: Duration = .milliseconds(40)) {
            self.idleAfter = idleAfter
            self.peekInterval = peekInterval
            self.peekWindow = peekWindow
        }

        /// Fetching continuously, as librdkafka does by itself.
        public static let never = Settings(idleAfter: .zero)
    }

    public enum Phase: Sendable, Equatable {
        /// Fetching continuously.
        case active
        /// Paused until the next look.
        case resting(until: ContinuousClock.Instant)
        /// Fetching until the look ends.
        case peeking(until: ContinuousClock.Instant)
    }

    public enum Action: Sendable, Equatable {
        case pause, resume
    }

    public let settings: Settings
    public private(set) var phase: Phase = .active
    private var lastReceived: ContinuousClock.Instant

    public init(settings: Settings, now: ContinuousClock.Instant) {
        self.settings = settings
        self.lastReceived = now
    }

    /// Whether the partitions should be paused for idleness now.
    public var isPaused: Bool {
        if case .resting = phase { return true }
        return false
    }

    /// One poll round: `received` messages were fetched (or the consumer is busy for another
    /// reason, e.g. a full buffer or a new assignment, which counts as received). Returns the
    /// change to apply to the partitions, if any.
    public mutating func step(now: ContinuousClock.Instant, received: Bool) -> Action? {
        guard settings.idleAfter > .zero else { return nil }
        if received {
            lastReceived = now
            defer { phase = .active }
            return isPaused ? .resume : nil
        }
        switch phase {
        case .active:
            guard now - lastReceived >= settings.idleAfter else { return nil }
            phase = .resting(until: now + settings.peekInterval)
            return .pause
        case .resting(let until):
            guard now >= until else { return nil }
            phase = .peeking(until: now + settings.peekWindow)
            return .resume
        case .peeking(let until):
            guard now >= until else { return nil }
            phase = .resting(until: now + settings.peekInterval)
            return .pause
        }
    }

    /// How long the poll thread may block before the next `step` is due (nil: no deadline).
    public func nextDeadline(now: ContinuousClock.Instant) -> Duration? {
        guard settings.idleAfter > .zero else { return nil }
        switch phase {
        case .active: return max(.zero, lastReceived + settings.idleAfter - now)
        case .resting(let until), .peeking(let until): return max(.zero, until - now)
        }
    }
}
