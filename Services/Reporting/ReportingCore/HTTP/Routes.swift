import Contracts
import Foundation
import Hummingbird
import NIOCore
import PostgresNIO
import ServiceKit

/// The reporting service's errors as problem+json.
enum ReportingError: Error, ProblemConvertible {
    case invalid(String)
    case notFound(String)
    case upstream(String)

    var problem: ProblemDetails {
        switch self {
        case .invalid(let detail): ProblemDetails(title: "Unprocessable", status: 422, detail: detail)
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .upstream(let detail): ProblemDetails(title: "Bad Gateway", status: 502, detail: detail)
        }
    }
}

struct ReportingContext: Sendable {
    let postgres: PostgresClient
    let funnel: FunnelProjection
    let deals: DealsClient
}

extension ReportingContext {
    init(platform: ServicePlatform) {
        let environment = platform.configuration.environment
        self.init(
            postgres: platform.postgres, funnel: FunnelProjection(),
            deals: DealsClient(
                baseURL: environment["DMS_DEALS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8083",
                token: platform.configuration.serviceToken))
    }
}

/// The routes as `ServiceHarness` mounts them in tests: a funnel of their own, brought up to date
/// from the event log on every read.
public func addReportingRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    addReportingRoutes(api, ReportingContext(platform: platform))
}

func addReportingRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: ReportingContext) {
    let postgres = context.postgres
    let funnel = context.funnel
    addExportRoutes(api, context)
    addCallListTaskRoute(api, postgres, context.deals)

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

    // Timeliness: time to triage and to first contact, SLA breaches, overdue tasks, per manager,
    // and time spent per deal stage; "as of" defaults to now. `?figure=` lists the ids behind one
    // figure instead (triage, firstContact, breaches:triage, breaches:response, overdueTasks, stage:<name>).
    api.get("timeliness") { request, ctx -> Response in
        let funnelFilter = try funnelQuery(request)
        let query = TimelinessQuery(
            from: funnelFilter.from, to: funnelFilter.to, asOf: funnelFilter.asOf ?? Date(), department: funnelFilter.department,
            manager: funnelFilter.manager)
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        if let figure = request.uri.queryParameters["figure"].map(String.init) {
            struct Ids: Codable { var figure: String; var ids: [UUID] }
            return try json(Ids(figure: figure, ids: await funnel.timelinessDrillDown(query, figure: figure)), status: .ok)
        }
        return try json(await funnel.timeliness(query), status: .ok)
    }

    // Sales and plans: ordered, cancelled, shipped and paid per currency and month; per dealer and
    // month its shops' retail sales against the revenue target dealer-info published; publication
    // acknowledgement lag per dealer. `?figure=` lists the ids behind one figure instead.
    api.get("sales") { request, ctx -> Response in
        let filter = try funnelQuery(request)
        let parameters = request.uri.queryParameters
        let query = SalesQuery(
            from: filter.from, to: filter.to, asOf: filter.asOf, currency: parameters["currency"].map(String.init),
            dealer: parameters["dealer"].map(String.init))
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        if let figure = parameters["figure"].map(String.init) {
            struct Ids: Codable { var figure: String; var ids: [String] }
            return try json(Ids(figure: figure, ids: await funnel.salesDrillDown(query, figure: figure)), status: .ok)
        }
        return try json(await funnel.sales(query), status: .ok)
    }

    // Stock and network: on hand, reserved and available per product (and warehouse), lots
    // expiring, shops' anomalies, and ABC turnover classes of products and shops.
    api.get("stock-network") { request, ctx -> Response in
        let filter = try funnelQuery(request)
        let parameters = request.uri.queryParameters
        let days = try parameters["expiringWithinDays"].map { value -> Int in
            guard let days = Int(value), (0...3650).contains(days) else { throw ReportingError.invalid("expiringWithinDays is 0 to 3650") }
            return days
        } ?? 30
        let query = StockNetworkQuery(
            from: filter.from, to: filter.to, asOf: filter.asOf, expiringWithinDays: days, warehouse: parameters["warehouse"].map(String.init),
            dealer: parameters["dealer"].map(String.init))
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        if let figure = parameters["figure"].map(String.init) {
            struct Ids: Codable { var figure: String; var ids: [String] }
            return try json(Ids(figure: figure, ids: await funnel.stockNetworkDrillDown(query, figure: figure)), status: .ok)
        }
        return try json(await funnel.stockNetwork(query), status: .ok)
    }

    // The events behind a figure: everything the log holds about one lead, deal, contact or
    // inquiry (events are keyed by the entity they are about), oldest first.
    api.get("events") { request, ctx -> Response in
        guard let key = request.uri.queryParameters["key"].map(String.init), !key.isEmpty else {
            throw ReportingError.invalid("key is the id of a lead, deal, contact, order or inquiry (as drill-down returns them)")
        }
        let rows = try await postgres.query(
            """
            SELECT envelope::text FROM consumed_events
            WHERE envelope->>'key' = \(key.lowercased()) OR envelope->>'key' = \(key.uppercased())
            ORDER BY occurred_at, position LIMIT 1000
            """, logger: ctx.logger)
        var items: [JSONPayload] = []
        for try await text in rows.decode(String.self) { items.append(try JSONDecoder().decode(JSONPayload.self, from: Data(text.utf8))) }
        struct Events: Codable { var key: String; var items: [JSONPayload] }
        return try json(Events(key: key, items: items), status: .ok)
    }

    api.get("projections") { _, ctx -> Response in
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        struct Projections: Codable { var items: [FunnelProjection.Status] }
        return try json(Projections(items: await funnel.statuses), status: .ok)
    }

    // Replays the whole event log into fresh models (the read models share one log position, so
    // rebuilding one rebuilds them all): the same events give the same figures.
    api.post("projections/:name/rebuild") { _, ctx -> Response in
        let name = ctx.parameters.get("name") ?? ""
        guard FunnelProjection.names.contains(name) else {
            throw ReportingError.notFound("no projection \(name); there are: \(FunnelProjection.names.joined(separator: ", "))")
        }
        let started = Date()
        let (events, report) = try await funnel.rebuild(client: postgres, logger: ctx.logger)
        struct Rebuilt: Codable { var name: String; var events: Int; var seconds: Double; var report: FunnelReport }
        return try json(Rebuilt(name: name, events: events, seconds: Date().timeIntervalSince(started), report: report), status: .ok)
    }
}

