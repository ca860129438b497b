import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The inventory service's application, as `main` runs it and as tests build it.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    try ServicePlatform.application(
        configuration: configuration, metrics: metrics, migrationsDirectory: InventoryMigrations.directory,
        routes: addInventoryRoutes)
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum InventoryMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
