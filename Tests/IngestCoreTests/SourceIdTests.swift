import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import IngestCore

@Suite("Ingest: start-up and dedupe storage")
struct SourceIdTests {
    @Test("the service migrates, reports ready, and its store refuses a connector's id twice")
    func sourceIdsAreUnique() async throws {
        try await ServiceHarness.withLiveService(
            .ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes
        ) { client, url in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            let insert = "INSERT INTO received_messages (id, connector, source_id) VALUES (gen_random_uuid(), 'pbx', '1700000000.42')"
            try await ServiceHarness.applySQL(insert, databaseURL: url)
            await #expect(throws: (any Error).self) { try await ServiceHarness.applySQL(insert, databaseURL: url) }
        }
    }
}
