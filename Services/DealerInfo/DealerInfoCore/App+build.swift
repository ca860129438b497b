import Contracts
import Foundation
import Hummingbird
import Messaging
import Prometheus
import ServiceKit

/// The dealer-info service's application, as `main` runs it and as tests build it: head office's
/// routes (service token), the dealers' own routes (their API keys), and the inbox keeping the
/// stock series from inventory's levels.
public func buildApplication(
    configuration: ServiceConfiguration, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) async throws -> some ApplicationProtocol {
    let platform = try ServicePlatform(
        configuration: configuration, migrationsDirectory: DealerInfoMigrations.directory, metrics: metrics)
    let settings = try DealerInfoSettings(platform.configuration.environment)
    let context = DealerInfoContext(postgres: platform.postgres, policy: settings.policy)
    let router = platform.makeRouter { api, _ in addDealerInfoRoutes(api, context) }
    let push = PushLoop(client: platform.postgres, logger: platform.logger, clock: { Date() })
    return platform.makeApplication(
        router: router,
        services: [
            platform.inbox(registry: StockConsumer.registry, handler: StockConsumer()),
            DueWorkLoop(push, every: .seconds(1), batch: 32, logger: platform.logger),
        ])
}

/// The service's own SQL migrations, shipped as a resource folder.
public enum DealerInfoMigrations {
    public static var directory: URL { Bundle.module.url(forResource: "Migrations", withExtension: nil)! }
}

/// The thresholds of the checks on shops' reports, from the environment, checked at start-up:
/// `DMS_DEALER_INFO_PRICE_TOLERANCE_PERCENT` (5), `DMS_DEALER_INFO_MAX_RETURN_SHARE_PERCENT` (20),
/// `DMS_DEALER_INFO_MAX_DISCOUNT_PERCENT` (30), `DMS_DEALER_INFO_OPENING_HOURS` (`09:00-21:00`).
struct DealerInfoSettings: Sendable {
    var policy: AnomalyPolicy

    init(_ environment: [String: String]) throws {
        var problems: [String] = []
        var policy = AnomalyPolicy.standard
        func percent(_ name: String, _ keyPath: WritableKeyPath<AnomalyPolicy, Decimal>) {
            guard let text = environment[name], !text.isEmpty else { return }
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), value >= 0, value <= 100,
                text.wholeMatch(of: /\d+(\.\d+)?/) != nil
            else { return problems.append("\(name) must be a percentage from 0 to 100, not \(text)") }
            policy[keyPath: keyPath] = value
        }
        percent("DMS_DEALER_INFO_PRICE_TOLERANCE_PERCENT", \.priceTolerancePercent)
        percent("DMS_DEALER_INFO_MAX_RETURN_SHARE_PERCENT", \.maxReturnSharePercent)
        percent("DMS_DEALER_INFO_MAX_DISCOUNT_PERCENT", \.maxDiscountPercent)
        if let hours = environment["DMS_DEALER_INFO_OPENING_HOURS"], !hours.isEmpty {
            if let match = hours.wholeMatch(of: /([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)/) {
                policy.opensAt = "\(match.1):\(match.2)"
                policy.closesAt = "\(match.3):\(match.4)"
            } else {
                problems.append("DMS_DEALER_INFO_OPENING_HOURS must be HH:MM-HH:MM (e.g. 09:00-21:00), not \(hours)")
            }
        }
        if !problems.isEmpty { throw ConfigurationError(service: .dealerInfo, problems: problems) }
        self.policy = policy
    }
}

/// Keeps availability per product and warehouse from inventory's `StockLevelChanged` (a later
/// change never overwritten by an earlier one delivered late); each change gets the next cursor
/// of the dealers' stock series.
struct StockConsumer: InboxHandler {
    static let registry = EventRegistry([StockLevelChanged.self])

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        guard let level = event.payload as? StockLevelChanged else { return }
        try await transaction.connection.query(
            """
            INSERT INTO stock_levels (sku, warehouse, available, changed_at, seq)
            VALUES (\(level.sku), \(level.warehouse), \(level.available), \(level.changedAt), nextval('stock_level_seq'))
            ON CONFLICT (sku, warehouse) DO UPDATE SET available = excluded.available, changed_at = excluded.changed_at, seq = excluded.seq
                WHERE stock_levels.changed_at <= excluded.changed_at
            """, logger: transaction.logger)
    }
}
