import Contracts
import BenchmarkSupport
import Foundation
import Messaging

/// Test 0: CPU cost of the envelope per event, on one core — what every writer and every inbox pays.
enum Codec {
    struct Result {
        var events: Int
        /// Envelope with typed payload built and encoded (outbox writer side), µs/event.
        var encode: Double
        /// `EventEnvelope.decode` + `EventRegistry.decode` (inbox side), µs/event.
        var decode: Double
        /// `Timestamp.parse` alone (part of `decode`), µs/call.
        var parseTimestamp: Double
    }

    static func measure(count: Int, envelopeSize: Int) throws -> Result {
        let factory = try EventFactory(topic: "codec", envelopeSize: envelopeSize)
        let registry = EventRegistry([BenchmarkEvent.self])

        var clock = ContinuousClock.now
        var encoded: [[UInt8]] = []
        encoded.reserveCapacity(count)
        for event in try factory.events(0..<count) { encoded.append(try event.envelope.encoded()) }
        let encode = ContinuousClock.now - clock

        clock = .now
        var decodedCount = 0
        for bytes in encoded {
            let envelope = try EventEnvelope.decode(bytes).get()
            if case .known = try registry.decode(envelope) { decodedCount += 1 }
        }
        let decode = ContinuousClock.now - clock
        guard decodedCount == count else { throw BenchmarkFailure.failed("codec: \(count - decodedCount) envelopes not decoded") }

        let stamp = Timestamp.format(Date())
        clock = .now
        var parsed = 0
        for _ in 0..<count where Timestamp.parse(stamp) != nil { parsed += 1 }
        let parse = ContinuousClock.now - clock
        precondition(parsed == count)

        func perEvent(_ duration: Duration) -> Double { seconds(duration) * 1e6 / Double(count) }
        return Result(events: count, encode: perEvent(encode), decode: perEvent(decode), parseTimestamp: perEvent(parse))
    }
}
