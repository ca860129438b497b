import Contracts
import Foundation

// The timeliness read model: how long leads wait to be triaged (created → assigned) and to be
// contacted (assigned → in progress), which SLAs they breached, which tasks are overdue, and how
// long deals stay in each stage.
//
// It follows the funnel's approach (see FunnelModel.swift and Facts.swift): events arrive out of order and more
// than once, so every fact is updated by a commutative, associative and idempotent operation —
// earliest instants, latest-wins values with their history, sets — and a report reads the model
// "as of T". A query without `asOf` is read as of the latest instant the model has seen (the model
// has no clock of its own): that is where a deal's current stage and a task's overdueness end.

/// Whole seconds from `start` to `end`, rounded down; never negative (clocks of different services
/// may disagree a little).
private func seconds(from start: Date, to end: Date) -> Int {
    Int(max(0, end.timeIntervalSince(start)).rounded(.down))
}

/// A response deadline a lead missed: when it was due, and whose it was (the lead's manager then).
struct ResponseBreach: Sendable, Hashable {
    var dueAt: Date
    var managerId: UUID?
}

/// What the timeliness model knows about one lead. A lead seen only through later events exists
/// with the facts it has.
struct LeadTimelinessFacts: Sendable, Equatable {
    var createdAt: Date?
    /// The first assignment (a reassignment does not restart the clocks).
    var assignedAt: Date?
    /// The first time it went in progress: the manager contacted the customer.
    var contactedAt: Date?
    var department = LatestWins<String>()
    var manager = LatestWins<UUID>()
    /// When its triage was due, had it been missed (`LeadTriageOverdue`); the earliest one.
    var triageBreachedAt: Date?
    /// Every response deadline it missed (a reassignment sets a new one).
    var responseBreaches = Set<ResponseBreach>()

    /// When the lead began: its creation, or — while `LeadCreated` is unseen — the earliest fact known.
    var startedAt: Date? {
        if let createdAt { return createdAt }
        let instants = [assignedAt, contactedAt, triageBreachedAt].compactMap { $0 }
            + responseBreaches.map(\.dueAt) + [department.earliest, manager.earliest].compactMap { $0 }
        return instants.min()
    }

    /// Created → first assigned, once assigned by `limit`.
    func triageSeconds(asOf limit: Date) -> Int? {
        guard let createdAt, let assignedAt, known(assignedAt, asOf: limit) else { return nil }
        return seconds(from: createdAt, to: assignedAt)
    }

    /// First assigned → first in progress, once in progress by `limit`.
    func firstContactSeconds(asOf limit: Date) -> Int? {
        guard let assignedAt, let contactedAt, known(assignedAt, asOf: limit), known(contactedAt, asOf: limit) else { return nil }
        return seconds(from: assignedAt, to: contactedAt)
    }
}

/// What the timeliness model knows about one deal.
struct DealTimelinessFacts: Sendable, Equatable {
    var openedAt: Date?
    var department = LatestWins<String>()
    var manager = LatestWins<UUID>()
    var stages = Set<StageEntry>()

    /// When the deal began: its opening, or — while `DealOpened` is unseen — the earliest fact known.
    var startedAt: Date? {
        if let openedAt { return openedAt }
        return (stages.map(\.enteredAt) + [department.earliest, manager.earliest].compactMap { $0 }).min()
    }

    /// The deal's visits to its stages as of `limit`, oldest first: each stage entered and the
    /// seconds spent in it — up to the next stage, or up to `limit` for the current one. Entries
    /// at one instant count as the greater stage name (as the funnel reads the stage); consecutive
    /// entries of one stage are one visit. A closed or lost deal's final stage is not a visit.
    func visits(asOf limit: Date) -> [(stage: String, seconds: Int)] {
        var byInstant: [Date: String] = [:]
        for entry in stages where known(entry.enteredAt, asOf: limit) {
            if let existing = byInstant[entry.enteredAt], existing >= entry.stage { continue }
            byInstant[entry.enteredAt] = entry.stage
        }
        var history: [StageEntry] = []
        for (enteredAt, stage) in byInstant.sorted(by: { $0.key < $1.key }) where history.last?.stage != stage {
            history.append(StageEntry(stage: stage, enteredAt: enteredAt))
        }
        var visits: [(stage: String, seconds: Int)] = []
        for (index, entry) in history.enumerated() {
            if index + 1 < history.count {
                visits.append((entry.stage, seconds(from: entry.enteredAt, to: history[index + 1].enteredAt)))
            } else if entry.stage != FunnelModel.closedStage, entry.stage != FunnelModel.lostStage {
                visits.append((entry.stage, seconds(from: entry.enteredAt, to: limit)))
            }
        }
        return visits
    }
}

