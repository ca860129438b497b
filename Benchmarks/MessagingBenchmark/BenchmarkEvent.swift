import Contracts
import BenchmarkSupport
import Foundation
import Messaging
import PostgresNIO
import Synchronization

/// The benchmark's payload: a sequence number and padding that brings the envelope to the size asked.
struct BenchmarkEvent: EventPayload, Equatable {
    static let eventType = "BenchmarkEvent"
    static let eventVersion = 1
    var seq: Int
    var padding: String
}

/// Builds outbox events of a fixed envelope size on one topic, keys spread over 1,000 aggregates.
struct EventFactory: Sendable {
    let topic: String
    let padding: String
    static let source = "messaging-benchmark"

    /// Chooses the padding so that an encoded envelope is about `envelopeSize` bytes.
    init(topic: String, envelopeSize: Int) throws {
        self.topic = topic
        let bare = try Self.envelope(seq: 999_999, padding: "", occurredAt: Date()).encoded().count
        self.padding = String(repeating: "x", count: max(0, envelopeSize - bare))
    }

    /// Bytes of one encoded envelope.
    func envelopeSize() throws -> Int {
        try Self.envelope(seq: 999_999, padding: padding, occurredAt: Date()).encoded().count
    }

    private static func envelope(seq: Int, padding: String, occurredAt: Date) throws -> EventEnvelope {
        try EventEnvelope(
            occurredAt: occurredAt, source: source, key: "bench-\(seq % 1_000)", correlationId: UUID(),
            payload: BenchmarkEvent(seq: seq, padding: padding))
    }

    /// Events `first ..< first + count`; `occurredAt` is set by `stamped` just before writing.
    func events(_ range: Range<Int>) throws -> [OutboxEvent] {
        let now = Date()
        return try range.map { seq in
            OutboxEvent(topic: topic, envelope: try Self.envelope(seq: seq, padding: padding, occurredAt: now))
        }
    }
}

extension Array where Element == OutboxEvent {
    /// The same events with `occurredAt` = `time` (what the latency is measured from: the time a
    /// fixed-rate run scheduled them for, or now).
    func stamped(at time: Date = Date()) -> [OutboxEvent] {
        let stamp = Timestamp.normalized(time)
        return map { event in
            var event = event
            event.envelope.occurredAt = stamp
            return event
        }
    }
}

/// The consuming side's work: one row per event, in the inbox's transaction — one INSERT for the
/// whole batch (the batch form of `InboxHandler.apply`), as a projection would write it.
struct AppliedHandler: InboxHandler {
    let clock: HandlerClock

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        try await apply([event], in: transaction)
    }

    func apply(_ events: [InboxEvent], in transaction: InboxTransaction) async throws {
        let started = ContinuousClock.now
        let ids = events.map(\.envelope.id)
        let occurred = events.map(\.envelope.occurredAt)
        try await transaction.connection.query(
            "INSERT INTO applied (event_id, occurred_at) SELECT * FROM unnest(\(ids)::uuid[], \(occurred)::timestamptz[])",
            logger: transaction.logger)
        clock.record(.now - started, events: events.count)
    }
}

/// Time spent inside the handler (its INSERT round trips), summed.
final class HandlerClock: Sendable {
    private let state = Mutex<(events: Int, total: Duration)>((0, .zero))

    func record(_ duration: Duration, events: Int = 1) {
        state.withLock { $0 = ($0.events + events, $0.total + duration) }
    }

    /// What was recorded since the last reset.
    func reset() -> (events: Int, total: Duration) {
        state.withLock { state in
            defer { state = (0, .zero) }
            return state
        }
    }
}
