import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PostgresNIO

/// RFC 9457 problem details, the body of every error response.
public struct ProblemDetails: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var instance: String?
    /// Per-field or per-check explanations (validation errors, readiness checks).
    public var errors: [String: String]?
    /// Problems found in an uploaded file, each by its line (imports).
    public var lines: [LineProblem]?

    public init(type: String = "about:blank", title: String, status: Int, detail: String? = nil,
                instance: String? = nil, errors: [String: String]? = nil, lines: [LineProblem]? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.errors = errors
        self.lines = lines
    }

    /// The response carrying this problem as `application/problem+json`.
    public func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data(#"{"title":"error"}"#.utf8)
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// What is wrong on one line of an uploaded file (1-based; the header is line 1).
public struct LineProblem: Codable, Sendable, Equatable {
    public var line: Int
    public var column: String?
    public var message: String

    public init(line: Int, column: String?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

/// An error that knows its problem details; each service's error enum conforms.
public protocol ProblemConvertible: Error {
    var problem: ProblemDetails { get }
}

/// Turns every error into problem+json in one place. Domain errors keep their status even when
/// thrown inside a database transaction; anything unexpected is logged and answered 500 without
/// echoing internals.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.problem(for: error, request: request, logger: context.logger).response()
        }
    }

    static func problem(for error: any Error, request: Request, logger: Logger) -> ProblemDetails {
        var error = error
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
            error = inner
        }
        if let convertible = error as? ProblemConvertible {
            var problem = convertible.problem
            problem.instance = problem.instance ?? request.uri.path
            return problem
        }
        if let http = error as? HTTPError {
            return ProblemDetails(
                title: http.status.reasonPhrase, status: http.status.code,
                detail: http.body ?? Self.defaultDetail(for: http.status, request: request), instance: request.uri.path)
        }
        if error is NIOTooManyBytesError {
            // A body read with a limit (`collect(upTo:)`, the JSON decoder's `maxUploadSize`) went past it.
            return ProblemDetails(
                title: "Content Too Large", status: 413, detail: Self.defaultDetail(for: .contentTooLarge, request: request),
                instance: request.uri.path)
        }
        if error is DecodingError {
            return ProblemDetails(
                title: "Bad Request", status: 400, detail: "the request body is not valid: \(Self.describe(error))",
                instance: request.uri.path)
        }
        if let database = error as? PSQLError, let constraint = database.serverInfo?[.constraintName] {
            // A request naming something that does not exist, or repeating a unique value, broke a
            // constraint: the client's mistake. Only the constraint's name is told, never the server's text.
            switch database.serverInfo?[.sqlState] {
            case "23503":
                return ProblemDetails(
                    title: "Unprocessable", status: 422, detail: "the request refers to something that does not exist (\(constraint))",
                    instance: request.uri.path)
            case "23505":
                return ProblemDetails(
                    title: "Conflict", status: 409, detail: "a record with the same unique value exists (\(constraint))",
                    instance: request.uri.path)
            case "23514":
                return ProblemDetails(
                    title: "Unprocessable", status: 422, detail: "a value is not allowed (\(constraint))", instance: request.uri.path)
            default: break
            }
        }
        if let database = error as? PSQLError, let state = database.serverInfo?[.sqlState], state.hasPrefix("22") {
            // Class 22, data exception: a value PostgreSQL cannot take (a number beyond its column, a
            // NUL in text). Requests are checked before they reach SQL; this is the net under that.
            logger.warning("a request value reached PostgreSQL and was refused", metadata: ["sqlstate": "\(state)"])
            return ProblemDetails(
                title: "Unprocessable", status: 422, detail: Self.dataExceptionDetail(state), instance: request.uri.path)
        }
        logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return ProblemDetails(
            title: "Internal Server Error", status: 500, detail: "the request could not be completed; it was logged",
            instance: request.uri.path)
    }

    static func dataExceptionDetail(_ state: String) -> String {
        switch state {
        case "22003": "a number is out of range"
        case "22001": "a text is longer than allowed"
        case "22021", "22P05": "a text contains a character that cannot be stored (such as NUL)"
        case "22007", "22008": "a date or time is out of range or not valid"
        default: "a value is not valid (SQLSTATE \(state))"
        }
    }

    static func defaultDetail(for status: HTTPResponse.Status, request: Request) -> String? {
        switch status {
        case .notFound: "no resource at \(request.method) \(request.uri.path)"
        case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
        case .contentTooLarge: "the request body is larger than this endpoint accepts"
        default: nil
        }
    }

    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "body" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(decoding)"
        }
    }
}
