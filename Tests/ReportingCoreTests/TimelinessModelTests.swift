import Contracts
import Foundation
import Testing

@testable import ReportingCore

// MARK: - Fixture

// Ids (`id(kind, n)`): kind 1 = lead, 2 = deal, 5 = task, 9 = manager.
// Lead and deal events (`created`, `state`, `opened`, `moved`, `lost`, `closed`) are in ReportingFixtures.swift.

private func triageOverdue(_ lead: UUID, due: String, occurredAt: String) -> Fed {
    Fed(payload: LeadTriageOverdue(leadId: lead, dueAt: at(due)), occurredAt: at(occurredAt))
}

private func responseOverdue(_ lead: UUID, manager: UUID?, due: String, occurredAt: String) -> Fed {
    Fed(payload: LeadResponseOverdue(leadId: lead, managerId: manager, dueAt: at(due)), occurredAt: at(occurredAt))
}

/// `TaskCreated` has no instant of its own: the envelope's is when the task came to be.
private func task(_ task: UUID, deal: UUID?, assignee: UUID?, due: String?, occurredAt: String) -> Fed {
    Fed(payload: TaskCreated(taskId: task, dealId: deal, kind: "call", assigneeId: assignee, dueAt: due.map(at)), occurredAt: at(occurredAt))
}

private func taskDone(_ task: UUID, deal: UUID?, _ when: String) -> Fed {
    Fed(payload: TaskCompleted(taskId: task, dealId: deal, kind: "call", outcome: "done", completedAt: at(when)), occurredAt: at(when))
}

private func taskOverdue(_ task: UUID, deal: UUID?, assignee: UUID?, due: String, occurredAt: String) -> Fed {
    Fed(payload: TaskOverdue(taskId: task, dealId: deal, kind: "call", assigneeId: assignee, headId: head, dueAt: at(due)),
        occurredAt: at(occurredAt))
}

