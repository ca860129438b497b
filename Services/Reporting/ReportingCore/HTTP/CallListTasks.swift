import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import ServiceKit

/// One row of a call list as stored with its export.
struct CallListEntry: Codable, Sendable {
    var contactId: UUID
    var contact: String
    var company: String?
    var phones: [String]
    var managerId: UUID?
}

/// Where the deals service is and how to call it (`DMS_DEALS_URL`, the service token).
struct DealsClient: Sendable {
    var baseURL: String
    var token: String
    var http: HTTPClient = .shared

    /// Creates a "call the client" task for the row's manager; returns the task's id.
    func createCallTask(for entry: CallListEntry, manager: UUID, dueAt: Date?, logger: Logger) async throws -> UUID {
        struct Body: Encodable { var kind: String; var assigneeId: UUID; var title: String; var dueAt: Date? }
        struct Created: Decodable { var id: UUID }
        let phones = entry.phones.joined(separator: ", ")
        let title = "Call \(entry.contact)\(entry.company.map { " (\($0))" } ?? "")\(phones.isEmpty ? "" : ": \(phones)")"
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var request = HTTPClientRequest(url: baseURL + "/v1/tasks")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: Array(try encoder.encode(Body(kind: "call_client", assigneeId: manager, title: title, dueAt: dueAt)))))
        let response = try await http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            throw ReportingError.upstream("deals answered \(response.status.code) creating a task: \(String(buffer: body).prefix(300))")
        }
        return try JSONDecoder().decode(Created.self, from: body).id
    }
}

/// `POST /v1/call-lists/{id}/tasks {"contactIds": […], "dueAt": …}`: a "call the client" task in
/// deals for each chosen row of a call list (every row when `contactIds` is absent), assigned to the
/// contact's responsible manager. Each row makes its task once: calling again returns the same ids.
func addCallListTaskRoute(_ api: RouterGroup<BasicRequestContext>, _ postgres: PostgresClient, _ deals: DealsClient) {
    api.post("call-lists/:id/tasks") { request, ctx -> Response in
        struct Body: Decodable { var contactIds: [UUID]?; var dueAt: Date? }
        struct Made: Codable { var contactId: UUID; var taskId: UUID }
        struct Skipped: Codable { var contactId: UUID; var reason: String }
        struct Result: Codable { var created: [Made]; var skipped: [Skipped] }
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw ReportingError.notFound("no such call list") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let body = buffer.readableBytes == 0 ? Body(contactIds: nil, dueAt: nil) : try decoder.decode(Body.self, from: buffer)
        let rows = try await postgres.query(
            "SELECT entries::text FROM exports WHERE id = \(id) AND kind = 'call_list'", logger: ctx.logger
        ).collect()
        guard let text = try rows.first?.decode(String.self) else { throw ReportingError.notFound("no call list \(id)") }
        let entries = try JSONDecoder().decode([CallListEntry].self, from: Data(text.utf8))
        let chosen = body.contactIds.map(Set.init)
        if let chosen {
            let unknown = chosen.subtracting(entries.map(\.contactId))
            guard unknown.isEmpty else {
                throw ReportingError.invalid("not rows of this call list: \(unknown.map { $0.uuidString.lowercased() }.sorted().joined(separator: ", "))")
            }
        }
        var result = Result(created: [], skipped: [])
        for entry in entries where chosen?.contains(entry.contactId) ?? true {
            if let existing = try await postgres.query(
                "SELECT task_id FROM call_list_tasks WHERE export_id = \(id) AND contact_id = \(entry.contactId)", logger: ctx.logger
            ).collect().first?.decode(UUID.self) {
                result.created.append(Made(contactId: entry.contactId, taskId: existing))
                continue
            }
            guard let manager = entry.managerId else {
                result.skipped.append(Skipped(contactId: entry.contactId, reason: "no responsible manager"))
                continue
            }
            let task = try await deals.createCallTask(for: entry, manager: manager, dueAt: body.dueAt, logger: ctx.logger)
            try await postgres.query(
                """
                INSERT INTO call_list_tasks (export_id, contact_id, task_id) VALUES (\(id), \(entry.contactId), \(task))
                ON CONFLICT (export_id, contact_id) DO NOTHING
                """, logger: ctx.logger)
            result.created.append(Made(contactId: entry.contactId, taskId: task))
        }
        return try json(result, status: .ok)
    }
}
