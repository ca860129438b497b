import AsyncHTTPClient
import BenchmarkSupport
import Contracts
import Foundation
import Logging
import Messaging
import NIOCore
import NIOHTTP1
import PostgresNIO

// `swift build -c release && .build/release/reporting-benchmark [--events N] [--rate N] [--seconds N] [--contacts N]`
//
// Starts `reporting` (the executable next to this one) on a fresh database of the local PostgreSQL
// and the local broker (a consumer group of its own, starting at the end of every topic), then measures
//   1. a projection rebuild: N events of generated customer journeys (inquiries, leads and their
//      states, conversions with counterparties and contacts, deals through their stages to closed
//      or lost) loaded straight into `consumed_events` with COPY (rows/s), left for the live tail to
//      catch up with, then `POST /v1/projections/funnel/rebuild`: events applied per second (target
//      ≥ 20,000/s); the funnel's figures must be those of the generated history (exit 1 otherwise);
//   2. event → dashboard lag: `LeadCreated` of new leads published at a steady rate (open loop)
//      while `GET /dashboard/stream` is read; the lag of the k-th event is the arrival of the first
//      report counting k new leads minus that event's send time: p50/p99/max (target p99 ≤ 1 s);
//   3. a Mailchimp export: C `ContactRegistered` with marketing consent loaded with COPY, the tail's
//      catch-up timed by `GET /v1/projections`, then `GET /v1/exports/mailchimp?segment=consent`:
//      time, rows and MB/s; the file must hold C + 1 lines.
// No figure is judged (the targets are printed beside them); it exits 1 only when something is
// functionally wrong. Every knob also reads a BENCH_* environment variable (a flag wins).

let logger = Logger(label: "reporting-benchmark")
let token = "bench-token"
/// Where the reporting process writes its log (named in failures).
let serviceLog = ServiceRun.logFile(benchmark: "reporting-benchmark", service: "reporting")
/// Rows of one COPY chunk (generated in parallel, written in order).
let chunkSize = 20_000
/// Export calls in test 3 (the first is the figure; the others show the spread).
let exportRepeats = 3

struct Options: Sendable {
    var events = 1_000_000
    var rate = 1_000
    var seconds = 20
    var contacts = 100_000

    static let help = """
        reporting-benchmark [--events N] [--rate N] [--seconds N] [--contacts N]
          --events N    events of generated journeys loaded into consumed_events and replayed by the
                        rebuild in test 1 (BENCH_EVENTS, default 1000000)
          --rate N      LeadCreated events per second published in test 2 (BENCH_RATE, default 1000)
          --seconds N   how long they are published (BENCH_SECONDS, default 20)
          --contacts N  consenting contacts loaded and exported in test 3 (BENCH_CONTACTS, default 100000)
        BENCH_LOG_LEVEL sets the service's log level (default warning; log in $TMPDIR/reporting-benchmark-reporting.log).
        Needs the local PostgreSQL and broker (infra/run) and the release build of reporting next to it.
        """

    init(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        events = try positiveNumber("BENCH_EVENTS", in: environment, default: events)
        rate = try positiveNumber("BENCH_RATE", in: environment, default: rate)
        seconds = try positiveNumber("BENCH_SECONDS", in: environment, default: seconds)
        contacts = try positiveNumber("BENCH_CONTACTS", in: environment, default: contacts)
        var flags = Flags(arguments, help: Self.help)
        while let flag = flags.next() {
            let value = try flags.positiveNumber(after: flag)
            switch flag {
            case "--events": events = value
            case "--rate": rate = value
            case "--seconds": seconds = value
            case "--contacts": contacts = value
            default: throw flags.unknown(flag)
            }
        }
    }
}

// MARK: Helpers

/// One call with the service token; fails unless it answers 200.
func call(
    _ http: HTTPClient, _ method: HTTPMethod, _ url: String, timeout: TimeAmount = .seconds(60), limit: Int = 1 << 24
) async throws -> HTTPReply {
    let reply = try await sendRequest(http, method, url, authorization: "Bearer \(token)", timeout: timeout, limit: limit)
    guard reply.status == 200 else {
        let path = url.firstRange(of: "/v1/").map { String(url[$0.lowerBound...]) } ?? url
        throw BenchmarkFailure.failed("\(method) \(path): \(reply.status) \(reply.text.prefix(400)) (reporting's log: \(serviceLog.path))")
    }
    return reply
}

