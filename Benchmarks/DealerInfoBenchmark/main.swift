import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Storage

// `swift build -c release && .build/release/dealer-info-benchmark [--dealers N] [--shops N] [--items N]
//                                                                 [--concurrency N] [--seconds N] [--receipts N]`
//
// Starts `dealer-info` (the executable next to this one) on a fresh database of the local PostgreSQL
// and the local broker (a consumer group of its own, starting at the end of its topic), and drives
// it over HTTP as head office (the service token) and as the dealers (each with its own API key):
//   1. network set-up (timed, not a figure): D dealers (tiers, regions, attributes varied), one API
//      key each, and S shops dealt out to them, 16 requests at a time;
//   2. a price list of N items published to every dealer (`{"all": true}`): the time of the one
//      command, which writes the publication, its items and one delivery per dealer in one
//      transaction (the deliveries are counted in the database right after the answer);
//   3. feed pulls: C dealers (the D above, and more if C > D) with 5 publications in their feeds,
//      all pulling `GET /v1/dealer/feed?after=0` with their own keys for T seconds, closed loop:
//      pulls per second and latency p50/p99/max;
//   4. delta against snapshot: version 2 of the price list (1 % of the prices changed, 0.5 % of the
//      SKUs removed), then one dealer's `…/delta?since=1` and `…/snapshot`: sizes, ratio, latency;
//   5. shops' daily reports: every shop posts one report of R receipts × 3 lines with its dealer's
//      key, 16 at a time: reports and receipt lines per second, latency per report; then 100 of
//      them posted again unchanged must answer 200 with `"changed": false`.
// No figure is judged (the targets are printed beside them); it exits 1 only when something is
// functionally wrong (a request refused, a count that does not match).
// Every size also reads a BENCH_* environment variable (a flag wins over the variable).

let logger = Logger(label: "dealer-info-benchmark")
let token = "bench-token"
/// Where the dealer-info process writes its log (named in failures).
let serviceLog = ServiceRun.logFile(benchmark: "dealer-info-benchmark", service: "dealer-info")
/// Requests in flight while setting up the network and while posting the shops' reports.
let poolWidth = 16
let priceSeries = "price.bench.rub"
let promotionSeries = "promo.bench"
/// Publications in every feed of test 3: price list v1 and four promotions (dealers beyond the
/// first D get one promotion of their own instead of the price list).
let feedLength = 5
/// Reports of test 5 posted a second time, unchanged.
let repostCount = 100
/// Fetches of the delta and of the snapshot in test 4 (alternating).
let fetchRepeats = 10

struct Options {
    var dealers = 170
    var shops = 3_000
    var items = 10_000
    var feedClients = 200
    var seconds = 10
    /// 0: closed loop (each client pulls again as soon as it has its answer); otherwise each client
    /// pulls every this many milliseconds, the clients spread evenly over the interval.
    var pullIntervalMs = 0
    var receipts = 20
    /// Extra environment for the service (`--env dealer-info:NAME=value`), for tuning runs.
    var extraEnvironment: [String: String] = [:]

    static let help = """
        dealer-info-benchmark [--dealers N] [--shops N] [--items N] [--concurrency N] [--seconds N] [--receipts N]
                              [--env dealer-info:NAME=value]
          --dealers N       dealers of the network, each with one API key (BENCH_DEALERS, default 170)
          --shops N         shops dealt out to them; each posts one daily report in test 5 (BENCH_SHOPS, default 3000)
          --items N         items of the price list published to every dealer (BENCH_ITEMS, default 10000)
          --concurrency N   dealers pulling their feeds at once in test 3; more dealers are created when
                            this is above --dealers (BENCH_FEED_CLIENTS, default 200)
          --seconds N       how long they pull (BENCH_SECONDS, default 10)
          --pull-interval-ms N  each feed client pulls every N ms (BENCH_PULL_INTERVAL_MS; default 0: back to back)
          --receipts N      receipts of 3 lines in each shop's daily report (BENCH_RECEIPTS, default 20)
          --env s:NAME=v    extra environment for dealer-info, for tuning runs
        BENCH_LOG_LEVEL sets the service's log level (default warning; log in $TMPDIR/dealer-info-benchmark-dealer-info.log).
        Needs the local PostgreSQL and broker (infra/run) and the release build of dealer-info next to it.
        """