/// What the timeliness model knows about one task.
struct TaskTimelinessFacts: Sendable, Equatable {
    /// When `TaskCreated` was published (its envelope's instant: the payload has none).
    var createdAt: Date?
    /// When `TaskOverdue` was published.
    var reportedOverdueAt: Date?
    var dueAt: Date?
    var completedAt: Date?
    var assignee = LatestWins<UUID>()
    var deal = LatestWins<UUID>()

    /// When the task is first known to exist.
    var startedAt: Date? {
        [createdAt, reportedOverdueAt, completedAt].compactMap { $0 }.min()
    }

    /// Known by `limit`, due by then and not completed by then.
    func isOverdue(asOf limit: Date) -> Bool {
        known(startedAt, asOf: limit) && known(dueAt, asOf: limit) && !known(completedAt, asOf: limit)
    }
}

/// Which slice of timeliness to measure.
public struct TimelinessQuery: Sendable, Equatable {
    /// The period `[from, to)`, on each entity's own instant: a lead's creation, a deal's opening,
    /// a task's due time. Nil ends are open.
    public var from: Date?
    public var to: Date?
    /// The instant the figures are seen at: only facts stamped at or before it count, and the
    /// current stage of a deal counts up to it. Nil: the latest instant the model has seen.
    public var asOf: Date?
    /// Leads and deals of this department, tasks of deals of this department (latest value as of `asOf`).
    public var department: String?
    /// Leads and deals of this manager, tasks assigned to them (latest value as of `asOf`); of
    /// `byManager`, their row only — the same row as without this filter.
    public var manager: UUID?

    public init(from: Date? = nil, to: Date? = nil, asOf: Date? = nil, department: String? = nil, manager: UUID? = nil) {
        self.from = from
        self.to = to
        self.asOf = asOf
        self.department = department
        self.manager = manager
    }
}

/// The timeliness figures for one query.
public struct TimelinessReport: Codable, Sendable, Equatable {
    /// A distribution of durations in whole seconds: nearest-rank percentiles; nil when empty.
    public struct Durations: Codable, Sendable, Equatable {
        public var count: Int
        public var p50Seconds: Int?
        public var p90Seconds: Int?
        public var maxSeconds: Int?

        public init(count: Int = 0, p50Seconds: Int? = nil, p90Seconds: Int? = nil, maxSeconds: Int? = nil) {
            self.count = count
            self.p50Seconds = p50Seconds
            self.p90Seconds = p90Seconds
            self.maxSeconds = maxSeconds
        }

        /// The distribution of `seconds`, in any order.
        public init(of seconds: [Int]) {
            let sorted = seconds.sorted()
            self.init(
                count: sorted.count, p50Seconds: Self.nearestRank(50, of: sorted), p90Seconds: Self.nearestRank(90, of: sorted),
                maxSeconds: sorted.last)
        }

        /// The nearest-rank `percent`-th percentile of `sorted` (ascending): the value at rank
        /// ⌈percent × n / 100⌉, at least the first; nil when empty.
        static func nearestRank(_ percent: Int, of sorted: [Int]) -> Int? {
            guard !sorted.isEmpty else { return nil }
            let rank = (percent * sorted.count + 99) / 100
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }

    /// One manager's figures.
    public struct ManagerTimeliness: Codable, Sendable, Equatable {
        public var managerId: UUID
        /// The department most of their leads and deals are in (the first name on a tie); nil when none.
        public var department: String?
        /// Their leads (the lead's manager as of then).
        public var leads: Int
        /// The median (nearest-rank) of their leads' first-contact times.
        public var medianFirstContactSeconds: Int?
        /// Leads whose response deadline they missed (the manager the breach names, else the lead's).
        public var breaches: Int
        /// Tasks assigned to them that are overdue and not completed.
        public var overdueTasks: Int

        public init(
            managerId: UUID, department: String?, leads: Int, medianFirstContactSeconds: Int?, breaches: Int, overdueTasks: Int
        ) {
            self.managerId = managerId
            self.department = department
            self.leads = leads
            self.medianFirstContactSeconds = medianFirstContactSeconds
            self.breaches = breaches
            self.overdueTasks = overdueTasks
        }
    }

