import Synchronization

/// The operation did not finish before its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var description: String { "did not answer in time" }
}

/// Resumes a continuation exactly once, whoever comes first.
private final class FirstResult<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// True when this call delivered the result.
    func deliver(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ slot in defer { slot = nil }; return slot }) else { return false }
        continuation.resume(with: result)
        return true
    }
}

/// Returns the operation's result, or throws `DeadlineExceeded` once `timeout` passed. The
/// operation is cancelled then but not awaited, so a call that ignores cancellation (a pool
/// waiting for a connection) cannot hold up the caller.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let first = FirstResult(continuation)
        let work = Task {
            do { _ = first.deliver(.success(try await operation())) } catch { _ = first.deliver(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if first.deliver(.failure(DeadlineExceeded())) { work.cancel() }
        }
    }
}
