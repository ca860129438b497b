import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The reporting service's application, as `main` runs it and as tests build it: the inbox that
/// keeps every event of the suite, the tail that feeds the read models from that log, and the API.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    let platform = try ServicePlatform(configuration: configuration, migrationsDirectory: ReportingMigrations.directory, metrics: metrics)
    let context = ReportingContext(platform: platform)
    let router = platform.makeRouter { api, _ in addReportingRoutes(api, context) }
    addDashboardRoutes(router, context)
    return platform.makeApplication(
        router: router,
        services: [
            platform.inbox(registry: EventLog.registry, handler: EventLog()),
            ProjectionTail(funnel: context.funnel, client: platform.postgres, logger: platform.logger),
        ])
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum ReportingMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