func decode<T: Decodable>(_ type: T.Type, _ reply: HTTPReply, _ what: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(reply.body.readableBytesView))
    } catch {
        throw BenchmarkFailure.failed("\(what): unexpected answer (\(error)): \(reply.text.prefix(400))")
    }
}

/// The result of `body` and how long it took, in milliseconds.
func timed<R>(_ body: () async throws -> R) async rethrows -> (R, Double) {
    let started = ContinuousClock.now
    let result = try await body()
    return (result, milliseconds(since: started))
}

func megabytes(_ bytes: Int) -> String { "\(fixed(Double(bytes) / 1_000_000, 1)) MB" }

func scalar(_ query: PostgresQuery, _ db: PostgresClient) async throws -> Int {
    try await db.query(query, logger: logger).collect().first!.decode(Int.self)
}

/// The newest position of the consumed-event log.
func newestPosition(_ db: PostgresClient) async throws -> Int64 {
    try await db.query("SELECT coalesce(max(position), 0)::bigint FROM consumed_events", logger: logger).collect().first!
        .decode(Int64.self)
}

/// `GET /v1/projections`: the funnel's entry (the models share one position).
struct ProjectionStatus: Decodable {
    var name: String
    var position: Int64
    var eventsApplied: Int
    var lagSeconds: Double?
}

func funnelStatus(_ http: HTTPClient, _ base: String) async throws -> ProjectionStatus {
    struct Projections: Decodable { var items: [ProjectionStatus] }
    let reply = try await call(http, .GET, base + "/v1/projections", timeout: .seconds(1800))
    guard let funnel = try decode(Projections.self, reply, "GET /v1/projections").items.first(where: { $0.name == "funnel" }) else {
        throw BenchmarkFailure.failed("GET /v1/projections lists no funnel: \(reply.text.prefix(300))")
    }
    return funnel
}

