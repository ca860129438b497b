import Hummingbird
import Tabular

/// A CSV file refused as a whole: every problem, by line (problem+json `lines`). Nothing was written.
public struct ImportRejected: Error, ProblemConvertible {
    public var problems: [ImportProblem]

    public init(problems: [ImportProblem]) { self.problems = problems }

    public var problem: ProblemDetails {
        ProblemDetails(
            title: "The file was not imported", status: 422,
            detail: "\(problems.count) problem(s); nothing was imported: fix them and send the whole file again",
            lines: problems.map { LineProblem(line: $0.line, column: $0.column, message: $0.message) })
    }
}

/// The body of a `text/csv` upload (up to `maxBytes`); 415 for any other content type.
public func csvBody(_ request: Request, maxBytes: Int) async throws -> [UInt8] {
    let type = request.headers[.contentType]?.lowercased() ?? ""
    guard type.hasPrefix("text/csv") else {
        throw HTTPError(.unsupportedMediaType, message: "send the file as text/csv (UTF-8), not \(type.isEmpty ? "no content type" : type)")
    }
    return Array(try await request.body.collect(upTo: maxBytes).readableBytesView)
}
