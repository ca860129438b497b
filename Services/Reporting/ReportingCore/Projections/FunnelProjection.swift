import Contracts
import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The read models (the funnel, the marketing audience), kept in memory and fed from the
/// consumed-event log (`consumed_events`, written by the inbox): every replica tails the same log,
/// so each sees every event whatever partitions it consumes. The models' updates are
/// order-independent and idempotent, which is what lets a tail re-read a few rows (`overlap`, for
/// transactions that committed out of position order) and a rebuild replay the whole log to
/// exactly the same result.
actor FunnelProjection {
    static let registry = EventRegistry([
        InquiryReceived.self, CallRegistered.self, LeadCreated.self, LeadStateChanged.self, LeadConverted.self, DealOpened.self,
        DealStageChanged.self, DealLost.self, DealClosed.self, ContactRegistered.self, ContactUpdated.self, ContactsMerged.self,
        CounterpartyRegistered.self, CounterpartyUpdated.self, LeadTriageOverdue.self, LeadResponseOverdue.self, TaskCreated.self,
        TaskCompleted.self, TaskOverdue.self,
    ])
    /// The read models this host keeps (all fed from the same log position).
    static let names = ["funnel", "timeliness", "audience"]

    /// What `/v1/projections` reports about it.
    struct Status: Codable, Sendable {
        var name: String
        var position: Int64
        var eventsApplied: Int
        var lastEventAt: Date?
        /// Seconds between the last applied event's occurrence and its effect here.
        var lagSeconds: Double?
    }

    private(set) var model = FunnelModel()
    private(set) var audience = AudienceModel()
    private(set) var timeliness = TimelinessModel()
    private var position: Int64 = 0
    private var applied = 0
    private var lastEventAt: Date?
    private var lagSeconds: Double?
    private let overlap: Int64 = 64
    private let clock: @Sendable () -> Date

    init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    var status: Status {
        Status(name: "funnel", position: position, eventsApplied: applied, lastEventAt: lastEventAt, lagSeconds: lagSeconds)
    }

    var statuses: [Status] {
        Self.names.map { Status(name: $0, position: position, eventsApplied: applied, lastEventAt: lastEventAt, lagSeconds: lagSeconds) }
    }

    func contacts(_ segment: AudienceSegment) -> [AudienceContact] { audience.contacts(segment: segment) }

    func timeliness(_ query: TimelinessQuery) -> TimelinessReport { timeliness.report(query) }

    func report(_ query: FunnelQuery) -> FunnelReport { model.report(query) }

    func drillDown(_ query: FunnelQuery, step: String) -> [UUID] { model.drillDown(query, step: step) }

    /// Applies what the log holds beyond the last position (re-reading `overlap` rows before it);
    /// returns how many rows were read.
    @discardableResult
    func catchUp(client: PostgresClient, logger: Logger) async throws -> Int {
        var total = 0
        while true {
            let from = max(0, position - (applied > 0 ? overlap : 0))
            let rows = try await client.query(
                "SELECT position, envelope::text FROM consumed_events WHERE position > \(from) ORDER BY position LIMIT 5000", logger: logger
            ).collect()
            var newest = position
            for row in rows {
                let (at, text) = try row.decode((Int64, String).self)
                if at > position { apply(text, logger: logger) }
                newest = max(newest, at)
            }
            let fresh = Int(newest - position)
            position = newest
            total += fresh
            if rows.count < 5000 || fresh == 0 { return total }
        }
    }

    /// A new model from the whole log; the answer is the report it gives and how many events it read.
    func rebuild(client: PostgresClient, logger: Logger) async throws -> (events: Int, report: FunnelReport) {
        model = FunnelModel()
        audience = AudienceModel()
        timeliness = TimelinessModel()
        position = 0
        applied = 0
        let read = try await catchUp(client: client, logger: logger)
        return (read, model.report(FunnelQuery()))
    }

    private func apply(_ text: String, logger: Logger) {
        guard case .success(let envelope) = EventEnvelope.decode(Array(text.utf8)) else {
            logger.warning("a consumed event is not an envelope; skipped by the funnel")
            return
        }
        do {
            guard case .known(let payload) = try Self.registry.decode(envelope) else { return }
            model.apply(payload, occurredAt: envelope.occurredAt)
            audience.apply(payload, occurredAt: envelope.occurredAt)
            timeliness.apply(payload, occurredAt: envelope.occurredAt)
            applied += 1
            let now = clock()
            lastEventAt = envelope.occurredAt
            lagSeconds = max(0, now.timeIntervalSince(envelope.occurredAt))
            for name in Self.names {
                Timer(label: "dms_projection_lag_seconds", dimensions: [("projection", name)])
                    .recordNanoseconds(Int64((lagSeconds ?? 0) * 1_000_000_000))
            }
        } catch {
            logger.warning("a consumed event could not be read by the funnel", metadata: ["type": "\(envelope.type)", "error": "\(error)"])
        }
    }
}

/// Keeps the funnel up to date: tails the log every `interval` until shutdown.
struct ProjectionTail: Service {
    let funnel: FunnelProjection
    let client: PostgresClient
    let logger: Logger
    var interval: Duration = .milliseconds(200)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await funnel.catchUp(client: client, logger: logger)
                } catch {
                    logger.warning("could not read the event log; will retry", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
