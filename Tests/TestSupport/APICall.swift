import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

/// What a service answered: status, body text and ETag.
public struct APIReply: Sendable {
    public var status: Int
    public var body: String
    public var etag: String?

    public init(status: Int, body: String, etag: String?) {
        self.status = status
        self.body = body
        self.etag = etag
    }

    /// The body as JSON (ISO 8601 dates).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(body.utf8))
    }
}

extension TestClientProtocol {
    /// A JSON request with the service token (and any extra headers, e.g. `If-Match`).
    public func call(
        _ method: HTTPRequest.Method, _ path: String, _ json: String? = nil, headers extra: [String: String] = [:]
    ) async throws -> APIReply {
        var headers = ServiceHarness.authorized
        headers[.contentType] = "application/json"
        for (name, value) in extra { headers[.init(name)!] = value }
        return try await execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) {
            APIReply(status: Int($0.status.code), body: String(buffer: $0.body), etag: $0.headers[.eTag])
        }
    }
}
