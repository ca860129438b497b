import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit

let logger = Logger(label: "journey-benchmark")
/// The four services, in the order the journey reaches them.
let serviceNames = ["ingest", "leads", "deals", "inventory"]
/// `DMS_SERVICE_TOKEN` of the four services: every internal call carries it as a bearer token.
let token = "bench-token"
/// The connectors' secrets (ingest); the web form signs its body with `DMS_INGEST_SECRET_FORMS`.
let secrets = [
    "DMS_INGEST_SECRET_PBX": "bench-pbx", "DMS_INGEST_SECRET_MAIL": "bench-mail", "DMS_INGEST_SECRET_FORMS": "bench-forms",
    "DMS_INGEST_CHAT_TOKEN": "bench-chat-token-0123456789",
]

/// Where a service started by the benchmark writes its output: `$TMPDIR/journey-benchmark-<service>.log`.
func serviceLog(_ name: String) -> URL {
    ServiceRun.logFile(benchmark: "journey-benchmark", service: name)
}

// MARK: HTTP

/// An answer: status, body and the `ETag` (the version a deal command expects in `If-Match`).
struct Reply: Sendable {
    var status: Int
    var body: String
    var etag: String?
}

/// One HTTP call with a JSON body (or none). Internal calls carry the bearer token; a connector's
/// call (`authorized: false`) carries its own headers instead.
func call(
    _ http: HTTPClient, _ method: HTTPMethod, _ url: String, json body: String? = nil, headers: [(String, String)] = [],
    authorized: Bool = true
) async throws -> Reply {
    let reply = try await sendRequest(
        http, method, url, authorization: authorized ? "Bearer \(token)" : nil, headers: headers, body: body.map { ByteBuffer(string: $0) })
    return Reply(status: reply.status, body: reply.text, etag: reply.headers.first(name: "ETag"))
}

extension Reply {
    /// The reply itself when its status is `status`; otherwise a failure naming the call.
    @discardableResult
    func expect(_ status: Int, _ what: String) throws -> Reply {
        guard self.status == status else { throw BenchmarkFailure.failed("\(what): \(self.status) \(body.prefix(400))") }
        return self
    }

    /// The `ETag`, for the next command's `If-Match`.
    func version(_ what: String) throws -> String {
        guard let etag else { throw BenchmarkFailure.failed("\(what): no ETag in the answer") }
        return etag
    }
}

/// The `id` of a created resource (`{"id": …, …}`).
func createdID(_ body: String) throws -> UUID {
    struct Created: Decodable { var id: UUID }
    return try JSONDecoder().decode(Created.self, from: Data(body.utf8)).id
}
