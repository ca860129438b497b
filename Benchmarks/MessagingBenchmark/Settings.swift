import BenchmarkSupport
import Foundation
import Messaging

/// What to run and how big: defaults as documented in docs/benchmarks.md, each overridable by a flag.
struct Settings: Sendable {
    /// 1 + 2: records produced through `KafkaProducer.send([...])`, then read back.
    var produceCount = 200_000
    var recordSize = 300
    var produceBatch = 1_000
    var produceInFlight = 4
    var consumeBatch = 1_000
    var consumeWait: Duration = .milliseconds(10)

    /// 3: events written to the outbox as fast as the writers go.
    var e2eCount = 50_000
    var e2eTransaction = 50
    var writers = 4

    /// 4: a paced writer at `rate` events/s for `seconds`, one transaction every `tick`.
    var rate = 1_000
    var seconds = 10
    var tickMilliseconds = 10

    var partitions = 6
    /// Size of the envelope on the wire (JSON), reached with the payload's padding.
    var envelopeSize = 300
    /// `OutboxRelay.Options.batchSize` and `InboxConsumer.Options.maxBatch` (the library defaults).
    var relayBatch = 500
    var inboxBatch = 500
    /// `KafkaConsumer.Options.highWatermark` (buffered messages at which fetching pauses); the
    /// low watermark is a fifth of it. The default is the library's.
    var consumerBuffer = KafkaConsumer.Options().highWatermark
    /// Extra librdkafka properties for the producer and for the consumers.
    var producerProperties: [String: String] = [:]
    var consumerProperties: [String: String] = [:]

    var skipRaw = false
    var skipE2E = false
    /// Longest wait for any one phase to complete before giving up.
    var phaseTimeout: Duration = .seconds(600)
    var verbose = false

    /// The consumers' librdkafka properties: a quick group on the local broker, plus `--consumer-prop`.
    var allConsumerProperties: [String: String] {
        ["session.timeout.ms": "6000", "max.poll.interval.ms": "10000"].merging(consumerProperties) { $1 }
    }

    var consumerOptions: KafkaConsumer.Options {
        var options = KafkaConsumer.Options()
        options.highWatermark = consumerBuffer
        options.lowWatermark = consumerBuffer / 5
        return options
    }

    static let usage = """
        usage: messaging-benchmark [options]

          --produce-count N     records for the raw produce/consume test (default 200000)
          --record-size B       value size of a raw record in bytes (default 300)
          --produce-batch N     records per producer.send([...]) (default 1000)
          --in-flight N         concurrent send batches (default 4)
          --e2e-count N         events for the outbox → relay → broker → inbox throughput test (default 50000)
          --e2e-transaction N   events per outbox transaction in that test (default 50)
          --writers N           parallel outbox writer tasks (default 4)
          --rate N              events/s for the fixed-rate latency test (default 1000)
          --seconds N           duration of the fixed-rate test (default 10)
          --tick-ms N           the paced writer commits one transaction every N ms (default 10)
          --partitions N        partitions of the benchmark topics (default 6)
          --relay-batch N       OutboxRelay batch size (default 500, the library default)
          --inbox-batch N       InboxConsumer max batch (default 500, the library default)
          --consumer-buffer N   KafkaConsumer high watermark, low = N/5 (default 50000, the library default)
          --producer-prop k=v   extra librdkafka property for the producer (repeatable)
          --consumer-prop k=v   extra librdkafka property for the consumers (repeatable)
          --skip-raw            skip tests 1 and 2
          --skip-e2e            skip tests 3 and 4
          --timeout S           give up on a phase after S seconds (default 600)
          --verbose             log at info level (default: warnings only)

        Broker and database come from DMS_KAFKA_BROKERS and DMS_ADMIN_DATABASE_URL, from the process
        environment or else from .dms/local.env (searched upwards from the current directory).
        """

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Settings {
        var settings = Settings()
        var queue = arguments[...]
        while let argument = queue.popFirst() {
            var name = argument
            var inline: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            func value() throws(UsageError) -> String {
                if let inline { return inline }
                guard let next = queue.popFirst() else { throw UsageError(description: "\(name) needs a value") }
                return next
            }
            func positive() throws(UsageError) -> Int {
                let text = try value()
                guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number > 0 else {
                    throw UsageError(description: "\(name) needs a positive integer, not '\(text)'")
                }
                return number
            }
            func property() throws(UsageError) -> (String, String) {
                let text = try value()
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw UsageError(description: "\(name) needs key=value, not '\(text)'")
                }
                return (String(text[..<equals]), String(text[text.index(after: equals)...]))
            }
            switch name {
            case "--produce-count": settings.produceCount = try positive()
            case "--record-size": settings.recordSize = try positive()
            case "--produce-batch": settings.produceBatch = try positive()
            case "--in-flight": settings.produceInFlight = try positive()
            case "--e2e-count": settings.e2eCount = try positive()
            case "--e2e-transaction": settings.e2eTransaction = try positive()
            case "--writers": settings.writers = try positive()
            case "--rate": settings.rate = try positive()
            case "--seconds": settings.seconds = try positive()
            case "--tick-ms": settings.tickMilliseconds = try positive()
            case "--partitions": settings.partitions = try positive()
            case "--relay-batch": settings.relayBatch = try positive()
            case "--inbox-batch": settings.inboxBatch = try positive()
            case "--consumer-buffer":
                settings.consumerBuffer = try positive()
                guard settings.consumerBuffer >= 5 else { throw UsageError(description: "--consumer-buffer must be at least 5") }
            case "--producer-prop":
                let (key, value) = try property()
                settings.producerProperties[key] = value
            case "--consumer-prop":
                let (key, value) = try property()
                settings.consumerProperties[key] = value
            case "--skip-raw": settings.skipRaw = true
            case "--skip-e2e": settings.skipE2E = true
            case "--timeout": settings.phaseTimeout = .seconds(try positive())
            case "--verbose", "-v": settings.verbose = true
            case "--help", "-h": throw UsageError(description: "")
            default: throw UsageError(description: "unknown option \(argument)")
            }
        }
        return settings
    }
}

