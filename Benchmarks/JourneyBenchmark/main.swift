import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import PostgresNIO
import Storage

// `swift build -c release && .build/release/journey-benchmark [--journeys N] [--concurrency N] [--help]`
//
// The whole sales journey across four services, as a customer and a manager drive it:
//   inquiry posted to ingest (signed web form) → lead created in leads → lead assigned, started,
//   qualified and converted (leads' HTTP API) → deal opened in deals from `LeadConverted` → the deal
//   given 3 lines (stocked, manufactured, purchased) and a complete legal entity, moved to
//   `contract`, buyer order placed → every line routed in inventory (`orders.routed_at` committed).
// Starts `ingest`, `leads`, `deals` and `inventory` (the executables next to this one), each on a
// fresh database of the local PostgreSQL and with a consumer group of its own on the local broker
// (starting at the end of its topics), seeds deals and inventory with the demo data, and runs N
// journeys, C at a time (each of C workers starts its next journey when the last one's order is
// routed). Reports journeys per second, end-to-end latency (inquiry POST → commit of the routing)
// p50/p99/max, the latency of each hand-over between services, and the CPU used.
// Every knob also reads a BENCH_* environment variable (a flag wins over the variable).

struct Options {
    var journeys = 300
    var concurrency = 8
    var warmUp = 8
    /// Whether the services use the suite's topics (so that a suite running beside them, such as
    /// the demo suite, also reads and applies every journey's events) or topics of their own.
    var sharedTopics = false
    /// Extra environment for a service (`--env deals:DMS_KAFKA_PROP_FETCH_WAIT_MAX_MS=100`), for tuning runs.
    var extraEnvironment: [String: [String: String]] = [:]

    static let help = """
        journey-benchmark [--journeys N] [--concurrency N] [--warm-up N] [--shared-topics] [--env service:NAME=value]
          --journeys N      journeys measured (BENCH_JOURNEYS, default 300)
          --concurrency N   journeys in flight at once (BENCH_CONCURRENCY, default 8)
          --warm-up N       journeys run first and not counted, once the consumer groups have joined (BENCH_WARM_UP, default 8)
          --shared-topics   publish to the suite's own topics (BENCH_SHARED_TOPICS=1): a suite running beside
                            the benchmark then applies every journey too; by default the services get topics
                            of their own (DMS_TOPIC_PREFIX=bench.<tag>.)
          --env s:NAME=v    extra environment for service s (ingest, leads, deals, inventory), for tuning runs
        BENCH_LOG_LEVEL sets the services' log level (default warning; logs in $TMPDIR/journey-benchmark-<service>.log).
        Needs the local PostgreSQL and broker (infra/run), the release build of the four services next to it,
        and infra/demo/*.sql of the repository (run it from the repository).
        """

    init(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        journeys = try positiveNumber("BENCH_JOURNEYS", in: environment, default: journeys)
        concurrency = try positiveNumber("BENCH_CONCURRENCY", in: environment, default: concurrency)
        warmUp = try positiveNumber("BENCH_WARM_UP", in: environment, default: warmUp)
        sharedTopics = environment["BENCH_SHARED_TOPICS"] == "1"
        var flags = Flags(arguments, help: Self.help)
        while let flag = flags.next() {
            if flag == "--shared-topics" {
                sharedTopics = true
                continue
            }
            let text = try flags.value(of: flag)
            if flag == "--env" {
                guard let setting = serviceSetting(text) else { throw BenchmarkFailure.failed("--env takes service:NAME=value\n\(Self.help)") }
                extraEnvironment[setting.service, default: [:]][setting.name] = setting.value
                continue
            }
            let value = try flags.positiveNumber(text, of: flag)
            switch flag {
            case "--journeys": journeys = value
            case "--concurrency": concurrency = value
            case "--warm-up": warmUp = value
            default: throw flags.unknown(flag)
            }
        }
        guard journeys <= Self.warmUpIndices.lowerBound else {
            throw BenchmarkFailure.failed("at most \(grouped(Self.warmUpIndices.lowerBound)) journeys (each needs a phone number of its own)")
        }
    }

