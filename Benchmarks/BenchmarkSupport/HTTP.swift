import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

// MARK: HTTP

/// An answer to `sendRequest`: the status, the headers and the whole body.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    /// The body as UTF-8 text.
    public var text: String { String(buffer: body) }
}

/// One HTTP request of a benchmark to a service it started, its answer read in full.
///
/// Headers go out in this order: `Authorization: <authorization>` (when given, e.g. `Bearer <token>`),
/// `headers`, then `Content-Type: <contentType>` when there is a body. `timeout` bounds the whole
/// exchange; a body longer than `limit` bytes fails.
public func sendRequest(
    _ http: HTTPClient, _ method: HTTPMethod, _ url: String, authorization: String? = nil, headers: [(String, String)] = [],
    body: ByteBuffer? = nil, contentType: String = "application/json", timeout: TimeAmount = .seconds(60), limit: Int = 1 << 24
) async throws -> HTTPReply {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let authorization { request.headers.add(name: "Authorization", value: authorization) }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(body)
    }
    let response = try await http.execute(request, timeout: timeout)
    let bytes = try await response.body.collect(upTo: limit)
    return HTTPReply(status: Int(response.status.code), headers: response.headers, body: bytes)
}

extension ServiceRun {
    /// Polls `GET /health/ready` (no authentication needed; 2 s per try) until it answers 200; fails
    /// when the process exits or after a minute (`waitReady(within:_:)`).
    public func waitReady(_ http: HTTPClient) async throws {
        try await waitReady { (try? await http.execute(HTTPClientRequest(url: base + "/health/ready"), timeout: .seconds(2)))?.status == .ok }
    }
}
