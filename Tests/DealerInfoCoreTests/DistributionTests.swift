import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceKit
import Synchronization
import HummingbirdTesting
import Testing
import TestSupport

@testable import DealerInfoCore

/// Head office publishes; each dealer, with its own key, pulls only what was addressed to it,
/// fetches deltas, sends receipts and its shops' reports — over HTTP against a real database with
/// the demo network (five dealers, ten shops).
@Suite("Dealer-info: publications, feeds, receipts, isolation and shop reports")
struct DistributionTests {
    func withDealerInfo(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        try await ServiceHarness.withLiveService(
            .dealerInfo, migrationsDirectory: DealerInfoMigrations.directory, routes: addDealerInfoRoutes, seed: ["infra/demo/dealer-info.sql"], body)
    }

    struct Key: Decodable { var id: UUID; var key: String }
    struct Published: Decodable { var id: UUID; var version: Int; var recipients: Int? }
    struct Feed: Decodable { var items: [Item]; var nextCursor: Int64; struct Item: Decodable, Equatable { var cursor: Int64; var publicationId: UUID; var version: Int } }
    struct Delta: Decodable { var fromVersion: Int; var toVersion: Int; var upserted: [Item]; var removed: [String]; struct Item: Decodable { var sku: String; var price: Decimal } }
    struct Deliveries: Decodable { var items: [Delivery]; struct Delivery: Decodable { var dealerCode: String; var state: String } }
    struct Behind: Decodable { var items: [Entry]; struct Entry: Decodable { var dealerCode: String; var appliedVersion: Int?; var missingVersions: [Int] } }

