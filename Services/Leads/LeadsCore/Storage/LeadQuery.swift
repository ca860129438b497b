import Contracts
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `GET /v1/leads`: filters (state, department, manager, channel, created range, phone in any
/// format, e-mail) and keyset paging by (created_at, id) with an opaque cursor.
struct LeadQuery: Sendable {
    var state: String?
    var department: String?
    var manager: UUID?
    var channel: String?
    var createdFrom: Date?
    var createdTo: Date?
    var phone: String?
    var email: String?
    var limit: Int
    /// The last lead of the previous page.
    var after: UUID?

    init(_ parameters: Parameters, region: Region) throws {
        func text(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        state = text("state")
        if let state, LeadState(rawValue: state) == nil {
            throw LeadsError.invalidBody("state is one of \(LeadState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        channel = text("channel")
        if let channel, LeadChannel(rawValue: channel) == nil {
            throw LeadsError.invalidBody("channel is one of \(LeadChannel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        department = text("department")
        if let value = text("manager") {
            guard let id = UUID(uuidString: value) else { throw LeadsError.invalidBody("manager is a staff id") }
            manager = id
        }
        createdFrom = try text("createdFrom").map { try Self.date($0, "createdFrom") }
        createdTo = try text("createdTo").map { try Self.date($0, "createdTo") }
        if let raw = text("phone") {
            // A number that is not one matches nothing rather than everything.
            phone = PhoneNumber.normalise(raw, defaultRegion: region).e164 ?? "invalid:\(raw)"
        }
        email = text("email")?.lowercased()
        limit = min(max(text("limit").flatMap(Int.init) ?? 50, 1), 500)
        if let cursor = text("cursor") {
            guard let decoded = Self.decodeCursor(cursor) else { throw LeadsError.invalidBody("cursor is not one this service issued") }
            after = decoded
        }
    }

    func run(client: PostgresClient, logger: Logger) async throws -> ([LeadRecord], String?) {
        let rows = try await client.query(
            """
            SELECT \(unescaped: LeadStore.columns) FROM leads
            WHERE (\(state)::text IS NULL OR state = \(state))
              AND (\(department)::text IS NULL OR department_code = \(department))
              AND (\(manager)::uuid IS NULL OR manager_id = \(manager))
              AND (\(channel)::text IS NULL OR channel = \(channel))
              AND (\(createdFrom)::timestamptz IS NULL OR created_at >= \(createdFrom))
              AND (\(createdTo)::timestamptz IS NULL OR created_at < \(createdTo))
              AND (\(phone)::text IS NULL OR phone_e164 = \(phone))
              AND (\(email)::text IS NULL OR email = \(email))
              AND (\(after)::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM leads WHERE id = \(after)))
            ORDER BY created_at, id LIMIT \(limit + 1)
            """, logger: logger)
        var leads: [LeadRecord] = []
        for try await row in rows { leads.append(try LeadStore.decode(row)) }
        var next: String?
        if leads.count > limit {
            leads.removeLast()
            next = leads.last.map { Self.encodeCursor($0.id) }
        }
        return (leads, next)
    }

    static func date(_ text: String, _ name: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw LeadsError.invalidBody("\(name) is an ISO 8601 time, e.g. 2026-11-30T09:00:00Z") }
        return date
    }

    /// The cursor names the last lead seen (leads are never deleted), so the page boundary is exact
    /// to the database's microsecond, whatever precision the API shows times in.
    static func encodeCursor(_ id: UUID) -> String {
        Data(id.uuidString.lowercased().utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> UUID? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return UUID(uuidString: String(decoding: data, as: UTF8.self))
    }
}
