import Foundation
import Hummingbird
import Logging
import Messaging
import PostgresNIO

/// One dependency the service cannot work without.
public struct ReadinessCheck: Sendable {
    public var name: String
    public var probe: @Sendable () async throws -> Void

    public init(name: String, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.probe = probe
    }

    /// The database answers a query.
    public static func database(_ client: PostgresClient, logger: Logger) -> ReadinessCheck {
        ReadinessCheck(name: "database") { try await client.query("SELECT 1", logger: logger) }
    }

    /// A broker answers a metadata request.
    public static func broker(_ producer: KafkaProducer) -> ReadinessCheck {
        ReadinessCheck(name: "broker") { _ = try await producer.metadata(timeout: .milliseconds(1500)) }
    }
}

/// Runs every check concurrently with a deadline; the names of those that failed, with why.
public func failingChecks(_ checks: [ReadinessCheck], timeout: Duration) async -> [String: String] {
    await withTaskGroup(of: (String, String?).self) { group in
        for check in checks {
            group.addTask {
                do {
                    try await withDeadline(timeout) { try await check.probe() }
                    return (check.name, nil)
                } catch is DeadlineExceeded {
                    return (check.name, "down: no answer within \(timeout)")
                } catch {
                    return (check.name, "down: \(describeFailure(error))")
                }
            }
        }
        var failing: [String: String] = [:]
        for await (name, reason) in group { if let reason { failing[name] = reason } }
        return failing
    }
}

private func describeFailure(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
        // PSQLError's description hides details on purpose; the code is enough to say what is down.
        return "database error \(psql.code)"
    }
    return "\(error)"
}

extension RouterMethods {
    /// `GET /health/live` and `GET /health/ready`, needing no authentication.
    public func addHealthRoutes(checks: [ReadinessCheck], timeout: Duration = .seconds(2)) {
        get("/health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"live"}"#)))
        }
        get("/health/ready") { _, _ in
            let failing = await failingChecks(checks, timeout: timeout)
            guard failing.isEmpty else {
                return ProblemDetails(
                    title: "Service Unavailable", status: 503,
                    detail: "not ready: " + failing.keys.sorted().map { "\($0) \(failing[$0]!)" }.joined(separator: "; "),
                    errors: failing
                ).response()
            }
            let body = #"{"status":"ready","checks":{"# + checks.map { "\"\($0.name)\":\"up\"" }.joined(separator: ",") + "}}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
