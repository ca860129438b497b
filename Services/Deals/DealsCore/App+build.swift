import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The deals service's application, as `main` runs it and as tests build it: HTTP routes and the
/// inbox applying what leads publishes (converted leads open deals) and what inventory reports about orders.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    let platform = try ServicePlatform(
        configuration: configuration, migrationsDirectory: DealsMigrations.directory, metrics: metrics)
    try DealsSettings.validate(platform)
    let context = DealsContext(platform: platform)
    let store = context.deals
    let router = platform.makeRouter { api, _ in addDealsRoutes(api, context) }
    return platform.makeApplication(
        router: router,
        services: [
            platform.inbox(
                registry: DealsInbox.registry,
                handler: DealsInbox(
                    leads: LeadsConsumer(deals: store, clock: { Date() }), inventory: InventoryConsumer(deals: store, clock: { Date() }))),
            DueWorkLoop(
                TaskDeadlineWatch(client: platform.postgres, logger: platform.logger, clock: { Date() }), every: .seconds(5),
                logger: platform.logger),
        ])
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum DealsMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}
