import Contracts
import Foundation
import Testing
import TestSupport

/// `inventory` and `dealer-info` as real processes on a broker of the test's own: a stock change
/// in inventory appears in the dealers' stock series, as each dealer may see it.
@Suite("Stock to dealers", .serialized)
struct StockToDealersTests {
    struct Key: Decodable { var key: String }
    struct Stock: Decodable { var items: [Item]; var nextCursor: Int64; struct Item: Decodable { var sku: String; var available: String?; var level: String } }

    @Test("a stock change in inventory appears in the dealers' stock series: the quantity for a gold dealer, a level for the others")
    func stockChangeReachesDealers() async throws {
        try await ScratchSuite.with(
            [.inventory, .dealerInfo], seed: [.inventory: ["infra/demo/inventory.sql"], .dealerInfo: ["infra/demo/dealer-info.sql"]]
        ) { suite in
            let inventory = suite[.inventory], dealerInfo = suite[.dealerInfo]
            let gold = try await dealerInfo.call(Key.self, "POST", "/v1/dealers/D-MSK-01/keys", json: "{}", expect: 201).key
            let bronze = try await dealerInfo.call(Key.self, "POST", "/v1/dealers/D-NSK-01/keys", json: "{}", expect: 201).key
            func stock(_ key: String, after: Int64 = 0) async throws -> Stock {
                let reply = try await dealerInfo.send("GET", "/v1/dealer/stock?after=\(after)", headers: ["Authorization": "Bearer \(key)"])
                guard reply.status == 200 else { throw UnexpectedResponse(description: "\(reply.status) \(reply.body)") }
                return try JSONDecoder().decode(Stock.self, from: Data(reply.body.utf8))
            }
            #expect(try await stock(gold).items.isEmpty)

            let receipt = #"{"kind":"receipt","sku":"PMP-100","warehouse":"MSK-1","quantity":5,"reason":"delivery"}"#
            #expect(try await inventory.send("POST", "/v1/stock/movements", json: receipt).status == 204)
            var seen: Stock?
            try await eventually("the level to reach dealer-info", timeout: .seconds(60)) {
                seen = try await stock(gold)
                return seen?.items.first?.sku == "PMP-100" ? nil : "\(seen?.items.map(\.sku) ?? [])"
            }
            #expect(seen?.items.first?.available == "17.000" && seen?.items.first?.level == "in_stock", "12 of the demo + 5 in MSK-1")
            let bronzeView = try await stock(bronze)
            #expect(bronzeView.items.first?.available == nil && bronzeView.items.first?.level == "in_stock")

            // Only what changed after the cursor comes next.
            let cursor = try #require(seen?.nextCursor)
            let issue = #"{"kind":"adjustment","sku":"SEAL-KIT","warehouse":"MSK-1","lot":"SK-2025-03","quantity":-35,"reason":"count"}"#
            #expect(try await inventory.send("POST", "/v1/stock/movements", json: issue).status == 204)
            try await eventually("the second change to reach dealer-info", timeout: .seconds(60)) {
                let next = try await stock(gold, after: cursor)
                return next.items.map(\.sku) == ["SEAL-KIT"] ? nil : "\(next.items.map(\.sku))"
            }
            let seals = try await stock(gold, after: cursor).items.first
            #expect(seals?.available == "65.000" && seals?.level == "in_stock", "5 left of SK-2025-03 and 60 of SK-2025-09")
        }
    }
}
