import Contracts
import Foundation
import Logging
import PostgresNIO

/// A failure that ends the benchmark with a message and an exit status.
public struct BenchmarkFailure: Error, CustomStringConvertible {
    /// 2: broker or database unreachable; 1: anything else.
    public var status: Int32
    public var description: String

    public static func unreachable(_ message: String) -> BenchmarkFailure { BenchmarkFailure(status: 2, description: message) }
    public static func failed(_ message: String) -> BenchmarkFailure { BenchmarkFailure(status: 1, description: message) }
}

/// Whether this executable was compiled without optimisation (SwiftPM's debug configuration).
public let isDebugBuild: Bool = {
    #if DEBUG
    true
    #else
    false
    #endif
}()

/// Runs `work` as a benchmark's `main` does, and returns the status the process should exit with:
/// 0 when it ends, a `BenchmarkFailure`'s own status, 130 when it ended in a `CancellationError`
/// (Ctrl-C), 1 for any other error. Every failure goes to stderr, prefixed with `name`.
///
/// Ctrl-C (SIGINT) and SIGTERM cancel the work instead of ending the process, so that a benchmark
/// can still stop the services it started and drop its scratch databases; that clean-up belongs in
/// `withoutCancellation`, since most awaits in a cancelled task throw at once. `cleanUp` says what
/// the clean-up does, in the line printed on the signal.
///
/// A debug build refuses to run (status 1): its figures would say nothing about the product.
public func runInterruptibly(
    name: String, cleanUp: String = "cleaning up", _ work: @escaping @Sendable () async throws -> Void
) async -> Int32 {
    if isDebugBuild {
        warn("\(name): this is a debug build; benchmarks measure release builds: swift build -c release, then .build/release/\(name)")
        return 1
    }
    let task = Task { try await work() }
    var sources: [any DispatchSourceSignal] = []
    for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber, SIG_IGN)  // the default action would end the process before the clean-up
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            warn("\(name): interrupted; \(cleanUp)")
            task.cancel()
        }
        source.resume()
        sources.append(source)
    }
    defer { sources.forEach { $0.cancel() } }
    switch await task.result {
    case .success:
        return 0
    case .failure(let failure as BenchmarkFailure):
        warn("\(name): \(failure.description)")
        return failure.status
    case .failure(let error as CancellationError):
        warn("\(name): cancelled (\(error))")
        return 130
    case .failure(let error):
        warn("\(name): failed: \(String(reflecting: error))")
        return 1
    }
}

/// Runs a benchmark from its command line, for its `main` (`exit(await runFromCommandLine(…))`):
/// `parse` reads the arguments (without the executable's name); a failure there is printed to stderr
/// and ends in status 64 (a usage error) before anything has started. Then `run` with the options,
/// under `runInterruptibly(name:cleanUp:_:)`, whose status is returned.
public func runFromCommandLine<Options: Sendable>(
    name: String, cleanUp: String, parse: ([String]) throws -> Options, _ run: @escaping @Sendable (Options) async throws -> Void
) async -> Int32 {
    let options: Options
    do {
        options = try parse(Array(CommandLine.arguments.dropFirst()))
    } catch {
        warn("\(error)")
        return 64
    }
    return await runInterruptibly(name: name, cleanUp: cleanUp) {
        try await run(options)
    }
}

/// Runs `body` to its end even when the calling task has been cancelled (Ctrl-C under
/// `runInterruptibly`): in a task of its own, which does not inherit the cancellation, awaited here.
/// For clean-up (stopping services, dropping databases) that must not be cut short.
public func withoutCancellation<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
    await Task { await body() }.value
}

public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var after: Duration
    public var description: String { "\(what): no answer within \(format(after))" }
}

/// Runs `body`, cancelling it and throwing `TimedOut` when it takes longer than `limit`.
@discardableResult
public func withTimeout<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(what: what, after: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

// MARK: Formatting

/// `1234567` → `1,234,567`.
public func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

public func fixed(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

/// A rate with thousands separators and no decimals (or one below 100).
public func rate(_ value: Double) -> String {
    value >= 100 ? grouped(Int(value.rounded())) : fixed(value, 1)
}

public func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

public func format(_ duration: Duration) -> String {
    let s = seconds(duration)
    return s >= 1 ? "\(fixed(s, 2)) s" : "\(fixed(s * 1000, 1)) ms"
}

public func milliseconds(_ value: Double) -> String {
    value >= 100 ? "\(fixed(value, 0)) ms" : "\(fixed(value, 1)) ms"
}

/// Milliseconds from `start` until now, for latencies measured on the benchmark's own clock.
public func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}

/// The q-quantile (0...1) of already sorted values, nearest rank.
public func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
}

