import Hummingbird
import NIOCore
import ServiceLifecycle

/// Where a server-sent-events producer sends its events.
public struct EventStreamSink: Sendable {
    fileprivate let continuation: AsyncStream<String>.Continuation

    /// Sends one event: `event: <name>`, an optional `id:`, and `data:` (one line of JSON or text).
    public func send(_ name: String, data: String, id: String? = nil) {
        continuation.yield((id.map { "id: \($0)\n" } ?? "") + "event: \(name)\ndata: \(data)\n\n")
    }
}

/// A `text/event-stream` response: `produce` sends events until it returns (or the client goes
/// away, which cancels it); a comment every `keepAlive` keeps proxies from closing a quiet
/// connection. The server waits for open responses when it shuts down, so this one ends then.
public func eventStreamResponse(
    keepAlive: Duration = .seconds(15), _ produce: @escaping @Sendable (EventStreamSink) async -> Void
) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            let (chunks, continuation) = AsyncStream.makeStream(of: String.self)
            let producer = Task {
                await produce(EventStreamSink(continuation: continuation))
                continuation.finish()
            }
            let keepAlives = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    guard !Task.isCancelled else { break }
                    continuation.yield(": keep-alive\n\n")
                }
            }
            defer {
                producer.cancel()
                keepAlives.cancel()
            }
            try await withGracefulShutdownHandler {
                for await chunk in chunks { try await writer.write(ByteBuffer(string: chunk)) }
            } onGracefulShutdown: {
                continuation.finish()
            }
            try await writer.finish(nil)
        })
}
