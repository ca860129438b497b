import Contracts
import Testing

@testable import ServiceKit

@Suite("Configuration from the environment")
struct ConfigurationTests {
    let complete = [
        "DMS_SERVICE_TOKEN": "token",
        "DMS_DEALER_INFO_DATABASE_URL": "postgres://dms_dealer_info:pw@127.0.0.1:54329/dms_dealer_info",
        "DMS_DATABASE_URL": "postgres://generic:pw@127.0.0.1:5432/generic",
        "DMS_INGEST_SECRET_PBX": "pbx", "DMS_INGEST_SECRET_MAIL": "mail", "DMS_INGEST_SECRET_FORMS": "forms",
        "DMS_INGEST_CHAT_TOKEN": "chat-token",
    ]

    @Test("defaults: loopback, the service's own port, local broker, six partitions")
    func defaults() throws {
        let configuration = try ServiceConfiguration.fromEnvironment(.dealerInfo, environment: complete)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8085)
        #expect(configuration.kafka.bootstrapServers == "127.0.0.1:19092")
        #expect(configuration.topicPartitions == 6)
        #expect(configuration.databaseURL.contains("dms_dealer_info"), "the service's own URL wins over DMS_DATABASE_URL")
    }

    @Test("DMS_DATABASE_URL serves when the service has no URL of its own")
    func genericDatabaseURL() throws {
        let configuration = try ServiceConfiguration.fromEnvironment(.leads, environment: complete)
        #expect(configuration.databaseURL.contains("generic"))
    }

    @Test("every missing or malformed variable is named at once")
    func problems() {
        #expect {
            try ServiceConfiguration.fromEnvironment(
                .ingest, environment: ["DMS_INGEST_PORT": "99999", "DMS_LOG_LEVEL": "loud", "DMS_DEFAULT_REGION": "Atlantis"])
        } throws: { error in
            let text = "\(error)"
            return ["DMS_SERVICE_TOKEN", "DATABASE_URL", "DMS_INGEST_PORT", "DMS_LOG_LEVEL", "DMS_INGEST_SECRET_PBX", "DMS_INGEST_CHAT_TOKEN", "DMS_DEFAULT_REGION"]
                .allSatisfy(text.contains)
        }
    }

    @Test("overrides are read", arguments: [ServiceName.ingest, .reporting])
    func overrides(service: ServiceName) throws {
        var environment = complete
        environment[service.environmentPrefix + "PORT"] = "9999"
        environment["DMS_KAFKA_BROKERS"] = "k1:9092,k2:9092"
        environment["DMS_KAFKA_PROP_SECURITY_PROTOCOL"] = "ssl"
        let configuration = try ServiceConfiguration.fromEnvironment(service, environment: environment)
        #expect(configuration.port == 9999)
        #expect(configuration.kafka.properties["security.protocol"] == "ssl")
        #expect(configuration.kafka.bootstrapServers == "k1:9092,k2:9092")
    }
}

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test func equalAndUnequal() {
        #expect(constantTimeEquals(Array("secret".utf8), Array("secret".utf8)))
        #expect(!constantTimeEquals(Array("secret".utf8), Array("secreT".utf8)))
        #expect(!constantTimeEquals(Array("secret".utf8), Array("secret-longer".utf8)))
        #expect(!constantTimeEquals([], Array("x".utf8)))
    }
}
