import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The leads service's application, as `main` runs it and as tests build it: HTTP routes, the
/// inbox applying ingest's calls and inquiries, the deadline watch and the live notification feed.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    let settings = try LeadsSettings.fromEnvironment(configuration.environment)
    let platform = try ServicePlatform(
        configuration: configuration, migrationsDirectory: LeadsMigrations.directory, metrics: metrics)
    let hub = NotificationHub()
    let context = LeadsContext(platform: platform, settings: settings, hub: hub)
    let router = platform.makeRouter { api, _ in addLeadsRoutes(api, context) }
    let clock: @Sendable () -> Date = { Date() }
    return platform.makeApplication(
        router: router,
        services: [
            platform.inbox(registry: InboundConsumer.registry, handler: InboundConsumer(leads: context.leads, clock: clock)),
            DueWorkLoop(
                DeadlineWatch(client: platform.postgres, logger: platform.logger, clock: clock), every: settings.deadlineCheckInterval,
                logger: platform.logger),
            NotificationListener(client: platform.postgres, hub: hub, logger: platform.logger),
        ])
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum LeadsMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
