import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import DealerInfoCore

@Suite("Dealer-info: the dealer network")
struct DemoNetworkTests {
    @Test("the demo network lists every dealer with its shop count")
    func dealersAreServed() async throws {
        try await ServiceHarness.withLiveService(
            .dealerInfo, migrationsDirectory: DealerInfoMigrations.directory, routes: addDealerInfoRoutes,
            seed: ["infra/demo/dealer-info.sql", "infra/demo/dealer-info.sql"]
        ) { client, _ in
            try await client.execute(uri: "/v1/dealers", method: .get, headers: ServiceHarness.authorized) { response in
                #expect(response.status == .ok)
                let dealers = try response.body.decode(DealerList.self).items
                #expect(dealers.count == 5)
                #expect(dealers.first { $0.code == "D-MSK-01" }?.shopCount == 3)
                #expect(dealers.reduce(0) { $0 + $1.shopCount } == 10)
            }
        }
    }
}
