import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceKit

/// Who acts, and when (the domain takes the clock from outside).
struct DealActor: Sendable {
    var staffID: UUID?
    var now: Date
}

/// Deals in PostgreSQL: each command locks the row, checks the version the caller saw, applies the
/// domain's rules and writes the deal, its history, tasks and events in one transaction.
struct DealStore: Sendable {
    let defaultCurrency: String

    // MARK: Opening

    /// Opens a deal; with a `leadID` at most one per lead (a repeat returns the existing deal and no events).
    func open(
        _ draft: DealDraft, leadID: UUID?, correlationID: UUID?, by actor: DealActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        let id = UUID()
        guard let deal = draft.openDeal(id: id, correlationId: correlationID ?? id, leadId: leadID) else {
            throw DealsError.missingFields(draft.missing)
        }
        let legalEntity = deal.legalEntity
        let inserted = try await connection.query(
            """
            INSERT INTO deals (id, record, stage, version, lead_id, counterparty_name, manager_id, department_code, equipment_types,
                total, currency, correlation_id, created_at, updated_at)
            VALUES (\(id), \(try Self.json(deal))::jsonb, \(deal.stage.rawValue), 1, \(leadID), \(legalEntity.name), \(deal.managerId),
                \(deal.departmentCode), \(Array(deal.equipmentTypes).sorted()), \(deal.total?.amount), \(deal.currency), \(deal.correlationId),
                \(actor.now), \(actor.now))
            ON CONFLICT (lead_id) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        if inserted.isEmpty, let leadID {
            guard let existing = try await find(leadID: leadID, on: connection, logger: logger) else {
                throw DealsError.conflict("the lead's deal could not be read")
            }
            return (existing, [])
        }
        let opened = DealOpened(
            dealId: id, leadId: leadID, counterpartyName: legalEntity.name, managerId: deal.managerId, departmentCode: deal.departmentCode,
            stage: deal.stage.rawValue, total: deal.total, openedAt: actor.now, equipmentTypes: Array(deal.equipmentTypes).sorted())
        return (deal, [try DealsEvents.event(opened, deal: deal)])
    }

    // MARK: Changing

    /// What a manager may edit while the deal is open (lines only before the contract).
    struct Changes: Sendable {
        var needs: String?
        var legalEntity: LegalEntity?
        var contacts: [DealContact]?
        var parameters: DealParameters?
        var lines: [DealLine]?
        var currency: String?
    }

    func update(
        _ id: UUID, _ changes: Changes, expectedVersion: Int?, by actor: DealActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        var deal = try await lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
        let before = deal
        guard deal.stage.isOpen else { throw DealsError.conflict("the deal is \(deal.stage.rawValue); it cannot be edited") }
        if changes.lines != nil || changes.currency != nil, ![.selection, .offer].contains(deal.stage) {
            throw DealsError.conflict("lines and currency are agreed at the contract; the deal is in \(deal.stage.rawValue)")
        }
        if let needs = changes.needs { deal.needs = needs }
        if let legalEntity = changes.legalEntity { deal.legalEntity = legalEntity }
        if let contacts = changes.contacts { deal.contacts = contacts }
        if let parameters = changes.parameters { deal.parameters = parameters }
        if let lines = changes.lines { deal.lines = lines }
        if let currency = changes.currency { deal.currency = currency }
        // An edit may not take away what opening required.
        let draft = DealDraft(
            needs: deal.needs, legalEntity: deal.legalEntity, contacts: deal.contacts, parameters: deal.parameters, lines: deal.lines,
            currency: deal.currency, managerId: deal.managerId, departmentCode: deal.departmentCode)
        guard draft.missing.isEmpty else { throw DealsError.missingFields(draft.missing) }
        try await save(&deal, at: actor.now, on: connection, logger: logger)
        guard before.lines != deal.lines || before.currency != deal.currency else { return (deal, []) }
        let changed = DealLinesChanged(
            dealId: deal.id, equipmentTypes: Array(deal.equipmentTypes).sorted(), lineCount: deal.lines.count, total: deal.total,
            changedBy: actor.staffID, changedAt: actor.now)
        return (deal, [try DealsEvents.event(changed, deal: deal)])
    }

    /// A stage command: advance or lose. Effects become tasks; events say what happened.
    func apply(
        _ command: DealCommand, to id: UUID, expectedVersion: Int?, by actor: DealActor, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        var deal = try await lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
        return try await apply(command, to: &deal, by: actor, on: connection, logger: logger)
    }

    /// Moves an already locked deal forward (used by commands that change the stage as a consequence).
    func advance(
        _ deal: inout Deal, to stage: DealStage, by actor: DealActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        try await apply(.advance(to: stage), to: &deal, by: actor, on: connection, logger: logger)
    }

    /// Locks the deal an offer was printed from; refuses when its lines or total changed meanwhile.
    func lockForOffer(
        _ id: UUID, expectedVersion: Int?, matching printed: Deal, on connection: PostgresConnection, logger: Logger
    ) async throws -> Deal {
        let deal = try await lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
        guard deal.lines == printed.lines, deal.currency == printed.currency, deal.legalEntity == printed.legalEntity,
            [.selection, .offer].contains(deal.stage)
        else { throw DealsError.conflict("the deal changed while its offer was being printed; issue the offer again") }
        return deal
    }

    private func apply(
        _ command: DealCommand, to deal: inout Deal, by actor: DealActor, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        let rules = try await Self.rules(on: connection, logger: logger)
        let outcome: (stage: DealStage, effects: [DealEffect])
        do {
            outcome = try DealLifecycle.apply(command, to: deal, rules: rules)
        } catch {
            throw DealsError.rule(error)
        }
        let from = deal.stage
        deal.stage = outcome.stage
        if case .lose(let reason, let comment) = command {
            deal.lostReason = reason
            deal.lostComment = comment
        }
        try await save(&deal, at: actor.now, on: connection, logger: logger)
        try await connection.query(
            """
            INSERT INTO deal_stage_history (deal_id, from_stage, to_stage, changed_by, changed_at)
            VALUES (\(deal.id), \(from.rawValue), \(deal.stage.rawValue), \(actor.staffID), \(actor.now))
            """, logger: logger)
        var events = [try DealsEvents.event(
            DealStageChanged(dealId: deal.id, from: from.rawValue, to: deal.stage.rawValue, probability: deal.stage.probability,
                             total: deal.total, changedBy: actor.staffID, changedAt: actor.now), deal: deal)]
        for effect in outcome.effects {
            switch effect {
            case .createTask(let kind, let assignee):
                events += try await createRuleTask(kind: kind, assignee: assignee, deal: deal, at: actor.now, on: connection, logger: logger)
            }
        }
        switch deal.stage {
        case .lost:
            events.append(try DealsEvents.event(
                DealLost(dealId: deal.id, reason: deal.lostReason ?? "", comment: deal.lostComment, lostAt: actor.now), deal: deal))
            if deal.orderPlaced {
                events += try await cancelOrder(of: deal, at: actor.now, on: connection, logger: logger)
            }
        case .contract:
            // The contract and the invoice are issued as the deal enters the stage (once each).
            try await issueDocument(.contract, for: deal, amount: deal.total, at: actor.now, on: connection, logger: logger)
            try await issueDocument(.invoice, for: deal, amount: deal.total, at: actor.now, on: connection, logger: logger)
        case .closed:
            events.append(try DealsEvents.event(DealClosed(dealId: deal.id, total: deal.total, closedAt: actor.now), deal: deal))
        default:
            break
        }
        return (deal, events)
    }

    /// Places the buyer order from the agreed lines (once) and moves the deal into fulfilment.
    func placeOrder(_ id: UUID, expectedVersion: Int?, by actor: DealActor, on connection: PostgresConnection, logger: Logger) async throws -> (Deal, [OutboxEvent]) {
        var deal = try await lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
        if deal.orderPlaced { return (deal, []) }
        guard deal.stage == .contract else {
            throw DealsError.conflict("a buyer order is placed from the contract stage; the deal is in \(deal.stage.rawValue)")
        }
        let orderID = UUID()
        let lines = deal.lines.map { OrderLine(lineId: $0.id, sku: $0.sku, quantity: $0.quantity) }
        try await connection.query(
            """
            WITH placed AS (
                INSERT INTO buyer_orders (id, deal_id, lines, placed_at)
                VALUES (\(orderID), \(deal.id), \(try Self.json(lines))::jsonb, \(actor.now)) RETURNING id
            )
            INSERT INTO order_fulfilment (line_id, deal_id, order_id, position, sku, quantity)
            SELECT line, \(deal.id), (SELECT id FROM placed), n, sku, quantity::numeric
            FROM unnest(\(lines.map(\.lineId))::uuid[], \(lines.map(\.sku))::text[], \(lines.map { "\($0.quantity)" })::text[])
                WITH ORDINALITY AS l(line, sku, quantity, n)
            """, logger: logger)
        deal.orderPlaced = true
        var events = [try DealsEvents.event(BuyerOrderPlaced(orderId: orderID, dealId: deal.id, lines: lines, placedAt: actor.now), deal: deal)]
        let (moved, stageEvents) = try await apply(.advance(to: .fulfilment), to: &deal, by: actor, on: connection, logger: logger)
        events += stageEvents
        return (moved, events)
    }

    private func cancelOrder(of deal: Deal, at now: Date, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        let rows = try await connection.query(
            "UPDATE buyer_orders SET state = 'cancelled' WHERE deal_id = \(deal.id) AND state = 'placed' RETURNING id", logger: logger
        ).collect()
        return try rows.map { row in
            try DealsEvents.event(BuyerOrderCancelled(orderId: try row.decode(UUID.self), dealId: deal.id, cancelledAt: now), deal: deal)
        }
    }

    /// Records a payment once per reference; partial payments add up.
    func pay(
        _ id: UUID, amount: Money, reference: String, paidOn: String, by actor: DealActor, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        var deal = try await lock(id, expectedVersion: nil, on: connection, logger: logger)
        guard amount.currency == deal.currency else {
            throw DealsError.unprocessable("the deal is in \(deal.currency); the payment is in \(amount.currency)")
        }
        let inserted = try await connection.query(
            """
            INSERT INTO deal_payments (id, deal_id, reference, amount, currency, paid_on)
            VALUES (\(UUID()), \(id), \(reference), \(amount.amount), \(amount.currency), \(paidOn)::date)
            ON CONFLICT (deal_id, reference) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { return (deal, []) }
        deal.paid += amount.amount
        try await save(&deal, at: actor.now, on: connection, logger: logger)
        let event = PaymentReceived(
            dealId: id, amount: amount, reference: reference, paidOn: paidOn, paidTotal: Money(deal.paid, deal.currency))
        return (deal, [try DealsEvents.event(event, deal: deal)])
    }

    /// Marks a step done (certificate, commissioning act) that the next gate needs.
    /// With the step, its document (the certificate, the commissioning act) is linked to the deal.
    func record(
        _ step: DealStep, for id: UUID, expectedVersion: Int?, document: StepDocument? = nil, by actor: DealActor, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (Deal, [OutboxEvent]) {
        var deal = try await lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
        guard deal.stage.isOpen else { throw DealsError.conflict("the deal is \(deal.stage.rawValue); steps are recorded on open deals") }
        switch step {
        case .shipped: deal.allShipped = true
        case .certified: deal.certified = true
        case .commissioned: deal.commissioned = true
        }
        try await save(&deal, at: actor.now, on: connection, logger: logger)
        if let document {
            let kind = step == .certified ? "certificate" : (step == .commissioned ? "commissioning_act" : "shipment_note")
            try await connection.query(
                """
                INSERT INTO deal_documents (number, deal_id, kind, issued_at, issued_by) VALUES (\(document.number), \(id), \(kind), \(actor.now), \(document.issuedBy))
                ON CONFLICT (number) DO NOTHING
                """, logger: logger)
        }
        return (deal, [])
    }

    /// Inventory shipped the whole order: the deal records it and moves on by itself (to
    /// certification or commissioning) when it is in fulfilment. A deal already past it, or
    /// closed or lost, only records it.
    func orderShipped(_ id: UUID, at now: Date, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        var deal: Deal
        do {
            deal = try await lock(id, expectedVersion: nil, on: connection, logger: logger)
        } catch DealsError.notFound {
            return []
        }
        guard deal.stage.isOpen, !deal.allShipped else { return [] }
        deal.allShipped = true
        guard deal.stage == .fulfilment else {
            try await save(&deal, at: now, on: connection, logger: logger)
            return []
        }
        let rules = try await Self.rules(on: connection, logger: logger)
        guard let next = DealLifecycle.nextStages(of: deal, rules: rules).first else {
            try await save(&deal, at: now, on: connection, logger: logger)
            return []
        }
        return try await apply(.advance(to: next), to: &deal, by: DealActor(staffID: nil, now: now), on: connection, logger: logger).1
    }

    /// Numbers and links a document issued by the deals service (once per deal and kind).
    private func issueDocument(
        _ kind: DealDocumentKind, for deal: Deal, amount: Money?, at now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let exists = try await connection.query(
            "SELECT 1 FROM deal_documents WHERE deal_id = \(deal.id) AND kind = \(kind.rawValue)", logger: logger).collect()
        guard exists.isEmpty else { return }
        let value = try await connection.query(
            "SELECT nextval(\("deal_document_number_" + kind.rawValue)::regclass)", logger: logger).collect().first!.decode(Int64.self)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let number = "\(kind.prefix)-\(calendar.component(.year, from: now))-\(String(format: "%06lld", value))"
        try await connection.query(
            """
            INSERT INTO deal_documents (number, deal_id, kind, issued_at, href, amount, currency)
            VALUES (\(number), \(deal.id), \(kind.rawValue), \(now), \("/v1/deals/\(deal.id.uuidString.lowercased())/documents/\(number)"),
                    \(amount?.amount), \(amount?.currency))
            """, logger: logger)
    }

    // MARK: Tasks

    private func createRuleTask(
        kind: String, assignee: TaskAssignee, deal: Deal, at now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        var assigneeID: UUID? = deal.managerId
        if assignee == .headOfDepartment {
            assigneeID = try await connection.query(
                "SELECT head_id FROM department_heads WHERE department_code = \(deal.departmentCode)", logger: logger
            ).collect().first?.decode(UUID.self)
        }
        let taskID = UUID()
        let due = now.addingTimeInterval(2 * 24 * 3600)
        let inserted = try await connection.query(
            """
            INSERT INTO tasks (id, deal_id, kind, assignee_id, assignee_role, due_at, created_at, source)
            VALUES (\(taskID), \(deal.id), \(kind), \(assigneeID), \(assignee.rawValue), \(due), \(now), \("rule:\(kind):\(deal.id)"))
            ON CONFLICT (source) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { return [] }
        return [try DealsEvents.event(TaskCreated(taskId: taskID, dealId: deal.id, kind: kind, assigneeId: assigneeID, dueAt: due), deal: deal)]
    }

    /// Completes a task with its outcome; the service offer's outcome resolves the deal's service step.
    func completeTask(_ taskID: UUID, outcome: String, by actor: DealActor, on connection: PostgresConnection, logger: Logger) async throws -> (DealTask, [OutboxEvent]) {
        let rows = try await connection.query(
            """
            UPDATE tasks SET outcome = \(outcome), completed_at = \(actor.now) WHERE id = \(taskID) AND completed_at IS NULL
            RETURNING deal_id, kind
            """, logger: logger
        ).collect()
        guard let row = rows.first else {
            guard let existing = try await DealTask.load(taskID, on: connection, logger: logger) else { throw DealsError.notFound("no task \(taskID)") }
            return (existing, [])
        }
        let (dealID, kind) = try row.decode((UUID?, String).self)
        var events: [OutboxEvent] = []
        if let dealID {
            var deal = try await lock(dealID, expectedVersion: nil, on: connection, logger: logger)
            if kind == "offer_service" {
                deal.serviceResolved = true
                try await save(&deal, at: actor.now, on: connection, logger: logger)
                if outcome == "agreed" {
                    // The customer wants service: the manager concludes the service contract.
                    events += try await createRuleTask(
                        kind: "conclude_service_contract", assignee: .manager, deal: deal, at: actor.now, on: connection, logger: logger)
                }
            } else if kind == "conclude_service_contract", outcome == "done" || outcome == "signed" {
                try await issueDocument(.serviceContract, for: deal, amount: nil, at: actor.now, on: connection, logger: logger)
            }
            events.append(try DealsEvents.event(
                TaskCompleted(taskId: taskID, dealId: dealID, kind: kind, outcome: outcome, completedAt: actor.now), deal: deal))
        }
        return (try await DealTask.load(taskID, on: connection, logger: logger)!, events)
    }

    // MARK: Reading and writing

    static func rules(on connection: PostgresConnection, logger: Logger) async throws -> SalesRules {
        // One round trip for both tables (every deal command reads them).
        let rows = try await connection.query("SELECT \(unescaped: rulesColumns)", logger: logger).collect()
        guard let row = rows.first else { return SalesRules(certificationTypes: [], lossReasons: [:]) }
        let (types, codes, quality) = try row.decode(([String], [String], [Bool]).self)
        return rules(certificationTypes: types, lossCodes: codes, qualityTasks: quality)
    }

    /// Three columns holding the sales rules (`text[]`, `text[]`, `bool[]`), for a `SELECT` that
    /// reads them with something else; `rules(certificationTypes:lossCodes:qualityTasks:)` makes them rules.
    static let rulesColumns = """
        (SELECT coalesce(array_agg(equipment_type), '{}') FROM certification_required_types),
        (SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM loss_reasons),
        (SELECT coalesce(array_agg(creates_quality_task ORDER BY code), '{}') FROM loss_reasons)
        """

    static func rules(certificationTypes: [String], lossCodes: [String], qualityTasks: [Bool]) -> SalesRules {
        SalesRules(certificationTypes: Set(certificationTypes), lossReasons: Dictionary(zip(lossCodes, qualityTasks)) { first, _ in first })
    }

    private func lock(_ id: UUID, expectedVersion: Int?, on connection: PostgresConnection, logger: Logger) async throws -> Deal {
        let rows = try await connection.query("SELECT record::text FROM deals WHERE id = \(id) FOR UPDATE", logger: logger).collect()
        guard let row = rows.first else { throw DealsError.notFound("no deal \(id)") }
        let deal = try Self.decode(try row.decode(String.self))
        if let expectedVersion, expectedVersion != deal.version {
            throw DealsError.preconditionFailed("the deal is at version \(deal.version), not \(expectedVersion): reload it and try again")
        }
        return deal
    }

    private func find(leadID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Deal? {
        let rows = try await connection.query("SELECT record::text FROM deals WHERE lead_id = \(leadID)", logger: logger).collect()
        return try rows.first.map { try Self.decode(try $0.decode(String.self)) }
    }

    static func load(_ id: UUID, client: PostgresClient, logger: Logger) async throws -> Deal? {
        let rows = try await client.query("SELECT record::text FROM deals WHERE id = \(id)", logger: logger)
        for try await record in rows.decode(String.self) { return try decode(record) }
        return nil
    }

    private func save(_ deal: inout Deal, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        deal.version += 1
        try await connection.query(
            """
            UPDATE deals SET record = \(try Self.json(deal))::jsonb, stage = \(deal.stage.rawValue), version = \(deal.version),
                counterparty_name = \(deal.legalEntity.name), equipment_types = \(Array(deal.equipmentTypes).sorted()),
                total = \(deal.total?.amount), currency = \(deal.currency), updated_at = \(now)
            WHERE id = \(deal.id)
            """, logger: logger)
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode(_ record: String) throws -> Deal {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Deal.self, from: Data(record.utf8))
    }
}

/// Steps done outside the deals service that gates wait for.
enum DealStep: String, Sendable, Codable {
    case shipped, certified, commissioned
}

/// A task as the API shows it.
struct DealTask: Codable, Sendable, Equatable {
    var id: UUID
    var dealId: UUID?
    var kind: String
    var assigneeId: UUID?
    var title: String?
    var dueAt: Date?
    var outcome: String?
    var createdAt: Date
    var completedAt: Date?

    static func load(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> DealTask? {
        let rows = try await connection.query(
            "SELECT id, deal_id, kind, assignee_id, title, due_at, outcome, created_at, completed_at FROM tasks WHERE id = \(id)",
            logger: logger
        ).collect()
        return try rows.first.map(decode)
    }

    static func decode(_ row: PostgresRow) throws -> DealTask {
        let (id, deal, kind, assignee, title, due, outcome, created, completed) = try row.decode(
            (UUID, UUID?, String, UUID?, String?, Date?, String?, Date, Date?).self)
        return DealTask(id: id, dealId: deal, kind: kind, assigneeId: assignee, title: title, dueAt: due, outcome: outcome,
                        createdAt: created, completedAt: completed)
    }
}

/// Envelopes for `dms.deals.events.v1`.
/// A document the deals service numbers itself.
enum DealDocumentKind: String, Sendable {
    case contract, invoice
    case serviceContract = "service_contract"

    var prefix: String {
        switch self {
        case .contract: "DG"
        case .invoice: "INV"
        case .serviceContract: "SC"
        }
    }
}

/// The document that comes with a step: the certificate's or the act's number and who issued it.
struct StepDocument: Codable, Sendable {
    var number: String
    var issuedBy: String?
}

enum DealsEvents {
    static func event<P: EventPayload>(_ payload: P, deal: Deal) throws -> OutboxEvent {
        let envelope = try EventEnvelope(
            occurredAt: Date(), source: ServiceName.deals.rawValue, key: deal.id.uuidString.lowercased(),
            correlationId: deal.correlationId, payload: payload)
        return OutboxEvent(topic: Topic.dealsEvents, envelope: envelope)
    }
}

/// The deals service's errors as problem+json.
enum DealsError: Error, ProblemConvertible {
    case notFound(String)
    case invalidBody(String)
    case unprocessable(String)
    case missingFields([String])
    /// Fields with values the deal cannot hold, each with what it must be.
    case invalidFields([String: String])
    case conflict(String)
    case rule(DealRuleViolation)
    case preconditionFailed(String)
    case unavailable(String)

    var problem: ProblemDetails {
        switch self {
        case .notFound(let detail): ProblemDetails(title: "Not Found", status: 404, detail: detail)
        case .invalidBody(let detail): ProblemDetails(title: "Invalid request", status: 400, detail: detail)
        case .unprocessable(let detail): ProblemDetails(title: "Unprocessable", status: 422, detail: detail)
        case .missingFields(let fields):
            ProblemDetails(
                title: "Required fields missing", status: 422, detail: "missing: \(fields.joined(separator: ", "))",
                errors: Dictionary(uniqueKeysWithValues: fields.map { ($0, "required") }))
        case .invalidFields(let fields):
            ProblemDetails(
                title: "Unprocessable", status: 422, detail: "not valid: \(fields.keys.sorted().joined(separator: ", "))", errors: fields)
        case .conflict(let detail): ProblemDetails(title: "Conflict", status: 409, detail: detail)
        case .rule(let violation):
            switch violation {
            case .unknownLossReason: ProblemDetails(title: "Unprocessable", status: 422, detail: violation.description)
            default: ProblemDetails(title: "Invalid transition", status: 409, detail: violation.description)
            }
        case .preconditionFailed(let detail): ProblemDetails(title: "Precondition Failed", status: 412, detail: detail)
        case .unavailable(let detail): ProblemDetails(title: "Service Unavailable", status: 503, detail: detail)
        }
    }
}
