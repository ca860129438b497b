import Synchronization

/// Wakes one waiter: `ring` from anywhere, `wait` for a ring or a timeout. A ring with nobody
/// waiting is remembered, so a wake-up is never lost between two waits.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var nextID: UInt64 = 1
        /// The newest wait that ended (timer or cancellation) before it was registered.
        var endedEarly: UInt64 = 0
    }
    private let state = Mutex(State())

    /// A doorbell nobody has rung yet.
    public init() {}

    public func ring() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }?.resume()
    }

    /// Returns at a ring, after `timeout`, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.wake(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if state.rung || Task.isCancelled || state.endedEarly == id {
                        state.rung = false
                        return true
                    }
                    state.waiter = (id, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: UInt64) {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                if state.waiter == nil { state.endedEarly = max(state.endedEarly, id) }
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }?.resume()
    }
}
