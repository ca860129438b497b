import Contracts
import Foundation
import Hummingbird
import ServiceKit

/// Largest accepted PBX request (one event, or a CDR batch).
let maxTelephonyBody = 1 << 20

/// The connector endpoints. Each connector signs its requests with its own secret
/// (`DMS-Signature`, see `WebhookSignature`); nothing is stored for a request that fails.
public func addIngestRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    let environment = platform.configuration.environment
    let calls = CallStore(client: platform.postgres, number: partyNumber(region: environment["DMS_DEFAULT_REGION"]))
    let telephony = api.group("telephony")
        .add(middleware: SignedWebhookMiddleware(secret: environment["DMS_INGEST_SECRET_PBX"] ?? "", maxBodyBytes: maxTelephonyBody))

    telephony.post("events") { request, context -> Response in
        let body = try await request.body.collect(upTo: maxTelephonyBody)
        let bytes = Array(body.readableBytesView)
        let event = try decodeEvent(bytes)
        let receipt = try await calls.receive(event, logger: context.logger)
        return try accepted(receipt)
    }

    telephony.post("cdr") { request, context -> Response in
        let body = try await request.body.collect(upTo: maxTelephonyBody)
        let rows: [PBXCallEvent]
        do {
            rows = try JSONDecoder().decode([PBXCallEvent].self, from: Data(body.readableBytesView))
        } catch {
            throw IngestError.invalidBody("a CDR batch is a JSON array of call rows: \(error)")
        }
        for (index, row) in rows.enumerated() where !row.problems.isEmpty {
            throw IngestError.invalidBody("row \(index): \(row.problems.joined(separator: "; "))")
        }
        var receipts: [Receipt] = []
        for row in rows {
            // Each row is its own delivery, so a repeated batch is recognised row by row.
            receipts.append(try await calls.receive(row, logger: context.logger))
        }
        let summary = CDRReceipt(
            received: receipts.count, duplicates: receipts.filter(\.duplicate).count, calls: receipts.map(\.id))
        return try json(summary, status: .accepted)
    }

    addInquiryRoutes(api, platform)
}

func decodeEvent(_ bytes: [UInt8]) throws -> PBXCallEvent {
    let event: PBXCallEvent
    do {
        event = try JSONDecoder().decode(PBXCallEvent.self, from: Data(bytes))
    } catch {
        throw IngestError.invalidBody("a call event is a JSON object with UNIQUEID and linkedid: \(error)")
    }
    guard event.problems.isEmpty else { throw IngestError.invalidBody(event.problems.joined(separator: "; ")) }
    return event
}

/// The PBX's numbers as raw + E.164 (extensions have none), national numbers read in
/// `DMS_DEFAULT_REGION` (default RU).
func partyNumber(region: String?) -> @Sendable (String) -> PartyNumber {
    let region = region.flatMap(Region.parse) ?? .RU
    return { raw in
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        return PartyNumber(raw: number.raw, e164: number.e164)
    }
}

struct CDRReceipt: Codable {
    var received: Int
    var duplicates: Int
    var calls: [UUID]
}

func accepted(_ receipt: Receipt) throws -> Response {
    try json(receipt, status: .accepted)
}


/// The ingest service's errors as problem+json.
enum IngestError: Error, ProblemConvertible {
    case invalidBody(String)
    case invalidQuery(String)
    case unprocessable(String)
    case unsupportedMediaType(String)
    case unauthorized(String)
    case notFound(String)
    case stillUnreadable(String)

    var problem: ProblemDetails {
        switch self {
        case .invalidBody(let detail): ProblemDetails(title: "Invalid request body", status: 400, detail: detail)
        case .invalidQuery(let detail): ProblemDetails(title: "Invalid query", status: 400, detail: detail)
        case .unprocessable(let detail): ProblemDetails(title: "Unprocessable inquiry", status: 422, detail: detail)
        case .unsupportedMediaType(let detail): ProblemDetails(title: "Unsupported Media Type", status: 415, detail: detail)
        case .unauthorized(let detail): ProblemDetails(title: "Unauthorized", status: 401, detail: detail)
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .stillUnreadable(let detail):
            ProblemDetails(title: "Still unreadable", status: 422, detail: "the delivery stays in quarantine: \(detail)")
        }
    }
}
