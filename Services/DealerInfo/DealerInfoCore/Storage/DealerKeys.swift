import Crypto
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceKit

/// The dealer a request comes from, proven by its API key.
struct AuthenticatedDealer: Sendable {
    var id: UUID
    var code: String
    var tier: String
}

/// Dealers' API keys: `dk_<prefix>_<secret>`, shown once when issued; only the SHA-256 of the
/// whole key is stored. Keys are rotated by issuing a new one (optionally revoking the one it
/// replaces) and revoked for good.
enum DealerKeys {
    /// A new key: 8 hex characters of prefix (to find the row) and 32 random bytes of secret.
    static func generate() -> (key: String, prefix: String) {
        var generator = SystemRandomNumberGenerator()
        let prefix = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return ("dk_\(prefix)_\(secret)", prefix)
    }

    /// The hex SHA-256 of a key, as stored.
    static func hash(_ key: String) -> String { hash(bytes: Array(key.utf8)).map { String(format: "%02x", $0) }.joined() }

    static func hash(bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Issues a key for a dealer; `replacing` revokes that key of the same dealer in the same transaction.
    static func issue(
        dealerCode: String, label: String?, replacing: UUID?, on connection: PostgresConnection, logger: Logger
    ) async throws -> IssuedKey {
        guard let dealer = try await connection.query("SELECT id FROM dealers WHERE code = \(dealerCode)", logger: logger)
            .collect().first?.decode(UUID.self)
        else { throw DealerInfoError.notFound("no dealer \(dealerCode)") }
        if let replacing {
            let revoked = try await connection.query(
                "UPDATE dealer_keys SET revoked_at = now() WHERE id = \(replacing) AND dealer_id = \(dealer) AND revoked_at IS NULL RETURNING id",
                logger: logger
            ).collect()
            guard !revoked.isEmpty else { throw DealerInfoError.notFound("no active key \(replacing) of dealer \(dealerCode)") }
        }
        let (key, prefix) = generate()
        let id = UUID()
        try await connection.query(
            "INSERT INTO dealer_keys (id, dealer_id, prefix, hash, label) VALUES (\(id), \(dealer), \(prefix), \(hash(key)), \(label))",
            logger: logger)
        return IssuedKey(id: id, dealerCode: dealerCode, prefix: prefix, key: key)
    }

    /// The dealer whose active key the request carries (`Authorization: Bearer dk_…`), or 401.
    /// A suspended or closed dealer's keys do not work.
    static func authenticate(_ request: Request, postgres: PostgresClient, logger: Logger) async throws -> AuthenticatedDealer {
        guard let token = bearerToken(request.headers[.authorization]), token.hasPrefix("dk_") else {
            throw DealerInfoError.unauthorized("dealer endpoints need Authorization: Bearer <the dealer's API key>")
        }
        let key = String(token)
        let parts = key.split(separator: "_")
        guard parts.count == 3, parts[1].count == 8 else { throw DealerInfoError.unauthorized("the API key is not valid") }
        let rows = try await postgres.query(
            """
            SELECT k.hash, d.id, d.code, d.tier FROM dealer_keys k JOIN dealers d ON d.id = k.dealer_id
            WHERE k.prefix = \(String(parts[1])) AND k.revoked_at IS NULL AND d.status = 'active'
            """, logger: logger)
        for try await (stored, id, code, tier) in rows.decode((String, UUID, String, String).self) {
            if constantTimeEquals(Array(hash(key).utf8), Array(stored.utf8)) { return AuthenticatedDealer(id: id, code: code, tier: tier) }
        }
        throw DealerInfoError.unauthorized("the API key is not valid")
    }
}

/// A key as issued: the only time the key itself is shown.
struct IssuedKey: Codable, Sendable {
    var id: UUID
    var dealerCode: String
    var prefix: String
    var key: String
}

/// The dealer-info service's errors as problem+json. A dealer asking for another dealer's object
/// gets `notFound`, worded exactly as for one that does not exist.
enum DealerInfoError: Error, ProblemConvertible {
    case notFound(String)
    case invalid(String, errors: [String: String]? = nil)
    case conflict(String)
    case unauthorized(String)

    var problem: ProblemDetails {
        switch self {
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .invalid(let detail, let errors): ProblemDetails(title: "Unprocessable", status: 422, detail: detail, errors: errors)
        case .conflict(let detail): ProblemDetails(title: "Conflict", status: 409, detail: detail)
        case .unauthorized(let detail): ProblemDetails(title: "Unauthorized", status: 401, detail: detail)
        }
    }
}
