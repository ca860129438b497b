import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
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
    var active: Bool?
    var absent: Bool?
}

struct ItemList<Item: Codable & Sendable>: ResponseCodable {
    var items: [Item]
    var nextCursor: String?
}

/// Everything the leads routes share.
struct LeadsContext: Sendable {
    let postgres: PostgresClient
    let leads: LeadStore
    let hub: NotificationHub
    let region: Region
}

extension LeadsContext {
    init(platform: ServicePlatform, settings: LeadsSettings, hub: NotificationHub) {
        self.init(
            postgres: platform.postgres, leads: LeadStore(settings: settings), hub: hub,
            region: platform.configuration.environment["DMS_DEFAULT_REGION"].flatMap(Region.parse) ?? .RU)
    }
}

/// The routes alone (API document checks, HTTP tests): settings from the environment or the
/// defaults, and a hub without a listener. `buildApplication` wires the live parts.
public func addLeadsRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    let settings = (try? LeadsSettings.fromEnvironment(platform.configuration.environment)) ?? .defaults
    addLeadsRoutes(api, LeadsContext(platform: platform, settings: settings, hub: NotificationHub()))
}

func addLeadsRoutes(_ api: RouterGroup<BasicRequestContext>, _ leads: LeadsContext) {
    addStaffRoutes(api, leads)
    addContactRoutes(api, leads)
    addLeadRoutes(api, leads)
    addNotificationRoutes(api, leads)
}

// MARK: Staff

struct NewDepartment: Decodable {
    var code: String
    var name: String
}

struct NewStaffMember: Decodable {
    var name: String
    var email: String
    var phone: String?
    var role: String
    var departmentCode: String?
}

struct StaffChange: Decodable {
    var active: Bool?
    var absent: Bool?
    var departmentCode: String?
}

func addStaffRoutes(_ api: RouterGroup<BasicRequestContext>, _ leads: LeadsContext) {
    api.get("departments") { _, context in
        let rows = try await leads.postgres.query("SELECT code, name FROM departments ORDER BY code", logger: context.logger)
        var items: [Department] = []
        for try await (code, name) in rows.decode((String, String).self) { items.append(Department(code: code, name: name)) }
        return ItemList(items: items)
    }
    api.post("departments") { request, context -> Response in
        let new = try await request.decode(as: NewDepartment.self, context: context)
        guard new.code.range(of: "^[a-z][a-z0-9_-]*$", options: .regularExpression) != nil, !new.name.isEmpty else {
            throw LeadsError.unprocessable("a department has a code (lower-case letters, digits, - and _) and a name")
        }
        try await leads.postgres.query(
            "INSERT INTO departments (code, name) VALUES (\(new.code), \(new.name)) ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            logger: context.logger)
        return try jsonResponse(Department(code: new.code, name: new.name), status: .created)
    }
    api.get("staff") { request, context in
        let department = request.uri.queryParameters["department"].map(String.init)
        let rows = try await leads.postgres.query(
            """
            SELECT id, name, email, role, department_code, active, absent FROM staff
            WHERE active AND (\(department)::text IS NULL OR department_code = \(department))
            ORDER BY name
            """, logger: context.logger)
        var items: [StaffMember] = []
        for try await (id, name, email, role, code, active, absent) in rows.decode((UUID, String, String, String, String?, Bool, Bool).self) {
            items.append(StaffMember(id: id, name: name, email: email, role: role, departmentCode: code, active: active, absent: absent))
        }
        return ItemList(items: items)
    }
    api.post("staff") { request, context -> Response in
        let new = try await request.decode(as: NewStaffMember.self, context: context)
        guard ["manager", "head_of_department", "head_of_sales"].contains(new.role) else {
            throw LeadsError.unprocessable("role is manager, head_of_department or head_of_sales")
        }
        guard new.role == "head_of_sales" || new.departmentCode != nil else {
            throw LeadsError.unprocessable("a \(new.role) belongs to a department (departmentCode)")
        }
        let phone = new.phone.map { PhoneNumber.normalise($0, defaultRegion: leads.region) }
        if let phone, phone.e164 == nil { throw LeadsError.unprocessable("phone \(phone.raw) is not a phone number") }
        let id = UUID()
        let inserted = try await leads.postgres.query(
            """
            INSERT INTO staff (id, name, email, phone_e164, role, department_code)
            SELECT \(id), \(new.name), \(new.email.lowercased()), \(phone?.e164), \(new.role), \(new.departmentCode)
            WHERE \(new.departmentCode)::text IS NULL OR EXISTS (SELECT 1 FROM departments WHERE code = \(new.departmentCode))
            ON CONFLICT (email) DO NOTHING RETURNING id
            """, logger: context.logger
        ).collect()
        guard !inserted.isEmpty else {
            throw LeadsError.conflict("a staff member with e-mail \(new.email.lowercased()) exists, or department \(new.departmentCode ?? "") does not")
        }
        return try jsonResponse(
            StaffMember(id: id, name: new.name, email: new.email.lowercased(), role: new.role, departmentCode: new.departmentCode,
                        active: true, absent: false), status: .created)
    }
    api.patch("staff/:id") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let change = try await request.decode(as: StaffChange.self, context: context)
        let rows = try await leads.postgres.query(
            """
            UPDATE staff SET active = coalesce(\(change.active), active), absent = coalesce(\(change.absent), absent),
                department_code = coalesce(\(change.departmentCode), department_code)
            WHERE id = \(id) RETURNING id, name, email, role, department_code, active, absent
            """, logger: context.logger)
        for try await (id, name, email, role, code, active, absent) in rows.decode((UUID, String, String, String, String?, Bool, Bool).self) {
            return try jsonResponse(
                StaffMember(id: id, name: name, email: email, role: role, departmentCode: code, active: active, absent: absent), status: .ok)
        }
        throw LeadsError.notFound("no staff member \(id)")
    }
}

