import Contracts
import Foundation
import Hummingbird
import Messaging
import PostgresNIO
import ServiceKit

/// A reason a customer may refuse a deal.
struct LossReason: ResponseCodable, Equatable {
    var code: String
    var title: String
    var createsQualityTask: Bool
}

struct LossReasonList: ResponseCodable {
    var items: [LossReason]
}

struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
    var nextCursor: String?
}

/// A deal as the API shows it: the deal, where it can go next, and what to do at this stage.
struct DealView: Codable, Sendable {
    var deal: Deal
    var total: Money?
    /// Payments so far, as money (a decimal string on the wire).
    var paid: Money
    var probability: Int
    var nextStages: [DealStage]
    var guidance: Guidance?

    struct Guidance: Codable, Sendable {
        var language: String
        var checklist: [String]
        var nextSteps: [String]
    }
}

/// The body of `POST /v1/deals` and `PATCH /v1/deals/{id}`.
struct DealBody: Decodable {
    var needs: String?
    var legalEntity: LegalEntity?
    var contacts: [DealContact]?
    var parameters: DealParameters?
    var lines: [LineBody]?
    var currency: String?
    var managerId: UUID?
    var departmentCode: String?

    struct LineBody: Decodable {
        var id: UUID?
        var sku: String
        var name: String
        var equipmentType: String?
        var quantity: Decimal
        var unitPrice: Money?
        var discountPercent: Decimal?
    }

    /// The lines, each quantity and price checked against what the deal's columns hold (422 naming
    /// the line's field beyond it).
    var dealLines: [DealLine]? {
        get throws {
            for (index, line) in (lines ?? []).enumerated() {
                try DecimalLimit.check(line.quantity, "lines[\(index)].quantity", below: DecimalLimit.quantity)
                if let price = line.unitPrice {
                    guard price.currency.utf8.count == 3, price.currency.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
                        throw DealsError.invalidFields(["lines[\(index)].unitPrice.currency": "an ISO 4217 code: three capital letters, e.g. RUB"])
                    }
                    try DecimalLimit.check(price.amount, "lines[\(index)].unitPrice.amount", below: DecimalLimit.money)
                    try DecimalLimit.check(price.amount * line.quantity, "lines[\(index)]", below: DecimalLimit.money)
                }
                if let discount = line.discountPercent { try DecimalLimit.check(discount, "lines[\(index)].discountPercent", below: 1000) }
            }
            return lines?.map {
            DealLine(id: $0.id ?? UUID(), sku: $0.sku, name: $0.name, equipmentType: $0.equipmentType, quantity: $0.quantity,
                     unitPrice: $0.unitPrice, discountPercent: $0.discountPercent ?? 0)
            }
        }
    }
}

struct StageBody: Decodable { var to: DealStage }
/// The optional body of a step: the certificate's or the act's number and issuer.
struct StepBody: Decodable { var document: StepDocument? }

/// One line of the buyer order as inventory reports it. Quantities are decimal strings; `waiting`
/// is what is neither reserved, being made, on order nor shipped (waiting for stock).
struct FulfilmentLine: Codable, Sendable {
    var lineId: UUID
    var sku: String
    var quantity: String
    var reserved: String
    var inProduction: String
    var readiness: Int?
    var expectedOn: String?
    var onOrder: String
    var received: String
    var shipped: String
    var waiting: String
    var routed: Bool

    var state: String {
        let dec = { (text: String) in Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0 }
        if dec(shipped) >= dec(quantity) { return "shipped" }
        if dec(reserved) + dec(shipped) >= dec(quantity) { return "reserved" }
        if dec(inProduction) > 0 { return "in_production" }
        if dec(onOrder) > 0 { return "ordered_from_supplier" }
        return routed ? "waiting_for_stock" : "not_routed_yet"
    }

    enum CodingKeys: String, CodingKey {
        case lineId, sku, quantity, reserved, inProduction, readiness, expectedOn, onOrder, received, shipped, waiting, routed, state
    }

