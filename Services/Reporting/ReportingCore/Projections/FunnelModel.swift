import Contracts
import Foundation

// The funnel read model: inquiries → leads → qualified → converted → deals by stage → closed / lost.
//
// Reporting reads every topic, so events arrive out of order (partitions of different topics are
// independent) and more than once (redelivery, overlapping re-reads, rebuilds). Every fact kept
// here is therefore updated by an operation that is commutative, associative and idempotent:
//
// - a "min" timestamp keeps the earliest instant seen;
// - a latest-wins value keeps every distinct instant it was stated at (one value per instant, the
//   greater one on a tie), so it can be read "as of" any past instant;
// - a deal's stage history is a set of (stage, entered at).
//
// Applying any permutation of any multiset of events gives an equal model, and a report asks
// the model "as of T": only facts stamped at or before T count. The folds every read model shares
// (earliest, latest, `LatestWins`, periods) are in Facts.swift.

/// A deal's equipment types as one value (sorted, each once), so that an edit replaces the whole set.
struct EquipmentTypes: LatestWinsValue {
    var values: [String]

    init(_ values: [String]) { self.values = Array(Set(values)).sorted() }

    var tieBreak: String { values.joined(separator: "\u{1F}") }
}

/// What the funnel knows about one inquiry (a mail, chat, form, or an inbound call).
struct InquiryFacts: Sendable, Equatable {
    var channel = LatestWins<String>()
    var receivedAt: Date?
}

/// What the funnel knows about one lead. A lead seen only through later events (its
/// `LeadCreated` not yet arrived) exists with the facts it has.
struct LeadFacts: Sendable, Equatable {
    /// Stated by `LeadCreated` (at createdAt).
    var createdChannel = LatestWins<String>()
    /// Stated by `LeadConverted` (at convertedAt); used only while `LeadCreated` is unseen.
    var convertedChannel = LatestWins<String>()
    var createdAt: Date?
    var assignedAt: Date?
    var contactedAt: Date?
    var qualifiedAt: Date?
    var disqualifiedAt: Date?
    var disqualifyReason = LatestWins<String>()
    var convertedAt: Date?
    var department = LatestWins<String>()
    var manager = LatestWins<UUID>()
    /// The inquiry or call it was made from (`LeadCreated.source`: `inquiry:<id>` or `call:<id>`).
    var origin = LatestWins<UUID>()

    /// When the lead began: its creation, or — while `LeadCreated` is unseen — the earliest fact known.
    var startedAt: Date? {
        if let createdAt { return createdAt }
        let instants = [assignedAt, contactedAt, qualifiedAt, disqualifiedAt, convertedAt].compactMap { $0 }
            + [createdChannel.earliest, convertedChannel.earliest, department.earliest, manager.earliest,
               disqualifyReason.earliest].compactMap { $0 }
        return instants.min()
    }

    func channel(asOf limit: Date?) -> String? {
        createdChannel.value(asOf: limit) ?? convertedChannel.value(asOf: limit)
    }
}

/// One entry of a deal's stage history.
struct StageEntry: Sendable, Hashable {
    var stage: String
    var enteredAt: Date
}

/// What the funnel knows about one deal.
struct DealFacts: Sendable, Equatable {
    var leadId = LatestWins<UUID>()
    var openedAt: Date?
    var department = LatestWins<String>()
    var manager = LatestWins<UUID>()
    var stages = Set<StageEntry>()
    var lostAt: Date?
    var lostReason = LatestWins<String>()
    var closedAt: Date?
    var equipmentTypes = LatestWins<EquipmentTypes>()

    /// When the deal began: its opening, or — while `DealOpened` is unseen — the earliest fact known.
    var startedAt: Date? {
        if let openedAt { return openedAt }
        return (stages.map(\.enteredAt) + [lostAt, closedAt, lostReason.earliest].compactMap { $0 }).min()
    }

    /// The stage of the latest history entry at or before `limit` (the greater name on a tie).
    func stage(asOf limit: Date?) -> String? {
        var best: StageEntry?
        for entry in stages where known(entry.enteredAt, asOf: limit) {
            guard let current = best else {
                best = entry
                continue
            }
            if entry.enteredAt > current.enteredAt || (entry.enteredAt == current.enteredAt && entry.stage > current.stage) {
                best = entry
            }
        }
        return best?.stage
    }
}

