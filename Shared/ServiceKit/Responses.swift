import Foundation
import Hummingbird
import Logging
import Messaging
import NIOCore
import PostgresNIO

/// A JSON response (ISO 8601 dates, slashes unescaped), as every service answers.
public func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

/// Runs `body` in one transaction and writes the events it returns to the outbox in the same
/// transaction: the change and its events are committed together or not at all.
public func transaction<T: Sendable>(
    _ postgres: PostgresClient, _ context: some RequestContext,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> (T, [OutboxEvent])
) async throws -> T {
    try await postgres.withTransaction(logger: context.logger) { connection in
        let (value, events) = try await body(connection)
        try await Outbox.append(events, on: connection, logger: context.logger)
        return value
    }
}
