import Contracts
import Foundation
import Hummingbird
import Messaging
import ServiceKit

/// Envelopes for `dms.leads.events.v1`.
enum LeadsEvents {
    static func event<P: EventPayload>(_ payload: P, key: UUID, correlation: UUID, causation: UUID? = nil) throws -> OutboxEvent {
        let envelope = try EventEnvelope(
            occurredAt: Date(), source: ServiceName.leads.rawValue, key: key.uuidString.lowercased(), correlationId: correlation,
            causationId: causation, payload: payload)
        return OutboxEvent(topic: Topic.leadsEvents, envelope: envelope)
    }
}

/// The leads service's errors as problem+json.
enum LeadsError: Error, ProblemConvertible {
    case notFound(String)
    case invalidBody(String)
    case unprocessable(String)
    case conflict(String)
    case invalidTransition(String)
    case preconditionFailed(String)

    var problem: ProblemDetails {
        switch self {
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .invalidBody(let detail): ProblemDetails(title: "Invalid request", status: 400, detail: detail)
        case .unprocessable(let detail): ProblemDetails(title: "Unprocessable", status: 422, detail: detail)
        case .conflict(let detail): ProblemDetails(title: "Conflict", status: 409, detail: detail)
        case .invalidTransition(let detail): ProblemDetails(title: "Invalid transition", status: 409, detail: detail)
        case .preconditionFailed(let detail): ProblemDetails(title: "Precondition Failed", status: 412, detail: detail)
        }
    }
}
