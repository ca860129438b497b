import AsyncHTTPClient
import BenchmarkSupport
import Contracts
import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceKit

// `swift build -c release && .build/release/inquiry-benchmark [--help]`
//
// Starts `ingest` and `leads` (the executables next to this one) on fresh databases of the local
// PostgreSQL and the local broker, posts signed web-form inquiries at fixed rates (open loop: each
// request leaves at its scheduled time, latency counted from then) and reports
//   1. acknowledgement latency p50/p99 at --ack-rate (500/s), with leads consuming at the same
//      time (everything on one machine) and, 1b, with leads stopped (the acknowledgement path alone),
//   2. inquiry → lead latency p50/p99 at --lead-rate (200/s): from the scheduled post to the
//      moment the leads transaction stamped the lead (`leads.created_at`; it commits with its batch),
//   3. the highest sustained rate among --steps: every request acknowledged, ack p99 under 100 ms,
//      and every lead visible within 5 s of the step's end.
// Every inquiry comes from a new phone number, so each one creates a lead (the heavier path).

struct Options {
    var ackRate = 500
    var leadRate = 200
    var seconds = 10
    var steps = [300, 500, 800, 1200, 1600]
    var stepSeconds = 5
    /// Extra environment for a service (`--env leads:DMS_KAFKA_PROP_FETCH_WAIT_MAX_MS=100`), for tuning runs.
    var extraEnvironment: [String: [String: String]] = [:]

