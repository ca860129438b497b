import Contracts
import Foundation

// The audience read model: the leads service's contact book as marketing exports see it.
//
// Like the funnel, it is fed from every topic, out of order and more than once, so every fact is
// kept by an operation that is commutative, associative and idempotent, and everything derived
// (merges, company names, last activity, revisions) is worked out when read:
//
// - a contact is the history of its snapshots by instant (`ContactRegistered`, `ContactUpdated`,
//   the survivor of `ContactsMerged`, and the snapshots a `LeadConverted` carries); the newest wins;
// - a merged-away contact is remembered for good, so a late or redelivered update cannot bring it back;
// - a counterparty's name is latest-wins from the contact book (and the snapshot a `LeadConverted`
//   carries); a deal's `counterpartyName`, reached through its lead, stands in while none is known;
// - a lead's activity is the latest of its creation, state changes and conversion; it counts for the
//   contacts the conversion names or, before that, for the contacts holding the lead's e-mail or phone.

/// A contact as exports read it.
public struct AudienceContact: Sendable, Hashable {
    public var id: UUID
    public var name: String
    /// The counterparty's name, when the contact belongs to one whose name is known.
    public var company: String?
    /// E.164 numbers, first one first.
    public var phones: [String]
    /// As entered (trimmed), not validated: exports check them.
    public var emails: [String]
    public var marketingConsent: Bool
    public var managerId: UUID?
    /// The latest activity of a lead linked to the contact (or to a contact merged into it).
    public var lastActivityAt: Date?
    /// The instant of the snapshot the contact stands at.
    public var changedAt: Date
    /// The instant of the newest change to what exports show (name, company, phones, e-mails, consent,
    /// manager): a restatement of the same values does not move it. Export "since T" takes `revision > T`.
    public var revision: Date

    public init(
        id: UUID, name: String, company: String? = nil, phones: [String] = [], emails: [String] = [],
        marketingConsent: Bool = false, managerId: UUID? = nil, lastActivityAt: Date? = nil, changedAt: Date, revision: Date
    ) {
        self.id = id
        self.name = name
        self.company = company
        self.phones = phones
        self.emails = emails
        self.marketingConsent = marketingConsent
        self.managerId = managerId
        self.lastActivityAt = lastActivityAt
        self.changedAt = changedAt
        self.revision = revision
    }
}

/// Which contacts an export takes.
public enum AudienceSegment: Sendable, Hashable {
    case all
    /// Contacts who agreed to marketing.
    case withConsent
    /// Contacts whose responsible manager is this one.
    case manager(UUID)
    /// Contacts of the counterparty with this name (case-insensitive, surrounding spaces ignored).
    case company(String)

    /// Reads `all`, `consent`, `manager:<uuid>` or `company:<name>`.
    public init?(rawValue: String) {
        switch rawValue {
        case "all": self = .all
        case "consent": self = .withConsent
        default:
            if rawValue.hasPrefix("manager:") {
                guard let id = UUID(uuidString: String(rawValue.dropFirst("manager:".count))) else { return nil }
                self = .manager(id)
            } else if rawValue.hasPrefix("company:") {
                let name = String(rawValue.dropFirst("company:".count))
                guard !name.trimmed.isEmpty else { return nil }
                self = .company(name)
            } else {
                return nil
            }
        }
    }

    /// The form `init?(rawValue:)` reads (also usable as an export tag).
    public var rawValue: String {
        switch self {
        case .all: "all"
        case .withConsent: "consent"
        case .manager(let id): "manager:\(id.uuidString.lowercased())"
        case .company(let name): "company:\(name)"
        }
    }

    /// Whether a contact showing `content` can be in the segment (the company segment is decided
    /// later, once the company's name is known).
    func admits(_ content: ContactContent) -> Bool {
        switch self {
        case .all, .company: true
        case .withConsent: content.marketingConsent
        case .manager(let id): content.managerId == id
        }
    }

    public func contains(_ contact: AudienceContact) -> Bool {
        switch self {
        case .all: true
        case .withConsent: contact.marketingConsent
        case .manager(let id): contact.managerId == id
        case .company(let name): contact.company.map { Self.companyKey($0) == Self.companyKey(name) } ?? false
        }
    }

    static func companyKey(_ name: String) -> String {
        name.trimmed.lowercased()
    }
}

// MARK: - Facts

/// What exports show of a snapshot: two statements with equal content are no change.
struct ContactContent: Sendable, Equatable {
    var name: String
    var counterpartyId: UUID?
    var managerId: UUID?
    var phones: [String]
    var emails: [String]
    var marketingConsent: Bool

    init(_ snapshot: ContactSnapshot) {
        name = snapshot.name
        counterpartyId = snapshot.counterpartyId
        managerId = snapshot.managerId
        var seen = Set<String>()
        phones = snapshot.phones.map { $0.e164.trimmed }
            .filter { isE164($0) && seen.insert($0).inserted }
        emails = snapshot.emails.map { $0.trimmed }.filter { !$0.isEmpty }
        marketingConsent = snapshot.marketingConsent
    }
}

