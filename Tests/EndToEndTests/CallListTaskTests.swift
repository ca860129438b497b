import Contracts
import Foundation
import Testing
import TestSupport

/// Reporting's call list turned into "call the client" tasks in deals (both as processes).
@Suite("Call lists to tasks", .serialized)
struct CallListTaskTests {
    @Test("chosen rows of a call list become call_client tasks in deals for their managers, once each")
    func callListToTasks() async throws {
        try await ScratchSuite.with(
            [.deals, .reporting], seed: [.deals: ["infra/demo/deals.sql"]], environment: ["DMS_DEALS_URL": "{deals}"]
        ) { suite in
            let deals = suite[.deals], reporting = suite[.reporting], url = suite.databases[.reporting]!
            let anna = UUID(uuidString: "6b0f6a9e-4d2c-4b7e-9a51-000000000003")!
            let withManager = UUID(), orphan = UUID()
            for (id, manager, name) in [(withManager, Optional(anna), "Ольга Смирнова"), (orphan, nil, "Без менеджера")] {
                let snapshot = ContactSnapshot(
                    contactId: id, name: name, counterpartyId: nil, managerId: manager, phones: [ContactPhone(e164: "+79160000001", raw: "8 916 000-00-01")],
                    emails: [], marketingConsent: true)
                let envelope = try EventEnvelope(
                    occurredAt: Date(), source: "test", key: id.uuidString, correlationId: id, payload: ContactRegistered(contact: snapshot))
                let json = String(decoding: try envelope.encoded(), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
                try await ServiceHarness.applySQL(
                    """
                    INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
                    VALUES ('\(envelope.id)', '\(Topic.leadsEvents)', 0, 0, 'ContactRegistered', now(), '\(json)'::jsonb)
                    """, databaseURL: url)
            }
            let list = try await reporting.send("GET", "/v1/exports/call-list?segment=all")
            #expect(list.status == 200 && list.body.contains("Ольга Смирнова"), "\(list.body)")
            let exportID = try #require(list.headers["dms-export-id"])

            struct Result: Decodable { var created: [Made]; var skipped: [Skipped]
                struct Made: Decodable { var contactId: UUID; var taskId: UUID }
                struct Skipped: Decodable { var contactId: UUID; var reason: String } }
            let first = try await reporting.call(Result.self, "POST", "/v1/call-lists/\(exportID)/tasks", json: #"{"dueAt":"2026-12-01T09:00:00Z"}"#)
            #expect(first.created.map(\.contactId) == [withManager] && first.skipped.map(\.contactId) == [orphan])
            let again = try await reporting.call(Result.self, "POST", "/v1/call-lists/\(exportID)/tasks", json: "{}")
            #expect(again.created.map(\.taskId) == first.created.map(\.taskId), "each row makes its task once")

            struct Agenda: Decodable { var tasks: [Task]; struct Task: Decodable { var id: UUID; var kind: String; var title: String? } }
            let agenda = try await deals.call(Agenda.self, "GET", "/v1/managers/\(anna)/agenda")
            let task = try #require(agenda.tasks.first { $0.id == first.created.first?.taskId })
            #expect(task.kind == "call_client" && task.title?.contains("Ольга Смирнова") == true)
            let wrong = try await reporting.send("POST", "/v1/call-lists/\(exportID)/tasks", json: #"{"contactIds":["\#(UUID())"]}"#)
            #expect(wrong.status == 422)
        }
    }
}
