import Contracts
import Logging
import PostgresNIO

/// An event taken from a topic, decoded, about to be applied.
public struct InboxEvent: Sendable {
    public let envelope: EventEnvelope
    /// The payload as the registry decoded it; match on its type.
    public let payload: any EventPayload
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}

/// The transaction a batch of events is applied in, shared with the inbox records of those events.
public struct InboxTransaction: Sendable {
    public let connection: PostgresConnection
    public let logger: Logger

    /// Writes events to the outbox in this transaction: they are published if and only if the
    /// batch that caused them is applied.
    public func emit(_ events: [OutboxEvent]) async throws {
        try await Outbox.append(events, on: connection, logger: logger)
    }
}

/// What a consuming service writes: how to apply one event. Everything else (deduplication,
/// transactions, retries, dead letters, offsets) is the inbox's job.
public protocol InboxHandler: Sendable {
    /// Applies `event` inside `transaction`. Throw `EventRejected` when the event violates an
    /// invariant and can never be applied: it goes to the dead-letter topic and the partition moves on.
    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws

    /// Applies a batch of events (in partition order) inside one transaction. The default applies
    /// them one by one; a handler may override it to write the whole batch in a few statements.
    /// When it throws, the batch is retried or split to find the event at fault.
    func apply(_ events: [InboxEvent], in transaction: InboxTransaction) async throws
}

extension InboxHandler {
    public func apply(_ events: [InboxEvent], in transaction: InboxTransaction) async throws {
        for event in events { try await apply(event, in: transaction) }
    }
}

/// An event that can never be applied (a violated invariant). It is dead-lettered, not retried.
public struct EventRejected: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "rejected: \(reason)" }
}