    init(lineId: UUID, sku: String, quantity: String, reserved: String, inProduction: String, readiness: Int?, expectedOn: String?,
         onOrder: String, received: String, shipped: String, waiting: String, routed: Bool) {
        self.lineId = lineId
        self.sku = sku
        self.quantity = quantity
        self.reserved = reserved
        self.inProduction = inProduction
        self.readiness = readiness
        self.expectedOn = expectedOn
        self.onOrder = onOrder
        self.received = received
        self.shipped = shipped
        self.waiting = waiting
        self.routed = routed
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            lineId: try c.decode(UUID.self, forKey: .lineId), sku: try c.decode(String.self, forKey: .sku),
            quantity: try c.decode(String.self, forKey: .quantity), reserved: try c.decode(String.self, forKey: .reserved),
            inProduction: try c.decode(String.self, forKey: .inProduction), readiness: try c.decodeIfPresent(Int.self, forKey: .readiness),
            expectedOn: try c.decodeIfPresent(String.self, forKey: .expectedOn), onOrder: try c.decode(String.self, forKey: .onOrder),
            received: try c.decode(String.self, forKey: .received), shipped: try c.decode(String.self, forKey: .shipped),
            waiting: try c.decode(String.self, forKey: .waiting), routed: try c.decode(Bool.self, forKey: .routed))
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lineId, forKey: .lineId)
        try c.encode(sku, forKey: .sku)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(reserved, forKey: .reserved)
        try c.encode(inProduction, forKey: .inProduction)
        try c.encodeIfPresent(readiness, forKey: .readiness)
        try c.encodeIfPresent(expectedOn, forKey: .expectedOn)
        try c.encode(onOrder, forKey: .onOrder)
        try c.encode(received, forKey: .received)
        try c.encode(shipped, forKey: .shipped)
        try c.encode(waiting, forKey: .waiting)
        try c.encode(routed, forKey: .routed)
        try c.encode(state, forKey: .state)
    }
}
struct LoseBody: Decodable { var reason: String; var comment: String? }
struct PaymentBody: Decodable { var amount: Money; var reference: String; var date: String }
struct TaskBody: Decodable { var kind: String; var dealId: UUID?; var assigneeId: UUID; var title: String?; var dueAt: Date? }
struct CompleteBody: Decodable { var outcome: String }

struct DealsContext: Sendable {
    let postgres: PostgresClient
    let deals: DealStore
    /// Nil when the offer template could not be loaded (the offer routes then answer 503).
    let offers: OfferStore?
}

struct OfferBody: Decodable {
    var language: OfferLanguage?
    var validDays: Int?
    var terms: String?
}

public func addDealsRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    addDealsRoutes(api, DealsContext(platform: platform))
}

extension DealsContext {
    init(platform: ServicePlatform) {
        let deals = DealStore(defaultCurrency: DealsSettings.currency(platform))
        let printer = PDFPrinter(command: platform.configuration.environment["DMS_DEALS_PDF_COMMAND"].flatMap { $0.isEmpty ? nil : $0 } ?? "weasyprint")
        self.init(
            postgres: platform.postgres, deals: deals,
            offers: (try? OfferStore.loadTemplate()).map { OfferStore(deals: deals, template: $0, printer: printer) })
    }
}

enum DealsSettings {
    /// `DMS_DEALS_DEFAULT_CURRENCY` (default RUB): the currency of deals opened from leads.
    static func currency(_ platform: ServicePlatform) -> String {
        platform.configuration.environment["DMS_DEALS_DEFAULT_CURRENCY"].flatMap { $0.isEmpty ? nil : $0.uppercased() } ?? "RUB"
    }

    /// Refuses a currency that is not an ISO 4217 code at start-up, rather than dead-lettering
    /// every converted lead later.
    static func validate(_ platform: ServicePlatform) throws {
        let code = currency(platform)
        guard code.wholeMatch(of: /[A-Z]{3}/) != nil else {
            throw ConfigurationError(service: .deals, problems: ["DMS_DEALS_DEFAULT_CURRENCY must be an ISO 4217 code such as RUB, not \(code)"])
        }
    }
}