    func key(_ client: some TestClientProtocol, _ dealer: String) async throws -> String {
        let reply = try await client.call(.post, "/v1/dealers/\(dealer)/keys", #"{"label":"test"}"#)
        #expect(reply.status == 201, "\(reply.body)")
        return try reply.decode(Key.self).key
    }

    func asDealer(_ client: some TestClientProtocol, _ key: String, _ method: HTTPRequest.Method, _ path: String, _ json: String? = nil) async throws -> APIReply {
        try await client.call(method, path, json, headers: ["Authorization": "Bearer \(key)"])
    }

    func priceList(series: String, addressing: String, items: [(String, String)]) -> String {
        let lines = items.map { #"{"sku":"\#($0.0)","price":\#($0.1),"currency":"RUB"}"# }.joined(separator: ",")
        return #"{"series":"\#(series)","addressing":\#(addressing),"items":[\#(lines)]}"#
    }

    func publish(_ client: some TestClientProtocol, _ body: String) async throws -> Published {
        let reply = try await client.call(.post, "/v1/publications", body)
        #expect(reply.status == 201, "\(reply.body)")
        return try reply.decode(Published.self)
    }

    @Test("a price list addressed to a segment reaches exactly that segment's dealers; a feed pulled twice gives the same items and no one else's")
    func segmentAddressingAndFeed() async throws {
        try await withDealerInfo { client, _ in
            #expect(try await client.call(.put, "/v1/series/price.retail.rub", #"{"kind":"price_list","title":"Retail prices, RUB"}"#).status == 204)
            let rule = #"{"name":"Gold dealers","rule":{"all":[{"attribute":"tier","equals":"gold"}]}}"#
            #expect(try await client.call(.put, "/v1/segments/gold", rule).status == 204)
            let bad = try await client.call(.put, "/v1/segments/broken", #"{"name":"x","rule":{"attribute":"tier","sounds":"gold"}}"#)
            #expect(bad.status == 400 || bad.status == 422, "\(bad.body)")

            let published = try await publish(client, priceList(series: "price.retail.rub", addressing: #"{"segments":["gold"]}"#, items: [("PMP-100", "120000.00")]))
            #expect(published.recipients == 2 && published.version == 1)
            let deliveries = try await client.call(.get, "/v1/publications/\(published.id)/deliveries").decode(Deliveries.self)
            #expect(deliveries.items.map(\.dealerCode) == ["D-EKB-01", "D-MSK-01"] && deliveries.items.allSatisfy { $0.state == "pending" })

            let gold = try await key(client, "D-MSK-01"), silver = try await key(client, "D-SPB-01")
            let first = try await asDealer(client, gold, .get, "/v1/dealer/feed").decode(Feed.self)
            let second = try await asDealer(client, gold, .get, "/v1/dealer/feed").decode(Feed.self)
            #expect(first.items.map(\.publicationId) == [published.id] && first.items == second.items)
            #expect(try await asDealer(client, gold, .get, "/v1/dealer/feed?after=\(first.nextCursor)").decode(Feed.self).items.isEmpty)
            #expect(try await asDealer(client, silver, .get, "/v1/dealer/feed").decode(Feed.self).items.isEmpty)
            #expect(try await asDealer(client, silver, .get, "/v1/dealer/publications/\(published.id)").status == 404)
            let states = try await client.call(.get, "/v1/publications/\(published.id)/deliveries").decode(Deliveries.self)
            #expect(states.items.map(\.state) == ["pending", "delivered"])
            #expect(try await client.call(.get, "/v1/dealer/feed").status == 401, "the service token is not a dealer's key")
        }
    }

    @Test("a dealer holding version 3 gets only the delta to version 5; one that skipped version 4 is reported behind and offered the snapshot")
    func deltasAndGaps() async throws {
        try await withDealerInfo { client, _ in
            _ = try await client.call(.put, "/v1/series/price.dealer.rub", #"{"kind":"price_list","title":"Dealer prices"}"#)
            var versions: [Published] = []
            let lists: [[(String, String)]] = [
                [("A", "10.00"), ("B", "20.00"), ("C", "30.00")], [("A", "10.00"), ("B", "21.00"), ("C", "30.00")],
                [("A", "10.00"), ("B", "21.00"), ("C", "30.00"), ("D", "40.00")], [("A", "11.00"), ("B", "21.00"), ("D", "40.00")],
                [("A", "11.00"), ("B", "22.00"), ("D", "40.00"), ("E", "50.00")],
            ]
            for items in lists { versions.append(try await publish(client, priceList(series: "price.dealer.rub", addressing: #"{"all":true}"#, items: items))) }
            #expect(versions.map(\.version) == [1, 2, 3, 4, 5])

            let dealer = try await key(client, "D-NSK-01")
            let delta = try await asDealer(client, dealer, .get, "/v1/dealer/series/price.dealer.rub/delta?since=3").decode(Delta.self)
            #expect(delta.fromVersion == 3 && delta.toVersion == 5)
            #expect(delta.upserted.map(\.sku) == ["A", "B", "E"] && delta.removed == ["C"], "A and B changed, E added, C removed; D unchanged")

            let other = try await key(client, "D-KZN-01")
            for version in [versions[0], versions[1], versions[2]] {
                #expect(try await asDealer(client, other, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(version.id)","status":"applied"}"#).status == 200)
            }
            let skip = try await asDealer(client, other, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(versions[4].id)","status":"applied"}"#)
            #expect(skip.status == 200 && skip.body.contains("\"missingVersions\":[4]") && skip.body.contains("snapshot"), "\(skip.body)")
            let behind = try await client.call(.get, "/v1/series/price.dealer.rub/behind").decode(Behind.self)
            let kazan = try #require(behind.items.first { $0.dealerCode == "D-KZN-01" })
            #expect(kazan.appliedVersion == 5 && kazan.missingVersions == [4])
            #expect(behind.items.contains { $0.dealerCode == "D-MSK-01" && $0.appliedVersion == nil }, "never applied anything")
            // Taking the snapshot clears the gap.
            #expect(try await asDealer(client, other, .get, "/v1/dealer/series/price.dealer.rub/snapshot").status == 200)
            let after = try await client.call(.get, "/v1/series/price.dealer.rub/behind").decode(Behind.self)
            #expect(!after.items.contains { $0.dealerCode == "D-KZN-01" })

            // A rejection needs its reason; with one, head office sees it on the delivery.
            let bare = try await asDealer(client, dealer, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(versions[4].id)","status":"rejected"}"#)
            #expect(bare.status == 422, "\(bare.body)")
            let rejected = try await asDealer(
                client, dealer, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(versions[4].id)","status":"rejected","reason":"prices not in our ERP format"}"#)
            #expect(rejected.status == 200 && rejected.body.contains("\"rejected\""), "\(rejected.body)")
            let deliveries = try await client.call(.get, "/v1/publications/\(versions[4].id)/deliveries").decode(Deliveries.self)
            #expect(deliveries.items.first { $0.dealerCode == "D-NSK-01" }?.state == "rejected")
            #expect(try await asDealer(client, dealer, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(versions[4].id)","status":"maybe"}"#).status == 422)

            let never = try await asDealer(client, dealer, .get, "/v1/dealer/series/price.dealer.rub/delta?since=9")
            #expect(never.status == 409 && never.body.contains("snapshot"))
        }
    }

    @Test("for 20 pairs of dealers, every attempt by one to read the other's objects fails as if they did not exist")
    func isolation() async throws {
        try await withDealerInfo { client, _ in
            _ = try await client.call(.put, "/v1/series/promo.private", #"{"kind":"promotion","title":"Private terms"}"#)
            struct Own: Sendable { var code: String; var key: String; var publication: UUID; var customer: UUID; var report: UUID }
            var dealers: [Own] = []
            for n in 1...40 {
                let code = String(format: "T-%03d", n)
                #expect(try await client.call(.put, "/v1/dealers/\(code)", #"{"name":"Dealer \#(n)","legalName":"LLC \#(n)","taxId":"77\#(n)","region":"Test","tier":"silver"}"#).status == 204)
                #expect(try await client.call(.put, "/v1/dealers/\(code)/shops/\(code)-S1", #"{"name":"Shop","region":"Test","city":"Tver"}"#).status == 204)
                let key = try await key(client, code)
                let publication = try await publish(client, #"{"series":"promo.private","addressing":{"dealers":["\#(code)"]},"content":{"discount":"\#(n)%"}}"#)
                _ = try await client.call(.put, "/v1/dealers/\(code)/customers", #"{"items":[{"name":"Customer of \#(code)","taxId":"50\#(n)"}]}"#)
                struct Customers: Decodable { var items: [Customer]; struct Customer: Decodable { var id: UUID } }
                let customer = try #require(try await asDealer(client, key, .get, "/v1/dealer/customers").decode(Customers.self).items.first).id
                let report = #"{"shopCode":"\#(code)-S1","day":"2026-11-29","currency":"RUB","receipts":[{"number":"1","time":"12:00","payment":"card","kind":"sale","lines":[{"sku":"X","quantity":1,"unitPrice":100}]}]}"#
                struct Intake: Decodable { var report: Report; struct Report: Decodable { var id: UUID } }
                let reportID = try await asDealer(client, key, .post, "/v1/dealer/sales-reports", report).decode(Intake.self).report.id
                dealers.append(Own(code: code, key: key, publication: publication.id, customer: customer, report: reportID))
            }
            for pair in 0..<20 {
                let a = dealers[2 * pair], b = dealers[2 * pair + 1]
                for (reader, owner) in [(a, b), (b, a)] {
                    let feed = try await asDealer(client, reader.key, .get, "/v1/dealer/feed").decode(Feed.self)
                    #expect(feed.items.map(\.publicationId) == [reader.publication])
                    for path in [
                        "/v1/dealer/publications/\(owner.publication)", "/v1/dealer/deliveries/\(owner.publication)",
                        "/v1/dealer/customers/\(owner.customer)", "/v1/dealer/sales-reports/\(owner.report)",
                        "/v1/dealer/publications/\(owner.publication)/file",
                    ] {
                        let reply = try await asDealer(client, reader.key, .get, path)
                        #expect(reply.status == 404, "\(reader.code) reading \(path) of \(owner.code): \(reply.status)")
                    }
                    let customers = try await asDealer(client, reader.key, .get, "/v1/dealer/customers")
                    #expect(!customers.body.contains(owner.customer.uuidString) && !customers.body.lowercased().contains(owner.customer.uuidString.lowercased()))
                    let foreign = #"{"shopCode":"\#(owner.code)-S1","day":"2026-11-30","currency":"RUB","receipts":[{"number":"1","time":"12:00","payment":"card","kind":"sale","lines":[{"sku":"X","quantity":1,"unitPrice":1}]}]}"#
                    #expect(try await asDealer(client, reader.key, .post, "/v1/dealer/sales-reports", foreign).status == 404, "reporting for another dealer's shop")
                    let receipt = try await asDealer(client, reader.key, .post, "/v1/dealer/receipts", #"{"publicationId":"\#(owner.publication)","status":"applied"}"#)
                    #expect(receipt.status == 404)
                }
                // The wording is the same as for something that does not exist at all.
                let missing = try await asDealer(client, a.key, .get, "/v1/dealer/publications/\(UUID())")
                let foreign = try await asDealer(client, a.key, .get, "/v1/dealer/publications/\(b.publication)")
                #expect(missing.body.replacingOccurrences(of: "\"instance\":\"[^\"]*\"", with: "", options: .regularExpression)
                    == foreign.body.replacingOccurrences(of: "\"instance\":\"[^\"]*\"", with: "", options: .regularExpression))
            }
        }
    }

    @Test("a shop report sent twice counts once; a corrected one replaces it as version 2; checks flag, never refuse")
    func shopReports() async throws {
        try await withDealerInfo { client, _ in
            _ = try await client.call(.put, "/v1/series/price.retail.rub", #"{"kind":"price_list","title":"Retail"}"#)
            _ = try await publish(client, priceList(series: "price.retail.rub", addressing: #"{"all":true}"#, items: [("PMP-100", "10000.00"), ("SEAL-KIT", "500.00")]))
            let key = try await key(client, "D-MSK-01")
            let report = #"""
                {"shopCode":"S-MSK-01-01","day":"2026-11-29","currency":"RUB","receipts":[
                  {"number":"101","time":"10:15","payment":"card","kind":"sale","lines":[{"sku":"PMP-100","quantity":1,"unitPrice":10000}]},
                  {"number":"102","time":"23:40","payment":"cash","kind":"sale","lines":[{"sku":"PMP-100","quantity":1,"unitPrice":8000},{"sku":"GREY-1","quantity":2,"unitPrice":100}]},
                  {"number":"102","time":"12:00","payment":"cash","kind":"sale","lines":[{"sku":"SEAL-KIT","quantity":1,"unitPrice":500}]}]}
                """#
            struct Intake: Decodable { var changed: Bool; var report: Report
                struct Report: Decodable { var id: UUID; var version: Int; var sales: String; var anomalies: [Flag] }
                struct Flag: Decodable { var kind: String } }
            let first = try await asDealer(client, key, .post, "/v1/dealer/sales-reports", report)
            #expect(first.status == 201, "\(first.body)")
            let stored = try first.decode(Intake.self)
            #expect(stored.report.version == 1 && stored.report.sales == "18700.00")
            #expect(Set(stored.report.anomalies.map(\.kind)) == ["sku_outside_assortment", "price_below_list", "duplicate_receipt", "outside_opening_hours"])
            let again = try await asDealer(client, key, .post, "/v1/dealer/sales-reports", report)
            let repeated = try again.decode(Intake.self)
            #expect(again.status == 200 && repeated.changed == false && repeated.report.version == 1)
            let corrected = report.replacingOccurrences(of: #""number":"102","time":"12:00""#, with: #""number":"103","time":"12:00""#)
            let second = try await asDealer(client, key, .post, "/v1/dealer/sales-reports", corrected).decode(Intake.self)
            #expect(second.changed && second.report.id == stored.report.id && second.report.version == 2)
            #expect(!second.report.anomalies.map(\.kind).contains("duplicate_receipt"))
            let invalid = try await asDealer(client, key, .post, "/v1/dealer/sales-reports", #"{"shopCode":"S-MSK-01-01","day":"29.11.2026","currency":"RUB","receipts":[]}"#)
            #expect(invalid.status == 422, "\(invalid.body)")
        }
    }

    @Test("a plan shows each dealer only its own targets; a document is served with its checksum, only to the dealers it was addressed to")
    func plansAndDocuments() async throws {
        try await withDealerInfo { client, _ in
            _ = try await client.call(.put, "/v1/series/plan.2027q1", #"{"kind":"plan","title":"Sales plan Q1 2027"}"#)
            let plan = try await publish(client, #"""
                {"series":"plan.2027q1","addressing":{"dealers":["D-MSK-01","D-SPB-01"]},"targets":[
                  {"dealer":"D-MSK-01","period":"2027-Q1","metric":"revenue","target":12000000},
                  {"dealer":"D-SPB-01","period":"2027-Q1","metric":"revenue","target":7000000}]}
                """#)
            struct View: Decodable { var targets: [Target]?; var file: File?
                struct Target: Decodable { var dealer: String; var target: Decimal }
                struct File: Decodable { var sha256: String; var size: Int; var href: String } }
            let moscow = try await key(client, "D-MSK-01"), spb = try await key(client, "D-SPB-01"), urals = try await key(client, "D-EKB-01")
            let own = try await asDealer(client, moscow, .get, "/v1/dealer/publications/\(plan.id)").decode(View.self)
            #expect(own.targets?.map(\.dealer) == ["D-MSK-01"] && own.targets?.first?.target == 12_000_000)
            #expect(try await asDealer(client, spb, .get, "/v1/dealer/publications/\(plan.id)").decode(View.self).targets?.map(\.dealer) == ["D-SPB-01"])
            #expect(try await client.call(.get, "/v1/publications/\(plan.id)").decode(View.self).targets?.count == 2, "head office sees all")

            _ = try await client.call(.put, "/v1/series/method.onboarding", #"{"kind":"methodology","title":"Onboarding"}"#)
            let text = "Стандарт продаж: 1) выявить потребность; 2) подобрать оборудование."
            let document = try await publish(client, #"""
                {"series":"method.onboarding","addressing":{"dealers":["D-MSK-01"]},
                 "file":{"name":"standard.txt","mediaType":"text/plain; charset=utf-8","base64":"\#(Data(text.utf8).base64EncodedString())"}}
                """#)
            let view = try await asDealer(client, moscow, .get, "/v1/dealer/publications/\(document.id)").decode(View.self)
            let file = try #require(view.file)
            #expect(file.size == Data(text.utf8).count && file.sha256.count == 64)
            let fetched = try await asDealer(client, moscow, .get, file.href)
            #expect(fetched.status == 200 && fetched.body == text)
            #expect(try await asDealer(client, urals, .get, file.href).status == 404)
        }
    }

    @Test("the network imports from CSV all or nothing; a bad row is reported by its line and nothing is written")
    func networkImport() async throws {
        try await withDealerInfo { client, url in
            func upload(_ csv: String, as type: String = "text/csv; charset=utf-8") async throws -> APIReply {
                var headers = ServiceHarness.authorized
                headers[.contentType] = type
                return try await client.execute(uri: "/v1/imports/network", method: .post, headers: headers, body: ByteBuffer(string: csv)) {
                    APIReply(status: Int($0.status.code), body: String(buffer: $0.body), etag: nil)
                }
            }
            let file = """
                dealer_code,dealer_name,legal_name,tax_id,region,tier,shop_code,shop_name,shop_city,attr:turnover_class
                D-OMS-01,ОмскНасос,ООО «ОмскНасос»,5501234567,Siberia,silver,S-OMS-01-01,ОмскНасос Центр,Омск,B
                D-OMS-01,ОмскНасос,ООО «ОмскНасос»,5501234567,Siberia,silver,S-OMS-01-02,ОмскНасос Левый берег,Омск,B
                D-TMN-01,Tyumen Pumps,LLC Tyumen Pumps,7201234567,Urals,gold,S-TMN-01-01,Tyumen,Тюмень,A
                """
            let notCSV = try await upload(file, as: "application/json")
            #expect(notCSV.status == 415 && notCSV.body.contains("text/csv"), "\(notCSV.body)")
            let bad = try await upload(file.replacingOccurrences(of: "Urals,gold", with: "Urals,platinum"))
            #expect(bad.status == 422 && bad.body.contains("\"line\":4"), "\(bad.body)")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM dealers WHERE code IN ('D-OMS-01', 'D-TMN-01')", databaseURL: url) == "0")
            let good = try await upload(file)
            #expect(good.status == 200, "\(good.body)")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM shops s JOIN dealers d ON d.id = s.dealer_id WHERE d.code = 'D-OMS-01'", databaseURL: url) == "2")
            #expect(try await ServiceHarness.scalar("SELECT attributes->>'turnover_class' FROM dealers WHERE code = 'D-TMN-01'", databaseURL: url) == "A")
            let stolen = try await upload("dealer_code,dealer_name,legal_name,tax_id,region,tier,shop_code,shop_name,shop_city\nD-TMN-01,Tyumen Pumps,LLC Tyumen Pumps,7201234567,Urals,gold,S-OMS-01-01,Taken,Омск\n")
            #expect(stolen.status == 422 && stolen.body.contains("belongs to dealer D-OMS-01"), "\(stolen.body)")
        }
    }

    @Test("a revoked key stops working at once; a rotated key replaces the old one")
    func keys() async throws {
        try await withDealerInfo { client, _ in
            let issued = try await client.call(.post, "/v1/dealers/D-SPB-01/keys", "{}").decode(Key.self)
            #expect(try await asDealer(client, issued.key, .get, "/v1/dealer/me").status == 200)
            let rotated = try await client.call(.post, "/v1/dealers/D-SPB-01/keys", #"{"replaces":"\#(issued.id)"}"#).decode(Key.self)
            #expect(try await asDealer(client, issued.key, .get, "/v1/dealer/me").status == 401)
            #expect(try await asDealer(client, rotated.key, .get, "/v1/dealer/me").status == 200)
            #expect(try await client.call(.delete, "/v1/dealers/D-SPB-01/keys/\(rotated.id)").status == 204)
            #expect(try await asDealer(client, rotated.key, .get, "/v1/dealer/me").status == 401)
            let forged = rotated.key.dropLast(4) + "beef"
            #expect(try await asDealer(client, String(forged), .get, "/v1/dealer/me").status == 401)
        }
    }
}

/// A dealer's registered endpoint receives each delivery, signed with its secret; a failing
/// endpoint is retried later and never holds up the others.
@Suite("Dealer-info: push to dealers' endpoints")
struct PushTests {
    /// What the test's endpoint received: bodies and signature headers.
    final class Inbox: Sendable {
        let received = Mutex<[(body: [UInt8], signature: String?)]>([])
    }

    @Test("a delivery is pushed, signed with the dealer's secret; a failing endpoint gets the next attempt after a backoff")
    func pushAndRetry() async throws {
        let inbox = Inbox()
        let router = Router()
        router.post("ok") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            inbox.received.withLock { $0.append((Array(body.readableBytesView), request.headers[.init("DMS-Signature")!])) }
            return .ok
        }
        router.post("down") { _, _ -> HTTPResponse.Status in .serviceUnavailable }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiver.test(.live) { hook in
            let port = try #require(hook.port)
            try await ServiceHarness.withLiveService(
                .dealerInfo, migrationsDirectory: DealerInfoMigrations.directory, routes: addDealerInfoRoutes, seed: ["infra/demo/dealer-info.sql"]
            ) { client, url in
                struct Endpoint: Decodable { var secret: String }
                let good = try await client.call(.put, "/v1/dealers/D-MSK-01/endpoint", #"{"url":"http://127.0.0.1:\#(port)/ok"}"#).decode(Endpoint.self)
                _ = try await client.call(.put, "/v1/dealers/D-SPB-01/endpoint", #"{"url":"http://127.0.0.1:\#(port)/down"}"#)
                _ = try await client.call(.put, "/v1/series/promo.winter", #"{"kind":"promotion","title":"Winter"}"#)
                let published = try await client.call(.post, "/v1/publications", #"{"series":"promo.winter","addressing":{"all":true},"content":{"discount":"7%"}}"#)
                #expect(published.status == 201)

                try await TemporaryDatabase.withClient(url: url) { postgres in
                    let now = Date()
                    let loop = PushLoop(client: postgres, logger: Logger(label: "test.push"), clock: { now })
                    #expect(try await loop.fireDue(limit: 100) == 2, "the two dealers with endpoints")
                    #expect(try await loop.fireDue(limit: 100) == 0, "nothing due until the backoff passes")
                    let received = inbox.received.withLock { $0 }
                    #expect(received.count == 1)
                    let first = try #require(received.first)
                    #expect(throws: Never.self) { try WebhookSignature.verify(header: first.signature, body: first.body, secret: good.secret, now: now) }
                    #expect(String(decoding: first.body, as: UTF8.self).contains("promo.winter"))
                    let states = try await ServiceHarness.scalar(
                        """
                        SELECT string_agg(dl.code || ':' || d.state || ':' || d.push_attempts, ',' ORDER BY dl.code)
                        FROM deliveries d JOIN dealers dl ON dl.id = d.dealer_id WHERE d.push_next_at IS NOT NULL OR d.pushed_at IS NOT NULL
                        """, databaseURL: url)
                    #expect(states == "D-MSK-01:delivered:1,D-SPB-01:pending:1")
                    let later = PushLoop(client: postgres, logger: Logger(label: "test.push"), clock: { now.addingTimeInterval(2) })
                    #expect(try await later.fireDue(limit: 100) == 1, "the failing endpoint is tried again after its backoff")
                }
            }
        }
    }
}