/// "p50 …, p99 …, max … (n=…)" of latencies in milliseconds (in any order).
public func summary(_ values: [Double]) -> String {
    let sorted = values.sorted()
    return "p50 \(milliseconds(quantile(sorted, 0.5))), p99 \(milliseconds(quantile(sorted, 0.99))), "
        + "max \(milliseconds(sorted.last ?? .nan)) (n=\(grouped(sorted.count)))"
}

public func randomTag() -> String {
    String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
}

/// Printed lines go out at once (stdout may be a pipe).
public func say(_ line: String = "") {
    print(line)
    fflush(nil)  // all output streams (stdout may be a pipe)
}

public func warn(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

// MARK: Machine

public enum Machine {
    public static var description: String {
        let info = ProcessInfo.processInfo
        let memory = Double(info.physicalMemory) / 1_073_741_824
        return "\(info.processorCount) cores (\(info.activeProcessorCount) active), \(fixed(memory, 1)) GiB, \(operatingSystem)"
    }

    static var operatingSystem: String {
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") })
        {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return ProcessInfo.processInfo.operatingSystemVersionString
    }
}

// MARK: CPU

/// CPU seconds used by every process, from /proc (Linux): who was busy during a test.
public struct CPUSnapshot: Sendable {
    /// Component → CPU seconds (user + system) since each process started.
    private var cpu: [String: Double] = [:]
    private var taken = ContinuousClock.now

    public static func take() -> CPUSnapshot {
        var snapshot = CPUSnapshot()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let me = ProcessInfo.processInfo.processIdentifier
        guard ticks > 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return snapshot }
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            // After ") ": state is field 3, utime field 14, stime field 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            let component: String
            if pid == me {
                component = "benchmark"
            } else if name == "postgres" {
                component = "postgres"
            } else if name == "tansu" {
                component = "broker"
            } else if ServiceName(rawValue: name) != nil {
                component = name
            } else {
                component = "other"
            }
            snapshot.cpu[component, default: 0] += (user + system) / ticks
        }
        snapshot.taken = .now
        return snapshot
    }

    /// CPU use since `earlier`: "benchmark 1.2 s, postgres 2.0 s, … of 2 × 3.1 s".
    public func since(_ earlier: CPUSnapshot) -> String {
        let wall = Swift.max(0.001, seconds(taken - earlier.taken))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var parts: [String] = []
        var busy = 0.0
        for component in ["benchmark"] + ServiceName.allCases.map(\.rawValue) + ["postgres", "broker", "other"] {
            let used = Swift.max(0, (cpu[component] ?? 0) - (earlier.cpu[component] ?? 0))
            busy += used
            if used > 0 || !ServiceName.allCases.map(\.rawValue).contains(component) {
                parts.append("\(component) \(fixed(used, 1)) s")
            }
        }
        return parts.joined(separator: ", ")
            + " of \(cores) × \(fixed(wall, 1)) s (\(Int((busy / (Double(cores) * wall) * 100).rounded())) % busy)"
    }

}

/// Where the broker and the database are.
public struct BenchEnvironment: Sendable {
    public var brokers: String
    public var adminDatabaseURL: String
    /// Where the values came from, for the report.
    public var source: String

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The process environment first, then `.dms/local.env` in the current directory or above it
    /// (or above the executable, for `.build/release/messaging-benchmark` run from elsewhere).
    public static func load() throws(Missing) -> BenchEnvironment {
        let process = ProcessInfo.processInfo.environment
        var file: [String: String] = [:]
        var fileName: String?
        if let path = findLocalEnv() {
            fileName = path
            file = parseEnvFile(path)
        }
        func lookup(_ key: String) -> (String, String)? {
            if let value = process[key], !value.isEmpty { return (value, "environment") }
            if let value = file[key], !value.isEmpty, let fileName { return (value, fileName) }
            return nil
        }
        guard let brokers = lookup("DMS_KAFKA_BROKERS") else {
            throw Missing(description: "DMS_KAFKA_BROKERS is not set and no .dms/local.env defines it (run infra/run first)")
        }
        guard let admin = lookup("DMS_ADMIN_DATABASE_URL") else {
            throw Missing(description: "DMS_ADMIN_DATABASE_URL is not set and no .dms/local.env defines it (run infra/run first)")
        }
        let sources = Set([brokers.1, admin.1]).sorted().joined(separator: ", ")
        return BenchEnvironment(brokers: brokers.0, adminDatabaseURL: admin.0, source: sources)
    }

