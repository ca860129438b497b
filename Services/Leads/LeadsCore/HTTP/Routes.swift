import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

struct Department: ResponseCodable, Equatable {
    var code: String
    var name: String
}

struct StaffMember: ResponseCodable, Equatable {
    var id: UUID
    var name: String
    var email: String
    var role: String
    var departmentCode: String?
}

struct ItemList<Item: Codable & Sendable>: ResponseCodable {
    var items: [Item]
}

public func addLeadsRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    api.get("departments") { _, context in
        let rows = try await platform.postgres.query(
            "SELECT code, name FROM departments ORDER BY code", logger: context.logger)
        var items: [Department] = []
        for try await (code, name) in rows.decode((String, String).self) {
            items.append(Department(code: code, name: name))
        }
        return ItemList(items: items)
    }
    api.get("staff") { request, context in
        let department = request.uri.queryParameters["department"].map(String.init)
        let rows = try await platform.postgres.query(
            """
            SELECT id, name, email, role, department_code FROM staff
            WHERE active AND (\(department)::text IS NULL OR department_code = \(department))
            ORDER BY name
            """, logger: context.logger)
        var items: [StaffMember] = []
        for try await (id, name, email, role, departmentCode) in rows.decode((UUID, String, String, String, String?).self) {
            items.append(StaffMember(id: id, name: name, email: email, role: role, departmentCode: departmentCode))
        }
        return ItemList(items: items)
    }
}
