import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import NIOCore
import NIOHTTP1

// HTTP to dealer-info as head office (the service token) and as a dealer (its own API key), and a
// small pool that keeps a fixed number of requests in flight.

/// Who a request comes from.
enum Caller: Sendable {
    /// Head office's routes: `Authorization: Bearer <the service token>`.
    case headOffice
    /// A dealer's routes under `/v1/dealer/`: `Authorization: Bearer <the dealer's API key>`.
    case dealer(key: String)

    var authorization: String {
        switch self {
        case .headOffice: "Bearer \(token)"
        case .dealer(let key): "Bearer \(key)"
        }
    }
}

/// An answer: status and body.
struct Reply: Sendable {
    var status: Int
    var body: ByteBuffer

    var text: String { String(buffer: body) }
    /// The size of the body in bytes (as sent: the service does not compress).
    var size: Int { body.readableBytes }

    /// Fails (naming `what` and the answer) unless the status is `status`.
    @discardableResult
    func expect(_ status: Int, _ what: String) throws -> Reply {
        guard self.status == status else { throw BenchmarkFailure.failed("\(what): \(self.status) \(text.prefix(600))") }
        return self
    }

    func decode<T: Decodable>(_ type: T.Type, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw BenchmarkFailure.failed("\(what): unexpected answer (\(error)): \(text.prefix(600))")
        }
    }
}

/// One call as `caller` with a JSON body (or none): 300 s at most, an answer of up to 128 MiB.
func call(
    _ http: HTTPClient, _ method: HTTPMethod, _ url: String, as caller: Caller, body: ByteBuffer? = nil
) async throws -> Reply {
    let reply = try await sendRequest(
        http, method, url, authorization: caller.authorization, body: body, timeout: .seconds(300), limit: 1 << 27)
    return Reply(status: reply.status, body: reply.body)
}

/// `value` as a JSON request body.
func json(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONEncoder().encode(value))
}

/// `body` for every element of `items`, at most `width` at a time (a new one starts as soon as one
/// ends); the results in the order of `items`. The first error cancels the rest and is thrown.
func concurrentMap<T: Sendable, R: Sendable>(
    _ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> R
) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        func start() {
            let index = next
            next += 1
            group.addTask { (index, try await body(items[index])) }
        }
        while next < min(max(1, width), items.count) { start() }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count { start() }
        }
        return results.map { $0! }
    }
}

/// Runs `body` and returns its result with its wall time in milliseconds.
func timed<R>(_ body: () async throws -> R) async rethrows -> (R, Double) {
    let started = ContinuousClock.now
    let result = try await body()
    return (result, milliseconds(since: started))
}

/// `12345` bytes → "12,345 B (12.1 KiB)".
func byteSize(_ bytes: Int) -> String {
    bytes < 1024 ? "\(grouped(bytes)) B" : "\(grouped(bytes)) B (\(fixed(Double(bytes) / 1024, 1)) KiB)"
}
