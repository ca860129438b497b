import BenchmarkSupport
import Foundation

/// A row a journey waited for did not appear in time.
struct NotSeen: Error, CustomStringConvertible {
    var description: String
}

/// Rows awaited in one service's database, looked up together: every `interval` one query for
/// every key some journey waits on (`… WHERE key = ANY($1)`), rather than a poll per journey, so
/// the watching costs the database little however many journeys are in flight.
actor Watch<Key: Hashable & Sendable, Value: Sendable> {
    typealias Lookup = @Sendable ([Key]) async throws -> [Key: Value]

    private struct Waiter {
        var id: Int
        var deadline: ContinuousClock.Instant
        var limit: Duration
        var continuation: CheckedContinuation<Value, any Error>
    }

    /// What is awaited, for messages: "the lead of the inquiry from".
    let what: String
    /// Named in a timeout: where to look for the reason.
    let hint: String
    private let interval: Duration
    private let lookup: Lookup
    private var waiters: [Key: [Waiter]] = [:]
    private var nextID = 0
    private var polling = false

    init(_ what: String, hint: String, every interval: Duration, lookup: @escaping Lookup) {
        self.what = what
        self.hint = hint
        self.interval = interval
        self.lookup = lookup
    }

    /// The row's value once it exists; `NotSeen` after `limit`, `CancellationError` when the task is cancelled.
    func value(for key: Key, within limit: Duration) async throws -> Value {
        nextID += 1
        let id = nextID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiters[key, default: []].append(Waiter(id: id, deadline: .now + limit, limit: limit, continuation: continuation))
                if !polling {
                    polling = true
                    Task { await self.poll() }
                }
            }
        } onCancel: {
            Task { await self.cancel(key, id) }
        }
    }

    private func cancel(_ key: Key, _ id: Int) {
        guard let index = waiters[key]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[key]!.remove(at: index)
        if waiters[key]!.isEmpty { waiters[key] = nil }
        waiter.continuation.resume(throwing: CancellationError())
    }

    /// Runs while anyone waits: looks every awaited key up, hands out what was found, times out
    /// the waiters whose limit has passed. Five failed look-ups in a row fail every waiter.
    private func poll() async {
        var failures = 0
        while !waiters.isEmpty {
            do {
                let found = try await lookup(Array(waiters.keys))
                failures = 0
                for (key, value) in found {
                    for waiter in waiters.removeValue(forKey: key) ?? [] { waiter.continuation.resume(returning: value) }
                }
            } catch {
                failures += 1
                if failures >= 5 {
                    let all = waiters.values.flatMap { $0 }
                    waiters = [:]
                    for waiter in all {
                        waiter.continuation.resume(throwing: BenchmarkFailure.failed("looking up \(what): \(String(reflecting: error))"))
                    }
                }
            }
            let now = ContinuousClock.now
            for (key, list) in waiters where list.contains(where: { $0.deadline <= now }) {
                let remaining = list.filter { $0.deadline > now }
                waiters[key] = remaining.isEmpty ? nil : remaining
                for waiter in list where waiter.deadline <= now {
                    waiter.continuation.resume(throwing: NotSeen(description: "\(what) \(key): not there within \(format(waiter.limit)) (\(hint))"))
                }
            }
            if waiters.isEmpty { break }
            try? await Task.sleep(for: interval)
        }
        polling = false
    }
}
