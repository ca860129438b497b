import AsyncHTTPClient
import BenchmarkSupport
import Contracts
import Foundation
import Logging
import Messaging
import NIOCore
import NIOHTTP1
import PostgresNIO

// `swift build -c release && .build/release/inventory-benchmark [--import-rows N] [--orders N] [--rate N]
//                                                               [--contention-orders N] [--contention-stock N]`
//
// Starts `inventory` (the executable next to this one) on a fresh database of the local PostgreSQL
// and the local broker (a consumer group of its own, starting at the end of the topic), then measures
//   1. CSV imports: a catalog of N products (stocked, manufactured, purchased) posted to
//      `/v1/imports/catalog`, then opening stock of the stocked ones in two warehouses (N rows) to
//      `/v1/imports/stock`: rows per second of each HTTP call;
//   2. buyer orders routed: M `BuyerOrderPlaced` (3 lines: one reserved from stock, one made, one
//      bought) published at a steady rate, open loop; routed per second and latency
//      (`orders.routed_at` − the moment the event was handed to the producer) p50/p99/max;
//   3. reservations under contention: C orders of 1 unit of one stocked product (stock K) published
//      at once; reservations per second and the stock invariants checked afterwards (exit 1 if broken).
// Every knob also reads a BENCH_* environment variable (a flag wins over the variable).

let logger = Logger(label: "inventory-benchmark")
let token = "bench-token"
/// Where the inventory process writes its log (named in failures).
let serviceLog = ServiceRun.logFile(benchmark: "inventory-benchmark", service: "inventory")

struct Options {
    var importRows = 20_000
    var orders = 2_000
    var rate = 200
    var contentionOrders = 2_000
    var contentionStock = 100_000

    static let help = """
        inventory-benchmark [--import-rows N] [--orders N] [--rate N] [--contention-orders N] [--contention-stock N]
          --import-rows N        products in the catalog CSV, and rows in the stock CSV (BENCH_IMPORT_ROWS, default 20000)
          --orders N             BuyerOrderPlaced events of 3 lines for test 2 (BENCH_ORDERS, default 2000)
          --rate N               their offered rate per second (BENCH_RATE, default 200)
          --contention-orders N  orders of 1 unit of one product for test 3 (BENCH_CONTENTION_ORDERS, default 2000)
          --contention-stock N   that product's stock (BENCH_CONTENTION_STOCK, default 100000)
        Needs the local PostgreSQL and broker (infra/run) and the release build of inventory next to it.
        """

    init(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        importRows = try positiveNumber("BENCH_IMPORT_ROWS", in: environment, default: importRows)
        orders = try positiveNumber("BENCH_ORDERS", in: environment, default: orders)
        rate = try positiveNumber("BENCH_RATE", in: environment, default: rate)
        contentionOrders = try positiveNumber("BENCH_CONTENTION_ORDERS", in: environment, default: contentionOrders)
        contentionStock = try positiveNumber("BENCH_CONTENTION_STOCK", in: environment, default: contentionStock)
        var flags = Flags(arguments, help: Self.help)
        while let flag = flags.next() {
            let value = try flags.positiveNumber(after: flag)
            switch flag {
            case "--import-rows": importRows = value
            case "--orders": orders = value
            case "--rate": rate = value
            case "--contention-orders": contentionOrders = value
            case "--contention-stock": contentionStock = value
            default: throw flags.unknown(flag)
            }
        }
    }
}

// MARK: Helpers

/// One call with the service token (an import may take minutes): status and body.
func request(
    _ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: String? = nil, contentType: String = "application/json"
) async throws -> (Int, String) {
    let reply = try await sendRequest(
        http, method, url, authorization: "Bearer \(token)", body: body.map { ByteBuffer(string: $0) }, contentType: contentType,
        timeout: .seconds(600))
    return (reply.status, reply.text)
}

/// The products of tests 2 and 3 (test 1 imports its own).
struct BenchProducts: Sendable {
    var stock: String
    var make: String
    var buy: String
    var hot: String

    init(tag: String) {
        stock = "B-\(tag)-STOCK"
        make = "B-\(tag)-MAKE"
        buy = "B-\(tag)-BUY"
        hot = "B-\(tag)-HOT"
    }
}

