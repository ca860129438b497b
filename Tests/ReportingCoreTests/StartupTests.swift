import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import ReportingCore

@Suite("Reporting: start-up")
struct StartupTests {
    @Test("the service migrates, serves metrics, and answers unknown routes with problem+json")
    func startsAndServesPlatformEndpoints() async throws {
        try await ServiceHarness.withLiveService(
            .reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes
        ) { client, url in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            let count = try await ServiceHarness.scalar("SELECT count(*)::text FROM consumed_events", databaseURL: url)
            #expect(count == "0")
        }
    }
}
