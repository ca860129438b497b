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
    }
}

struct ReplayRequest: Decodable {
    var since: String
}

struct ReplayAnswer: Encodable {
    var since: Date
    var replayed: Int
}