/// One line of a generated buyer order.
struct Line: Sendable {
    var sku: String
    var quantity: Int
}

/// A `BuyerOrderPlaced` as deals publishes it: on the deals topic, keyed by the deal.
func orderPlaced(order: UUID, deal: UUID, lines: [Line], at time: Date) throws -> OutgoingRecord {
    let payload = BuyerOrderPlaced(
        orderId: order, dealId: deal, lines: lines.map { OrderLine(lineId: UUID(), sku: $0.sku, quantity: Decimal($0.quantity)) },
        placedAt: time)
    let envelope = try EventEnvelope(
        occurredAt: time, source: ServiceName.deals.rawValue, key: deal.uuidString.lowercased(), correlationId: deal, payload: payload)
    return OutgoingRecord(topic: Topic.dealsEvents, key: Array(envelope.key.utf8), value: try envelope.encoded())
}

/// Sends records in batches of 500, each acknowledged before the next.
func publish(_ records: [OutgoingRecord], _ producer: KafkaProducer) async throws {
    for chunk in stride(from: 0, to: records.count, by: 500) {
        for result in await producer.send(Array(records[chunk..<min(chunk + 500, records.count)])) { _ = try result.get() }
    }
}

func scalar(_ query: PostgresQuery, _ db: PostgresClient) async throws -> Int {
    try await db.query(query, logger: logger).collect().first!.decode(Int.self)
}

func routedCount(_ orders: [UUID], _ db: PostgresClient) async throws -> Int {
    try await scalar("SELECT count(*)::int FROM orders WHERE id = ANY(\(orders)) AND routed_at IS NOT NULL", db)
}

