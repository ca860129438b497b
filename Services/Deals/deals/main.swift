import DealsCore
import ServiceKit

await runServiceMain(.deals) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
