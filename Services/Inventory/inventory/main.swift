import InventoryCore
import ServiceKit

await runServiceMain(.inventory) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
