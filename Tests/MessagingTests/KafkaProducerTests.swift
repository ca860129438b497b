import Foundation
import Logging
import Messaging
import Testing
import TestSupport

@Suite("Kafka configuration")
struct KafkaConfigurationTests {
    @Test("DMS_KAFKA_PROP_* variables pass through as librdkafka properties")
    func passThrough() {
        let properties = KafkaConfiguration.properties(fromEnvironment: [
            "DMS_KAFKA_PROP_SECURITY_PROTOCOL": "sasl_ssl",
            "DMS_KAFKA_PROP_SASL_MECHANISMS": "SCRAM-SHA-512",
            "DMS_KAFKA_PROP_SSL_CA_LOCATION": "/etc/ssl/ca.pem",
            "DMS_KAFKA_BROKERS": "ignored-here",
        ])
        #expect(properties == [
            "security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "ssl.ca.location": "/etc/ssl/ca.pem",
        ])
    }

    @Test("producers are always idempotent with acks=all")
    func producerDefaults() {
        let configuration = KafkaConfiguration(bootstrapServers: "b:9092", properties: ["acks": "1"]).forProducer()
        #expect(configuration.properties["enable.idempotence"] == "true")
        #expect(configuration.properties["acks"] == "all")
        #expect(configuration.bootstrapServers == "b:9092")
    }

    @Test("an unknown librdkafka property is refused by name")
    func unknownProperty() {
        #expect { try KafkaProducer(configuration: .init(bootstrapServers: "b:9092", properties: ["no.such.property": "1"]), logger: Logger(label: "t")) }
            throws: { "\($0)".contains("no.such.property") }
    }
}

@Suite("Kafka producer against the local broker")
struct KafkaProducerTests {
    let logger = Logger(label: "test.kafka")

    func producer(brokers: String = TestEnvironment.current.kafkaBrokers) throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: brokers), logger: logger)
    }

    @Test("creates missing topics and sends with acknowledgement, in order per key")
    func sendsAcknowledged() async throws {
        let producer = try producer()
        let topic = "test.producer.\(UUID().uuidString.prefix(8))"
        try await producer.ensureTopics([topic], partitions: 3)
        #expect(try await producer.metadata().topics[topic] == 3)
        try await producer.ensureTopics([topic], partitions: 3)  // existing topics are left alone

        var reports: [DeliveryReport] = []
        for index in 0..<5 {
            reports.append(try await producer.send(OutgoingRecord(
                topic: topic, key: Array("aggregate-1".utf8), value: Array("event \(index)".utf8),
                headers: [("type", Array("Test".utf8))])))
        }
        #expect(Set(reports.map(\.partition)).count == 1, "one key, one partition")
        #expect(reports.map(\.offset) == reports.map(\.offset).sorted())
        #expect(reports.allSatisfy { $0.topic == topic })
        await producer.shutdown()
    }

    @Test("many concurrent sends are all acknowledged")
    func concurrentSends() async throws {
        let producer = try producer()
        let topic = "test.producer.\(UUID().uuidString.prefix(8))"
        try await producer.ensureTopics([topic], partitions: 6)
        let reports = try await withThrowingTaskGroup(of: DeliveryReport.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await producer.send(OutgoingRecord(topic: topic, key: Array("k\(index % 10)".utf8), value: Array("v\(index)".utf8)))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 200)
        #expect(Set(reports.map { "\($0.partition):\($0.offset)" }).count == 200)
        await producer.shutdown()
    }

    @Test("a broker that does not answer is reported as unreachable within the timeout")
    func unreachable() async throws {
        let producer = try producer(brokers: "127.0.0.1:1")
        let started = ContinuousClock.now
        await #expect { try await producer.metadata(timeout: .milliseconds(500)) } throws: { error in
            (error as? KafkaError)?.kind == .unreachable
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        await producer.shutdown()
    }

    @Test("after shutdown no record is accepted")
    func refusesAfterShutdown() async throws {
        let producer = try producer()
        await producer.shutdown()
        await #expect { try await producer.send(OutgoingRecord(topic: "x", key: [], value: [])) } throws: { error in
            (error as? KafkaError)?.kind == .shutdown
        }
    }
}
