import AsyncHTTPClient
import Contracts
import Foundation
import Logging
import Messaging
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceKit

/// Pushes each delivery to the dealers that registered an endpoint, signed with the dealer's own
/// secret (`DMS-Signature: t=…,v1=…`, as our connectors sign to us). Deliveries are claimed with a
/// lease (`FOR UPDATE SKIP LOCKED`, so replicas share the work), sent outside any transaction,
/// concurrently and each with its own timeout — a slow or dead dealer never holds up the others —
/// and retried with exponential backoff (1 s, 2 s, 4 s … at most an hour) up to `maxAttempts`;
/// after that the dealer still has its feed.
struct PushLoop: DueWork {
    let client: PostgresClient
    let logger: Logger
    let clock: @Sendable () -> Date
    var http: HTTPClient = .shared
    var timeout: TimeAmount = .seconds(5)
    var maxAttempts = 12
    let name = "dealer pushes"

    struct Claimed: Sendable {
        var publication: UUID
        var dealer: UUID
        var dealerCode: String
        var attempts: Int
        var url: String
        var secret: String
        var item: FeedItem
    }

    func fireDue(limit: Int) async throws -> Int {
        let now = clock()
        let claimed = try await claim(limit: limit, now: now)
        await withTaskGroup(of: Void.self) { group in
            for delivery in claimed {
                group.addTask { await self.push(delivery) }
            }
        }
        return claimed.count
    }

    /// Takes up to `limit` due pushes and leases them for a minute (a replica that dies mid-push
    /// leaves them to be taken again).
    func claim(limit: Int, now: Date) async throws -> [Claimed] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                WITH due AS (
                    SELECT publication_id, dealer_id FROM deliveries
                    WHERE push_next_at <= \(now) ORDER BY push_next_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                )
                UPDATE deliveries d SET push_next_at = \(now.addingTimeInterval(60))
                FROM due, dealer_endpoints e, publications p, series s, dealers dl
                WHERE d.publication_id = due.publication_id AND d.dealer_id = due.dealer_id AND e.dealer_id = d.dealer_id
                  AND p.id = d.publication_id AND s.code = p.series_code AND dl.id = d.dealer_id
                RETURNING d.publication_id, d.dealer_id, dl.code, d.push_attempts, e.url, e.secret, d.seq, p.series_code, s.kind, p.version,
                    p.title, p.published_at, d.state
                """, logger: logger
            ).collect().map { row in
                let r = try row.decode((UUID, UUID, String, Int, String, String, Int64, String, String, Int, String, Date, String).self)
                let item = FeedItem(
                    cursor: r.6, publicationId: r.0, series: r.7, kind: r.8, version: r.9, title: r.10, publishedAt: r.11,
                    state: r.12 == "pending" ? "delivered" : r.12, href: "/v1/dealer/publications/\(r.0.uuidString.lowercased())")
                return Claimed(publication: r.0, dealer: r.1, dealerCode: r.2, attempts: r.3, url: r.4, secret: r.5, item: item)
            }
        }
    }

    /// One push and what it leads to: delivered, or the next attempt after a backoff.
    func push(_ delivery: Claimed) async {
        let now = clock()
        var failure: String?
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let body = Array(try encoder.encode(delivery.item))
            var request = HTTPClientRequest(url: delivery.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: WebhookSignature.headerName, value: WebhookSignature.sign(body, secret: delivery.secret, time: now))
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await http.execute(request, timeout: timeout)
            if !(200..<300).contains(response.status.code) { failure = "the endpoint answered \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        do {
            try await record(delivery, failure: failure, at: now)
        } catch {
            logger.warning("could not record a push; it is retried when its lease ends", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    func record(_ delivery: Claimed, failure: String?, at now: Date) async throws {
        try await client.withTransaction(logger: logger) { connection in
            if let failure {
                let attempts = delivery.attempts + 1
                let next: Date? = attempts >= maxAttempts ? nil : now.addingTimeInterval(min(pow(2, Double(attempts - 1)), 3600))
                try await connection.query(
                    """
                    UPDATE deliveries SET push_attempts = \(attempts), push_next_at = \(next), push_error = \(failure)
                    WHERE publication_id = \(delivery.publication) AND dealer_id = \(delivery.dealer)
                    """, logger: logger)
                return
            }
            let taken = try await connection.query(
                """
                WITH before AS (SELECT state FROM deliveries WHERE publication_id = \(delivery.publication) AND dealer_id = \(delivery.dealer))
                UPDATE deliveries SET pushed_at = \(now), push_next_at = NULL, push_error = NULL, push_attempts = push_attempts + 1,
                    state = CASE WHEN state = 'pending' THEN 'delivered' ELSE state END, delivered_at = coalesce(delivered_at, \(now))
                WHERE publication_id = \(delivery.publication) AND dealer_id = \(delivery.dealer)
                RETURNING (SELECT state FROM before) = 'pending'
                """, logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            if taken {
                let event = try Distribution.event(
                    PublicationDelivered(
                        publicationId: delivery.publication, dealerId: delivery.dealer, dealerCode: delivery.dealerCode, series: delivery.item.series,
                        version: delivery.item.version, deliveredAt: now), key: delivery.dealer, at: now)
                try await Outbox.append([event], on: connection, logger: logger)
            }
        }
    }
}
