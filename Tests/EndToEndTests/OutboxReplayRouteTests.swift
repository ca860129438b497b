import Contracts
import Foundation
import Logging
import LeadsCore
import Messaging
import PostgresNIO
import Testing
import TestSupport

/// Every publishing service serves `POST /v1/outbox/replay` (the platform adds it); leads stands
/// for all five here.
@Suite("Operator replay over HTTP")
struct OutboxReplayRouteTests {
    let logger = Logger(label: "e2e.outbox-replay")

    @Test("bad input is a 4xx problem; a replay makes what was published since then go out again")
    func replayRoute() async throws {
        try await ServiceHarness.withLiveService(.leads, migrationsDirectory: LeadsMigrations.directory, routes: addLeadsRoutes) { client, url in
            #expect(try await client.call(.post, "/v1/outbox/replay", "{}").status == 400)
            #expect(try await client.call(.post, "/v1/outbox/replay", #"{"since":"yesterday"}"#).status == 422)
            #expect(try await client.call(.post, "/v1/outbox/replay", #"{"since":"2999-01-01T00:00:00Z"}"#).status == 422)

            let before = Timestamp.format(Date().addingTimeInterval(-1))
            let envelope = EventEnvelope(
                type: "ReplayProbe", occurredAt: Date(), source: "leads", key: "probe", correlationId: UUID(),
                payload: .object(["probe": .bool(true)]))
            try await TemporaryDatabase.withClient(url: url) { db in
                try await db.withTransaction(logger: logger) { connection in
                    try await Outbox.append([OutboxEvent(topic: Topic.leadsEvents, envelope: envelope)], on: connection, logger: logger)
                }
                try await eventually("the probe published", timeout: .seconds(30)) {
                    let published = try await db.query("SELECT count(*)::int FROM outbox WHERE published_at IS NOT NULL", logger: logger)
                        .collect().first!.decode(Int.self)
                    return published == 1 ? nil : "not yet"
                }
                let reply = try await client.call(.post, "/v1/outbox/replay", #"{"since":"\#(before)"}"#)
                #expect(reply.status == 202, "\(reply.body)")
                #expect(reply.body.contains(#""replayed":1"#), "\(reply.body)")
                try await eventually("the probe published again", timeout: .seconds(30)) {
                    let again = try await db.query(
                        "SELECT count(*)::int FROM outbox WHERE published_at IS NOT NULL AND replays = 1", logger: logger
                    ).collect().first!.decode(Int.self)
                    return again == 1 ? nil : "not yet"
                }
            }
        }
    }
}
