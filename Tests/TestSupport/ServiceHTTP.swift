import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension ServiceProcess {
    /// Sends a request with the service token (unless `headers` carries its own authorisation).
    public func send(
        _ method: String, _ path: String, json: String? = nil, body: [UInt8]? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, body: String, headers: [String: String]) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        request.setValue("Bearer \(ServiceHarness.serviceToken)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = Data(body) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)".lowercased()] = "\(value)" }
        return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), fields)
    }

    /// The JSON body of a request that must answer `expect`, decoded.
    public func call<T: Decodable>(
        _ type: T.Type, _ method: String, _ path: String, json: String? = nil, expect: Int = 200
    ) async throws -> T {
        let response = try await send(method, path, json: json)
        guard response.status == expect else {
            throw UnexpectedResponse(description: "\(method) \(path): \(response.status) \(response.body)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(response.body.utf8))
    }
}

public struct UnexpectedResponse: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Reads a server-sent-events stream over a plain socket (FoundationNetworking cannot stream a
/// response body on Linux). A thread of its own does the blocking reads; `waitFor` polls what
/// arrived so far.
public final class EventStreamReader: Sendable {
    private let descriptor: Int32
    private let received = Mutex("")

    /// Opens `GET path` on 127.0.0.1:`port` with the service token.
    public init(port: Int, path: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ServiceHarness.serviceToken)\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        descriptor = fd
        // A plain thread: `recv` blocks, which must never happen on the cooperative pool.
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                let chunk = String(decoding: buffer[0..<count], as: UTF8.self)
                self.received.withLock { $0 += chunk }
            }
        }
        thread.start()
    }

    /// Everything received so far.
    public var text: String { received.withLock { $0 } }

    /// Waits until the stream has carried `marker`; returns everything received.
    public func waitFor(_ marker: String, timeout: Duration) async throws -> String {
        try await eventually("\(marker) on the event stream", timeout: timeout, every: .milliseconds(50)) {
            let text = self.text
            return text.contains(marker) ? nil : String(text.suffix(300))
        }
        return text
    }

    /// Ends the connection; the reading thread then ends too and lets go of the reader.
    public func close() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    deinit { Glibc.close(descriptor) }
}
