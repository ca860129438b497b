/// What the broker acknowledged to the outbox for one partition: the topic's identity then, the
/// highest offset it stored, and the first offset it gave the latest send.
public struct AcknowledgedPartition: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var topicID: String
    public var offset: Int64
    public var latestSendOffset: Int64

    public init(topic: String, partition: Int32, topicID: String, offset: Int64, latestSendOffset: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.topicID = topicID
        self.offset = offset
        self.latestSendOffset = latestSendOffset ?? offset
    }

    var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// Rows the broker acknowledged and may no longer hold: every published row of `topic` (of
/// `partition` only, when given) at or above `fromOffset` must be published again.
public struct BrokerLoss: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The cluster id changed: another cluster (or one rebuilt from scratch) answers.
        case clusterChanged = "cluster_changed"
        /// The topic is gone.
        case topicMissing = "topic_missing"
        /// The topic has another id than when it acknowledged our rows: it was re-created.
        case topicRecreated = "topic_recreated"
        /// The partition is gone (the topic was re-created with fewer partitions).
        case partitionMissing = "partition_missing"
        /// The partition ends at or below the first offset of the latest send it acknowledged (its
        /// log was truncated, e.g. by an unclean leader election).
        case partitionTruncated = "partition_truncated"
        /// The broker acknowledged a new row at an offset it had already given an earlier one.
        case offsetsWentBack = "offsets_went_back"
        /// An operator asked for everything published since a time to be sent again.
        case operatorReplay = "operator_replay"
    }

    public var topic: String
    /// nil: every partition of the topic, and rows published before partitions were recorded.
    public var partition: Int32?
    public var fromOffset: Int64
    public var reason: Reason

    public init(topic: String, partition: Int32? = nil, fromOffset: Int64 = 0, reason: Reason) {
        self.topic = topic
        self.partition = partition
        self.fromOffset = fromOffset
        self.reason = reason
    }

    public var description: String {
        partition.map { "\(topic)[\($0)] from offset \(fromOffset) (\(reason.rawValue))" } ?? "\(topic) (\(reason.rawValue))"
    }
}

/// Compares what the broker acknowledged with what it holds now. Pure: the relay asks the broker
/// and the database, this decides.
public enum BrokerLossDetector {
    /// Losses seen in the broker's current state. Only what was observed counts: a topic missing
    /// from `topics` or a partition missing from `endOffsets` was not asked about.
    /// - Parameters:
    ///   - recordedCluster: the cluster id the outbox recorded (nil before the first check).
    ///   - cluster: the cluster id the broker reports now (nil when it does not say).
    ///   - topics: per topic asked about, its identity, or nil when the broker does not have it.
    ///   - endOffsets: per partition asked about, its end offset, or nil when it does not exist.
    public static func losses(
        acknowledged: [AcknowledgedPartition], recordedCluster: String?, cluster: String?,
        topics: [String: TopicIdentity?], endOffsets: [TopicPartition: Int64?] = [:]
    ) -> [BrokerLoss] {
        let byTopic = Dictionary(grouping: acknowledged, by: \.topic)
        if let recordedCluster, let cluster, recordedCluster != cluster {
            return byTopic.keys.sorted().map { BrokerLoss(topic: $0, reason: .clusterChanged) }
        }
        var losses: [BrokerLoss] = []
        for topic in byTopic.keys.sorted() {
            let partitions = byTopic[topic]!.sorted { $0.partition < $1.partition }
            if let observed = topics[topic] {
                guard let identity = observed else {
                    losses.append(BrokerLoss(topic: topic, reason: .topicMissing))
                    continue
                }
                // A broker without topic ids answers with an empty one: nothing to compare.
                if !identity.id.isEmpty, partitions.contains(where: { !$0.topicID.isEmpty && $0.topicID != identity.id }) {
                    losses.append(BrokerLoss(topic: topic, reason: .topicRecreated))
                    continue
                }
            }
            for acknowledged in partitions {
                guard let observed = endOffsets[acknowledged.topicPartition] else { continue }
                guard let end = observed else {
                    losses.append(BrokerLoss(topic: topic, partition: acknowledged.partition, reason: .partitionMissing))
                    continue
                }
                // Compared with the latest send's first offset, not the highest: the local broker
                // (Tansu 0.6) reports the end as one past the first record of its last record
                // batch. A truncation inside the latest send is caught by `regressions` instead,
                // at the next send.
                if end <= acknowledged.latestSendOffset {
                    losses.append(BrokerLoss(topic: topic, partition: acknowledged.partition, fromOffset: end, reason: .partitionTruncated))
                }
            }
        }
        return losses
    }

    /// Losses revealed by fresh acknowledgements: a partition that gives a new row an offset at or
    /// below one it had already acknowledged has lost everything before (the new row itself is
    /// stored and is not counted).
    public static func regressions(acknowledged: [AcknowledgedPartition], reports: [DeliveryReport]) -> [BrokerLoss] {
        let highest = Dictionary(acknowledged.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: max)
        var lowestNew: [TopicPartition: Int64] = [:]
        for report in reports {
            let tp = TopicPartition(report.topic, report.partition)
            lowestNew[tp] = min(lowestNew[tp] ?? report.offset, report.offset)
        }
        return lowestNew.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.compactMap { tp in
            guard let known = highest[tp], let new = lowestNew[tp], new <= known else { return nil }
            return BrokerLoss(topic: tp.topic, partition: tp.partition, reason: .offsetsWentBack)
        }
    }
}
