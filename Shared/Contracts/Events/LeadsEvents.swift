import Foundation

// Events of the leads service on `dms.leads.events.v1`. Lead events are keyed by the lead id,
// contact-book events by the counterparty or contact id. Additive changes only.

/// The channel a lead first came through.
public enum LeadChannel: String, Codable, Sendable, CaseIterable {
    case phone, chat, webForm = "web_form", mail, manual
}

/// A phone of a contact: E.164 next to what was typed.
public struct ContactPhone: Codable, Sendable, Hashable {
    public var e164: String
    public var raw: String
    public init(e164: String, raw: String) {
        self.e164 = e164
        self.raw = raw
    }
}

/// An unknown caller or writer became a lead (state `new`).
public struct LeadCreated: EventPayload, Equatable {
    public static let eventType = "LeadCreated"
    public static let eventVersion = 1
    public var leadId: UUID
    public var channel: LeadChannel
    public var name: String?
    public var email: String?
    public var phone: String?
    public var company: String?
    /// What created it: `inquiry:<id>` or `call:<id>`.
    public var source: String
    public var createdAt: Date
    /// When the head of sales must have triaged it.
    public var triageDueAt: Date?

    public init(leadId: UUID, channel: LeadChannel, name: String?, email: String?, phone: String?, company: String?,
                source: String, createdAt: Date, triageDueAt: Date?) {
        self.leadId = leadId
        self.channel = channel
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
        self.source = source
        self.createdAt = createdAt
        self.triageDueAt = triageDueAt
    }
}

/// A lead changed state (assigned, in progress, qualified, disqualified).
public struct LeadStateChanged: EventPayload, Equatable {
    public static let eventType = "LeadStateChanged"
    public static let eventVersion = 1
    public var leadId: UUID
    public var from: String
    public var to: String
    public var departmentCode: String?
    public var managerId: UUID?
    /// Set when disqualified: `not_suitable`, `no_budget`, `duplicate`, `spam`, `other`.
    public var reason: String?
    public var comment: String?
    public var changedBy: UUID?
    public var changedAt: Date

    public init(leadId: UUID, from: String, to: String, departmentCode: String?, managerId: UUID?, reason: String? = nil,
                comment: String? = nil, changedBy: UUID?, changedAt: Date) {
        self.leadId = leadId
        self.from = from
        self.to = to
        self.departmentCode = departmentCode
        self.managerId = managerId
        self.reason = reason
        self.comment = comment
        self.changedBy = changedBy
        self.changedAt = changedAt
    }
}

/// A qualified lead became a deal's starting point. Emitted once per lead.
public struct LeadConverted: EventPayload, Equatable {
    public static let eventType = "LeadConverted"
    public static let eventVersion = 1
    public var leadId: UUID
    public var counterpartyId: UUID?
    public var contactIds: [UUID]
    public var managerId: UUID
    public var departmentCode: String
    public var needs: String
    public var channel: LeadChannel
    /// Carried from the first inquiry or call, so the deal can be traced back to it.
    public var correlationId: UUID
    public var convertedAt: Date
    /// The counterparty and contacts as they stood at conversion, so the deal is opened with them
    /// even when their own events (keyed by their ids, on other partitions) have not arrived yet.
    public var counterparty: CounterpartySnapshot?
    public var contacts: [ContactSnapshot]?

    public init(leadId: UUID, counterpartyId: UUID?, contactIds: [UUID], managerId: UUID, departmentCode: String,
                needs: String, channel: LeadChannel, correlationId: UUID, convertedAt: Date,
                counterparty: CounterpartySnapshot? = nil, contacts: [ContactSnapshot]? = nil) {
        self.counterparty = counterparty
        self.contacts = contacts
        self.leadId = leadId
        self.counterpartyId = counterpartyId
        self.contactIds = contactIds
        self.managerId = managerId
        self.departmentCode = departmentCode
        self.needs = needs
        self.channel = channel
        self.correlationId = correlationId
        self.convertedAt = convertedAt
    }
}

