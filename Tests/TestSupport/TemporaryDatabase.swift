import Foundation
import Logging
import PostgresNIO
import Storage

/// Databases made for one test, dropped after it: tests never see each other's data.
public enum TemporaryDatabase {
    static let logger: Logger = {
        var logger = Logger(label: "test.database")
        logger.logLevel = .warning  // a test that stops a database would otherwise log every reconnect
        return logger
    }()

    /// Creates a database, runs `body` with its URL, drops it.
    public static func with<T>(
        prefix: String = "t", host: String? = nil, port: Int? = nil,
        _ body: (_ url: String) async throws -> T
    ) async throws -> T {
        let (name, url) = try await create(prefix: prefix, host: host, port: port)
        do {
            let result = try await body(url)
            await drop(name)
            return result
        } catch {
            await drop(name)
            throw error
        }
    }

    /// Creates a database that outlives the call (for several processes); the caller drops it.
    public static func create(prefix: String = "t", host: String? = nil, port: Int? = nil) async throws -> (name: String, url: String) {
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        try await admin { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
        var components = URLComponents(string: TestEnvironment.current.adminDatabaseURL)!
        components.path = "/" + name
        if let host { components.host = host }
        if let port { components.port = port }
        return (name, components.string!)
    }

    /// Drops a database, whoever is still connected to it.
    public static func drop(_ name: String) async {
        _ = try? await admin { try await $0.query("DROP DATABASE IF EXISTS \(unescaped: name) WITH (FORCE)", logger: logger) }
    }

    @discardableResult
    /// Runs `body` with a client connected as the admin role to the `postgres` database.
    public static func admin<T>(url: String = TestEnvironment.current.adminDatabaseURL,
                                _ body: (PostgresClient) async throws -> T) async throws -> T {
        try await withClient(url: url, body)
    }

    @discardableResult
    /// Runs `body` with a running client for `url`.
    public static func withClient<T>(url: String, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: try .fromURL(url), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