private func model(_ events: [Fed]) -> TimelinessModel {
    model(events, TimelinessModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

private typealias Durations = TimelinessReport.Durations
private typealias ManagerRow = TimelinessReport.ManagerTimeliness

private let sales = "sales"
private let service = "service"
private let m1 = id(9, 1)
private let m2 = id(9, 2)
private let m3 = id(9, 3)
private let head = id(9, 100)

private let lead1 = id(1, 1)
private let lead2 = id(1, 2)
private let lead3 = id(1, 3)
private let lead4 = id(1, 4)
private let lead5 = id(1, 5)
private let deal1 = id(2, 1)
private let deal2 = id(2, 2)
private let deal3 = id(2, 3)
private let task1 = id(5, 1)
private let task2 = id(5, 2)
private let task3 = id(5, 3)
private let task4 = id(5, 4)
private let task5 = id(5, 5)

private let hour = 3600
private let day = 86400

/// Leads: 1 triaged in 30 min and contacted in 1 h (m1); 2 misses its triage and its response
/// deadline (m2); 3 is quick (service, m3); 4 misses m1's response deadline, is reassigned to m2 and
/// contacted 22 h after its first assignment; 5 is never triaged.
/// Deals: 1 goes selection → offer → contract → closed; 2 goes selection → offer → selection → offer
/// and stays there; 3 is lost from selection.
/// Tasks: 1 overdue then completed; 2 overdue; 3 due on the 20th; 4 overdue with no one assigned;
/// 5 completed before it was due.
private let world: [Fed] = [
    created(lead1, .mail, "2026-03-02T09:00:00Z", triageDue: "2026-03-02T12:00:00Z"),
    state(lead1, "new", "assigned", "2026-03-02T09:30:00Z", department: sales, manager: m1),
    state(lead1, "assigned", "in_progress", "2026-03-02T10:30:00Z", department: sales, manager: m1),

    created(lead2, .mail, "2026-03-02T10:00:00Z", triageDue: "2026-03-02T12:00:00Z"),
    triageOverdue(lead2, due: "2026-03-02T12:00:00Z", occurredAt: "2026-03-02T12:00:05Z"),
    state(lead2, "new", "assigned", "2026-03-02T14:00:00Z", department: sales, manager: m2),
    responseOverdue(lead2, manager: m2, due: "2026-03-02T18:00:00Z", occurredAt: "2026-03-02T18:00:03Z"),
    state(lead2, "assigned", "in_progress", "2026-03-03T09:00:00Z", department: sales, manager: m2),

    created(lead3, .mail, "2026-03-03T09:00:00Z"),
    state(lead3, "new", "assigned", "2026-03-03T09:10:00Z", department: service, manager: m3),
    state(lead3, "assigned", "in_progress", "2026-03-03T09:20:00Z", department: service, manager: m3),

    created(lead4, .mail, "2026-03-04T09:00:00Z"),
    state(lead4, "new", "assigned", "2026-03-04T11:00:00Z", department: sales, manager: m1),
    responseOverdue(lead4, manager: m1, due: "2026-03-04T15:00:00Z", occurredAt: "2026-03-04T15:00:02Z"),
    state(lead4, "assigned", "assigned", "2026-03-04T16:00:00Z", department: sales, manager: m2),
    state(lead4, "assigned", "in_progress", "2026-03-05T09:00:00Z", department: sales, manager: m2),

    created(lead5, .mail, "2026-03-10T09:00:00Z", triageDue: "2026-03-10T12:00:00Z"),
    triageOverdue(lead5, due: "2026-03-10T12:00:00Z", occurredAt: "2026-03-10T12:00:04Z"),

    opened(deal1, "2026-03-04T09:00:00Z", department: sales, manager: m1),
    moved(deal1, "selection", "offer", "2026-03-05T09:00:00Z"),
    moved(deal1, "offer", "contract", "2026-03-07T09:00:00Z"),
    moved(deal1, "contract", "closed", "2026-03-10T09:00:00Z"),
    closed(deal1, "2026-03-10T09:00:00Z"),

    opened(deal2, "2026-03-05T09:00:00Z", department: service, manager: m3),
    moved(deal2, "selection", "offer", "2026-03-06T09:00:00Z"),
    moved(deal2, "offer", "selection", "2026-03-06T21:00:00Z"),
    moved(deal2, "selection", "offer", "2026-03-07T09:00:00Z"),

    opened(deal3, "2026-03-06T09:00:00Z", department: sales, manager: m2),
    moved(deal3, "selection", "lost", "2026-03-08T09:00:00Z"),
    lost(deal3, "2026-03-08T09:00:00Z"),

    task(task1, deal: deal1, assignee: m1, due: "2026-03-06T09:00:00Z", occurredAt: "2026-03-05T09:00:00Z"),
    taskOverdue(task1, deal: deal1, assignee: m1, due: "2026-03-06T09:00:00Z", occurredAt: "2026-03-06T09:01:00Z"),
    taskDone(task1, deal: deal1, "2026-03-07T10:00:00Z"),
    task(task2, deal: deal1, assignee: m1, due: "2026-03-08T09:00:00Z", occurredAt: "2026-03-05T10:00:00Z"),
    taskOverdue(task2, deal: deal1, assignee: m1, due: "2026-03-08T09:00:00Z", occurredAt: "2026-03-08T09:01:00Z"),
    task(task3, deal: deal2, assignee: m3, due: "2026-03-20T09:00:00Z", occurredAt: "2026-03-06T10:00:00Z"),
    task(task4, deal: nil, assignee: nil, due: "2026-03-09T09:00:00Z", occurredAt: "2026-03-06T11:00:00Z"),
    taskOverdue(task4, deal: nil, assignee: nil, due: "2026-03-09T09:00:00Z", occurredAt: "2026-03-09T09:01:00Z"),
    task(task5, deal: deal3, assignee: m2, due: "2026-03-09T12:00:00Z", occurredAt: "2026-03-07T09:00:00Z"),
    taskDone(task5, deal: deal3, "2026-03-09T11:00:00Z"),
]

/// The latest instant in the world: lead 5's triage alarm.
private let lastEvent = at("2026-03-10T12:00:04Z")
private let end = at("2026-03-12T09:00:00Z")

/// Queries the order-independence tests compare under.
private let probes: [TimelinessQuery] = [
    TimelinessQuery(),
    TimelinessQuery(asOf: end),
    TimelinessQuery(asOf: at("2026-03-02T12:00:00Z")),
    TimelinessQuery(asOf: at("2026-03-06T12:00:00Z")),
    TimelinessQuery(asOf: at("2026-03-21T00:00:00Z")),
    TimelinessQuery(from: at("2026-03-03T00:00:00Z"), to: at("2026-03-09T00:00:00Z"), asOf: end),
    TimelinessQuery(asOf: end, department: sales),
    TimelinessQuery(asOf: end, manager: m2),
]

/// The world under the probes.
private let orderIndependence = OrderIndependence(events: world, build: model, probes: probes, report: { $0.report($1) })

// MARK: - Tests

@Suite("Reporting: timeliness model")
struct TimelinessModelTests {
    @Test("the whole world as of a later instant")
    func worldAtEnd() {
        let report = model(world).report(TimelinessQuery(asOf: end))
        // Triage: 30 min, 4 h, 10 min, 2 h.
        #expect(report.triage == Durations(count: 4, p50Seconds: 30 * 60, p90Seconds: 4 * hour, maxSeconds: 4 * hour))
        // First contact: 1 h, 19 h, 10 min, 22 h (from the first assignment, not the reassignment).
        #expect(report.firstContact == Durations(count: 4, p50Seconds: hour, p90Seconds: 22 * hour, maxSeconds: 22 * hour))
        #expect(report.slaBreaches == ["triage": 2, "response": 2])
        #expect(report.overdueTasks == 2)  // task 2 (m1) and task 4 (no one)
        #expect(report.byManager == [
            // Lead 4 is m2's now, but the response deadline it missed was m1's.
            ManagerRow(managerId: m1, department: sales, leads: 1, medianFirstContactSeconds: hour, breaches: 1, overdueTasks: 1),
            ManagerRow(managerId: m2, department: sales, leads: 2, medianFirstContactSeconds: 19 * hour, breaches: 1, overdueTasks: 0),
            ManagerRow(managerId: m3, department: service, leads: 1, medianFirstContactSeconds: 10 * 60, breaches: 0, overdueTasks: 0),
        ])
        #expect(report.stageSeconds == [
            // deal 1: 1 d; deal 2: 1 d, then 12 h on its way back; deal 3: 2 d until lost.
            "selection": Durations(count: 4, p50Seconds: day, p90Seconds: 2 * day, maxSeconds: 2 * day),
            // deal 1: 2 d; deal 2: 12 h, then 5 d and counting.
            "offer": Durations(count: 3, p50Seconds: 2 * day, p90Seconds: 5 * day, maxSeconds: 5 * day),
            "contract": Durations(count: 1, p50Seconds: 3 * day, p90Seconds: 3 * day, maxSeconds: 3 * day),
        ])
    }

    @Test("the same events in reverse and shuffled order give an equal model and report", arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func orderIndependent(seed: UInt64) { orderIndependence.expectOrderIndependent(seed: seed) }

    @Test("every event applied twice (or three times, interleaved) gives the same", arguments: [7, 99] as [UInt64])
    func idempotent(seed: UInt64) { orderIndependence.expectIdempotent(seed: seed) }

    @Test("drill-down ids match every figure", arguments: probes)
    func drillDownMatches(query: TimelinessQuery) {
        let timeliness = model(world)
        let report = timeliness.report(query)
        #expect(timeliness.drillDown(query, figure: "triage").count == report.triage.count)
        #expect(timeliness.drillDown(query, figure: "firstContact").count == report.firstContact.count)
        #expect(timeliness.drillDown(query, figure: "breaches:triage").count == report.slaBreaches["triage"] ?? 0)
        #expect(timeliness.drillDown(query, figure: "breaches:response").count == report.slaBreaches["response"] ?? 0)
        #expect(timeliness.drillDown(query, figure: "overdueTasks").count == report.overdueTasks)
        for (stage, durations) in report.stageSeconds {
            // A deal may visit a stage twice: one id, two durations.
            let deals = timeliness.drillDown(query, figure: "stage:\(stage)")
            #expect(!deals.isEmpty && deals.count <= durations.count, "stage \(stage)")
        }
        #expect(timeliness.drillDown(query, figure: "nonsense").isEmpty)
    }

    @Test("drill-down names the overdue tasks and the deals of a stage")
    func drillDownIds() {
        let timeliness = model(world)
        let atEnd = TimelinessQuery(asOf: end)
        #expect(timeliness.drillDown(atEnd, figure: "overdueTasks") == [task2, task4].sorted { $0.uuidString < $1.uuidString })
        #expect(timeliness.drillDown(atEnd, figure: "stage:contract") == [deal1])
        #expect(timeliness.drillDown(atEnd, figure: "stage:offer") == [deal1, deal2].sorted { $0.uuidString < $1.uuidString })
        #expect(timeliness.drillDown(TimelinessQuery(asOf: end, manager: m1), figure: "overdueTasks") == [task2])
    }

    @Test("leads as of past instants: only what was assigned, contacted and breached by then")
    func asOfLeads() {
        let timeliness = model(world)
        let noon = timeliness.report(TimelinessQuery(asOf: at("2026-03-02T12:00:00Z")))
        #expect(noon.triage == Durations(count: 1, p50Seconds: 30 * 60, p90Seconds: 30 * 60, maxSeconds: 30 * 60))
        #expect(noon.firstContact == Durations(count: 1, p50Seconds: hour, p90Seconds: hour, maxSeconds: hour))
        #expect(noon.slaBreaches == ["triage": 1, "response": 0])  // due at the very instant: breached
        #expect(noon.byManager.map(\.managerId) == [m1])  // lead 2 has no manager yet

        #expect(timeliness.report(TimelinessQuery(asOf: at("2026-03-02T11:59:59Z"))).slaBreaches == ["triage": 0, "response": 0])

        let evening = timeliness.report(TimelinessQuery(asOf: at("2026-03-02T20:00:00Z")))
        #expect(evening.triage.count == 2)
        #expect(evening.firstContact.count == 1)
        #expect(evening.slaBreaches == ["triage": 1, "response": 1])
        #expect(evening.byManager == [
            ManagerRow(managerId: m1, department: sales, leads: 1, medianFirstContactSeconds: hour, breaches: 0, overdueTasks: 0),
            ManagerRow(managerId: m2, department: sales, leads: 1, medianFirstContactSeconds: nil, breaches: 1, overdueTasks: 0),
        ])

        // Lead 4 between its reassignment and its contact: m2's lead, m1's breach — m1's row is the
        // same with and without the manager filter.
        let reassigned = timeliness.report(TimelinessQuery(asOf: at("2026-03-04T17:00:00Z"), manager: m1))
        #expect(reassigned.byManager == [
            ManagerRow(managerId: m1, department: sales, leads: 1, medianFirstContactSeconds: hour, breaches: 1, overdueTasks: 0),
        ])
        #expect(reassigned.slaBreaches == ["triage": 0, "response": 0])  // of m1's leads as of then: lead 1
        #expect(timeliness.report(TimelinessQuery(asOf: at("2026-03-04T17:00:00Z"))).byManager.first == reassigned.byManager.first)
        let before = timeliness.report(TimelinessQuery(asOf: at("2026-03-04T15:30:00Z"), manager: m1))
        #expect(before.byManager == [
            ManagerRow(managerId: m1, department: sales, leads: 2, medianFirstContactSeconds: hour, breaches: 1, overdueTasks: 0),
        ])

        // Before anything happened.
        #expect(timeliness.report(TimelinessQuery(asOf: at("2026-03-01T00:00:00Z"))) == TimelinessReport())
    }

    @Test("overdue tasks: due by then and not completed by then, per assignee")
    func overdueTasks() {
        let timeliness = model(world)
        func overdue(_ when: String) -> (Int, [UUID: Int]) {
            let report = timeliness.report(TimelinessQuery(asOf: at(when)))
            return (report.overdueTasks, Dictionary(uniqueKeysWithValues: report.byManager.map { ($0.managerId, $0.overdueTasks) }))
        }
        #expect(overdue("2026-03-06T08:59:59Z").0 == 0)
        #expect(overdue("2026-03-06T09:00:00Z").0 == 1)  // task 1 at its due time, before its alarm came
        #expect(overdue("2026-03-06T12:00:00Z").1[m1] == 1)
        #expect(overdue("2026-03-07T10:00:00Z").0 == 0)  // task 1 completed (late) at that instant
        #expect(overdue("2026-03-08T09:00:00Z").0 == 1)  // task 2
        #expect(overdue("2026-03-09T12:00:00Z").0 == 2)  // task 2 and task 4; task 5 was done at 11:00
        #expect(overdue("2026-03-09T12:00:00Z").1 == [m1: 1, m2: 0, m3: 0])
        let later = overdue("2026-03-21T00:00:00Z")  // task 3 is due on the 20th and never done
        #expect(later.0 == 3)
        #expect(later.1[m3] == 1)

        // Known only from its alarm: overdue from the alarm on, not from its due time.
        let alarmOnly = model([taskOverdue(task1, deal: nil, assignee: m1, due: "2026-03-06T09:00:00Z", occurredAt: "2026-03-06T09:05:00Z")])
        #expect(alarmOnly.report(TimelinessQuery(asOf: at("2026-03-06T09:04:59Z"))).overdueTasks == 0)
        #expect(alarmOnly.report(TimelinessQuery(asOf: at("2026-03-06T09:05:00Z"))).overdueTasks == 1)
        // A task without a due time is never overdue.
        let undue = model([task(task2, deal: nil, assignee: m1, due: nil, occurredAt: "2026-03-01T09:00:00Z")])
        #expect(undue.report(TimelinessQuery(asOf: at("2026-12-31T00:00:00Z"))).overdueTasks == 0)
    }

    @Test("stage durations count completed visits and the current stage up to as of")
    func stageDurations() {
        let timeliness = model(world)
        let midweek = timeliness.report(TimelinessQuery(asOf: at("2026-03-06T12:00:00Z")))
        #expect(midweek.stageSeconds == [
            // deal 1 and deal 2 left selection after a day; deal 3 has been in it 3 h.
            "selection": Durations(count: 3, p50Seconds: day, p90Seconds: day, maxSeconds: day),
            // deal 1 in offer for 27 h, deal 2 for 3 h.
            "offer": Durations(count: 2, p50Seconds: 3 * hour, p90Seconds: 27 * hour, maxSeconds: 27 * hour),
        ])

        // Without `asOf`, the current stage counts up to the latest instant seen.
        let now = timeliness.report(TimelinessQuery())
        #expect(now == timeliness.report(TimelinessQuery(asOf: lastEvent)))
        #expect(now.stageSeconds["offer"]?.maxSeconds == 3 * day + 3 * hour + 4)
        // A closed or lost deal's last stage is not a visit.
        #expect(now.stageSeconds["closed"] == nil)
        #expect(now.stageSeconds["lost"] == nil)

        // Entries at one instant count as the greater stage name; one stage entered twice in a row is one visit.
        let deal = id(2, 40)
        let tied = [
            opened(deal, "2026-03-02T09:00:00Z", department: sales, manager: m1, stage: "commissioning"),
            moved(deal, "commissioning", "contract", "2026-03-02T09:00:00Z"),
            moved(deal, "commissioning", "service", "2026-03-02T09:00:00Z"),
            moved(deal, "service", "service", "2026-03-02T12:00:00Z"),
            moved(deal, "service", "fulfilment", "2026-03-03T09:00:00Z"),
        ]
        let expected: [String: Durations] = [
            "service": Durations(count: 1, p50Seconds: day, p90Seconds: day, maxSeconds: day),
            "fulfilment": Durations(count: 1, p50Seconds: 6 * hour, p90Seconds: 6 * hour, maxSeconds: 6 * hour),
        ]
        let query = TimelinessQuery(asOf: at("2026-03-03T15:00:00Z"))
        #expect(model(tied).report(query).stageSeconds == expected)
        #expect(model(tied.reversed()).report(query).stageSeconds == expected)
        // Many ties, so no lucky iteration order can pass for the rule; the funnel reads the same stage.
        let ties = (0..<12).flatMap { n -> [Fed] in
            let deal = id(2, 50 + n)
            let names = n.isMultiple(of: 2) ? ("early", "late") : ("late", "early")
            return [
                opened(deal, "2026-03-02T09:00:00Z", department: sales, manager: m1, stage: names.0),
                moved(deal, names.0, names.1, "2026-03-02T09:00:00Z"),
            ]
        }
        let oneHour = TimelinessQuery(asOf: at("2026-03-02T10:00:00Z"))
        #expect(model(ties).report(oneHour).stageSeconds == ["late": Durations(count: 12, p50Seconds: hour, p90Seconds: hour, maxSeconds: hour)])
        var funnel = FunnelModel()
        for event in ties { funnel.apply(event.payload, occurredAt: event.occurredAt) }
        #expect(funnel.report(FunnelQuery(asOf: at("2026-03-02T10:00:00Z"))).dealsByStage == ["late": 12])

        // A deal known only from a stage change exists from it.
        let partial = model([moved(deal, "selection", "offer", "2026-03-05T09:00:00Z")])
        #expect(partial.report(TimelinessQuery(asOf: at("2026-03-05T10:00:00Z"))).stageSeconds == [
            "offer": Durations(count: 1, p50Seconds: hour, p90Seconds: hour, maxSeconds: hour),
        ])
        #expect(partial.report(TimelinessQuery(asOf: at("2026-03-05T08:00:00Z"))).stageSeconds == [:])
    }

    @Test("nearest-rank percentiles on known sets")
    func percentiles() {
        #expect(Durations(of: []) == Durations(count: 0, p50Seconds: nil, p90Seconds: nil, maxSeconds: nil))
        #expect(Durations(of: [7]) == Durations(count: 1, p50Seconds: 7, p90Seconds: 7, maxSeconds: 7))
        #expect(Durations(of: [50, 15, 40, 20, 35]) == Durations(count: 5, p50Seconds: 35, p90Seconds: 50, maxSeconds: 50))
        #expect(Durations(of: Array((1...10).reversed())) == Durations(count: 10, p50Seconds: 5, p90Seconds: 9, maxSeconds: 10))
        #expect(Durations(of: Array(1...100)) == Durations(count: 100, p50Seconds: 50, p90Seconds: 90, maxSeconds: 100))
        #expect(Durations(of: [3, 1]) == Durations(count: 2, p50Seconds: 1, p90Seconds: 3, maxSeconds: 3))
        #expect(Durations(of: [5, 5, 5, 9]) == Durations(count: 4, p50Seconds: 5, p90Seconds: 9, maxSeconds: 9))
        let sorted = [15, 20, 35, 40, 50]
        #expect(Durations.nearestRank(0, of: sorted) == 15)
        #expect(Durations.nearestRank(5, of: sorted) == 15)
        #expect(Durations.nearestRank(30, of: sorted) == 20)
        #expect(Durations.nearestRank(40, of: sorted) == 20)
        #expect(Durations.nearestRank(41, of: sorted) == 35)
        #expect(Durations.nearestRank(100, of: sorted) == 50)

        // Durations are whole seconds, rounded down, never negative.
        let lead = id(1, 60)
        var timeliness = TimelinessModel()
        let start = at("2026-03-02T09:00:00Z")
        timeliness.apply(
            LeadCreated(leadId: lead, channel: .chat, name: nil, email: nil, phone: nil, company: nil, source: "inquiry:x",
                        createdAt: start, triageDueAt: nil),
            occurredAt: start)
        timeliness.apply(
            LeadStateChanged(leadId: lead, from: "new", to: "assigned", departmentCode: sales, managerId: m1, changedBy: nil,
                             changedAt: start.addingTimeInterval(90.9)),
            occurredAt: start.addingTimeInterval(90.9))
        timeliness.apply(
            LeadStateChanged(leadId: lead, from: "assigned", to: "in_progress", departmentCode: nil, managerId: nil, changedBy: nil,
                             changedAt: start.addingTimeInterval(30)),  // another service's clock, a minute behind
            occurredAt: start.addingTimeInterval(30))
        let report = timeliness.report(TimelinessQuery())
        #expect(report.triage == Durations(count: 1, p50Seconds: 90, p90Seconds: 90, maxSeconds: 90))
        #expect(report.firstContact == Durations(count: 1, p50Seconds: 0, p90Seconds: 0, maxSeconds: 0))
    }

    @Test("per-manager figures: leads, median first contact, breaches charged, overdue tasks")
    func perManager() {
        let a = id(1, 70), b = id(1, 71), c = id(1, 72), d = id(1, 73)
        let events = [
            created(a, .mail, "2026-03-02T09:00:00Z"),
            state(a, "new", "assigned", "2026-03-02T10:00:00Z", department: sales, manager: m1),
            state(a, "assigned", "in_progress", "2026-03-02T10:10:00Z"),  // 10 min
            created(b, .mail, "2026-03-02T09:00:00Z"),
            state(b, "new", "assigned", "2026-03-02T10:00:00Z", department: sales, manager: m1),
            state(b, "assigned", "in_progress", "2026-03-02T11:00:00Z"),  // 1 h
            created(c, .mail, "2026-03-02T09:00:00Z"),
            state(c, "new", "assigned", "2026-03-02T10:00:00Z", department: service, manager: m1),
            state(c, "assigned", "in_progress", "2026-03-02T15:00:00Z"),  // 5 h
            responseOverdue(c, manager: m1, due: "2026-03-02T14:00:00Z", occurredAt: "2026-03-02T14:00:01Z"),
            // A breach naming no manager is charged to the lead's; two breaches of one lead count once.
            created(d, .mail, "2026-03-02T09:00:00Z"),
            state(d, "new", "assigned", "2026-03-02T10:00:00Z", department: service, manager: m2),
            responseOverdue(d, manager: nil, due: "2026-03-02T14:00:00Z", occurredAt: "2026-03-02T14:00:01Z"),
            state(d, "assigned", "assigned", "2026-03-02T15:00:00Z", department: service, manager: m2),
            responseOverdue(d, manager: m2, due: "2026-03-02T19:00:00Z", occurredAt: "2026-03-02T19:00:01Z"),
            // Tasks only: m3 has no leads but an overdue task.
            task(task1, deal: nil, assignee: m3, due: "2026-03-02T12:00:00Z", occurredAt: "2026-03-02T09:00:00Z"),
            task(task2, deal: nil, assignee: m1, due: "2026-03-02T12:00:00Z", occurredAt: "2026-03-02T09:00:00Z"),
            task(task3, deal: nil, assignee: m1, due: "2026-03-02T12:00:00Z", occurredAt: "2026-03-02T09:00:00Z"),
        ]
        let report = model(events).report(TimelinessQuery(asOf: at("2026-03-03T00:00:00Z")))
        #expect(report.byManager == [
            // Two sales leads and one service lead: sales; median of 10 min, 1 h, 5 h.
            ManagerRow(managerId: m1, department: sales, leads: 3, medianFirstContactSeconds: hour, breaches: 1, overdueTasks: 2),
            ManagerRow(managerId: m2, department: service, leads: 1, medianFirstContactSeconds: nil, breaches: 1, overdueTasks: 0),
            ManagerRow(managerId: m3, department: nil, leads: 0, medianFirstContactSeconds: nil, breaches: 0, overdueTasks: 1),
        ])
        #expect(report.slaBreaches == ["triage": 0, "response": 2])
        #expect(report.overdueTasks == 3)

        // A department tie goes to the first name; deals count towards it too.
        let tie = model([
            created(a, .mail, "2026-03-02T09:00:00Z"),
            state(a, "new", "assigned", "2026-03-02T10:00:00Z", department: "beta", manager: m1),
            opened(deal1, "2026-03-02T11:00:00Z", department: "alpha", manager: m1),
        ])
        #expect(tie.report(TimelinessQuery()).byManager.map(\.department) == ["alpha"])
        let leaning = model([
            created(a, .mail, "2026-03-02T09:00:00Z"),
            state(a, "new", "assigned", "2026-03-02T10:00:00Z", department: "beta", manager: m1),
            opened(deal1, "2026-03-02T11:00:00Z", department: "alpha", manager: m1),
            opened(deal2, "2026-03-02T11:00:00Z", department: "beta", manager: m1),
        ])
        #expect(leaning.report(TimelinessQuery()).byManager.map(\.department) == ["beta"])
        // A manager with deals only is not listed.
        #expect(model([opened(deal1, "2026-03-02T11:00:00Z", department: sales, manager: m1)]).report(TimelinessQuery()).byManager == [])
    }

    @Test("the period [from, to) applies to a lead's creation, a deal's opening, a task's due time")
    func period() {
        let timeliness = model(world)
        // Lead 3 is created at exactly 09:00 on the 3rd: outside a period ending then, inside one starting then.
        let first = timeliness.report(TimelinessQuery(from: at("2026-03-02T00:00:00Z"), to: at("2026-03-03T09:00:00Z"), asOf: end))
        #expect(first.triage.count == 2)
        #expect(first.firstContact == Durations(count: 2, p50Seconds: hour, p90Seconds: 19 * hour, maxSeconds: 19 * hour))
        #expect(first.slaBreaches == ["triage": 1, "response": 1])
        #expect(first.stageSeconds == [:])
        #expect(first.overdueTasks == 0)
        #expect(first.byManager.map(\.managerId) == [m1, m2])

        let second = timeliness.report(TimelinessQuery(from: at("2026-03-03T09:00:00Z"), to: at("2026-03-05T09:00:00Z"), asOf: end))
        #expect(second.triage == Durations(count: 2, p50Seconds: 10 * 60, p90Seconds: 2 * hour, maxSeconds: 2 * hour))
        #expect(second.slaBreaches == ["triage": 0, "response": 1])
        // Deal 1 opened on the 4th; its later stages still count.
        #expect(second.stageSeconds.keys.sorted() == ["contract", "offer", "selection"])
        #expect(second.stageSeconds["offer"] == Durations(count: 1, p50Seconds: 2 * day, p90Seconds: 2 * day, maxSeconds: 2 * day))

        // Tasks by due time: task 2 (the 8th) and task 4 (the 9th, 09:00); task 5 (12:00) was done.
        let tasks = timeliness.report(TimelinessQuery(from: at("2026-03-08T00:00:00Z"), to: at("2026-03-09T10:00:00Z"), asOf: end))
        #expect(tasks.overdueTasks == 2)
        #expect(tasks.triage.count == 0)
        #expect(timeliness.report(TimelinessQuery(from: at("2026-03-09T09:00:01Z"), asOf: end)).overdueTasks == 0)
        #expect(timeliness.report(TimelinessQuery(to: at("2026-03-09T09:00:00Z"), asOf: end)).overdueTasks == 1)
    }

    @Test("department and manager filters, read as of the query's instant")
    func filters() {
        let timeliness = model(world)
        let bySales = timeliness.report(TimelinessQuery(asOf: end, department: sales))
        #expect(bySales.triage == Durations(count: 3, p50Seconds: 2 * hour, p90Seconds: 4 * hour, maxSeconds: 4 * hour))
        #expect(bySales.slaBreaches == ["triage": 1, "response": 2])  // lead 5 has no department
        #expect(bySales.overdueTasks == 1)  // task 2 of deal 1; task 4 has no deal
        #expect(bySales.byManager.map(\.managerId) == [m1, m2])
        #expect(bySales.stageSeconds == [
            "selection": Durations(count: 2, p50Seconds: day, p90Seconds: 2 * day, maxSeconds: 2 * day),
            "offer": Durations(count: 1, p50Seconds: 2 * day, p90Seconds: 2 * day, maxSeconds: 2 * day),
            "contract": Durations(count: 1, p50Seconds: 3 * day, p90Seconds: 3 * day, maxSeconds: 3 * day),
        ])

        let byService = timeliness.report(TimelinessQuery(asOf: at("2026-03-21T00:00:00Z"), department: service))
        #expect(byService.overdueTasks == 1)  // task 3 of deal 2
        #expect(byService.byManager == [
            ManagerRow(managerId: m3, department: service, leads: 1, medianFirstContactSeconds: 10 * 60, breaches: 0, overdueTasks: 1),
        ])

        let byM2 = timeliness.report(TimelinessQuery(asOf: end, manager: m2))
        #expect(byM2.triage == Durations(count: 2, p50Seconds: 2 * hour, p90Seconds: 4 * hour, maxSeconds: 4 * hour))
        #expect(byM2.slaBreaches == ["triage": 1, "response": 2])  // of m2's leads: 2 and 4
        #expect(byM2.byManager == [
            ManagerRow(managerId: m2, department: sales, leads: 2, medianFirstContactSeconds: 19 * hour, breaches: 1, overdueTasks: 0),
        ])
        #expect(byM2.stageSeconds == ["selection": Durations(count: 1, p50Seconds: 2 * day, p90Seconds: 2 * day, maxSeconds: 2 * day)])
        #expect(byM2.overdueTasks == 0)

        let byM1 = timeliness.report(TimelinessQuery(asOf: end, manager: m1))
        #expect(byM1.triage.count == 1)  // lead 4 is m2's as of then
        #expect(byM1.overdueTasks == 1)
        #expect(timeliness.report(TimelinessQuery(asOf: at("2026-03-04T12:00:00Z"), manager: m1)).triage.count == 2)

        let nobody = timeliness.report(TimelinessQuery(asOf: end, department: "marketing"))
        #expect(nobody == TimelinessReport())
    }

    @Test("a lead known only from later events: no triage time, but its first contact and breaches count")
    func partialLead() {
        let lead = id(1, 80)
        var timeliness = model([
            state(lead, "new", "assigned", "2026-03-05T09:00:00Z", department: sales, manager: m1),
            state(lead, "assigned", "in_progress", "2026-03-05T09:45:00Z"),
            responseOverdue(lead, manager: m1, due: "2026-03-05T09:30:00Z", occurredAt: "2026-03-05T09:30:01Z"),
        ])
        var report = timeliness.report(TimelinessQuery())
        #expect(report.triage.count == 0)
        #expect(report.firstContact == Durations(count: 1, p50Seconds: 45 * 60, p90Seconds: 45 * 60, maxSeconds: 45 * 60))
        #expect(report.slaBreaches == ["triage": 0, "response": 1])
        #expect(timeliness.report(TimelinessQuery(asOf: at("2026-03-05T08:59:59Z"))) == TimelinessReport())

        timeliness.apply(created(lead, .mail, "2026-03-05T08:00:00Z").payload, occurredAt: at("2026-03-05T08:00:00Z"))
        report = timeliness.report(TimelinessQuery())
        #expect(report.triage == Durations(count: 1, p50Seconds: hour, p90Seconds: hour, maxSeconds: hour))
        #expect(timeliness.report(TimelinessQuery(from: at("2026-03-05T08:30:00Z"))).triage.count == 0)
    }

    @Test("other payloads are ignored; an empty model reports nothing")
    func otherPayloads() {
        var ignoring = TimelinessModel()
        let instant = at("2026-03-03T08:00:00Z")
        ignoring.apply(CounterpartyRegistered(counterpartyId: id(6, 1), name: "ACME", taxId: nil, kind: "prospect"), occurredAt: instant)
        ignoring.apply(
            OfferIssued(dealId: deal1, offerId: id(7, 1), number: "A-1", version: 1, language: "en", total: nil, validUntil: "2026-04-01",
                        issuedAt: instant),
            occurredAt: instant)
        #expect(ignoring == TimelinessModel())
        #expect(ignoring.report(TimelinessQuery()) == TimelinessReport())
        #expect(TimelinessReport().slaBreaches == ["triage": 0, "response": 0])
    }

    @Test("the report survives a JSON round trip")
    func reportCodable() throws {
        let report = model(world).report(TimelinessQuery(asOf: end))
        let decoded = try JSONDecoder().decode(TimelinessReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}

extension TimelinessQuery: CustomTestStringConvertible {
    public var testDescription: String {
        queryDescription(from: from, to: to, asOf: asOf, department: department, manager: manager)
    }
}