// MARK: Contacts

struct NewCounterparty: Decodable {
    var name: String
    var taxId: String?
    var kind: String?
}

struct CounterpartyChange: Decodable {
    var name: String?
    var taxId: String?
    var kind: String?
}

struct NewContactBody: Decodable {
    var name: String
    var counterpartyId: UUID?
    var managerId: UUID?
    var phones: [String]?
    var emails: [String]?
    var marketingConsent: Bool?
}

struct ContactChange: Decodable {
    var name: String?
    var counterpartyId: UUID?
    var managerId: UUID?
    var addPhones: [String]?
    var addEmails: [String]?
    var marketingConsent: Bool?
}

struct MergeBody: Decodable {
    var contactId: UUID
}

/// The longest name a contact or counterparty may have. Every name travels in events (a 1 MB name
/// made an event larger than the broker takes) and on every screen that lists it.
let maxNameLength = 500

/// 422 when `name` is longer than `maxNameLength` characters.
func checkNameLength(_ name: String?) throws {
    guard let name, name.count > maxNameLength else { return }
    throw LeadsError.unprocessable("name is at most \(maxNameLength) characters, not \(name.count)")
}

func addContactRoutes(_ api: RouterGroup<BasicRequestContext>, _ leads: LeadsContext) {
    api.post("counterparties") { request, context -> Response in
        let new = try await request.decode(as: NewCounterparty.self, context: context)
        let kind = new.kind ?? "prospect"
        guard ["prospect", "customer", "partner", "supplier"].contains(kind) else {
            throw LeadsError.unprocessable("kind is prospect, customer, partner or supplier")
        }
        guard !new.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw LeadsError.unprocessable("name is required") }
        try checkNameLength(new.name)
        return try await idempotent(request, operation: "create-counterparty", leads, context) { connection in
            let (counterparty, events) = try await ContactBook.createCounterparty(
                name: new.name, taxId: new.taxId, kind: kind, on: connection, logger: context.logger)
            return (.created, try encode(counterparty), events)
        }
    }
    api.get("counterparties/:id") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let found = try await leads.postgres.withConnection { connection in
            try await ContactBook.counterparty(id, on: connection, logger: context.logger)
        }
        guard let found else { throw LeadsError.notFound("no counterparty \(id)") }
        return try jsonResponse(found, status: .ok)
    }
    api.get("counterparties") { request, context -> Response in
        let taxID = request.uri.queryParameters["taxId"].map(String.init)
        let name = request.uri.queryParameters["name"].map(String.init)
        let found = try await leads.postgres.withConnection { connection in
            try await ContactBook.counterparties(taxID: taxID, nameContains: name, on: connection, logger: context.logger)
        }
        return try jsonResponse(ItemList(items: found), status: .ok)
    }
    api.patch("counterparties/:id") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let change = try await request.decode(as: CounterpartyChange.self, context: context)
        if let kind = change.kind, !["prospect", "customer", "partner", "supplier"].contains(kind) {
            throw LeadsError.unprocessable("kind is prospect, customer, partner or supplier")
        }
        if let name = change.name, name.trimmingCharacters(in: .whitespaces).isEmpty { throw LeadsError.unprocessable("name is empty") }
        try checkNameLength(change.name)
        let counterparty = try await transaction(leads, context) { connection in
            try await ContactBook.updateCounterparty(
                id, name: change.name, taxId: change.taxId, kind: change.kind, on: connection, logger: context.logger)
        }
        return try jsonResponse(counterparty, status: .ok)
    }
    api.post("contacts") { request, context -> Response in
        let body = try await request.decode(as: NewContactBody.self, context: context)
        guard !body.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw LeadsError.unprocessable("name is required") }
        try checkNameLength(body.name)
        let phones = try normalisedPhones(body.phones ?? [], region: leads.region)
        let emails = try validEmails(body.emails ?? [])
        return try await idempotent(request, operation: "create-contact", leads, context) { connection in
            let (contact, events) = try await ContactBook.create(
                .init(name: body.name, counterpartyId: body.counterpartyId, managerId: body.managerId, phones: phones, emails: emails,
                      marketingConsent: body.marketingConsent ?? false),
                on: connection, logger: context.logger)
            return (.created, try encode(contact), events)
        }
    }
    api.get("contacts") { request, context -> Response in
        let phone = request.uri.queryParameters["phone"].map { PhoneNumber.normalise(String($0), defaultRegion: leads.region) }
        let email = request.uri.queryParameters["email"].map { String($0).lowercased() }
        guard phone != nil || email != nil else { throw LeadsError.invalidBody("look contacts up by phone or email") }
        if let phone, phone.e164 == nil, email == nil { return try jsonResponse(ItemList<ContactBook.Contact>(items: []), status: .ok) }
        let contacts = try await leads.postgres.withConnection { connection in
            try await ContactBook.find(phone: phone?.e164, email: email, on: connection, logger: context.logger)
        }
        return try jsonResponse(ItemList(items: contacts), status: .ok)
    }
    api.get("contacts/:id") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let contact = try await leads.postgres.withConnection { connection in
            try await ContactBook.load(id, on: connection, logger: context.logger)
        }
        guard let contact else { throw LeadsError.notFound("no contact \(id)") }
        var response = try jsonResponse(contact, status: .ok)
        response.headers[.eTag] = "\"\(contact.version)\""
        return response
    }
    api.patch("contacts/:id") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let change = try await request.decode(as: ContactChange.self, context: context)
        try checkNameLength(change.name)
        let phones = try normalisedPhones(change.addPhones ?? [], region: leads.region)
        let emails = try validEmails(change.addEmails ?? [])
        let expected = try ifMatchVersion(request)
        let contact = try await transaction(leads, context) { connection in
            try await ContactBook.update(
                id, name: change.name, counterpartyId: change.counterpartyId, managerId: change.managerId,
                marketingConsent: change.marketingConsent, addPhones: phones, addEmails: emails, expectedVersion: expected,
                on: connection, logger: context.logger)
        }
        var response = try jsonResponse(contact, status: .ok)
        response.headers[.eTag] = "\"\(contact.version)\""
        return response
    }
    api.post("contacts/:id/merge") { request, context -> Response in
        let survivor = try uuidParameter(context, "id")
        let body = try await request.decode(as: MergeBody.self, context: context)
        let contact = try await transaction(leads, context) { connection in
            try await ContactBook.merge(body.contactId, into: survivor, on: connection, logger: context.logger)
        }
        return try jsonResponse(contact, status: .ok)
    }
    api.get("contacts/:id/history") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let entries = try await History.of(contact: id, client: leads.postgres, logger: context.logger)
        return try jsonResponse(ItemList(items: entries), status: .ok)
    }
}

