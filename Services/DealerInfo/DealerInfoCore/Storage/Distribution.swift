import Contracts
import Foundation
import Logging
import Messaging
import NIOCore
import PostgresNIO
import Tabular

/// What head office publishes: one command, any size (10,000 price items to every dealer is one
/// transaction).
struct PublicationBody: Codable, Sendable {
    var series: String
    var title: String?
    var addressing: Addressing
    /// A price list's items.
    var items: [PriceItem]?
    /// A plan's targets: each dealer sees only its own.
    var targets: [PlanTarget]?
    /// Other structured content (a promotion's conditions, an assortment's SKUs, …).
    var content: JSONValue?
    /// A document: the file, base64, with its media type and name.
    var file: FileBody?

    struct PlanTarget: Codable, Sendable {
        var dealer: String
        var period: String
        var metric: String
        var target: Decimal
    }

    struct FileBody: Codable, Sendable {
        var name: String
        var mediaType: String
        var base64: String
    }
}

/// Any JSON, kept as parsed (promotion conditions and other free-form content).
typealias JSONValue = JSONPayload

/// A publication as head office and the addressed dealers see it (dealers: their own targets only).
struct PublicationView: Codable, Sendable {
    var id: UUID
    var series: String
    var kind: String
    var version: Int
    var title: String
    var publishedAt: Date
    var recipients: Int?
    var addressing: JSONValue?
    var content: JSONValue?
    var items: [PriceItem]?
    var targets: [PublicationBody.PlanTarget]?
    var file: FileInfo?

    struct FileInfo: Codable, Sendable {
        var name: String?
        var mediaType: String
        var size: Int
        var sha256: String
        var href: String
    }
}

/// One entry of a dealer's feed, in the order the dealer should apply them.
struct FeedItem: Codable, Sendable {
    var cursor: Int64
    var publicationId: UUID
    var series: String
    var kind: String
    var version: Int
    var title: String
    var publishedAt: Date
    var state: String
    var href: String
}

struct FeedPage: Codable, Sendable {
    var items: [FeedItem]
    /// Pass as `after` for the next page (the last item's cursor, or the one given when empty).
    var nextCursor: Int64
}

struct DeliveryView: Codable, Sendable {
    var dealerId: UUID
    var dealerCode: String
    var state: String
    var deliveredAt: Date?
    var acknowledgedAt: Date?
    var appliedVersion: Int?
    var rejection: String?
}

struct ReceiptBody: Codable, Sendable {
    var publicationId: UUID
    /// `applied` or `rejected`.
    var status: String
    var appliedVersion: Int?
    var reason: String?
}

struct ReceiptResult: Codable, Sendable {
    var publicationId: UUID
    var state: String
    /// Versions of the series addressed to the dealer that it has not applied: take the snapshot.
    var missingVersions: [Int]
    var snapshot: String?
}

struct BehindEntry: Codable, Sendable {
    var dealerId: UUID
    var dealerCode: String
    /// What the dealer last said it applied (absent: nothing yet).
    var appliedVersion: Int?
    /// The latest version addressed to it.
    var latestVersion: Int
    var versionsBehind: Int
    /// Versions it skipped (applied a later one without them): it should take the snapshot.
    var missingVersions: [Int]
}

enum Distribution {
    static func event<P: EventPayload>(_ payload: P, key: UUID, at now: Date) throws -> OutboxEvent {
        let envelope = try EventEnvelope(
            occurredAt: now, source: ServiceName.dealerInfo.rawValue, key: key.uuidString.lowercased(), correlationId: key, payload: payload)
        return OutboxEvent(topic: Topic.dealerInfoEvents, envelope: envelope)
    }

    // MARK: Publishing

