import Contracts
import Foundation
import Testing
import TestSupport

/// `deals` and `inventory` as real processes on a broker of the test's own: a buyer order is
/// routed line by line (stock, production, supplier), shipped, and the deal closes with every
/// document linked; a deal lost after ordering cancels the order in inventory.
@Suite("From buyer order to closed deal", .serialized)
struct OrderFulfilmentTests {
    static let seed: [ServiceName: [String]] = [.deals: ["infra/demo/deals.sql"], .inventory: ["infra/demo/inventory.sql"]]
    static let manager = "6b0f6a9e-4d2c-4b7e-9a51-000000000003"  // anna, alto (infra/demo/deals.sql)

    struct DealView: Decodable {
        var deal: Deal
        struct Deal: Decodable { var id: UUID; var stage: String; var version: Int }
    }
    struct Items<T: Decodable>: Decodable { var items: [T] }
    struct Line: Decodable { var sku: String; var state: String; var readiness: Int?; var expectedOn: String? }
    struct Supply: Decodable { var id: UUID; var kind: String; var orderId: UUID?; var state: String }
    struct Document: Decodable { var kind: String; var number: String }
    struct Task: Decodable { var id: UUID; var kind: String }

    /// A deal with one stocked line (PMP-100), one made in-house (CMP-07) and one bought (SIM-01,
    /// a simulation system that needs certification), moved to the contract stage.
    func dealInContract(_ deals: ServiceProcess, lines: String) async throws -> UUID {
        let body = #"""
            {"needs":"Насосная станция и стенд","legalEntity":{"name":"АО «Северный рудник»","taxId":"5190000000",
             "paymentDetails":"р/с 40702810000000000002","address":"Мурманск"},
             "contacts":[{"name":"Олег Петров","phone":"+79210000000"}],
             "managerId":"\#(Self.manager)","departmentCode":"alto","currency":"RUB","lines":\#(lines)}
            """#
        let opened = try await deals.call(DealView.self, "POST", "/v1/deals", json: body, expect: 201)
        _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(opened.deal.id)/stage", json: #"{"to":"contract"}"#)
        return opened.deal.id
    }

    @Test("a deal with a line in stock, one made in-house and one bought ends closed after inventory ships everything and payment arrives, with all documents linked")
    func orderShipsAndDealCloses() async throws {
        try await ScratchSuite.with([.deals, .inventory], seed: Self.seed) { suite in
            let deals = suite[.deals], inventory = suite[.inventory]
            let id = try await dealInContract(deals, lines: """
                [{"sku":"PMP-100","name":"Pump CP-100","equipmentType":"pumps","quantity":2,"unitPrice":{"amount":"250000.00","currency":"RUB"}},
                 {"sku":"CMP-07","name":"Compressor SC-7","equipmentType":"compressors","quantity":1,"unitPrice":{"amount":"900000.00","currency":"RUB"}},
                 {"sku":"SIM-01","name":"Simulator PS-1","equipmentType":"simulation","quantity":1,"unitPrice":{"amount":"350000.00","currency":"RUB"}}]
                """)
            let ordered = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/order")
            #expect(ordered.deal.stage == "fulfilment")

            // Inventory routes the three lines: reserved, a production order, a supplier order; deals shows it.
            var supplies: [Supply] = []
            try await eventually("inventory to route the order", timeout: .seconds(60)) {
                supplies = try await inventory.call(Items<Supply>.self, "GET", "/v1/production-orders").items
                    + (try await inventory.call(Items<Supply>.self, "GET", "/v1/supplier-orders").items)
                return supplies.count == 2 ? nil : "\(supplies.count) supply orders"
            }
            try await eventually("deals to show each line's route", timeout: .seconds(60)) {
                let lines = try await deals.call(Items<Line>.self, "GET", "/v1/deals/\(id)/fulfilment").items
                return lines.map(\.state) == ["reserved", "in_production", "ordered_from_supplier"] ? nil : "\(lines.map(\.state))"
            }
            let production = try #require(supplies.first { $0.kind == "production" })
            let purchase = try #require(supplies.first { $0.kind == "purchase" })
            let orderID = try #require(production.orderId)

            _ = try await inventory.send("POST", "/v1/production-orders/\(production.id)/progress", json: #"{"readiness":60,"expectedOn":"2026-12-20"}"#)
            try await eventually("the plant's progress to reach the deal", timeout: .seconds(60)) {
                let line = try await deals.call(Items<Line>.self, "GET", "/v1/deals/\(id)/fulfilment").items.first { $0.sku == "CMP-07" }
                return line?.readiness == 60 && line?.expectedOn == "2026-12-20" ? nil : "\(String(describing: line))"
            }
            #expect(try await inventory.send("POST", "/v1/production-orders/\(production.id)/progress", json: #"{"readiness":100}"#).status == 200)
            #expect(try await inventory.send("POST", "/v1/supplier-orders/\(purchase.id)/confirm", json: "{}").status == 200)
            #expect(try await inventory.send("POST", "/v1/supplier-orders/\(purchase.id)/receipt", json: "{}").status == 200)
            let shipment = try await inventory.send("POST", "/v1/shipments", json: #"{"orderId":"\#(orderID)"}"#)
            #expect(shipment.status == 201, "\(shipment.body)")

            // Everything shipped: the deal moves on by itself (a simulation line needs certification).
            try await eventually("the deal to move on once everything shipped", timeout: .seconds(60)) {
                let stage = try await deals.call(DealView.self, "GET", "/v1/deals/\(id)").deal.stage
                return stage == "certification" ? nil : stage
            }
            let lines = try await deals.call(Items<Line>.self, "GET", "/v1/deals/\(id)/fulfilment").items
            #expect(lines.allSatisfy { $0.state == "shipped" }, "\(lines)")

            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/steps/certified", json: #"{"document":{"number":"RU C-RU.AB12.B.00042","issuedBy":"ТестСерт"}}"#)
            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/stage", json: #"{"to":"commissioning"}"#)
            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/steps/commissioned", json: #"{"document":{"number":"ACT-7"}}"#)
            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/stage", json: #"{"to":"service"}"#)
            let tasks = try await deals.call(Items<Task>.self, "GET", "/v1/deals/\(id)/tasks").items
            let offer = try #require(tasks.first { $0.kind == "offer_service" })
            #expect(try await deals.send("POST", "/v1/tasks/\(offer.id)/complete", json: #"{"outcome":"agreed"}"#).status == 200)
            let conclude = try #require(try await deals.call(Items<Task>.self, "GET", "/v1/deals/\(id)/tasks").items.first { $0.kind == "conclude_service_contract" })
            #expect(try await deals.send("POST", "/v1/tasks/\(conclude.id)/complete", json: #"{"outcome":"signed"}"#).status == 200)
            let payment = #"{"amount":{"amount":"1750000.00","currency":"RUB"},"reference":"PP-77","date":"2026-12-28"}"#
            #expect(try await deals.send("POST", "/v1/deals/\(id)/payments", json: payment).status == 200)
            let closed = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/stage", json: #"{"to":"closed"}"#)
            #expect(closed.deal.stage == "closed")

            let documents = try await deals.call(Items<Document>.self, "GET", "/v1/deals/\(id)/documents").items
            #expect(Set(documents.map(\.kind)).isSuperset(of: [
                "buyer_order", "contract", "invoice", "warehouse_order", "production_order", "supplier_order", "shipment_note", "certificate",
                "commissioning_act", "service_contract",
            ]), "\(documents.map(\.kind))")
            let invoice = try #require(documents.first { $0.kind == "invoice" })
            #expect(invoice.number.hasPrefix("INV-"))
            let fetched = try await deals.send("GET", "/v1/deals/\(id)/documents/\(invoice.number)")
            #expect(fetched.status == 200 && fetched.body.contains("1750000"), "\(fetched.body)")
        }
    }

    @Test("a deal lost after ordering cancels the order in inventory: reservations released, planned production cancelled")
    func lostAfterOrderingCancels() async throws {
        try await ScratchSuite.with([.deals, .inventory], seed: Self.seed) { suite in
            let deals = suite[.deals], inventory = suite[.inventory]
            let id = try await dealInContract(deals, lines: """
                [{"sku":"PMP-100","name":"Pump CP-100","equipmentType":"pumps","quantity":3,"unitPrice":{"amount":"250000.00","currency":"RUB"}},
                 {"sku":"PMP-250","name":"Pump CP-250","equipmentType":"pumps","quantity":5,"unitPrice":{"amount":"400000.00","currency":"RUB"}}]
                """)
            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/order")
            var production: [Supply] = []
            try await eventually("inventory to route the order", timeout: .seconds(60)) {
                production = try await inventory.call(Items<Supply>.self, "GET", "/v1/production-orders").items
                return production.count == 1 ? nil : "\(production.count) production orders"
            }
            let reservedBefore = try await ServiceHarness.scalar(
                "SELECT sum(reserved)::text FROM stock_buckets", databaseURL: suite.databases[.inventory]!)
            #expect(reservedBefore == "5.000", "3 of PMP-100 and the 2 PMP-250 in stock")

            _ = try await deals.call(DealView.self, "POST", "/v1/deals/\(id)/lose", json: #"{"reason":"competitor","comment":"cheaper elsewhere"}"#)
            try await eventually("inventory to cancel the order", timeout: .seconds(60)) {
                let state = try await inventory.call(Items<Supply>.self, "GET", "/v1/production-orders").items.first?.state
                return state == "cancelled" ? nil : state
            }
            let orderID = try #require(production.first?.orderId)
            let order = try await inventory.send("GET", "/v1/orders/\(orderID)")
            #expect(order.body.contains(#""state":"cancelled""#), "\(order.body)")
            #expect(try await ServiceHarness.scalar(
                "SELECT sum(reserved)::text FROM stock_buckets", databaseURL: suite.databases[.inventory]!) == "0.000")
            try await eventually("deals to see the reservations released", timeout: .seconds(60)) {
                let lines = try await deals.call(Items<Line>.self, "GET", "/v1/deals/\(id)/fulfilment").items
                return lines.allSatisfy { $0.state == "waiting_for_stock" } ? nil : "\(lines.map(\.state))"
            }
        }
    }
}
