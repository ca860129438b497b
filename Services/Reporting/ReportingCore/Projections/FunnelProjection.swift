import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The read models (the funnel, the marketing audience), kept in memory and fed from the
/// consumed-event log (`consumed_events`, written by the inbox): every replica tails the same log,
/// so each sees every event whatever partitions it consumes. The models' updates are
/// order-independent and idempotent, which is what lets a tail apply rows that committed out of
/// position order (read by the id of their transaction, open at the previous read) and a rebuild
/// replay the whole log to exactly the same result.
actor FunnelProjection {
    /// The payload types the read models use; other events in the log are not read.
    static let types: [any EventPayload.Type] = [
        InquiryReceived.self, CallRegistered.self, LeadCreated.self, LeadStateChanged.self, LeadConverted.self, DealOpened.self,
        DealStageChanged.self, DealLinesChanged.self, DealLost.self, DealClosed.self, ContactRegistered.self, ContactUpdated.self, ContactsMerged.self,
        CounterpartyRegistered.self, CounterpartyUpdated.self, LeadTriageOverdue.self, LeadResponseOverdue.self, TaskCreated.self,
        TaskCompleted.self, TaskOverdue.self, BuyerOrderPlaced.self, BuyerOrderCancelled.self, Shipped.self, PaymentReceived.self,
        DealerSalesReported.self, PublicationReleased.self, PublicationAcknowledged.self, StockLevelChanged.self, LotExpiringSoon.self,
        DealerAnomalyFlagged.self,
    ]
    static let typeNames = types.map { $0.eventType }
    /// `type/version` → the payload type, to read the payload's JSON as (one pass, straight from
    /// the stored payload, not through the envelope).
    static let typesByKey: [String: any EventPayload.Type] = Dictionary(
        uniqueKeysWithValues: types.map { ("\($0.eventType)/\($0.eventVersion)", $0) })

    static func decodePayload(_ key: String, _ data: Data, _ decoder: JSONDecoder) throws -> (any EventPayload)? {
        guard let type = typesByKey[key] else { return nil }
        return try decodeAs(type, data, decoder)
    }

    private static func decodeAs<P: EventPayload>(_ type: P.Type, _ data: Data, _ decoder: JSONDecoder) throws -> any EventPayload {
        try decoder.decode(P.self, from: data)
    }

    /// The read models this host keeps (all fed from the same log position).
    static let names = ["funnel", "timeliness", "audience", "sales", "stock-network"]

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
    /// Transactions open at the last read: rows they commit may lie below `position`, so the next
    /// read takes them by transaction id.
    private var openTransactions: [String] = []
    /// The positions applied lately: a row read twice (two catch-ups interleaving on the actor) is
    /// applied once.
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

    /// Who is told when the models move: each open dashboard stream, by id.
    private var watchers: [UUID: AsyncStream<Int64>.Continuation] = [:]

    /// The positions the models reach from now on (the current one first); the newest only, when
    /// the reader is slower than the tail. End it with `unwatch`.
    func watch() -> (id: UUID, positions: AsyncStream<Int64>) {
        let id = UUID()
        let (positions, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        continuation.yield(position)
        watchers[id] = continuation
        return (id, positions)
    }

    func unwatch(_ id: UUID) {
        watchers.removeValue(forKey: id)?.finish()
    }

    private func announce() {
        for continuation in watchers.values { continuation.yield(position) }
    }

    /// One stored event, as read from the log.
    struct Row: Sendable {
        var position: Int64
        var key: String
        var occurredAt: Date
        var payload: String
    }

    /// Up to `limit` events of the read models' types after `position`, and those (at any position)
    /// stored by the transactions in `open` (open at the previous read); with the transactions open
    /// now — one snapshot for both.
    static func read(
        after position: Int64, orStoredBy open: [String] = [], limit: Int, client: PostgresClient, logger: Logger
    ) async throws -> (rows: [Row], open: [String]) {
        try await client.withConnection { connection in
            try await connection.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let nowOpen = try await connection.query(
                    "SELECT array(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x)", logger: logger
                ).collect().first?.decode([String].self) ?? []
                let rows = try await connection.query(
                    """
                    SELECT position, type || '/' || (envelope->>'version'), occurred_at, (envelope->'payload')::text FROM consumed_events
                    WHERE (position > \(position) OR xid = ANY(\(open)::text[]::xid8[])) AND type = ANY(\(typeNames))
                    ORDER BY position LIMIT \(limit)
                    """, logger: logger
                ).collect().map { row in
                    let (position, key, occurredAt, payload) = try row.decode((Int64, String, Date, String).self)
                    return Row(position: position, key: key, occurredAt: occurredAt, payload: payload)
                }
                try await connection.query("COMMIT", logger: logger)
                return (rows, nowOpen)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// An event read from the log, its payload typed.
    struct Decoded: Sendable {
        var position: Int64
        var payload: any EventPayload
        var occurredAt: Date
    }

    /// The rows' payloads, decoded on every core (the costly part), in the rows' order; a row
    /// that cannot be read is logged and left out.
    static func decode(_ rows: [Row], logger: Logger) async -> [Decoded] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 256))
        let size = (rows.count + chunks - 1) / chunks
        return await withTaskGroup(of: DecodedChunk.self) { group in
            for chunk in 0..<chunks {
                let slice = Array(rows[min(rows.count, chunk * size)..<min(rows.count, (chunk + 1) * size)])
                group.addTask { DecodedChunk(index: chunk, events: decodeSlice(slice, logger: logger)) }
            }
            var parts: [DecodedChunk] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.index < $1.index }.flatMap(\.events)
        }
    }

    struct DecodedChunk: Sendable {
        var index: Int
        var events: [Decoded]
    }

    static func decodeSlice(_ slice: [Row], logger: Logger) -> [Decoded] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        var out: [Decoded] = []
        out.reserveCapacity(slice.count)
        for row in slice {
            do {
                guard let payload = try decodePayload(row.key, Data(row.payload.utf8), decoder) else { continue }
                out.append(Decoded(position: row.position, payload: payload, occurredAt: row.occurredAt))
            } catch {
                logger.warning("a consumed event could not be read", metadata: ["type": "\(row.key)", "error": "\(error)"])
            }
        }
        return out
    }

    /// Applies what the log holds beyond the last position, and what transactions open at the last
    /// read stored below it; returns how many events were applied.
    @discardableResult
    func catchUp(client: PostgresClient, logger: Logger) async throws -> Int {
        try await oneAtATime { try await $0.catchUpNow(client: client, logger: logger) }
    }

    /// The last catch-up or rebuild started: the next one starts after it. Two interleaving on the
    /// actor (the tail, and a report asking for fresh figures) would otherwise each set the
    /// position and the open transactions from its own snapshot — the older snapshot's set can lack
    /// a transaction whose rows lie below the newer position, and those rows would never be read.
    private var lastRead: Task<Void, Never>?

    private func oneAtATime<T: Sendable>(_ work: @escaping @Sendable (isolated FunnelProjection) async throws -> T) async throws -> T {
        let previous = lastRead
        let task = Task { () async throws -> T in
            await previous?.value
            return try await work(self)
        }
        lastRead = Task { _ = await task.result }
        // The work runs in a task of its own (so the next one can wait for it); a caller that is
        // cancelled (shutdown) cancels it, or shutdown would wait for a read the database may
        // never answer.
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private func catchUpNow(client: PostgresClient, logger: Logger) async throws -> Int {
        var total = 0
        while true {
            let (rows, open) = try await Self.read(
                after: position, orStoredBy: openTransactions, limit: 5000, client: client, logger: logger)
            // A full page may have left rows of the earlier open transactions for the next one.
            openTransactions = rows.count < 5000 ? open : Array(Set(openTransactions + open))
            let unseen = rows.filter { !recent.contains($0.position) }
            let decoded = await Self.decode(unseen, logger: logger)
            var fresh = 0
            for event in decoded where !recent.contains(event.position) {
                apply(event.payload, occurredAt: event.occurredAt)
                recent.insert(event.position)
                fresh += 1
            }
            position = max(position, rows.last?.position ?? position)
            total += fresh
            if rows.count < 5000 || fresh == 0 {
                if total > 0 {
                    recordLag()
                    announce()
                }
                return total
            }
        }
    }

    /// New models from the whole log, built to one side while the live ones keep answering (and
    /// the tail keeps feeding them), then swapped in with the position they reached: what arrived
    /// meanwhile is applied by the next catch-up. The answer is the funnel it gives and how many
    /// events it read.
    func rebuild(client: PostgresClient, logger: Logger) async throws -> (events: Int, report: FunnelReport) {
        try await oneAtATime { try await $0.rebuildNow(client: client, logger: logger) }
    }

    private func rebuildNow(client: PostgresClient, logger: Logger) async throws -> (events: Int, report: FunnelReport) {
        var fresh = ReadModels()
        fresh.funnel.deferTally()
        var reached: Int64 = 0
        var read = 0
        var openAtEnd: [String] = []
        while true {
            let (rows, open) = try await Self.read(after: reached, limit: 20_000, client: client, logger: logger)
            openAtEnd = open
            for event in await Self.decode(rows, logger: logger) {
                fresh.apply(event.payload, occurredAt: event.occurredAt)
            }
            read += rows.count
            reached = rows.last?.position ?? reached
            if rows.count < 20_000 { break }
        }
        fresh.funnel.recount()
        models = fresh
        position = reached
        openTransactions = openAtEnd
        applied = read
        recent = RecentPositions(capacity: 4096)
        announce()
        return (read, models.funnel.report(FunnelQuery()))
    }

    private func apply(_ payload: any EventPayload, occurredAt: Date) {
        models.apply(payload, occurredAt: occurredAt)
        applied += 1
        lastEventAt = occurredAt
        lagSeconds = max(0, clock().timeIntervalSince(occurredAt))
    }

    /// Records the lag of the newest applied event (once per catch-up, not per event).
    func recordLag() {
        guard let lagSeconds else { return }
        for name in Self.names {
            Timer(label: "dms_projection_lag_seconds", dimensions: [("projection", name)]).recordNanoseconds(Int64(lagSeconds * 1_000_000_000))
        }
    }
}

