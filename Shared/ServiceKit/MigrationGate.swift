import ServiceLifecycle
import Synchronization

/// Opens once the service's migrations are applied. Background services that read or write the
/// service's tables (outbox relay, inbox consumers, schedulers) wait at it, so a fresh database
/// does not fill the log with "relation does not exist" while the schema is being created.
public final class MigrationGate: Sendable {
    private enum State {
        case closed([UInt64: CheckedContinuation<Void, Never>])
        case open
    }

    private let state = Mutex(State.closed([:]))
    private let nextID = Atomic<UInt64>(0)

    public init() {}

    /// Lets every waiter (present and future) through.
    public func open() {
        let waiting: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard case .closed(let waiting) = state else { return [] }
            state = .open
            return Array(waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns when the gate is open, or at once when the task is cancelled.
    public func wait() async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { state in
                    switch state {
                    case .open: return true
                    case .closed(var waiting):
                        if Task.isCancelled { return true }
                        waiting[id] = continuation
                        state = .closed(waiting)
                        return false
                    }
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, Never>? = state.withLock { state in
                guard case .closed(var waiting) = state, let continuation = waiting.removeValue(forKey: id) else { return nil }
                state = .closed(waiting)
                return continuation
            }
            continuation?.resume()
        }
    }
}

/// Runs `service` once `gate` has opened (or not at all when shutdown comes first).
struct AfterMigrations: Service {
    let service: any Service
    let gate: MigrationGate

    func run() async throws {
        let opened = await cancelWhenGracefulShutdown {
            await gate.wait()
            return !Task.isCancelled
        }
        guard opened else { return }
        try await service.run()
    }
}
