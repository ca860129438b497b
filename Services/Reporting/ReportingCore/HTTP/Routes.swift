import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

/// The reporting service's errors as problem+json.
enum ReportingError: Error, ProblemConvertible {
    case invalid(String)
    case notFound(String)

    var problem: ProblemDetails {
        switch self {
        case .invalid(let detail): ProblemDetails(title: "Unprocessable", status: 422, detail: detail)
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        }
    }
}

struct ReportingContext: Sendable {
    let postgres: PostgresClient
    let funnel: FunnelProjection
}

/// The routes as `ServiceHarness` mounts them in tests: a funnel of their own, brought up to date
/// from the event log on every read.
public func addReportingRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    addReportingRoutes(api, ReportingContext(postgres: platform.postgres, funnel: FunnelProjection()))
}

func addReportingRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: ReportingContext) {
    let postgres = context.postgres
    let funnel = context.funnel

    // The funnel: inquiries → leads → qualified → converted → deals by stage → closed / lost, with
    // conversion rates; filtered by period, department, manager and channel, as of any instant.
    api.get("funnel") { request, ctx -> Response in
        let query = try funnelQuery(request)
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        return try json(await funnel.report(query), status: .ok)
    }

    // The ids behind one figure of the funnel (`step`: inquiries, leads, qualified, converted,
    // deals, closed, lost, or stage:<name>).
    api.get("funnel/drill-down") { request, ctx -> Response in
        let query = try funnelQuery(request)
        guard let step = request.uri.queryParameters["step"].map(String.init), !step.isEmpty else {
            throw ReportingError.invalid("step is one of inquiries, leads, qualified, converted, deals, closed, lost, stage:<name>")
        }
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        struct Ids: Codable { var step: String; var ids: [UUID] }
        return try json(Ids(step: step, ids: await funnel.drillDown(query, step: step)), status: .ok)
    }

    api.get("projections") { _, ctx -> Response in
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        struct Projections: Codable { var items: [FunnelProjection.Status] }
        return try json(Projections(items: [await funnel.status]), status: .ok)
    }

    // Replays the whole event log into a fresh model: the same events give the same figures.
    api.post("projections/:name/rebuild") { _, ctx -> Response in
        let name = ctx.parameters.get("name") ?? ""
        guard name == "funnel" else { throw ReportingError.notFound("no projection \(name); there is: funnel") }
        let started = Date()
        let (events, report) = try await funnel.rebuild(client: postgres, logger: ctx.logger)
        struct Rebuilt: Codable { var name: String; var events: Int; var seconds: Double; var report: FunnelReport }
        return try json(Rebuilt(name: name, events: events, seconds: Date().timeIntervalSince(started), report: report), status: .ok)
    }
}

/// `from`, `to`, `asOf` (ISO 8601 instants, or dates meaning midnight UTC), `department`,
/// `manager`, `channel`.
func funnelQuery(_ request: Request) throws -> FunnelQuery {
    let parameters = request.uri.queryParameters
    func text(_ name: String) -> String? { parameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
    func instant(_ name: String) throws -> Date? {
        guard let value = text(name) else { return nil }
        if let date = Timestamp.parse(value) { return date }
        if value.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil, let date = Timestamp.parse(value + "T00:00:00Z") { return date }
        throw ReportingError.invalid("\(name) is an ISO 8601 instant or date (2026-11-30 or 2026-11-30T12:00:00Z), not \(value)")
    }
    let manager = try text("manager").map { value -> UUID in
        guard let id = UUID(uuidString: value) else { throw ReportingError.invalid("manager is a staff id") }
        return id
    }
    return FunnelQuery(
        from: try instant("from"), to: try instant("to"), asOf: try instant("asOf"), department: text("department"), manager: manager,
        channel: text("channel"))
}
