import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import NIOPosix
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Storage

/// What every service stands on: its database client, its Kafka producer, its migrations, its
/// health and metrics endpoints. A service's `buildApplication` creates one, adds its routes to
/// `makeRouter()` and returns `makeApplication(router:)`.
public struct ServicePlatform: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let postgres: PostgresClient
    public let producer: KafkaProducer
    public let metrics: PrometheusCollectorRegistry
    public let migrations: [Migration]
    /// Publishes the outbox (services that publish events).
    public let relay: OutboxRelay?
    /// Opens when the migrations are applied; the relay and the extra services wait for it.
    public let migrated = MigrationGate()

    public init(
        configuration: ServiceConfiguration, migrationsDirectory: URL,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) throws {
        var logger = Logger(label: "dms.\(configuration.service.rawValue)")
        logger.logLevel = configuration.logLevel
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.migrations = try Migration.load(from: migrationsDirectory)
        self.postgres = PostgresClient(
            configuration: try PostgresClient.Configuration.fromURL(configuration.databaseURL),
            backgroundLogger: logger)
        var kafka = configuration.kafka
        kafka.properties["client.id", default: "dms-\(configuration.service.rawValue)"] =
            kafka.properties["client.id"] ?? "dms-\(configuration.service.rawValue)"
        self.producer = try KafkaProducer(configuration: kafka, logger: logger)
        var relayOptions = OutboxRelay.Options()
        relayOptions.retention = configuration.outboxRetention
        self.relay = configuration.service.publishes.isEmpty
            ? nil : OutboxRelay(client: postgres, producer: producer, options: relayOptions, logger: logger)
    }

    /// The service's consumer group: `dms-<service>`, or `DMS_CONSUMER_GROUP` (tests and side-by-side
    /// deployments that must not take partitions from the running service).
    public var consumerGroup: String {
        configuration.environment["DMS_CONSUMER_GROUP"].flatMap { $0.isEmpty ? nil : $0 } ?? "dms-\(configuration.service.rawValue)"
    }

    /// An idempotent consumer of the topics this service reads, applying events with `handler`.
    /// Pass it to `makeApplication(router:services:)`.
    public func inbox(registry: EventRegistry, handler: any InboxHandler, options: InboxConsumer.Options = .init()) -> InboxConsumer {
        var options = options
        options.consumer.idle = configuration.consumerIdle
        var kafka = configuration.kafka
        kafka.properties["client.id"] = kafka.properties["client.id"] ?? "dms-\(configuration.service.rawValue)"
        return InboxConsumer(
            groupID: consumerGroup, topics: configuration.service.consumes, kafka: kafka, client: postgres,
            producer: producer, registry: registry, handler: handler, options: options, logger: logger)
    }

    /// The topics this service makes sure exist: its own, those it reads, and their dead-letter topics.
    public var topics: [String] {
        let service = configuration.service
        let base = service.publishes + service.consumes
        return Array(Set(base + base.map(Topic.deadLetter(of:)))).sorted()
    }

    /// A router with problem+json errors, request metrics, `/health/*` and `/metrics`.
    /// Add the service's routes under `authenticated(router)`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // Metrics outermost, so that it counts the status the client got (a 404 or a 413 answered
        // by ProblemMiddleware, not the error thrown inside it), then every response's common
        // headers, then errors turned into problem+json.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CommonHeadersMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.addHealthRoutes(checks: [.database(postgres, logger: logger), .broker(producer)])
        router.addMetricsRoute(registry: metrics)
        return router
    }

    /// The `/v1` group, open only to callers with the service token.
    public func authenticated(_ router: Router<BasicRequestContext>) -> RouterGroup<BasicRequestContext> {
        router.group("v1")
            .add(middleware: ServiceTokenMiddleware(token: configuration.serviceToken, exempt: signedWebhookPrefixes))
            .add(middleware: InputGuardMiddleware(exempt: connectorPrefixes))
    }

    /// Paths under `/v1` whose callers prove who they are otherwise than with the service token:
    /// connectors with a signed body (or a secret URL token), dealers with their own API keys
    /// (every dealer route authenticates the key itself).
    public var signedWebhookPrefixes: [String] {
        switch configuration.service {
        case .ingest: connectorPrefixes
        case .dealerInfo: ["/v1/dealer/"]
        default: []
        }
    }

    /// Paths under `/v1` where outside systems deliver what customers wrote: kept and cleaned by the
    /// connector, never refused for its content.
    public var connectorPrefixes: [String] {
        configuration.service == .ingest ? ["/v1/telephony/", "/v1/mail/", "/v1/forms/", "/v1/chat/webhook/"] : []
    }

    /// The application: database client and producer start first and stop last; migrations run
    /// before the HTTP server accepts anything; the HTTP server stops taking work first, then the
    /// consumers and the outbox relay, then the producer (flushing) and the database client.
    public func makeApplication(
        router: Router<BasicRequestContext>, services extraServices: [any Service] = []
    ) -> some ApplicationProtocol {
        var app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "dms-\(configuration.service.rawValue)"),
            services: [DatabaseClientService(client: postgres, logger: logger), producer]
                + ((relay.map { [$0] } ?? []) + extraServices).map { AfterMigrations(service: $0, gate: migrated) as any Service }
                + [TopicProvisioner(producer: producer, topics: topics, partitions: configuration.topicPartitions, logger: logger)],
            logger: logger)
        app.beforeServerStarts { [self] in
            try await self.migrate()
            self.migrated.open()
        }
        return app
    }

    /// Applies the outbox/inbox tables and the service's migrations, waiting (up to a minute) for
    /// a database that is still starting.
    public func migrate() async throws {
        try await migrate(MessagingMigrations.runner())
        try await migrate(MigrationRunner(migrations: migrations))
    }

    private func migrate(_ runner: MigrationRunner) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                let applied = try await runner.apply(on: postgres, logger: logger)
                logger.info("database schema up to date", metadata: ["applied": "\(applied)"])
                return
            } catch let error as MigrationError {
                logger.critical("\(error)")
                throw error
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                logger.warning("database not reachable yet; retrying migrations", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// Keeps the service's topics in place: creates them at start-up and again after a broker lost
/// them (the local broker keeps its log in memory), checking every `interval`.
struct TopicProvisioner: Service {
    let producer: KafkaProducer
    let topics: [String]
    let partitions: Int
    let logger: Logger
    var interval: Duration = .seconds(15)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await producer.ensureTopics(topics, partitions: partitions)
                    try? await Task.sleep(for: interval)
                } catch {
                    logger.warning("could not ensure topics; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(2))
                }
            }
        }
    }
}