    init(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        dealers = try positiveNumber("BENCH_DEALERS", in: environment, default: dealers)
        shops = try positiveNumber("BENCH_SHOPS", in: environment, default: shops)
        items = try positiveNumber("BENCH_ITEMS", in: environment, default: items)
        feedClients = try positiveNumber("BENCH_FEED_CLIENTS", in: environment, default: feedClients)
        seconds = try positiveNumber("BENCH_SECONDS", in: environment, default: seconds)
        if let interval = environment["BENCH_PULL_INTERVAL_MS"], let value = Int(interval), value >= 0 { pullIntervalMs = value }
        receipts = try positiveNumber("BENCH_RECEIPTS", in: environment, default: receipts)
        var flags = Flags(arguments, help: Self.help)
        while let flag = flags.next() {
            let text = try flags.value(of: flag)
            if flag == "--env" {
                guard let setting = serviceSetting(text), setting.service == "dealer-info" else {
                    throw BenchmarkFailure.failed("--env takes dealer-info:NAME=value\n\(Self.help)")
                }
                extraEnvironment[setting.name] = setting.value
                continue
            }
            let value = try flags.positiveNumber(text, of: flag)
            switch flag {
            case "--dealers": dealers = value
            case "--shops": shops = value
            case "--items": items = value
            case "--concurrency": feedClients = value
            case "--seconds": seconds = value
            case "--pull-interval-ms": pullIntervalMs = value
            case "--receipts": receipts = value
            default: throw flags.unknown(flag)
            }
        }
        guard receipts <= 10_000 else { throw BenchmarkFailure.failed("at most 10,000 receipts per report (the service refuses more)") }
    }
}

// MARK: Helpers

func scalar(_ query: PostgresQuery, _ db: PostgresClient) async throws -> Int {
    try await db.query(query, logger: logger).collect().first!.decode(Int.self)
}

/// Creates the dealers (`PUT /v1/dealers/{code}`) and issues one API key to each
/// (`POST /v1/dealers/{code}/keys`), `poolWidth` dealers at a time; returns the keys in order.
func createDealers(_ dealers: [BenchDealer], base: String, http: HTTPClient) async throws -> [String] {
    struct IssuedKey: Decodable { var key: String }
    return try await concurrentMap(dealers, width: poolWidth) { dealer in
        try await call(http, .PUT, base + "/v1/dealers/\(dealer.code)", as: .headOffice, body: try json(dealer.body))
            .expect(204, "PUT /v1/dealers/\(dealer.code)")
        return try await call(http, .POST, base + "/v1/dealers/\(dealer.code)/keys", as: .headOffice, body: try json(["label": "bench"]))
            .expect(201, "POST /v1/dealers/\(dealer.code)/keys")
            .decode(IssuedKey.self, "POST /v1/dealers/\(dealer.code)/keys").key
    }
}

/// Publishes a body to `/v1/publications`; fails unless it answers 201.
func publish(_ body: ByteBuffer, _ what: String, base: String, http: HTTPClient) async throws -> (Published, Double) {
    let (reply, elapsed) = try await timed { try await call(http, .POST, base + "/v1/publications", as: .headOffice, body: body) }
    return (try reply.expect(201, "POST /v1/publications (\(what))").decode(Published.self, "POST /v1/publications (\(what))"), elapsed)
}

/// A dealer's feed page (the fields the benchmark reads).
struct FeedPage: Decodable {
    var items: [Item]
    struct Item: Decodable { var series: String; var version: Int }
}

// MARK: The run