/// Which slice of the funnel to count.
public struct FunnelQuery: Sendable, Equatable {
    /// The period `[from, to)`, on each entity's own start: an inquiry's receipt, a lead's
    /// creation, a deal's opening. Nil ends are open.
    public var from: Date?
    public var to: Date?
    /// The instant the funnel is seen at: only facts stamped at or before it count. Nil: everything known.
    public var asOf: Date?
    /// Leads and deals of this department (their latest value as of `asOf`).
    public var department: String?
    /// Leads and deals of this manager (their latest value as of `asOf`).
    public var manager: UUID?
    /// Inquiries, leads and deals that came through this channel (a deal's channel is its lead's).
    public var channel: String?
    /// Deals with a line of this equipment type (as of `asOf`), and the leads and inquiries they
    /// came from: neither a lead nor an inquiry has an equipment type until its deal's lines are
    /// chosen, so with this filter the funnel is traced back from the deals.
    public var equipmentType: String?

    public init(
        from: Date? = nil, to: Date? = nil, asOf: Date? = nil, department: String? = nil, manager: UUID? = nil,
        channel: String? = nil, equipmentType: String? = nil
    ) {
        self.from = from
        self.to = to
        self.asOf = asOf
        self.department = department
        self.manager = manager
        self.channel = channel
        self.equipmentType = equipmentType
    }
}

/// The funnel's figures for one query.
public struct FunnelReport: Codable, Sendable, Equatable {
    /// Conversion rates in percent, rounded half-up to one decimal; nil when nothing to divide by.
    public struct Conversion: Codable, Sendable, Equatable {
        public var leadToQualified: Decimal?
        public var qualifiedToConverted: Decimal?
        /// Closed deals of all deals.
        public var dealToClosed: Decimal?

        public init(leadToQualified: Decimal?, qualifiedToConverted: Decimal?, dealToClosed: Decimal?) {
            self.leadToQualified = leadToQualified
            self.qualifiedToConverted = qualifiedToConverted
            self.dealToClosed = dealToClosed
        }
    }

    public var inquiries: Int
    public var inquiriesByChannel: [String: Int]
    public var leads: Int
    public var assigned: Int
    public var contacted: Int
    /// Leads qualified by then, converted ones included.
    public var qualified: Int
    public var disqualified: Int
    public var disqualifiedByReason: [String: Int]
    public var converted: Int
    public var deals: Int
    /// Each deal once, in its stage as of then.
    public var dealsByStage: [String: Int]
    /// Deals per equipment type of their lines (a deal with two types counts under each; one
    /// without lines under none).
    public var dealsByEquipmentType: [String: Int]
    public var closed: Int
    public var lost: Int
    public var lostByReason: [String: Int]
    public var conversion: Conversion

    public init(
        inquiries: Int = 0, inquiriesByChannel: [String: Int] = [:], leads: Int = 0, assigned: Int = 0, contacted: Int = 0,
        qualified: Int = 0, disqualified: Int = 0, disqualifiedByReason: [String: Int] = [:], converted: Int = 0, deals: Int = 0,
        dealsByStage: [String: Int] = [:], dealsByEquipmentType: [String: Int] = [:], closed: Int = 0, lost: Int = 0, lostByReason: [String: Int] = [:],
        conversion: Conversion = Conversion(leadToQualified: nil, qualifiedToConverted: nil, dealToClosed: nil)
    ) {
        self.inquiries = inquiries
        self.inquiriesByChannel = inquiriesByChannel
        self.leads = leads
        self.assigned = assigned
        self.contacted = contacted
        self.qualified = qualified
        self.disqualified = disqualified
        self.disqualifiedByReason = disqualifiedByReason
        self.converted = converted
        self.deals = deals
        self.dealsByStage = dealsByStage
        self.dealsByEquipmentType = dealsByEquipmentType
        self.closed = closed
        self.lost = lost
        self.lostByReason = lostByReason
        self.conversion = conversion
    }

