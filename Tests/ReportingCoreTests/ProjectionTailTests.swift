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
