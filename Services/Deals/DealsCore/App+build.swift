import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The deals service's application, as `main` runs it and as tests build it.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    try ServicePlatform.application(
        configuration: configuration, metrics: metrics, migrationsDirectory: DealsMigrations.directory,
        routes: addDealsRoutes)
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum DealsMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
