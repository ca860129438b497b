import AsyncHTTPClient
import BenchmarkSupport
import Contracts
import Foundation
import Logging
import Messaging
import NIOCore
import NIOHTTP1
import PostgresNIO

// `swift build -c release && .build/release/deals-benchmark [--leads N] [--deals N] [--offers N]`
//
// Starts `deals` (the executable next to this one) on a fresh database of the local PostgreSQL
// and the local broker (a consumer group of its own), then measures
//   1. deals opened from `LeadConverted` per second: N events published at once, until N deals exist;
//   2. deal commands over HTTP (PATCH the legal entity, then the stage change to `contract` with its
//      gate checks), 8 at a time: p50/p99 and commands per second;
//   3. commercial offers printed to PDF (template + weasyprint), one after the other: p50/p99.

let logger = Logger(label: "deals-benchmark")

struct Options {
    var leads = 2_000
    var deals = 300
    var offers = 20

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst().flatMap(Int.init), value > 0 else {
                throw BenchmarkFailure.failed("usage: deals-benchmark [--leads N] [--deals N] [--offers N]")
            }
            switch flag {
            case "--leads": leads = value
            case "--deals": deals = value
            case "--offers": offers = value
            default: throw BenchmarkFailure.failed("unknown flag \(flag)")
            }
        }
    }
}

/// The deal id in a deal view (`{"deal": {"id": …}, …}`).
func dealID(_ body: String) throws -> String {
    struct View: Decodable { var deal: Deal; struct Deal: Decodable { var id: UUID } }
    return try JSONDecoder().decode(View.self, from: Data(body.utf8)).deal.id.uuidString.lowercased()
}

/// "p50 …, p99 … (n=…)" of latencies in milliseconds: BenchmarkSupport's `summary` without the maximum.
func summary(_ values: [Double]) -> String {
    let sorted = values.sorted()
    return "p50 \(milliseconds(quantile(sorted, 0.5))), p99 \(milliseconds(quantile(sorted, 0.99))) (n=\(grouped(sorted.count)))"
}

let token = "bench-token"
let manager = UUID()

