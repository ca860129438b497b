/// librdkafka configuration: every property passes through unchanged, so operators can set
/// security (`security.protocol`, `sasl.*`, `ssl.*`) or tuning without a code change.
public struct KafkaConfiguration: Sendable, Equatable {
    /// librdkafka properties (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md).
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    public var bootstrapServers: String { properties["bootstrap.servers"] ?? "" }

    /// The settings every producer of ours uses: idempotent, acknowledged by all in-sync replicas.
    public func forProducer() -> KafkaConfiguration {
        var copy = self
        copy.properties["enable.idempotence"] = "true"
        copy.properties["acks"] = "all"
        copy.properties["linger.ms", default: "5"] = copy.properties["linger.ms"] ?? "5"
        return copy
    }

    /// Reads `DMS_KAFKA_PROP_<NAME>` variables as librdkafka properties: `DMS_KAFKA_PROP_SECURITY_PROTOCOL=ssl`
    /// becomes `security.protocol=ssl` (underscores are dots; a double underscore is a literal underscore).
    public static func properties(fromEnvironment environment: [String: String]) -> [String: String] {
        let prefix = "DMS_KAFKA_PROP_"
        var result: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix(prefix) {
            let raw = key.dropFirst(prefix.count).lowercased()
            let name = raw.replacingOccurrences(of: "__", with: "\u{0}")
                .replacingOccurrences(of: "_", with: ".")
                .replacingOccurrences(of: "\u{0}", with: "_")
            result[name] = value
        }
        return result
    }
}