// MARK: Marketing exports

/// Exports as recorded: what was taken when, and what was left out.
struct ExportRecord: Codable, Sendable {
    var id: UUID
    var kind: String
    var segment: String
    var takenAt: Date
    var sinceExport: UUID?
    var rows: Int
    var skipped: [MailchimpExport.Skipped]
}

func addExportRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: ReportingContext) {
    let postgres = context.postgres
    let models = context.funnel

    @Sendable func segment(_ request: Request) throws -> AudienceSegment {
        let text = request.uri.queryParameters["segment"].map(String.init) ?? "consent"
        guard let segment = AudienceSegment(rawValue: text) else {
            throw ReportingError.invalid("segment is all, consent, manager:<staff id> or company:<name>, not \(text)")
        }
        return segment
    }

    // A CSV Mailchimp imports as is; `since=<export id>` gives only the contacts changed since that
    // export. Left-out addresses are listed in the export's record (`GET /v1/exports/{id}`).
    api.get("exports/mailchimp") { request, ctx -> Response in
        let segment = try segment(request)
        let tags = request.uri.queryParameters["tags"].map { $0.split(separator: ",").map(String.init) } ?? []
        var since: (id: UUID, at: Date)?
        if let text = request.uri.queryParameters["since"].map(String.init) {
            guard let id = UUID(uuidString: text),
                let at = try await postgres.query("SELECT taken_at FROM exports WHERE id = \(id) AND kind = 'mailchimp'", logger: ctx.logger)
                    .collect().first?.decode(Date.self)
            else { throw ReportingError.notFound("no Mailchimp export \(text) to start from") }
            since = (id, at)
        }
        try await models.catchUp(client: postgres, logger: ctx.logger)
        let takenAt = Date()
        let contacts = await models.contacts(segment)
        let export = since.map { MailchimpExport.export(contacts, tags: tags, changedSince: $0.at) } ?? MailchimpExport.export(contacts, tags: tags)
        let id = UUID()
        let skipped = String(decoding: try JSONEncoder().encode(export.skipped), as: UTF8.self)
        try await postgres.query(
            """
            INSERT INTO exports (id, kind, segment, taken_at, since_export, rows, skipped)
            VALUES (\(id), 'mailchimp', \(segment.rawValue), \(takenAt), \(since?.id), \(export.rows), \(skipped)::jsonb)
            """, logger: ctx.logger)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"mailchimp-\(id.uuidString.lowercased()).csv\"",
                .init("DMS-Export-Id")!: id.uuidString.lowercased(), .init("DMS-Export-Skipped")!: String(export.skipped.count),
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(export.data))))
    }

    // A telemarketing list as CSV (default) or XLSX (`format=xlsx`).
    api.get("exports/call-list") { request, ctx -> Response in
        let segment = try segment(request)
        let format = request.uri.queryParameters["format"].map(String.init) ?? "csv"
        guard format == "csv" || format == "xlsx" else { throw ReportingError.invalid("format is csv or xlsx") }
        try await models.catchUp(client: postgres, logger: ctx.logger)
        let list = CallList(await models.contacts(segment))
        let id = UUID()
        let entries = String(decoding: try JSONEncoder().encode(list.rows.map {
            CallListEntry(contactId: $0.contactId, contact: $0.contact, company: $0.company, phones: $0.phones, managerId: $0.managerId)
        }), as: UTF8.self)
        try await postgres.query(
            """
            INSERT INTO exports (id, kind, segment, taken_at, rows, skipped, entries)
            VALUES (\(id), 'call_list', \(segment.rawValue), \(Date()), \(list.rows.count), '[]'::jsonb, \(entries)::jsonb)
            """, logger: ctx.logger)
        let bytes = format == "xlsx" ? try list.xlsx() : list.csvData
        let type = format == "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8"
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .contentDisposition: "attachment; filename=\"call-list-\(id.uuidString.lowercased()).\(format)\"",
                .init("DMS-Export-Id")!: id.uuidString.lowercased(),
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
    }

    api.get("exports/:id") { _, ctx -> Response in
        guard let id = ctx.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw ReportingError.notFound("no such export") }
        let rows = try await postgres.query(
            "SELECT kind, segment, taken_at, since_export, rows, skipped::text FROM exports WHERE id = \(id)", logger: ctx.logger)
        for try await (kind, segment, taken, since, count, skipped) in rows.decode((String, String, Date, UUID?, Int, String).self) {
            let list = try JSONDecoder().decode([MailchimpExport.Skipped].self, from: Data(skipped.utf8))
            return try json(ExportRecord(id: id, kind: kind, segment: segment, takenAt: taken, sinceExport: since, rows: count, skipped: list), status: .ok)
        }
        throw ReportingError.notFound("no export \(id)")
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
        channel: text("channel"), equipmentType: text("equipmentType"))
}
