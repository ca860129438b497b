import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import PostgresNIO
import ServiceKit

/// A lead as the leads database has it: found by the sender's phone.
struct LeadSeen: Sendable {
    var id: UUID
    var createdAt: Date
}

/// A deal as the deals database has it: found by the lead it was opened from.
struct DealSeen: Sendable {
    var id: UUID
    var version: Int
    var createdAt: Date
}

/// What one journey measured, in milliseconds (database stamps minus the benchmark's clock: the
/// services, PostgreSQL and the benchmark share the machine's clock).
struct JourneyTimes: Sendable {
    /// The inquiry POST leaving; the order routed (`orders.routed_at`).
    var started: Date
    var routedAt: Date
    var endToEnd: Double { routedAt.timeIntervalSince(started) * 1000 }
    /// Inquiry POST → `leads.created_at`.
    var inquiryToLead: Double
    /// `POST /v1/leads/{id}/convert` sent → `deals.created_at`.
    var convertToDeal: Double
    /// `POST /v1/deals/{id}/order` sent → `orders.routed_at`.
    var orderToRouted: Double
    /// The four leads commands (assign, start, qualify, convert), answer to answer.
    var leadCommands: Double
    /// The three deals commands (PATCH, stage, order).
    var dealCommands: Double
}

/// The sales journey across the four services, as a customer and a manager drive it.
struct Journey: Sendable {
    let http: HTTPClient
    let ingest: String
    let leads: String
    let deals: String
    let department: String
    let manager: UUID
    let leadsSeen: Watch<String, LeadSeen>
    let dealsSeen: Watch<UUID, DealSeen>
    let ordersRouted: Watch<UUID, Date>

    /// Three lines: stocked (reserved from stock), manufactured (a production order), purchased
    /// (a supplier order) — the demo catalog of `infra/demo/inventory.sql`.
    static let lines = """
        [{"sku":"PMP-100","name":"Centrifugal pump CP-100","equipmentType":"pumps","quantity":1,"unitPrice":{"amount":"250000.00","currency":"RUB"}},
         {"sku":"CMP-07","name":"Screw compressor SC-7","equipmentType":"compressors","quantity":1,"unitPrice":{"amount":"900000.00","currency":"RUB"}},
         {"sku":"SIM-01","name":"Process simulator PS-1","equipmentType":"simulation","quantity":1,"unitPrice":{"amount":"350000.00","currency":"RUB"}}]
        """

    /// The phone of journey `index` (up to 9,999,999): each journey's sender is new, so each
    /// inquiry opens a lead of its own.
    static func phone(_ index: Int) -> String { "+7916" + String(format: "%07d", index) }

    /// One journey; every wait for another service gives up after `limit` (`NotSeen`).
    func run(_ index: Int, limit: Duration) async throws -> JourneyTimes {
        let phone = Self.phone(index)
        let taxID = "77" + String(format: "%08d", index)

        // The customer fills in the web form: ingest acknowledges, leads opens a lead from its event.
        let form = Array(#"""
            {"name":"Customer \#(index)","phone":"\#(phone)","email":"journey\#(index)@bench.test","company":"Bench Mining \#(index)",
             "message":"A pump station, a compressor and a process simulator for the new shaft"}
            """#.utf8)
        let started = Date()
        try await call(
            http, .POST, ingest + "/v1/forms/submissions", json: String(decoding: form, as: UTF8.self),
            headers: [("DMS-Signature", WebhookSignature.sign(form, secret: secrets["DMS_INGEST_SECRET_FORMS"]!, time: started))],
            authorized: false
        ).expect(202, "POST /v1/forms/submissions")
        let lead = try await leadsSeen.value(for: phone, within: limit)

        // The manager works the lead through to conversion; leads publishes LeadConverted.
        let leadPath = leads + "/v1/leads/\(lead.id)"
        let leadCommandsStart = ContinuousClock.now
        try await call(http, .POST, leadPath + "/assign", json: #"{"department":"\#(department)","manager":"\#(manager)"}"#)
            .expect(200, "assign lead")
        try await call(http, .POST, leadPath + "/start").expect(200, "start work on lead")
        try await call(
            http, .POST, leadPath + "/qualify",
            json: #"{"needs":"Pump station, compressor and simulator","counterparty":{"name":"АО «Бенч \#(index)»","taxId":"\#(taxID)","kind":"prospect"}}"#
        ).expect(200, "qualify lead")
        let convertSent = Date()
        try await call(http, .POST, leadPath + "/convert").expect(200, "convert lead")
        let leadCommands = milliseconds(since: leadCommandsStart)
        let deal = try await dealsSeen.value(for: lead.id, within: limit)

        // The deal gets its lines and a complete legal entity, goes to contract, and the buyer order
        // is placed; inventory routes it from BuyerOrderPlaced.
        let dealPath = deals + "/v1/deals/\(deal.id)"
        let dealCommandsStart = ContinuousClock.now
        let patched = try await call(
            http, .PATCH, dealPath,
            json: #"""
                {"lines":\#(Self.lines),"legalEntity":{"name":"АО «Бенч \#(index)»","taxId":"\#(taxID)",
                 "paymentDetails":"р/с 40702810000000000001","address":"Мурманск, ул. Шахтёров, \#(index)"}}
                """#,
            headers: [("If-Match", "\"\(deal.version)\"")]
        ).expect(200, "PATCH deal")
        let contract = try await call(
            http, .POST, dealPath + "/stage", json: #"{"to":"contract"}"#, headers: [("If-Match", try patched.version("PATCH deal"))]
        ).expect(200, "deal to contract")
        let orderSent = Date()
        try await call(http, .POST, dealPath + "/order", headers: [("If-Match", try contract.version("deal to contract"))])
            .expect(200, "place buyer order")
        let dealCommands = milliseconds(since: dealCommandsStart)
        let routedAt = try await ordersRouted.value(for: deal.id, within: limit)

        return JourneyTimes(
            started: started, routedAt: routedAt, inquiryToLead: lead.createdAt.timeIntervalSince(started) * 1000,
            convertToDeal: deal.createdAt.timeIntervalSince(convertSent) * 1000, orderToRouted: routedAt.timeIntervalSince(orderSent) * 1000,
            leadCommands: leadCommands, dealCommands: dealCommands)
    }

    /// Runs the journeys of `indices`, `concurrency` at a time: each worker takes the next index
    /// when its journey has ended. The first failure fails the run (and cancels the rest).
    func run(_ indices: [Int], concurrency: Int, limit: Duration) async throws -> [JourneyTimes] {
        let queue = Queue(indices)
        return try await withThrowingTaskGroup(of: [JourneyTimes].self) { group in
            for _ in 0..<max(1, min(concurrency, indices.count)) {
                group.addTask {
                    var mine: [JourneyTimes] = []
                    while let index = await queue.next() { mine.append(try await self.run(index, limit: limit)) }
                    return mine
                }
            }
            var all: [JourneyTimes] = []
            for try await part in group { all += part }
            return all
        }
    }
}

/// The journeys not yet started.
actor Queue {
    private var pending: ArraySlice<Int>

    init(_ indices: [Int]) { pending = indices[...] }

    func next() -> Int? { pending.popFirst() }
}

func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
