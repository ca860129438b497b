import Contracts
import Foundation
import PostgresNIO

/// How the inbox treats a failure to apply a batch.
public enum FailureKind: Sendable, Equatable {
    /// The database (or broker) is unavailable: retry with backoff, never skip.
    case transient
    /// The event can never be applied: dead-letter it.
    case permanent
    /// Not known: retried a few times while the database is reachable, then dead-lettered.
    case unknown

    /// Classifies an error from applying events.
    public static func of(_ error: any Error) -> FailureKind {
        switch error {
        case let error as PostgresTransactionError:
            if let closure = error.closureError { return of(closure) }
            if let begin = error.beginError { return of(begin) }
            if let commit = error.commitError { return of(commit) }
            return .transient
        case is EventRejected, is EnvelopeError, is DecodingError:
            return .permanent
        case let error as PSQLError:
            guard error.code == .server else {
                // Connection lost, pool closed, connection refused: the database is away.
                return .transient
            }
            let state = error.serverInfo?[.sqlState] ?? ""
            switch state.prefix(2) {
            // connection exception, operator intervention (shutdown), insufficient resources,
            // transaction rollback (serialization failure, deadlock)
            case "08", "57", "53", "40": return .transient
            // data exception, integrity constraint violation: the event breaks a rule
            case "22", "23": return .permanent
            default: return .unknown
            }
        case is CancellationError, is AttemptTimedOut:
            return .transient
        default:
            return .unknown
        }
    }
}

/// Applying a batch took longer than the inbox allows; it was rolled back and is retried.
public struct AttemptTimedOut: Error, Sendable, CustomStringConvertible {
    public var after: Duration
    public var description: String { "applying the batch took longer than \(after)" }
}
