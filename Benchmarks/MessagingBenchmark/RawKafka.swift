import BenchmarkSupport
import Foundation
import Logging
import Messaging

/// Tests 1 and 2: the Kafka client alone, no database.
enum RawKafka {
    struct ProduceResult {
        var records: Int
        var failed: Int
        var bytes: Int
        var elapsed: Duration
        /// Time from handing a batch to `send` until its last acknowledgement.
        var batchP50: Double
        var batchP99: Double
        var firstError: String?

        var perSecond: Double { Double(records - failed) / seconds(elapsed) }
        var megabytesPerSecond: Double { Double(bytes) / 1_000_000 / seconds(elapsed) }
    }

    struct ConsumeResult {
        var records: Int
        /// Subscribe until the first message (group join, assignment, first fetch).
        var firstMessageAfter: Duration
        /// First message until the last one.
        var streaming: Duration
        var total: Duration
        var batches: Int
        var duplicates: Int

        var perSecond: Double { Double(records) / seconds(streaming) }
        var perSecondOverall: Double { Double(records) / seconds(total) }
    }

    /// `count` records of `settings.recordSize` bytes in batches of `produceBatch`, `produceInFlight` at once.
    static func produce(producer: KafkaProducer, topic: String, settings: Settings) async -> ProduceResult {
        let count = settings.produceCount
        let batchSize = settings.produceBatch
        let batchCount = (count + batchSize - 1) / batchSize
        // Distinct bytes per record would not change anything: compression is off.
        let value = [UInt8]((0..<settings.recordSize).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        let keys = (0..<1_000).map { Array("key-\($0)".utf8) }

        struct BatchOutcome: Sendable {
            var failed: Int
            var elapsed: Duration
            var error: String?
        }
        @Sendable func send(_ batch: Int) async -> BatchOutcome {
            let range = (batch * batchSize)..<min(count, (batch + 1) * batchSize)
            let records = range.map { OutgoingRecord(topic: topic, key: keys[$0 % keys.count], value: value) }
            let started = ContinuousClock.now
            let results = await producer.send(records)
            var failed = 0
            var error: String?
            for case .failure(let failure) in results {
                failed += 1
                error = error ?? "\(failure)"
            }
            return BatchOutcome(failed: failed, elapsed: .now - started, error: error)
        }

        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: BatchOutcome.self) { group in
            var next = 0
            var outcomes: [BatchOutcome] = []
            while next < min(settings.produceInFlight, batchCount) {
                let batch = next
                group.addTask { await send(batch) }
                next += 1
            }
            while let outcome = await group.next() {
                outcomes.append(outcome)
                if next < batchCount {
                    let batch = next
                    group.addTask { await send(batch) }
                    next += 1
                }
            }
            return outcomes
        }
        let elapsed = ContinuousClock.now - started
        let failed = outcomes.reduce(0) { $0 + $1.failed }
        let latencies = outcomes.map { seconds($0.elapsed) * 1000 }.sorted()
        return ProduceResult(
            records: count, failed: failed, bytes: (count - failed) * settings.recordSize, elapsed: elapsed,
            batchP50: quantile(latencies, 0.5), batchP99: quantile(latencies, 0.99),
            firstError: outcomes.lazy.compactMap(\.error).first)
    }

    /// Reads `count` records back with a fresh consumer group, committing each batch.
    static func consume(
        kafka: KafkaConfiguration, topic: String, count: Int, settings: Settings, logger: Logger
    ) async throws -> ConsumeResult {
        let consumer = try KafkaConsumer(
            configuration: kafka, groupID: "bench-raw-\(randomTag())", topics: [topic], options: settings.consumerOptions,
            logger: logger)
        let started = ContinuousClock.now
        let maxBatch = settings.consumeBatch
        let maxWait = settings.consumeWait
        do {
            let result = try await withTimeout(settings.phaseTimeout, "reading \(grouped(count)) records back") {
                var received = 0
                var batches = 0
                var first: ContinuousClock.Instant?
                var last = ContinuousClock.now
                var seen = Set<Int64>(minimumCapacity: count)
                var duplicates = 0
                while received < count {
                    let batch = try await consumer.nextBatch(maxMessages: maxBatch, maxWait: maxWait)
                    if batch.isEmpty { throw BenchmarkFailure.failed("the consumer stopped after \(received) records") }
                    if first == nil { first = .now }
                    for message in batch where !seen.insert(Int64(message.partition) << 48 | message.offset).inserted {
                        duplicates += 1
                    }
                    received += batch.count
                    batches += 1
                    consumer.commit(batch)
                    last = .now
                }
                let firstAt = first ?? last
                return ConsumeResult(
                    records: received - duplicates, firstMessageAfter: firstAt - started, streaming: last - firstAt,
                    total: last - started, batches: batches, duplicates: duplicates)
            }
            await consumer.close()
            return result
        } catch {
            await consumer.close()
            throw error
        }
    }
}
