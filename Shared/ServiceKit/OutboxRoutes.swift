import Contracts
import Foundation
import Hummingbird
import Messaging

/// The operator's lever on a publishing service's outbox.
extension RouterGroup where Context == BasicRequestContext {
    /// `POST /v1/outbox/replay` `{"since": "<ISO 8601>"}`: publishes again, in the original order,
    /// every event published since that time (disaster recovery after a broker was restored from a
    /// backup older than the events). Consumers' inboxes absorb what they had already applied.
    func addOutboxRoutes(_ relay: OutboxRelay) {
        post("outbox/replay") { request, context -> Response in
            let body = try await request.decode(as: ReplayRequest.self, context: context)
            guard let since = Timestamp.parse(body.since) else {
                throw HTTPError(.unprocessableContent, message: "since must be an ISO 8601 date-time with a time zone, e.g. 2026-12-07T10:00:00Z")
            }
            guard since <= Date() else { throw HTTPError(.unprocessableContent, message: "since must not be in the future") }
            let rows = try await relay.replay(publishedSince: since, logger: context.logger)
            return try json(ReplayAnswer(since: since, replayed: rows), status: .accepted)
        }

        // Rows the broker refused for good (too large, invalid), oldest first.
        get("outbox/dead-letters") { request, context -> Response in
            let limit = try limitParameter(request, default: 100, max: 1000)
            return try json(DeadLetterList(items: try await relay.deadLetters(limit: limit, logger: context.logger)), status: .ok)
        }

        // Sends dead letters again once their cause is fixed: those named, or all of them.
        post("outbox/dead-letters/retry") { request, context -> Response in
            let body = try await request.decode(as: DeadLetterRetry.self, context: context)
            let rows = try await relay.retryDeadLetters(eventIDs: body.eventIds, logger: context.logger)
            return try json(DeadLetterRetried(retried: rows), status: .accepted)
        }
    }
}

/// `limit` of a list: a whole number from 1 to `max`, `default` when absent; 422 otherwise.
func limitParameter(_ request: Request, default value: Int, max: Int) throws -> Int {
    guard let text = request.uri.queryParameters["limit"] else { return value }
    guard let limit = Int(String(text)), (1...max).contains(limit) else {
        throw HTTPError(.unprocessableContent, message: "limit is a whole number from 1 to \(max)")
    }
    return limit
}

struct DeadLetterList: Encodable {
    var items: [OutboxDeadLetter]
}

struct DeadLetterRetry: Decodable {
    /// The events to send again; absent: every dead letter.
    var eventIds: [UUID]?
}

struct DeadLetterRetried: Encodable {
    var retried: Int
}

struct ReplayRequest: Decodable {
    var since: String
}

struct ReplayAnswer: Encodable {
    var since: Date
    var replayed: Int
}
