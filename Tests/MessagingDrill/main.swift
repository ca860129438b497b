// A process the messaging fault tests start and kill: it runs the real outbox relay or the real
// inbox consumer against the database and broker it is given, so that `kill -9` hits production
// code mid-flight. Configured by environment:
//   DRILL_MODE=consume|relay, DRILL_DATABASE_URL, DRILL_BROKERS
//   consume: DRILL_TOPIC, DRILL_GROUP — applies every event as one row in drill_applied;
//            DRILL_CRASH_AFTER_APPLY=1 — SIGKILLs itself after the first batch's transaction
//            committed and before its offsets are committed
//   relay:   DRILL_CRASH_AFTER_ACK=1 — SIGKILLs itself after the broker acknowledged the first
//            batch and before the rows are marked published
import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import ServiceLifecycle
import Storage

struct DrillEvent: EventPayload {
    static let eventType = "DrillEvent"
    static let eventVersion = 1
    var sequence: Int
}

/// Appends one row per applied event; no unique constraint, so a double application shows.
struct RecordApplied: InboxHandler {
    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        guard let payload = event.payload as? DrillEvent else { return }
        try await transaction.connection.query(
            "INSERT INTO drill_applied (event_id, event_key, sequence) VALUES (\(event.envelope.id), \(event.envelope.key), \(payload.sequence))",
            logger: transaction.logger)
    }
}

let environment = ProcessInfo.processInfo.environment
func require(_ name: String) -> String {
    guard let value = environment[name], !value.isEmpty else {
        FileHandle.standardError.write(Data("messaging-drill: \(name) is not set\n".utf8))
        exit(2)
    }
    return value
}

var logger = Logger(label: "drill")
logger.logLevel = .notice
let client = PostgresClient(configuration: try .fromURL(require("DRILL_DATABASE_URL")), backgroundLogger: logger)
let kafka = KafkaConfiguration(
    bootstrapServers: require("DRILL_BROKERS"),
    properties: ["session.timeout.ms": "6000", "max.poll.interval.ms": "10000"])
let producer = try KafkaProducer(configuration: kafka, logger: logger)

var worker: any Service
switch require("DRILL_MODE") {
case "consume":
    var options = InboxConsumer.Options()
    if environment["DRILL_CRASH_AFTER_APPLY"] == "1" {
        options.afterApplied = { batch in
            FileHandle.standardError.write(Data("messaging-drill: killing myself after applying \(batch.count) events\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
    worker = InboxConsumer(
        groupID: require("DRILL_GROUP"), topics: [require("DRILL_TOPIC")], kafka: kafka, client: client,
        producer: producer, registry: EventRegistry([DrillEvent.self]), handler: RecordApplied(), options: options, logger: logger)
case "relay":
    var options = OutboxRelay.Options()
    if environment["DRILL_CRASH_AFTER_ACK"] == "1" {
        options.afterAcknowledged = { positions in
            FileHandle.standardError.write(Data("messaging-drill: killing myself after \(positions.count) acknowledged rows\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
    worker = OutboxRelay(client: client, producer: producer, options: options, logger: logger)
default:
    FileHandle.standardError.write(Data("messaging-drill: DRILL_MODE must be consume or relay\n".utf8))
    exit(2)
}

let group = ServiceGroup(
    configuration: .init(services: [.init(service: client), .init(service: producer), .init(service: worker)],
                         gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
try await group.run()
