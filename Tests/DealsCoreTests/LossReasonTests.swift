import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import DealsCore

@Suite("Deals: sales-process configuration")
struct LossReasonTests {
    @Test("only `not_suitable` makes a quality-check task for the head of department")
    func lossReasonsAreServed() async throws {
        try await ServiceHarness.withLiveService(
            .deals, migrationsDirectory: DealsMigrations.directory, routes: addDealsRoutes,
            seed: ["infra/demo/deals.sql", "infra/demo/deals.sql"]
        ) { client, _ in
            try await client.execute(uri: "/v1/loss-reasons", method: .get, headers: ServiceHarness.authorized) { response in
                #expect(response.status == .ok)
                let reasons = try response.body.decode(LossReasonList.self).items
                #expect(reasons.count == 5)
                #expect(reasons.filter(\.createsQualityTask).map(\.code) == ["not_suitable"])
            }
        }
    }
}
