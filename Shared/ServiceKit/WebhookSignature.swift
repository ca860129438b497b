import Crypto
import Foundation
import Hummingbird

/// Connector webhooks are signed: `DMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
/// "<t>.<raw body>")>`. The timestamp bounds replays to a window; several `v1` values may be sent
/// while a secret is rotated.
public enum WebhookSignature {
    /// The header carrying the signature.
    public static let headerName = "DMS-Signature"
    /// How far the signed time may be from now, either way.
    public static let tolerance: TimeInterval = 300

    /// Why a signature was refused (the client sees the reason, never the expected value).
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case missing
        case malformed
        case stale(seconds: Int)
        case mismatch

        public var description: String {
            switch self {
            case .missing: "the request has no \(WebhookSignature.headerName) header"
            case .malformed: "\(WebhookSignature.headerName) must be t=<unix seconds>,v1=<hex HMAC-SHA256>"
            case .stale(let seconds): "the signature's timestamp is \(seconds) s away from now (at most \(Int(WebhookSignature.tolerance)) s allowed)"
            case .mismatch: "the signature does not match the body"
            }
        }
    }

    /// The header value for `body` signed at `time` (what a connector sends).
    public static func sign(_ body: [UInt8], secret: String, time: Date) -> String {
        let t = Int(time.timeIntervalSince1970)
        return "t=\(t),v1=\(hex(mac(body, secret: secret, timestamp: String(t))))"
    }

    /// Checks `header` against `body`; throws why not.
    public static func verify(header: String?, body: [UInt8], secret: String, now: Date) throws(Failure) {
        guard let header, !header.isEmpty else { throw .missing }
        var timestamp: String?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformed }
            switch pair[0] {
            case "t": timestamp = String(pair[1])
            case "v1":
                guard let bytes = unhex(pair[1]) else { throw .malformed }
                signatures.append(bytes)
            default: continue  // future schemes are ignored
            }
        }
        guard let timestamp, let seconds = Int(timestamp), !signatures.isEmpty else { throw .malformed }
        let skew = Int(now.timeIntervalSince1970) - seconds
        guard abs(skew) <= Int(tolerance) else { throw .stale(seconds: skew) }
        let expected = mac(body, secret: secret, timestamp: timestamp)
        // Every candidate is compared, so the time taken does not reveal which one matched.
        var matched = false
        for signature in signatures where constantTimeEquals(signature, expected) { matched = true }
        guard matched else { throw .mismatch }
    }

    static func mac(_ body: [UInt8], secret: String, timestamp: String) -> [UInt8] {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message += body
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}

/// Admits a request only with a valid `DMS-Signature` over its raw body (read up to
/// `maxBodyBytes`, 413 beyond); the handler gets the same bytes. A refused request is 401
/// problem+json and reaches nothing behind this middleware.
public struct SignedWebhookMiddleware<Context: RequestContext>: RouterMiddleware {
    let secret: String
    let maxBodyBytes: Int
    let clock: @Sendable () -> Date

    public init(secret: String, maxBodyBytes: Int, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.secret = secret
        self.maxBodyBytes = maxBodyBytes
        self.clock = clock
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBodyBytes)
        let header = request.headers.first { $0.name.canonicalName == "dms-signature" }?.value
        do throws(WebhookSignature.Failure) {
            try WebhookSignature.verify(header: header, body: Array(buffer.readableBytesView), secret: secret, now: clock())
        } catch {
            throw Refused(detail: error.description)
        }
        return try await next(request, context)
    }

    struct Refused: ProblemConvertible {
        var detail: String
        var problem: ProblemDetails { ProblemDetails(title: "Unauthorized", status: 401, detail: detail) }
    }
}
