import ReportingCore
import ServiceKit

await runServiceMain(.reporting) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
