import DealerInfoCore
import ServiceKit

await runServiceMain(.dealerInfo) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
