import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceKit
import Testing
import TestSupport

@testable import IngestCore

@Suite("Ingest: mail, web forms, chat and the quarantine")
struct InquiryIntakeTests {
    static let mailSecret = ServiceHarness.connectorSecrets["DMS_INGEST_SECRET_MAIL"]!
    static let formsSecret = ServiceHarness.connectorSecrets["DMS_INGEST_SECRET_FORMS"]!
    static let chatToken = ServiceHarness.connectorSecrets["DMS_INGEST_CHAT_TOKEN"]!

    func signed(_ body: [UInt8], secret: String, contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.init("DMS-Signature")!] = WebhookSignature.sign(body, secret: secret, time: Date())
        headers[.contentType] = contentType
        return headers
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ body: [UInt8], headers: HTTPFields) async throws -> (status: Int, body: String) {
        try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    func postMail(_ client: some TestClientProtocol, _ mail: [UInt8]) async throws -> (status: Int, body: String) {
        try await post(client, "/v1/mail/messages", mail, headers: signed(mail, secret: Self.mailSecret, contentType: "message/rfc822"))
    }

    func receipt(_ body: String) throws -> Receipt { try JSONDecoder().decode(Receipt.self, from: Data(body.utf8)) }

    func inquiry(_ url: String, _ id: UUID) async throws -> InquiryReceived {
        let envelope = try #require(try await ServiceHarness.scalar(
            "SELECT envelope FROM outbox WHERE event_type = 'InquiryReceived' AND envelope::text ILIKE '%\(id.uuidString)%'",
            databaseURL: url))
        return try EventEnvelope.decode(Array(envelope.utf8)).get().payload(as: InquiryReceived.self)
    }

    static let freeMail = MailFixtures.crlf("""
        From: "Ivan Petrov" <Ivan.Petrov@Uralmash.example>
        To: sales@manufacturer.example
        Subject: Pumps for the new line
        Date: Tue, 5 Mar 2024 10:15:00 +0300
        Message-ID: <intake-1@uralmash.example>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        We need two pumps. Call me: +7 912 345-67-89
        --b1
        Content-Type: application/pdf; name="spec.pdf"
        Content-Disposition: attachment; filename="spec.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --b1--
        """)

    @Test("a mail becomes one inquiry with its sender, text and attachment; posting it again changes nothing")
    func mailOnce() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let first = try await postMail(client, Self.freeMail)
            #expect(first.status == 202, "\(first.body)")
            let second = try await postMail(client, Self.freeMail)
            #expect(second.status == 202)
            let (a, b) = (try receipt(first.body), try receipt(second.body))
            #expect(!a.duplicate && b.duplicate && a.id == b.id)
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM inquiries", databaseURL: url) == "1")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM outbox", databaseURL: url) == "1")
            let event = try await inquiry(url, a.id)
            #expect(event.channel == .mail)
            #expect(event.identity.email == "ivan.petrov@uralmash.example")
            #expect(event.identity.name == "Ivan Petrov")
            #expect(event.subject == "Pumps for the new line")
            #expect(event.text.contains("We need two pumps"))
            #expect(event.attachments.map(\.name) == ["spec.pdf"])
            #expect(event.source.sourceId == "mid:intake-1@uralmash.example")
            #expect(try await ServiceHarness.scalar("SELECT octet_length(content)::text FROM inquiry_attachments", databaseURL: url) == "9")
            let file = try #require(event.attachments.first)
            let download = try await client.execute(
                uri: "/v1/inquiries/\(a.id.uuidString)/attachments/\(file.id.uuidString)", method: .get, headers: ServiceHarness.authorized
            ) { ($0.status.code, Array($0.body.readableBytesView), $0.headers[.contentType]) }
            #expect(download.0 == 200 && download.1 == Array("%PDF-1.4\n".utf8) && download.2 == "application/pdf")
            let missing = try await client.execute(
                uri: "/v1/inquiries/\(a.id.uuidString)/attachments/\(UUID().uuidString)", method: .get, headers: ServiceHarness.authorized
            ) { $0.status.code }
            #expect(missing == 404)
        }
    }

    @Test("unsigned mail is 401 and wrong media type 415; nothing is stored")
    func mailRefused() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            var unsigned = HTTPFields()
            unsigned[.contentType] = "message/rfc822"
            #expect(try await post(client, "/v1/mail/messages", Self.freeMail, headers: unsigned).status == 401)
            let wrongSecret = signed(Self.freeMail, secret: Self.formsSecret, contentType: "message/rfc822")
            #expect(try await post(client, "/v1/mail/messages", Self.freeMail, headers: wrongSecret).status == 401)
            let asText = signed(Self.freeMail, secret: Self.mailSecret, contentType: "text/plain")
            let refused = try await post(client, "/v1/mail/messages", Self.freeMail, headers: asText)
            #expect(refused.status == 415 && refused.body.contains("message/rfc822"))
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM received_messages", databaseURL: url) == "0")
        }
    }

    static let brokenMail = MailFixtures.crlf("""
        From: visitor@example.org
        Subject: broken
        Message-ID: <broken-1@example.org>
        Content-Type: multipart/mixed

        --nobody-knows
        Content-Type: text/plain

        Hello
        --nobody-knows--
        """)

    static let repairedMail = MailFixtures.crlf("""
        From: visitor@example.org
        Subject: broken
        Message-ID: <broken-1@example.org>
        Content-Type: multipart/mixed; boundary="nobody-knows"

        --nobody-knows
        Content-Type: text/plain

        Hello
        --nobody-knows--
        """)

    @Test("an unreadable mail waits in the quarantine with its reason, whole, and becomes an inquiry when retried with a repair")
    func quarantine() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let response = try await postMail(client, Self.brokenMail)
            #expect(response.status == 202)
            let held = try receipt(response.body)
            #expect(held.quarantined == true)
            #expect(try receipt(try await postMail(client, Self.brokenMail).body).duplicate, "the same bytes again are a repeat")
            let list = try await client.execute(uri: "/v1/quarantine?state=held", method: .get, headers: ServiceHarness.authorized) {
                String(buffer: $0.body)
            }
            #expect(list.contains(held.id.uuidString) && list.contains("boundary"), "\(list)")
            #expect(try await ServiceHarness.scalar("SELECT octet_length(raw)::text FROM quarantine", databaseURL: url)
                == String(Self.brokenMail.count))

            let retryPath = "/v1/quarantine/\(held.id.uuidString)/retry"
            let still = try await post(client, retryPath, [], headers: ServiceHarness.authorized)
            #expect(still.status == 422, "\(still.body)")
            let released = try await post(client, retryPath, Self.repairedMail, headers: ServiceHarness.authorized)
            #expect(released.status == 200, "\(released.body)")
            #expect(released.body.contains("\"released\""))
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM inquiries", databaseURL: url) == "1")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM outbox WHERE event_type = 'InquiryReceived'", databaseURL: url) == "1")
            let unknown = try await post(client, "/v1/quarantine/\(UUID().uuidString)/retry", [], headers: ServiceHarness.authorized)
            #expect(unknown.status == 404)
        }
    }

    @Test("a web form becomes an inquiry with the visitor's identity; the same submission twice is one; no identity is 422")
    func forms() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let form = Array(#"""
                {"name":"Lucía Gómez","email":"Lucia@Example.ES","phone":"912 345 678","company":"Agua SL",
                 "message":"Necesito un compresor","pageUrl":"https://example.es/compresores",
                 "utm":{"source":"google","campaign":"spring"}}
                """#.utf8)
            let headers = signed(form, secret: Self.formsSecret, contentType: "application/json")
            let first = try await post(client, "/v1/forms/submissions", form, headers: headers)
            #expect(first.status == 202, "\(first.body)")
            #expect(try receipt(try await post(client, "/v1/forms/submissions", form, headers: headers).body).duplicate)
            let event = try await inquiry(url, try receipt(first.body).id)
            #expect(event.channel == .webForm)
            #expect(event.identity.email == "lucia@example.es")
            #expect(event.identity.company == "Agua SL")
            #expect(event.source.pageURL == "https://example.es/compresores")
            #expect(event.source.utm["utm_source"] == "google" || event.source.utm["source"] == "google", "\(event.source.utm)")

            let anonymous = Array(#"{"name":"Nobody","message":"hi"}"#.utf8)
            let refused = try await post(
                client, "/v1/forms/submissions", anonymous, headers: signed(anonymous, secret: Self.formsSecret, contentType: "application/json"))
            #expect(refused.status == 422, "\(refused.body)")
            let garbage = Array("not json".utf8)
            let bad = try await post(
                client, "/v1/forms/submissions", garbage, headers: signed(garbage, secret: Self.formsSecret, contentType: "application/json"))
            #expect(bad.status == 400)
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM inquiries", databaseURL: url) == "1")
        }
    }

    @Test("a signed form sent again under another Idempotency-Key is the same submission (the unsigned header decides nothing)")
    func formReplayUnderAnotherKey() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let form = Array(#"{"name":"Olga","phone":"+79160000001","message":"A pump"}"#.utf8)
            var headers = signed(form, secret: Self.formsSecret, contentType: "application/json")
            headers[.init("Idempotency-Key")!] = "first"
            let first = try await post(client, "/v1/forms/submissions", form, headers: headers)
            #expect(first.status == 202, "\(first.body)")
            headers[.init("Idempotency-Key")!] = "second"
            let replay = try await post(client, "/v1/forms/submissions", form, headers: headers)
            #expect(try receipt(replay.body).duplicate, "\(replay.body)")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM inquiries", databaseURL: url) == "1")
        }
    }

    @Test("a form whose text holds NUL is taken: stored and published with U+FFFD, the original bytes kept as sent")
    func formWithNUL() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let form = Array(#"{"name":"Ol\u0000ga","phone":"+79160000002","message":"pump\u0000 please","utm":{"source":"a\u0000b"}}"#.utf8)
            let response = try await post(client, "/v1/forms/submissions", form, headers: signed(form, secret: Self.formsSecret, contentType: "application/json"))
            #expect(response.status == 202, "\(response.body)")
            let event = try await inquiry(url, try receipt(response.body).id)
            #expect(event.identity.name == "Ol\u{FFFD}ga")
            #expect(event.text == "pump\u{FFFD} please")
            #expect(try await ServiceHarness.scalar("SELECT sender_name FROM inquiries", databaseURL: url) == "Ol\u{FFFD}ga")
            #expect(try await ServiceHarness.scalar("SELECT encode(raw, 'escape') FROM inquiries", databaseURL: url)
                == String(decoding: form, as: UTF8.self).replacingOccurrences(of: "\\", with: "\\\\"))
        }
    }

    @Test("the chat webhook needs its token; a finished chat is one inquiry however often it comes; other events are ignored")
    func chat() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let finished = Array(#"""
                {"event_name":"chat_finished","chat_id":4711,
                 "visitor":{"name":"João Silva","email":"joao@example.pt","phone":"+351 21 123 4567"},
                 "page":{"url":"https://example.pt/bombas","title":"Bombas"},
                 "chat":{"messages":[{"timestamp":1732528800,"type":"visitor","message":"Preciso de uma bomba"},
                                     {"timestamp":1732528860,"type":"agent","message":"Claro!"}]}}
                """#.utf8)
            var json = HTTPFields()
            json[.contentType] = "application/json"
            let wrong = try await post(client, "/v1/chat/webhook/not-the-token", finished, headers: json)
            #expect(wrong.status == 401)
            let path = "/v1/chat/webhook/\(Self.chatToken)"
            let first = try await post(client, path, finished, headers: json)
            #expect(first.status == 202, "\(first.body)")
            #expect(try receipt(try await post(client, path, finished, headers: json).body).duplicate)
            let event = try await inquiry(url, try receipt(first.body).id)
            #expect(event.channel == .chat)
            #expect(event.identity.phone?.e164 != nil)
            #expect(event.text.contains("Preciso de uma bomba"))
            let accepted = Array(#"{"event_name":"chat_accepted","chat_id":4712,"visitor":{"name":"x"}}"#.utf8)
            let ignored = try await post(client, path, accepted, headers: json)
            #expect(ignored.status == 200 && ignored.body.contains("ignored"))
            let updated = Array(#"{"event_name":"client_updated","client_id":99,"visitor":{"name":"x"}}"#.utf8)
            let alsoIgnored = try await post(client, path, updated, headers: json)
            #expect(alsoIgnored.status == 200, "an event without a chat id that is not an inquiry: \(alsoIgnored.body)")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM inquiries", databaseURL: url) == "1")
        }
    }
}
