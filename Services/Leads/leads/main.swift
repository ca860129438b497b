import LeadsCore
import ServiceKit

await runServiceMain(.leads) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
