import Contracts
import Foundation
import Messaging
import ServiceKit
import Testing
import TestSupport

/// What an outside sender controls can never block delivery: a huge mail still becomes a lead (its
/// event carries the beginning of the text), and an event the broker refuses for good is set aside
/// as a dead letter of the outbox instead of being retried forever in front of the next inquiry.
@Suite("Oversize events", .serialized)
struct OversizeEventTests {
    static func signed(_ body: [UInt8], _ secret: String, _ contentType: String) -> [String: String] {
        ["DMS-Signature": WebhookSignature.sign(body, secret: ServiceHarness.connectorSecrets[secret]!, time: Date()), "Content-Type": contentType]
    }

    static func form(_ ingest: ServiceProcess, email: String, message: String) async throws -> (status: Int, body: String) {
        let body = Array(try JSONEncoder().encode(["name": "Sender", "email": email, "message": message]))
        let response = try await ingest.send(
            "POST", "/v1/forms/submissions", body: body, headers: signed(body, "DMS_INGEST_SECRET_FORMS", "application/json"))
        return (response.status, response.body)
    }

    static func leads(_ suite: ScratchSuite.Running, email: String) async throws -> Int {
        Int(try await ServiceHarness.scalar("SELECT count(*)::text FROM leads WHERE email = '\(email)'", databaseURL: suite.databases[.leads]!) ?? "") ?? -1
    }

    @Test("a 1.4 MB plain-text mail becomes a lead; its event carries the first 64 KiB and ingest serves the whole text", .timeLimit(.minutes(3)))
    func largeMailBecomesLead() async throws {
        try await ScratchSuite.with([.ingest, .leads]) { suite in
            let line = "Нам нужна насосная станция на 40 кубометров в час, с резервом и автоматикой. 0123456789\r\n"
            let text = String(repeating: line, count: 1_400_000 / line.utf8.count)
            let mail = Array((
                "From: Big Sender <big.sender@example.com>\r\nTo: sales@manufacturer.example\r\nSubject: A long specification\r\n"
                + "Message-ID: <big-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\n" + text
            ).utf8)
            #expect(mail.count > 1_400_000)
            let response = try await suite[.ingest].send(
                "POST", "/v1/mail/messages", body: mail, headers: Self.signed(mail, "DMS_INGEST_SECRET_MAIL", "message/rfc822"))
            #expect(response.status == 202, "\(response.body)")
            try await eventually("the mail's lead", timeout: .seconds(60)) {
                try await Self.leads(suite, email: "big.sender@example.com") == 1 ? nil : "no lead yet"
            }
            let envelope = try #require(try await ServiceHarness.scalar(
                "SELECT envelope FROM outbox WHERE event_type = 'InquiryReceived'", databaseURL: suite.databases[.ingest]!))
            let event = try EventEnvelope.decode(Array(envelope.utf8)).get().payload(as: InquiryReceived.self)
            #expect(event.textTruncated == true)
            #expect(event.text.utf8.count <= InquiryReceived.maxTextBytes && event.text.utf8.count > InquiryReceived.maxTextBytes - 200)
            let whole = try await suite[.ingest].send("GET", "/v1/inquiries/\(event.inquiryId)/text")
            // The whole text (line ends as the mail parser gives them).
            let lines = { (text: String) in text.split(whereSeparator: \.isNewline).count }
            #expect(whole.status == 200 && whole.body.hasPrefix(event.text) && lines(whole.body) == lines(text), "\(lines(whole.body)) of \(lines(text)) lines")
            #expect(try await suite[.ingest].send("GET", "/v1/outbox/dead-letters").body == #"{"items":[]}"#)
        }
    }

    @Test("an event the broker refuses for good is a visible dead letter, counted in metrics, and the next inquiry still becomes a lead", .timeLimit(.minutes(3)))
    func refusedEventIsSetAside() async throws {
        // The producer takes messages of at most 20,000 bytes: a 30 KB form message makes an event
        // larger than that (the event carries up to 64 KiB of text).
        try await ScratchSuite.with([.ingest, .leads], environment: ["DMS_KAFKA_PROP_MESSAGE_MAX_BYTES": "20000"]) { suite in
            let ingest = suite[.ingest]
            #expect(try await Self.form(ingest, email: "first@example.com", message: "A pump").status == 202)
            #expect(try await Self.form(ingest, email: "huge@example.com", message: String(repeating: "x", count: 30_000)).status == 202)
            #expect(try await Self.form(ingest, email: "next@example.com", message: "A compressor").status == 202)
            try await eventually("the inquiries before and after the refused one become leads", timeout: .seconds(60)) {
                let first = try await Self.leads(suite, email: "first@example.com"), next = try await Self.leads(suite, email: "next@example.com")
                return first == 1 && next == 1 ? nil : "first \(first), next \(next)"
            }
            struct Letters: Decodable { var items: [OutboxDeadLetter] }
            var letters: [OutboxDeadLetter] = []
            try await eventually("the refused event listed as a dead letter", timeout: .seconds(30)) {
                letters = try JSONDecoder.iso8601.decode(Letters.self, from: Data(try await ingest.send("GET", "/v1/outbox/dead-letters").body.utf8)).items
                return letters.count == 1 ? nil : "\(letters.count) dead letters"
            }
            #expect(letters.first?.type == "InquiryReceived" && (letters.first?.bytes ?? 0) > 20_000)
            #expect(letters.first?.reason.localizedCaseInsensitiveContains("too large") == true, "\(letters.first?.reason ?? "")")
            #expect(try await Self.leads(suite, email: "huge@example.com") == 0)
            try await eventually("the dead-letter gauge", timeout: .seconds(30)) {
                let metrics = try await ingest.get("/metrics").body
                return metrics.contains("dms_outbox_dead_letters 1") ? nil : "gauge not 1 yet"
            }

            // Sent again on request: still too large, so it is set aside again (and never retried on its own).
            let retried = try await ingest.send("POST", "/v1/outbox/dead-letters/retry", json: #"{"eventIds":["\#(letters[0].eventId)"]}"#)
            #expect(retried.status == 202 && retried.body.contains(#""retried":1"#), "\(retried.body)")
            try await eventually("the retried row refused again", timeout: .seconds(30)) {
                let dead = try await ServiceHarness.scalar(
                    "SELECT count(*)::text FROM outbox WHERE dead_at IS NOT NULL AND dead_at > \(Self.sqlTime(letters[0].deadAt))",
                    databaseURL: suite.databases[.ingest]!)
                return dead == "1" ? nil : "not yet"
            }
        }
    }

    static func sqlTime(_ date: Date) -> String { "'\(Timestamp.format(date))'::timestamptz" }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text)) }
            return date
        }
        return decoder
    }
}
