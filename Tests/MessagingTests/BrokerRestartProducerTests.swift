import Contracts
import Foundation
import Messaging
import Testing
import TestSupport

@Suite("Kafka clients across a broker restart")
struct BrokerRestartClientTests {
    @Test("the producer delivers to a topic re-created after the broker lost everything")
    func producerAfterRestart() async throws {
        let broker = try ScratchBroker()
        try await broker.start()
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: broker.address), logger: MessagingFixture.logger)
        let topic = "test.restart.\(UUID().uuidString.prefix(8).lowercased())"
        try await producer.ensureTopics([topic], partitions: 3)
        try await producer.send(OutgoingRecord(topic: topic, key: Array("k".utf8), value: Array("before".utf8)))

        try await broker.restart()
        try await producer.ensureTopics([topic], partitions: 3)
        // librdkafka 2.8 never delivers to a re-created topic on the old client: the first send
        // stalls until the producer replaces its client, fails, and is sent again (as the relay does).
        var failures: [String] = []
        try await eventually("a send acknowledged after the restart", timeout: .seconds(60), every: .milliseconds(10)) {
            do {
                let report = try await producer.send(OutgoingRecord(topic: topic, key: Array("k".utf8), value: Array("after".utf8)))
                return report.topic == topic ? nil : "acknowledged on \(report.topic)"
            } catch {
                failures.append("\(error)")
                return "\(error)"
            }
        }
        #expect(failures.count <= 1, "\(failures)")
        await producer.shutdown()
        try await broker.stop()
    }
}