    /// `part` of `whole` in percent, rounded half-up to one decimal; nil when `whole` is 0.
    static func percent(_ part: Int, of whole: Int) -> Decimal? {
        guard whole > 0 else { return nil }
        var exact = Decimal(part) * 100 / Decimal(whole)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 1, .plain)
        return rounded
    }
}

/// The funnel: per-entity facts fed by events in any order, any number of times.
public struct FunnelModel: Sendable, Equatable {
    /// The reason key for a disqualification or loss that carried none (or an empty one).
    static let unspecifiedReason = "unspecified"
    /// The stage names that end a deal.
    static let closedStage = "closed"
    static let lostStage = "lost"

    var inquiries: [UUID: InquiryFacts] = [:]
    var leads: [UUID: LeadFacts] = [:]
    var deals: [UUID: DealFacts] = [:]
    /// The unfiltered funnel as of everything known (the dashboard's default view), kept per event:
    /// each change takes the entity's view out before and puts it back after, so the sum is the
    /// same as counting every entity afresh (tested), in any order.
    private(set) var everything = FunnelTally()
    /// Whether `everything` follows each event; a rebuild turns it off and counts once at the end.
    private var tallying = true

    public init() {}

    /// Stops keeping the unfiltered funnel per event: a rebuild applies a whole log, then `recount`s once.
    mutating func deferTally() { tallying = false }

    /// Counts the unfiltered funnel afresh and keeps it per event again.
    mutating func recount() {
        everything = tally(Self.unfiltered)
        tallying = true
    }