/// Runs the database client for the whole life of the service and stops it last, waiting at most
/// 5 s for its connections to close. After a database restart, PostgresNIO's pool was seen (under
/// the test suite's load) never finishing its shutdown, so that ingest, deals or inventory did not
/// exit a minute after SIGTERM although everything else had stopped; by then nothing is left to
/// write, and the process's exit closes the sockets.
struct DatabaseClientService: Service {
    let client: PostgresClient
    let logger: Logger

    func run() async throws {
        let running = Task { [client] in await client.run() }
        try? await gracefulShutdown()
        running.cancel()
        if !(await finishes(within: .seconds(5)) { await running.value }) {
            logger.warning("the database client did not close within 5 s of the shutdown; exiting anyway")
        }
    }
}

/// Runs a service's `main`: configuration and start-up errors are printed plainly and exit 1.
public func runServiceMain(
    _ service: ServiceName,
    build: @Sendable (ServiceConfiguration, PrometheusCollectorRegistry) async throws -> any ApplicationProtocol
) async {
    // `DMS_NIO_EXECUTOR=1`: Swift concurrency's tasks run on NIO's event loops rather than a pool
    // of their own, so a request, a query's answer and the handler awaiting it no longer hop
    // between two sets of threads (the journey profile: a quarter of the services' CPU was the
    // kernel switching threads; with it, 16 % less CPU). Off by default until it has run in CI for
    // a while: a deals process that did not exit within 60 s of SIGTERM under the whole suite's load
    // was seen first with it on, then also with it off (so it is not the cause; the cause is not
    // found yet, see the shutdown logs). This runs before the service starts any task.
    if ProcessInfo.processInfo.environment["DMS_NIO_EXECUTOR"] == "1" {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
    do {
        let configuration = try ServiceConfiguration.fromEnvironment(service)
        let registry = bootstrapObservability(configuration)
        let app = try await build(configuration, registry)
        // SIGTERM starts a graceful shutdown (HTTP, consumers, relay, producer, database, in that
        // order); one that takes longer than 25 s is escalated to task cancellation, so that a part
        // waiting on something that will not answer (seen under the test suite's load: a deals or an
        // inventory still running a minute after SIGTERM) cannot keep the process from exiting.
        var group = ServiceGroupConfiguration(
            services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: app.logger)
        group.maximumGracefulShutdownDuration = .seconds(25)
        try await ServiceGroup(configuration: group).run()
        // Every part has stopped; what follows is the process's own exit (a line to tell the two apart
        // when a process is slow to exit after SIGTERM).
        FileHandle.standardError.write(Data("\(service.rawValue): stopped\n".utf8))
    } catch {
        FileHandle.standardError.write(Data("\(service.rawValue): \(error)\n".utf8))
        exit(1)
    }
}

extension ServicePlatform {
    /// Builds a service's application: platform, router with its `/v1` routes, lifecycle.
    public static func application(
        configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry, migrationsDirectory: URL,
        routes: (RouterGroup<BasicRequestContext>, ServicePlatform) -> Void,
        consumers: (ServicePlatform) -> [any Service] = { _ in [] }
    ) throws -> some ApplicationProtocol {
        let platform = try ServicePlatform(
            configuration: configuration, migrationsDirectory: migrationsDirectory, metrics: metrics)
        return platform.makeApplication(router: platform.makeRouter(routes: routes), services: consumers(platform))
    }

    /// The full router of a service: platform endpoints plus its authenticated `/v1` routes.
    public func makeRouter(routes: (RouterGroup<BasicRequestContext>, ServicePlatform) -> Void) -> Router<BasicRequestContext> {
        let router = makeRouter()
        let group = authenticated(router)
        if let relay { group.addOutboxRoutes(relay) }
        routes(group, self)
        return router
    }
}
