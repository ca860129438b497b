import Contracts
import Foundation

/// A failure that ends the benchmark with a message and an exit status.
public struct BenchmarkFailure: Error, CustomStringConvertible {
    /// 2: broker or database unreachable; 1: anything else.
    public var status: Int32
    public var description: String

    public static func unreachable(_ message: String) -> BenchmarkFailure { BenchmarkFailure(status: 2, description: message) }
    public static func failed(_ message: String) -> BenchmarkFailure { BenchmarkFailure(status: 1, description: message) }
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

/// The q-quantile (0...1) of already sorted values, nearest rank.
public func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
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
