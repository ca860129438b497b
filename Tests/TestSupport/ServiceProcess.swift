import Contracts
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One of our executables started as a real process, with its output in a log file.
public final class ServiceProcess: Sendable {
    public let service: ServiceName
    public let port: Int
    public let logFile: URL
    private let process: Process

    public init(_ service: ServiceName, environment: [String: String]) throws {
        self.service = service
        self.port = try freePort()
        self.logFile = FileManager.default.temporaryDirectory.appendingPathComponent("dms-\(service.rawValue)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = TestEnvironment.current.binaryDirectory.appendingPathComponent(service.rawValue)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DMS_") }
        env[service.environmentPrefix + "PORT"] = String(port)
        env["DMS_KAFKA_BROKERS"] = TestEnvironment.current.kafkaBrokers
        env["DMS_SERVICE_TOKEN"] = ServiceHarness.serviceToken
        env.merge(ServiceHarness.connectorSecrets) { $1 }
        env["DMS_LOG_LEVEL"] = "info"
        // A group of its own: test processes never join (and never disturb) the local suite's groups.
        env["DMS_CONSUMER_GROUP"] = "dms-\(service.rawValue)-test-\(UUID().uuidString.prefix(8).lowercased())"
        env.merge(environment) { $1 }
        process.environment = env
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        self.process = process
        try process.run()
    }

    /// Waits until every process answers `/health/ready` with 200 (fails early with the output of
    /// one that exited).
    public static func allReady(_ processes: [ServiceProcess], timeout: Duration = .seconds(90)) async throws {
        for process in processes {
            try await eventually("\(process.service.rawValue) ready", timeout: timeout) {
                if let exit = process.exitStatus { return "exited \(exit): \(process.output.suffix(2000))" }
                let (status, body) = try await process.get("/health/ready")
                return status == 200 ? nil : "\(status) \(body)"
            }
        }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The process id (to send it a signal).
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The process's exit status once it has ended.
    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Sends SIGTERM (graceful shutdown) and waits for the exit status.
    public func terminate(timeout: Duration = .seconds(20)) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        return try await waitForExit(timeout: timeout)
    }

    public func waitForExit(timeout: Duration) async throws -> Int32 {
        var status: Int32 = -1
        try await eventually("\(service.rawValue) to exit", timeout: timeout) {
            guard let exit = exitStatus else { return "still running" }
            status = exit
            return nil
        }
        return status
    }

    /// Status code and body of a GET.
    public func get(_ path: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A TCP port nobody listens on right now.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A throwaway PostgreSQL cluster (infra/lib/pg-scratch) for tests that stop and start a database.
public struct ScratchCluster: Sendable {
    public let directory: URL
    public let port: Int

    public init() throws {
        let base = TestEnvironment.current.values["DMS_PG_SCRATCH_BASE"].map { URL(fileURLWithPath: $0) }
            ?? TestEnvironment.repositoryRoot.appendingPathComponent(".dms/test")
        directory = base.appendingPathComponent("pg-\(UUID().uuidString.prefix(8))")
        port = try freePort()
    }

    public var adminURL: String {
        "postgres://dms_admin:\(TestEnvironment.current.adminPassword)@127.0.0.1:\(port)/postgres"
    }

    public func start() async throws { try await script("start") }
    public func stop() async throws { try await script("stop") }
    public func destroy() async { try? await script("destroy") }

    /// Runs infra/lib/pg-scratch. The script records its exit status in a file that we poll:
    /// Foundation's `Process` did not report the end of a child whose own child (PostgreSQL)
    /// lives on, so neither `waitUntilExit` nor `terminationHandler` can be relied on here.
    func script(_ command: String) async throws {
        let statusFile = directory.deletingLastPathComponent()
            .appendingPathComponent("\(directory.lastPathComponent).\(command).\(UUID().uuidString.prefix(6)).status")
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("infra/lib/pg-scratch").path
        process.arguments = ["-c", "\"$0\" \"$1\" \"$2\" \"$3\" </dev/null >/dev/null 2>&1; echo $? > \"$4\"",
                             script, command, directory.path, String(port), statusFile.path]
        var env = ProcessInfo.processInfo.environment
        env["DMS_ADMIN_PASSWORD"] = TestEnvironment.current.adminPassword
        process.environment = env
        try process.run()
        var status = ""
        try await eventually("pg-scratch \(command)", timeout: .seconds(60), every: .milliseconds(100)) {
            status = (try? String(contentsOf: statusFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return status.isEmpty ? "running" : nil
        }
        try? FileManager.default.removeItem(at: statusFile)
        guard status == "0" else {
            throw ScriptFailed(description: "pg-scratch \(command) exited \(status)")
        }
    }
}

public struct ScriptFailed: Error, CustomStringConvertible {
    public var description: String
}
