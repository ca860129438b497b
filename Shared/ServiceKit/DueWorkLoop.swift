import Logging
import ServiceLifecycle

/// Something a service does periodically in batches, such as firing deadlines that have passed.
public protocol DueWork: Sendable {
    /// What the work is, for logs ("lead deadlines").
    var name: String { get }
    /// Does up to `limit` items in one transaction; returns how many it did.
    func fireDue(limit: Int) async throws -> Int
}

/// Runs a `DueWork` every `interval` until graceful shutdown: full batches are followed at once by
/// the next one; a failure is logged and retried at the next tick.
public struct DueWorkLoop<Work: DueWork>: Service {
    public let work: Work
    public let interval: Duration
    public let logger: Logger
    public let batch: Int

    public init(_ work: Work, every interval: Duration, batch: Int = 100, logger: Logger) {
        self.work = work
        self.interval = interval
        self.batch = batch
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    while try await work.fireDue(limit: batch) == batch {}
                } catch {
                    logger.warning("could not check \(work.name); will retry", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