    /// Folds one event in; other types are ignored. `occurredAt` is the envelope's, used where the
    /// payload has no instant of its own.
    public mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        switch payload {
        case let event as InquiryReceived:
            update(inquiry: event.inquiryId) { $0.record(channel: event.channel.rawValue, at: event.receivedAt) }
        case let event as CallRegistered:
            // Only a call from outside is someone asking; outbound and internal calls are staff work
            // (the leads service creates leads from inbound calls only, too).
            guard event.direction == .inbound else { return }
            update(inquiry: event.callId) { $0.record(channel: "phone", at: event.startedAt ?? occurredAt) }
        case let event as LeadCreated:
            update(lead: event.leadId) { lead in
                lead.createdAt = earliest(lead.createdAt, event.createdAt)
                lead.createdChannel.record(event.channel.rawValue, at: event.createdAt)
                if let origin = Self.origin(event.source) { lead.origin.record(origin, at: event.createdAt) }
            }
        case let event as LeadStateChanged:
            update(lead: event.leadId) { lead in
                let at = event.changedAt
                switch event.to {
                case "assigned": lead.assignedAt = earliest(lead.assignedAt, at)
                case "in_progress": lead.contactedAt = earliest(lead.contactedAt, at)
                case "qualified": lead.qualifiedAt = earliest(lead.qualifiedAt, at)
                case "disqualified":
                    lead.disqualifiedAt = earliest(lead.disqualifiedAt, at)
                    if let reason = event.reason, !reason.isEmpty { lead.disqualifyReason.record(reason, at: at) }
                default: break
                }
                if let department = event.departmentCode { lead.department.record(department, at: at) }
                if let manager = event.managerId { lead.manager.record(manager, at: at) }
            }
        case let event as LeadConverted:
            update(lead: event.leadId) { lead in
                let at = event.convertedAt
                lead.convertedAt = earliest(lead.convertedAt, at)
                lead.convertedChannel.record(event.channel.rawValue, at: at)
                lead.department.record(event.departmentCode, at: at)
                lead.manager.record(event.managerId, at: at)
            }
        case let event as DealOpened:
            update(deal: event.dealId) { deal in
                let at = event.openedAt
                deal.openedAt = earliest(deal.openedAt, at)
                if let lead = event.leadId { deal.leadId.record(lead, at: at) }
                deal.department.record(event.departmentCode, at: at)
                deal.manager.record(event.managerId, at: at)
                deal.stages.insert(StageEntry(stage: event.stage, enteredAt: at))
                if let types = event.equipmentTypes { deal.equipmentTypes.record(EquipmentTypes(types), at: at) }
            }
        case let event as DealLinesChanged:
            update(deal: event.dealId) { $0.equipmentTypes.record(EquipmentTypes(event.equipmentTypes), at: event.changedAt) }
        case let event as DealStageChanged:
            update(deal: event.dealId) { $0.stages.insert(StageEntry(stage: event.to, enteredAt: event.changedAt)) }
        case let event as DealLost:
            update(deal: event.dealId) { deal in
                deal.lostAt = earliest(deal.lostAt, event.lostAt)
                if !event.reason.isEmpty { deal.lostReason.record(event.reason, at: event.lostAt) }
                // The deals service sends its stage change to `lost` with the same instant; should
                // that one be late, the deal is lost all the same (the set absorbs the duplicate).
                deal.stages.insert(StageEntry(stage: Self.lostStage, enteredAt: event.lostAt))
            }
        case let event as DealClosed:
            update(deal: event.dealId) { deal in
                deal.closedAt = earliest(deal.closedAt, event.closedAt)
                deal.stages.insert(StageEntry(stage: Self.closedStage, enteredAt: event.closedAt))
            }
        default:
            break
        }
    }

    /// The inquiry or call id in a lead's `source` (`inquiry:<id>`, `call:<id>`).
    static func origin(_ source: String) -> UUID? {
        guard let colon = source.firstIndex(of: ":") else { return nil }
        return UUID(uuidString: String(source[source.index(after: colon)...]))
    }

    private static let unfiltered = FunnelQuery()

    private mutating func update(inquiry id: UUID, _ change: (inout InquiryFacts) -> Void) {
        guard tallying else { return change(&inquiries[id, default: InquiryFacts()]) }
        everything.count(inquiries[id].flatMap { inquiryView(id, $0, Self.unfiltered, origins: nil) }, -1)
        change(&inquiries[id, default: InquiryFacts()])
        everything.count(inquiries[id].flatMap { inquiryView(id, $0, Self.unfiltered, origins: nil) }, 1)
    }

    private mutating func update(lead id: UUID, _ change: (inout LeadFacts) -> Void) {
        guard tallying else { return change(&leads[id, default: LeadFacts()]) }
        everything.count(leads[id].flatMap { leadView(id, $0, Self.unfiltered, origins: nil) }, -1)
        change(&leads[id, default: LeadFacts()])
        everything.count(leads[id].flatMap { leadView(id, $0, Self.unfiltered, origins: nil) }, 1)
    }

    private mutating func update(deal id: UUID, _ change: (inout DealFacts) -> Void) {
        guard tallying else { return change(&deals[id, default: DealFacts()]) }
        everything.count(deals[id].flatMap { dealView(id, $0, Self.unfiltered) }, -1)
        change(&deals[id, default: DealFacts()])
        everything.count(deals[id].flatMap { dealView(id, $0, Self.unfiltered) }, 1)
    }

    // MARK: - Reading

    /// An inquiry as the query sees it.
    struct InquiryView {
        var id: UUID
        var channel: String?
    }

    /// A lead as the query sees it.
    struct LeadView {
        var id: UUID
        var assigned: Bool
        var contacted: Bool
        var qualified: Bool
        var disqualified: Bool
        var disqualifyReason: String?
        var converted: Bool
    }

    /// A deal as the query sees it.
    struct DealView {
        var id: UUID
        var stage: String
        var lostReason: String?
        var equipmentTypes: [String]
        var leadId: UUID?
    }

    /// With an equipment-type filter: the leads and inquiries its deals came from (nil: no filter).
    struct Origins {
        var leads: Set<UUID>
        var inquiries: Set<UUID>
    }

    func origins(_ query: FunnelQuery, deals: [DealView]? = nil) -> Origins? {
        guard query.equipmentType != nil else { return nil }
        let leadIds = Set((deals ?? dealViews(query)).compactMap(\.leadId))
        return Origins(leads: leadIds, inquiries: Set(leadIds.compactMap { leads[$0]?.origin.value(asOf: query.asOf) }))
    }

    /// The inquiries received by `asOf`, in the period and of the channel.
    func inquiryViews(_ query: FunnelQuery, origins: Origins? = nil) -> [InquiryView] {
        let origins = origins ?? self.origins(query)
        return inquiries.compactMap { inquiryView($0, $1, query, origins: origins) }
    }

    func inquiryView(_ id: UUID, _ facts: InquiryFacts, _ query: FunnelQuery, origins: Origins?) -> InquiryView? {
        guard let start = facts.receivedAt, known(start, asOf: query.asOf), query.inPeriod(start) else { return nil }
        if let origins, !origins.inquiries.contains(id) { return nil }
        let channel = facts.channel.value(asOf: query.asOf)
        if let wanted = query.channel, channel != wanted { return nil }
        return InquiryView(id: id, channel: channel)
    }

    /// The leads begun by `asOf`, in the period, of the department, manager and channel.
    func leadViews(_ query: FunnelQuery, origins: Origins? = nil) -> [LeadView] {
        let origins = origins ?? self.origins(query)
        return leads.compactMap { leadView($0, $1, query, origins: origins) }
    }

    func leadView(_ id: UUID, _ lead: LeadFacts, _ query: FunnelQuery, origins: Origins?) -> LeadView? {
        let asOf = query.asOf
        guard let start = lead.startedAt, known(start, asOf: asOf), query.inPeriod(start) else { return nil }
        if let origins, !origins.leads.contains(id) { return nil }
        if let wanted = query.department, lead.department.value(asOf: asOf) != wanted { return nil }
        if let wanted = query.manager, lead.manager.value(asOf: asOf) != wanted { return nil }
        if let wanted = query.channel, lead.channel(asOf: asOf) != wanted { return nil }
        let converted = known(lead.convertedAt, asOf: asOf)
        let disqualified = known(lead.disqualifiedAt, asOf: asOf)
        return LeadView(
            id: id, assigned: known(lead.assignedAt, asOf: asOf), contacted: known(lead.contactedAt, asOf: asOf),
            qualified: known(lead.qualifiedAt, asOf: asOf) || converted, disqualified: disqualified,
            disqualifyReason: disqualified ? lead.disqualifyReason.value(asOf: asOf) : nil, converted: converted)
    }

    /// The deals begun by `asOf`, in the period, of the department, manager, (their lead's) channel
    /// and equipment type.
    func dealViews(_ query: FunnelQuery) -> [DealView] {
        deals.compactMap { dealView($0, $1, query) }
    }

    /// A deal's view depends on its lead only through the channel filter, so the unfiltered view
    /// of a deal changes only with the deal's own facts.
    func dealView(_ id: UUID, _ deal: DealFacts, _ query: FunnelQuery) -> DealView? {
        let asOf = query.asOf
        guard let start = deal.startedAt, known(start, asOf: asOf), query.inPeriod(start),
              let stage = deal.stage(asOf: asOf) else { return nil }
        if let wanted = query.department, deal.department.value(asOf: asOf) != wanted { return nil }
        if let wanted = query.manager, deal.manager.value(asOf: asOf) != wanted { return nil }
        let leadId = deal.leadId.value(asOf: asOf)
        if let wanted = query.channel {
            guard let leadId, let lead = leads[leadId], lead.channel(asOf: asOf) == wanted else { return nil }
        }
        let types = deal.equipmentTypes.value(asOf: asOf)?.values ?? []
        if let wanted = query.equipmentType, !types.contains(wanted) { return nil }
        return DealView(
            id: id, stage: stage, lostReason: stage == Self.lostStage ? deal.lostReason.value(asOf: asOf) : nil,
            equipmentTypes: types, leadId: leadId)
    }

    /// The funnel's figures for `query`: the unfiltered one as kept per event, any other counted afresh.
    public func report(_ query: FunnelQuery) -> FunnelReport {
        query == Self.unfiltered ? everything.report : counted(query)
    }

    /// The funnel's figures for `query`, every entity counted afresh.
    func counted(_ query: FunnelQuery) -> FunnelReport { tally(query).report }

    private func tally(_ query: FunnelQuery) -> FunnelTally {
        var tally = FunnelTally()
        let deals = dealViews(query)
        let origins = origins(query, deals: deals)
        for inquiry in inquiryViews(query, origins: origins) { tally.count(inquiry, 1) }
        for lead in leadViews(query, origins: origins) { tally.count(lead, 1) }
        for deal in deals { tally.count(deal, 1) }
        return tally
    }

    /// The ids behind one figure of `report(query)`, sorted by their string form. `step` is one of
    /// `inquiries`, `leads`, `assigned`, `contacted`, `qualified`, `disqualified`, `converted`,
    /// `deals`, `closed`, `lost`, `stage:<name>` or `equipment:<type>`; anything else has no ids.
    public func drillDown(_ query: FunnelQuery, step: String) -> [UUID] {
        let ids: [UUID]
        switch step {
        case "inquiries": ids = inquiryViews(query).map(\.id)
        case "leads": ids = leadViews(query).map(\.id)
        case "assigned": ids = leadViews(query).filter(\.assigned).map(\.id)
        case "contacted": ids = leadViews(query).filter(\.contacted).map(\.id)
        case "qualified": ids = leadViews(query).filter(\.qualified).map(\.id)
        case "disqualified": ids = leadViews(query).filter(\.disqualified).map(\.id)
        case "converted": ids = leadViews(query).filter(\.converted).map(\.id)
        case "deals": ids = dealViews(query).map(\.id)
        case "closed": ids = dealViews(query).filter { $0.stage == Self.closedStage }.map(\.id)
        case "lost": ids = dealViews(query).filter { $0.stage == Self.lostStage }.map(\.id)
        default:
            if step.hasPrefix("stage:") {
                let stage = String(step.dropFirst("stage:".count))
                ids = dealViews(query).filter { $0.stage == stage }.map(\.id)
            } else if step.hasPrefix("equipment:") {
                let type = String(step.dropFirst("equipment:".count))
                ids = dealViews(query).filter { $0.equipmentTypes.contains(type) }.map(\.id)
            } else {
                return []
            }
        }
        return ids.sorted { $0.uuidString < $1.uuidString }
    }
}

