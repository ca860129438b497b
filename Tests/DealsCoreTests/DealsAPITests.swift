import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@testable import DealsCore

/// The deals HTTP API over a real database with the demo sales configuration.
@Suite("Deals: opening, stages and gates, payments and tasks over HTTP")
struct DealsAPITests {
    static let anna = "6b0f6a9e-4d2c-4b7e-9a51-000000000003"  // manager, alto
    static let pavel = "6b0f6a9e-4d2c-4b7e-9a51-000000000002"  // head of alto

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ json: String? = nil,
              headers extra: [String: String] = [:]) async throws -> APIReply {
        try await client.call(method, path, json, headers: extra)
    }

    func withDeals(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        try await ServiceHarness.withLiveService(
            .deals, migrationsDirectory: DealsMigrations.directory, routes: addDealsRoutes, seed: ["infra/demo/deals.sql"], body)
    }

    static let newDeal = #"""
        {"needs":"Climatic chamber for seed tests, 2 pumps","legalEntity":{"name":"ООО «Агро-Дон»"},
         "contacts":[{"name":"Анна Белова","email":"a.belova@agro-don.example"}],
         "managerId":"6b0f6a9e-4d2c-4b7e-9a51-000000000003","departmentCode":"alto","currency":"RUB",
         "lines":[{"sku":"CH-200","name":"Climatic chamber","equipmentType":"climatic","quantity":1,"unitPrice":{"amount":"1500000.00","currency":"RUB"}},
                  {"sku":"P-40","name":"Pump","equipmentType":"pump","quantity":2,"unitPrice":{"amount":"99999.99","currency":"RUB"},"discountPercent":10}]}
        """#

    struct View: Decodable {
        var deal: DealBody
        var total: MoneyBody?
        var probability: Int
        var nextStages: [String]
        var guidance: GuidanceBody?
        struct DealBody: Decodable { var id: UUID; var stage: String; var version: Int }
        struct MoneyBody: Decodable { var amount: String; var currency: String }
        struct GuidanceBody: Decodable { var language: String; var checklist: [String] }
    }

    func decode(_ reply: APIReply) throws -> View {
        try JSONDecoder().decode(View.self, from: Data(reply.body.utf8))
    }

    @Test("a deal needs its needs, legal entity, a contact, manager and department: 422 lists every missing field")
    func missingFields() async throws {
        try await withDeals { client, _ in
            let reply = try await call(client, .post, "/v1/deals", #"{"currency":"RUB"}"#)
            #expect(reply.status == 422)
            for field in ["needs", "legalEntity.name", "contacts", "managerId", "departmentCode"] {
                #expect(reply.body.contains(field), "\(field) in \(reply.body)")
            }
        }
    }

    @Test("from selection to closed: gates refuse with what is missing, certification for a climatic line, service task, payments")
    func fullPath() async throws {
        try await withDeals { client, url in
            let created = try await call(client, .post, "/v1/deals", Self.newDeal)
            #expect(created.status == 201, "\(created.body)")
            let deal = try decode(created)
            #expect(deal.deal.stage == "selection" && deal.probability == 10)
            #expect(deal.total?.amount == "1679999.98", "1,500,000 + 2 × 99,999.99 × 0.9")
            #expect(Set(deal.nextStages) == ["offer", "contract"])
            let russian = try decode(try await call(client, .get, "/v1/deals/\(deal.deal.id)?lang=ru"))
            #expect(russian.guidance?.language == "ru")
            let id = deal.deal.id

            let early = try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"contract"}"#)
            #expect(early.status == 409)
            #expect(early.body.contains("legalEntity.taxId") && early.body.contains("legalEntity.paymentDetails"), "\(early.body)")

            let complete = #"{"legalEntity":{"name":"ООО «Агро-Дон»","taxId":"6164000000","paymentDetails":"р/с 40702810000000000001","address":"Ростов-на-Дону"}}"#
            #expect(try await call(client, .patch, "/v1/deals/\(id)", complete, headers: ["If-Match": "\"1\""]).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"contract"}"#).status == 200)
            let ordered = try await call(client, .post, "/v1/deals/\(id)/order")
            let orderedStage = try decode(ordered).deal.stage
            #expect(ordered.status == 200 && orderedStage == "fulfilment", "\(ordered.body)")
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"certification"}"#).status == 409, "not shipped yet")
            #expect(try await call(client, .post, "/v1/deals/\(id)/steps/shipped").status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"commissioning"}"#).status == 409, "a climatic line needs certification")
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"certification"}"#).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/steps/certified").status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"commissioning"}"#).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/steps/commissioned").status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"service"}"#).status == 200)

            let tasks = try await call(client, .get, "/v1/deals/\(id)/tasks")
            #expect(tasks.body.contains("offer_service") && tasks.body.lowercased().contains(Self.anna), "\(tasks.body)")
            let notPaid = try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"closed"}"#)
            #expect(notPaid.status == 409 && notPaid.body.contains("paid"), "\(notPaid.body)")

            let payment = #"{"amount":{"amount":"1000000.00","currency":"RUB"},"reference":"PP-1","date":"2026-11-30"}"#
            #expect(try await call(client, .post, "/v1/deals/\(id)/payments", payment).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/payments", payment).status == 200, "the same reference again")
            let rest = #"{"amount":{"amount":"679999.98","currency":"RUB"},"reference":"PP-2","date":"2026-12-01"}"#
            #expect(try await call(client, .post, "/v1/deals/\(id)/payments", rest).status == 200)
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'PaymentReceived'", databaseURL: url) == "2")
            let stillOpen = try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"closed"}"#)
            #expect(stillOpen.status == 409, "the service offer has no outcome yet: \(stillOpen.body)")

            struct Task: Decodable { var id: UUID; var kind: String }
            struct Tasks: Decodable { var items: [Task] }
            let offer = try #require(try JSONDecoder().decode(Tasks.self, from: Data(tasks.body.utf8)).items.first { $0.kind == "offer_service" })
            #expect(try await call(client, .post, "/v1/tasks/\(offer.id)/complete", #"{"outcome":"declined"}"#).status == 200)
            let closed = try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"closed"}"#)
            #expect(closed.status == 200, "\(closed.body)")
            #expect(try decode(closed).probability == 100)
            let events = try await ServiceHarness.scalar(
                "SELECT string_agg(DISTINCT event_type, ',' ORDER BY event_type) FROM outbox", databaseURL: url)
            #expect(events == "BuyerOrderPlaced,DealClosed,DealOpened,DealStageChanged,PaymentReceived,TaskCompleted,TaskCreated")
            let history = try await ServiceHarness.scalar(
                "SELECT string_agg(to_stage, ',' ORDER BY id) FROM deal_stage_history", databaseURL: url)
            #expect(history == "contract,fulfilment,certification,commissioning,service,closed")
        }
    }

    @Test("two managers editing the same version: the second gets 412")
    func staleWrite() async throws {
        try await withDeals { client, _ in
            let deal = try decode(try await call(client, .post, "/v1/deals", Self.newDeal))
            let first = try await call(client, .patch, "/v1/deals/\(deal.deal.id)", #"{"needs":"first"}"#, headers: ["If-Match": "\"1\""])
            let second = try await call(client, .patch, "/v1/deals/\(deal.deal.id)", #"{"needs":"second"}"#, headers: ["If-Match": "\"1\""])
            #expect(first.status == 200 && first.etag == "\"2\"")
            #expect(second.status == 412, "\(second.body)")
        }
    }

    @Test("DealOpened carries the lines' equipment types; a lines edit publishes DealLinesChanged, other edits nothing")
    func linesChanged() async throws {
        try await withDeals { client, url in
            let deal = try decode(try await call(client, .post, "/v1/deals", Self.newDeal))
            let id = deal.deal.id
            #expect(try await ServiceHarness.scalar(
                "SELECT envelope::jsonb->'payload'->>'equipmentTypes' FROM outbox WHERE event_type = 'DealOpened'", databaseURL: url)
                == #"["climatic", "pump"]"#)
            #expect(try await call(client, .patch, "/v1/deals/\(id)", #"{"needs":"only the chamber"}"#).status == 200)
            let count = "SELECT count(*)::text FROM outbox WHERE event_type = 'DealLinesChanged'"
            #expect(try await ServiceHarness.scalar(count, databaseURL: url) == "0", "an edit of the needs changes no line")
            let lines = #"{"lines":[{"sku":"CH-200","name":"Climatic chamber","equipmentType":"climatic","quantity":1,"unitPrice":{"amount":"1500000.00","currency":"RUB"}}]}"#
            #expect(try await call(client, .patch, "/v1/deals/\(id)", lines).status == 200)
            #expect(try await ServiceHarness.scalar(count, databaseURL: url) == "1")
            #expect(try await ServiceHarness.scalar(
                """
                SELECT (envelope::jsonb->'payload'->>'equipmentTypes') || ' ' || (envelope::jsonb->'payload'->>'lineCount') || ' ' || (envelope::jsonb->'payload'->'total'->>'amount')
                FROM outbox WHERE event_type = 'DealLinesChanged'
                """, databaseURL: url) == #"["climatic"] 1 1500000"#)
        }
    }

    @Test("lost as not suitable after ordering: the head of department gets a quality check and the order is cancelled")
    func lostAfterOrder() async throws {
        try await withDeals { client, url in
            let deal = try decode(try await call(client, .post, "/v1/deals", Self.newDeal))
            let id = deal.deal.id
            let complete = #"{"legalEntity":{"name":"X","taxId":"1","paymentDetails":"p","address":"a"}}"#
            #expect(try await call(client, .patch, "/v1/deals/\(id)", complete).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"contract"}"#).status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/order").status == 200)
            #expect(try await call(client, .post, "/v1/deals/\(id)/lose", #"{"reason":"bored"}"#).status == 422)
            let lost = try await call(client, .post, "/v1/deals/\(id)/lose", #"{"reason":"not_suitable","comment":"wrong chamber size"}"#)
            #expect(lost.status == 200, "\(lost.body)")
            #expect(try decode(lost).deal.stage == "lost")
            #expect(try await ServiceHarness.scalar(
                "SELECT assignee_id::text FROM tasks WHERE kind = 'quality_check'", databaseURL: url) == Self.pavel)
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'BuyerOrderCancelled'", databaseURL: url) == "1")
            #expect(try await call(client, .post, "/v1/deals/\(id)/stage", #"{"to":"closed"}"#).status == 409)
        }
    }
}

@Suite("Deals: commercial offers printed as PDF")
struct OfferTests {
    /// Runs a command line tool and returns its standard output (waiting through the termination
    /// handler, never blocking a cooperative thread).
    func run(_ arguments: [String]) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        let status: Int32 = await withCheckedContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(returning: -1) }
        }
        #expect(status == 0, "\(arguments.joined(separator: " "))")
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    @Test("an offer in Russian: numbered PDF with the customer's name in Cyrillic and the right total; the deal moves to offer")
    func russianOffer() async throws {
        try await ServiceHarness.withLiveService(
            .deals, migrationsDirectory: DealsMigrations.directory, routes: addDealsRoutes, seed: ["infra/demo/deals.sql"]
        ) { client, url in
            let created = try await client.call(.post, "/v1/deals", DealsAPITests.newDeal)
            struct View: Decodable { var deal: Deal; struct Deal: Decodable { var id: UUID; var stage: String } }
            let id = try created.decode(View.self).deal.id
            let issued = try await client.call(.post, "/v1/deals/\(id)/offers", #"{"language":"ru","validDays":14,"terms":"Поставка 60 дней, оплата 50/50"}"#)
            #expect(issued.status == 201, "\(issued.body)")
            struct Issued: Decodable { var number: String; var version: Int; var pdf: String }
            let offer = try issued.decode(Issued.self)
            #expect(offer.version == 1 && offer.number.hasPrefix("KP-"))
            let pdf = try await client.execute(uri: offer.pdf, method: .get, headers: ServiceHarness.authorized) {
                (Int($0.status.code), Array($0.body.readableBytesView), $0.headers[.contentType])
            }
            #expect(pdf.0 == 200 && pdf.2 == "application/pdf" && pdf.1.starts(with: Array("%PDF".utf8)))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("offer-\(UUID().uuidString).pdf")
            try Data(pdf.1).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let text = try await run(["pdftotext", "-enc", "UTF-8", file.path, "-"])
                .replacingOccurrences(of: "\u{00A0}", with: " ")
            #expect(text.contains("ООО «Агро-Дон»"), "\(text.prefix(600))")
            #expect(text.contains("Коммерческое предложение") && text.contains(offer.number))
            #expect(text.contains("1 679 999,98"), "the total as Russians write it: \(text.prefix(800))")
            #expect(text.contains("Поставка 60 дней"))

            let view = try await client.call(.get, "/v1/deals/\(id)")
            #expect(try view.decode(View.self).deal.stage == "offer", "issuing the first offer moves the deal to offer")
            let second = try await client.call(.post, "/v1/deals/\(id)/offers", #"{"language":"es"}"#)
            #expect(try second.decode(Issued.self).version == 2)
            let documents = try await client.call(.get, "/v1/deals/\(id)/documents")
            #expect(documents.status == 200 && documents.body.components(separatedBy: "\"kind\":\"offer\"").count == 3, "\(documents.body)")
            let agenda = try await client.call(.get, "/v1/managers/\(DealsAPITests.anna)/agenda")
            #expect(agenda.status == 200 && agenda.body.lowercased().contains(id.uuidString.lowercased()), "\(agenda.body)")
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'OfferIssued'", databaseURL: url) == "2")
        }
    }
}

@Suite("Deals: overdue tasks")
struct TaskDeadlineTests {
    @Test("a task past its due time without an outcome is marked once and TaskOverdue names the head of department")
    func overdueOnce() async throws {
        try await ServiceHarness.withLiveService(
            .deals, migrationsDirectory: DealsMigrations.directory, routes: addDealsRoutes, seed: ["infra/demo/deals.sql"]
        ) { client, url in
            let created = try await client.call(.post, "/v1/deals", DealsAPITests.newDeal)
            struct View: Decodable { var deal: Deal; struct Deal: Decodable { var id: UUID } }
            let deal = try created.decode(View.self).deal.id
            let past = #"{"kind":"call_client","dealId":"\#(deal)","assigneeId":"\#(DealsAPITests.anna)","dueAt":"2026-01-01T09:00:00Z"}"#
            let future = #"{"kind":"follow_up","dealId":"\#(deal)","assigneeId":"\#(DealsAPITests.anna)","dueAt":"2099-01-01T09:00:00Z"}"#
            #expect(try await client.call(.post, "/v1/tasks", past).status == 201)
            #expect(try await client.call(.post, "/v1/tasks", future).status == 201)
            let fired: (Int, Int) = try await TemporaryDatabase.withClient(url: url) { postgres in
                let watch = TaskDeadlineWatch(client: postgres, logger: Logger(label: "test.deadlines"), clock: { Date() })
                let first = try await watch.fireDue(limit: 100)
                let second = try await watch.fireDue(limit: 100)
                return (first, second)
            }
            #expect(fired.0 == 1)
            #expect(fired.1 == 0, "fired once")
            let event = try #require(try await ServiceHarness.scalar(
                "SELECT envelope FROM outbox WHERE event_type = 'TaskOverdue'", databaseURL: url))
            #expect(event.contains("call_client") && event.lowercased().contains(DealsAPITests.pavel), "\(event)")
        }
    }
}
