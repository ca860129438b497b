import Contracts
import Foundation
import Testing
import TestSupport
import Yams

@testable import ServiceKit

/// docker-compose.yml cannot run on the build machine, so these tests keep it honest against the code.
@Suite("docker-compose.yml matches the code")
struct DeploymentDriftTests {
    let root = TestEnvironment.repositoryRoot

    func compose() throws -> [String: Any] {
        let text = try String(contentsOf: root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    func composeServices() throws -> [String: [String: Any]] {
        try #require(try compose()["services"] as? [String: [String: Any]])
    }

    /// Executable products declared in Package.swift.
    func executables() throws -> Set<String> {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let regex = /\.executable\(name: "([a-z-]+)"/
        return Set(manifest.matches(of: regex).map { String($0.output.1) })
    }

    func environment(of service: [String: Any]) -> [String: String] {
        if let map = service["environment"] as? [String: Any] { return map.mapValues { "\($0)" } }
        var result: [String: String] = [:]
        for entry in service["environment"] as? [String] ?? [] {
            let parts = entry.split(separator: "=", maxSplits: 1)
            result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return result
    }

    @Test("every executable in Package.swift is a compose service, and the list matches the suite")
    func everyExecutableIsAService() throws {
        let executables = try executables()
        #expect(executables == Set(ServiceName.allCases.map(\.rawValue)))
        let services = try composeServices()
        for name in executables { #expect(services[name] != nil, "docker-compose.yml has no service \(name)") }
        #expect(services["kafka"] != nil && services["postgres"] != nil)
    }

    @Test("each service gets every variable it requires, its port, a readiness healthcheck and healthy dependencies",
          arguments: ServiceName.allCases)
    func serviceIsComplete(service: ServiceName) throws {
        let entry = try #require(try composeServices()[service.rawValue])
        let env = environment(of: entry)
        for variable in ServiceConfiguration.requiredVariables(for: service) {
            #expect(env[variable]?.isEmpty == false, "\(service.rawValue) lacks \(variable)")
        }
        #expect(env[service.environmentPrefix + "PORT"] == String(service.defaultPort))
        #expect(env[service.environmentPrefix + "HOST"] == "0.0.0.0")
        #expect(env["DMS_KAFKA_BROKERS"]?.contains("kafka:") == true)
        let database = "dms_" + service.rawValue.replacingOccurrences(of: "-", with: "_")
        #expect(env["DMS_DATABASE_URL"]?.contains("@postgres:5432/\(database)") == true)
        let ports = (entry["ports"] as? [Any] ?? []).map { "\($0)" }
        #expect(ports.contains { $0.hasSuffix(":\(service.defaultPort)") }, "\(ports)")
        let healthcheck = try #require(entry["healthcheck"] as? [String: Any])
        let test = "\(healthcheck["test"] ?? "")"
        #expect(test.contains("/health/ready") && test.contains(String(service.defaultPort)))
        let dependsOn = try #require(entry["depends_on"] as? [String: [String: Any]])
        #expect(dependsOn["kafka"]?["condition"] as? String == "service_healthy")
        #expect(dependsOn["postgres"]?["condition"] as? String == "service_healthy")
        let build = try #require(entry["build"] as? [String: Any])
        #expect(build["dockerfile"] as? String == "infra/Dockerfile")
        let command = (entry["command"] as? [String])?.joined(separator: " ") ?? "\(entry["command"] ?? "")"
        #expect(command.contains(service.rawValue))
    }

    @Test("the database init script creates every service's database and role")
    func databaseInitScript() throws {
        let script = try String(contentsOf: root.appendingPathComponent("infra/postgres/init-databases.sh"), encoding: .utf8)
        let postgres = try #require(try composeServices()["postgres"])
        let volumes = (postgres["volumes"] as? [String] ?? []).joined(separator: " ")
        #expect(volumes.contains("infra/postgres/init-databases.sh:/docker-entrypoint-initdb.d/"))
        for service in ServiceName.allCases {
            let suffix = service.rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
            #expect(script.contains(service.rawValue.replacingOccurrences(of: "-", with: "_")))
            #expect(environment(of: postgres)["DMS_\(suffix)_DB_PASSWORD"] != nil, "postgres needs DMS_\(suffix)_DB_PASSWORD")
        }
    }

    @Test("the Dockerfile builds in release, ships every executable and runs as a non-root user")
    func dockerfile() throws {
        let text = try String(contentsOf: root.appendingPathComponent("infra/Dockerfile"), encoding: .utf8)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }.count >= 2, "multi-stage")
        #expect(text.contains("-c release"))
        #expect(text.contains("USER "))
        #expect(!text.contains("USER root"))
        for service in ServiceName.allCases { #expect(text.contains(service.rawValue), "\(service.rawValue) not shipped") }
    }

    @Test(".ci/run calls exactly the README's test command")
    func ciCallsTheTestCommand() throws {
        let ci = try String(contentsOf: root.appendingPathComponent(".ci/run"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(ci.contains("infra/test"))
        #expect(readme.contains("infra/test"))
        #expect(readme.contains("infra/run"))
    }
}
