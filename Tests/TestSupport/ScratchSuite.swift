import Contracts
import Foundation
import Logging
import PostgresNIO

/// Several services as real processes on a broker and databases of the test's own: each service
/// gets a fresh database, the processes are awaited until ready, `seed` SQL files are applied once
/// their migrations have run, and everything is stopped and dropped afterwards, also on failure
/// (with the tail of each log in the error). Services start in the order given.
public enum ScratchSuite {
    static let logger = Logger(label: "e2e.scratch-suite")

    public struct Running: Sendable {
        public let broker: ScratchBroker
        /// The first replica of each service.
        public let processes: [ServiceName: ServiceProcess]
        /// Every replica of each service (one unless more were asked for), in start order.
        public let replicas: [ServiceName: [ServiceProcess]]
        public let databases: [ServiceName: String]

        public subscript(_ service: ServiceName) -> ServiceProcess { processes[service]! }
    }

    /// - Parameter replicas: processes per service; the replicas of a service share its database
    ///   and consumer group, as replicas in production do.
    public static func with(
        _ services: [ServiceName], replicas: Int = 1, seed: [ServiceName: [String]] = [:], environment: [String: String] = [:],
        _ body: (Running) async throws -> Void
    ) async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        var names: [String] = []
        var urls: [ServiceName: String] = [:]
        var processes: [ServiceName: ServiceProcess] = [:]
        var all: [ServiceName: [ServiceProcess]] = [:]
        func stop() async {
            for process in all.values.joined() { _ = try? await process.terminate() }
            try? await broker.stop()
            for name in names {
                _ = try? await TemporaryDatabase.admin { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
            }
        }
        do {
            for service in services {
                let name = "e2e_\(service.rawValue.replacingOccurrences(of: "-", with: "_"))_\(UUID().uuidString.prefix(8).lowercased())"
                try await TemporaryDatabase.admin { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
                names.append(name)
                var components = URLComponents(string: TestEnvironment.current.adminDatabaseURL)!
                components.path = "/" + name
                urls[service] = components.string!
                // `{<service>}` in a value stands for the base URL of a service started before this one.
                var env = environment.mapValues { value in
                    processes.reduce(value) { $0.replacingOccurrences(of: "{\($1.key.rawValue)}", with: $1.value.baseURL) }
                }
                env["DMS_DATABASE_URL"] = components.string!
                env["DMS_KAFKA_BROKERS"] = broker.address
                if replicas > 1 {
                    env["DMS_CONSUMER_GROUP"] = env["DMS_CONSUMER_GROUP"] ?? "dms-\(service.rawValue)-e2e-\(UUID().uuidString.prefix(8).lowercased())"
                }
                for _ in 0..<max(1, replicas) { all[service, default: []].append(try ServiceProcess(service, environment: env)) }
                processes[service] = all[service]![0]
            }
            for (service, replicas) in all {
                for process in replicas {
                    try await eventually("\(service.rawValue) ready", timeout: .seconds(90)) {
                        if let exit = process.exitStatus { return "exited \(exit): \(process.output.suffix(2000))" }
                        return try await process.get("/health/ready").status == 200 ? nil : "not ready"
                    }
                }
                for file in seed[service] ?? [] { try await ServiceHarness.applySQLFile(file, databaseURL: urls[service]!) }
            }
            try await body(Running(broker: broker, processes: processes, replicas: all, databases: urls))
        } catch {
            let logs = all.flatMap { service, replicas in
                replicas.enumerated().map { "\(service.rawValue)#\($0.offset + 1): \($0.element.output.suffix(3000))" }
            }.joined(separator: "\n---\n")
            await stop()
            throw SuiteFailed(underlying: error, logs: logs)
        }
        await stop()
    }

    /// A failure, with what the services logged.
    public struct SuiteFailed: Error, CustomStringConvertible {
        public var underlying: any Error
        public var logs: String
        public var description: String { "\(underlying)\n--- service logs ---\n\(logs)" }
    }
}