/// Calls `GET /v1/projections` (which brings the models up to date with the log before it answers)
/// until the models stand at `position` or beyond; the time from the first call.
func waitCaughtUp(to position: Int64, _ http: HTTPClient, _ base: String, within limit: Duration) async throws -> Double {
    let start = ContinuousClock.now
    while true {
        let status = try await funnelStatus(http, base)
        if status.position >= position { return milliseconds(since: start) / 1000 }
        guard ContinuousClock.now - start < limit else {
            throw BenchmarkFailure.failed(
                "the read models stand at position \(status.position) of \(position) after \(format(limit)) (reporting's log: \(serviceLog.path))")
        }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// Writes the chunks into `consumed_events` with one COPY (1 MiB at a time); returns its seconds.
func copyIntoLog(_ chunks: [LogChunk], _ db: PostgresClient) async throws -> Double {
    let started = ContinuousClock.now
    try await db.withConnection { connection in
        try await connection.copyFrom(table: "consumed_events", columns: CopyRows.columns, logger: logger) { writer in
            for chunk in chunks {
                var start = 0
                while start < chunk.bytes.count {
                    let end = min(start + (1 << 20), chunk.bytes.count)
                    try await writer.write(ByteBuffer(bytes: chunk.bytes[start..<end]))
                    start = end
                }
            }
        }
    }
    return milliseconds(since: started) / 1000
}

/// A `LeadCreated` of a new lead as the leads service publishes it, stamped `at` (its send time).
func liveLead(_ number: Int, tag: String, at time: Date) throws -> (record: OutgoingRecord, event: UUID) {
    let lead = UUID()
    let payload = LeadCreated(
        leadId: lead, channel: .webForm, name: "Live \(number)", email: "live\(number).\(tag)@bench-mail.test", phone: nil,
        company: nil, source: "inquiry:\(UUID().uuidString.lowercased())", createdAt: time, triageDueAt: time.addingTimeInterval(7_200))
    let envelope = try EventEnvelope(
        occurredAt: time, source: ServiceName.leads.rawValue, key: lead.uuidString.lowercased(), correlationId: UUID(), payload: payload)
    return (OutgoingRecord(topic: Topic.leadsEvents, key: Array(envelope.key.utf8), value: try envelope.encoded()), envelope.id)
}

func consumed(_ events: [UUID], _ db: PostgresClient) async throws -> Int {
    try await scalar("SELECT count(*)::int FROM consumed_events WHERE id = ANY(\(events))", db)
}

// MARK: Test 1: rebuild

func rebuildTest(_ options: Options, context: HistoryContext, base: String, http: HTTPClient, db: PostgresClient) async throws {
    // The history, generated before anything is timed (COPY text in memory, about 1 KB a row).
    let generationStart = ContinuousClock.now
    let history = try await generateLog(rows: options.events, chunkSize: chunkSize) { index, rows in
        try historyChunk(index, rows: rows, chunkSize: chunkSize, context: context)
    }
    let generationSeconds = milliseconds(since: generationStart) / 1000
    var tally = Tally()
    for chunk in history { tally.add(chunk.tally) }
    let journeys = history.reduce(0) { $0 + $1.journeys }
    let bytes = history.reduce(0) { $0 + $1.bytes.count }
    let expected = tally.figures
    say("1. history: \(grouped(options.events)) events of \(grouped(journeys)) journeys "
        + "(\(fixed(Double(options.events) / Double(max(1, journeys)), 1)) per journey, \(megabytes(bytes)) of COPY text), "
        + "generated in \(fixed(generationSeconds, 1)) s")
    say("   mix: " + tally.byType.sorted { $0.value > $1.value }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", "))

    // Loaded straight into the log.
    var cpu = CPUSnapshot.take()
    let loadSeconds = try await copyIntoLog(history, db)
    let stored = try await scalar("SELECT count(*)::int FROM consumed_events", db)
    say("   COPY into consumed_events: \(grouped(options.events)) rows in \(fixed(loadSeconds, 2)) s: "
        + "\(rate(Double(options.events) / max(0.001, loadSeconds))) rows/s (\(fixed(Double(bytes) / 1_000_000 / max(0.001, loadSeconds), 1)) MB/s)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")
    if stored != options.events {
        say("   note: the log holds \(grouped(stored)) rows, \(grouped(stored - options.events)) of them consumed from the broker")
    }

    // The live tail reads them first (it polls every 200 ms): timed, and out of the way of the rebuild.
    let loaded = try await newestPosition(db)
    cpu = CPUSnapshot.take()
    let tailSeconds = try await waitCaughtUp(to: loaded, http, base, within: .seconds(1800))
    say("   the live tail caught up with them in \(fixed(tailSeconds, 1)) s (\(rate(Double(stored) / max(0.001, tailSeconds))) events/s)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    // Events other suite runs left on the shared broker can reach the new group despite
    // `auto.offset.reset=latest` (the local broker's "latest" is not always the end). They are
    // not part of the generated history: the COPY wrote every generated row in one transaction
    // (one `consumed_at`), so whatever was stored at another instant is removed before the
    // rebuild, whose figures must then be exactly the generated ones.
    let foreign = try await scalar(
        """
        WITH removed AS (
            DELETE FROM consumed_events WHERE consumed_at <> (
                SELECT consumed_at FROM consumed_events GROUP BY consumed_at ORDER BY count(*) DESC LIMIT 1)
            RETURNING 1)
        SELECT count(*)::int FROM removed
        """, db)
    if foreign > 0 { say("   removed \(grouped(foreign)) events that came from the broker before the rebuild") }

    // The rebuild: fresh models from the whole log.
    struct Rebuilt: Decodable { var name: String; var events: Int; var seconds: Double; var report: FunnelFigures }
    let before = try await newestPosition(db)
    cpu = CPUSnapshot.take()
    let (reply, httpMs) = try await timed {
        try await call(http, .POST, base + "/v1/projections/funnel/rebuild", timeout: .seconds(3600))
    }
    let usage = CPUSnapshot.take().since(cpu)
    let rebuilt = try decode(Rebuilt.self, reply, "POST /v1/projections/funnel/rebuild")
    say("   rebuild (POST /v1/projections/funnel/rebuild): \(grouped(rebuilt.events)) events in \(fixed(rebuilt.seconds, 2)) s "
        + "(the service's clock; the call took \(milliseconds(httpMs))): "
        + "\(rate(Double(rebuilt.events) / max(0.001, rebuilt.seconds))) events/s (target ≥ 20,000 events/s)")
    say("   cpu: \(usage)")

    // The figures: the rebuild's own report, and the funnel as served afterwards.
    let served = try decode(FunnelFigures.self, try await call(http, .GET, base + "/v1/funnel", timeout: .seconds(600)), "GET /v1/funnel")
    say("   generated: \(expected.line)")
    say("              stages: \(expected.stagesLine)")
    say("   funnel:    \(served.line)")
    var wrong: [String] = []
    if rebuilt.events < options.events {
        wrong.append("the rebuild read \(grouped(rebuilt.events)) events of the \(grouped(Int(before))) positions in the log")
    }
    let rebuiltDifferences = rebuilt.report.differences(from: expected)
    if !rebuiltDifferences.isEmpty { wrong.append("the rebuild's report: " + rebuiltDifferences.joined(separator: ", ")) }
    let servedDifferences = served.differences(from: expected)
    if !servedDifferences.isEmpty { wrong.append("GET /v1/funnel: " + servedDifferences.joined(separator: ", ")) }
    if !wrong.isEmpty {
        throw BenchmarkFailure.failed("funnel ≠ generated history: " + wrong.joined(separator: "; "))
    }
    say("   every figure as generated (the rebuild's report and GET /v1/funnel)")
}

// MARK: Test 2: event → dashboard lag

func lagTest(
    _ options: Options, context: HistoryContext, base: String, http: HTTPClient, db: PostgresClient, producer: KafkaProducer
) async throws {
    let tag = context.tag
    let watch = DashboardWatch()
    let total = options.rate * options.seconds
    let reader = Task { await watch.run(http, url: base + "/dashboard/stream", limit: .seconds(Int64(options.seconds) + 1800)) }
    defer { reader.cancel() }
    // The stream sends the report at once on connecting.
    let connectDeadline = ContinuousClock.now + .seconds(60)
    while watch.reports.isEmpty {
        if let failure = watch.failure { throw BenchmarkFailure.failed("dashboard stream: \(failure)") }
        guard ContinuousClock.now < connectDeadline else { throw BenchmarkFailure.failed("no report on /dashboard/stream within a minute") }
        try await Task.sleep(for: .milliseconds(50))
    }

    // Warm-up: the group starts at the end of the topic once its partitions are assigned, so an event
    // sent before that is never read. One lead every 2 s until one is consumed, then a round of 12
    // (several partitions) that must all be.
    var number = 0
    let warmDeadline = ContinuousClock.now + .seconds(120)
    var warm: [UUID] = []
    warming: while true {
        let (record, event) = try liveLead(number, tag: tag, at: Date())
        number += 1
        warm.append(event)
        _ = try await producer.send(record)
        let retryAt = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < retryAt {
            if try await consumed(warm, db) > 0 { break warming }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ContinuousClock.now < warmDeadline else {
            throw BenchmarkFailure.failed("no warm-up event was consumed in 2 minutes (reporting's log: \(serviceLog.path))")
        }
    }
    var round: [UUID] = []
    for _ in 0..<12 {
        let (record, event) = try liveLead(number, tag: tag, at: Date())
        number += 1
        round.append(event)
        _ = try await producer.send(record)
    }
    let roundDeadline = ContinuousClock.now + .seconds(60)
    while try await consumed(round, db) < round.count {
        guard ContinuousClock.now < roundDeadline else {
            throw BenchmarkFailure.failed("the warm-up round was not consumed within a minute (reporting's log: \(serviceLog.path))")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    // Every lead so far, the warm-up's included (GET /v1/funnel brings the model up to date first).
    let baseLeads = try decode(FunnelFigures.self, try await call(http, .GET, base + "/v1/funnel"), "GET /v1/funnel").leads

    // Open loop: each event leaves at its scheduled time, stamped with that moment, whether or not
    // the earlier ones were delivered.
    var cpu = CPUSnapshot.take()
    let interval = 1.0 / Double(options.rate)
    let firstNumber = number
    let scheduleStart = ContinuousClock.now + .milliseconds(50)
    var sent: [ContinuousClock.Instant] = try await withThrowingTaskGroup(of: ContinuousClock.Instant.self) { group in
        for index in 0..<total {
            try await Task.sleep(until: scheduleStart + .nanoseconds(Int64(interval * Double(index) * 1e9)), clock: .continuous)
            group.addTask {
                let instant = ContinuousClock.now
                let (record, _) = try liveLead(firstNumber + index, tag: tag, at: Date())
                _ = try await producer.send(record)
                return instant
            }
        }
        var all: [ContinuousClock.Instant] = []
        all.reserveCapacity(total)
        for try await instant in group { all.append(instant) }
        return all
    }
    sent.sort()
    let sendSeconds = max(0.001, seconds(sent.last! - sent.first!))
    // Until the dashboard counts every one of them.
    let seenDeadline = ContinuousClock.now + .seconds(120)
    while (watch.reports.last?.leads ?? 0) < baseLeads + total {
        if let failure = watch.failure { throw BenchmarkFailure.failed("dashboard stream: \(failure)") }
        guard ContinuousClock.now < seenDeadline else {
            let shown = (watch.reports.last?.leads ?? baseLeads) - baseLeads
            throw BenchmarkFailure.failed(
                "the dashboard shows \(grouped(shown)) of the \(grouped(total)) new leads 2 minutes after the last was sent "
                    + "(reporting's log: \(serviceLog.path))")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    let usage = CPUSnapshot.take().since(cpu)
    reader.cancel()
    let reports = watch.reports
    // Event k (in send order) shows once a report counts k new leads.
    var lags: [Double] = []
    lags.reserveCapacity(total)
    var next = reports.startIndex
    for k in 1...total {
        while next < reports.endIndex && reports[next].leads < baseLeads + k { next += 1 }
        lags.append(seconds(reports[next].at - sent[k - 1]) * 1000)
    }
    let during = reports.filter { $0.at >= sent.first! }.count
    say("2. \(grouped(total)) LeadCreated offered at \(grouped(options.rate))/s (sent in \(fixed(sendSeconds, 1)) s: "
        + "\(rate(Double(total) / sendSeconds))/s) while GET /dashboard/stream was read (\(grouped(during)) funnel reports meanwhile)")
    say("   event sent → first dashboard report counting it: \(summary(lags)) (target p99 ≤ 1 s)")
    cpu = CPUSnapshot.take()
    let status = try await funnelStatus(http, base)
    say("   the service's own lagSeconds at the end (/v1/projections): "
        + (status.lagSeconds.map { "\(fixed($0, 3)) s" } ?? "none") + " (of the last event it applied)")
    say("   cpu: \(usage)")
}

// MARK: Test 3: Mailchimp export

func exportTest(_ options: Options, context: HistoryContext, base: String, http: HTTPClient, db: PostgresClient) async throws {
    let contacts = try await generateLog(rows: options.contacts, chunkSize: chunkSize) { index, rows in
        try contactChunk(index, rows: rows, first: index * chunkSize, context: context)
    }
    let bytes = contacts.reduce(0) { $0 + $1.bytes.count }
    var cpu = CPUSnapshot.take()
    let loadSeconds = try await copyIntoLog(contacts, db)
    say("3. \(grouped(options.contacts)) ContactRegistered with marketing consent (\(megabytes(bytes)) of COPY text) "
        + "loaded in \(fixed(loadSeconds, 2)) s: \(rate(Double(options.contacts) / max(0.001, loadSeconds))) rows/s")
    let loaded = try await newestPosition(db)
    let catchUpSeconds = try await waitCaughtUp(to: loaded, http, base, within: .seconds(1800))
    say("   catch-up (GET /v1/projections until the models stand at the log's end): \(fixed(catchUpSeconds, 2)) s "
        + "(\(rate(Double(options.contacts) / max(0.001, catchUpSeconds))) events/s)")
    say("   cpu: \(CPUSnapshot.take().since(cpu))")

    cpu = CPUSnapshot.take()
    var times: [Double] = []
    var first: HTTPReply?
    for _ in 0..<exportRepeats {
        let (reply, ms) = try await timed {
            try await call(http, .GET, base + "/v1/exports/mailchimp?segment=consent", timeout: .seconds(1800), limit: 1 << 30)
        }
        first = first ?? reply
        times.append(ms)
    }
    let usage = CPUSnapshot.take().since(cpu)
    let export = first!
    let size = export.body.readableBytes
    let lines = export.body.readableBytesView.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    let header = export.text.prefix { $0 != "\r\n" && $0 != "\r" && $0 != "\n" }  // "\r\n" is one Character
    let skipped = export.headers["DMS-Export-Skipped"].first ?? "?"
    say("   GET /v1/exports/mailchimp?segment=consent: \(grouped(lines - 1)) rows, \(megabytes(size)) in \(milliseconds(times[0])): "
        + "\(fixed(Double(size) / 1_000_000 / max(0.000_001, times[0] / 1000), 1)) MB/s, \(rate(Double(lines - 1) / max(0.000_001, times[0] / 1000))) rows/s; "
        + "\(skipped) left out")
    say("   \(exportRepeats) calls: \(summary(times))")
    say("   cpu: \(usage)")
    var wrong: [String] = []
    if lines != options.contacts + 1 { wrong.append("\(grouped(lines)) lines, not \(grouped(options.contacts + 1)) (a header and one per contact)") }
    if header != "Email Address,First Name,Last Name,Phone Number,Company,Tags" { wrong.append("the header is \(header)") }
    if skipped != "0" { wrong.append("\(skipped) addresses left out") }
    guard wrong.isEmpty else { throw BenchmarkFailure.failed("Mailchimp export: " + wrong.joined(separator: "; ")) }
}

// MARK: The run

func measure(_ options: Options, base: String, http: HTTPClient, db: PostgresClient, producer: KafkaProducer, tag: String) async throws {
    say("reporting-benchmark — \(Machine.description)")
    say("sizes: \(grouped(options.events)) events to rebuild, \(grouped(options.rate)) events/s for \(options.seconds) s, "
        + "\(grouped(options.contacts)) contacts to export")
    let context = HistoryContext(tag: tag)
    try await rebuildTest(options, context: context, base: base, http: http, db: db)
    try await lagTest(options, context: context, base: base, http: http, db: db, producer: producer)
    try await exportTest(options, context: context, base: base, http: http, db: db)
}

func run(_ options: Options) async throws {
    let environment = try BenchEnvironment.load()
    let tag = randomTag()
    try await withScratchService(
        "reporting", benchmark: "reporting-benchmark", database: "bench_reporting_\(tag)", environment: environment,
        admin: try PostgresClient.Configuration.fromURL(environment.adminDatabaseURL),
        serviceEnvironment: [
            "DMS_SERVICE_TOKEN": token, "DMS_LOG_LEVEL": ProcessInfo.processInfo.environment["BENCH_LOG_LEVEL"] ?? "warning",
            "DMS_CONSUMER_GROUP": "bench-reporting-\(tag)",
            // A new group starts at the end of every topic: what the suite's topics already hold (the
            // demo, other runs) is not what is measured.
            "DMS_KAFKA_PROP_AUTO_OFFSET_RESET": "latest",
        ],
        logger: logger
    ) { reporting, http, db in
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: environment.brokers), logger: logger)
        do {
            try await measure(options, base: reporting.base, http: http, db: db, producer: producer, tag: tag)
        } catch {
            await withoutCancellation { await producer.shutdown() }
            throw error
        }
        await withoutCancellation { await producer.shutdown() }
    }
}

// Runs the benchmark; Ctrl-C (or SIGTERM) cancels it, which still stops the service and drops the
// database.
exit(
    await runFromCommandLine(
        name: "reporting-benchmark", cleanUp: "stopping reporting and dropping the database", parse: { try Options($0) }
    ) { options in
        try await run(options)
    })