    /// Journey numbers (phones, tax ids) of the warm-up; the measured journeys are 0..<N.
    static let warmUpIndices = 9_000_000..<10_000_000
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    guard let dealsSeed = findAbove("infra/demo/deals.sql"), let inventorySeed = findAbove("infra/demo/inventory.sql") else {
        throw BenchmarkFailure.failed("infra/demo/deals.sql and infra/demo/inventory.sql not found: run the benchmark from the repository")
    }
    let tag = randomTag()
    let admin = PostgresClient(configuration: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL), backgroundLogger: logger)
    let adminTask = Task { await admin.run() }
    defer { adminTask.cancel() }
    let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
    var created: [String] = []
    var started: [ServiceRun] = []
    var failure: (any Error)?
    do {
        var urls: [String: String] = [:]
        for service in serviceNames {
            let database = "bench_\(service)_\(tag)"
            try await admin.query("CREATE DATABASE \(unescaped: database)", logger: logger)
            created.append(database)
            urls[service] = databaseURL(environment.adminDatabaseURL, database: database)
        }
        let common = [
            "DMS_KAFKA_BROKERS": environment.brokers, "DMS_SERVICE_TOKEN": token,
            "DMS_LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning",
            // A new group starts at the end of each topic: the events the shared topics already hold
            // (the demo, other runs) would otherwise be replayed into the scratch databases while
            // the clock runs. The warm-up waits until every group has its partitions.
            "DMS_KAFKA_PROP_AUTO_OFFSET_RESET": "latest",
        ]
        .merging(options.sharedTopics ? [:] : ["DMS_TOPIC_PREFIX": "bench.\(tag)."]) { $1 }
        var services: [String: ServiceRun] = [:]
        for service in serviceNames {
            let port = freePort()
            var env = common
            env["DMS_DATABASE_URL"] = urls[service]!
            env["DMS_\(service.uppercased())_PORT"] = String(port)
            env["DMS_CONSUMER_GROUP"] = "bench-\(service)-\(tag)"
            if service == "ingest" { env.merge(secrets) { $1 } }
            env.merge(options.extraEnvironment[service] ?? [:]) { $1 }
            let process = try ServiceRun(service, port: port, environment: env, benchmark: "journey-benchmark")
            started.append(process)
            services[service] = process
        }
        try await measure(
            options, environment: environment, databases: created, services: services, urls: urls, http: http,
            seeds: (deals: dealsSeed, inventory: inventorySeed))
    } catch {
        failure = error
    }
    // Runs to its end even when the run was cancelled (Ctrl-C).
    let processes = started
    let databases = created
    await withoutCancellation {
        try? await http.shutdown()
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop() } }
        }
        for name in databases { _ = try? await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
    }
    if let failure { throw failure }
}

