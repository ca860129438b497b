import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Storage

/// A service's configuration, read from environment variables (see the README's table).
public struct ServiceConfiguration: Sendable {
    public var service: ServiceName
    /// HTTP bind address: `DMS_<SERVICE>_HOST`, default 127.0.0.1.
    public var host: String
    /// HTTP port: `DMS_<SERVICE>_PORT`, default the service's port (8081–8086).
    public var port: Int
    /// `DMS_<SERVICE>_DATABASE_URL`, else `DMS_DATABASE_URL`.
    public var databaseURL: String
    /// librdkafka settings: `DMS_KAFKA_BROKERS` (default 127.0.0.1:19092) and `DMS_KAFKA_PROP_*`.
    public var kafka: KafkaConfiguration
    /// Partitions of each topic this service creates: `DMS_KAFKA_PARTITIONS`, default 6.
    public var topicPartitions: Int
    /// Bearer token of internal HTTP calls: `DMS_SERVICE_TOKEN` (required).
    public var serviceToken: String
    /// `DMS_LOG_LEVEL`, default info.
    public var logLevel: Logger.Level
    /// How long published outbox rows are kept, so that what a broker loses can be sent again:
    /// `DMS_OUTBOX_RETENTION_HOURS`, default 168 (a week).
    public var outboxRetention: Duration
    /// When an idle consumer rests (see `IdleFetching`): `DMS_CONSUMER_IDLE_AFTER_MS` (default
    /// 1000; 0 fetches continuously) and `DMS_CONSUMER_IDLE_PEEK_MS` (default 100: the most an
    /// event waits before a resting consumer looks).
    public var consumerIdle: IdleFetching.Settings
    /// Every variable, for service-specific settings (connector secrets and the like).
    public var environment: [String: String]

    /// Variables every service needs set (no safe default exists for a secret).
    public static func requiredVariables(for service: ServiceName) -> [String] {
        ["DMS_SERVICE_TOKEN", "DMS_DATABASE_URL"] + extraRequiredVariables(for: service)
    }

    /// Secrets a particular service cannot start without.
    public static func extraRequiredVariables(for service: ServiceName) -> [String] {
        switch service {
        case .ingest: ["DMS_INGEST_SECRET_PBX", "DMS_INGEST_SECRET_MAIL", "DMS_INGEST_SECRET_FORMS", "DMS_INGEST_CHAT_TOKEN"]
        default: []
        }
    }

    public init(
        service: ServiceName, host: String = "127.0.0.1", port: Int? = nil, databaseURL: String,
        kafka: KafkaConfiguration, topicPartitions: Int = 6, serviceToken: String,
        logLevel: Logger.Level = .info, outboxRetention: Duration = .seconds(7 * 24 * 3600),
        consumerIdle: IdleFetching.Settings = .init(), environment: [String: String] = [:]
    ) {
        self.service = service
        self.host = host
        self.port = port ?? service.defaultPort
        self.databaseURL = databaseURL
        self.kafka = kafka
        self.topicPartitions = topicPartitions
        self.serviceToken = serviceToken
        self.logLevel = logLevel
        self.outboxRetention = outboxRetention
        self.consumerIdle = consumerIdle
        self.environment = environment
    }

    /// Reads the configuration; throws naming every variable that is missing or malformed.
    public static func fromEnvironment(
        _ service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        var problems: [String] = []
        let prefix = service.environmentPrefix
        func value(_ names: String...) -> String? {
            for name in names { if let v = environment[name], !v.isEmpty { return v } }
            return nil
        }
        let port = value(prefix + "PORT").map { Int($0) } ?? service.defaultPort
        if port == nil || !(1...65535).contains(port!) { problems.append("\(prefix)PORT must be a port number") }
        let databaseURL = value(prefix + "DATABASE_URL", "DMS_DATABASE_URL")
        if let databaseURL {
            do { _ = try PostgresClient.Configuration.fromURL(databaseURL) } catch {
                problems.append("\(prefix)DATABASE_URL / DMS_DATABASE_URL: \(error)")
            }
        } else {
            problems.append("\(prefix)DATABASE_URL or DMS_DATABASE_URL is required (postgres://user:password@host:port/database)")
        }
        let token = value("DMS_SERVICE_TOKEN")
        if token == nil { problems.append("DMS_SERVICE_TOKEN is required (the bearer token of internal HTTP calls)") }
        for name in extraRequiredVariables(for: service) where value(name) == nil {
            problems.append("\(name) is required")
        }
        if let region = value("DMS_DEFAULT_REGION"), Region.parse(region) == nil {
            problems.append("DMS_DEFAULT_REGION must be one of \(Region.allCases.map(\.rawValue).joined(separator: ", ")), not \(region)")
        }
        let partitions = Int(value("DMS_KAFKA_PARTITIONS") ?? "6")
        if partitions == nil || partitions! < 1 { problems.append("DMS_KAFKA_PARTITIONS must be a positive number") }
        let level = value("DMS_LOG_LEVEL").map { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        if level == nil { problems.append("DMS_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical") }
        let retentionHours = Int(value("DMS_OUTBOX_RETENTION_HOURS") ?? "168")
        if retentionHours == nil || !(1...87_600).contains(retentionHours!) {
            problems.append("DMS_OUTBOX_RETENTION_HOURS must be a number of hours from 1 to 87600")
        }
        let idleAfter = Int(value("DMS_CONSUMER_IDLE_AFTER_MS") ?? "1000")
        if idleAfter == nil || !(0...3_600_000).contains(idleAfter!) {
            problems.append("DMS_CONSUMER_IDLE_AFTER_MS must be a number of milliseconds from 0 (never idle) to 3600000")
        }
        let idlePeek = Int(value("DMS_CONSUMER_IDLE_PEEK_MS") ?? "100")
        if idlePeek == nil || !(10...60_000).contains(idlePeek!) {
            problems.append("DMS_CONSUMER_IDLE_PEEK_MS must be a number of milliseconds from 10 to 60000")
        }
        guard problems.isEmpty, let port, let databaseURL, let token, let partitions, let level, let retentionHours,
            let idleAfter, let idlePeek
        else {
            throw ConfigurationError(service: service, problems: problems)
        }
        let kafka = KafkaConfiguration(
            bootstrapServers: value("DMS_KAFKA_BROKERS") ?? "127.0.0.1:19092",
            properties: KafkaConfiguration.properties(fromEnvironment: environment))
        return ServiceConfiguration(
            service: service, host: value(prefix + "HOST") ?? "127.0.0.1", port: port, databaseURL: databaseURL,
            kafka: kafka, topicPartitions: partitions, serviceToken: token, logLevel: level,
            outboxRetention: .seconds(retentionHours * 3600),
            consumerIdle: IdleFetching.Settings(idleAfter: .milliseconds(idleAfter), peekInterval: .milliseconds(idlePeek)),
            environment: environment)
    }
}

/// The configuration cannot be used; lists every problem at once.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var service: ServiceName
    public var problems: [String]

    public init(service: ServiceName, problems: [String]) {
        self.service = service
        self.problems = problems
    }

    public var description: String {
        "\(service.rawValue): invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
