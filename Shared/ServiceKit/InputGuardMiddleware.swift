import Foundation
import Hummingbird
import NIOCore

/// Refuses, before any handler or SQL sees them, inputs PostgreSQL's text cannot hold and query
/// values no screen would send:
///
/// - a query parameter containing NUL, or longer than `maxQueryValueBytes`: 422 naming it;
/// - a JSON body larger than the context's `maxUploadSize`: 413 (announced by `Content-Length` or
///   found while reading);
/// - a JSON body with NUL in it (a raw byte or the `\u0000` escape): 422 naming the field
///   (`lines[2].name`).
///
/// Paths under `exempt` (connector webhooks) are passed as they are: what an outside sender writes
/// there is kept, cleaned by the connector itself, never refused.
public struct InputGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let exempt: [String]
    let maxQueryValueBytes: Int

    public init(exempt: [String] = [], maxQueryValueBytes: Int = 8 * 1024) {
        self.exempt = exempt
        self.maxQueryValueBytes = maxQueryValueBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if exempt.contains(where: { request.uri.path.hasPrefix($0) }) { return try await next(request, context) }
        var fields: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let label = Self.shortened(String(name))
            if name.utf8.contains(0) || value.utf8.contains(0) {
                fields[label] = "contains a NUL character, which cannot be stored"
            } else if value.utf8.count > maxQueryValueBytes {
                fields[label] = "is longer than \(maxQueryValueBytes) bytes"
            }
        }
        if !fields.isEmpty { throw InputRefused(detail: "a query parameter cannot be used", errors: fields) }

        guard Self.isJSON(request.headers[.contentType]) else { return try await next(request, context) }
        let limit = context.maxUploadSize
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw TooLarge(limit: limit)
        }
        let buffer = try await request.body.collect(upTo: limit)
        let bytes = buffer.readableBytesView
        if let path = Self.nulField(in: bytes) {
            throw InputRefused(
                detail: "the request body has a NUL character, which cannot be stored",
                errors: [path: "contains a NUL character, which cannot be stored"])
        }
        var request = request
        request.body = .init(buffer: buffer)
        return try await next(request, context)
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces) else { return false }
        return type == "application/json" || type.hasSuffix("+json")
    }

    /// Where in a JSON body a NUL is (`body` when the body itself is not JSON), or nil when there is none.
    static func nulField(in bytes: ByteBufferView) -> String? {
        guard bytes.contains(0) || containsNULEscape(bytes) else { return nil }
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return "body" }
        return path(toNULIn: value, at: "") ?? "body"
    }

    /// Whether the bytes hold `\u0000`, the JSON escape of NUL (digits have no case). An
    /// escaped backslash before it (`\\u0000`, the six characters themselves) does not count.
    static func containsNULEscape(_ bytes: ByteBufferView) -> Bool {
        let pattern: [UInt8] = Array("u0000".utf8)
        var backslashes = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                backslashes += 1
            } else {
                if backslashes % 2 == 1, byte == UInt8(ascii: "u"),
                    bytes.distance(from: index, to: bytes.endIndex) >= pattern.count,
                    bytes[bytes.index(index, offsetBy: 1)..<bytes.index(index, offsetBy: pattern.count)].elementsEqual(pattern.dropFirst())
                {
                    return true
                }
                backslashes = 0
            }
            index = bytes.index(after: index)
        }
        return false
    }

    static func path(toNULIn value: Any, at path: String) -> String? {
        switch value {
        case let text as String:
            return text.unicodeScalars.contains("\u{0}") ? (path.isEmpty ? "body" : path) : nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                let here = path.isEmpty ? shortened(key) : path + "." + shortened(key)
                if key.unicodeScalars.contains("\u{0}") { return here }
                if let found = Self.path(toNULIn: object[key]!, at: here) { return found }
            }
            return nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = Self.path(toNULIn: element, at: path + "[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// A name as it can be echoed back: without NUL and at most 64 characters.
    static func shortened(_ name: String) -> String {
        let clean = name.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
        return clean.count > 64 ? String(clean.prefix(64)) + "…" : clean
    }

    struct InputRefused: ProblemConvertible {
        var detail: String
        var errors: [String: String]
        var problem: ProblemDetails { ProblemDetails(title: "Unprocessable", status: 422, detail: detail, errors: errors) }
    }

    struct TooLarge: ProblemConvertible {
        var limit: Int
        var problem: ProblemDetails {
            ProblemDetails(title: "Content Too Large", status: 413, detail: "the request body is larger than this endpoint accepts (\(limit) bytes)")
        }
    }
}

/// Headers every response carries: `X-Content-Type-Options: nosniff`, so that a browser never
/// runs a download (an attachment a customer sent, an export) as something other than the type
/// it was served with.
public struct CommonHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}

/// Range checks for decimal inputs before they reach a `numeric(18, s)` column: a value PostgreSQL
/// would refuse (`numeric field overflow`) is a 422 naming the field instead.
public enum DecimalLimit {
    /// Quantities (`numeric(18, 3)`): fewer than 15 digits before the point.
    public static let quantity = Decimal(string: "1000000000000000")!
    /// Amounts of money (`numeric(18, 2)`): fewer than 16 digits before the point.
    public static let money = Decimal(string: "10000000000000000")!

    /// Throws 422 naming `field` unless `-limit < value < limit` (and the value is a number).
    public static func check(_ value: Decimal, _ field: String, below limit: Decimal) throws {
        guard !value.isNaN, value < limit, value > -limit else {
            throw OutOfRange(field: field, limit: limit)
        }
    }

    struct OutOfRange: ProblemConvertible {
        var field: String
        var limit: Decimal
        var problem: ProblemDetails {
            ProblemDetails(
                title: "Unprocessable", status: 422, detail: "\(field) is out of range",
                errors: [field: "must be greater than -\(limit) and less than \(limit)"])
        }
    }
}
