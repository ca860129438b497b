import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@testable import InventoryCore

@Suite("Inventory: catalog and stock ledger")
struct DemoStockTests {
    @Test("stock balances are derived from the movements, per lot, earliest expiry first")
    func balancesFollowTheLedger() async throws {
        try await ServiceHarness.withLiveService(
            .inventory, migrationsDirectory: InventoryMigrations.directory, routes: addInventoryRoutes,
            seed: ["infra/demo/inventory.sql", "infra/demo/inventory.sql"]
        ) { client, url in
            try await ServiceHarness.applySQL(
                """
                INSERT INTO stock_movements (id, kind, sku, warehouse_code, quantity, reason)
                VALUES (gen_random_uuid(), 'issue', 'PMP-100', 'MSK-1', -2.5, 'test issue')
                """, databaseURL: url)
            try await client.execute(uri: "/v1/stock", method: .get, headers: ServiceHarness.authorized) { response in
                #expect(response.status == .ok)
                let items = try response.body.decode(ItemList<StockBalance>.self).items
                #expect(items.first { $0.sku == "PMP-100" && $0.warehouse == "MSK-1" }?.onHand == "9.500")
                let seals = items.filter { $0.sku == "SEAL-KIT" }
                #expect(seals.map(\.lot) == ["SK-2025-03", "SK-2025-09"])
            }
            try await client.execute(uri: "/v1/products", method: .get, headers: ServiceHarness.authorized) { response in
                let products = try response.body.decode(ItemList<Product>.self).items
                #expect(products.count == 7)
            }
        }
    }

    @Test("a zero-quantity movement is refused by the database")
    func zeroMovementIsRefused() async throws {
        try await ServiceHarness.withLiveService(
            .inventory, migrationsDirectory: InventoryMigrations.directory, routes: addInventoryRoutes,
            seed: ["infra/demo/inventory.sql"]
        ) { _, url in
            await #expect(throws: (any Error).self) {
                try await ServiceHarness.applySQL(
                    "INSERT INTO stock_movements (id, kind, sku, warehouse_code, quantity, reason) VALUES (gen_random_uuid(), 'receipt', 'PMP-100', 'MSK-1', 0, 'x')",
                    databaseURL: url)
            }
        }
    }
}
