import CRdkafka
import Foundation

/// A topic as the broker describes it now: its identity (a new id each time the topic is
/// created, so a re-created topic is told apart from the one it replaced) and its partitions.
public struct TopicIdentity: Sendable, Equatable {
    public var id: String
    public var partitions: Int

    public init(id: String, partitions: Int) {
        self.id = id
        self.partitions = partitions
    }
}

/// What a producer can ask the broker about the log it writes to: the questions the outbox relay
/// asks to find out whether the broker lost what it acknowledged.
extension KafkaProducer {
    /// The cluster's id (nil when the broker does not say within the timeout).
    public func clusterID(timeout: Duration = .seconds(5)) async throws -> String? {
        let timeoutMS = milliseconds(timeout)
        return try await handle.blocking { rk throws(KafkaError) in
            guard let id = rd_kafka_clusterid(rk, timeoutMS) else { return nil }
            defer { rd_kafka_mem_free(rk, id) }
            return String(cString: id)
        }
    }

    /// Each topic's identity, or nil for a topic the broker does not have. Throws when the broker
    /// does not answer (nothing can be concluded then).
    public func describeTopics(_ names: [String], timeout: Duration = .seconds(5)) async throws -> [String: TopicIdentity?] {
        guard !names.isEmpty else { return [:] }
        let timeoutMS = milliseconds(timeout)
        return try await handle.blocking { rk throws(KafkaError) in
            let cNames = names.map { UnsafePointer(strdup($0)) }
            defer { cNames.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
            var pointers = cNames
            guard let collection = rd_kafka_TopicCollection_of_topic_names(&pointers, pointers.count) else {
                throw KafkaError(.admin, "rd_kafka_TopicCollection_of_topic_names failed")
            }
            defer { rd_kafka_TopicCollection_destroy(collection) }
            guard let queue = rd_kafka_queue_new(rk) else { throw KafkaError(.admin, "rd_kafka_queue_new failed") }
            defer { rd_kafka_queue_destroy(queue) }
            rd_kafka_DescribeTopics(rk, collection, nil, queue)
            guard let event = rd_kafka_queue_poll(queue, timeoutMS) else {
                throw KafkaError(.unreachable, "no answer to DescribeTopics within \(timeoutMS) ms")
            }
            defer { rd_kafka_event_destroy(event) }
            if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(.unreachable, code: rd_kafka_event_error(event))
            }
            guard let result = rd_kafka_event_DescribeTopics_result(event) else { throw KafkaError(.admin, "unexpected admin result") }
            var count = 0
            var described: [String: TopicIdentity?] = [:]
            guard let topics = rd_kafka_DescribeTopics_result_topics(result, &count) else { return described }
            for index in 0..<count {
                guard let topic = topics[index] else { continue }
                let name = String(cString: rd_kafka_TopicDescription_name(topic))
                if let error = rd_kafka_TopicDescription_error(topic), rd_kafka_error_code(error) != RD_KAFKA_RESP_ERR_NO_ERROR {
                    guard rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART else {
                        throw KafkaError(.admin, "\(name): \(String(cString: rd_kafka_error_string(error)))",
                            code: rd_kafka_error_code(error).rawValue)
                    }
                    described[name] = .some(nil)
                    continue
                }
                var partitions = 0
                _ = rd_kafka_TopicDescription_partitions(topic, &partitions)
                let id = rd_kafka_TopicDescription_topic_id(topic).map { String(cString: rd_kafka_Uuid_base64str($0)) } ?? ""
                described[name] = TopicIdentity(id: id, partitions: partitions)
            }
            return described
        }
    }

    /// The end offset (high watermark: the offset the next message will get) of each partition;
    /// nil for a partition the broker does not have.
    public func endOffsets(_ partitions: [TopicPartition], timeout: Duration = .seconds(5)) async throws -> [TopicPartition: Int64?] {
        let timeoutMS = milliseconds(timeout)
        return try await handle.blocking { rk throws(KafkaError) in
            var ends: [TopicPartition: Int64?] = [:]
            for tp in partitions {
                var low: Int64 = 0
                var high: Int64 = 0
                let error = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low, &high, timeoutMS)
                switch error {
                case RD_KAFKA_RESP_ERR_NO_ERROR: ends[tp] = high
                case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
                    ends[tp] = .some(nil)
                default: throw KafkaError(.unreachable, code: error)
                }
            }
            return ends
        }
    }
}

extension TopicIdentity {
    /// The record header that carries the id of the topic a record was published to.
    public static let header = "dms-topic-id"
}
