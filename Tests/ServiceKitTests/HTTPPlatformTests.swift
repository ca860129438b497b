import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import TestSupport

@testable import ServiceKit

struct Refused: ProblemConvertible {
    var problem: ProblemDetails { ProblemDetails(title: "Unprocessable Content", status: 422, detail: "needs: legalEntity") }
}

@Suite("HTTP platform: problem+json, service tokens, readiness")
struct HTTPPlatformTests {
    /// A real `PostgresTransactionError` wrapping a domain error, as a failed command produces it.
    static func transactionError() async throws -> any Error {
        do {
            try await TemporaryDatabase.admin { client in
                try await client.withTransaction(logger: .init(label: "test")) { _ in throw Refused() }
            }
        } catch {
            return error
        }
        throw CocoaError(.featureUnsupported)
    }

    /// Suspends until cancelled, like a dependency that accepts a request and never replies.
    static func neverAnswers() async {
        let silence = AsyncStream<Never> { _ in }
        for await _ in silence {}
    }

    func router(checks: [ReadinessCheck] = [], transactionError: (any Error)? = nil) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.addHealthRoutes(checks: checks, timeout: .milliseconds(300))
        let api = router.group("v1").add(middleware: ServiceTokenMiddleware(token: "s3cret"))
        api.get("domain") { _, _ -> String in throw Refused() }
        api.get("in-transaction") { _, _ -> String in
            // Domain errors thrown inside a transaction must keep their status.
            throw transactionError ?? Refused()
        }
        api.get("crash") { _, _ -> String in throw CocoaError(.fileNoSuchFile) }
        api.get("ok") { _, _ in "fine" }
        return router
    }

    func problem(_ response: TestResponse) throws -> ProblemDetails {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try response.body.decode(ProblemDetails.self)
    }

    @Test("internal calls need the service token")
    func serviceToken() async throws {
        let app = Application(router: router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/ok", method: .get) { response in
                let problem = try problem(response)
                #expect(problem.status == 401)
            }
            try await client.execute(uri: "/v1/ok", method: .get, headers: [.authorization: "Bearer wrong"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/ok", method: .get, headers: [.authorization: "Bearer s3cret"]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("errors become problem+json with their status; internals are not echoed")
    func problems() async throws {
        let wrapped = try await Self.transactionError()
        #expect(wrapped is PostgresTransactionError)
        let app = Application(router: router(transactionError: wrapped))
        let auth: HTTPFields = [.authorization: "Bearer s3cret"]
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/domain", method: .get, headers: auth) { response in
                let problem = try problem(response)
                #expect(problem.status == 422)
                #expect(problem.detail == "needs: legalEntity")
                #expect(problem.instance == "/v1/domain")
            }
            try await client.execute(uri: "/v1/in-transaction", method: .get, headers: auth) { response in
                let problem = try problem(response)
                #expect(problem.status == 422)
            }
            try await client.execute(uri: "/v1/crash", method: .get, headers: auth) { response in
                let problem = try problem(response)
                #expect(problem.status == 500)
                #expect(problem.detail?.contains("fileNoSuchFile") == false)
            }
        }
    }

    @Test("readiness is 503 naming each failing dependency, 200 when all answer")
    func readiness() async throws {
        let failing = router(checks: [
            ReadinessCheck(name: "database") { throw CocoaError(.fileNoSuchFile) },
            // A broker that never answers: the stream never yields and ends only when the
            // readiness deadline cancels the probe.
            ReadinessCheck(name: "broker") { await Self.neverAnswers() },
            ReadinessCheck(name: "cache") {},
        ])
        try await Application(router: failing).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                let problem = try problem(response)
                #expect(problem.status == 503)
                #expect(Set(problem.errors?.keys ?? [:].keys) == ["database", "broker"])
                #expect(problem.detail?.contains("broker down: no answer") == true)
            }
        }
        try await Application(router: router(checks: [ReadinessCheck(name: "database") {}])).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
        }
    }
}