    static let help = """
        inquiry-benchmark [--ack-rate N] [--lead-rate N] [--seconds S] [--steps a,b,c] [--step-seconds S] [--env service:NAME=value]
        Needs the local PostgreSQL and broker (infra/run) and the release build of ingest and leads next to it.
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value() throws -> String {
            guard let next = rest.popFirst() else { throw BenchmarkFailure.failed("a flag needs a value\n\(Self.help)") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--ack-rate": ackRate = Int(try value()) ?? ackRate
            case "--lead-rate": leadRate = Int(try value()) ?? leadRate
            case "--seconds": seconds = Int(try value()) ?? seconds
            case "--steps": steps = try value().split(separator: ",").compactMap { Int($0) }
            case "--step-seconds": stepSeconds = Int(try value()) ?? stepSeconds
            case "--env":
                let text = try value()
                guard let setting = serviceSetting(text) else { throw BenchmarkFailure.failed("--env takes service:NAME=value\n\(Self.help)") }
                extraEnvironment[setting.service, default: [:]][setting.name] = setting.value
            case "--help", "-h":
                say(Self.help)
                exit(0)
            default: throw BenchmarkFailure.failed("unknown flag \(flag)\n\(Self.help)")
            }
        }
    }
}

let logger = Logger(label: "inquiry-benchmark")
let secrets = [
    "DMS_INGEST_SECRET_PBX": "bench-pbx", "DMS_INGEST_SECRET_MAIL": "bench-mail", "DMS_INGEST_SECRET_FORMS": "bench-forms",
    "DMS_INGEST_CHAT_TOKEN": "bench-chat-token-0123456789",
]

/// What one phase measured.
struct Phase {
    var acks: [Double] = []  // ms, sorted
    var failures = 0
    var posted: [String: Date] = [:]  // phone → scheduled time
}

/// Posts `rate`/s signed forms for `seconds`, each from a new phone, open loop.
func post(rate: Int, seconds: Int, prefix: Int, http: HTTPClient, ingestPort: Int) async -> Phase {
    let total = rate * seconds
    let interval = 1.0 / Double(rate)
    let start = ContinuousClock.now + .milliseconds(50)
    let wallStart = Date().addingTimeInterval(0.05)
    let results = await withTaskGroup(of: (String, Date, Double?).self) { group in
        for index in 0..<total {
            let offset = interval * Double(index)
            let scheduled = start + .nanoseconds(Int64(offset * 1e9))
            let phone = "+7916\(String(format: "%02d", prefix))\(String(format: "%05d", index))"
            try? await Task.sleep(until: scheduled)
            group.addTask {
                let body = Array(#"{"name":"Bench","phone":"\#(phone)","message":"inquiry \#(index)"}"#.utf8)
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(ingestPort)/v1/forms/submissions")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "DMS-Signature", value: WebhookSignature.sign(body, secret: secrets["DMS_INGEST_SECRET_FORMS"]!, time: Date()))
                request.body = .bytes(ByteBuffer(bytes: body))
                let scheduledWall = wallStart.addingTimeInterval(offset)
                do {
                    let response = try await http.execute(request, timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 16)
                    let latency = Double((ContinuousClock.now - scheduled).components.attoseconds) / 1e15
                        + Double((ContinuousClock.now - scheduled).components.seconds) * 1000
                    return (phone, scheduledWall, response.status.code == 202 ? latency : nil)
                } catch {
                    return (phone, scheduledWall, nil)
                }
            }
        }
        var collected: [(String, Date, Double?)] = []
        for await result in group { collected.append(result) }
        return collected
    }
    var phase = Phase()
    for (phone, scheduled, latency) in results {
        phase.posted[phone] = scheduled
        if let latency { phase.acks.append(latency) } else { phase.failures += 1 }
    }
    phase.acks.sort()
    return phase
}

/// Waits until every posted phone has a lead (or `limit` passes); returns inquiry → lead latencies (ms, sorted).
func leadLatencies(_ phase: Phase, leads: PostgresClient, limit: Duration) async throws -> (latencies: [Double], missing: Int) {
    let phones = Array(phase.posted.keys)
    let deadline = ContinuousClock.now + limit
    var found: [String: Date] = [:]
    while true {
        let rows = try await leads.query(
            "SELECT phone_e164, created_at FROM leads WHERE phone_e164 = ANY(\(phones))", logger: logger)
        found = [:]
        for try await (phone, created) in rows.decode((String, Date).self) { found[phone] = created }
        if found.count == phones.count || ContinuousClock.now >= deadline { break }
        try await Task.sleep(for: .milliseconds(100))
    }
    let latencies = found.compactMap { phone, created in phase.posted[phone].map { created.timeIntervalSince($0) * 1000 } }.sorted()
    return (latencies, phones.count - found.count)
}

/// "p50 …, p99 …, max … (n=…)" of latencies already sorted, or "no samples": BenchmarkSupport's
/// `summary` but for the empty case.
func summary(_ values: [Double]) -> String {
    guard !values.isEmpty else { return "no samples" }
    return "p50 \(milliseconds(quantile(values, 0.5))), p99 \(milliseconds(quantile(values, 0.99))), max \(milliseconds(values.last!)) (n=\(grouped(values.count)))"
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    let tag = randomTag()
    let databases = ["ingest": "bench_ingest_\(tag)", "leads": "bench_leads_\(tag)"]
    let admin = PostgresClient(configuration: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL), backgroundLogger: logger)
    let adminTask = Task { await admin.run() }
    defer { adminTask.cancel() }
    for name in databases.values { try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
    func url(_ database: String) -> String { databaseURL(environment.adminDatabaseURL, database: database) }
    let ingestPort = freePort()
    let leadsPort = freePort()
    let common = ["DMS_KAFKA_BROKERS": environment.brokers, "DMS_SERVICE_TOKEN": "bench-token", "DMS_LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning"]
    let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
    var started: [ServiceRun] = []
    var leadsDBTask: Task<Void, Never>?
    var failure: (any Error)?
    do {
        // The common set, the service's database and port, its --env extras, then the connectors'
        // secrets (only ingest reads them).
        func start(_ service: String, port: Int) throws -> ServiceRun {
            let env = common.merging(["DMS_DATABASE_URL": url(databases[service]!), "DMS_\(service.uppercased())_PORT": String(port)]) { $1 }
                .merging(options.extraEnvironment[service] ?? [:]) { $1 }.merging(secrets) { $1 }
            let process = try ServiceRun(service, port: port, environment: env, benchmark: "inquiry-benchmark")
            started.append(process)
            return process
        }
        let ingest = try start("ingest", port: ingestPort)
        let leads = try start("leads", port: leadsPort)
        let leadsDB = PostgresClient(configuration: try PostgresClient.Configuration.fromURL(url(databases["leads"]!)), backgroundLogger: logger)
        leadsDBTask = Task { await leadsDB.run() }
        try await measure(options, environment: environment, databases: databases, http: http, ingest: ingest, leads: leads, leadsDB: leadsDB)
    } catch {
        failure = error
    }
    leadsDBTask?.cancel()
    // Runs to its end even when the run was cancelled (Ctrl-C).
    let processes = started
    let names = Array(databases.values)
    await withoutCancellation {
        try? await http.shutdown()
        for process in processes { await process.stop() }
        for name in names { _ = try? await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
    }
    if let failure { throw failure }
}

func measure(
    _ options: Options, environment: BenchEnvironment, databases: [String: String], http: HTTPClient, ingest: ServiceRun,
    leads: ServiceRun, leadsDB: PostgresClient
) async throws {
    let ingestPort = ingest.port
    for service in [ingest, leads] { try await service.waitReady(http) }
    say("inquiry-benchmark — \(Machine.description)")
    say("broker \(environment.brokers); databases \(databases.values.sorted().joined(separator: ", "))")
    say("warm-up: 100 inquiries at 50/s, waiting for their leads (consumer group join)")
    let warm = await post(rate: 50, seconds: 2, prefix: 0, http: http, ingestPort: ingestPort)
    _ = try await leadLatencies(warm, leads: leadsDB, limit: .seconds(60))

    var cpu = CPUSnapshot.take()
    let ackPhase = await post(rate: options.ackRate, seconds: options.seconds, prefix: 1, http: http, ingestPort: ingestPort)
    let ackLeads = try await leadLatencies(ackPhase, leads: leadsDB, limit: .seconds(60))
    say("1. ack at \(options.ackRate)/s for \(options.seconds) s: \(summary(ackPhase.acks)); failures \(ackPhase.failures)")
    say("   (inquiry → lead at that rate: \(summary(ackLeads.latencies)); missing \(ackLeads.missing))")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // The acknowledgement path alone: leads stopped (SIGSTOP), so ingest, PostgreSQL and the
    // broker have the machine; the backlog is then drained before going on.
    kill(leads.process.processIdentifier, SIGSTOP)
    cpu = CPUSnapshot.take()
    let alone = await post(rate: options.ackRate, seconds: options.seconds, prefix: 3, http: http, ingestPort: ingestPort)
    let aloneCPU = CPUSnapshot.take().since(cpu)
    kill(leads.process.processIdentifier, SIGCONT)
    let drained = try await leadLatencies(alone, leads: leadsDB, limit: .seconds(120))
    say("1b. ack at \(options.ackRate)/s for \(options.seconds) s with leads stopped: \(summary(alone.acks)); failures \(alone.failures)")
    say("   (its leads after leads was resumed: missing \(drained.missing))")
    say("   cpu: \(aloneCPU)")

    cpu = CPUSnapshot.take()
    let leadPhase = await post(rate: options.leadRate, seconds: options.seconds, prefix: 2, http: http, ingestPort: ingestPort)
    let leadResult = try await leadLatencies(leadPhase, leads: leadsDB, limit: .seconds(60))
    say("2. inquiry → lead at \(options.leadRate)/s for \(options.seconds) s: \(summary(leadResult.latencies)); missing \(leadResult.missing)")
    say("   (ack at that rate: \(summary(leadPhase.acks)); failures \(leadPhase.failures))")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    say("3. sustained rate, \(options.stepSeconds) s per step (all acknowledged, ack p99 < 100 ms, every lead within 5 s of the step's end):")
    var best: Int?
    for (index, rate) in options.steps.enumerated() {
        cpu = CPUSnapshot.take()
        let step = await post(rate: rate, seconds: options.stepSeconds, prefix: 10 + index, http: http, ingestPort: ingestPort)
        let stepEnd = Date()
        let result = try await leadLatencies(step, leads: leadsDB, limit: .seconds(30))
        let lastLead = result.latencies.isEmpty ? nil : try await lastCreated(step, leadsDB)
        let drained = result.missing == 0 && (lastLead.map { $0.timeIntervalSince(stepEnd) <= 5 } ?? false)
        let ok = step.failures == 0 && quantile(step.acks, 0.99) < 100 && drained
        say("   \(rate)/s: ack \(summary(step.acks)); lead \(summary(result.latencies)); failures \(step.failures), missing \(result.missing) → \(ok ? "sustained" : "not sustained")")
        say("      cpu: \(CPUSnapshot.take().since(cpu))")
        if ok { best = rate } else { break }
    }
    say("   highest sustained rate: \(best.map { "\($0)/s" } ?? "below the first step")")
}

func lastCreated(_ phase: Phase, _ leads: PostgresClient) async throws -> Date? {
    let rows = try await leads.query(
        "SELECT max(created_at) FROM leads WHERE phone_e164 = ANY(\(Array(phase.posted.keys)))", logger: logger)
    for try await value in rows.decode(Date?.self) { return value }
    return nil
}

exit(await runInterruptibly(name: "inquiry-benchmark", cleanUp: "stopping the services and dropping the databases") {
    try await run(try Options(Array(CommandLine.arguments.dropFirst())))
})
