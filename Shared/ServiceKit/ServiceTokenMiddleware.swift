import Crypto
import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <DMS_SERVICE_TOKEN>` on internal HTTP calls.
public struct ServiceTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]
    /// Path prefixes authenticated otherwise (connector webhooks, signed per request); each must
    /// be served behind `SignedWebhookMiddleware`.
    let exempt: [String]

    public init(token: String, exempt: [String] = []) {
        self.expected = Array(token.utf8)
        self.exempt = exempt
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if exempt.contains(where: { request.uri.path.hasPrefix($0) }) { return try await next(request, context) }
        guard let token = bearerToken(request.headers[.authorization]) else {
            throw Unauthorized(detail: "this endpoint needs Authorization: Bearer <service token>")
        }
        guard constantTimeEquals(Array(token.utf8), expected) else {
            throw Unauthorized(detail: "the service token is not valid")
        }
        return try await next(request, context)
    }

    struct Unauthorized: ProblemConvertible {
        var detail: String
        var problem: ProblemDetails { ProblemDetails(title: "Unauthorized", status: 401, detail: detail) }
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme's name is case-insensitive
/// (RFC 9110 §11.1: `bearer`, `BEARER` and `Bearer` are the same); any spaces after it are skipped.
public func bearerToken(_ header: String?) -> Substring? {
    guard let header else { return nil }
    let scheme = "bearer"
    guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return nil }
    let rest = header.dropFirst(scheme.count)
    guard rest.first == " " else { return nil }
    let token = rest.drop(while: { $0 == " " })
    return token.isEmpty ? nil : token
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    // Hashing both first makes the comparison length-independent as well.
    let ha = Array(SHA256.hash(data: a)), hb = Array(SHA256.hash(data: b))
    var difference: UInt8 = 0
    for index in 0..<ha.count { difference |= ha[index] ^ hb[index] }
    return difference == 0
}
