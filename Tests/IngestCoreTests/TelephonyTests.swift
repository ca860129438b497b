import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceKit
import Testing
import TestSupport

@testable import IngestCore

@Suite("Ingest: telephony endpoints")
struct TelephonyTests {
    static let secret = ServiceHarness.connectorSecrets["DMS_INGEST_SECRET_PBX"]!

    func signed(_ body: [UInt8], secret: String = secret, at time: Date = Date()) -> HTTPFields {
        var headers = HTTPFields()
        headers[.init("DMS-Signature")!] = WebhookSignature.sign(body, secret: secret, time: time)
        headers[.contentType] = "application/json"
        return headers
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ body: [UInt8], headers: HTTPFields) async throws -> (status: Int, body: String) {
        try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    @Test("unsigned, wrongly signed and stale requests are refused with 401 and store nothing")
    func refusesUnsigned() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let body = Array(try JSONEncoder().encode(SampleCall.events[0]))
            var bare = HTTPFields()
            bare[.contentType] = "application/json"
            let attempts: [(String, HTTPFields)] = [
                ("missing", bare),
                ("wrong secret", signed(body, secret: "not-the-secret")),
                ("stale", signed(body, at: Date().addingTimeInterval(-301))),
                ("service token instead", { var h = bare; h[.authorization] = "Bearer \(ServiceHarness.serviceToken)"; return h }()),
            ]
            for (what, headers) in attempts {
                let response = try await post(client, "/v1/telephony/events", body, headers: headers)
                #expect(response.status == 401, "\(what)")
                #expect(response.body.contains("\"status\":401"), "\(what): problem+json")
            }
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM received_messages", databaseURL: url) == "0")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM calls", databaseURL: url) == "0")
        }
    }

    @Test("the legs of a call, repeated and out of order, become one call and three events")
    func oneCallFromLegs() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            let deliveries = (SampleCall.events.reversed() + SampleCall.events.prefix(2)).map { Array(try! JSONEncoder().encode($0)) }
            var ids: Set<String> = []
            var duplicates = 0
            for body in deliveries {
                let response = try await post(client, "/v1/telephony/events", body, headers: signed(body))
                #expect(response.status == 202, "\(response.body)")
                let receipt = try JSONDecoder().decode(Receipt.self, from: Data(response.body.utf8))
                ids.insert(receipt.id.uuidString)
                if receipt.duplicate { duplicates += 1 }
            }
            #expect(ids.count == 1, "every delivery names the same call")
            #expect(duplicates == 2)
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM calls", databaseURL: url) == "1")
            #expect(try await ServiceHarness.scalar("SELECT talk_seconds::text FROM calls", databaseURL: url) == "120")
            let types = try await ServiceHarness.scalar(
                "SELECT string_agg(event_type, ',' ORDER BY event_type) FROM outbox WHERE topic = 'dms.ingest.calls.v1'",
                databaseURL: url)
            #expect(types == "CallAnswered,CallEnded,CallRegistered")
            let registered = try #require(try await ServiceHarness.scalar(
                "SELECT envelope FROM outbox WHERE event_type = 'CallRegistered'", databaseURL: url))
            let payload = try EventEnvelope.decode(Array(registered.utf8)).get().payload(as: CallRegistered.self)
            #expect(payload.caller == PartyNumber(raw: "+7 (495) 123-45-67", e164: "+74951234567"))
            #expect(payload.direction == .inbound)
            #expect(payload.did == "74951112233")
        }
    }

    @Test("a CDR batch registers a call whose live events were lost, and not one already registered")
    func cdrReconciliation() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, url in
            for event in SampleCall.events {
                let body = Array(try JSONEncoder().encode(event))
                #expect(try await post(client, "/v1/telephony/events", body, headers: signed(body)).status == 202)
            }
            let rows = [
                PBXCallEvent(action: nil, uniqueID: "1732528800.102", linkedID: SampleCall.linked, source: "+7 (495) 123-45-67",
                             destination: "202", did: "74951112233", start: "2024-11-25 10:00:00.500",
                             answer: "2024-11-25 10:00:07", end: "2024-11-25 10:02:07", disposition: "ANSWERED", billsec: 120),
                PBXCallEvent(action: nil, uniqueID: "1732529900.7", linkedID: "1732529900.7", source: "201",
                             destination: "+351211234567", start: "2024-11-25 11:00:00", end: "2024-11-25 11:00:30",
                             disposition: "NO ANSWER"),
            ]
            let body = Array(try JSONEncoder().encode(rows))
            let response = try await post(client, "/v1/telephony/cdr", body, headers: signed(body))
            #expect(response.status == 202, "\(response.body)")
            let again = try await post(client, "/v1/telephony/cdr", body, headers: signed(body))
            #expect(again.body.contains("\"duplicates\":2"), "\(again.body)")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM calls", databaseURL: url) == "2")
            let registered = try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM outbox WHERE event_type = 'CallRegistered'", databaseURL: url)
            #expect(registered == "2", "one per call, never twice")
        }
    }

    @Test("a malformed event is a 400 problem naming what is wrong")
    func malformed() async throws {
        try await ServiceHarness.withLiveService(.ingest, migrationsDirectory: IngestMigrations.directory, routes: addIngestRoutes) { client, _ in
            for body in [Array("not json".utf8), Array(#"{"action":"dial","UNIQUEID":"","linkedid":"x"}"#.utf8)] {
                let response = try await post(client, "/v1/telephony/events", body, headers: signed(body))
                #expect(response.status == 400)
                #expect(response.body.contains("application/problem+json") || response.body.contains("\"status\":400"))
            }
        }
    }
}
