import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// Sets up the process-wide logging and metrics back-ends (once per process, from `main`),
/// and returns the Prometheus registry that `/metrics` serves.
public func bootstrapObservability(_ configuration: ServiceConfiguration) -> PrometheusCollectorRegistry {
    let level = configuration.logLevel
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = level
        return handler
    }
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

extension RouterMethods {
    /// `GET /metrics` in the Prometheus text format, needing no authentication.
    public func addMetricsRoute(registry: PrometheusCollectorRegistry) {
        get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
