import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Open notification streams per recipient (a manager's screen), fed by `NotificationListener`.
actor NotificationHub {
    private var streams: [UUID: [UUID: AsyncStream<Notifications.Notification>.Continuation]] = [:]

    /// A stream of the recipient's new notifications until the caller stops reading.
    func subscribe(_ recipient: UUID) -> AsyncStream<Notifications.Notification> {
        let (stream, continuation) = AsyncStream.makeStream(of: Notifications.Notification.self, bufferingPolicy: .bufferingNewest(100))
        let token = UUID()
        streams[recipient, default: [:]][token] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(recipient, token) }
        }
        return stream
    }

    func deliver(_ notification: Notifications.Notification) {
        for continuation in streams[notification.recipientId]?.values ?? [:].values { continuation.yield(notification) }
    }

    func subscribers(of recipient: UUID) -> Int { streams[recipient]?.count ?? 0 }

    private func remove(_ recipient: UUID, _ token: UUID) {
        streams[recipient]?[token] = nil
        if streams[recipient]?.isEmpty == true { streams[recipient] = nil }
    }

    /// Ends every stream (shutdown).
    func finishAll() {
        for continuation in streams.values.flatMap(\.values) { continuation.finish() }
        streams = [:]
    }
}

/// Listens on `dms_notifications` (signalled by whichever replica stored the notification, on
/// commit) and hands each new notification to this replica's open streams.
struct NotificationListener: Service {
    let client: PostgresClient
    let hub: NotificationHub
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Notifications.channel) { notifications in
                            for try await notification in notifications {
                                guard let id = UUID(uuidString: notification.payload),
                                    let stored = try await Notifications.load(id, client: client, logger: logger)
                                else { continue }
                                await hub.deliver(stored)
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("notification listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        await hub.finishAll()
    }
}
