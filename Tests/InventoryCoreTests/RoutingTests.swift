import Contracts
import Foundation
import HummingbirdTesting
import Logging
import Messaging
import NIOCore
import PostgresNIO
import Testing
import TestSupport

@testable import InventoryCore

/// Buyer orders routed against a real database with the demo catalog and stock: reservations
/// FEFO, production and supplier orders, receipts, shipments, cancellation, and the ledger's
/// invariants under concurrency and a random mix of operations.
@Suite("Inventory: routing buyer orders, receipts and shipments")
struct RoutingTests {
    static let logger = Logger(label: "test.inventory.routing")
    let store = InventoryStore(receivingWarehouse: "MSK-1")

    func withInventory(_ body: @escaping @Sendable (any TestClientProtocol, PostgresClient) async throws -> Void) async throws {
        try await ServiceHarness.withLiveService(
            .inventory, migrationsDirectory: InventoryMigrations.directory, routes: addInventoryRoutes, seed: ["infra/demo/inventory.sql"]
        ) { client, url in
            try await TemporaryDatabase.withClient(url: url) { postgres in try await body(client, postgres) }
        }
    }

    static func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    static func order(_ lines: [(String, String)], deal: UUID = UUID()) -> BuyerOrderPlaced {
        BuyerOrderPlaced(
            orderId: UUID(), dealId: deal, lines: lines.map { OrderLine(lineId: UUID(), sku: $0.0, quantity: d($0.1)) }, placedAt: Date())
    }

    @discardableResult
    func route(_ order: BuyerOrderPlaced, _ postgres: PostgresClient) async throws -> [OutboxEvent] {
        try await postgres.withTransaction(logger: Self.logger) { connection in
            try await store.route(order, cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: Self.logger)
        }
    }

    @discardableResult
    func post(_ movement: MovementBody, _ postgres: PostgresClient) async throws -> [OutboxEvent] {
        try await postgres.withTransaction(logger: Self.logger) { connection in
            try await store.post(movement, cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: Self.logger)
        }
    }

    func orderView(_ id: UUID, _ client: some TestClientProtocol) async throws -> OrderView {
        let reply = try await client.call(.get, "/v1/orders/\(id)")
        #expect(reply.status == 200, "\(reply.body)")
        return try reply.decode(OrderView.self)
    }

    func scalar(_ sql: String, _ postgres: PostgresClient) async throws -> String? {
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
        for try await value in rows.decode(String?.self) { return value }
        return nil
    }

    /// Every balance agrees with the ledger and the reservations, and the database's invariants hold.
    func ledgerDisagreements(_ postgres: PostgresClient) async throws -> String? {
        try await scalar(
            """
            SELECT count(*)::text FROM stock_buckets b
            WHERE b.on_hand <> coalesce((SELECT sum(m.quantity) FROM stock_movements m
                    WHERE m.sku = b.sku AND m.warehouse_code = b.warehouse_code AND m.lot_id IS NOT DISTINCT FROM b.lot_id), 0)
               OR b.reserved <> coalesce((SELECT sum(r.quantity) FROM reservations r WHERE r.bucket_id = b.id AND r.state = 'active'), 0)
               OR b.reserved > b.on_hand OR b.on_hand < 0
            """, postgres)
    }