    /// Publishes the next version of a series: content stored, addressing resolved against the
    /// network as it is now and recorded as one pending delivery per addressed dealer.
    static func publish(_ body: PublicationBody, at now: Date, on connection: PostgresConnection, logger: Logger) async throws -> (PublicationView, [OutboxEvent]) {
        let rows = try await connection.query(
            "UPDATE series SET latest_version = latest_version + 1 WHERE code = \(body.series) RETURNING kind, title, latest_version",
            logger: logger
        ).collect()
        guard let row = rows.first else { throw DealerInfoError.notFound("no series \(body.series); create it with PUT /v1/series/\(body.series)") }
        let (kind, seriesTitle, version) = try row.decode((String, String, Int).self)
        try validate(body, kind: kind)

        let dealers = try await profiles(on: connection, logger: logger)
        var segments: [String: SegmentRule] = [:]
        for row in try await connection.query("SELECT code, rule::text FROM segments", logger: logger).collect() {
            let (code, rule) = try row.decode((String, String).self)
            segments[code] = try JSONDecoder().decode(SegmentRule.self, from: Data(rule.utf8))
        }
        let recipients: [UUID]
        switch Addressing.resolve(body.addressing, dealers: dealers, segments: segments) {
        case .success(let ids): recipients = ids
        case .failure(let error): throw DealerInfoError.invalid("\(error)")
        }
        guard !recipients.isEmpty else { throw DealerInfoError.invalid("the addressing reaches no active dealer") }

        let id = UUID()
        let title = body.title ?? "\(seriesTitle) v\(version)"
        let content = try body.content.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } ?? "{}"
        var fileInfo: (String, String, [UInt8])?
        var storedContent = content
        if let file = body.file {
            guard let bytes = Data(base64Encoded: file.base64) else { throw DealerInfoError.invalid("file.base64 is not base64") }
            fileInfo = (file.name, file.mediaType, Array(bytes))
            let checksum = Self.sha256Hex(Array(bytes))
            storedContent = String(decoding: try JSONEncoder().encode(
                ["fileName": file.name, "mediaType": file.mediaType, "sha256": checksum, "size": String(bytes.count)]), as: UTF8.self)
        }
        try await connection.query(
            """
            INSERT INTO publications (id, series_code, version, title, content, addressing, recipients, published_at)
            VALUES (\(id), \(body.series), \(version), \(title), \(storedContent)::jsonb, \(String(decoding: try JSONEncoder().encode(body.addressing), as: UTF8.self))::jsonb,
                    \(recipients.count), \(now))
            """, logger: logger)
        if let items = body.items, !items.isEmpty {
            try await connection.query(
                """
                INSERT INTO price_items (publication_id, sku, price, currency, valid_from, valid_to)
                SELECT \(id), sku, price::numeric, currency, nullif(valid_from, '')::date, nullif(valid_to, '')::date
                FROM unnest(\(items.map(\.sku))::text[], \(items.map { "\($0.price)" })::text[], \(items.map(\.currency))::text[],
                            \(items.map { $0.validFrom ?? "" })::text[], \(items.map { $0.validTo ?? "" })::text[])
                    AS i(sku, price, currency, valid_from, valid_to)
                """, logger: logger)
        }
        if let targets = body.targets, !targets.isEmpty {
            let codes = Dictionary(dealers.map { ($0.code, $0.id) }, uniquingKeysWith: { first, _ in first })
            let unknown = Set(targets.map(\.dealer)).filter { codes[$0] == nil }
            guard unknown.isEmpty else { throw DealerInfoError.invalid("targets name unknown dealers: \(unknown.sorted().joined(separator: ", "))") }
            try await connection.query(
                """
                INSERT INTO plan_targets (publication_id, dealer_id, period, metric, target)
                SELECT \(id), dealer, period, metric, target::numeric
                FROM unnest(\(targets.map { codes[$0.dealer]! })::uuid[], \(targets.map(\.period))::text[], \(targets.map(\.metric))::text[],
                            \(targets.map { "\($0.target)" })::text[]) AS t(dealer, period, metric, target)
                """, logger: logger)
        }
        if let (_, mediaType, bytes) = fileInfo {
            // A ByteBuffer binds as bytea ([UInt8] would bind as "char"[]).
            try await connection.query(
                "INSERT INTO publication_files (publication_id, media_type, bytes) VALUES (\(id), \(mediaType), \(ByteBuffer(bytes: bytes)))",
                logger: logger)
        }
        // Dealers with a push endpoint get theirs pushed at once (PushLoop).
        try await connection.query(
            """
            INSERT INTO deliveries (publication_id, dealer_id, push_next_at)
            SELECT \(id), r.dealer, CASE WHEN e.dealer_id IS NULL THEN NULL ELSE \(now) END
            FROM unnest(\(recipients)::uuid[]) WITH ORDINALITY AS r(dealer, n) LEFT JOIN dealer_endpoints e ON e.dealer_id = r.dealer
            ORDER BY r.n
            """, logger: logger)
        // A plan's targets travel with the release, so reporting can set sales against them.
        let targets = body.targets.map { $0.map { PlanTargetValue(dealerCode: $0.dealer, period: $0.period, metric: $0.metric, target: $0.target) } }
        let event = try Self.event(
            PublicationReleased(publicationId: id, series: body.series, version: version, kind: kind, title: title, recipients: recipients.count,
                                publishedAt: now, targets: targets), key: id, at: now)
        let view = PublicationView(
            id: id, series: body.series, kind: kind, version: version, title: title, publishedAt: now, recipients: recipients.count,
            addressing: nil, content: nil, items: nil, targets: nil, file: nil)
        return (view, [event])
    }

    static func validate(_ body: PublicationBody, kind: String) throws {
        var problems: [String] = []
        switch kind {
        case "price_list":
            guard let items = body.items, !items.isEmpty else { throw DealerInfoError.invalid("a price list needs items") }
            problems += PriceItem.validate(items)
        case "plan":
            guard let targets = body.targets, !targets.isEmpty else { throw DealerInfoError.invalid("a plan needs targets") }
            for (index, target) in targets.enumerated() where target.period.isEmpty || target.metric.isEmpty {
                problems.append("targets[\(index)]: period and metric are required")
            }
        case "document", "methodology":
            guard body.file != nil else { throw DealerInfoError.invalid("a \(kind) publication carries a file") }
        default:
            break
        }
        if body.items != nil && kind != "price_list" { problems.append("items belong to price lists; this series is a \(kind)") }
        if body.targets != nil && kind != "plan" { problems.append("targets belong to plans; this series is a \(kind)") }
        if !problems.isEmpty {
            throw DealerInfoError.invalid(
                "the publication is not valid: \(problems.prefix(20).joined(separator: "; "))\(problems.count > 20 ? "; … \(problems.count - 20) more" : "")")
        }
    }

    static func profiles(on connection: PostgresConnection, logger: Logger) async throws -> [DealerProfile] {
        try await connection.query("SELECT id, code, region, tier, status, attributes::text FROM dealers ORDER BY code", logger: logger)
            .collect().map { row in
                let (id, code, region, tier, status, attributes) = try row.decode((UUID, String, String, String, String, String).self)
                let values = (try? JSONDecoder().decode([String: AttributeValue].self, from: Data(attributes.utf8))) ?? [:]
                return DealerProfile(id: id, code: code, region: region, tier: tier, status: status, attributes: values)
            }
    }

    // MARK: Reading a publication

    /// The publication if it exists and (for a dealer) was addressed to that dealer; a dealer sees
    /// only its own plan targets. Anything else is nil — the caller answers 404 either way.
    static func publication(_ id: UUID, for dealer: AuthenticatedDealer?, on connection: PostgresConnection, logger: Logger) async throws -> PublicationView? {
        let rows = try await connection.query(
            """
            SELECT p.series_code, s.kind, p.version, p.title, p.published_at, p.recipients, p.addressing::text, p.content::text,
                f.media_type, octet_length(f.bytes)
            FROM publications p JOIN series s ON s.code = p.series_code LEFT JOIN publication_files f ON f.publication_id = p.id
            WHERE p.id = \(id)
              AND (\(dealer?.id)::uuid IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.publication_id = p.id AND d.dealer_id = \(dealer?.id)))
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let (series, kind, version, title, published, recipients, addressing, content, mediaType, size) = try row.decode(
            (String, String, Int, String, Date, Int, String, String, String?, Int?).self)
        var view = PublicationView(
            id: id, series: series, kind: kind, version: version, title: title, publishedAt: published,
            recipients: dealer == nil ? recipients : nil,
            addressing: dealer == nil ? try JSONDecoder().decode(JSONValue.self, from: Data(addressing.utf8)) : nil,
            content: try JSONDecoder().decode(JSONValue.self, from: Data(content.utf8)), items: nil, targets: nil, file: nil)
        if kind == "price_list" { view.items = try await priceItems(of: id, on: connection, logger: logger) }
        if kind == "plan" {
            view.targets = try await connection.query(
                """
                SELECT d.code, t.period, t.metric, t.target::text FROM plan_targets t JOIN dealers d ON d.id = t.dealer_id
                WHERE t.publication_id = \(id) AND (\(dealer?.id)::uuid IS NULL OR t.dealer_id = \(dealer?.id))
                ORDER BY d.code, t.period, t.metric
                """, logger: logger
            ).collect().map { row in
                let (code, period, metric, target) = try row.decode((String, String, String, String).self)
                return PublicationBody.PlanTarget(dealer: code, period: period, metric: metric, target: decimal(target))
            }
        }
        if let mediaType, let size {
            let checksum = (try? JSONDecoder().decode([String: String].self, from: Data(content.utf8))) ?? [:]
            view.file = .init(
                name: checksum["fileName"], mediaType: mediaType, size: size, sha256: checksum["sha256"] ?? "",
                href: dealer == nil ? "/v1/publications/\(id.uuidString.lowercased())/file" : "/v1/dealer/publications/\(id.uuidString.lowercased())/file")
        }
        return view
    }

    static func priceItems(of publication: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [PriceItem] {
        try await connection.query(
            """
            SELECT sku, price::text, currency, valid_from::text, valid_to::text FROM price_items
            WHERE publication_id = \(publication) ORDER BY sku
            """, logger: logger
        ).collect().map { row in
            let (sku, price, currency, from, to) = try row.decode((String, String, String, String?, String?).self)
            return PriceItem(sku: sku, price: decimal(price), currency: currency, validFrom: from, validTo: to)
        }
    }

    /// The latest version of a series addressed to the dealer (its publication id and version).
    static func latest(series: String, for dealer: UUID, atMost version: Int? = nil, on connection: PostgresConnection, logger: Logger) async throws -> (UUID, Int)? {
        let rows = try await connection.query(
            """
            SELECT p.id, p.version FROM publications p JOIN deliveries d ON d.publication_id = p.id AND d.dealer_id = \(dealer)
            WHERE p.series_code = \(series) AND (\(version)::integer IS NULL OR p.version <= \(version))
            ORDER BY p.version DESC LIMIT 1
            """, logger: logger
        ).collect()
        return try rows.first?.decode((UUID, Int).self)
    }

    // MARK: The dealer's feed and receipts

    /// The dealer's deliveries after `cursor`, oldest first; those not yet taken become delivered
    /// (one `PublicationDelivered` each). Pulling again returns the same items.
    static func feed(
        for dealer: AuthenticatedDealer, after cursor: Int64, limit: Int, at now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> (FeedPage, [OutboxEvent]) {
        let rows = try await connection.query(
            """
            WITH page AS (
                SELECT d.seq, d.publication_id, d.state FROM deliveries d
                WHERE d.dealer_id = \(dealer.id) AND d.seq > \(cursor) ORDER BY d.seq LIMIT \(limit)
            ), taken AS (
                UPDATE deliveries d SET state = 'delivered', delivered_at = \(now)
                FROM page WHERE d.dealer_id = \(dealer.id) AND d.publication_id = page.publication_id AND d.state = 'pending'
                RETURNING d.publication_id
            )
            SELECT page.seq, page.publication_id, p.series_code, s.kind, p.version, p.title, p.published_at,
                CASE WHEN page.state = 'pending' THEN 'delivered' ELSE page.state END,
                EXISTS (SELECT 1 FROM taken WHERE taken.publication_id = page.publication_id)
            FROM page JOIN publications p ON p.id = page.publication_id JOIN series s ON s.code = p.series_code
            ORDER BY page.seq
            """, logger: logger
        ).collect()
        var items: [FeedItem] = []
        var events: [OutboxEvent] = []
        for row in rows {
            let (seq, publication, series, kind, version, title, published, state, firstTime) = try row.decode(
                (Int64, UUID, String, String, Int, String, Date, String, Bool).self)
            items.append(FeedItem(
                cursor: seq, publicationId: publication, series: series, kind: kind, version: version, title: title, publishedAt: published,
                state: state, href: "/v1/dealer/publications/\(publication.uuidString.lowercased())"))
            if firstTime {
                events.append(try event(
                    PublicationDelivered(publicationId: publication, dealerId: dealer.id, dealerCode: dealer.code, series: series, version: version,
                                         deliveredAt: now), key: dealer.id, at: now))
            }
        }
        return (FeedPage(items: items, nextCursor: items.last?.cursor ?? cursor), events)
    }

    /// The page when none of its deliveries is still pending (nothing to mark, nothing to
    /// publish), read in one statement; nil when some are, so the caller takes `feed`.
    static func feedIfAllTaken(
        for dealer: AuthenticatedDealer, after cursor: Int64, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> FeedPage? {
        var items: [FeedItem] = []
        for row in try await connection.query(
            """
            SELECT d.seq, d.publication_id, p.series_code, s.kind, p.version, p.title, p.published_at, d.state
            FROM deliveries d JOIN publications p ON p.id = d.publication_id JOIN series s ON s.code = p.series_code
            WHERE d.dealer_id = \(dealer.id) AND d.seq > \(cursor) ORDER BY d.seq LIMIT \(limit)
            """, logger: logger
        ).collect() {
            let (seq, publication, series, kind, version, title, published, state) = try row.decode(
                (Int64, UUID, String, String, Int, String, Date, String).self)
            if state == "pending" { return nil }
            items.append(FeedItem(
                cursor: seq, publicationId: publication, series: series, kind: kind, version: version, title: title, publishedAt: published,
                state: state, href: "/v1/dealer/publications/\(publication.uuidString.lowercased())"))
        }
        return FeedPage(items: items, nextCursor: items.last?.cursor ?? cursor)
    }

    /// A dealer's receipt: applied (the series version it now holds, by default the
    /// publication's) or rejected (with a reason). Applying a version while earlier ones addressed
    /// to the dealer were never applied, and without a snapshot or delta that covered them, is a
    /// gap: the dealer is behind (`DealerBehind`) and the answer points at the snapshot.
    static func receipt(
        _ body: ReceiptBody, from dealer: AuthenticatedDealer, at now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> (ReceiptResult, [OutboxEvent]) {
        guard body.status == "applied" || body.status == "rejected" else { throw DealerInfoError.invalid("status is applied or rejected") }
        if body.status == "rejected", (body.reason ?? "").isEmpty { throw DealerInfoError.invalid("a rejection needs a reason") }
        let rows = try await connection.query(
            """
            SELECT p.series_code, p.version, p.published_at FROM deliveries d JOIN publications p ON p.id = d.publication_id
            WHERE d.publication_id = \(body.publicationId) AND d.dealer_id = \(dealer.id) FOR UPDATE OF d
            """, logger: logger
        ).collect()
        guard let row = rows.first else { throw DealerInfoError.notFound("no publication \(body.publicationId)") }
        let (series, version, published) = try row.decode((String, Int, Date).self)
        let applied = body.status == "applied" ? (body.appliedVersion ?? version) : nil
        let state = body.status == "applied" ? "acknowledged" : "rejected"
        try await connection.query(
            """
            UPDATE deliveries SET state = \(state), acknowledged_at = \(now), applied_version = \(applied), rejection = \(body.reason),
                delivered_at = coalesce(delivered_at, \(now))
            WHERE publication_id = \(body.publicationId) AND dealer_id = \(dealer.id)
            """, logger: logger)
        var events = [try event(
            PublicationAcknowledged(
                publicationId: body.publicationId, dealerId: dealer.id, dealerCode: dealer.code, series: series, version: version,
                status: body.status, appliedVersion: applied, reason: body.reason, lagSeconds: now.timeIntervalSince(published), acknowledgedAt: now),
            key: dealer.id, at: now)]
        guard let applied else { return (ReceiptResult(publicationId: body.publicationId, state: state, missingVersions: [], snapshot: nil), events) }

        let held = try await connection.query(
            """
            INSERT INTO dealer_series_state (dealer_id, series_code) VALUES (\(dealer.id), \(series))
            ON CONFLICT (dealer_id, series_code) DO UPDATE SET applied_version = dealer_series_state.applied_version
            RETURNING applied_version, fetched_version
            """, logger: logger
        ).collect().first!.decode((Int, Int).self)
        var missing: [Int] = []
        if held.0 > 0, applied > held.0 + 1, held.1 < applied {
            missing = try await connection.query(
                """
                SELECT p.version FROM publications p JOIN deliveries d ON d.publication_id = p.id AND d.dealer_id = \(dealer.id)
                WHERE p.series_code = \(series) AND p.version > \(held.0) AND p.version < \(applied) AND d.state <> 'acknowledged'
                ORDER BY p.version
                """, logger: logger
            ).collect().map { try $0.decode(Int.self) }
        }
        try await connection.query(
            """
            UPDATE dealer_series_state SET applied_version = greatest(applied_version, \(applied)), applied_at = \(now),
                missing_versions = (SELECT coalesce(array_agg(DISTINCT v ORDER BY v), '{}') FROM unnest(missing_versions || \(missing)::integer[]) AS v)
            WHERE dealer_id = \(dealer.id) AND series_code = \(series)
            """, logger: logger)
        if !missing.isEmpty {
            events.append(try event(
                DealerBehind(dealerId: dealer.id, dealerCode: dealer.code, series: series, heldVersion: held.0, latestVersion: applied,
                             missingVersions: missing, detectedAt: now), key: dealer.id, at: now))
        }
        let result = ReceiptResult(
            publicationId: body.publicationId, state: state, missingVersions: missing,
            snapshot: missing.isEmpty ? nil : "/v1/dealer/series/\(series)/snapshot")
        return (result, events)
    }

    /// Records that the dealer fetched the series up to `version` (a snapshot also clears the gaps).
    static func fetched(series: String, version: Int, snapshot: Bool, by dealer: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO dealer_series_state (dealer_id, series_code, fetched_version) VALUES (\(dealer), \(series), \(version))
            ON CONFLICT (dealer_id, series_code) DO UPDATE SET fetched_version = greatest(dealer_series_state.fetched_version, excluded.fetched_version),
                missing_versions = CASE WHEN \(snapshot) THEN '{}' ELSE dealer_series_state.missing_versions END
            """, logger: logger)
    }

    /// Dealers a series' latest version (addressed to them) has not fully reached: they hold an
    /// older version, or skipped some.
    static func behind(series: String, on connection: PostgresConnection, logger: Logger) async throws -> [BehindEntry] {
        try await connection.query(
            """
            WITH latest AS (
                SELECT d.dealer_id, max(p.version) AS version FROM deliveries d JOIN publications p ON p.id = d.publication_id
                WHERE p.series_code = \(series) GROUP BY d.dealer_id
            )
            SELECT l.dealer_id, dl.code, s.applied_version, l.version, coalesce(s.missing_versions, '{}')
            FROM latest l JOIN dealers dl ON dl.id = l.dealer_id
            LEFT JOIN dealer_series_state s ON s.dealer_id = l.dealer_id AND s.series_code = \(series)
            WHERE coalesce(s.applied_version, 0) < l.version OR cardinality(s.missing_versions) > 0
            ORDER BY l.version - coalesce(s.applied_version, 0) DESC, dl.code
            """, logger: logger
        ).collect().map { row in
            let (id, code, applied, latest, missing) = try row.decode((UUID, String, Int?, Int, [Int]).self)
            return BehindEntry(
                dealerId: id, dealerCode: code, appliedVersion: applied == 0 ? nil : applied, latestVersion: latest,
                versionsBehind: max(latest - (applied ?? 0), 0), missingVersions: missing)
        }
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        DealerKeys.hash(bytes: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

