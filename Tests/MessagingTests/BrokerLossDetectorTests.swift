import Testing

@testable import Messaging

/// `BrokerLossDetector` decides from what the outbox recorded and what the broker says now.
@Suite("Broker loss detection")
struct BrokerLossDetectorTests {
    static let topic = "dms.test.events.v1"
    static let other = "dms.other.events.v1"
    static let acknowledged = [
        AcknowledgedPartition(topic: topic, partition: 0, topicID: "A", offset: 99, latestSendOffset: 90),
        AcknowledgedPartition(topic: topic, partition: 1, topicID: "A", offset: 9),
        AcknowledgedPartition(topic: other, partition: 0, topicID: "B", offset: 5),
    ]
    static let same: [String: TopicIdentity?] = [topic: TopicIdentity(id: "A", partitions: 2), other: TopicIdentity(id: "B", partitions: 1)]

    @Test("nothing is lost while ids match and every partition ends past what it acknowledged")
    func intact() {
        let losses = BrokerLossDetector.losses(
            acknowledged: Self.acknowledged, recordedCluster: "c", cluster: "c", topics: Self.same,
            endOffsets: [TopicPartition(Self.topic, 0): 100, TopicPartition(Self.topic, 1): 12, TopicPartition(Self.other, 0): 6])
        #expect(losses.isEmpty)
    }

    @Test("a topic with another id was re-created: all of it is lost; other topics are not")
    func recreated() {
        var topics = Self.same
        topics[Self.topic] = TopicIdentity(id: "A2", partitions: 2)
        let losses = BrokerLossDetector.losses(acknowledged: Self.acknowledged, recordedCluster: nil, cluster: nil, topics: topics)
        #expect(losses == [BrokerLoss(topic: Self.topic, reason: .topicRecreated)])
    }

    @Test("a missing topic is lost whole")
    func missing() {
        var topics = Self.same
        topics[Self.other] = .some(nil)
        #expect(BrokerLossDetector.losses(acknowledged: Self.acknowledged, recordedCluster: nil, cluster: nil, topics: topics)
            == [BrokerLoss(topic: Self.other, reason: .topicMissing)])
    }

    @Test("a partition ending at or below the latest send's first offset lost the rows from its end on")
    func truncated() {
        let losses = BrokerLossDetector.losses(
            acknowledged: Self.acknowledged, recordedCluster: nil, cluster: nil, topics: Self.same,
            endOffsets: [TopicPartition(Self.topic, 0): 90, TopicPartition(Self.topic, 1): 10, TopicPartition(Self.other, 0): Int64?.none])
        #expect(losses == [
            BrokerLoss(topic: Self.other, partition: 0, reason: .partitionMissing),
            BrokerLoss(topic: Self.topic, partition: 0, fromOffset: 90, reason: .partitionTruncated),
        ])
    }

    @Test("an end inside the latest send is not a loss: the local broker reports one past its last record batch's first record")
    func endInsideLatestSend() {
        // Tansu 0.6 after one send of 10 records at 90...99 answers 91, not 100.
        let losses = BrokerLossDetector.losses(
            acknowledged: Self.acknowledged, recordedCluster: nil, cluster: nil, topics: Self.same,
            endOffsets: [TopicPartition(Self.topic, 0): 91])
        #expect(losses.isEmpty)
    }

    @Test("another cluster id loses every topic, whatever the topics say")
    func clusterChanged() {
        let losses = BrokerLossDetector.losses(acknowledged: Self.acknowledged, recordedCluster: "c", cluster: "d", topics: Self.same)
        #expect(losses == [BrokerLoss(topic: Self.other, reason: .clusterChanged), BrokerLoss(topic: Self.topic, reason: .clusterChanged)])
    }

    @Test("what was not asked about, or answered without ids, concludes nothing")
    func unknownConcludesNothing() {
        #expect(BrokerLossDetector.losses(acknowledged: Self.acknowledged, recordedCluster: "c", cluster: nil, topics: [:]).isEmpty)
        let noIDs: [String: TopicIdentity?] = [Self.topic: TopicIdentity(id: "", partitions: 2)]
        #expect(BrokerLossDetector.losses(acknowledged: Self.acknowledged, recordedCluster: nil, cluster: nil, topics: noIDs).isEmpty)
    }

    @Test("a fresh acknowledgement at or below a known offset reveals a loss of that partition only")
    func regression() {
        let reports = [
            DeliveryReport(topic: Self.topic, partition: 0, offset: 3),
            DeliveryReport(topic: Self.topic, partition: 1, offset: 10),
            DeliveryReport(topic: "dms.new.v1", partition: 0, offset: 0),
        ]
        #expect(BrokerLossDetector.regressions(acknowledged: Self.acknowledged, reports: reports)
            == [BrokerLoss(topic: Self.topic, partition: 0, reason: .offsetsWentBack)])
    }
}
