import Hummingbird
import Tabular

/// A CSV file refused as a whole: every problem, by line (problem+json `lines`). Nothing was written.
public struct ImportRejected: Error, ProblemConvertible {
    public var problems: [ImportProblem]

    public init(problems: [ImportProblem]) { self.problems = problems }

    /// At most this many problems are listed (the count says how many there are in all).
    public static let listed = 200

    /// The problems, each column name and message at most 200 characters: what the file holds is
    /// never echoed back at its own size (a 5 MB header cell is not a 5 MB answer).
    public var problem: ProblemDetails {
        func short(_ text: String) -> String { text.count > 200 ? String(text.prefix(200)) + "…" : text }
        let more = problems.count > Self.listed ? " (the first \(Self.listed) are listed)" : ""
        return ProblemDetails(
            title: "The file was not imported", status: 422,
            detail: "\(problems.count) problem(s)\(more); nothing was imported: fix them and send the whole file again",
            lines: problems.prefix(Self.listed).map { LineProblem(line: $0.line, column: $0.column.map(short), message: short($0.message)) })
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