/// Polls inventory's database until every order is routed; fails after `limit`, saying how many
/// events were dead-lettered (an order the service refused is never routed).
func waitRouted(_ orders: [UUID], _ db: PostgresClient, within limit: Duration, _ what: String) async throws {
    let deadline = ContinuousClock.now + limit
    while true {
        let count = try await routedCount(orders, db)
        if count == orders.count { return }
        guard ContinuousClock.now < deadline else {
            let dead = try await scalar("SELECT count(*)::int FROM inbox WHERE outcome = 'dead_lettered'", db)
            throw BenchmarkFailure.failed(
                "\(what): only \(grouped(count)) of \(grouped(orders.count)) orders routed within \(format(limit)); "
                    + "\(dead) events dead-lettered (inventory's log: \(serviceLog.path))")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Posts a CSV file to an import endpoint; fails unless it answers 200 with every row imported.
/// Returns the wall time of the HTTP call in seconds.
func importCSV(_ http: HTTPClient, _ url: String, _ csv: String, rows: Int) async throws -> Double {
    struct Answer: Decodable { var rows: Int }
    let started = ContinuousClock.now
    let (status, body) = try await request(http, .POST, url, csv, contentType: "text/csv")
    let elapsed = milliseconds(since: started) / 1000
    guard status == 200 else { throw BenchmarkFailure.failed("POST \(url): \(status) \(body.prefix(600))") }
    let imported = try JSONDecoder().decode(Answer.self, from: Data(body.utf8)).rows
    guard imported == rows else { throw BenchmarkFailure.failed("POST \(url): \(imported) rows imported, \(rows) sent") }
    return elapsed
}

// MARK: Test 1: CSV imports

/// A catalog of `count` products: half stocked, a quarter manufactured, a quarter purchased (with a
/// supplier); none lot-tracked. Returns the file and the SKUs of the stocked products.
func catalogCSV(count: Int, tag: String) -> (csv: String, stocked: [String]) {
    var csv = "sku,name,equipment_type,sourcing,default_supplier,lot_tracked,shelf_life_days\n"
    csv.reserveCapacity(count * 72)
    var stocked: [String] = []
    for index in 0..<count {
        let sku = "B-\(tag)-\(index)"
        switch index % 4 {
        case 0, 1:
            csv += "\(sku),Bench product \(index),bench_pumps,stocked,,false,\n"
            stocked.append(sku)
        case 2:
            csv += "\(sku),Bench product \(index),bench_chambers,manufactured,,false,\n"
        default:
            csv += "\(sku),Bench product \(index),bench_simulators,purchased,Bench Supplier \(index % 10),false,\n"
        }
    }
    return (csv, stocked)
}

/// Opening stock of each stocked product in both warehouses.
func stockCSV(_ skus: [String]) -> (csv: String, rows: Int) {
    var csv = "sku,warehouse,quantity\n"
    csv.reserveCapacity(skus.count * 2 * 40)
    for (index, sku) in skus.enumerated() {
        csv += "\(sku),MSK-1,\(1 + index % 100)\n"
        csv += "\(sku),EKB-1,\(1 + index % 7)\n"
    }
    return (csv, skus.count * 2)
}

// MARK: The run

func measure(_ options: Options, inventory: ServiceRun, http: HTTPClient, db: PostgresClient, producer: KafkaProducer) async throws {
    let base = inventory.base
    // The migrations create no warehouses (the demo seed does): the two of the demo.
    try await db.query(
        "INSERT INTO warehouses (code, name) VALUES ('MSK-1', 'Bench Moscow'), ('EKB-1', 'Bench Yekaterinburg') ON CONFLICT (code) DO NOTHING",
        logger: logger)
    say("inventory-benchmark — \(Machine.description)")
    let tag = randomTag()

    // 1. CSV imports.
    var cpu = CPUSnapshot.take()
    let catalog = catalogCSV(count: options.importRows, tag: tag)
    let catalogSeconds = try await importCSV(http, base + "/v1/imports/catalog", catalog.csv, rows: options.importRows)
    say("1. catalog import: \(grouped(options.importRows)) rows (\(catalog.csv.utf8.count / 1024) KiB) in \(fixed(catalogSeconds, 2)) s: "
        + "\(rate(Double(options.importRows) / catalogSeconds)) rows/s")
    let stock = stockCSV(catalog.stocked)
    let stockSeconds = try await importCSV(http, base + "/v1/imports/stock", stock.csv, rows: stock.rows)
    say("   stock import: \(grouped(stock.rows)) rows (\(stock.csv.utf8.count / 1024) KiB) in \(fixed(stockSeconds, 2)) s: "
        + "\(rate(Double(stock.rows) / stockSeconds)) rows/s")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // The products of tests 2 and 3, and their stock.
    let products = BenchProducts(tag: tag)
    let routingStock = max(1_000_000, options.orders * 2)
    _ = try await importCSV(http, base + "/v1/imports/catalog", """
        sku,name,equipment_type,sourcing,default_supplier,lot_tracked,shelf_life_days
        \(products.stock),Bench stocked pump,bench_pumps,stocked,,false,
        \(products.make),Bench chamber,bench_chambers,manufactured,,false,
        \(products.buy),Bench simulator,bench_simulators,purchased,Bench Supplier,false,
        \(products.hot),Bench contended pump,bench_pumps,stocked,,false,

        """, rows: 4)
    _ = try await importCSV(http, base + "/v1/imports/stock", """
        sku,warehouse,quantity
        \(products.stock),MSK-1,\(routingStock)
        \(products.hot),MSK-1,\(options.contentionStock)

        """, rows: 2)
    let routingLines = [Line(sku: products.stock, quantity: 1), Line(sku: products.make, quantity: 1), Line(sku: products.buy, quantity: 1)]

    // Warm-up: the group starts at the end of the topic once its partitions are assigned, so an order
    // sent before that is never read. One order every 2 s until one is routed, then a round of 12
    // (several partitions) that must all be routed.
    let warmDeadline = ContinuousClock.now + .seconds(120)
    var warmOrders: [UUID] = []
    warming: while true {
        let order = UUID()
        warmOrders.append(order)
        try await publish([try orderPlaced(order: order, deal: UUID(), lines: routingLines, at: Date())], producer)
        let retryAt = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < retryAt {
            if try await routedCount(warmOrders, db) > 0 { break warming }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ContinuousClock.now < warmDeadline else {
            throw BenchmarkFailure.failed("no warm-up order was routed in 2 minutes (inventory's log: \(serviceLog.path))")
        }
    }
    let warmRound = (0..<12).map { _ in UUID() }
    try await publish(try warmRound.map { try orderPlaced(order: $0, deal: UUID(), lines: routingLines, at: Date()) }, producer)
    try await waitRouted(warmRound, db, within: .seconds(60), "warm-up")

    // 2. Orders routed at a steady rate (open loop: each order leaves at its scheduled time).
    cpu = CPUSnapshot.take()
    let interval = 1.0 / Double(options.rate)
    let scheduleStart = ContinuousClock.now + .milliseconds(50)
    let orderCount = options.orders
    let sent: [UUID: Date] = try await withThrowingTaskGroup(of: (UUID, Date).self) { group in
        for index in 0..<orderCount {
            try await Task.sleep(until: scheduleStart + .nanoseconds(Int64(interval * Double(index) * 1e9)))
            group.addTask {
                let order = UUID()
                let time = Date()
                let record = try orderPlaced(order: order, deal: UUID(), lines: routingLines, at: time)
                for result in await producer.send([record]) { _ = try result.get() }
                return (order, time)
            }
        }
        var all: [UUID: Date] = [:]
        for try await item in group { all[item.0] = item.1 }
        return all
    }
    let orderIDs = Array(sent.keys)
    try await waitRouted(orderIDs, db, within: .seconds(300), "routing")
    var latencies: [Double] = []
    var lastRouted = Date.distantPast
    for row in try await db.query("SELECT id, routed_at FROM orders WHERE id = ANY(\(orderIDs))", logger: logger).collect() {
        let (id, routedAt) = try row.decode((UUID, Date).self)
        latencies.append(routedAt.timeIntervalSince(sent[id]!) * 1000)
        lastRouted = max(lastRouted, routedAt)
    }
    let firstSent = sent.values.min()!
    let lastSent = sent.values.max()!
    let routingSeconds = max(0.001, lastRouted.timeIntervalSince(firstSent))
    say("2. \(grouped(orderCount)) BuyerOrderPlaced (3 lines: stock, production, purchase) offered at \(grouped(options.rate))/s "
        + "(sent in \(fixed(lastSent.timeIntervalSince(firstSent), 1)) s): \(rate(Double(orderCount) / routingSeconds)) orders routed/s")
    say("   event produced → orders.routed_at: \(summary(latencies))")
    var supply: [String: Int] = [:]
    for row in try await db.query(
        "SELECT kind, count(*)::int FROM supply_orders WHERE order_id = ANY(\(orderIDs)) GROUP BY kind", logger: logger
    ).collect() {
        let (kind, count) = try row.decode((String, Int).self)
        supply[kind] = count
    }
    let reservations = try await scalar("SELECT count(*)::int FROM reservations WHERE order_id = ANY(\(orderIDs))", db)
    say("   written: \(grouped(reservations)) reservations, \(grouped(supply["production"] ?? 0)) production orders, "
        + "\(grouped(supply["purchase"] ?? 0)) supplier orders (expected \(grouped(orderCount)) each)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // 3. Reservations contending for one product's stock: every order at once, each from its own deal
    // (so they spread over the partitions), all for the same stock bucket.
    let hotOrders = (0..<options.contentionOrders).map { _ in UUID() }
    let placedAt = Date()
    let hotRecords = try hotOrders.map {
        try orderPlaced(order: $0, deal: UUID(), lines: [Line(sku: products.hot, quantity: 1)], at: placedAt)
    }
    cpu = CPUSnapshot.take()
    let hotStart = Date()
    try await publish(hotRecords, producer)
    try await waitRouted(hotOrders, db, within: .seconds(300), "contention")
    let lastHot = try await db.query("SELECT max(routed_at) FROM orders WHERE id = ANY(\(hotOrders))", logger: logger)
        .collect().first!.decode(Date.self)
    let hotSeconds = max(0.001, lastHot.timeIntervalSince(hotStart))
    let expected = min(options.contentionOrders, options.contentionStock)
    say("3. \(grouped(options.contentionOrders)) orders of 1 unit of one product (stock \(grouped(options.contentionStock))), sent at once, "
        + "routed in \(fixed(hotSeconds, 2)) s: \(rate(Double(expected) / hotSeconds)) reservations/s "
        + "(\(rate(Double(options.contentionOrders) / hotSeconds)) orders/s)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // The invariants: what is reserved is what the active reservations hold, never more than on hand.
    let active = try await scalar(
        """
        SELECT coalesce(sum(r.quantity), 0)::int FROM reservations r JOIN stock_buckets b ON b.id = r.bucket_id
        WHERE b.sku = \(products.hot) AND r.state = 'active'
        """, db)
    let hotReservations = try await scalar("SELECT count(*)::int FROM reservations WHERE order_id = ANY(\(hotOrders))", db)
    var onHand = 0
    var reserved = 0
    for row in try await db.query(
        "SELECT on_hand::int, reserved::int FROM stock_buckets WHERE sku = \(products.hot)", logger: logger
    ).collect() {
        let (bucketOnHand, bucketReserved) = try row.decode((Int, Int).self)
        onHand += bucketOnHand
        reserved += bucketReserved
    }
    let backordered = try await scalar("SELECT coalesce(sum(backordered), 0)::int FROM order_lines WHERE sku = \(products.hot)", db)
    let overReserved = try await scalar("SELECT count(*)::int FROM stock_buckets WHERE reserved > on_hand OR reserved < 0", db)
    let mismatched = try await scalar(
        """
        SELECT count(*)::int FROM stock_buckets b
        WHERE b.reserved <> (SELECT coalesce(sum(r.quantity), 0) FROM reservations r WHERE r.bucket_id = b.id AND r.state = 'active')
        """, db)
    say("   active reservations: \(grouped(active)) units in \(grouped(hotReservations)) reservations "
        + "(expected min(\(grouped(options.contentionOrders)), \(grouped(options.contentionStock))) = \(grouped(expected))); "
        + "bucket on hand \(grouped(onHand)), reserved \(grouped(reserved)); backordered \(grouped(backordered)) "
        + "(expected \(grouped(options.contentionOrders - expected)))")
    say("   buckets with reserved > on_hand: \(overReserved); buckets whose reserved differs from their active reservations: \(mismatched)")
    var broken: [String] = []
    if active != expected { broken.append("active reservations \(active) ≠ \(expected)") }
    if hotReservations != expected { broken.append("\(hotReservations) reservations ≠ \(expected)") }
    if reserved != active { broken.append("bucket reserved \(reserved) ≠ active reservations \(active)") }
    if onHand != options.contentionStock { broken.append("on hand \(onHand) ≠ stock \(options.contentionStock)") }
    if reserved > onHand { broken.append("reserved \(reserved) > on hand \(onHand)") }
    if backordered != options.contentionOrders - expected { broken.append("backordered \(backordered) ≠ \(options.contentionOrders - expected)") }
    if overReserved != 0 { broken.append("\(overReserved) buckets reserve more than they hold") }
    if mismatched != 0 { broken.append("\(mismatched) buckets disagree with their reservations") }
    guard broken.isEmpty else { throw BenchmarkFailure.failed("invariant violated: " + broken.joined(separator: "; ")) }
    say("   invariant held")
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    let name = "bench_inventory_\(randomTag())"
    try await withScratchService(
        "inventory", benchmark: "inventory-benchmark", database: name, environment: environment,
        admin: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL),
        serviceEnvironment: [
            "DMS_SERVICE_TOKEN": token, "DMS_LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning",
            "DMS_CONSUMER_GROUP": "bench-inventory-\(randomTag())",
            // A new group starts at the end of the deals topic: the orders it already holds (other runs,
            // the demo) name products this database does not know, and would only be dead-lettered.
            "DMS_KAFKA_PROP_AUTO_OFFSET_RESET": "latest",
        ],
        logger: logger
    ) { inventory, http, db in
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: environment.brokers), logger: logger)
        do {
            try await measure(options, inventory: inventory, http: http, db: db, producer: producer)
        } catch {
            await withoutCancellation { await producer.shutdown() }
            throw error
        }
        await withoutCancellation { await producer.shutdown() }
    }
}

exit(await runInterruptibly(name: "inventory-benchmark", cleanUp: "stopping inventory and dropping the database") {
    try await run(try Options(Array(CommandLine.arguments.dropFirst())))
})
