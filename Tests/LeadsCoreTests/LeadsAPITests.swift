import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@testable import LeadsCore

/// The leads HTTP API over a real database, the demo organisation seeded.
@Suite("Leads: contacts, triage and the lead lifecycle over HTTP")
struct LeadsAPITests {
    static let head = "6b0f6a9e-4d2c-4b7e-9a51-000000000001"
    static let anna = "6b0f6a9e-4d2c-4b7e-9a51-000000000003"  // manager in alto
    static let dmitry = "6b0f6a9e-4d2c-4b7e-9a51-000000000004"  // manager in alto
    static let sergey = "6b0f6a9e-4d2c-4b7e-9a51-000000000006"  // manager in prom

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ json: String? = nil,
              headers extra: [String: String] = [:]) async throws -> APIReply {
        try await client.call(method, path, json, headers: extra)
    }

    func withLeads(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        try await ServiceHarness.withLiveService(
            .leads, migrationsDirectory: LeadsMigrations.directory, routes: addLeadsRoutes, seed: ["infra/demo/leads.sql"], body)
    }

    /// A lead as the inbox would open it for an unknown caller.
    func newLead(_ url: String, phone: String = "+79160000001") async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await ServiceHarness.applySQL(
            """
            WITH lead AS (
                INSERT INTO leads (id, state, channel, source, name, phone_e164, phone_raw, correlation_id)
                VALUES ('\(id)', 'new', 'phone', 'call:test', 'Caller', '\(phone)', '\(phone)', gen_random_uuid()) RETURNING id),
            identity AS (INSERT INTO open_lead_identities (identity, lead_id) SELECT 'phone:\(phone)', id FROM lead)
            INSERT INTO deadlines (lead_id, kind, due_at) SELECT id, 'triage', now() + interval '1 hour' FROM lead
            """, databaseURL: url)
        return id
    }

    @Test("new → assigned → in_progress → qualified → converted; converting again emits nothing more")
    func happyPath() async throws {
        try await withLeads { client, url in
            let lead = try await newLead(url)
            let queue = try await call(client, .get, "/v1/leads?state=new")
            #expect(queue.body.lowercased().contains(lead))
            let assigned = try await call(client, .post, "/v1/leads/\(lead)/assign", #"{"department":"alto","manager":"\#(Self.anna)"}"#)
            #expect(assigned.status == 200, "\(assigned.body)")
            #expect(assigned.body.contains("\"state\":\"assigned\""))
            #expect(try await ServiceHarness.scalar(
                "SELECT kind || ':' || (cancelled_at IS NOT NULL)::text FROM deadlines WHERE lead_id = '\(lead)' ORDER BY kind", databaseURL: url)
                == "response:false")
            #expect(try await call(client, .post, "/v1/leads/\(lead)/start").status == 200)
            let qualified = try await call(
                client, .post, "/v1/leads/\(lead)/qualify",
                #"{"needs":"Two pumps, 40 m³/h","counterparty":{"name":"Uralmash","taxId":"6673000000","kind":"prospect"}}"#)
            #expect(qualified.status == 200, "\(qualified.body)")
            struct Lead: Decodable { var contactIds: [UUID]; var counterpartyId: UUID?; var version: Int }
            let record = try qualified.decode(Lead.self)
            #expect(record.contactIds.count == 1, "a contact is made from the caller")
            #expect(record.counterpartyId != nil)
            let converted = try await call(client, .post, "/v1/leads/\(lead)/convert")
            #expect(converted.status == 200 && converted.body.contains("\"state\":\"converted\""))
            let again = try await call(client, .post, "/v1/leads/\(lead)/convert")
            #expect(again.status == 200)
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'LeadConverted'", databaseURL: url) == "1")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM open_lead_identities", databaseURL: url) == "0",
                    "a closed lead releases the caller's number")
            let transitions = try await ServiceHarness.scalar(
                "SELECT string_agg(from_state || '>' || to_state, ',' ORDER BY id) FROM lead_transitions", databaseURL: url)
            #expect(transitions == "new>assigned,assigned>in_progress,in_progress>qualified,qualified>converted")
        }
    }

    @Test("an invalid transition is 409 naming the states; a stale If-Match is 412; bad data is 422")
    func refusals() async throws {
        try await withLeads { client, url in
            let lead = try await newLead(url)
            let early = try await call(client, .post, "/v1/leads/\(lead)/convert")
            #expect(early.status == 409)
            #expect(early.body.contains("new") && early.body.contains("qualified"), "\(early.body)")
            let wrongDepartment = try await call(client, .post, "/v1/leads/\(lead)/assign", #"{"department":"prom","manager":"\#(Self.anna)"}"#)
            #expect(wrongDepartment.status == 422)
            let stale = try await call(
                client, .post, "/v1/leads/\(lead)/assign", #"{"department":"alto","manager":"\#(Self.anna)"}"#, headers: ["If-Match": "\"7\""])
            #expect(stale.status == 412)
            let badReason = try await call(client, .post, "/v1/leads/\(lead)/disqualify", #"{"reason":"bored"}"#)
            #expect(badReason.status == 422 && badReason.body.contains("not_suitable"))
            let noComment = try await call(client, .post, "/v1/leads/\(lead)/disqualify", #"{"reason":"other"}"#)
            #expect(noComment.status == 422)
            let spam = try await call(client, .post, "/v1/leads/\(lead)/disqualify", #"{"reason":"spam","comment":"robocall"}"#)
            #expect(spam.status == 200 && spam.body.contains("disqualified"))
            let afterwards = try await call(client, .post, "/v1/leads/\(lead)/start")
            #expect(afterwards.status == 409)
            #expect(try await call(client, .post, "/v1/leads/\(UUID())/start").status == 404)
        }
    }

    @Test("assignment without a manager takes the department's present managers in turn")
    func roundRobin() async throws {
        try await withLeads { client, url in
            #expect(try await call(client, .patch, "/v1/staff/\(Self.dmitry)", #"{"absent":true}"#).status == 200)
            var managers: [String] = []
            for index in 0..<3 {
                let lead = try await newLead(url, phone: "+7916000001\(index)")
                let reply = try await call(client, .post, "/v1/leads/\(lead)/assign", #"{"department":"alto"}"#)
                struct Lead: Decodable { var managerId: UUID }
                managers.append(try reply.decode(Lead.self).managerId.uuidString.lowercased())
            }
            #expect(managers == [Self.anna, Self.anna, Self.anna], "Dmitry is absent, Anna takes every lead")
            #expect(try await call(client, .patch, "/v1/staff/\(Self.dmitry)", #"{"absent":false}"#).status == 200)
            var next: [String] = []
            for index in 3..<5 {
                let lead = try await newLead(url, phone: "+7916000001\(index)")
                struct Lead: Decodable { var managerId: UUID }
                next.append(try await call(client, .post, "/v1/leads/\(lead)/assign", #"{"department":"alto"}"#).decode(Lead.self).managerId.uuidString.lowercased())
            }
            #expect(Set(next) == [Self.anna, Self.dmitry], "turns alternate once both are present: \(next)")
        }
    }

    @Test("contacts: idempotent create, lookup by phone in any format, optimistic update, merge keeps both histories")
    func contacts() async throws {
        try await withLeads { client, url in
            let body = #"{"name":"Oleg","phones":["8 (495) 123-45-67"],"emails":["Oleg@Client.example"],"managerId":"\#(Self.sergey)"}"#
            let first = try await call(client, .post, "/v1/contacts", body, headers: ["Idempotency-Key": "k-1"])
            let second = try await call(client, .post, "/v1/contacts", body, headers: ["Idempotency-Key": "k-1"])
            #expect(first.status == 201 && second.status == 201 && first.body == second.body)
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM contacts WHERE name = 'Oleg'", databaseURL: url) == "1")
            struct Contact: Decodable { var id: UUID; var version: Int; var emails: [String] }
            let oleg = try first.decode(Contact.self)
            let found = try await call(client, .get, "/v1/contacts?phone=%2B7%20495%20123%2045%2067")
            #expect(found.body.contains(oleg.id.uuidString.lowercased()) || found.body.contains(oleg.id.uuidString))
            let byEmail = try await call(client, .get, "/v1/contacts?email=OLEG@client.example")
            #expect(byEmail.body.contains("oleg@client.example"))

            let stale = try await call(client, .patch, "/v1/contacts/\(oleg.id)", #"{"name":"Oleg K."}"#, headers: ["If-Match": "\"9\""])
            #expect(stale.status == 412)
            let renamed = try await call(client, .patch, "/v1/contacts/\(oleg.id)", #"{"name":"Oleg K."}"#, headers: ["If-Match": "\"1\""])
            #expect(renamed.status == 200 && renamed.etag == "\"2\"")

            let other = try await call(client, .post, "/v1/contacts", #"{"name":"O. Kim","emails":["kim@client.example"]}"#).decode(Contact.self)
            try await ServiceHarness.applySQL(
                """
                INSERT INTO history (id, source_id, contact_id, kind, occurred_at, summary) VALUES
                    (gen_random_uuid(), 'inquiry:a', '\(oleg.id)', 'mail', now() - interval '1 day', 'first'),
                    (gen_random_uuid(), 'inquiry:b', '\(other.id)', 'mail', now(), 'second');
                """, databaseURL: url)
            let merged = try await call(client, .post, "/v1/contacts/\(oleg.id)/merge", #"{"contactId":"\#(other.id)"}"#)
            #expect(merged.status == 200, "\(merged.body)")
            #expect(try merged.decode(Contact.self).emails == ["kim@client.example", "oleg@client.example"])
            let history = try await call(client, .get, "/v1/contacts/\(oleg.id)/history")
            #expect(history.body.contains("first") && history.body.contains("second"))
            #expect(try await call(client, .post, "/v1/contacts/\(oleg.id)/merge", #"{"contactId":"\#(other.id)"}"#).status == 200,
                    "merging again answers the same")
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'ContactsMerged'", databaseURL: url) == "1")
            let created = try await call(client, .post, "/v1/counterparties", #"{"name":"Client Example LLC","taxId":"7701000001"}"#)
            #expect(created.status == 201, "\(created.body)")
            struct Counterparty: Decodable { var id: UUID; var kind: String }
            let counterparty = try created.decode(Counterparty.self)
            #expect(counterparty.kind == "prospect")
            #expect(try await call(client, .post, "/v1/counterparties", #"{"name":"Copy","taxId":"7701000001"}"#).status == 409)
            let promoted = try await call(client, .patch, "/v1/counterparties/\(counterparty.id)", #"{"kind":"customer"}"#)
            #expect(try promoted.decode(Counterparty.self).kind == "customer")
            #expect(try await call(client, .patch, "/v1/counterparties/\(counterparty.id)", #"{"kind":"friend"}"#).status == 422)
            let search = try await call(client, .get, "/v1/counterparties?name=client%20example")
            #expect(search.body.contains("Client Example LLC"))
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'CounterpartyUpdated'", databaseURL: url) == "1")
            let unknownManager = try await call(client, .post, "/v1/contacts", #"{"name":"X","managerId":"\#(UUID())"}"#)
            #expect(unknownManager.status == 422, "\(unknownManager.body)")
        }
    }

    @Test("leads are listed with filters and cursor pages")
    func paging() async throws {
        try await withLeads { client, url in
            for index in 0..<5 { _ = try await newLead(url, phone: "+7916000002\(index)") }
            var seen: [String] = []
            var path = "/v1/leads?state=new&limit=2"
            while true {
                struct Page: Decodable { var items: [Item]; var nextCursor: String?; struct Item: Decodable { var id: UUID } }
                let page = try await call(client, .get, path).decode(Page.self)
                seen += page.items.map(\.id.uuidString)
                guard let cursor = page.nextCursor else { break }
                path = "/v1/leads?state=new&limit=2&cursor=\(cursor)"
            }
            #expect(seen.count == 5 && Set(seen).count == 5)
            let byPhone = try await call(client, .get, "/v1/leads?phone=8%20916%20000%2000%2022")
            #expect(byPhone.body.contains("+79160000022"))
            #expect(try await call(client, .get, "/v1/leads?state=sleeping").status == 400)
        }
    }
}
