import Foundation

/// What the test command's set-up provides: the local PostgreSQL, the broker, the debug build.
/// Values come from the process environment, then from `.dms/local.env` (written by infra/run and
/// infra/test), so a plain `swift test` after `infra/run` works too.
public struct TestEnvironment: Sendable {
    public let values: [String: String]

    public static let current = TestEnvironment()

    /// The repository's root folder.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/TestEnvironment.swift
        return url
    }()

    init() {
        var values: [String: String] = [:]
        let file = ProcessInfo.processInfo.environment["DMS_TEST_ENV_FILE"]
            ?? Self.repositoryRoot.appendingPathComponent(".dms/local.env").path
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                values[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        for (key, value) in ProcessInfo.processInfo.environment where key.hasPrefix("DMS_") { values[key] = value }
        self.values = values
    }

    func require(_ key: String) -> String {
        guard let value = values[key], !value.isEmpty else {
            fatalError("\(key) is not set: run the tests with infra/test (it starts PostgreSQL and the broker)")
        }
        return value
    }

    /// A role that may create databases: each test makes its own.
    public var adminDatabaseURL: String { require("DMS_ADMIN_DATABASE_URL") }
    public var adminPassword: String { require("DMS_ADMIN_PASSWORD") }
    public var kafkaBrokers: String { values["DMS_KAFKA_BROKERS"] ?? "127.0.0.1:19092" }
    public var postgresPort: Int { Int(values["DMS_PG_PORT"] ?? "54329") ?? 54329 }

    /// Where `swift test` put the services' executables.
    public var binaryDirectory: URL {
        if let dir = values["DMS_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        // The test bundle sits in the same build folder as the executables.
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }
}