// MARK: Leads

struct AssignBody: Decodable {
    var department: String
    var manager: UUID?
}

struct QualifyBody: Decodable {
    var needs: String
    var counterpartyId: UUID?
    var counterparty: NewCounterparty?
    var contactIds: [UUID]?
}

struct DisqualifyBody: Decodable {
    var reason: String
    var comment: String?
}

func addLeadRoutes(_ api: RouterGroup<BasicRequestContext>, _ leads: LeadsContext) {
    api.get("leads") { request, context -> Response in
        let query = try LeadQuery(request.uri.queryParameters, region: leads.region)
        let (items, next) = try await query.run(client: leads.postgres, logger: context.logger)
        return try jsonResponse(ItemList(items: items, nextCursor: next), status: .ok)
    }
    api.get("leads/:id") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let rows = try await leads.postgres.query(
            "SELECT \(unescaped: LeadStore.columns) FROM leads WHERE id = \(id)", logger: context.logger)
        for try await row in rows {
            let lead = try LeadStore.decode(row)
            var response = try jsonResponse(lead, status: .ok)
            response.headers[.eTag] = "\"\(lead.version)\""
            return response
        }
        throw LeadsError.notFound("no lead \(id)")
    }
    api.get("leads/:id/history") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let entries = try await History.of(lead: id, client: leads.postgres, logger: context.logger)
        return try jsonResponse(ItemList(items: entries), status: .ok)
    }
    api.post("leads/:id/assign") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let body = try await request.decode(as: AssignBody.self, context: context)
        let expected = try ifMatchVersion(request)
        return try await command(leads, context) { connection in
            try await leads.leads.assign(
                id, department: body.department, manager: body.manager, expectedVersion: expected, by: actor(request),
                on: connection, logger: context.logger)
        }
    }
    api.post("leads/:id/start") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let expected = try ifMatchVersion(request)
        return try await command(leads, context) { connection in
            try await leads.leads.startWork(id, expectedVersion: expected, by: actor(request), on: connection, logger: context.logger)
        }
    }
    api.post("leads/:id/qualify") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let body = try await request.decode(as: QualifyBody.self, context: context)
        let expected = try ifMatchVersion(request)
        return try await command(leads, context) { connection in
            var events: [OutboxEvent] = []
            var counterpartyID = body.counterpartyId
            if counterpartyID == nil, let new = body.counterparty {
                let (created, registered) = try await ContactBook.createCounterparty(
                    name: new.name, taxId: new.taxId, kind: new.kind ?? "prospect", on: connection, logger: context.logger)
                counterpartyID = created.id
                events += registered
            }
            let (lead, qualified) = try await leads.leads.qualify(
                id, needs: body.needs, counterpartyID: counterpartyID, contactIDs: body.contactIds ?? [], expectedVersion: expected,
                by: actor(request), on: connection, logger: context.logger)
            return (lead, events + qualified)
        }
    }
    api.post("leads/:id/disqualify") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let body = try await request.decode(as: DisqualifyBody.self, context: context)
        guard let reason = DisqualificationReason(rawValue: body.reason) else {
            throw LeadsError.unprocessable(
                "reason is one of \(DisqualificationReason.allCases.map(\.rawValue).joined(separator: ", ")), not \(body.reason)")
        }
        let expected = try ifMatchVersion(request)
        return try await command(leads, context) { connection in
            try await leads.leads.disqualify(
                id, reason: reason, comment: body.comment, expectedVersion: expected, by: actor(request), on: connection,
                logger: context.logger)
        }
    }
    api.post("leads/:id/convert") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        return try await command(leads, context) { connection in
            try await leads.leads.convert(id, by: actor(request), on: connection, logger: context.logger)
        }
    }
}