func measure(_ options: Options, service: ServiceRun, http: HTTPClient, db: PostgresClient) async throws {
    let base = service.base
    say("dealer-info-benchmark — \(Machine.description)")
    say("sizes: \(grouped(options.dealers)) dealers, \(grouped(options.shops)) shops, \(grouped(options.items)) price items, "
        + "\(grouped(options.feedClients)) feed clients for \(options.seconds) s, \(options.receipts) receipts per report")

    // 1. The network: dealers with their keys, then their shops.
    var cpu = CPUSnapshot.take()
    let setUpStart = ContinuousClock.now
    let dealers = (0..<options.dealers).map(BenchDealer.init)
    let keys = try await createDealers(dealers, base: base, http: http)
    let shops = (0..<options.shops).map { BenchShop($0, dealers: options.dealers) }
    _ = try await concurrentMap(shops, width: poolWidth) { shop in
        let dealer = dealers[shop.dealer]
        try await call(http, .PUT, base + "/v1/dealers/\(dealer.code)/shops/\(shop.code)", as: .headOffice, body: try json(shop.body(dealer)))
            .expect(204, "PUT /v1/dealers/\(dealer.code)/shops/\(shop.code)")
    }
    let setUp = ContinuousClock.now - setUpStart
    let setUpRequests = options.dealers * 2 + options.shops
    say("1. network set-up: \(grouped(options.dealers)) dealers (one API key each) and \(grouped(options.shops)) shops, "
        + "\(poolWidth) requests at a time: \(format(setUp)) (\(grouped(setUpRequests)) requests, "
        + "\(rate(Double(setUpRequests) / max(0.001, seconds(setUp)))) requests/s)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // 2. A price list of N items to every dealer: one command, one transaction.
    try await call(
        http, .PUT, base + "/v1/series/\(priceSeries)", as: .headOffice, body: try json(["kind": "price_list", "title": "Bench prices RUB"]))
        .expect(204, "PUT /v1/series/\(priceSeries)")
    let v1 = priceListV1(count: options.items)
    let v1Body = try json(PublicationPost.priceList(priceSeries, v1, title: "Bench prices RUB v1"))
    cpu = CPUSnapshot.take()
    let (first, publishMs) = try await publish(v1Body, "price list v1", base: base, http: http)
    let v1Deliveries = try await scalar("SELECT count(*)::int FROM deliveries WHERE publication_id = \(first.id)", db)
    let v1Items = try await scalar("SELECT count(*)::int FROM price_items WHERE publication_id = \(first.id)", db)
    say("2. price list of \(grouped(options.items)) items (\(byteSize(v1Body.readableBytes)) of JSON) published to {\"all\": true}: "
        + "addressed \(grouped(v1Deliveries)) dealers in \(milliseconds(publishMs)) (target ≤ 5 s)")
    say("   in the database right after the answer: \(grouped(v1Deliveries)) deliveries (expected \(grouped(options.dealers))), "
        + "\(grouped(v1Items)) price items; the answer says version \(first.version), \(first.recipients.map(grouped) ?? "no") recipients")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")
    var wrong: [String] = []
    if v1Deliveries != options.dealers { wrong.append("\(v1Deliveries) deliveries ≠ \(options.dealers) dealers") }
    if v1Items != options.items { wrong.append("\(v1Items) price items stored ≠ \(options.items) sent") }
    if first.recipients != options.dealers { wrong.append("the answer names \(first.recipients.map(String.init) ?? "no") recipients") }
    if first.version != 1 { wrong.append("the first publication of the series is version \(first.version)") }
    guard wrong.isEmpty else { throw BenchmarkFailure.failed("publication: " + wrong.joined(separator: "; ")) }

    // 3. Feed pulls. Dealers beyond the first D (when C > D) get keys, and one promotion of their
    // own so that every feed holds `feedLength` publications; then four promotions to everyone.
    let extra = (options.dealers..<max(options.dealers, options.feedClients)).map(BenchDealer.init)
    let extraKeys = try await createDealers(extra, base: base, http: http)
    try await call(
        http, .PUT, base + "/v1/series/\(promotionSeries)", as: .headOffice, body: try json(["kind": "promotion", "title": "Bench promotions"]))
        .expect(204, "PUT /v1/series/\(promotionSeries)")
    if !extra.isEmpty {
        _ = try await publish(
            try json(PublicationPost.promotion(promotionSeries, number: 0, to: .only(extra.map(\.code)))), "promotion to the extra dealers",
            base: base, http: http)
    }
    for number in 1..<feedLength {
        let (promotion, _) = try await publish(
            try json(PublicationPost.promotion(promotionSeries, number: number, to: .everyone)), "promotion \(number)", base: base, http: http)
        guard promotion.recipients == options.dealers + extra.count else {
            throw BenchmarkFailure.failed(
                "promotion \(number) reached \(promotion.recipients.map(String.init) ?? "no") dealers, not \(options.dealers + extra.count)")
        }
    }
    let clientKeys = Array((keys + extraKeys).prefix(options.feedClients))
    let feedURL = base + "/v1/dealer/feed?after=0"
    // Each dealer's first pull is not timed: it marks the deliveries delivered (and writes a
    // `PublicationDelivered` each); every later pull reads the same page.
    let pageSizes = try await concurrentMap(Array(clientKeys.enumerated()), width: poolWidth) { index, key in
        let reply = try await call(http, .GET, feedURL, as: .dealer(key: key)).expect(200, "GET /v1/dealer/feed of dealer \(index + 1)")
        let page = try reply.decode(FeedPage.self, "GET /v1/dealer/feed of dealer \(index + 1)")
        guard page.items.count == feedLength else {
            throw BenchmarkFailure.failed("the feed of dealer \(index + 1) holds \(page.items.count) publications, not \(feedLength)")
        }
        return reply.size
    }
    cpu = CPUSnapshot.take()
    let feedStart = ContinuousClock.now
    let feedDeadline = feedStart + .seconds(options.seconds)
    let pulls = try await withThrowingTaskGroup(of: (latencies: [Double], failed: Int, failure: String?).self) { group in
        for (index, key) in clientKeys.enumerated() {
            group.addTask {
                var latencies: [Double] = []
                latencies.reserveCapacity(options.seconds * 200)
                var failed = 0
                var failure: String?
                let interval = Duration.milliseconds(options.pullIntervalMs)
                var next = feedStart + interval * Double(index) / Double(max(1, clientKeys.count))
                while ContinuousClock.now < feedDeadline {
                    if options.pullIntervalMs > 0 {
                        try await Task.sleep(until: next, clock: .continuous)
                        next += interval
                        if ContinuousClock.now >= feedDeadline { break }
                    }
                    let (reply, elapsed) = try await timed { try await call(http, .GET, feedURL, as: .dealer(key: key)) }
                    if reply.status == 200 {
                        latencies.append(elapsed)
                    } else {
                        failed += 1
                        failure = failure ?? "\(reply.status) \(reply.text.prefix(300))"
                    }
                }
                return (latencies, failed, failure)
            }
        }
        var all: [(latencies: [Double], failed: Int, failure: String?)] = []
        for try await result in group { all.append(result) }
        return all
    }
    let feedSeconds = max(0.001, seconds(ContinuousClock.now - feedStart))
    let latencies = pulls.flatMap(\.latencies)
    let failedPulls = pulls.reduce(0) { $0 + $1.failed }
    say("3. feed pulls (GET /v1/dealer/feed?after=0: \(feedLength) publications, \(byteSize(pageSizes.max() ?? 0))), "
        + "\(grouped(clientKeys.count)) dealers pulling \(options.pullIntervalMs > 0 ? "every \(options.pullIntervalMs) ms each" : "back to back") with their own keys for \(options.seconds) s: "
        + "\(rate(Double(latencies.count) / feedSeconds)) pulls/s")
    say("   latency \(summary(latencies)) (target p99 ≤ 50 ms)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")
    if failedPulls > 0 {
        throw BenchmarkFailure.failed(
            "\(grouped(failedPulls)) feed pulls were refused; the first: \(pulls.compactMap(\.failure).first ?? "?") (log: \(serviceLog.path))")
    }

    // 4. Delta against snapshot for one dealer holding version 1.
    let v2 = priceListV2(v1)
    let (second, publishV2Ms) = try await publish(
        try json(PublicationPost.priceList(priceSeries, v2.items, title: "Bench prices RUB v2")), "price list v2", base: base, http: http)
    guard second.version == 2 else { throw BenchmarkFailure.failed("price list v2 was published as version \(second.version)") }
    struct Priced: Decodable { var sku: String }
    struct Delta: Decodable { var fromVersion: Int; var toVersion: Int; var upserted: [Priced]; var removed: [String] }
    struct Snapshot: Decodable { var version: Int; var items: [Priced]? }
    let holder = Caller.dealer(key: keys[0])
    let deltaURL = base + "/v1/dealer/series/\(priceSeries)/delta?since=1"
    let snapshotURL = base + "/v1/dealer/series/\(priceSeries)/snapshot"
    var deltaTimes: [Double] = []
    var snapshotTimes: [Double] = []
    var deltaReply: Reply?
    var snapshotReply: Reply?
    for _ in 0..<fetchRepeats {
        let (delta, deltaMs) = try await timed { try await call(http, .GET, deltaURL, as: holder) }
        deltaReply = try delta.expect(200, "GET …/delta?since=1")
        deltaTimes.append(deltaMs)
        let (snapshot, snapshotMs) = try await timed { try await call(http, .GET, snapshotURL, as: holder) }
        snapshotReply = try snapshot.expect(200, "GET …/snapshot")
        snapshotTimes.append(snapshotMs)
    }
    let delta = try deltaReply!.decode(Delta.self, "GET …/delta?since=1")
    let snapshot = try snapshotReply!.decode(Snapshot.self, "GET …/snapshot")
    let deltaSize = deltaReply!.size
    let snapshotSize = snapshotReply!.size
    say("4. price list v2: \(grouped(v2.changed)) prices changed, \(grouped(v2.removed)) SKUs removed "
        + "(published to \(second.recipients.map(grouped) ?? "?") dealers in \(milliseconds(publishV2Ms)))")
    say("   delta since v1: \(byteSize(deltaSize)) (\(grouped(delta.upserted.count)) upserted, \(grouped(delta.removed.count)) removed); "
        + "latency \(summary(deltaTimes))")
    say("   snapshot:       \(byteSize(snapshotSize)) (\(grouped(snapshot.items?.count ?? 0)) items); latency \(summary(snapshotTimes))")
    say("   the delta is \(fixed(Double(deltaSize) * 100 / Double(max(1, snapshotSize)), 2)) % of the snapshot "
        + "(\(fixed(Double(snapshotSize) / Double(max(1, deltaSize)), 1))× smaller)")
    let v1SKUs = Set(v1.map(\.sku))
    let v2SKUs = Set(v2.items.map(\.sku))
    let v1Cents = Dictionary(uniqueKeysWithValues: v1.map { ($0.sku, $0.cents) })
    let expectedUpserted = Set(v2.items.filter { v1Cents[$0.sku] != $0.cents }.map(\.sku))
    let expectedRemoved = v1SKUs.subtracting(v2SKUs)
    wrong = []
    if delta.fromVersion != 1 || delta.toVersion != 2 { wrong.append("the delta goes from \(delta.fromVersion) to \(delta.toVersion)") }
    if Set(delta.upserted.map(\.sku)) != expectedUpserted || delta.upserted.count != expectedUpserted.count {
        wrong.append("the delta upserts \(delta.upserted.count) SKUs, not the \(expectedUpserted.count) changed")
    }
    if Set(delta.removed) != expectedRemoved || delta.removed.count != expectedRemoved.count {
        wrong.append("the delta removes \(delta.removed.count) SKUs, not the \(expectedRemoved.count) removed")
    }
    if snapshot.version != 2 || snapshot.items?.count != v2.items.count {
        wrong.append("the snapshot is version \(snapshot.version) with \(snapshot.items?.count ?? 0) items, not 2 with \(v2.items.count)")
    }
    guard wrong.isEmpty else { throw BenchmarkFailure.failed("delta/snapshot: " + wrong.joined(separator: "; ")) }

    // 5. Every shop's daily report, posted with its dealer's key. The bodies are encoded first.
    let day = yesterday()
    let reports = try shops.map { shop in
        (shop: shop, key: keys[shop.dealer], body: try json(ReportPost(shop: shop, day: day, receipts: options.receipts, prices: v2.items)))
    }
    let reportBytes = reports.reduce(0) { $0 + $1.body.readableBytes }
    let reportURL = base + "/v1/dealer/sales-reports"
    cpu = CPUSnapshot.take()
    let intakeStart = ContinuousClock.now
    let intakes = try await concurrentMap(reports, width: poolWidth) { report in
        let (reply, elapsed) = try await timed { try await call(http, .POST, reportURL, as: .dealer(key: report.key), body: report.body) }
        let what = "POST /v1/dealer/sales-reports (\(report.shop.code))"
        let intake = try reply.expect(201, what).decode(Intake.self, what)
        guard intake.changed, intake.report.version == 1 else {
            throw BenchmarkFailure.failed("\(what): a first report answered changed \(intake.changed), version \(intake.report.version)")
        }
        return (elapsed: elapsed, anomalies: intake.report.anomalies.count)
    }
    let intakeSeconds = max(0.001, seconds(ContinuousClock.now - intakeStart))
    let usage = CPUSnapshot.take().since(cpu)
    let lines = options.shops * options.receipts * ReportPost.linesPerReceipt
    let stored = try await scalar("SELECT count(*)::int FROM sales_reports", db)
    let flagged = intakes.reduce(0) { $0 + $1.anomalies }
    say("5. shops' daily reports: \(grouped(options.shops)) reports of \(options.receipts) receipts × \(ReportPost.linesPerReceipt) lines "
        + "(\(byteSize(reportBytes / max(1, options.shops))) each), \(poolWidth) at a time, in \(fixed(intakeSeconds, 2)) s: "
        + "\(rate(Double(options.shops) / intakeSeconds)) reports/s, \(rate(Double(lines) / intakeSeconds)) receipt lines/s")
    say("   per report: \(summary(intakes.map(\.elapsed)))")
    say("   stored: \(grouped(stored)) reports (expected \(grouped(options.shops))); anomalies flagged: \(grouped(flagged)) "
        + "(none expected: every line at its list price, within opening hours)")
    say("   cpu: \(usage)")
    guard stored == options.shops else { throw BenchmarkFailure.failed("\(stored) reports stored, \(options.shops) posted") }

    // The same reports again: the same content counts once.
    let again = try await concurrentMap(Array(reports.prefix(repostCount)), width: poolWidth) { report in
        let (reply, elapsed) = try await timed { try await call(http, .POST, reportURL, as: .dealer(key: report.key), body: report.body) }
        let what = "POST /v1/dealer/sales-reports again (\(report.shop.code))"
        let intake = try reply.expect(200, what).decode(Intake.self, what)
        guard !intake.changed, intake.report.version == 1 else {
            throw BenchmarkFailure.failed("\(what): the same report answered changed \(intake.changed), version \(intake.report.version)")
        }
        return elapsed
    }
    say("   \(again.count) of them posted again unchanged: every one 200 with \"changed\": false, still version 1; "
        + "latency \(summary(again))")
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    let tag = randomTag()
    var env = [
        "DMS_SERVICE_TOKEN": token, "DMS_LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning",
        "DMS_CONSUMER_GROUP": "bench-dealer-info-\(tag)",
        // A new group starts at the end of inventory's topic: the stock levels it already holds
        // (the demo, other runs) are not what is measured.
        "DMS_KAFKA_PROP_AUTO_OFFSET_RESET": "latest",
    ]
    env.merge(options.extraEnvironment) { $1 }
    try await withScratchService(
        "dealer-info", benchmark: "dealer-info-benchmark", database: "bench_dealer_info_\(tag)", environment: environment,
        admin: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL), serviceEnvironment: env,
        // One connection per feed client, so that test 3 measures the service and not a queue here.
        httpConfiguration: .init(
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(64, options.feedClients + 8))),
        logger: logger
    ) { service, http, db in
        try await measure(options, service: service, http: http, db: db)
    }
}

// Runs the benchmark; Ctrl-C (or SIGTERM) cancels it, which still stops the service and drops the
// database.
exit(
    await runFromCommandLine(
        name: "dealer-info-benchmark", cleanUp: "stopping dealer-info and dropping the database", parse: { try Options($0) }
    ) { options in
        try await run(options)
    })
