import CRdkafka

/// A failure reported by librdkafka or by our client around it.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A configuration property was refused.
        case configuration
        /// The client could not be created.
        case client
        /// The broker did not acknowledge a message (after librdkafka's own retries).
        case delivery
        /// The broker did not answer in time or at all.
        case unreachable
        /// An admin request (create topics) failed.
        case admin
        /// The client is shutting down and takes no more work.
        case shutdown
    }

    public var kind: Kind
    public var message: String
    /// librdkafka's error code where there is one.
    public var code: Int32?

    public init(_ kind: Kind, _ message: String, code: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    /// Whether the broker (or librdkafka before it) will refuse this record however often it is
    /// sent: too large, an invalid record or topic name. Anything else may pass on a later try.
    public var refusedForGood: Bool {
        guard kind == .delivery, let code else { return false }
        return Self.permanentCodes.contains(code)
    }

    static let permanentCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE.rawValue,
        RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE.rawValue, RD_KAFKA_RESP_ERR_INVALID_RECORD.rawValue,
        RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION.rawValue,
    ]

    init(_ kind: Kind, code: rd_kafka_resp_err_t) {
        self.init(kind, String(cString: rd_kafka_err2str(code)), code: code.rawValue)
    }

    public var description: String { "kafka \(kind): \(message)" }
}
