import Hummingbird
import ServiceKit

/// Read models and their endpoints arrive with the reporting issue; the service already runs,
/// migrates and reports its health.
public func addReportingRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {}
