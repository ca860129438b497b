import Contracts
import DealerInfoCore
import DealsCore
import Foundation
import Hummingbird
import IngestCore
import InventoryCore
import LeadsCore
import ReportingCore
import ServiceKit
import Testing
import TestSupport

/// docs/api/<service>.yaml describes exactly what the service serves.
@Suite("OpenAPI documents match the routes")
struct APIDocumentTests {
    static func service(_ name: ServiceName) -> (URL, (RouterGroup<BasicRequestContext>, ServicePlatform) -> Void) {
        switch name {
        case .ingest: (IngestMigrations.directory, addIngestRoutes)
        case .leads: (LeadsMigrations.directory, addLeadsRoutes)
        case .deals: (DealsMigrations.directory, addDealsRoutes)
        case .inventory: (InventoryMigrations.directory, addInventoryRoutes)
        case .dealerInfo: (DealerInfoMigrations.directory, addDealerInfoRoutes)
        case .reporting: (ReportingMigrations.directory, addReportingRoutes)
        }
    }

    @Test("no undocumented route, no documented route that is not served", arguments: ServiceName.allCases)
    func documentMatchesRoutes(service: ServiceName) throws {
        let (migrations, routes) = Self.service(service)
        let drift = try ServiceHarness.routeDrift(service, migrationsDirectory: migrations, routes: routes)
        #expect(drift.undocumented.isEmpty, "served but not in docs/api/\(service.rawValue).yaml: \(drift.undocumented.sorted())")
        #expect(drift.unserved.isEmpty, "in docs/api/\(service.rawValue).yaml but not served: \(drift.unserved.sorted())")
        let documented = try OpenAPIRoutes.documented(service: service.rawValue)
        #expect(documented.contains("GET /health/ready"))
    }
}
