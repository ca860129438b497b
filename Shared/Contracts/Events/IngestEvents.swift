import Foundation

// Events of the ingest service: `dms.ingest.calls.v1` (key: the call id) and
// `dms.ingest.inquiries.v1`. Additive changes only; a breaking change is a new version.

/// A telephone number as received, with its E.164 form when it is one (nil for an internal
/// extension or something unreadable).
public struct PartyNumber: Codable, Sendable, Hashable {
    public var raw: String
    public var e164: String?
    public init(raw: String, e164: String?) {
        self.raw = raw
        self.e164 = e164
    }
}

/// Which way a call went, seen from the company.
public enum CallDirection: String, Codable, Sendable {
    case inbound, outbound, `internal`
}

/// The PBX saw a new call (all legs of one call share the PBX's `linkedid`).
public struct CallRegistered: EventPayload, Equatable {
    public static let eventType = "CallRegistered"
    public static let eventVersion = 1
    public var callId: UUID
    public var linkedId: String
    public var direction: CallDirection
    public var caller: PartyNumber?
    public var called: PartyNumber?
    /// The company number dialled (inbound calls).
    public var did: String?
    public var startedAt: Date?

    public init(callId: UUID, linkedId: String, direction: CallDirection, caller: PartyNumber?, called: PartyNumber?, did: String?, startedAt: Date?) {
        self.callId = callId
        self.linkedId = linkedId
        self.direction = direction
        self.caller = caller
        self.called = called
        self.did = did
        self.startedAt = startedAt
    }
}

/// Someone picked the call up.
public struct CallAnswered: EventPayload, Equatable {
    public static let eventType = "CallAnswered"
    public static let eventVersion = 1
    public var callId: UUID
    public var linkedId: String
    /// The extension (or number) that answered.
    public var answeredBy: String?
    public var answeredAt: Date?

    public init(callId: UUID, linkedId: String, answeredBy: String?, answeredAt: Date?) {
        self.callId = callId
        self.linkedId = linkedId
        self.answeredBy = answeredBy
        self.answeredAt = answeredAt
    }
}

/// The call is over: the whole record as the PBX left it.
public struct CallEnded: EventPayload, Equatable {
    public static let eventType = "CallEnded"
    public static let eventVersion = 1
    public var callId: UUID
    public var linkedId: String
    public var direction: CallDirection
    public var caller: PartyNumber?
    public var called: PartyNumber?
    public var did: String?
    public var answeredBy: String?
    public var startedAt: Date?
    public var answeredAt: Date?
    public var endedAt: Date?
    /// Seconds between answer and end; 0 for a missed call.
    public var talkSeconds: Int
    /// The PBX's recording file, when the call was recorded.
    public var recording: String?

    public init(
        callId: UUID, linkedId: String, direction: CallDirection, caller: PartyNumber?, called: PartyNumber?, did: String?,
        answeredBy: String?, startedAt: Date?, answeredAt: Date?, endedAt: Date?, talkSeconds: Int, recording: String?
    ) {
        self.callId = callId
        self.linkedId = linkedId
        self.direction = direction
        self.caller = caller
        self.called = called
        self.did = did
        self.answeredBy = answeredBy
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.talkSeconds = talkSeconds
        self.recording = recording
    }
}

/// How an inquiry reached the company.
public enum InquiryChannel: String, Codable, Sendable, CaseIterable {
    /// A website chat (transcript mailed at the end, offline message, or the provider's webhook).
    case chat
    /// A website feedback form (posted directly or mailed from a no-reply address).
    case webForm = "web_form"
    /// Ordinary hand-written e-mail.
    case mail
}

/// Who wrote: whatever the channel revealed. Any part may be missing.
public struct InquiryIdentity: Codable, Sendable, Hashable {
    public var name: String?
    /// Lower-cased.
    public var email: String?
    public var phone: PartyNumber?
    public var company: String?

    public init(name: String? = nil, email: String? = nil, phone: PartyNumber? = nil, company: String? = nil) {
        self.name = name
        self.email = email?.lowercased()
        self.phone = phone
        self.company = company
    }

    /// True when nothing identifies the sender (no e-mail and no E.164 phone).
    public var isAnonymous: Bool { email == nil && phone?.e164 == nil }
}

/// An attachment as the inquiry's readers see it; the bytes stay in ingest
/// (`GET /v1/inquiries/{id}/attachments/{attachmentId}`).
public struct InquiryAttachment: Codable, Sendable, Hashable {
    public var id: UUID
    public var name: String?
    public var contentType: String
    public var size: Int
    /// True when the file was larger than ingest keeps; only its metadata is stored.
    public var truncated: Bool

    public init(id: UUID, name: String?, contentType: String, size: Int, truncated: Bool) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.size = size
        self.truncated = truncated
    }
}

/// Where the inquiry came from, in the connector's own terms.
public struct InquirySource: Codable, Sendable, Hashable {
    /// `mail`, `forms` or `chat`.
    public var connector: String
    /// The connector's id (Message-ID, chat id, offline message id, form submission digest).
    public var sourceId: String
    /// The page a form or chat was sent from.
    public var pageURL: String?
    /// Marketing tags (`utm_source`, `utm_campaign`, …).
    public var utm: [String: String]

    public init(connector: String, sourceId: String, pageURL: String? = nil, utm: [String: String] = [:]) {
        self.connector = connector
        self.sourceId = sourceId
        self.pageURL = pageURL
        self.utm = utm
    }
}

/// A mail, chat or form reached the company (key: the sender's E.164 phone or e-mail, so
/// inquiries of one person stay in order).
public struct InquiryReceived: EventPayload, Equatable {
    public static let eventType = "InquiryReceived"
    public static let eventVersion = 1
    public var inquiryId: UUID
    public var channel: InquiryChannel
    public var identity: InquiryIdentity
    public var subject: String?
    public var text: String
    /// Present (true) when `text` is only the beginning: an event carries at most
    /// `InquiryReceived.maxTextBytes` of it, so that what a sender writes can never make the event
    /// larger than the broker takes. The whole text is at ingest's `GET /v1/inquiries/{id}/text`.
    public var textTruncated: Bool?
    public var attachments: [InquiryAttachment]
    public var source: InquirySource
    public var receivedAt: Date

    /// The most of an inquiry's text an event carries (UTF-8 bytes).
    public static let maxTextBytes = 64 * 1024

    public init(
        inquiryId: UUID, channel: InquiryChannel, identity: InquiryIdentity, subject: String?, text: String,
        textTruncated: Bool? = nil, attachments: [InquiryAttachment], source: InquirySource, receivedAt: Date
    ) {
        self.inquiryId = inquiryId
        self.channel = channel
        self.identity = identity
        self.subject = subject
        self.text = text
        self.textTruncated = textTruncated
        self.attachments = attachments
        self.source = source
        self.receivedAt = receivedAt
    }
}
