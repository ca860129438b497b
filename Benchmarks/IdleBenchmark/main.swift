import BenchmarkSupport
import Contracts
import Foundation

/// `idle-benchmark`: how much CPU the local suite (`infra/run`: six services, the broker,
/// PostgreSQL) uses while nothing happens, per process, as a share of one core.
struct Options: Sendable {
    static let help = """
        usage: idle-benchmark [--seconds N] [--runs N]

        Measures the CPU the running local suite (started by infra/run) uses while idle: the six
        services, the broker and PostgreSQL, each as a % of one core, over --seconds (60) per run,
        --runs (3) runs; prints each run and the median with the spread. The suite must be idle
        (no benchmark, test or user beside it) and run release builds.
        """
    var seconds = 60
    var runs = 3

    init(_ arguments: [String]) throws {
        var flags = Flags(arguments, help: Self.help)
        while let flag = flags.next() {
            switch flag {
            case "--seconds": seconds = try flags.positiveNumber(after: flag)
            case "--runs": runs = try flags.positiveNumber(after: flag)
            default: throw flags.unknown(flag)
            }
        }
    }
}

/// A process of the local suite.
struct Member {
    var name: String
    var pid: Int32
}

/// CPU seconds of a process; with `reapedChildren`, also those of its children that ended (the
/// postmaster's backends come and go).
func cpuSeconds(_ pid: Int32, reapedChildren: Bool = false) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    // After ") ": utime is field 14, stime 15, cutime 16, cstime 17 (1-based over the whole line).
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 15, let user = Double(fields[11]), let system = Double(fields[12]),
        let childUser = Double(fields[13]), let childSystem = Double(fields[14])
    else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system + (reapedChildren ? childUser + childSystem : 0)) / ticks
}

/// The parent pid of a process.
func parent(of pid: Int32) -> Int32? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}

func pidFile(_ path: String) -> Int32? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
}

/// The suite's processes, from the pid files infra/run writes; fails unless all are running
/// release builds.
func findSuite() throws -> [Member] {
    guard let env = findAbove(".dms/local.env") else {
        throw BenchmarkFailure.unreachable("no .dms/local.env here or above: start the suite with infra/run first")
    }
    let state = URL(fileURLWithPath: env).deletingLastPathComponent().path
    var members: [Member] = []
    for service in ServiceName.allCases {
        guard let pid = pidFile("\(state)/run/\(service.rawValue).pid"), kill(pid, 0) == 0 else {
            throw BenchmarkFailure.unreachable("\(service.rawValue) is not running: start the suite with infra/run first")
        }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        guard executable.contains("/release/") else {
            throw BenchmarkFailure.failed("\(service.rawValue) runs \(executable), not a release build: benchmarks measure release builds (infra/run starts them)")
        }
        members.append(Member(name: service.rawValue, pid: pid))
    }
    guard let broker = pidFile("\(state)/run/broker.pid"), kill(broker, 0) == 0 else {
        throw BenchmarkFailure.unreachable("the broker is not running: start the suite with infra/run first")
    }
    members.append(Member(name: "broker", pid: broker))
    guard let postmaster = pidFile("\(state)/postgres/data/postmaster.pid"), kill(postmaster, 0) == 0 else {
        throw BenchmarkFailure.unreachable("PostgreSQL is not running: start the suite with infra/run first")
    }
    members.append(Member(name: "postgres", pid: postmaster))
    return members
}

/// CPU seconds per member now; PostgreSQL counts the postmaster, its live children and the
/// children it reaped.
func sample(_ members: [Member]) -> [String: Double] {
    var result: [String: Double] = [:]
    for member in members {
        if member.name == "postgres" {
            var total = cpuSeconds(member.pid, reapedChildren: true) ?? 0
            let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
            for pid in pids where parent(of: pid) == member.pid { total += cpuSeconds(pid) ?? 0 }
            result[member.name] = total
        } else {
            result[member.name] = cpuSeconds(member.pid) ?? 0
        }
    }
    return result
}

func percent(_ value: Double) -> String { "\(fixed(value, 2)) %" }

func run(_ options: Options) async throws {
    let members = try findSuite()
    say("idle-benchmark: \(Machine.description); \(options.runs) runs of \(options.seconds) s; CPU as % of one core")
    let names = members.map(\.name) + ["total"]
    var runs: [[String: Double]] = []
    for number in 1...options.runs {
        let before = sample(members)
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(options.seconds))
        let after = sample(members)
        let wall = seconds(ContinuousClock.now - start)
        var shares: [String: Double] = [:]
        for member in members {
            shares[member.name] = max(0, (after[member.name] ?? 0) - (before[member.name] ?? 0)) / wall * 100
        }
        shares["total"] = shares.values.reduce(0, +)
        runs.append(shares)
        say("run \(number): " + names.map { "\($0) \(percent(shares[$0] ?? 0))" }.joined(separator: ", "))
    }
    say("median of \(runs.count) (spread min–max):")
    for name in names {
        let values = runs.map { $0[name] ?? 0 }.sorted()
        let median = values[values.count / 2]
        say("   \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(percent(median))  (\(fixed(values.first!, 2))–\(fixed(values.last!, 2)))")
    }
    let total = runs.map { $0["total"] ?? 0 }.sorted()[runs.count / 2]
    say("target: the idle suite ≤ 5 % of one core — \(total <= 5 ? "met" : "not met") (\(percent(total)))")
}

exit(await runFromCommandLine(name: "idle-benchmark", cleanUp: "stopping", parse: { try Options($0) }) { options in
    try await run(options)
})