    /// Created → first assigned, over the leads assigned by then.
    public var triage: Durations
    /// First assigned → first in progress, over the leads contacted by then.
    public var firstContact: Durations
    /// `triage` and `response` → distinct leads that breached that SLA by then (both keys always present).
    public var slaBreaches: [String: Int]
    /// Tasks overdue and not completed by then.
    public var overdueTasks: Int
    /// Sorted by `managerId.uuidString`.
    public var byManager: [ManagerTimeliness]
    /// Per deal stage: the visits completed by then, and the current stage's visit up to then.
    public var stageSeconds: [String: Durations]

    public init(
        triage: Durations = Durations(), firstContact: Durations = Durations(),
        slaBreaches: [String: Int] = [TimelinessModel.triageBreach: 0, TimelinessModel.responseBreach: 0], overdueTasks: Int = 0,
        byManager: [ManagerTimeliness] = [], stageSeconds: [String: Durations] = [:]
    ) {
        self.triage = triage
        self.firstContact = firstContact
        self.slaBreaches = slaBreaches
        self.overdueTasks = overdueTasks
        self.byManager = byManager
        self.stageSeconds = stageSeconds
    }
}

/// Timeliness: per-entity facts fed by events in any order, any number of times.
public struct TimelinessModel: Sendable, Equatable {
    /// The keys of `TimelinessReport.slaBreaches`.
    public static let triageBreach = "triage"
    public static let responseBreach = "response"

    var leads: [UUID: LeadTimelinessFacts] = [:]
    var deals: [UUID: DealTimelinessFacts] = [:]
    var tasks: [UUID: TaskTimelinessFacts] = [:]
    /// The latest instant of any event taken in: what a query without `asOf` is read as of.
    var latestKnown: Date?

    public init() {}

    /// Folds one event in; other types are ignored. `occurredAt` is the envelope's, used where the
    /// payload has no instant of its own.
    public mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        switch payload {
        case let event as LeadCreated:
            update(lead: event.leadId, at: [occurredAt, event.createdAt]) { $0.createdAt = earliest($0.createdAt, event.createdAt) }
        case let event as LeadStateChanged:
            let at = event.changedAt
            update(lead: event.leadId, at: [occurredAt, at]) { lead in
                switch event.to {
                case "assigned": lead.assignedAt = earliest(lead.assignedAt, at)
                case "in_progress": lead.contactedAt = earliest(lead.contactedAt, at)
                default: break
                }
                if let department = event.departmentCode { lead.department.record(department, at: at) }
                if let manager = event.managerId { lead.manager.record(manager, at: at) }
            }
        case let event as LeadConverted:
            let at = event.convertedAt
            update(lead: event.leadId, at: [occurredAt, at]) { lead in
                lead.department.record(event.departmentCode, at: at)
                lead.manager.record(event.managerId, at: at)
            }
        case let event as LeadTriageOverdue:
            update(lead: event.leadId, at: [occurredAt, event.dueAt]) { $0.triageBreachedAt = earliest($0.triageBreachedAt, event.dueAt) }
        case let event as LeadResponseOverdue:
            update(lead: event.leadId, at: [occurredAt, event.dueAt]) {
                $0.responseBreaches.insert(ResponseBreach(dueAt: event.dueAt, managerId: event.managerId))
            }
        case let event as DealOpened:
            let at = event.openedAt
            update(deal: event.dealId, at: [occurredAt, at]) { deal in
                deal.openedAt = earliest(deal.openedAt, at)
                deal.department.record(event.departmentCode, at: at)
                deal.manager.record(event.managerId, at: at)
                deal.stages.insert(StageEntry(stage: event.stage, enteredAt: at))
            }
        case let event as DealStageChanged:
            update(deal: event.dealId, at: [occurredAt, event.changedAt]) {
                $0.stages.insert(StageEntry(stage: event.to, enteredAt: event.changedAt))
            }
        case let event as DealLost:
            // As in the funnel: the stage change to `lost` carries the same instant; the set absorbs it.
            update(deal: event.dealId, at: [occurredAt, event.lostAt]) {
                $0.stages.insert(StageEntry(stage: FunnelModel.lostStage, enteredAt: event.lostAt))
            }
        case let event as DealClosed:
            update(deal: event.dealId, at: [occurredAt, event.closedAt]) {
                $0.stages.insert(StageEntry(stage: FunnelModel.closedStage, enteredAt: event.closedAt))
            }
        case let event as TaskCreated:
            // The due time is not an instant anything happened at: it does not move `latestKnown`.
            update(task: event.taskId, at: [occurredAt]) { task in
                task.createdAt = earliest(task.createdAt, occurredAt)
                if let due = event.dueAt { task.dueAt = earliest(task.dueAt, due) }
                if let assignee = event.assigneeId { task.assignee.record(assignee, at: occurredAt) }
                if let deal = event.dealId { task.deal.record(deal, at: occurredAt) }
            }
        case let event as TaskCompleted:
            update(task: event.taskId, at: [occurredAt, event.completedAt]) { task in
                task.completedAt = earliest(task.completedAt, event.completedAt)
                if let deal = event.dealId { task.deal.record(deal, at: event.completedAt) }
            }
        case let event as TaskOverdue:
            update(task: event.taskId, at: [occurredAt, event.dueAt]) { task in
                task.reportedOverdueAt = earliest(task.reportedOverdueAt, occurredAt)
                task.dueAt = earliest(task.dueAt, event.dueAt)
                if let assignee = event.assigneeId { task.assignee.record(assignee, at: occurredAt) }
                if let deal = event.dealId { task.deal.record(deal, at: occurredAt) }
            }
        default:
            break
        }
    }

