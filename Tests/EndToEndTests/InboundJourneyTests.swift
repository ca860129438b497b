import Contracts
import Foundation
import Logging
import PostgresNIO
import ServiceKit
import Testing
import TestSupport

/// `ingest` and `leads` as real processes on a broker of the test's own: what connectors post
/// becomes leads, history and notifications.
@Suite("Inbound: calls, mail and forms become leads or history", .serialized)
struct InboundJourneyTests {
    static let logger = Logger(label: "e2e.inbound")

    /// The leads process's settings: a response deadline of 7.2 s around the clock, so the SLA
    /// test sees one fire.
    static let leadsSettings = [
        "DMS_LEADS_TIME_ZONE": "UTC", "DMS_LEADS_WORKING_DAYS": "1-7", "DMS_LEADS_WORKING_HOURS": "00:00-23:59",
        "DMS_LEADS_RESPONSE_HOURS": "0.002", "DMS_LEADS_DEADLINE_CHECK_MS": "200",
    ]

    /// A broker, fresh databases, both services, and the sales organisation seeded over HTTP.
    struct Journey {
        let broker: ScratchBroker
        let databases: [ServiceName: (name: String, url: String)]
        let ingest: ServiceProcess
        let leads: ServiceProcess
        let head: UUID
        let manager: UUID

