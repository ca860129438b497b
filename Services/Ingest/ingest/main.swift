import IngestCore
import ServiceKit

await runServiceMain(.ingest) { configuration, metrics in
    try await buildApplication(configuration: configuration, metrics: metrics)
}