    private static func findLocalEnv() -> String? {
        findAbove(".dms/local.env")
    }

    private static func parseEnvFile(_ path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            var key = String(trimmed[..<equals]).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix("export ") { key = String(key.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            var value = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            result[key] = value
        }
        return result
    }
}

/// The URL of the scratch database `database` on the server of `adminURL` (the admin database's URL,
/// `DMS_ADMIN_DATABASE_URL`): same host, user, password and options, another path.
public func databaseURL(_ adminURL: String, database: String) -> String {
    var components = URLComponents(string: adminURL)!
    components.path = "/" + database
    return components.string!
}

/// The path of `relativePath` (a file) in the current directory or the nearest one above it, or
/// else above the executable (for `.build/release/…` run from elsewhere): `.dms/local.env`, or a
/// repository file such as `infra/demo/deals.sql`.
public func findAbove(_ relativePath: String) -> String? {
    var starts = [FileManager.default.currentDirectoryPath]
    starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
    for start in starts {
        var directory = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            let candidate = directory.appendingPathComponent(relativePath).path
            if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
    }
    return nil
}

/// A TCP port on 127.0.0.1 that nobody listens on right now (for a service the benchmark starts).
public func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

// MARK: Options

/// The positive whole number in the environment variable `name` (a `BENCH_*` knob), or `fallback`
/// when the variable is unset or empty. Anything else fails, so that a mistyped knob never runs the
/// benchmark with the default instead.
public func positiveNumber(_ name: String, in environment: [String: String], default fallback: Int) throws -> Int {
    guard let text = environment[name], !text.isEmpty else { return fallback }
    guard let value = Int(text), value > 0 else { throw BenchmarkFailure.failed("\(name) must be a positive number, not \(text)") }
    return value
}

/// A benchmark's command line, read flag by flag (in `Options.init`). `--help` or `-h` prints the
/// usage text and ends the process; every failure ends with the usage text.
public struct Flags {
    private var rest: ArraySlice<String>
    /// The usage text (`Options.help`).
    public let help: String

    /// `arguments`: the command line without the executable's name.
    public init(_ arguments: [String], help: String) {
        rest = arguments[...]
        self.help = help
    }

    /// The next flag, or nil after the last one; on `--help` or `-h`, prints the help and exits 0.
    public mutating func next() -> String? {
        guard let flag = rest.popFirst() else { return nil }
        if flag == "--help" || flag == "-h" {
            say(help)
            exit(0)
        }
        return flag
    }

    /// The argument after `flag`; fails ("… needs a value") when there is none.
    public mutating func value(of flag: String) throws -> String {
        guard let text = rest.popFirst() else { throw BenchmarkFailure.failed("\(flag) needs a value\n\(help)") }
        return text
    }

    /// `text`, the value of `flag`, as a positive whole number; fails ("… needs a positive number") otherwise.
    public func positiveNumber(_ text: String, of flag: String) throws -> Int {
        guard let value = Int(text), value > 0 else { throw BenchmarkFailure.failed("\(flag) needs a positive number\n\(help)") }
        return value
    }

    /// The argument after `flag` as a positive whole number; fails ("… needs a positive number") when
    /// there is none or it is something else.
    public mutating func positiveNumber(after flag: String) throws -> Int {
        try positiveNumber(rest.popFirst() ?? "", of: flag)
    }

