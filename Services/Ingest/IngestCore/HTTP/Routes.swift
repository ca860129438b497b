import Hummingbird
import ServiceKit

/// Connector endpoints arrive with the inbound issue; the service already runs, migrates and
/// reports its health.
public func addIngestRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {}