// Reports are worked out on a copy of the models, outside the actor: a report over a large
// history never holds up the tail (copy-on-write makes the copy cheap until the tail next writes).
extension FunnelProjection {
    nonisolated func current() async -> ReadModels { await models }

    nonisolated func contacts(_ segment: AudienceSegment) async -> [AudienceContact] {
        await current().audience.contacts(segment: segment)
    }

    nonisolated func timeliness(_ query: TimelinessQuery) async -> TimelinessReport { await current().timeliness.report(query) }

    nonisolated func timelinessDrillDown(_ query: TimelinessQuery, figure: String) async -> [UUID] {
        await current().timeliness.drillDown(query, figure: figure)
    }

    nonisolated func sales(_ query: SalesQuery) async -> SalesPlanReport { await current().sales.report(query) }

    nonisolated func salesDrillDown(_ query: SalesQuery, figure: String) async -> [String] {
        await current().sales.drillDown(query, figure: figure)
    }

    nonisolated func stockNetwork(_ query: StockNetworkQuery) async -> StockNetworkReport {
        await current().stockNetwork.report(query)
    }

    nonisolated func stockNetworkDrillDown(_ query: StockNetworkQuery, figure: String) async -> [String] {
        await current().stockNetwork.drillDown(query, figure: figure)
    }