/// One call with the service token and a JSON body (or none): status and body.
func request(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> (Int, String) {
    let reply = try await sendRequest(http, method, url, authorization: "Bearer \(token)", body: body.map { ByteBuffer(string: $0) })
    return (reply.status, reply.text)
}

func measure(_ options: Options, environment: BenchEnvironment, deals: ServiceRun, http: HTTPClient, db: PostgresClient) async throws {
    let base = deals.base
    try await db.query("INSERT INTO certification_required_types VALUES ('climatic') ON CONFLICT DO NOTHING", logger: logger)
    say("deals-benchmark — \(Machine.description)")

    // 1. Opening from LeadConverted.
    let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: environment.brokers), logger: logger)
    let leads = (0..<options.leads).map { _ in UUID() }
    let records = try leads.map { lead -> OutgoingRecord in
        let payload = LeadConverted(
            leadId: lead, counterpartyId: nil, contactIds: [UUID()], managerId: manager, departmentCode: "bench", needs: "Benchmark needs",
            channel: .webForm, correlationId: lead, convertedAt: Date(),
            counterparty: CounterpartySnapshot(counterpartyId: UUID(), name: "Bench LLC", taxId: nil, kind: "prospect"),
            contacts: [ContactSnapshot(contactId: UUID(), name: "Ivan Bench", counterpartyId: nil, managerId: manager,
                                       phones: [ContactPhone(e164: "+79160000000", raw: "+7 916 000-00-00")], emails: [], marketingConsent: false)])
        let envelope = try EventEnvelope(occurredAt: Date(), source: "leads", key: lead.uuidString.lowercased(), correlationId: lead, payload: payload)
        return OutgoingRecord(topic: Topic.leadsEvents, key: Array(envelope.key.utf8), value: try envelope.encoded())
    }
    // Warm-up: the group joins and reads whatever the topic already holds before the clock starts.
    for result in await producer.send([records[0]]) { _ = try result.get() }
    let warmDeadline = ContinuousClock.now + .seconds(300)
    while try await db.query("SELECT count(*)::int FROM deals WHERE lead_id = \(leads[0])", logger: logger).collect().first!.decode(Int.self) == 0 {
        guard ContinuousClock.now < warmDeadline else { throw BenchmarkFailure.failed("the warm-up deal did not open") }
        try await Task.sleep(for: .milliseconds(50))
    }
    var cpu = CPUSnapshot.take()
    let start = ContinuousClock.now
    for chunk in stride(from: 1, to: records.count, by: 500) {
        for result in await producer.send(Array(records[chunk..<min(chunk + 500, records.count)])) { _ = try result.get() }
    }
    while true {
        let count = try await db.query("SELECT count(*)::int FROM deals WHERE lead_id = ANY(\(leads))", logger: logger)
            .collect().first!.decode(Int.self)
        if count == leads.count { break }
        guard ContinuousClock.now - start < .seconds(300) else { throw BenchmarkFailure.failed("only \(count) deals opened in 5 minutes") }
        try await Task.sleep(for: .milliseconds(50))
    }
    let openSeconds = milliseconds(since: start) / 1000
    await producer.shutdown()
    say("1. \(grouped(options.leads - 1)) LeadConverted → deals in \(fixed(openSeconds, 2)) s: \(rate(Double(options.leads - 1) / openSeconds)) deals/s")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // 2. Commands with gate checks.
    let newDeal = #"""
        {"needs":"Bench","legalEntity":{"name":"ООО «Бенч»"},"contacts":[{"name":"Иван"}],"managerId":"\#(manager)","departmentCode":"bench",
         "currency":"RUB","lines":[{"sku":"CH-1","name":"Chamber","equipmentType":"climatic","quantity":1,"unitPrice":{"amount":"1000.00","currency":"RUB"}},
         {"sku":"P-1","name":"Pump","quantity":3,"unitPrice":{"amount":"99.99","currency":"RUB"},"discountPercent":5}]}
        """#
    var created: [String] = []
    for _ in 0..<options.deals {
        let (status, body) = try await request(http, .POST, base + "/v1/deals", newDeal)
        guard status == 201 else { throw BenchmarkFailure.failed("POST /v1/deals: \(status) \(body.prefix(300))") }
        created.append(try dealID(body))
    }
    let ids = created
    cpu = CPUSnapshot.take()
    let commandsStart = ContinuousClock.now
    let latencies: [Double] = try await withThrowingTaskGroup(of: [Double].self) { group in
        for worker in 0..<8 {
            group.addTask {
                var mine: [Double] = []
                for id in ids.enumerated().filter({ $0.offset % 8 == worker }).map(\.element) {
                    let patch = ContinuousClock.now
                    let (s1, b1) = try await request(http, .PATCH, base + "/v1/deals/\(id)",
                        #"{"legalEntity":{"name":"ООО «Бенч»","taxId":"7700000000","paymentDetails":"р/с 1","address":"Москва"}}"#)
                    guard s1 == 200 else { throw BenchmarkFailure.failed("PATCH: \(s1) \(b1.prefix(200))") }
                    mine.append(milliseconds(since: patch))
                    let stage = ContinuousClock.now
                    let (s2, b2) = try await request(http, .POST, base + "/v1/deals/\(id)/stage", #"{"to":"contract"}"#)
                    guard s2 == 200 else { throw BenchmarkFailure.failed("stage: \(s2) \(b2.prefix(200))") }
                    mine.append(milliseconds(since: stage))
                }
                return mine
            }
        }
        var all: [Double] = []
        for try await part in group { all += part }
        return all
    }
    let commandSeconds = milliseconds(since: commandsStart) / 1000
    say("2. \(grouped(latencies.count)) deal commands (PATCH + stage change with gates), 8 at a time: \(summary(latencies)); "
        + "\(rate(Double(latencies.count) / commandSeconds)) commands/s")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // 3. Offers printed to PDF.
    var renders: [Double] = []
    let offerDeal = try await request(http, .POST, base + "/v1/deals", newDeal)
    guard offerDeal.0 == 201 else { throw BenchmarkFailure.failed("POST /v1/deals for offers") }
    let offerDealID = try dealID(offerDeal.1)
    for _ in 0..<options.offers {
        let started = ContinuousClock.now
        let (status, body) = try await request(http, .POST, base + "/v1/deals/\(offerDealID)/offers", #"{"language":"ru"}"#)
        guard status == 201 else { throw BenchmarkFailure.failed("offer: \(status) \(body.prefix(300))") }
        renders.append(milliseconds(since: started))
    }
    say("3. \(options.offers) offers in Russian printed to PDF one after the other: \(summary(renders))")
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    try await withScratchService(
        "deals", benchmark: "deals-benchmark", database: "bench_deals_\(randomTag())", environment: environment,
        admin: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL),
        serviceEnvironment: ["DMS_SERVICE_TOKEN": token, "DMS_LOG_LEVEL": "warning", "DMS_CONSUMER_GROUP": "bench-deals-\(randomTag())"],
        logger: logger
    ) { deals, http, db in
        try await measure(options, environment: environment, deals: deals, http: http, db: db)
    }
}

exit(await runInterruptibly(name: "deals-benchmark", cleanUp: "stopping deals and dropping the database") {
    try await run(try Options(Array(CommandLine.arguments.dropFirst())))
})
