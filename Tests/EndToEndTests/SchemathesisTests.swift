import Contracts
import Foundation
import Testing
import TestSupport

/// Schemathesis (installed by the test command into `.dms/tools`) against every service's OpenAPI
/// document, with valid credentials (the service token; a dealer's own key on `/v1/dealer/…`; the
/// connectors' signatures, made by `infra/schemathesis/hooks.py`): no server errors, only
/// documented status codes and content types, responses that match their schemas. It runs on
/// scratch databases and a broker of its own, never the demo data.
@Suite("Schemathesis against every OpenAPI document", .serialized)
struct SchemathesisTests {
    static let tool = TestEnvironment.repositoryRoot.appendingPathComponent(".dms/tools/bin/st")
    /// Examples per operation: bounded, so that the whole run stays within a couple of minutes.
    static let examples = 15

    @Test("every operation of every service: no 5xx, documented statuses and content types, responses match their schemas",
          .timeLimit(.minutes(15)))
    func everyDocument() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tool.path) else {
            Issue.record("schemathesis is not installed at \(Self.tool.path): run infra/test (it installs it)")
            return
        }
        try await ScratchSuite.with(
            ServiceName.allCases,
            seed: [.leads: ["infra/demo/leads.sql"], .deals: ["infra/demo/deals.sql"], .inventory: ["infra/demo/inventory.sql"]]
        ) { suite in
            // A dealer with a key of its own, for the dealer portal's routes.
            let dealerInfo = suite[.dealerInfo]
            let created = try await dealerInfo.send(
                "PUT", "/v1/dealers/ST-1",
                json: #"{"name":"Schemathesis Dealer","legalName":"ООО «Тест»","taxId":"7701234567","region":"north","tier":"gold"}"#)
            #expect(created.status == 204, "\(created.status) \(created.body)")
            let issued = try await dealerInfo.send("POST", "/v1/dealers/ST-1/keys", json: "{}")
            #expect(issued.status == 201, "\(issued.body)")
            struct Key: Decodable { var key: String }
            let dealerKey = try JSONDecoder().decode(Key.self, from: Data(issued.body.utf8)).key

            var failures: [String] = []
            for service in ServiceName.allCases {
                let (status, output) = try await Self.run(service, base: suite[service].baseURL, dealerKey: dealerKey)
                if status != 0 { failures.append("\(service.rawValue): schemathesis exited \(status)\n\(output.suffix(6000))") }
                // What was covered (operations, cases, warnings), in the test log.
                if let summary = output.range(of: "FAILURES") ?? output.range(of: "WARNINGS") ?? output.range(of: "SUMMARY") {
                    print("schemathesis \(service.rawValue):\n" + output[summary.lowerBound...].prefix(status == 0 ? 3000 : 12000))
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
        }
    }

    static func run(_ service: ServiceName, base: String, dealerKey: String) async throws -> (Int32, String) {
        let root = TestEnvironment.repositoryRoot
        let process = Process()
        process.executableURL = tool
        process.currentDirectoryURL = root
        process.arguments = [
            "run", root.appendingPathComponent("docs/api/\(service.rawValue).yaml").path,
            "--url", base,
            // The endless notification stream would hold every call for the whole timeout.
            "--exclude-path-regex", "/stream$",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", String(examples),
            "--seed", "20261208",
            // The same cases every run: CI meets what was seen here, and a new failure means a change.
            "--generation-deterministic",
            "--request-timeout", "20",
            "--workers", "1",  // one at a time: with the deterministic cases, the same order of calls every run
            "--no-color",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_HOOKS"] = "hooks"
        environment["PYTHONPATH"] = root.appendingPathComponent("infra/schemathesis").path
        environment["DMS_TEST_DEALER_KEY"] = dealerKey
        environment["DMS_SERVICE_TOKEN"] = ServiceHarness.serviceToken
        environment.merge(ServiceHarness.connectorSecrets) { $1 }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Read while it runs (a full pipe would block it), off the cooperative pool.
        let text = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
