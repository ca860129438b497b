import Contracts
import BenchmarkSupport
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage

/// The benchmark: checks broker and database, runs the four tests, prints their figures, and
/// removes its temporary database whatever happens.
enum Benchmark {
    static func main(arguments: [String]) async -> Int32 {
        let settings: Settings
        do {
            settings = try Settings.parse(arguments)
        } catch {
            if error.description.isEmpty {
                say(Settings.usage)
                return 0
            }
            warn("messaging-benchmark: \(error)\n\n\(Settings.usage)")
            return 64
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.verbose ? .info : .warning
            return handler
        }
        let environment: BenchEnvironment
        do {
            environment = try BenchEnvironment.load()
        } catch {
            warn("messaging-benchmark: \(error)")
            return 2
        }

        // Ctrl-C cancels the run, which still stops the pipeline and drops the database.
        return await runInterruptibly(name: "messaging-benchmark") { try await run(settings, environment) }
    }

    static func run(_ settings: Settings, _ environment: BenchEnvironment) async throws {
        let logger = Logger(label: "messaging-benchmark")
        let tag = randomTag()
        let consumerKafka = KafkaConfiguration(
            bootstrapServers: environment.brokers, properties: settings.allConsumerProperties)
        let producerKafka = KafkaConfiguration(bootstrapServers: environment.brokers, properties: settings.producerProperties)

        // Broker first: a clear message when it is not there.
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: producerKafka, logger: logger)
        } catch {
            throw BenchmarkFailure.failed("cannot create a Kafka producer: \(error)")
        }
        let brokers: Int
        do {
            brokers = try await producer.metadata(timeout: .seconds(5)).brokerCount
        } catch {
            await producer.shutdown()
            throw BenchmarkFailure.unreachable(
                "Kafka broker unreachable at \(environment.brokers) (\(error)); start it with infra/run")
        }

        // Then the database.
        let adminConfiguration: PostgresClient.Configuration
        do {
            adminConfiguration = try .fromURL(environment.adminDatabaseURL)
        } catch {
            await producer.shutdown()
            throw BenchmarkFailure.failed("DMS_ADMIN_DATABASE_URL: \(error)")
        }
        let databaseAddress = "\(adminConfiguration.host ?? "?"):\(adminConfiguration.port ?? 5432)"
        var postgresLogger = Logger(label: "postgres")
        postgresLogger.logLevel = settings.verbose ? .info : .error
        let admin = PostgresClient(configuration: adminConfiguration, backgroundLogger: postgresLogger)
        let adminRun = Task { await admin.run() }
        defer { adminRun.cancel() }
        let server: (version: String, synchronousCommit: String)
        do {
            server = try await withTimeout(.seconds(8), "database at \(databaseAddress)") {
                let row = try await admin.query(
                    "SELECT current_setting('server_version'), current_setting('synchronous_commit')"
                ).collect().first
                guard let row else { throw BenchmarkFailure.failed("no answer to SELECT") }
                return try row.decode((String, String).self)
            }
        } catch {
            // The pool keeps retrying a refused login or connection; one direct attempt says why.
            let reason = await probe(adminConfiguration, logger: postgresLogger) ?? describe(error)
            await producer.shutdown()
            throw BenchmarkFailure.unreachable(
                "PostgreSQL unreachable at \(databaseAddress) (\(reason)); check DMS_ADMIN_DATABASE_URL, or start it with infra/run")
        }

        say("messaging-benchmark  \(Timestamp.format(Date()))")
        say("machine    \(Machine.description)")
        say("broker     \(environment.brokers) (\(brokers) broker\(brokers == 1 ? "" : "s"))")
        say("database   PostgreSQL \(server.version) at \(databaseAddress), synchronous_commit=\(server.synchronousCommit)")
        say("settings   from \(environment.source)")
        describe(settings)
        say()

        var summary = Summary()
        var failure: (any Error)?
        do {
            let codec = try Codec.measure(count: 5_000, envelopeSize: settings.envelopeSize)
            say("0. envelope codec, one core, \(grouped(codec.events)) envelopes: build+encode \(fixed(codec.encode, 0)) µs, decode (envelope + payload) \(fixed(codec.decode, 0)) µs, of which Timestamp.parse \(fixed(codec.parseTimestamp, 0)) µs per event")
            say()
            if !settings.skipRaw {
                try await runRaw(settings, producer: producer, consumerKafka: consumerKafka, tag: tag, logger: logger, summary: &summary)
            }
            if !settings.skipE2E {
                try await runEndToEnd(
                    settings, admin: admin, adminURL: environment.adminDatabaseURL, postgresLogger: postgresLogger,
                    producer: producer, consumerKafka: consumerKafka, tag: tag, logger: logger, summary: &summary)
            }
        } catch {
            failure = error
        }
        // Shut down outside any cancellation (Ctrl-C) so that the flush can finish.
        await Task.detached { await producer.shutdown() }.value
        if let failure { throw failure }
        say()
        summary.print()
    }

    private static func describe(_ settings: Settings) {
        if !settings.skipRaw {
            say("  1+2      \(grouped(settings.produceCount)) records × \(settings.recordSize) B, send batches of \(grouped(settings.produceBatch)) (\(settings.produceInFlight) in flight); read back up to \(grouped(settings.consumeBatch)) / \(format(settings.consumeWait)), commit each batch")
        }
        if !settings.skipE2E {
            say("  3        \(grouped(settings.e2eCount)) events (envelope ≈ \(settings.envelopeSize) B), outbox transactions of \(settings.e2eTransaction), \(settings.writers) writer tasks")
            let perTick = Double(settings.rate) * Double(settings.tickMilliseconds) / 1000
            say("  4        \(grouped(settings.rate)) events/s for \(settings.seconds) s: \(perTick == perTick.rounded() ? String(Int(perTick)) : fixed(perTick, 2)) events every \(settings.tickMilliseconds) ms, one transaction each")
            say("  pipeline relay batch \(settings.relayBatch), inbox batch \(settings.inboxBatch) / 10 ms, handler: one INSERT per batch")
        }
        var producer = "idempotent, acks=all, linger.ms=\(settings.producerProperties["linger.ms"] ?? "5")"
        for (key, value) in settings.producerProperties.sorted(by: { $0.key < $1.key }) where key != "linger.ms" {
            producer += ", \(key)=\(value)"
        }
        let consumer = settings.allConsumerProperties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: ", ")
        say("  kafka    \(settings.partitions) partitions per topic; producer \(producer)")
        say("           consumer \(consumer); buffer pauses fetching at \(grouped(settings.consumerBuffer)), resumes at \(grouped(settings.consumerBuffer / 5))")
    }

    // MARK: Tests 1 and 2

    private static func runRaw(
        _ settings: Settings, producer: KafkaProducer, consumerKafka: KafkaConfiguration, tag: String, logger: Logger,
        summary: inout Summary
    ) async throws {
        let topic = "bench.raw.\(tag)"
        try await producer.ensureTopics([topic], partitions: settings.partitions)
        say("1. raw produce → \(topic)")
        // Untimed: leader look-up and the idempotent producer's id for the new topic.
        let warmUp = 100
        let warmed = await producer.send((0..<warmUp).map {
            OutgoingRecord(topic: topic, key: Array("warm-\($0)".utf8), value: Array(repeating: 0x77, count: settings.recordSize))
        })
        if case .failure(let error) = warmed.first(where: { if case .failure = $0 { true } else { false } }) {
            throw BenchmarkFailure.failed("warm-up send failed: \(error)")
        }
        var cpu = CPUSnapshot.take()
        let produced = await RawKafka.produce(producer: producer, topic: topic, settings: settings)
        let produceCPU = CPUSnapshot.take().since(cpu)
        say("   \(grouped(produced.records - produced.failed)) records acknowledged in \(format(produced.elapsed)): \(rate(produced.perSecond)) msgs/s, \(fixed(produced.megabytesPerSecond, 1)) MB/s of values")
        say("   batch of \(grouped(settings.produceBatch)) send → last ack: p50 \(milliseconds(produced.batchP50)), p99 \(milliseconds(produced.batchP99))")
        say("   CPU: \(produceCPU)")
        if produced.failed > 0 {
            throw BenchmarkFailure.failed("\(produced.failed) records were not acknowledged: \(produced.firstError ?? "?")")
        }
        summary.add(
            "1 raw produce", count: produced.records, elapsed: produced.elapsed,
            rate: "\(rate(produced.perSecond)) msgs/s", extra: "\(fixed(produced.megabytesPerSecond, 1)) MB/s")

        say("2. raw consume ← \(topic) (new group)")
        cpu = CPUSnapshot.take()
        let consumed = try await RawKafka.consume(
            kafka: consumerKafka, topic: topic, count: produced.records + warmUp, settings: settings, logger: logger)
        let consumeCPU = CPUSnapshot.take().since(cpu)
        say("   first message \(format(consumed.firstMessageAfter)) after subscribing (group join), then \(grouped(consumed.records)) records in \(format(consumed.streaming)): \(rate(consumed.perSecond)) msgs/s")
        say("   including the join: \(format(consumed.total)), \(rate(consumed.perSecondOverall)) msgs/s; \(grouped(consumed.batches)) batches (avg \(consumed.records / max(1, consumed.batches))), \(consumed.duplicates) duplicates")
        say("   CPU (including the join): \(consumeCPU)")
        summary.add(
            "2 raw consume", count: consumed.records, elapsed: consumed.streaming,
            rate: "\(rate(consumed.perSecond)) msgs/s",
            extra: "\(fixed(Double(consumed.records) * Double(settings.recordSize) / 1_000_000 / seconds(consumed.streaming), 1)) MB/s; join \(format(consumed.firstMessageAfter))")
        say()
    }

    // MARK: Tests 3 and 4

    private static func runEndToEnd(
        _ settings: Settings, admin: PostgresClient, adminURL: String, postgresLogger: Logger, producer: KafkaProducer,
        consumerKafka: KafkaConfiguration, tag: String, logger: Logger, summary: inout Summary
    ) async throws {
        let name = "bench_\(tag)"
        try await admin.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        var components = URLComponents(string: adminURL)!
        components.path = "/" + name
        let client = PostgresClient(configuration: try .fromURL(components.string!), backgroundLogger: postgresLogger)
        let clientRun = Task { await client.run() }
        var failure: (any Error)?
        do {
            try await EndToEnd.prepare(client, logger: logger)
            let e2e = EndToEnd(
                client: client, producer: producer, consumerKafka: consumerKafka, settings: settings, logger: logger, tag: tag)
            let envelope = try EventFactory(topic: e2e.topic, envelopeSize: settings.envelopeSize).envelopeSize()
            say("3+4. outbox → relay → \(e2e.topic) → inbox (group \(e2e.groupID)), database \(name), envelope \(envelope) B")
            try await e2e.withPipeline {
                say("3. throughput: \(grouped(settings.e2eCount)) events, \(settings.writers) writers × transactions of \(settings.e2eTransaction)")
                let t = try await e2e.throughput()
                say("   outbox writes done after \(format(t.writeElapsed)) (\(rate(t.writesPerSecond)) events/s)\(t.publishedAfter.map { ", all published after \(format($0))" } ?? ""), all applied after \(format(t.appliedAfter))")
                say("   first write → last applied: \(fixed(t.latency.span, 2)) s = \(rate(t.perSecond)) events/s")
                say("   latency written → visible (inbox commit): p50 \(milliseconds(t.latency.p50)), p99 \(milliseconds(t.latency.p99)), max \(milliseconds(t.latency.max))")
                printStages(t.stages, events: t.events)
                summary.add(
                    "3 e2e throughput", count: t.events, elapsed: .milliseconds(Int64(t.latency.span * 1000)),
                    rate: "\(rate(t.perSecond)) events/s",
                    extra: "p50 \(milliseconds(t.latency.p50)), p99 \(milliseconds(t.latency.p99))")

                try await client.query("DELETE FROM applied", logger: logger)
                say("4. fixed rate: \(grouped(settings.rate)) events/s for \(settings.seconds) s")
                let f = try await e2e.fixedRate()
                say("   offered \(grouped(f.events)) events in \(grouped(f.transactions)) transactions over \(format(f.writeElapsed)) (\(rate(f.achievedRate)) events/s, \(f.lateTicks) ticks started late)")
                say("   latency scheduled → visible (inbox commit): p50 \(milliseconds(f.latency.p50)), p99 \(milliseconds(f.latency.p99)), max \(milliseconds(f.latency.max))")
                printStages(f.stages, events: f.events)
                summary.add(
                    "4 e2e at \(grouped(settings.rate))/s", count: f.events, elapsed: f.writeElapsed,
                    rate: "\(rate(f.achievedRate)) events/s",
                    extra: "p50 \(milliseconds(f.latency.p50)), p99 \(milliseconds(f.latency.p99)), max \(milliseconds(f.latency.max))")
            }
        } catch {
            failure = error
        }
        // Outside any cancellation: stop the client, then drop the database.
        await Task.detached {
            clientRun.cancel()
            await clientRun.value
            do {
                try await withTimeout(.seconds(30), "DROP DATABASE \(name)") {
                    try await admin.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger)
                }
            } catch {
                warn("messaging-benchmark: could not drop database \(name): \(describe(error))")
            }
        }.value
        if let failure { throw failure }
    }

    private static func printStages(_ stages: EndToEnd.Stages, events: Int) {
        say("   p50 per stage: in outbox until the relay took it \(milliseconds(stages.waitingInOutbox)), relay → inbox transaction \(milliseconds(stages.relayToInbox)), inbox apply \(milliseconds(stages.inboxApply))")
        say("   \(grouped(stages.relayBatches)) relay batches (avg \(events / max(1, stages.relayBatches)) events), \(grouped(stages.inboxBatches)) inbox transactions (avg \(events / max(1, stages.inboxBatches)) events)")
        say("   inbox transactions busy \(fixed(stages.inboxBusy, 2)) s in total (start → last insert), of which the handler's INSERTs \(fixed(stages.handler, 2)) s (\(fixed(stages.handler / Double(max(1, events)) * 1e6, 0)) µs/event)")
        say("   CPU: \(stages.cpu)")
    }

    /// One plain connection attempt (without TLS); nil when it succeeds.
    private static func probe(_ configuration: PostgresClient.Configuration, logger: Logger) async -> String? {
        guard let host = configuration.host else { return nil }
        let direct = PostgresConnection.Configuration(
            host: host, port: configuration.port ?? 5432, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        do {
            return try await withTimeout(.seconds(5), "connecting to \(host)") {
                let connection = try await PostgresConnection.connect(configuration: direct, id: 1, logger: logger)
                try? await connection.close()
                return nil
            }
        } catch {
            return describe(error)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
        }
        return "\(error)"
    }
}

/// The closing table.
struct Summary {
    private var rows: [[String]] = []

    mutating func add(_ name: String, count: Int, elapsed: Duration, rate: String, extra: String) {
        rows.append([name, grouped(count), format(elapsed), rate, extra])
    }

    func print() {
        guard !rows.isEmpty else { return }
        let header = ["test", "count", "time", "rate", ""]
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        for (index, row) in all.enumerated() {
            let cells = row.enumerated().map { column, text in
                let padding = String(repeating: " ", count: widths[column] - text.count)
                return column == 1 || column == 2 || column == 3 ? padding + text : text + padding
            }
            say(cells.joined(separator: "   ").trimmingCharacters(in: .whitespaces))
            if index == 0 { say(String(repeating: "-", count: widths.reduce(0, +) + 3 * (widths.count - 1))) }
        }
    }
}
