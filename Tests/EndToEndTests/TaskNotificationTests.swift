import Contracts
import Foundation
import Testing
import TestSupport

/// `deals` publishes task events; `leads` puts them on people's screens: a new task for its
/// assignee, an overdue one for the assignee and the head of the deal's department.
@Suite("Tasks on people's screens", .serialized)
struct TaskNotificationTests {
    static let anna = "6b0f6a9e-4d2c-4b7e-9a51-000000000003"  // manager, alto
    static let pavel = "6b0f6a9e-4d2c-4b7e-9a51-000000000002"  // head of alto

    struct Created: Decodable { var deal: Deal; struct Deal: Decodable { var id: UUID } }
    struct Notifications: Decodable { var items: [Item]; struct Item: Decodable { var kind: String; var title: String } }

    @Test("a task past its due time notifies its assignee and the head of the department, once")
    func overdueTaskReachesTheHead() async throws {
        try await ScratchSuite.with(
            [.leads, .deals], seed: [.leads: ["infra/demo/leads.sql"], .deals: ["infra/demo/deals.sql"]]
        ) { suite in
            let deals = suite[.deals], leads = suite[.leads]
            let deal = try await deals.call(
                Created.self, "POST", "/v1/deals",
                json: #"""
                    {"needs":"Compressor","legalEntity":{"name":"ООО «Ветер»"},"contacts":[{"name":"Ирина"}],
                     "managerId":"\#(Self.anna)","departmentCode":"alto","currency":"RUB"}
                    """#, expect: 201)
            let due = Timestamp.format(Date().addingTimeInterval(-60))
            let task = try await deals.send(
                "POST", "/v1/tasks", json: #"{"kind":"call_client","dealId":"\#(deal.deal.id)","assigneeId":"\#(Self.anna)","dueAt":"\#(due)"}"#)
            #expect(task.status == 201, "\(task.body)")

            try await eventually("the head of the department to be told", timeout: .seconds(60)) {
                let items = try await leads.call(Notifications.self, "GET", "/v1/managers/\(Self.pavel)/notifications").items
                return items.contains { $0.kind == "task_overdue" } ? nil : "\(items.map(\.kind))"
            }
            let anna = try await leads.call(Notifications.self, "GET", "/v1/managers/\(Self.anna)/notifications").items
            #expect(anna.filter { $0.kind == "task_assigned" }.count == 1 && anna.filter { $0.kind == "task_overdue" }.count == 1, "\(anna)")
            let pavel = try await leads.call(Notifications.self, "GET", "/v1/managers/\(Self.pavel)/notifications").items
            #expect(pavel.filter { $0.kind == "task_overdue" }.count == 1 && pavel.first?.title.contains("call client") == true)
        }
    }
}
