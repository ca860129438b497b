import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import LeadsCore

@Suite("Leads: departments and staff")
struct DemoOrganisationTests {
    @Test("the demo organisation loads (twice, idempotently) and is served to authenticated callers")
    func demoOrganisationIsServed() async throws {
        try await ServiceHarness.withLiveService(
            .leads, migrationsDirectory: LeadsMigrations.directory, routes: addLeadsRoutes,
            seed: ["infra/demo/leads.sql", "infra/demo/leads.sql"]
        ) { client, _ in
            try await client.execute(uri: "/v1/departments", method: .get, headers: ServiceHarness.authorized) { response in
                #expect(response.status == .ok)
                let list = try response.body.decode(ItemList<Department>.self)
                #expect(list.items.map(\.code) == ["alto", "plazo", "prom"])
            }
            try await client.execute(uri: "/v1/staff?department=prom", method: .get, headers: ServiceHarness.authorized) { response in
                let list = try response.body.decode(ItemList<StaffMember>.self)
                #expect(list.items.count == 3)
                #expect(list.items.allSatisfy { $0.departmentCode == "prom" })
            }
            try await client.execute(uri: "/v1/departments", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("a staff member outside a department must be the head of sales")
    func staffRulesAreEnforcedByTheDatabase() async throws {
        try await ServiceHarness.withLiveService(
            .leads, migrationsDirectory: LeadsMigrations.directory, routes: addLeadsRoutes
        ) { _, url in
            await #expect(throws: (any Error).self) {
                try await ServiceHarness.applySQL(
                    "INSERT INTO staff (id, name, email, role) VALUES (gen_random_uuid(), 'X', 'x@example.com', 'manager')",
                    databaseURL: url)
            }
        }
    }
}