/// Applies a repository SQL file (several statements) to a database, one statement at a time.
func applySQLFile(_ path: String, _ client: PostgresClient) async throws {
    let sql = try String(contentsOfFile: path, encoding: .utf8)
    try await client.withConnection { connection in
        for statement in SQLScript.statements(sql) {
            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
    }
}

func measure(
    _ options: Options, environment: BenchEnvironment, databases: [String], services: [String: ServiceRun], urls: [String: String],
    http: HTTPClient, seeds: (deals: String, inventory: String)
) async throws {
    for service in serviceNames { try await services[service]!.waitReady(http) }
    func client(_ service: String) throws -> PostgresClient {
        PostgresClient(configuration: try PostgresClient.Configuration.fromURL(urls[service]!), backgroundLogger: logger)
    }
    let leadsDB = try client("leads")
    let dealsDB = try client("deals")
    let inventoryDB = try client("inventory")
    let clientTasks = [leadsDB, dealsDB, inventoryDB].map { db in Task { await db.run() } }
    defer { clientTasks.forEach { $0.cancel() } }
    try await requireCommitTimestamps(leadsDB, logger: logger)

    // The demo's sales configuration and catalog (migrations ran when the services started), PMP-100
    // stocked for every journey, and a department with a manager in leads (the deal takes both from
    // the converted lead; `prom` has a head in the demo data of deals).
    try await applySQLFile(seeds.deals, dealsDB)
    try await applySQLFile(seeds.inventory, inventoryDB)
    let inventory = services["inventory"]!.base
    try await call(
        http, .POST, inventory + "/v1/stock/movements",
        json: #"{"kind":"receipt","sku":"PMP-100","warehouse":"MSK-1","quantity":1000000,"reason":"bench"}"#
    ).expect(204, "POST /v1/stock/movements")
    let leads = services["leads"]!.base
    try await call(http, .POST, leads + "/v1/departments", json: #"{"code":"prom","name":"Prom"}"#).expect(201, "POST /v1/departments")
    let manager = try createdID(
        try await call(
            http, .POST, leads + "/v1/staff",
            json: #"{"name":"Bench Manager","email":"manager@bench.test","role":"manager","departmentCode":"prom"}"#
        ).expect(201, "POST /v1/staff").body)

    // What the journeys wait for, each looked up in its service's database every 20 ms, with the
    // commit time of the row's transaction (when the result became visible; the row is seen before
    // the journey's next command changes it, so `xmin` is still the transaction that wrote it).
    let every = Duration.milliseconds(20)
    let leadsSeen = Watch<String, LeadSeen>(
        "the lead of the inquiry from", hint: "logs: \(serviceLog("ingest").path), \(serviceLog("leads").path)", every: every
    ) { phones in
        var found: [String: LeadSeen] = [:]
        let rows = try await leadsDB.query("SELECT phone_e164, id, pg_xact_commit_timestamp(xmin) FROM leads WHERE phone_e164 = ANY(\(phones))", logger: logger)
        for try await (phone, id, created) in rows.decode((String, UUID, Date).self) { found[phone] = LeadSeen(id: id, createdAt: created) }
        return found
    }
    let dealsSeen = Watch<UUID, DealSeen>(
        "the deal opened from lead", hint: "logs: \(serviceLog("leads").path), \(serviceLog("deals").path)", every: every
    ) { leadIDs in
        var found: [UUID: DealSeen] = [:]
        let rows = try await dealsDB.query("SELECT lead_id, id, version, pg_xact_commit_timestamp(xmin) FROM deals WHERE lead_id = ANY(\(leadIDs))", logger: logger)
        for try await (lead, id, version, created) in rows.decode((UUID, UUID, Int, Date).self) {
            found[lead] = DealSeen(id: id, version: version, createdAt: created)
        }
        return found
    }
    let ordersRouted = Watch<UUID, Date>(
        "the routed order of deal", hint: "logs: \(serviceLog("deals").path), \(serviceLog("inventory").path)", every: every
    ) { dealIDs in
        var found: [UUID: Date] = [:]
        let rows = try await inventoryDB.query(
            "SELECT deal_id, pg_xact_commit_timestamp(xmin) FROM orders WHERE deal_id = ANY(\(dealIDs)) AND routed_at IS NOT NULL", logger: logger)
        for try await (deal, routed) in rows.decode((UUID, Date).self) { found[deal] = routed }
        return found
    }
    let journey = Journey(
        http: http, ingest: services["ingest"]!.base, leads: leads, deals: services["deals"]!.base, department: "prom", manager: manager,
        leadsSeen: leadsSeen, dealsSeen: dealsSeen, ordersRouted: ordersRouted)

    say("journey-benchmark — \(Machine.description)")
    say("broker \(environment.brokers); databases \(databases.joined(separator: ", "))")
    say(options.sharedTopics
        ? "topics: the suite's own (a suite running beside the benchmark applies every journey too)"
        : "topics: the benchmark's own (bench.<tag>.dms.*; --shared-topics publishes to the suite's)")

    // Warm-up: each consumer group starts at the end of its topics once its partitions are
    // assigned, so an event sent before that is never read. One journey at a time (5 s per
    // hand-over) until one gets through, then a round that must complete, none of it counted.
    let warmStart = ContinuousClock.now
    var warmIndex = Options.warmUpIndices.lowerBound
    var attempts = 0
    while true {
        attempts += 1
        do {
            _ = try await journey.run(warmIndex, limit: .seconds(5))
            warmIndex += 1
            break
        } catch let notSeen as NotSeen {
            warmIndex += 1
            guard ContinuousClock.now - warmStart < .seconds(120) else {
                throw BenchmarkFailure.failed("no warm-up journey got through in 2 minutes; the last: \(notSeen)")
            }
        }
    }
    let warmRound = Array(warmIndex..<min(warmIndex + options.warmUp, Options.warmUpIndices.upperBound))
    _ = try await journey.run(warmRound, concurrency: options.concurrency, limit: .seconds(60))
    say("warm-up: \(attempts) journey\(attempts == 1 ? "" : "s") one at a time until one got through, then \(warmRound.count) "
        + "(\(format(ContinuousClock.now - warmStart)))")

    // The measured journeys.
    let cpu = CPUSnapshot.take()
    let times = try await journey.run(Array(0..<options.journeys), concurrency: options.concurrency, limit: .seconds(120))
    let usage = CPUSnapshot.take().since(cpu)
    let first = times.map(\.started).min()!
    let last = times.map(\.routedAt).max()!
    let elapsed = max(0.001, last.timeIntervalSince(first))
    say("\(grouped(times.count)) journeys, \(options.concurrency) in flight: \(rate(Double(times.count) / elapsed)) journeys/s "
        + "(first inquiry posted → last order routed: \(fixed(elapsed, 1)) s)")
    say("   end to end, inquiry POST → routing committed: \(summary(times.map(\.endToEnd)))")
    say("   inquiry POST → lead committed: \(summary(times.map(\.inquiryToLead)))")
    say("   convert call → deal committed: \(summary(times.map(\.convertToDeal)))")
    say("   order call → routing committed: \(summary(times.map(\.orderToRouted)))")
    say("   the manager's calls: leads (assign, start, qualify, convert) \(summary(times.map(\.leadCommands)))")
    say("                        deals (PATCH, stage, order) \(summary(times.map(\.dealCommands)))")
    say("   cpu: \(usage)")
}

// Runs the benchmark; Ctrl-C (or SIGTERM) cancels it, which still stops the services and drops
// the databases.
exit(
    await runFromCommandLine(
        name: "journey-benchmark", cleanUp: "stopping the services and dropping the databases", parse: { try Options($0) }
    ) { options in
        try await run(options)
    })