/// A lead was not triaged by its triage slot.
public struct LeadTriageOverdue: EventPayload, Equatable {
    public static let eventType = "LeadTriageOverdue"
    public static let eventVersion = 1
    public var leadId: UUID
    public var dueAt: Date
    public init(leadId: UUID, dueAt: Date) {
        self.leadId = leadId
        self.dueAt = dueAt
    }
}

/// An assigned lead was not contacted within the response time.
public struct LeadResponseOverdue: EventPayload, Equatable {
    public static let eventType = "LeadResponseOverdue"
    public static let eventVersion = 1
    public var leadId: UUID
    public var managerId: UUID?
    public var dueAt: Date
    public init(leadId: UUID, managerId: UUID?, dueAt: Date) {
        self.leadId = leadId
        self.managerId = managerId
        self.dueAt = dueAt
    }
}

/// A counterparty as it stands.
public struct CounterpartySnapshot: Codable, Sendable, Equatable {
    public var counterpartyId: UUID
    public var name: String
    public var taxId: String?
    public var kind: String
    public init(counterpartyId: UUID, name: String, taxId: String?, kind: String) {
        self.counterpartyId = counterpartyId
        self.name = name
        self.taxId = taxId
        self.kind = kind
    }
}

/// A counterparty (legal entity) entered the contact book.
public struct CounterpartyRegistered: EventPayload, Equatable {
    public static let eventType = "CounterpartyRegistered"
    public static let eventVersion = 1
    public var counterpartyId: UUID
    public var name: String
    public var taxId: String?
    /// `prospect`, `customer`, `partner` or `supplier`.
    public var kind: String
    public init(counterpartyId: UUID, name: String, taxId: String?, kind: String) {
        self.counterpartyId = counterpartyId
        self.name = name
        self.taxId = taxId
        self.kind = kind
    }
}

/// A counterparty's name, tax id or kind changed: the counterparty as it now stands.
public struct CounterpartyUpdated: EventPayload, Equatable {
    public static let eventType = "CounterpartyUpdated"
    public static let eventVersion = 1
    public var counterpartyId: UUID
    public var name: String
    public var taxId: String?
    public var kind: String
    public init(counterpartyId: UUID, name: String, taxId: String?, kind: String) {
        self.counterpartyId = counterpartyId
        self.name = name
        self.taxId = taxId
        self.kind = kind
    }
}

/// A contact as it now stands (registered or updated): everything marketing exports need.
public struct ContactSnapshot: Codable, Sendable, Equatable {
    public var contactId: UUID
    public var name: String
    public var counterpartyId: UUID?
    public var managerId: UUID?
    public var phones: [ContactPhone]
    public var emails: [String]
    public var marketingConsent: Bool
    public init(contactId: UUID, name: String, counterpartyId: UUID?, managerId: UUID?, phones: [ContactPhone],
                emails: [String], marketingConsent: Bool) {
        self.contactId = contactId
        self.name = name
        self.counterpartyId = counterpartyId
        self.managerId = managerId
        self.phones = phones
        self.emails = emails
        self.marketingConsent = marketingConsent
    }
}

public struct ContactRegistered: EventPayload, Equatable {
    public static let eventType = "ContactRegistered"
    public static let eventVersion = 1
    public var contact: ContactSnapshot
    public init(contact: ContactSnapshot) { self.contact = contact }
}

public struct ContactUpdated: EventPayload, Equatable {
    public static let eventType = "ContactUpdated"
    public static let eventVersion = 1
    public var contact: ContactSnapshot
    public init(contact: ContactSnapshot) { self.contact = contact }
}

/// `mergedId` was merged into `survivorId`; its phones, e-mails and history now belong to the survivor.
public struct ContactsMerged: EventPayload, Equatable {
    public static let eventType = "ContactsMerged"
    public static let eventVersion = 1
    public var survivorId: UUID
    public var mergedId: UUID
    public var survivor: ContactSnapshot
    public init(survivorId: UUID, mergedId: UUID, survivor: ContactSnapshot) {
        self.survivorId = survivorId
        self.mergedId = mergedId
        self.survivor = survivor
    }
}
