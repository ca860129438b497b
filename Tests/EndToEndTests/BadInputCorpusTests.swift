import Contracts
import Foundation
import ServiceKit
import Testing
import TestSupport

/// Hand-made bad inputs against every service as a real process: each gets its exact 4xx with a
/// problem body (never a 500), nothing is stored, and the metrics count the status the client got.
@Suite("Bad input: every service answers 4xx and stores nothing", .serialized)
struct BadInputCorpusTests {
    struct Case: Sendable {
        var service: ServiceName
        var method: String
        var path: String
        var body: String?
        var status: Int
        /// The field or parameter the problem must name, when it names one.
        var names: String?
    }

    static let nul = #"\u0000"#
    static let long = String(repeating: "x", count: 9000)
    static let big = #"{"name":""# + String(repeating: "x", count: 3 << 20) + #""}"#

    static let corpus: [Case] = [
        // NUL in JSON bodies: 422 naming the field.
        Case(service: .leads, method: "POST", path: "/v1/contacts", body: #"{"name":"Ива\#(nul)н"}"#, status: 422, names: "name"),
        Case(service: .leads, method: "POST", path: "/v1/counterparties", body: #"{"name":"ООО\#(nul)","kind":"prospect"}"#, status: 422, names: "name"),
        Case(service: .deals, method: "POST", path: "/v1/deals", body: #"{"needs":"x","lines":[{"sku":"A\#(nul)","name":"n","quantity":"1"}]}"#,
             status: 422, names: "lines[0].sku"),
        Case(service: .dealerInfo, method: "PUT", path: "/v1/dealers/D-NUL", body: #"{"name":"Dealer\#(nul)","region":"north","tier":"gold"}"#,
             status: 422, names: "name"),
        // NUL and oversize values in query parameters.
        Case(service: .leads, method: "GET", path: "/v1/leads?phone=%2B7916%00", status: 422, names: "phone"),
        Case(service: .leads, method: "GET", path: "/v1/leads?email=" + long, status: 422, names: "email"),
        Case(service: .deals, method: "GET", path: "/v1/deals?equipmentType=pumps%00", status: 422, names: "equipmentType"),
        Case(service: .inventory, method: "GET", path: "/v1/stock?sku=PMP%00", status: 422, names: "sku"),
        Case(service: .reporting, method: "GET", path: "/v1/events?key=a%00b", status: 422, names: "key"),
        Case(service: .reporting, method: "GET", path: "/v1/exports/mailchimp?segment=company:%00", status: 422, names: "segment"),
        Case(service: .ingest, method: "GET", path: "/v1/quarantine?state=held%00", status: 422, names: "state"),
        // A name longer than any screen or event takes.
        Case(service: .leads, method: "POST", path: "/v1/contacts", body: #"{"name":""# + String(repeating: "И", count: 501) + #""}"#, status: 422),
        // A number beyond its column.
        Case(service: .inventory, method: "POST", path: "/v1/stock/movements",
             body: #"{"kind":"receipt","sku":"PMP-100","warehouse":"MSK-1","quantity":1e16,"reason":"overflow"}"#, status: 422, names: "quantity"),
        // Bodies over the limit.
        Case(service: .leads, method: "POST", path: "/v1/contacts", body: big, status: 413),
        Case(service: .deals, method: "POST", path: "/v1/deals", body: big, status: 413),
        // Not JSON at all, and deep nesting.
        Case(service: .leads, method: "POST", path: "/v1/contacts", body: "{", status: 400),
        Case(service: .deals, method: "POST", path: "/v1/deals", body: String(repeating: "[", count: 5000), status: 400),
        // Unknown paths, and a domain's own 404 (thrown by a handler, which metrics once counted as 500).
        Case(service: .leads, method: "GET", path: "/v1/no-such-thing", status: 404),
        Case(service: .leads, method: "GET", path: "/v1/leads/\(UUID())", status: 404),
    ]

    @Test("the corpus: exact statuses, problem+json naming the field, no 500, nothing stored; metrics count 404 and 413 as such", .timeLimit(.minutes(5)))
    func corpusAnswers() async throws {
        try await ScratchSuite.with(ServiceName.allCases, seed: [.inventory: ["infra/demo/inventory.sql"]]) { suite in
            for item in Self.corpus {
                let process = suite[item.service]
                let response = try await process.send(
                    item.method, item.path, body: item.body.map { Array($0.utf8) },
                    headers: ["Authorization": "Bearer \(ServiceHarness.serviceToken)", "Content-Type": "application/json"])
                let label = "\(item.service.rawValue) \(item.method) \(item.path.prefix(80))"
                #expect(response.status == item.status, "\(label): \(response.status) \(response.body.prefix(300))")
                #expect(response.headers["content-type"] == "application/problem+json", "\(label)")
                #expect(response.body.utf8.count < 4096, "\(label): the answer does not echo the input (\(response.body.utf8.count) bytes)")
                if let name = item.names {
                    let problem = try JSONDecoder().decode(ProblemDetails.self, from: Data(response.body.utf8))
                    #expect(problem.errors?[name] != nil, "\(label): \(response.body.prefix(300))")
                }
            }
            // Nothing was stored.
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM contacts", databaseURL: suite.databases[.leads]!) == "0")
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM deals", databaseURL: suite.databases[.deals]!) == "0")
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM stock_movements WHERE reason = 'overflow'", databaseURL: suite.databases[.inventory]!) == "0")
            #expect(try await ServiceHarness.scalar(
                "SELECT count(*)::text FROM dealers WHERE code = 'D-NUL'", databaseURL: suite.databases[.dealerInfo]!) == "0")

            // The metrics count what the client got.
            let metrics = try await suite[.leads].get("/metrics").body
            let requests = metrics.split(separator: "\n").filter { $0.hasPrefix("hb_requests") }
            #expect(requests.contains { $0.contains(#"http_response_status_code="404""#) }, "\(requests)")
            #expect(requests.contains { $0.contains(#"http_response_status_code="413""#) }, "\(requests)")
            #expect(!requests.contains { $0.contains(#"http_response_status_code="500""#) }, "\(requests)")
        }
    }
}