    @Test("an order with a stocked, a manufactured and a purchased line ships complete once production is done and the delivery is received")
    func threeRoutesShipComplete() async throws {
        try await withInventory { client, postgres in
            let placed = Self.order([("PMP-100", "2"), ("CMP-07", "1"), ("SIM-01", "1")])
            let events = try await route(placed, postgres)
            let types = events.map(\.envelope.type)
            #expect(types.contains("StockReserved") && types.contains("ProductionOrdered") && types.contains("PurchaseOrdered"))
            #expect(types.contains("OrderRouted") && types.contains("StockLevelChanged"))
            #expect(Set(events.filter { $0.envelope.type != "StockLevelChanged" }.map(\.envelope.key)) == [placed.dealId.uuidString.lowercased()])

            var order = try await orderView(placed.orderId, client)
            #expect(order.lines.map(\.state) == ["reserved", "in_production", "ordered_from_supplier"])
            let early = try await client.call(.post, "/v1/shipments", #"{"orderId":"\#(placed.orderId)"}"#)
            #expect(early.status == 409 && early.body.contains("CMP-07") && early.body.contains("SIM-01"), "\(early.body)")

            let production = try #require(order.supplyOrders.first { $0.kind == "production" })
            let purchase = try #require(order.supplyOrders.first { $0.kind == "purchase" })
            #expect(production.state == "planned" && purchase.state == "sent" && purchase.supplier == "SimTech GmbH")
            let half = try await client.call(.post, "/v1/production-orders/\(production.id)/progress", #"{"readiness":50,"expectedOn":"2026-12-20"}"#)
            #expect(half.status == 200, "\(half.body)")
            #expect(try half.decode(SupplyOrderView.self).state == "in_progress")
            let back = try await client.call(.post, "/v1/production-orders/\(production.id)/progress", #"{"readiness":40}"#)
            #expect(back.status == 409)
            #expect(try await client.call(.post, "/v1/production-orders/\(production.id)/progress", #"{"readiness":100}"#).status == 200)
            #expect(try await client.call(.post, "/v1/supplier-orders/\(purchase.id)/confirm", #"{"expectedOn":"2026-12-10"}"#).status == 200)
            #expect(try await client.call(.post, "/v1/supplier-orders/\(purchase.id)/receipt", #"{"warehouse":"EKB-1"}"#).status == 200)

            order = try await orderView(placed.orderId, client)
            #expect(order.lines.map(\.state) == ["reserved", "reserved", "reserved"])
            let shipped = try await client.call(.post, "/v1/shipments", #"{"orderId":"\#(placed.orderId)"}"#)
            #expect(shipped.status == 201, "\(shipped.body)")
            let shipment = try shipped.decode(ShipmentView.self)
            #expect(shipment.orderComplete && shipment.number.hasPrefix("SN-"))
            #expect(Set(shipment.lines.map(\.warehouse)) == ["MSK-1", "EKB-1"])

            order = try await orderView(placed.orderId, client)
            #expect(order.state == "shipped" && order.lines.allSatisfy { $0.state == "shipped" })
            #expect(Set(order.documents.map(\.kind)) == ["warehouse_order", "production_order", "supplier_order", "shipment_note"])
            let note = try await client.call(.get, "/v1/documents/\(shipment.number)")
            #expect(note.status == 200 && note.body.contains("SIM-01"), "\(note.body)")
            #expect(try await scalar("SELECT sum(on_hand)::text FROM stock_buckets WHERE sku = 'PMP-100'", postgres) == "14.000", "16 in two warehouses, 2 shipped")
            #expect(try await ledgerDisagreements(postgres) == "0")
        }
    }

    @Test("5 in stock and 8 ordered reserves 5 and produces 3")
    func splitLine() async throws {
        try await withInventory { client, postgres in
            try await post(MovementBody(kind: .receipt, sku: "PMP-250", warehouse: "MSK-1", quantity: 3, reason: "count"), postgres)
            let placed = Self.order([("PMP-250", "8")])
            let events = try await route(placed, postgres)
            let routed = try #require(events.first { $0.envelope.type == "OrderRouted" }).envelope.payload(as: OrderRouted.self)
            #expect(routed.lines.first?.reserved == 5 && routed.lines.first?.toProduce == 3)
            let order = try await orderView(placed.orderId, client)
            #expect(order.lines.first?.reserved == "5.000" && order.lines.first?.inProduction == "3.000")
            #expect(order.supplyOrders.map(\.quantity) == ["3.000"])
        }
    }

    @Test("lot-tracked goods are reserved earliest expiry first, across lots")
    func fefoAcrossLots() async throws {
        try await withInventory { client, postgres in
            let placed = Self.order([("SEAL-KIT", "50")])
            let events = try await route(placed, postgres)
            let reserved = try events.filter { $0.envelope.type == "StockReserved" }.map { try $0.envelope.payload(as: StockReserved.self) }
            #expect(reserved.map(\.lot) == ["SK-2025-03", "SK-2025-09"])
            #expect(reserved.map(\.quantity) == [40, 10])
        }
    }

    @Test("an expired lot is never reserved")
    func expiredLotSkipped() async throws {
        try await withInventory { client, postgres in
            try await post(MovementBody(
                kind: .receipt, sku: "LUB-5L", warehouse: "MSK-1", lot: "LB-OLD", producedOn: "2024-01-01", expiresOn: "2025-01-01",
                quantity: 100, reason: "found in the back"), postgres)
            let placed = Self.order([("LUB-5L", "30")])
            let events = try await route(placed, postgres)
            let reserved = try events.filter { $0.envelope.type == "StockReserved" }.map { try $0.envelope.payload(as: StockReserved.self) }
            #expect(reserved.map(\.lot) == ["LB-2026-02"] && reserved.map(\.quantity) == [25])
            let routed = try #require(events.first { $0.envelope.type == "OrderRouted" }).envelope.payload(as: OrderRouted.self)
            #expect(routed.lines.first?.toPurchase == 5)
        }
    }

    @Test("50 concurrent orders competing for 10 units never reserve more than 10")
    func contention() async throws {
        try await withInventory { _, postgres in
            try await postgres.query(
                "INSERT INTO products (sku, name, equipment_type, unit, sourcing) VALUES ('HOT-1', 'Popular pump', 'pumps', 'pcs', 'stocked')",
                logger: Self.logger)
            try await post(MovementBody(kind: .receipt, sku: "HOT-1", warehouse: "MSK-1", quantity: 10, reason: "receipt"), postgres)
            let orders = (0..<50).map { Self.order([("HOT-1", "\($0 % 3 + 1)")]) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for order in orders { group.addTask { try await route(order, postgres) } }
                try await group.waitForAll()
            }
            #expect(try await scalar("SELECT sum(quantity)::text FROM reservations WHERE state = 'active'", postgres) == "10.000")
            #expect(try await scalar("SELECT reserved::text FROM stock_buckets WHERE sku = 'HOT-1'", postgres) == "10.000")
            #expect(try await scalar(
                """
                SELECT count(*)::text FROM order_lines l
                WHERE l.quantity <> l.backordered + coalesce((SELECT sum(quantity) FROM reservations r WHERE r.line_id = l.id), 0)
                """, postgres) == "0", "every unit of every line is reserved or backordered")
            #expect(try await ledgerDisagreements(postgres) == "0")
        }
    }

    @Test("the same BuyerOrderPlaced delivered twice reserves once")
    func idempotentRouting() async throws {
        try await withInventory { _, postgres in
            let placed = Self.order([("PMP-100", "3")])
            let first = try await route(placed, postgres)
            let again = try await route(placed, postgres)
            #expect(!first.isEmpty && again.isEmpty)
            #expect(try await scalar("SELECT sum(quantity)::text FROM reservations", postgres) == "3.000")
        }
    }

    @Test("a cancelled order releases its reservations and cancels its planned production; a late order is never routed")
    func cancellation() async throws {
        try await withInventory { client, postgres in
            let placed = Self.order([("PMP-100", "4"), ("CMP-07", "2")])
            try await route(placed, postgres)
            let events = try await postgres.withTransaction(logger: Self.logger) { connection in
                try await store.cancel(
                    BuyerOrderCancelled(orderId: placed.orderId, dealId: placed.dealId, cancelledAt: Date()),
                    cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: Self.logger)
            }
            #expect(events.map(\.envelope.type).filter { $0 != "StockLevelChanged" } == ["ReservationReleased", "SupplyCancelled"])
            let order = try await orderView(placed.orderId, client)
            #expect(order.state == "cancelled" && order.supplyOrders.map(\.state) == ["cancelled"])
            #expect(try await scalar("SELECT sum(reserved)::text FROM stock_buckets WHERE sku = 'PMP-100'", postgres) == "0.000")

            // Cancelled before it was placed (events of one deal arrive in order, but be safe): a tombstone.
            let late = Self.order([("PMP-100", "1")])
            _ = try await postgres.withTransaction(logger: Self.logger) { connection in
                try await store.cancel(
                    BuyerOrderCancelled(orderId: late.orderId, dealId: late.dealId, cancelledAt: Date()),
                    cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: Self.logger)
            }
            let routed = try await route(late, postgres)
            #expect(routed.isEmpty)
        }
    }

    @Test("a backordered line is served by the next receipt")
    func backorderFilledByReceipt() async throws {
        try await withInventory { client, postgres in
            let placed = Self.order([("PMP-100", "20")])
            try await route(placed, postgres)
            #expect(try await orderView(placed.orderId, client).lines.first?.backordered == "4.000")
            let events = try await post(MovementBody(kind: .receipt, sku: "PMP-100", warehouse: "MSK-1", quantity: 6, reason: "delivery"), postgres)
            #expect(events.map(\.envelope.type).contains("StockReserved"))
            let line = try #require(try await orderView(placed.orderId, client).lines.first)
            #expect(line.backordered == "0.000" && line.reserved == "20.000" && line.state == "reserved")
        }
    }

    @Test("an order naming a product the catalog does not know is rejected (dead-lettered), naming it")
    func unknownProductRejected() async throws {
        try await withInventory { _, postgres in
            do {
                try await route(Self.order([("NOPE-1", "1")]), postgres)
                Issue.record("an unknown product was routed")
            } catch let error as PostgresTransactionError {
                let rejected = try #require(error.closureError as? EventRejected)
                #expect(rejected.reason.contains("NOPE-1"))
            }
        }
    }

    @Test("after a random mix of receipts, adjustments, transfers, orders, cancellations and shipments the ledger agrees")
    func randomMixKeepsInvariants() async throws {
        try await withInventory { client, postgres in
            var random = SplitMix64(seed: 20261130)
            var open: [BuyerOrderPlaced] = []
            let skus = ["PMP-100", "PMP-250", "SEAL-KIT", "LUB-5L", "CMP-07"]
            var refused = 0
            for _ in 0..<120 {
                let sku = skus[Int(random.next() % UInt64(skus.count))]
                let lot: String? = sku == "SEAL-KIT" ? "SK-2025-0\(random.next() % 2 == 0 ? 3 : 9)" : (sku == "LUB-5L" ? "LB-2026-02" : nil)
                let quantity = Decimal(Int(random.next() % 7) + 1)
                do {
                    switch random.next() % 6 {
                    case 0:
                        try await post(MovementBody(kind: .receipt, sku: sku, warehouse: "MSK-1", lot: lot, quantity: quantity, reason: "mix"), postgres)
                    case 1:
                        try await post(MovementBody(kind: .adjustment, sku: sku, warehouse: "MSK-1", lot: lot, quantity: -quantity, reason: "count"), postgres)
                    case 2:
                        try await post(MovementBody(
                            kind: .transfer, sku: sku, warehouse: "MSK-1", toWarehouse: "EKB-1", lot: lot, quantity: quantity, reason: "rebalance"), postgres)
                    case 3, 4:
                        let placed = Self.order([(sku, "\(quantity)")])
                        try await route(placed, postgres)
                        open.append(placed)
                    default:
                        guard !open.isEmpty else { continue }
                        let placed = open.remove(at: Int(random.next() % UInt64(open.count)))
                        if random.next() % 2 == 0 {
                            _ = try await postgres.withTransaction(logger: Self.logger) { connection in
                                try await store.cancel(
                                    BuyerOrderCancelled(orderId: placed.orderId, dealId: placed.dealId, cancelledAt: Date()),
                                    cause: Cause(now: Date(), correlationID: UUID()), on: connection, logger: Self.logger)
                            }
                        } else {
                            let reply = try await client.call(.post, "/v1/shipments", #"{"orderId":"\#(placed.orderId)","partial":true}"#)
                            #expect(reply.status == 201 || reply.status == 409, "\(reply.body)")
                        }
                    }
                } catch {
                    // Taking away more than is free is refused by the database's invariants; nothing else may fail.
                    #expect("\(String(reflecting: error))".contains("on_hand_never_negative")
                        || "\(String(reflecting: error))".contains("reserved_within_on_hand"), "\(String(reflecting: error))")
                    refused += 1
                }
            }
            #expect(try await ledgerDisagreements(postgres) == "0")
            let shippedDisagreements = try await scalar(
                """
                SELECT count(*)::text FROM order_lines l
                WHERE l.shipped <> coalesce((SELECT sum(quantity) FROM reservations r WHERE r.line_id = l.id AND r.state = 'shipped'), 0)
                """, postgres)
            #expect(shippedDisagreements == "0")
            Self.logger.info("random mix", metadata: ["refused": "\(refused)"])
        }
    }

    @Test("a scanned GS1 code names the product and its lot; a bad check digit is 422 naming it")
    func scans() async throws {
        try await withInventory { client, _ in
            let ok = try await client.call(.post, "/v1/scans", #"{"code":"(01)04600000000060(17)270301(10)SK-2025-03"}"#)
            #expect(ok.status == 200, "\(ok.body)")
            let result = try ok.decode(ScanResult.self)
            #expect(result.product.sku == "SEAL-KIT" && result.lot?.known == true && result.lot?.onHand == "40.000")
            let raw = try await client.call(.post, "/v1/scans", "{\"code\":\"]C10104600000000060172703011\\u001dSK-NEW\\u001d\"}")
            #expect(raw.status == 200 || raw.status == 422, "\(raw.body)")
            let bad = try await client.call(.post, "/v1/scans", #"{"code":"4600000000017"}"#)
            #expect(bad.status == 422 && bad.body.contains("should be 5"), "\(bad.body)")
            let unknown = try await client.call(.post, "/v1/scans", #"{"code":"4006381333931"}"#)
            #expect(unknown.status == 404)
        }
    }

    @Test("a CSV with one bad row imports nothing and reports the row")
    func importAllOrNothing() async throws {
        try await withInventory { client, postgres in
            func upload(_ kind: String, _ csv: String) async throws -> APIReply {
                var headers = ServiceHarness.authorized
                headers[.contentType] = "text/csv; charset=utf-8"
                return try await client.execute(uri: "/v1/imports/\(kind)", method: .post, headers: headers, body: ByteBuffer(string: csv)) {
                    APIReply(status: Int($0.status.code), body: String(buffer: $0.body), etag: nil)
                }
            }
            let catalog = """
                sku,name,equipment_type,sourcing,default_supplier,lot_tracked,shelf_life_days,gtin
                VLV-1,"Клапан, обратный",valves,stocked,,false,,
                VLV-2,Gate valve,valves,purchased,,false,,
                VLV-3,Ball valve,valves,manufactured,,false,,
                """
            let refused = try await upload("catalog", catalog)
            #expect(refused.status == 422 && refused.body.contains("\"line\":3"), "\(refused.body)")
            #expect(try await scalar("SELECT count(*)::text FROM products WHERE sku LIKE 'VLV-%'", postgres) == "0")

            let fixed = catalog.replacingOccurrences(of: "purchased,,", with: "purchased,Valve Works,")
            #expect(try await upload("catalog", fixed).status == 200)
            #expect(try await scalar("SELECT name FROM products WHERE sku = 'VLV-1'", postgres) == "Клапан, обратный")

            let stock = "sku,warehouse,quantity\nVLV-1,MSK-1,5\nVLV-2,NOWHERE,3\nVLV-3,MSK-1,2\n"
            let badStock = try await upload("stock", stock)
            #expect(badStock.status == 422 && badStock.body.contains("\"line\":3") && badStock.body.contains("NOWHERE"), "\(badStock.body)")
            #expect(try await scalar("SELECT count(*)::text FROM stock_movements WHERE sku LIKE 'VLV-%'", postgres) == "0")
            let goodStock = try await upload("stock", stock.replacingOccurrences(of: "NOWHERE", with: "EKB-1"))
            #expect(goodStock.status == 200, "\(goodStock.body)")
            #expect(try await scalar("SELECT sum(on_hand)::text FROM stock_buckets WHERE sku LIKE 'VLV-%'", postgres) == "10.000")
            // The import's level events are written by SQL: they must read back as the contract says.
            let envelopes = try await postgres.query(
                "SELECT envelope FROM outbox WHERE event_type = 'StockLevelChanged' ORDER BY position", logger: Self.logger
            ).collect().map { try $0.decode(String.self) }
            let levels = try envelopes.map { try EventEnvelope.decode(Array($0.utf8)).get() }
            #expect(levels.map(\.key) == ["VLV-1", "VLV-2", "VLV-3"] && levels.allSatisfy { $0.source == "inventory" })
            let vlv2 = try levels[1].payload(as: StockLevelChanged.self)
            #expect(vlv2.warehouse == "EKB-1" && vlv2.onHand == 3 && vlv2.available == 3 && vlv2.reserved == 0)
            #expect(try await ledgerDisagreements(postgres) == "0")
        }
    }
}

@Suite("Inventory: lots close to expiry")
struct LotExpiryTests {
    @Test("a lot with stock expiring within the warning period is announced once; an empty or distant one is not")
    func expiringLotAnnouncedOnce() async throws {
        try await ServiceHarness.withLiveService(
            .inventory, migrationsDirectory: InventoryMigrations.directory, routes: addInventoryRoutes, seed: ["infra/demo/inventory.sql"]
        ) { _, url in
            try await TemporaryDatabase.withClient(url: url) { postgres in
                // The demo's lots expire 2027-02-10 (LUB-5L, 25 on hand), 2027-03-01 and 2027-09-01 (SEAL-KIT).
                let now = try #require(ISO8601DateFormatter().date(from: "2027-01-20T08:00:00Z"))
                let watch = LotExpiryWatch(client: postgres, warningDays: 30, logger: RoutingTests.logger, clock: { now })
                #expect(try await watch.fireDue(limit: 100) == 1)
                #expect(try await watch.fireDue(limit: 100) == 0, "announced once")
                let envelope = try #require(try await ServiceHarness.scalar(
                    "SELECT envelope FROM outbox WHERE event_type = 'LotExpiringSoon'", databaseURL: url))
                let event = try EventEnvelope.decode(Array(envelope.utf8)).get().payload(as: LotExpiringSoon.self)
                #expect(event.sku == "LUB-5L" && event.lot == "LB-2026-02" && event.expiresOn == "2027-02-10" && event.onHand == 25)
            }
        }
    }
}