    /// The failure for a flag the benchmark does not know.
    public func unknown(_ flag: String) -> BenchmarkFailure {
        .failed("unknown flag \(flag)\n\(help)")
    }
}

/// The value of an `--env service:NAME=value` flag (extra environment for one of the services a
/// benchmark starts, for tuning runs), or nil when it does not have that form.
public func serviceSetting(_ text: String) -> (service: String, name: String, value: String)? {
    guard let colon = text.firstIndex(of: ":"), let equals = text.firstIndex(of: "="), colon < equals else { return nil }
    return (String(text[..<colon]), String(text[text.index(after: colon)..<equals]), String(text[text.index(after: equals)...]))
}

// MARK: Services

/// One of our service executables (`ingest`, `leads`, `deals`, `inventory`, …) run as a process by a
/// benchmark, started from the folder of the benchmark's own executable (the release build puts them
/// side by side), so that what is measured is the service as it is deployed.
///
/// It gets the benchmark's environment without any `DMS_*` variable (the caller's shell may hold the
/// local suite's settings, which must not leak into a scratch run), with `environment` merged over
/// it; its output goes to `$TMPDIR/<benchmark>-<service>.log` (`logFile(benchmark:service:)`).
///
/// Sendable without `@unchecked`: every stored property is a `let` of a Sendable type (`Process`
/// is declared Sendable by swift-corelibs-foundation); after the start only `isRunning` and
/// `processIdentifier` are read.
public final class ServiceRun: Sendable {
    /// The executable's name, e.g. `leads`.
    public let name: String
    /// The HTTP port the caller gave the service (through its `DMS_<SERVICE>_PORT` variable).
    public let port: Int
    /// The running process: for `isRunning`, or a signal of the caller's own (SIGSTOP/SIGCONT).
    public let process: Process
    /// Where its standard output and error go.
    public let log: URL

    /// `http://127.0.0.1:<port>`.
    public var base: String { "http://127.0.0.1:\(port)" }

    /// Where the service `service` started by the benchmark `benchmark` writes its output:
    /// `$TMPDIR/<benchmark>-<service>.log` (named in failures and in docs/benchmarks.md).
    public static func logFile(benchmark: String, service: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(benchmark)-\(service).log")
    }

    /// Starts the executable `name` next to the benchmark's; fails when there is none (the release
    /// build was not made) or it cannot be started. `benchmark` names the log file.
    public init(_ name: String, port: Int, environment: [String: String], benchmark: String) throws {
        self.name = name
        self.port = port
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let process = Process()
        process.executableURL = directory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: process.executableURL!.path) else {
            throw BenchmarkFailure.failed("no \(name) executable next to the benchmark: swift build -c release first")
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DMS_") }
        env.merge(environment) { $1 }
        process.environment = env
        let log = Self.logFile(benchmark: benchmark, service: name)
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
    }

    /// Asks `isReady` (e.g. `GET /health/ready` answered 200) every 200 ms until it says yes; fails,
    /// naming the log, when the process exits first or `limit` passes.
    public func waitReady(within limit: Duration = .seconds(60), _ isReady: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            if await isReady() { return }
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw BenchmarkFailure.failed("\(name) did not become ready; see \(log.path)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// SIGTERM (the service's graceful stop), then waits up to `limit` for the exit; SIGKILL if it is
    /// still running then, and a short wait for that. Also sends SIGCONT, in case the caller stopped
    /// the process (SIGSTOP) and was interrupted before resuming it. Polls, since `waitUntilExit`
    /// would block a cooperative thread; runs to its end even in a cancelled task (a clean-up after
    /// Ctrl-C).
    public func stop(within limit: Duration = .seconds(20)) async {
        await withoutCancellation { [self] in
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                kill(process.processIdentifier, SIGCONT)
            }
            if await exited(within: limit) { return }
            warn("\(name) did not stop within \(format(limit)) of SIGTERM: killed")
            kill(process.processIdentifier, SIGKILL)
            _ = await exited(within: .seconds(5))
        }
    }

    /// Whether the process has exited, polling every 50 ms for up to `limit`.
    private func exited(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }
}

/// Fails unless PostgreSQL records commit timestamps: benchmarks measure latency to the commit that
/// makes a result visible (`pg_xact_commit_timestamp(xmin)`), which needs `track_commit_timestamp=on`.
public func requireCommitTimestamps(_ client: PostgresClient, logger: Logger) async throws {
    let tracked = try await client.query("SHOW track_commit_timestamp", logger: logger).collect().first?.decode(String.self)
    guard tracked == "on" else {
        throw BenchmarkFailure.failed(
            "PostgreSQL runs with track_commit_timestamp=\(tracked ?? "?"): latency is measured to the commit that makes a result visible, which needs it on (infra/run starts PostgreSQL with it; restart it with infra/stop, infra/run)")
    }
}