    private mutating func note(_ instants: [Date]) {
        for instant in instants { latestKnown = latest(latestKnown, instant) }
    }

    private mutating func update(lead id: UUID, at instants: [Date], _ change: (inout LeadTimelinessFacts) -> Void) {
        note(instants)
        change(&leads[id, default: LeadTimelinessFacts()])
    }

    private mutating func update(deal id: UUID, at instants: [Date], _ change: (inout DealTimelinessFacts) -> Void) {
        note(instants)
        change(&deals[id, default: DealTimelinessFacts()])
    }

    private mutating func update(task id: UUID, at instants: [Date], _ change: (inout TaskTimelinessFacts) -> Void) {
        note(instants)
        change(&tasks[id, default: TaskTimelinessFacts()])
    }

    // MARK: - Reading

    /// One manager's figures while they are gathered.
    private struct ManagerTally {
        var departments: [String: Int] = [:]
        var leads = 0
        var firstContacts: [Int] = []
        var breaches = 0
        var overdueTasks = 0
        /// Whether anything but a department puts them in the report.
        var listed = false
    }

    /// A lead's department and manager as of `limit`, when it began by then, in the query's period
    /// and department (nil: out of scope). The manager filter is the caller's.
    private func scope(_ lead: LeadTimelinessFacts, _ query: TimelinessQuery, _ limit: Date) -> (String?, UUID?)? {
        guard let start = lead.startedAt, known(start, asOf: limit), query.inPeriod(start) else { return nil }
        let department = lead.department.value(asOf: limit)
        if let wanted = query.department, department != wanted { return nil }
        return (department, lead.manager.value(asOf: limit))
    }

    /// The same for a deal.
    private func scope(_ deal: DealTimelinessFacts, _ query: TimelinessQuery, _ limit: Date) -> (String?, UUID?)? {
        guard let start = deal.startedAt, known(start, asOf: limit), query.inPeriod(start) else { return nil }
        let department = deal.department.value(asOf: limit)
        if let wanted = query.department, department != wanted { return nil }
        return (department, deal.manager.value(asOf: limit))
    }

    /// A task overdue as of `limit`, due in the query's period, of a deal of its department: its
    /// assignee (`.some(nil)` when it has none); nil when out of scope.
    private func overdueScope(_ task: TaskTimelinessFacts, _ query: TimelinessQuery, _ limit: Date) -> UUID?? {
        guard let due = task.dueAt, query.inPeriod(due), task.isOverdue(asOf: limit) else { return nil }
        if let wanted = query.department {
            guard let dealId = task.deal.value(asOf: limit), let deal = deals[dealId],
                  deal.department.value(asOf: limit) == wanted else { return nil }
        }
        return .some(task.assignee.value(asOf: limit))
    }