extension InquiryFacts {
    mutating func record(channel value: String, at instant: Date) {
        receivedAt = earliest(receivedAt, instant)
        channel.record(value, at: instant)
    }
}

/// Funnel counts that entities' views are added to and taken out of (a view taken out is one that
/// was added before, so no count goes below zero and a count back at zero leaves its map).
struct FunnelTally: Sendable, Equatable {
    private var counts = FunnelReport()

    mutating func count(_ inquiry: FunnelModel.InquiryView?, _ sign: Int) {
        guard let inquiry else { return }
        counts.inquiries += sign
        Self.add(sign, to: &counts.inquiriesByChannel, inquiry.channel ?? FunnelModel.unspecifiedReason)
    }

    mutating func count(_ lead: FunnelModel.LeadView?, _ sign: Int) {
        guard let lead else { return }
        counts.leads += sign
        if lead.assigned { counts.assigned += sign }
        if lead.contacted { counts.contacted += sign }
        if lead.qualified { counts.qualified += sign }
        if lead.converted { counts.converted += sign }
        if lead.disqualified {
            counts.disqualified += sign
            Self.add(sign, to: &counts.disqualifiedByReason, lead.disqualifyReason ?? FunnelModel.unspecifiedReason)
        }
    }

    mutating func count(_ deal: FunnelModel.DealView?, _ sign: Int) {
        guard let deal else { return }
        counts.deals += sign
        Self.add(sign, to: &counts.dealsByStage, deal.stage)
        for type in deal.equipmentTypes { Self.add(sign, to: &counts.dealsByEquipmentType, type) }
        if deal.stage == FunnelModel.closedStage { counts.closed += sign }
        if deal.stage == FunnelModel.lostStage {
            counts.lost += sign
            Self.add(sign, to: &counts.lostByReason, deal.lostReason ?? FunnelModel.unspecifiedReason)
        }
    }

    private static func add(_ sign: Int, to counts: inout [String: Int], _ key: String) {
        let value = counts[key, default: 0] + sign
        counts[key] = value == 0 ? nil : value
    }

    /// The counts with their conversion rates.
    var report: FunnelReport {
        var report = counts
        report.conversion = FunnelReport.Conversion(
            leadToQualified: FunnelReport.percent(report.qualified, of: report.leads),
            qualifiedToConverted: FunnelReport.percent(report.converted, of: report.qualified),
            dealToClosed: FunnelReport.percent(report.closed, of: report.deals))
        return report
    }
}