        static func start() async throws -> Journey {
            let broker = try ScratchBroker()
            try await broker.start()
            var databases: [ServiceName: (String, String)] = [:]
            for service in [ServiceName.ingest, .leads] {
                let name = "e2e_inbound_\(service.rawValue)_\(UUID().uuidString.prefix(8).lowercased())"
                try await TemporaryDatabase.admin { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
                var components = URLComponents(string: TestEnvironment.current.adminDatabaseURL)!
                components.path = "/" + name
                databases[service] = (name, components.string!)
            }
            let ingest = try ServiceProcess(.ingest, environment: ["DMS_DATABASE_URL": databases[.ingest]!.1, "DMS_KAFKA_BROKERS": broker.address])
            let leads = try startLeads(databases[.leads]!.1, broker: broker)
            try await ready(ingest)
            try await ready(leads)
            _ = try await leads.send("POST", "/v1/departments", json: #"{"code":"alto","name":"Alto"}"#)
            struct Created: Decodable { var id: UUID }
            let head = try await leads.call(Created.self, "POST", "/v1/staff", json: #"{"name":"Irina","email":"head@dms.test","role":"head_of_sales"}"#, expect: 201)
            let manager = try await leads.call(
                Created.self, "POST", "/v1/staff",
                json: #"{"name":"Anna","email":"anna@dms.test","role":"manager","departmentCode":"alto"}"#, expect: 201)
            return Journey(broker: broker, databases: databases, ingest: ingest, leads: leads, head: head.id, manager: manager.id)
        }

        static func startLeads(_ url: String, broker: ScratchBroker) throws -> ServiceProcess {
            try ServiceProcess(.leads, environment: leadsSettings.merging(["DMS_DATABASE_URL": url, "DMS_KAFKA_BROKERS": broker.address]) { $1 })
        }

        static func ready(_ process: ServiceProcess) async throws {
            try await eventually("\(process.service.rawValue) ready", timeout: .seconds(90)) {
                if let exit = process.exitStatus { return "exited \(exit): \(process.output.suffix(2000))" }
                let (status, body) = try await process.get("/health/ready")
                return status == 200 ? nil : "\(status) \(body)"
            }
        }

        /// A new leads process on the same database (after the old one was stopped or killed).
        func restartedLeads() async throws -> Journey {
            let leads = try Self.startLeads(databases[.leads]!.url, broker: broker)
            try await Self.ready(leads)
            return Journey(broker: broker, databases: databases, ingest: ingest, leads: leads, head: head, manager: manager)
        }

        func stop() async {
            _ = try? await ingest.terminate()
            _ = try? await leads.terminate()
            try? await broker.stop()
            for database in databases.values {
                _ = try? await TemporaryDatabase.admin {
                    try await $0.query("DROP DATABASE IF EXISTS \(unescaped: database.name) WITH (FORCE)", logger: logger)
                }
            }
        }

        func leadsScalar(_ sql: String) async throws -> String? {
            try await ServiceHarness.scalar(sql, databaseURL: databases[.leads]!.url)
        }

        /// Posts to a signed connector endpoint of ingest.
        func connector(_ path: String, secret: String, body: [UInt8], contentType: String = "application/json") async throws -> (status: Int, body: String) {
            let response = try await ingest.send(
                "POST", path, body: body,
                headers: ["DMS-Signature": WebhookSignature.sign(body, secret: ServiceHarness.connectorSecrets[secret]!, time: Date()),
                          "Content-Type": contentType])
            return (response.status, response.body)
        }

        func form(phone: String, email: String? = nil, message: String) async throws -> (status: Int, body: String) {
            let fields = ["name": "Visitor", "phone": phone, "message": message].merging(email.map { ["email": $0] } ?? [:]) { $1 }
            return try await connector(
                "/v1/forms/submissions", secret: "DMS_INGEST_SECRET_FORMS", body: Array(try JSONEncoder().encode(fields)))
        }
    }

    func withJourney(_ body: (Journey) async throws -> Void) async throws {
        let journey = try await Journey.start()
        do {
            try await body(journey)
        } catch {
            Self.logger.error("journey failed; leads output: \(journey.leads.output.suffix(3000))")
            await journey.stop()
            throw error
        }
        await journey.stop()
    }

    struct Items<T: Decodable>: Decodable { var items: [T] }
    struct Lead: Decodable { var id: UUID; var state: String; var channel: String; var phone: String? }
    struct Entry: Decodable { var kind: String; var summary: String; var details: [String: String] }
    struct Note: Decodable { var kind: String; var leadId: UUID?; var contactId: UUID? }

    @Test("an unknown caller becomes a lead in state new, the head of sales is notified, the call lands in its history")
    func unknownCaller() async throws {
        try await withJourney { journey in
            let linked = "1764500000.\(Int.random(in: 100...999))"
            let events: [[String: String]] = [
                ["action": "dial", "UNIQUEID": linked + "1", "linkedid": linked, "src_num": "8 (916) 000-00-01", "dst_num": "201",
                 "did": "74951112233", "start": "2026-11-30 09:00:00"],
                ["action": "dial_answer", "UNIQUEID": linked + "1", "linkedid": linked, "answer": "2026-11-30 09:00:05"],
                ["action": "hangup", "UNIQUEID": linked + "1", "linkedid": linked, "endtime": "2026-11-30 09:01:05",
                 "recordingfile": "/storage/rec-1.mp3"],
            ]
            for event in events {
                let body = Array(try JSONEncoder().encode(event))
                #expect(try await journey.connector("/v1/telephony/events", secret: "DMS_INGEST_SECRET_PBX", body: body).status == 202)
            }
            var lead: Lead?
            try await eventually("a lead for the caller", timeout: .seconds(60)) {
                let found = try await journey.leads.call(Items<Lead>.self, "GET", "/v1/leads?phone=%2B79160000001").items
                lead = found.first
                return found.count == 1 ? nil : "\(found.count) leads"
            }
            let created = try #require(lead)
            #expect(created.state == "new" && created.channel == "phone" && created.phone == "+79160000001")
            try await eventually("the head of sales notified", timeout: .seconds(30)) {
                let notes = try await journey.leads.call(Items<Note>.self, "GET", "/v1/managers/\(journey.head)/notifications").items
                return notes.contains { $0.kind == "new_lead" && $0.leadId == created.id } ? nil : "\(notes.map(\.kind))"
            }
            try await eventually("the call's talk time and recording in the lead's history", timeout: .seconds(30)) {
                let history = try await journey.leads.call(Items<Entry>.self, "GET", "/v1/leads/\(created.id)/history").items
                guard history.count == 1, let call = history.first else { return "\(history.count) entries" }
                return call.kind == "call" && call.details["talkSeconds"] == "60" && call.details["recording"] == "/storage/rec-1.mp3"
                    ? nil : "\(call.details)"
            }
        }
    }

    static func mail(from address: String, id: String, subject: String) -> [UInt8] {
        Array("""
            From: "Oleg Kim" <\(address)>\r
            To: sales@manufacturer.example\r
            Subject: \(subject)\r
            Message-ID: <\(id)>\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            Please send the price list.\r

            """.utf8)
    }

    @Test("a known contact's mail lands in the contact's history and notifies the manager; the same mail twice is one entry")
    func knownContactMail() async throws {
        try await withJourney { journey in
            struct Contact: Decodable { var id: UUID }
            let contact = try await journey.leads.call(
                Contact.self, "POST", "/v1/contacts",
                json: #"{"name":"Oleg Kim","emails":["Oleg.Kim@Client.example"],"managerId":"\#(journey.manager)"}"#, expect: 201)
            let mail = Self.mail(from: "oleg.kim@client.example", id: "known-1@client.example", subject: "Price list")
            #expect(try await journey.connector("/v1/mail/messages", secret: "DMS_INGEST_SECRET_MAIL", body: mail, contentType: "message/rfc822").status == 202)
            let again = try await journey.connector("/v1/mail/messages", secret: "DMS_INGEST_SECRET_MAIL", body: mail, contentType: "message/rfc822")
            #expect(again.status == 202 && again.body.contains("\"duplicate\":true"))
            // A later mail of the same sender travels the same partition: once it is in, the repeat would be too.
            let later = Self.mail(from: "oleg.kim@client.example", id: "known-2@client.example", subject: "And the delivery terms")
            #expect(try await journey.connector("/v1/mail/messages", secret: "DMS_INGEST_SECRET_MAIL", body: later, contentType: "message/rfc822").status == 202)
            try await eventually("both mails in the contact's history", timeout: .seconds(60)) {
                let history = try await journey.leads.call(Items<Entry>.self, "GET", "/v1/contacts/\(contact.id)/history").items
                return history.map(\.summary) == ["Price list", "And the delivery terms"] ? nil : "\(history.map(\.summary))"
            }
            let notes = try await journey.leads.call(Items<Note>.self, "GET", "/v1/managers/\(journey.manager)/notifications").items
            #expect(notes.filter { $0.kind == "contact_activity" && $0.contactId == contact.id }.count == 2)
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM leads") == "0", "a known contact opens no lead")
        }
    }

    @Test("twenty simultaneous inquiries from one new number make one lead with twenty history entries")
    func twentyAtOnce() async throws {
        try await withJourney { journey in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask { try await journey.form(phone: "+7 916 000-00-20", message: "inquiry \(index)").status }
                }
                for try await status in group { #expect(status == 202) }
            }
            try await eventually("twenty history entries", timeout: .seconds(60)) {
                let count = try await journey.leadsScalar("SELECT count(*)::text FROM history")
                return count == "20" ? nil : count
            }
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM leads") == "1")
            #expect(try await journey.leadsScalar("SELECT count(DISTINCT lead_id)::text FROM history") == "1")
        }
    }

    @Test("leads killed and restarted in the middle of a stream of inquiries loses and duplicates nothing")
    func restartMidStream() async throws {
        try await withJourney { journey in
            var journey = journey
            for index in 0..<60 {
                if index == 25 {
                    kill(journey.leads.pid, SIGKILL)
                    _ = try await journey.leads.waitForExit(timeout: .seconds(10))
                }
                if index == 40 { journey = try await journey.restartedLeads() }
                let response = try await journey.form(phone: "+7 916 100-\(String(format: "%02d", index / 10))-\(String(format: "%02d", index % 100))", message: "n\(index)")
                #expect(response.status == 202, "\(response.body)")
            }
            try await eventually("sixty leads", timeout: .seconds(90)) {
                let count = try await journey.leadsScalar("SELECT count(*)::text FROM leads")
                return count == "60" ? nil : count
            }
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM history") == "60")
            #expect(try await journey.leadsScalar("SELECT count(DISTINCT phone_e164)::text FROM leads") == "60")
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM outbox WHERE event_type = 'LeadCreated'") == "60")
        }
    }

    @Test("an unparseable mail waits in quarantine and becomes a lead after the retry")
    func quarantineThenLead() async throws {
        try await withJourney { journey in
            let broken = Array("From: stranger@nowhere.example\r\nMessage-ID: <q-1@nowhere.example>\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nHello\r\n--x--\r\n".utf8)
            let held = try await journey.connector("/v1/mail/messages", secret: "DMS_INGEST_SECRET_MAIL", body: broken, contentType: "message/rfc822")
            #expect(held.status == 202 && held.body.contains("\"quarantined\":true"), "\(held.body)")
            struct Receipt: Decodable { var id: UUID }
            let entry = try JSONDecoder().decode(Receipt.self, from: Data(held.body.utf8))
            let repaired = Array("From: stranger@nowhere.example\r\nMessage-ID: <q-1@nowhere.example>\r\nSubject: Hello\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nHello\r\n--x--\r\n".utf8)
            let retried = try await journey.ingest.send("POST", "/v1/quarantine/\(entry.id)/retry", body: repaired, headers: ["Content-Type": "message/rfc822"])
            #expect(retried.status == 200, "\(retried.body)")
            try await eventually("a lead for the sender", timeout: .seconds(60)) {
                let found = try await journey.leads.call(Items<Lead>.self, "GET", "/v1/leads?email=stranger@nowhere.example").items
                return found.count == 1 && found[0].channel == "mail" ? nil : "\(found.count) leads"
            }
        }
    }

    @Test("a response deadline set before a restart fires after it: overdue event and the head notified")
    func deadlineAfterRestart() async throws {
        try await withJourney { journey in
            var journey = journey
            #expect(try await journey.form(phone: "+7 916 200-00-01", message: "call me").status == 202)
            var leadID: UUID?
            try await eventually("the lead", timeout: .seconds(60)) {
                leadID = try await journey.leads.call(Items<Lead>.self, "GET", "/v1/leads?phone=%2B79162000001").items.first?.id
                return leadID == nil ? "none" : nil
            }
            let lead = try #require(leadID)
            let assigned = try await journey.leads.send(
                "POST", "/v1/leads/\(lead)/assign", json: #"{"department":"alto","manager":"\#(journey.manager)"}"#)
            #expect(assigned.status == 200, "\(assigned.body)")
            #expect(try await journey.leads.terminate() == 0)
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM deadlines WHERE kind = 'response' AND fired_at IS NULL") == "1")
            journey = try await journey.restartedLeads()
            try await eventually("the response deadline to fire", timeout: .seconds(120)) {
                let notes = try await journey.leads.call(Items<Note>.self, "GET", "/v1/managers/\(journey.head)/notifications").items
                return notes.contains { $0.kind == "response_overdue" && $0.leadId == lead } ? nil : "\(notes.map(\.kind))"
            }
            #expect(try await journey.leadsScalar("SELECT count(*)::text FROM outbox WHERE event_type = 'LeadResponseOverdue'") == "1")
        }
    }

    @Test("a manager's open screen gets the notification of a call from their contact as it happens")
    func liveNotification() async throws {
        try await withJourney { journey in
            struct Contact: Decodable { var id: UUID }
            _ = try await journey.leads.call(
                Contact.self, "POST", "/v1/contacts",
                json: #"{"name":"Lucía","phones":["+34 912 345 678"],"managerId":"\#(journey.manager)"}"#, expect: 201)
            let stream = try EventStreamReader(port: journey.leads.port, path: "/v1/managers/\(journey.manager)/notifications/stream")
            defer { stream.close() }
            _ = try await stream.waitFor(": connected", timeout: .seconds(10))
            let call = ["action": "dial", "UNIQUEID": "live.1", "linkedid": "live.1", "src_num": "+34912345678", "dst_num": "201",
                        "did": "74951112233", "start": "2026-11-30 09:00:00"]
            #expect(try await journey.connector(
                "/v1/telephony/events", secret: "DMS_INGEST_SECRET_PBX", body: Array(try JSONEncoder().encode(call))).status == 202)
            let received = try await stream.waitFor("contact_activity", timeout: .seconds(60))
            #expect(received.contains("event: notification"))
        }
    }
}
