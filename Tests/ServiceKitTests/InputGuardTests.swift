import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import TestSupport

@testable import ServiceKit

/// What the suite refuses before a handler or SQL sees it, and how errors that still get through
/// are answered.
@Suite("HTTP platform: bad input is a clear 4xx")
struct InputGuardTests {
    struct Item: Codable { var name: String; var lines: [Line] }
    struct Line: Codable { var sku: String }

    /// The platform's middleware stack (metrics, common headers, problem+json, token, guard) over a
    /// few routes; `stored` counts what reached a handler.
    func router(stored: Counter) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: CommonHeadersMiddleware())
        router.add(middleware: ProblemMiddleware())
        let api = router.group("v1")
            .add(middleware: ServiceTokenMiddleware(token: "s3cret", exempt: ["/v1/hook/"]))
            .add(middleware: InputGuardMiddleware(exempt: ["/v1/hook/"]))
        api.post("items") { request, context -> String in
            let item = try await request.decode(as: Item.self, context: context)
            stored.add()
            return item.name
        }
        api.get("search") { request, _ -> String in
            stored.add()
            return String(request.uri.queryParameters["q"] ?? "")
        }
        api.post("hook/in") { request, _ -> String in
            let body = try await request.body.collect(upTo: 1 << 20)
            stored.add()
            return "\(body.readableBytes)"
        }
        api.get("too-much") { request, _ -> String in
            _ = try await request.body.collect(upTo: 4)
            return "never"
        }
        return router
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, bearer: String = "Bearer s3cret")
        async throws -> (status: Int, problem: ProblemDetails?, headers: HTTPFields)
    {
        var headers: HTTPFields = [.authorization: bearer]
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            let problem = response.headers[.contentType] == "application/problem+json" ? try? response.body.decode(ProblemDetails.self) : nil
            return (Int(response.status.code), problem, response.headers)
        }
    }

    @Test("a NUL in a JSON body is 422 naming the field (nested, in an array), and nothing reaches the handler")
    func nulInBody() async throws {
        let stored = Counter()
        try await Application(router: router(stored: stored)).test(.router) { client in
            let nested = try await send(client, .post, "/v1/items", json: #"{"name":"ok","lines":[{"sku":"A"},{"sku":"B\u0000"}]}"#)
            #expect(nested.status == 422)
            #expect(nested.problem?.errors == ["lines[1].sku": "contains a NUL character, which cannot be stored"], "\(String(describing: nested.problem))")
            let top = try await send(client, .post, "/v1/items", json: #"{"name":"a\u0000b","lines":[]}"#)
            #expect(top.status == 422 && top.problem?.errors?["name"] != nil, "\(String(describing: top.problem))")
            #expect(stored.count == 0)
            // The six characters \u0000 written as text (an escaped backslash) are not a NUL.
            let literal = try await send(client, .post, "/v1/items", json: #"{"name":"\\u0000","lines":[]}"#)
            #expect(literal.status == 200)
            #expect(stored.count == 1)
        }
    }

    @Test("a NUL or an oversize value in a query parameter is 422 naming it; a connector's path is passed as it is")
    func query() async throws {
        let stored = Counter()
        try await Application(router: router(stored: stored)).test(.router) { client in
            let nul = try await send(client, .get, "/v1/search?q=a%00b")
            #expect(nul.status == 422 && nul.problem?.errors?["q"] == "contains a NUL character, which cannot be stored")
            let long = try await send(client, .get, "/v1/search?q=" + String(repeating: "x", count: 9000))
            #expect(long.status == 422 && long.problem?.errors?["q"] == "is longer than 8192 bytes", "\(String(describing: long.problem))")
            #expect(stored.count == 0)
            let hook = try await send(client, .post, "/v1/hook/in", json: #"{"text":"a\u0000b"}"#, bearer: "")
            #expect(hook.status == 200, "connector paths keep what was sent")
            #expect(stored.count == 1)
        }
    }

    @Test("a body over the limit is 413 problem+json, whether announced by Content-Length or found while reading")
    func oversize() async throws {
        let stored = Counter()
        try await Application(router: router(stored: stored)).test(.router) { client in
            let big = #"{"name":""# + String(repeating: "x", count: 3 << 20) + #"","lines":[]}"#
            let announced = try await send(client, .post, "/v1/items", json: big)
            #expect(announced.status == 413 && announced.problem?.status == 413)
            let read = try await client.execute(
                uri: "/v1/too-much", method: .get, headers: [.authorization: "Bearer s3cret"], body: ByteBuffer(string: "0123456789")
            ) { Int($0.status.code) }
            #expect(read == 413, "a handler's own limit (NIOTooManyBytesError) is 413, not 500")
            #expect(stored.count == 0)
        }
    }

    @Test("every response says nosniff; the bearer scheme is case-insensitive")
    func headersAndScheme() async throws {
        let stored = Counter()
        try await Application(router: router(stored: stored)).test(.router) { client in
            for scheme in ["Bearer", "bearer", "BEARER", "Bearer  "] {
                let answer = try await send(client, .get, "/v1/search?q=x", bearer: "\(scheme) s3cret")
                #expect(answer.status == 200, "scheme \(scheme)")
                #expect(answer.headers[.xContentTypeOptions] == "nosniff")
            }
            let wrong = try await send(client, .get, "/v1/search?q=x", bearer: "Basic s3cret")
            #expect(wrong.status == 401 && wrong.headers[.xContentTypeOptions] == "nosniff")
        }
        #expect(bearerToken("Bearer") == nil && bearerToken("Bearerx abc") == nil && bearerToken("bearer abc") == "abc")
    }

    @Test("numbers beyond a numeric(18, s) column are 422 naming the field")
    func decimalLimits() throws {
        try DecimalLimit.check(Decimal(string: "999999999999999.999")!, "quantity", below: DecimalLimit.quantity)
        let error = #expect(throws: (any Error).self) { try DecimalLimit.check(Decimal(string: "1e16")!, "quantity", below: DecimalLimit.quantity) }
        let problem = try #require((error as? ProblemConvertible)?.problem)
        #expect(problem.status == 422 && problem.errors?["quantity"] != nil)
        #expect(throws: (any Error).self) { try DecimalLimit.check(Decimal(string: "-1e15")!, "quantity", below: DecimalLimit.quantity) }
    }

    @Test("PostgreSQL's data exceptions (NUL in text, numeric overflow) are 422, never 500")
    func dataExceptions() async throws {
        let nulText = "a\u{0}b"
        let queries: [(sql: PostgresQuery, detail: String)] = [
            ("SELECT \(nulText)::text", "a text contains a character that cannot be stored (such as NUL)"),  // as a bound value arrives
            ("SELECT 1e16::numeric(18, 3)", "a number is out of range"),
        ]
        for (sql, detail) in queries {
            var caught: (any Error)?
            do {
                try await TemporaryDatabase.admin { client in _ = try await client.query(sql, logger: .init(label: "test")).collect() }
            } catch {
                caught = error
            }
            let error = try #require(caught, "\(sql) must fail")
            let router = Router(context: BasicRequestContext.self)
            router.add(middleware: ProblemMiddleware())
            router.get("fail") { _, _ -> String in throw error }
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/fail", method: .get) { response in
                    #expect(response.status.code == 422, "\(sql.sql)")
                    #expect((try? response.body.decode(ProblemDetails.self))?.detail == detail)
                }
            }
        }
    }
}