func addDealsRoutes(_ api: RouterGroup<BasicRequestContext>, _ context: DealsContext) {
    let postgres = context.postgres
    let store = context.deals

    api.get("loss-reasons") { _, request in
        let rows = try await postgres.query(
            "SELECT code, title, creates_quality_task FROM loss_reasons ORDER BY code", logger: request.logger)
        var items: [LossReason] = []
        for try await (code, title, task) in rows.decode((String, String, Bool).self) {
            items.append(LossReason(code: code, title: title, createsQualityTask: task))
        }
        return LossReasonList(items: items)
    }

    api.post("deals") { request, ctx -> Response in
        let body = try await request.decode(as: DealBody.self, context: ctx)
        let draft = DealDraft(
            needs: body.needs, legalEntity: body.legalEntity, contacts: body.contacts ?? [],
            parameters: body.parameters ?? DealParameters(applicationArea: nil, materials: []), lines: try body.dealLines ?? [],
            currency: body.currency ?? store.defaultCurrency, managerId: body.managerId, departmentCode: body.departmentCode)
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.open(draft, leadID: nil, correlationID: nil, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .created)
    }

    api.get("deals/:id") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard let deal = try await DealStore.load(id, client: postgres, logger: ctx.logger) else { throw DealsError.notFound("no deal \(id)") }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.get("deals") { request, ctx -> Response in
        let query = request.uri.queryParameters
        func text(_ name: String) -> String? { query[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let stage = text("stage")
        if let stage, DealStage(rawValue: stage) == nil { throw DealsError.invalidBody("stage is one of \(DealStage.allCases.map(\.rawValue))") }
        let manager = try text("manager").map { value -> UUID in
            guard let id = UUID(uuidString: value) else { throw DealsError.invalidBody("manager is a staff id") }
            return id
        }
        func amount(_ name: String) throws -> Decimal? {
            guard let value = text(name) else { return nil }
            guard value.wholeMatch(of: /-?\d+(\.\d+)?/) != nil, let amount = Decimal(string: value) else {
                throw DealsError.invalidBody("\(name) is a decimal amount, e.g. 100000.00")
            }
            return amount
        }
        let minTotal = try amount("minTotal")
        let maxTotal = try amount("maxTotal")
        let limit = min(max(text("limit").flatMap(Int.init) ?? 50, 1), 500)
        let after = try text("cursor").map { value -> UUID in
            guard let id = UUID(uuidString: value) else { throw DealsError.invalidBody("cursor is not one this service issued") }
            return id
        }
        let rows = try await postgres.query(
            """
            SELECT record::text FROM deals
            WHERE (\(stage)::text IS NULL OR stage = \(stage))
              AND (\(manager)::uuid IS NULL OR manager_id = \(manager))
              AND (\(text("department"))::text IS NULL OR department_code = \(text("department")))
              AND (\(text("equipmentType"))::text IS NULL OR \(text("equipmentType")) = ANY(equipment_types))
              AND (\(minTotal)::numeric IS NULL OR total >= \(minTotal))
              AND (\(maxTotal)::numeric IS NULL OR total <= \(maxTotal))
              AND (\(after)::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM deals WHERE id = \(after)))
            ORDER BY created_at, id LIMIT \(limit + 1)
            """, logger: ctx.logger)
        var deals: [Deal] = []
        for try await record in rows.decode(String.self) { deals.append(try DealStore.decode(record)) }
        var next: String?
        if deals.count > limit {
            deals.removeLast()
            next = deals.last?.id.uuidString.lowercased()
        }
        return try json(ItemList(items: deals, nextCursor: next), status: .ok)
    }

    api.patch("deals/:id") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: DealBody.self, context: ctx)
        let expected = try ifMatch(request)
        let changes = DealStore.Changes(
            needs: body.needs, legalEntity: body.legalEntity, contacts: body.contacts, parameters: body.parameters, lines: try body.dealLines,
            currency: body.currency)
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.update(id, changes, expectedVersion: expected, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/stage") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: StageBody.self, context: ctx)
        let expected = try ifMatch(request)
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.apply(.advance(to: body.to), to: id, expectedVersion: expected, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/lose") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: LoseBody.self, context: ctx)
        let expected = try ifMatch(request)
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.apply(
                .lose(reason: body.reason, comment: body.comment), to: id, expectedVersion: expected, by: actor(request), on: connection,
                logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/order") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let expected = try ifMatch(request)
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.placeOrder(id, expectedVersion: expected, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/steps/:step") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard let step = ctx.parameters.get("step").flatMap(DealStep.init(rawValue:)) else {
            throw DealsError.notFound("steps are shipped, certified and commissioned")
        }
        let expected = try ifMatch(request)
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let document = buffer.readableBytes == 0 ? nil : try JSONDecoder().decode(StepBody.self, from: buffer).document
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.record(step, for: id, expectedVersion: expected, document: document, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/payments") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: PaymentBody.self, context: ctx)
        guard body.amount.amount > 0 else { throw DealsError.unprocessable("a payment's amount is positive") }
        guard !body.reference.trimmingCharacters(in: .whitespaces).isEmpty else { throw DealsError.unprocessable("reference is required") }
        guard body.date.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil, Timestamp.parse(body.date + "T00:00:00Z") != nil else {
            throw DealsError.unprocessable("date is a calendar date, YYYY-MM-DD")
        }
        let deal = try await transaction(postgres, ctx) { connection in
            try await store.pay(id, amount: body.amount, reference: body.reference, paidOn: body.date, by: actor(request), on: connection,
                                logger: ctx.logger)
        }
        return try await view(deal, request: request, postgres: postgres, ctx: ctx, status: .ok)
    }

    api.post("deals/:id/offers") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard let offers = context.offers else { throw DealsError.unavailable("the offer template is missing from this build") }
        let body = try await request.decode(as: OfferBody.self, context: ctx)
        let validDays = body.validDays ?? 30
        guard (1...365).contains(validDays) else { throw DealsError.unprocessable("validDays is 1…365") }
        let issued = try await offers.issue(
            for: id, language: body.language ?? .en, validDays: validDays, terms: body.terms, expectedVersion: try ifMatch(request),
            by: actor(request), client: postgres, logger: ctx.logger)
        return try json(issued, status: .created)
    }

    api.get("deals/:id/offers") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        return try json(ItemList(items: try await OfferStore.list(dealID: id, client: postgres, logger: ctx.logger)), status: .ok)
    }

    api.get("deals/:id/offers/:number") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let number = ctx.parameters.get("number") ?? ""
        let html = request.uri.queryParameters["format"] == "html"
        guard let bytes = try await OfferStore.document(dealID: id, number: number, html: html, client: postgres, logger: ctx.logger) else {
            throw DealsError.notFound("no offer \(number) for deal \(id)")
        }
        var headers: HTTPFields = [.contentType: html ? "text/html; charset=utf-8" : "application/pdf"]
        if !html { headers[.contentDisposition] = "inline; filename=\"\(number).pdf\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // Every document of the sale linked to the deal, with where to fetch it: offers, the buyer
    // order, the contract and invoice, inventory's warehouse / production / supplier orders and
    // shipment notes, certificates and acts, the service contract.
    api.get("deals/:id/documents") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard try await DealStore.load(id, client: postgres, logger: ctx.logger) != nil else { throw DealsError.notFound("no deal \(id)") }
        struct Document: Codable { var kind: String; var number: String; var date: Date; var href: String?; var amount: Money?; var issuedBy: String? }
        var items: [Document] = []
        for offer in try await OfferStore.list(dealID: id, client: postgres, logger: ctx.logger) {
            items.append(Document(kind: "offer", number: offer.number, date: offer.createdAt, href: offer.pdf))
        }
        let orders = try await postgres.query(
            "SELECT id, placed_at, state FROM buyer_orders WHERE deal_id = \(id)", logger: ctx.logger)
        for try await (order, placed, state) in orders.decode((UUID, Date, String).self) {
            items.append(Document(
                kind: state == "cancelled" ? "buyer_order_cancelled" : "buyer_order",
                number: "BO-" + order.uuidString.prefix(8).lowercased(), date: placed, href: "/v1/deals/\(id.uuidString.lowercased())/fulfilment"))
        }
        let linked = try await postgres.query(
            "SELECT number, kind, issued_at, href, amount::text, currency, issued_by FROM deal_documents WHERE deal_id = \(id)", logger: ctx.logger)
        for try await (number, kind, issued, href, amount, currency, issuer) in linked.decode((String, String, Date, String?, String?, String?, String?).self) {
            let money = amount.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }.flatMap { value in currency.map { Money(value, $0) } }
            items.append(Document(kind: kind, number: number, date: issued, href: href, amount: money, issuedBy: issuer))
        }
        return try json(ItemList(items: items.sorted { ($0.date, $0.number) < ($1.date, $1.number) }), status: .ok)
    }

    // A document the deals service issued (contract, invoice, service contract).
    api.get("deals/:id/documents/:number") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        let number = ctx.parameters.get("number") ?? ""
        struct Issued: Codable { var number: String; var kind: String; var issuedAt: Date; var amount: Money?; var deal: Deal }
        guard let deal = try await DealStore.load(id, client: postgres, logger: ctx.logger) else { throw DealsError.notFound("no deal \(id)") }
        let rows = try await postgres.query(
            "SELECT kind, issued_at, amount::text, currency FROM deal_documents WHERE deal_id = \(id) AND number = \(number)", logger: ctx.logger)
        for try await (kind, issued, amount, currency) in rows.decode((String, Date, String?, String?).self) {
            let money = amount.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }.flatMap { value in currency.map { Money(value, $0) } }
            return try json(Issued(number: number, kind: kind, issuedAt: issued, amount: money, deal: deal), status: .ok)
        }
        throw DealsError.notFound("no document \(number) for deal \(id)")
    }

    // Where each line of the buyer order stands, as inventory reports it.
    api.get("deals/:id/fulfilment") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        guard try await DealStore.load(id, client: postgres, logger: ctx.logger) != nil else { throw DealsError.notFound("no deal \(id)") }
        let rows = try await postgres.query(
            """
            SELECT line_id, sku, quantity::text, reserved::text, in_production::text, readiness, expected_on::text, on_order::text,
                received::text, shipped::text, greatest(quantity - reserved - in_production - on_order - shipped, 0)::text, routed_at
            FROM order_fulfilment WHERE deal_id = \(id) ORDER BY position
            """, logger: ctx.logger)
        var items: [FulfilmentLine] = []
        for try await row in rows.decode((UUID, String, String, String, String, Int?, String?, String, String, String, String, Date?).self) {
            items.append(FulfilmentLine(
                lineId: row.0, sku: row.1, quantity: row.2, reserved: row.3, inProduction: row.4, readiness: row.5, expectedOn: row.6,
                onOrder: row.7, received: row.8, shipped: row.9, waiting: row.10, routed: row.11 != nil))
        }
        return try json(ItemList(items: items), status: .ok)
    }

    // What a manager should do next: open tasks by due time, then open deals by how long they
    // have waited.
    api.get("managers/:id/agenda") { _, ctx -> Response in
        let manager = try uuid(ctx, "id")
        struct Agenda: Codable { var tasks: [DealTask]; var deals: [Entry] }
        struct Entry: Codable { var dealId: UUID; var customer: String; var stage: String; var total: Money?; var waitingSince: Date }
        var tasks: [DealTask] = []
        for try await row in try await postgres.query(
            """
            SELECT id, deal_id, kind, assignee_id, title, due_at, outcome, created_at, completed_at FROM tasks
            WHERE assignee_id = \(manager) AND completed_at IS NULL ORDER BY due_at NULLS LAST, created_at LIMIT 200
            """, logger: ctx.logger)
        {
            tasks.append(try DealTask.decode(row))
        }
        var deals: [Entry] = []
        for try await (id, customer, stage, total, currency, updated) in try await postgres.query(
            """
            SELECT id, counterparty_name, stage, total, currency, updated_at FROM deals
            WHERE manager_id = \(manager) AND stage NOT IN ('closed', 'lost') ORDER BY updated_at LIMIT 200
            """, logger: ctx.logger
        ).decode((UUID, String, String, Decimal?, String, Date).self) {
            deals.append(Entry(dealId: id, customer: customer, stage: stage, total: total.map { Money($0, currency) }, waitingSince: updated))
        }
        return try json(Agenda(tasks: tasks, deals: deals), status: .ok)
    }

    api.get("deals/:id/history") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        struct Change: Codable { var from: String; var to: String; var changedBy: UUID?; var changedAt: Date }
        let rows = try await postgres.query(
            "SELECT from_stage, to_stage, changed_by, changed_at FROM deal_stage_history WHERE deal_id = \(id) ORDER BY id",
            logger: ctx.logger)
        var items: [Change] = []
        for try await (from, to, by, at) in rows.decode((String, String, UUID?, Date).self) {
            items.append(Change(from: from, to: to, changedBy: by, changedAt: at))
        }
        return try json(ItemList(items: items), status: .ok)
    }

    api.get("deals/:id/tasks") { _, ctx -> Response in
        let id = try uuid(ctx, "id")
        let rows = try await postgres.query(
            "SELECT id, deal_id, kind, assignee_id, title, due_at, outcome, created_at, completed_at FROM tasks WHERE deal_id = \(id) ORDER BY created_at, id",
            logger: ctx.logger)
        var items: [DealTask] = []
        for try await row in rows { items.append(try DealTask.decode(row)) }
        return try json(ItemList(items: items), status: .ok)
    }

    api.post("tasks") { request, ctx -> Response in
        let body = try await request.decode(as: TaskBody.self, context: ctx)
        guard body.kind.wholeMatch(of: /[a-z][a-z0-9_]*/) != nil else { throw DealsError.unprocessable("kind is lower_snake_case, e.g. call_client") }
        let id = UUID()
        let task = try await transaction(postgres, ctx) { connection -> (DealTask, [OutboxEvent]) in
            try await connection.query(
                """
                INSERT INTO tasks (id, deal_id, kind, assignee_id, title, due_at) VALUES (\(id), \(body.dealId), \(body.kind), \(body.assigneeId),
                    \(body.title), \(body.dueAt))
                """, logger: ctx.logger)
            let task = try await DealTask.load(id, on: connection, logger: ctx.logger)!
            let envelope = try EventEnvelope(
                occurredAt: Date(), source: ServiceName.deals.rawValue, key: (body.dealId ?? id).uuidString.lowercased(),
                correlationId: body.dealId ?? id,
                payload: TaskCreated(taskId: id, dealId: body.dealId, kind: body.kind, assigneeId: body.assigneeId, dueAt: body.dueAt))
            return (task, [OutboxEvent(topic: Topic.dealsEvents, envelope: envelope)])
        }
        return try json(task, status: .created)
    }

    api.post("tasks/:id/complete") { request, ctx -> Response in
        let id = try uuid(ctx, "id")
        let body = try await request.decode(as: CompleteBody.self, context: ctx)
        let task = try await transaction(postgres, ctx) { connection in
            try await store.completeTask(id, outcome: body.outcome, by: actor(request), on: connection, logger: ctx.logger)
        }
        return try json(task, status: .ok)
    }
}