// MARK: Notifications

func addNotificationRoutes(_ api: RouterGroup<BasicRequestContext>, _ leads: LeadsContext) {
    api.get("managers/:id/notifications") { request, context -> Response in
        let id = try uuidParameter(context, "id")
        let unread = request.uri.queryParameters["unread"].map { $0 == "true" } ?? false
        let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100, 1), 500)
        let items = try await Notifications.list(for: id, unreadOnly: unread, limit: limit, client: leads.postgres, logger: context.logger)
        return try jsonResponse(ItemList(items: items), status: .ok)
    }
    api.post("notifications/:id/read") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        guard let notification = try await Notifications.markRead(id, client: leads.postgres, logger: context.logger) else {
            throw LeadsError.notFound("no notification \(id)")
        }
        return try jsonResponse(notification, status: .ok)
    }
    // Server-sent events: each new notification of the manager as `event: notification`, and a
    // comment every 15 s so proxies keep the connection open.
    api.get("managers/:id/notifications/stream") { _, context -> Response in
        let id = try uuidParameter(context, "id")
        let stream = await leads.hub.subscribe(id)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return eventStreamResponse { sink in
            for await notification in stream {
                let json = String(decoding: (try? encoder.encode(notification)) ?? Data("{}".utf8), as: UTF8.self)
                sink.send("notification", data: json, id: notification.id.uuidString.lowercased())
            }
        }
    }
}

