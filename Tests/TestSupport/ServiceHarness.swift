import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Messaging
import PostgresNIO
import ServiceKit
import Storage

/// Builds a service the way `main` does, against a database made for the test.
public enum ServiceHarness {
    public static let serviceToken = "test-service-token"

    /// The connector secrets the ingest service needs, for tests.
    public static let connectorSecrets = [
        "DMS_INGEST_SECRET_PBX": "test-pbx-secret", "DMS_INGEST_SECRET_MAIL": "test-mail-secret",
        "DMS_INGEST_SECRET_FORMS": "test-forms-secret", "DMS_INGEST_CHAT_TOKEN": "test-chat-token-0123456789abcdef",
    ]

    public static func configuration(_ service: ServiceName, databaseURL: String) -> ServiceConfiguration {
        ServiceConfiguration(
            service: service, port: 0, databaseURL: databaseURL,
            kafka: KafkaConfiguration(bootstrapServers: TestEnvironment.current.kafkaBrokers),
            serviceToken: serviceToken, logLevel: .warning, environment: connectorSecrets)
    }

    /// The routes a service serves and those its OpenAPI document describes, side by side.
    public static func routeDrift(
        _ service: ServiceName, migrationsDirectory: URL,
        routes: (RouterGroup<BasicRequestContext>, ServicePlatform) -> Void
    ) throws -> (undocumented: Set<String>, unserved: Set<String>) {
        let platform = try ServicePlatform(
            configuration: configuration(service, databaseURL: "postgres://nobody@127.0.0.1:1/none"),
            migrationsDirectory: migrationsDirectory)
        let served = OpenAPIRoutes.served(by: platform.makeRouter(routes: routes))
        let documented = try OpenAPIRoutes.documented(service: service.rawValue)
        return (served.subtracting(documented), documented.subtracting(served))
    }

    /// Runs the service for real (migrations, database, broker, HTTP on a free port) against a
    /// fresh database; `seed` SQL files from the repository are applied after start-up.
    public static func withLiveService(
        _ service: ServiceName, migrationsDirectory: URL,
        routes: @escaping @Sendable (RouterGroup<BasicRequestContext>, ServicePlatform) -> Void,
        seed: [String] = [],
        _ body: @escaping @Sendable (any TestClientProtocol, _ databaseURL: String) async throws -> Void
    ) async throws {
        try await TemporaryDatabase.with(prefix: service.rawValue.replacingOccurrences(of: "-", with: "_")) { url in
            let platform = try ServicePlatform(
                configuration: configuration(service, databaseURL: url), migrationsDirectory: migrationsDirectory)
            let app = platform.makeApplication(router: platform.makeRouter(routes: routes))
            // A service that cannot start (a failing migration) must fail the test, not hang it.
            try await withDeadline(.seconds(120)) {
                try await app.test(.live) { client in
                    for file in seed { try await applySQLFile(file, databaseURL: url) }
                    try await body(client, url)
                }
            }
        }
    }

    /// Applies a repository SQL file (multi-statement) to a database.
    public static func applySQLFile(_ relativePath: String, databaseURL: String) async throws {
        let sql = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent(relativePath), encoding: .utf8)
        try await TemporaryDatabase.withClient(url: databaseURL) { client in
            try await client.withConnection { connection in
                for statement in SQLScript.statements(sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: TemporaryDatabase.logger)
                }
            }
        }
    }

    /// Headers of an authenticated internal call.
    public static var authorized: HTTPFields { [.authorization: "Bearer \(serviceToken)"] }
}

extension ByteBuffer {
    /// Decodes a JSON body.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(readableBytesView))
    }
}

extension ServiceHarness {
    /// Runs one SQL statement (unbound; tests only) against a database.
    public static func applySQL(_ sql: String, databaseURL: String) async throws {
        try await TemporaryDatabase.withClient(url: databaseURL) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: TemporaryDatabase.logger)
        }
    }

    /// The first column of the first row, as text.
    public static func scalar(_ sql: String, databaseURL: String) async throws -> String? {
        try await TemporaryDatabase.withClient(url: databaseURL) { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: TemporaryDatabase.logger)
            for try await value in rows.decode(String?.self) { return value }
            return nil
        }
    }
}