/// `+` and 2 to 15 digits.
private func isE164(_ text: String) -> Bool {
    let scalars = Array(text.unicodeScalars)
    guard scalars.first == "+", (3...16).contains(scalars.count) else { return false }
    return scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
}

/// The snapshots a contact was stated with, by instant (one per instant, picked deterministically).
struct ContactStatements: Sendable, Equatable {
    private(set) var statements: [Date: ContactSnapshot] = [:]

    mutating func record(_ snapshot: ContactSnapshot, at instant: Date) {
        if let existing = statements[instant], Self.tieBreak(existing) >= Self.tieBreak(snapshot) { return }
        statements[instant] = snapshot
    }

    /// Orders two different snapshots stated at the same instant: every field takes part.
    static func tieBreak(_ snapshot: ContactSnapshot) -> String {
        [
            snapshot.contactId.uuidString, snapshot.name, snapshot.counterpartyId?.uuidString ?? "",
            snapshot.managerId?.uuidString ?? "", snapshot.phones.map { "\($0.e164)\u{1F}\($0.raw)" }.joined(separator: "\u{1E}"),
            snapshot.emails.joined(separator: "\u{1E}"), snapshot.marketingConsent ? "1" : "0",
        ].joined(separator: "\u{1D}")
    }

    var latest: (at: Date, snapshot: ContactSnapshot)? {
        statements.max { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// When what exports show last changed.
    var revision: Date? {
        if statements.count == 1 { return statements.first?.key }
        return lastChange(statements.mapValues(ContactContent.init))
    }
}

/// The instant of the newest statement whose value differs from the one before it (the first counts).
private func lastChange<Value: Equatable>(_ statements: [Date: Value]) -> Date? {
    if statements.count == 1 { return statements.first?.key }
    var previous: Value?
    var changed: Date?
    for (at, value) in statements.sorted(by: { $0.key < $1.key }) {
        if previous != value { changed = at }
        previous = value
    }
    return changed
}

/// What the audience knows about a lead: how to link it to contacts and when it was last active.
struct AudienceLeadFacts: Sendable, Equatable {
    var lastActivityAt: Date?
    /// The contacts its conversion named.
    var contactIds = Set<UUID>()
    /// The e-mail (lowercased) and phone it was created with.
    var emails = Set<String>()
    var phones = Set<String>()
    var counterpartyId = LatestWins<UUID>()

    mutating func active(at instant: Date) {
        lastActivityAt = max(lastActivityAt ?? instant, instant)
    }
}

/// What the audience knows about a deal: the counterparty name it was opened for, and its lead.
struct AudienceDealFacts: Sendable, Equatable {
    var leadId = LatestWins<UUID>()
    var counterpartyName = LatestWins<String>()
}

// MARK: - Model

/// The contact book for marketing exports, fed by events in any order, any number of times.
public struct AudienceModel: Sendable, Equatable {
    var contacts: [UUID: ContactStatements] = [:]
    /// Merged-away contact → the contact it was merged into (by instant).
    var mergedInto: [UUID: LatestWins<UUID>] = [:]
    /// Counterparty names from the contact book (`CounterpartyRegistered`/`Updated`, a conversion's snapshot).
    var counterparties: [UUID: LatestWins<String>] = [:]
    var leads: [UUID: AudienceLeadFacts] = [:]
    var deals: [UUID: AudienceDealFacts] = [:]

    public init() {}

    /// Folds one event in; other types are ignored. `occurredAt` is the envelope's, the instant of
    /// contact-book changes (their payloads carry none).
    public mutating func apply(_ payload: any EventPayload, occurredAt: Date) {
        switch payload {
        case let event as ContactRegistered:
            contacts[event.contact.contactId, default: ContactStatements()].record(event.contact, at: occurredAt)
        case let event as ContactUpdated:
            contacts[event.contact.contactId, default: ContactStatements()].record(event.contact, at: occurredAt)
        case let event as ContactsMerged:
            contacts[event.survivorId, default: ContactStatements()].record(event.survivor, at: occurredAt)
            if event.mergedId != event.survivorId {
                mergedInto[event.mergedId, default: LatestWins()].record(event.survivorId, at: occurredAt)
            }
        case let event as CounterpartyRegistered:
            counterparties[event.counterpartyId, default: LatestWins()].record(event.name, at: occurredAt)
        case let event as CounterpartyUpdated:
            counterparties[event.counterpartyId, default: LatestWins()].record(event.name, at: occurredAt)
        case let event as LeadCreated:
            update(lead: event.leadId) { lead in
                lead.active(at: event.createdAt)
                if let email = event.email.map(Self.emailKey), !email.isEmpty { lead.emails.insert(email) }
                if let phone = event.phone?.trimmed, !phone.isEmpty { lead.phones.insert(phone) }
            }
        case let event as LeadStateChanged:
            update(lead: event.leadId) { $0.active(at: event.changedAt) }
        case let event as LeadConverted:
            let at = event.convertedAt
            update(lead: event.leadId) { lead in
                lead.active(at: at)
                lead.contactIds.formUnion(event.contactIds)
                lead.contactIds.formUnion(event.contacts?.map(\.contactId) ?? [])
                if let counterparty = event.counterpartyId ?? event.counterparty?.counterpartyId {
                    lead.counterpartyId.record(counterparty, at: at)
                }
            }
            // The contact book as it stood at conversion: statements like any other, so a contact
            // whose own events are late is there all the same.
            if let counterparty = event.counterparty {
                counterparties[counterparty.counterpartyId, default: LatestWins()].record(counterparty.name, at: at)
            }
            for contact in event.contacts ?? [] {
                contacts[contact.contactId, default: ContactStatements()].record(contact, at: at)
            }
        case let event as DealOpened:
            var deal = deals[event.dealId, default: AudienceDealFacts()]
            deal.counterpartyName.record(event.counterpartyName, at: event.openedAt)
            if let lead = event.leadId { deal.leadId.record(lead, at: event.openedAt) }
            deals[event.dealId] = deal
        default:
            break
        }
    }

    private mutating func update(lead id: UUID, _ change: (inout AudienceLeadFacts) -> Void) {
        change(&leads[id, default: AudienceLeadFacts()])
    }

    static func emailKey(_ email: String) -> String {
        email.trimmed.lowercased()
    }

    // MARK: - Reading

    /// The contact `id` now lives in: itself, or the survivor its merges lead to.
    func survivor(of id: UUID) -> UUID {
        var current = id
        var seen: Set<UUID> = [id]
        while let next = mergedInto[current]?.value(asOf: nil), seen.insert(next).inserted {
            current = next
        }
        return current
    }

    /// The contacts of `segment` (not merged away), sorted by name, then id. Only the segment's
    /// contacts are worked out: consent and manager are known from the contact's own snapshot.
    public func contacts(segment: AudienceSegment) -> [AudienceContact] {
        // Deal names per counterparty, reached through the deal's lead (a stand-in while the
        // contact book has no name).
        var dealNames: [UUID: LatestWins<String>] = [:]
        for deal in deals.values {
            guard let lead = deal.leadId.value(asOf: nil), let counterparty = leads[lead]?.counterpartyId.value(asOf: nil) else {
                continue
            }
            for (at, name) in deal.counterpartyName.statements {
                dealNames[counterparty, default: LatestWins()].record(name, at: at)
            }
        }

        // The listed contacts as they stand.
        var listed: [UUID: (latest: (at: Date, snapshot: ContactSnapshot), content: ContactContent, revision: Date)] = [:]
        for (id, statements) in contacts where mergedInto[id] == nil {
            guard let latest = statements.latest else { continue }
            let content = ContactContent(latest.snapshot)
            guard segment.admits(content), let revision = statements.revision else { continue }
            listed[id] = (latest, content, revision)
        }

        // Last activity per listed contact: a lead counts for the contacts its conversion named
        // (their survivors), otherwise for those holding its e-mail or phone.
        var byEmail: [String: [UUID]] = [:]
        var byPhone: [String: [UUID]] = [:]
        for (id, contact) in listed {
            for email in Set(contact.content.emails.map(Self.emailKey)) { byEmail[email, default: []].append(id) }
            for phone in contact.content.phones { byPhone[phone, default: []].append(id) }
        }
        var activity: [UUID: Date] = [:]
        for lead in leads.values {
            guard let at = lead.lastActivityAt else { continue }
            var linked = Set(lead.contactIds.map(survivor(of:)))
            if linked.isEmpty {
                for email in lead.emails { linked.formUnion(byEmail[email] ?? []) }
                for phone in lead.phones { linked.formUnion(byPhone[phone] ?? []) }
            }
            for id in linked { activity[id] = max(activity[id] ?? at, at) }
        }

        let made = listed.compactMap { id, contact -> AudienceContact? in
            let content = contact.content
            var company: String?
            var revision = contact.revision
            if let counterpartyId = content.counterpartyId {
                let book = counterparties[counterpartyId]
                company = book?.value(asOf: nil) ?? dealNames[counterpartyId]?.value(asOf: nil)
                // Either source changing the name moves the revision (a late contact-book name
                // replacing a deal's one must not move it back).
                for statements in [book?.statements, dealNames[counterpartyId]?.statements].compactMap({ $0 }) {
                    if let changed = lastChange(statements) { revision = max(revision, changed) }
                }
            }
            let made = AudienceContact(
                id: id, name: content.name, company: company, phones: content.phones, emails: content.emails,
                marketingConsent: content.marketingConsent, managerId: content.managerId, lastActivityAt: activity[id],
                changedAt: contact.latest.at, revision: revision)
            return segment.contains(made) ? made : nil
        }
        // Sorted by keys made once per contact (not twice per comparison).
        return made.map { (name: $0.name, id: $0.id.uuidString, contact: $0) }
            .sorted { ($0.name, $0.id) < ($1.name, $1.id) }
            .map(\.contact)
    }
}