// MARK: Helpers

func uuidParameter(_ context: BasicRequestContext, _ name: String) throws -> UUID {
    guard let id = context.parameters.get(name).flatMap(UUID.init(uuidString:)) else {
        throw LeadsError.notFound("\(context.parameters.get(name) ?? "") is not an id")
    }
    return id
}

/// `If-Match: "<version>"` (or a bare number), nil when absent.
func ifMatchVersion(_ request: Request) throws -> Int? {
    guard let value = request.headers[.ifMatch] else { return nil }
    let trimmed = value.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))
    guard let version = Int(trimmed) else { throw LeadsError.invalidBody("If-Match carries the version from the ETag, e.g. \"3\"") }
    return version
}

/// Who acts: the `DMS-Staff-Id` header set by the front end, and now.
func actor(_ request: Request) -> LeadStore.Actor {
    let staff = request.headers[.init("DMS-Staff-Id")!].flatMap(UUID.init(uuidString:))
    return LeadStore.Actor(staffID: staff, now: Date())
}

func normalisedPhones(_ raws: [String], region: Region) throws -> [ContactPhone] {
    try raws.map { raw in
        let number = PhoneNumber.normalise(raw, defaultRegion: region)
        guard let e164 = number.e164 else { throw LeadsError.unprocessable("\(raw) is not a phone number") }
        return ContactPhone(e164: e164, raw: raw)
    }
}

func validEmails(_ emails: [String]) throws -> [String] {
    try emails.map { email in
        let lowered = email.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = lowered.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !lowered.contains(" ") else {
            throw LeadsError.unprocessable("\(email) is not an e-mail address")
        }
        return lowered
    }
}

func encode(_ value: some Encodable) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encode(value))))
}

/// Runs `body` in one transaction and writes the events it returns to the outbox.
func transaction<T: Sendable>(
    _ leads: LeadsContext, _ context: BasicRequestContext,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> (T, [OutboxEvent])
) async throws -> T {
    try await ServiceKit.transaction(leads.postgres, context, body)
}

/// A lead command: the lead after it, with its version as ETag.
func command(
    _ leads: LeadsContext, _ context: BasicRequestContext,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> (LeadRecord, [OutboxEvent])
) async throws -> Response {
    let lead = try await transaction(leads, context, body)
    var response = try jsonResponse(lead, status: .ok)
    response.headers[.eTag] = "\"\(lead.version)\""
    return response
}

/// A create with an optional `Idempotency-Key`: the first response is stored with the change, and
/// a repeat of the key gets it again instead of a second record.
func idempotent(
    _ request: Request, operation: String, _ leads: LeadsContext, _ context: BasicRequestContext,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> (HTTPResponse.Status, [UInt8], [OutboxEvent])
) async throws -> Response {
    let key = request.headers[.init("Idempotency-Key")!]
    let (status, bytes): (Int, [UInt8]) = try await leads.postgres.withTransaction(logger: context.logger) { connection in
        if let key {
            // A concurrent request with the same key waits here until the first one commits.
            let claimed = try await connection.query(
                """
                INSERT INTO idempotency_keys (key, operation, status, body) VALUES (\(key), \(operation), 0, ''::bytea)
                ON CONFLICT DO NOTHING RETURNING key
                """, logger: context.logger
            ).collect()
            if claimed.isEmpty {
                let row = try await connection.query(
                    "SELECT status, body FROM idempotency_keys WHERE key = \(key) AND operation = \(operation)", logger: context.logger
                ).collect().first!
                let (status, body) = try row.decode((Int, ByteBuffer).self)
                return (status, Array(body.readableBytesView))
            }
        }
        let (status, bytes, events) = try await body(connection)
        try await Outbox.append(events, on: connection, logger: context.logger)
        if let key {
            try await connection.query(
                """
                UPDATE idempotency_keys SET status = \(Int(status.code)), body = \(ByteBuffer(bytes: bytes))
                WHERE key = \(key) AND operation = \(operation)
                """, logger: context.logger)
        }
        return (Int(status.code), bytes)
    }
    return Response(
        status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}