    /// The unfiltered funnel is kept per event and read on the actor (no copy of the models, so the
    /// tail's next write copies nothing); any other query is counted on a copy.
    nonisolated func report(_ query: FunnelQuery) async -> FunnelReport {
        if query == FunnelQuery() { return await unfilteredReport() }
        return await current().funnel.report(query)
    }

    private func unfilteredReport() -> FunnelReport { models.funnel.report(FunnelQuery()) }

    nonisolated func drillDown(_ query: FunnelQuery, step: String) async -> [UUID] {
        await current().funnel.drillDown(query, step: step)
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
    var sales = SalesModel()
    var stockNetwork = StockNetworkModel()

    mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        funnel.apply(payload, occurredAt: occurredAt)
        audience.apply(payload, occurredAt: occurredAt)
        timeliness.apply(payload, occurredAt: occurredAt)
        sales.apply(payload, occurredAt: occurredAt)
        stockNetwork.apply(payload, occurredAt: occurredAt)
    }
}

/// Keeps the read models up to date until shutdown: reads the log as soon as PostgreSQL notifies
/// that it grew (`LISTEN consumed_events`; the inbox notifies when a batch commits, on whichever
/// replica consumed it), and every `interval` besides, in case a notification was missed while
/// the listening connection was being re-established.
struct ProjectionTail: Service {
    let funnel: FunnelProjection
    let client: PostgresClient
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        let doorbell = Doorbell()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listen(doorbell) }
                group.addTask { await tail(doorbell) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func tail(_ doorbell: Doorbell) async {
        while !Task.isCancelled {
            do {
                try await funnel.catchUp(client: client, logger: logger)
            } catch {
                logger.warning("could not read the event log; will retry", metadata: ["error": "\(String(reflecting: error))"])
            }
            await doorbell.wait(timeout: interval)
        }
    }

    /// Rings the doorbell for every notification; re-listens (after a pause) when the connection is lost.
    private func listen(_ doorbell: Doorbell) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: EventLog.channel) { notifications in
                        doorbell.ring()  // what was written while nobody listened
                        for try await _ in notifications { doorbell.ring() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the event log's notifications; polling until they are back", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
