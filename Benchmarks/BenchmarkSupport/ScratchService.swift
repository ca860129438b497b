import AsyncHTTPClient
import Foundation
import PostgresNIO

// MARK: One service on a scratch database

/// Runs `body` against one of our services started on a scratch database of its own (the deals,
/// inventory and dealer-info benchmarks), and always cleans up after it.
///
/// In order: creates the database `database` through `admin` (the client configuration of
/// `environment.adminDatabaseURL`); starts the executable `service` on a free port (`ServiceRun`, its
/// log named after `benchmark`) with `DMS_DATABASE_URL`, `DMS_<SERVICE>_PORT` (e.g.
/// `DMS_DEALER_INFO_PORT`) and `DMS_KAFKA_BROKERS` set and `serviceEnvironment` merged over them;
/// opens a client of the scratch database (`admin` with the other database); waits until the service
/// is ready (`waitReady(_:)`); then runs `body` with the service, an HTTP client made with
/// `httpConfiguration`, and that database client.
///
/// Whatever happens once the database exists (a failure anywhere, or the run cancelled by Ctrl-C
/// under `runInterruptibly`), the HTTP client is shut down, the service stopped and the database
/// dropped, each to its end (`withoutCancellation`); then the failure, if any, is thrown.
public func withScratchService(
    _ service: String, benchmark: String, database: String, environment: BenchEnvironment, admin: PostgresClient.Configuration,
    serviceEnvironment: [String: String], httpConfiguration: HTTPClient.Configuration = .init(), logger: Logger,
    _ body: (ServiceRun, HTTPClient, PostgresClient) async throws -> Void
) async throws {
    let adminClient = PostgresClient(configuration: admin, backgroundLogger: logger)
    let adminTask = Task { await adminClient.run() }
    defer { adminTask.cancel() }
    try await adminClient.query("CREATE DATABASE \(unescaped: database)", logger: logger)
    let url = databaseURL(environment.adminDatabaseURL, database: database)
    let port = freePort()
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    var started: ServiceRun?
    var dbTask: Task<Void, Never>?
    var failure: (any Error)?
    do {
        let portVariable = "DMS_\(service.uppercased().replacingOccurrences(of: "-", with: "_"))_PORT"
        let env = ["DMS_DATABASE_URL": url, portVariable: String(port), "DMS_KAFKA_BROKERS": environment.brokers]
            .merging(serviceEnvironment) { $1 }
        let run = try ServiceRun(service, port: port, environment: env, benchmark: benchmark)
        started = run
        var scratch = admin
        scratch.database = database
        let db = PostgresClient(configuration: scratch, backgroundLogger: logger)
        dbTask = Task { await db.run() }
        try await run.waitReady(http)
        try await body(run, http, db)
    } catch {
        failure = error
    }
    dbTask?.cancel()
    // Runs to its end even when the run was cancelled (Ctrl-C).
    let run = started
    await withoutCancellation {
        try? await http.shutdown()
        await run?.stop()
        _ = try? await adminClient.query("DROP DATABASE IF EXISTS \(unescaped: database) WITH (FORCE)", logger: logger)
    }
    if let failure { throw failure }
}
