import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The reporting service's application, as `main` runs it and as tests build it.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    try ServicePlatform.application(
        configuration: configuration, metrics: metrics, migrationsDirectory: ReportingMigrations.directory,
        routes: addReportingRoutes,
        consumers: { platform in [platform.inbox(registry: EventLog.registry, handler: EventLog())] })
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum ReportingMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