/// The deal with its total, probability, next stages and the guidance of its stage in the
/// language asked for (`?lang=`, then `Accept-Language`, then English).
func view(_ deal: Deal, request: Request, postgres: PostgresClient, ctx: BasicRequestContext, status: HTTPResponse.Status) async throws -> Response {
    let language = request.uri.queryParameters["lang"].map(String.init)
        ?? request.headers[.acceptLanguage].map { String($0.prefix(2)).lowercased() } ?? "en"
    // The stage's guidance and the sales rules (for the next stages) in one round trip.
    let rows = try await postgres.query(
        """
        SELECT g.language, g.checklist, g.next_steps, \(unescaped: DealStore.rulesColumns)
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
            SELECT language, checklist, next_steps FROM stage_guidance WHERE stage = \(deal.stage.rawValue)
            ORDER BY (language = \(language)) DESC, (language = 'en') DESC LIMIT 1
        ) AS g ON true
        """, logger: ctx.logger)
    var guidance: DealView.Guidance?
    var rules = SalesRules(certificationTypes: [], lossReasons: [:])
    for try await (lang, checklist, steps, types, codes, quality) in rows.decode(
        (String?, [String]?, [String]?, [String], [String], [Bool]).self)
    {
        if let lang { guidance = DealView.Guidance(language: lang, checklist: checklist ?? [], nextSteps: steps ?? []) }
        rules = DealStore.rules(certificationTypes: types, lossCodes: codes, qualityTasks: quality)
    }
    let body = DealView(
        deal: deal, total: deal.total, paid: Money(deal.paid, deal.currency), probability: deal.stage.probability, nextStages: DealLifecycle.nextStages(of: deal, rules: rules),
        guidance: guidance)
    var response = try json(body, status: status)
    response.headers[.eTag] = "\"\(deal.version)\""
    return response
}

func uuid(_ ctx: BasicRequestContext, _ name: String) throws -> UUID {
    guard let id = ctx.parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw DealsError.notFound("\(ctx.parameters.get(name) ?? "") is not an id") }
    return id
}

func ifMatch(_ request: Request) throws -> Int? {
    guard let value = request.headers[.ifMatch] else { return nil }
    guard let version = Int(value.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))) else {
        throw DealsError.invalidBody("If-Match carries the version from the ETag, e.g. \"3\"")
    }
    return version
}

func actor(_ request: Request) -> DealActor {
    DealActor(staffID: request.headers[.init("DMS-Staff-Id")!].flatMap(UUID.init(uuidString:)), now: Date())
}


