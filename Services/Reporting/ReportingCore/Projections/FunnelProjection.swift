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

    private(set) var models = ReadModels()
    private var position: Int64 = 0
    private var applied = 0
    private var lastEventAt: Date?
    private var lagSeconds: Double?
    private let overlap: Int64 = 64
    /// The positions applied lately, so the overlap re-read applies only rows it had not seen.
    private var recent = RecentPositions(capacity: 4096)
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

    func contacts(_ segment: AudienceSegment) -> [AudienceContact] { models.audience.contacts(segment: segment) }

    func timeliness(_ query: TimelinessQuery) -> TimelinessReport { models.timeliness.report(query) }

    func report(_ query: FunnelQuery) -> FunnelReport { models.funnel.report(query) }

    func drillDown(_ query: FunnelQuery, step: String) -> [UUID] { models.funnel.drillDown(query, step: step) }

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
                if recent.contains(at) { continue }
                // A row behind the position that was not applied yet committed late (positions are
                // taken before commit): apply it now.
                apply(text, logger: logger)
                recent.insert(at)
                newest = max(newest, at)
            }
            let fresh = Int(newest - position)
            position = newest
            total += fresh
            if rows.count < 5000 || fresh == 0 { return total }
        }
    }

    /// New models from the whole log, built to one side while the live ones keep answering (and
    /// the tail keeps feeding them), then swapped in with the position they reached: what arrived
    /// meanwhile is applied by the next catch-up. The answer is the funnel it gives and how many
    /// events it read.
    func rebuild(client: PostgresClient, logger: Logger) async throws -> (events: Int, report: FunnelReport) {
        var fresh = ReadModels()
        var reached: Int64 = 0
        var read = 0
        while true {
            let rows = try await client.query(
                "SELECT position, envelope::text FROM consumed_events WHERE position > \(reached) ORDER BY position LIMIT 5000", logger: logger
            ).collect()
            for row in rows {
                let (at, text) = try row.decode((Int64, String).self)
                if let (payload, occurredAt) = Self.decode(text, logger: logger) { fresh.apply(payload, occurredAt: occurredAt) }
                reached = max(reached, at)
                read += 1
            }
            if rows.count < 5000 { break }
        }
        models = fresh
        position = reached
        applied = read
        recent = RecentPositions(capacity: 4096)
        return (read, models.funnel.report(FunnelQuery()))
    }

    /// The payload of a stored envelope, when it is of a type the read models use.
    static func decode(_ text: String, logger: Logger) -> (any EventPayload, Date)? {
        guard case .success(let envelope) = EventEnvelope.decode(Array(text.utf8)) else {
            logger.warning("a consumed event is not an envelope; skipped by the read models")
            return nil
        }
        do {
            guard case .known(let payload) = try registry.decode(envelope) else { return nil }
            return (payload, envelope.occurredAt)
        } catch {
            logger.warning("a consumed event could not be read", metadata: ["type": "\(envelope.type)", "error": "\(error)"])
            return nil
        }
    }

    private func apply(_ text: String, logger: Logger) {
        guard let (payload, occurredAt) = Self.decode(text, logger: logger) else { return }
        models.apply(payload, occurredAt: occurredAt)
        applied += 1
        lastEventAt = occurredAt
        lagSeconds = max(0, clock().timeIntervalSince(occurredAt))
        for name in Self.names {
            Timer(label: "dms_projection_lag_seconds", dimensions: [("projection", name)])
                .recordNanoseconds(Int64((lagSeconds ?? 0) * 1_000_000_000))
        }
    }
}

/// The last `capacity` positions applied, oldest forgotten first.
struct RecentPositions: Sendable {
    let capacity: Int
    private var order: [Int64] = []
    private var members = Set<Int64>()
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ position: Int64) -> Bool { members.contains(position) }

    mutating func insert(_ position: Int64) {
        guard members.insert(position).inserted else { return }
        if order.count < capacity {
            order.append(position)
        } else {
            members.remove(order[head])
            order[head] = position
            head = (head + 1) % capacity
        }
    }
}

/// Every read model, fed the same events.
struct ReadModels: Sendable {
    var funnel = FunnelModel()
    var audience = AudienceModel()
    var timeliness = TimelinessModel()

    mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        funnel.apply(payload, occurredAt: occurredAt)
        audience.apply(payload, occurredAt: occurredAt)
        timeliness.apply(payload, occurredAt: occurredAt)
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
