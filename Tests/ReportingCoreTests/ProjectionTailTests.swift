import Contracts
import Foundation
import Logging
import Testing
import TestSupport

@testable import ReportingCore

/// The tail of the consumed-event log, against a real database: it reads the log when
/// PostgreSQL notifies that it grew, not only at its poll.
@Suite("Reporting: the projection tail")
struct ProjectionTailTests {
    @Test("a notification on consumed_events wakes the tail at once (its poll here is an hour)")
    func wakesOnNotification() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { _, url in
            try await TemporaryDatabase.withClient(url: url) { client in
                let projection = FunnelProjection()
                let tail = ProjectionTail(funnel: projection, client: client, logger: Logger(label: "tail-test"), interval: .seconds(3600))
                let running = Task { try await tail.run() }
                defer { running.cancel() }
                // Once it listens, only a notification can make it read again within the hour.
                try await eventually("the tail listens on consumed_events", timeout: .seconds(20)) {
                    let listeners = try await ServiceHarness.scalar(
                        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%consumed_events%'",
                        databaseURL: url)
                    return listeners == "1" ? nil : "\(listeners ?? "?") listeners"
                }
                let watched = await projection.watch()
                defer { Task { await projection.unwatch(watched.id) } }
                for name in ["Первый", "Второй"] {
                    try await FunnelAPITests.log(
                        LeadCreated(leadId: UUID(), channel: .phone, name: name, email: nil, phone: nil, company: nil, source: "test",
                                    createdAt: Date(), triageDueAt: nil),
                        at: Timestamp.format(Date()), topic: Topic.leadsEvents, url: url)
                    try await ServiceHarness.applySQL("NOTIFY consumed_events", databaseURL: url)
                }
                try await eventually("both leads in the funnel", timeout: .seconds(20)) {
                    let leads = await projection.report(FunnelQuery()).leads
                    return leads == 2 ? nil : "\(leads) leads"
                }
                // Watchers hear of the new position.
                var iterator = watched.positions.makeAsyncIterator()
                let announced = await iterator.next()
                #expect((announced ?? 0) > 0, "a watcher is told the position the models reached")
            }
        }
    }
}

/// Rows that commit below the position the tail reached (a long inbox transaction, another replica).
@Suite("Reporting: rows committed out of position order")
struct OutOfOrderCommitTests {
    static func leadCreatedRow(_ name: String) throws -> (id: UUID, json: String) {
        let envelope = try EventEnvelope(
            occurredAt: Date(), source: "test", key: UUID().uuidString.lowercased(), correlationId: UUID(),
            payload: LeadCreated(leadId: UUID(), channel: .phone, name: name, email: nil, phone: nil, company: nil, source: "test",
                                 createdAt: Date(), triageDueAt: nil))
        return (envelope.id, String(decoding: try envelope.encoded(), as: UTF8.self))
    }

    @Test("an event whose transaction took its position first and committed after 200 later ones is applied by the next catch-up")
    func lateCommit() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { _, url in
            try await TemporaryDatabase.withClient(url: url) { client in
                let projection = FunnelProjection()
                let logger = Logger(label: "late-commit-test")
                try await TemporaryDatabase.withClient(url: url) { slow in
                    try await slow.withTransaction(logger: logger) { open in
                        // The slow transaction takes the lowest position and stays open.
                        let late = try Self.leadCreatedRow("Поздний")
                        try await open.query(
                            """
                            INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
                            VALUES (\(late.id), \(Topic.leadsEvents), 0, 0, 'LeadCreated', now(), \(late.json)::jsonb)
                            """, logger: logger)
                        // 200 later events commit meanwhile, and the tail reads them.
                        for index in 0..<200 {
                            let row = try Self.leadCreatedRow("Ранний \(index)")
                            try await client.query(
                                """
                                INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
                                VALUES (\(row.id), \(Topic.leadsEvents), 1, \(index), 'LeadCreated', now(), \(row.json)::jsonb)
                                """, logger: logger)
                        }
                        try await projection.catchUp(client: client, logger: logger)
                        #expect(await projection.report(FunnelQuery()).leads == 200, "the open transaction's row is not visible yet")
                    }
                }
                // Committed now, at a position far below the one the tail reached.
                try await projection.catchUp(client: client, logger: logger)
                #expect(await projection.report(FunnelQuery()).leads == 201, "the late row was applied")
                try await projection.catchUp(client: client, logger: logger)
                #expect(await projection.report(FunnelQuery()).leads == 201, "and only once")
            }
        }
    }
}