    /// The ids behind one figure of `report(query)`, sorted by their string form: `triage` and
    /// `firstContact` (the leads measured), `breaches:triage` and `breaches:response` (the leads
    /// that breached), `overdueTasks` (task ids), `stage:<name>` (the deals that spent time in it).
    /// Anything else has no ids.
    public func drillDown(_ query: TimelinessQuery, figure: String) -> [UUID] {
        guard let limit = query.asOf ?? latestKnown else { return [] }
        func wanted(_ manager: UUID?) -> Bool { query.manager.map { $0 == manager } ?? true }
        var ids: [UUID] = []
        switch figure {
        case "triage", "firstContact", "breaches:\(Self.triageBreach)", "breaches:\(Self.responseBreach)":
            for (id, lead) in leads {
                guard let (_, manager) = scope(lead, query, limit), wanted(manager) else { continue }
                let counted =
                    switch figure {
                    case "triage": lead.triageSeconds(asOf: limit) != nil
                    case "firstContact": lead.firstContactSeconds(asOf: limit) != nil
                    case "breaches:\(Self.triageBreach)": known(lead.triageBreachedAt, asOf: limit)
                    default: lead.responseBreaches.contains { known($0.dueAt, asOf: limit) }
                    }
                if counted { ids.append(id) }
            }
        case "overdueTasks":
            for (id, task) in tasks {
                guard let assignee = overdueScope(task, query, limit), wanted(assignee) else { continue }
                ids.append(id)
            }
        default:
            guard figure.hasPrefix("stage:") else { return [] }
            let stage = String(figure.dropFirst("stage:".count))
            for (id, deal) in deals {
                guard let (_, manager) = scope(deal, query, limit), wanted(manager),
                      deal.visits(asOf: limit).contains(where: { $0.stage == stage }) else { continue }
                ids.append(id)
            }
        }
        return ids.sorted { $0.uuidString < $1.uuidString }
    }

    /// The timeliness figures for `query`.
    public func report(_ query: TimelinessQuery) -> TimelinessReport {
        guard let limit = query.asOf ?? latestKnown else { return TimelinessReport() }
        var report = TimelinessReport()
        var managers: [UUID: ManagerTally] = [:]

        var triage: [Int] = []
        var firstContact: [Int] = []
        for lead in leads.values {
            guard let (department, manager) = scope(lead, query, limit) else { continue }
            let contact = lead.firstContactSeconds(asOf: limit)
            let responseBreaches = lead.responseBreaches.filter { known($0.dueAt, asOf: limit) }

            if query.manager.map({ $0 == manager }) ?? true {
                if let seconds = lead.triageSeconds(asOf: limit) { triage.append(seconds) }
                if let contact { firstContact.append(contact) }
                if known(lead.triageBreachedAt, asOf: limit) { report.slaBreaches[Self.triageBreach, default: 0] += 1 }
                if !responseBreaches.isEmpty { report.slaBreaches[Self.responseBreach, default: 0] += 1 }
            }
            // Every manager's row is gathered from all leads (a breach may be charged to a manager
            // the lead has since left), and the manager filter keeps only theirs at the end.
            if let manager {
                managers[manager, default: ManagerTally()].leads += 1
                managers[manager]?.listed = true
                if let department { managers[manager]?.departments[department, default: 0] += 1 }
                if let contact { managers[manager]?.firstContacts.append(contact) }
            }
            for charged in Set(responseBreaches.compactMap { $0.managerId ?? manager }) {
                managers[charged, default: ManagerTally()].breaches += 1
                managers[charged]?.listed = true
            }
        }
        report.triage = TimelinessReport.Durations(of: triage)
        report.firstContact = TimelinessReport.Durations(of: firstContact)

        var stageSeconds: [String: [Int]] = [:]
        for deal in deals.values {
            guard let (department, manager) = scope(deal, query, limit) else { continue }
            if query.manager.map({ $0 == manager }) ?? true {
                for visit in deal.visits(asOf: limit) { stageSeconds[visit.stage, default: []].append(visit.seconds) }
            }
            if let manager, let department { managers[manager, default: ManagerTally()].departments[department, default: 0] += 1 }
        }
        report.stageSeconds = stageSeconds.mapValues { TimelinessReport.Durations(of: $0) }

        for task in tasks.values {
            guard let assignee = overdueScope(task, query, limit) else { continue }
            if query.manager.map({ $0 == assignee }) ?? true { report.overdueTasks += 1 }
            if let assignee {
                managers[assignee, default: ManagerTally()].overdueTasks += 1
                managers[assignee]?.listed = true
            }
        }

        report.byManager = managers
            .filter { id, tally in tally.listed && (query.manager.map { $0 == id } ?? true) }
            .map { id, tally in
                let department = tally.departments.min { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }?.key
                return TimelinessReport.ManagerTimeliness(
                    managerId: id, department: department, leads: tally.leads,
                    medianFirstContactSeconds: TimelinessReport.Durations.nearestRank(50, of: tally.firstContacts.sorted()),
                    breaches: tally.breaches, overdueTasks: tally.overdueTasks)
            }
            .sorted { $0.managerId.uuidString < $1.managerId.uuidString }
        return report
    }
}
