import Foundation
import Hummingbird
import Prometheus
import ServiceKit

/// The inventory service's application, as `main` runs it and as tests build it: HTTP routes,
/// the inbox routing buyer orders from deals, and the watch on lots close to expiry.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    let platform = try ServicePlatform(
        configuration: configuration, migrationsDirectory: InventoryMigrations.directory, metrics: metrics)
    let settings = try InventorySettings(platform.configuration.environment)
    let context = InventoryContext(postgres: platform.postgres, store: InventoryStore(receivingWarehouse: settings.receivingWarehouse))
    let router = platform.makeRouter { api, _ in addInventoryRoutes(api, context) }
    return platform.makeApplication(
        router: router,
        services: [
            platform.inbox(registry: DealsConsumer.registry, handler: DealsConsumer(store: context.store, clock: { Date() })),
            DueWorkLoop(
                LotExpiryWatch(client: platform.postgres, warningDays: settings.expiryWarningDays, logger: platform.logger, clock: { Date() }),
                every: .seconds(60), logger: platform.logger),
        ])
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum InventoryMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}

/// The inventory's own settings, checked at start-up.
struct InventorySettings: Sendable {
    /// `DMS_INVENTORY_RECEIVING_WAREHOUSE` (default `MSK-1`): where finished production and
    /// supplier deliveries are received when the report names no warehouse.
    var receivingWarehouse: String
    /// `DMS_INVENTORY_EXPIRY_WARNING_DAYS` (default 30): a lot expiring within this many days emits `LotExpiringSoon`.
    var expiryWarningDays: Int

    init(receivingWarehouse: String = "MSK-1", expiryWarningDays: Int = 30) {
        self.receivingWarehouse = receivingWarehouse
        self.expiryWarningDays = expiryWarningDays
    }

    init(_ environment: [String: String]) throws {
        var problems: [String] = []
        receivingWarehouse = environment["DMS_INVENTORY_RECEIVING_WAREHOUSE"].flatMap { $0.isEmpty ? nil : $0 } ?? "MSK-1"
        if receivingWarehouse.wholeMatch(of: /[A-Z0-9][A-Z0-9_-]*/) == nil {
            problems.append("DMS_INVENTORY_RECEIVING_WAREHOUSE must be a warehouse code such as MSK-1, not \(receivingWarehouse)")
        }
        let days = environment["DMS_INVENTORY_EXPIRY_WARNING_DAYS"].flatMap { $0.isEmpty ? nil : $0 } ?? "30"
        expiryWarningDays = Int(days) ?? -1
        if expiryWarningDays < 0 || expiryWarningDays > 3650 {
            problems.append("DMS_INVENTORY_EXPIRY_WARNING_DAYS must be a number of days from 0 to 3650, not \(days)")
        }
        if !problems.isEmpty { throw ConfigurationError(service: .inventory, problems: problems) }
    }
}
