import Contracts
import Foundation

/// One call event as the PBX's CDR connector (MikoPBX) posts it, and one row of its CDR batch.
/// Field names are the PBX's own.
public struct PBXCallEvent: Codable, Sendable, Equatable {
    /// `dial`, `dial_answer`, `dial_end`, `transfer`, `hangup`, … (a CDR row has none).
    public var action: String?
    /// The leg.
    public var uniqueID: String
    /// The call: every leg of one call shares it.
    public var linkedID: String
    public var source: String?
    public var destination: String?
    public var did: String?
    public var start: String?
    public var answer: String?
    public var end: String?
    public var disposition: String?
    public var recordingFile: String?
    public var duration: Int?
    public var billsec: Int?

    enum CodingKeys: String, CodingKey {
        case action, did, start, answer, disposition, duration, billsec
        case uniqueID = "UNIQUEID"
        case linkedID = "linkedid"
        case source = "src_num"
        case destination = "dst_num"
        case end = "endtime"
        case recordingFile = "recordingfile"
    }

    public init(
        action: String?, uniqueID: String, linkedID: String, source: String? = nil, destination: String? = nil,
        did: String? = nil, start: String? = nil, answer: String? = nil, end: String? = nil,
        disposition: String? = nil, recordingFile: String? = nil, duration: Int? = nil, billsec: Int? = nil
    ) {
        self.action = action
        self.uniqueID = uniqueID
        self.linkedID = linkedID
        self.source = source
        self.destination = destination
        self.did = did
        self.start = start
        self.answer = answer
        self.end = end
        self.disposition = disposition
        self.recordingFile = recordingFile
        self.duration = duration
        self.billsec = billsec
    }

    /// What is wrong with the event, if anything (an empty id cannot be assembled into a call).
    public var problems: [String] {
        var problems: [String] = []
        if uniqueID.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("UNIQUEID is empty") }
        if linkedID.trimmingCharacters(in: .whitespaces).isEmpty { problems.append("linkedid is empty") }
        for (name, value) in [("start", start), ("answer", answer), ("endtime", end)] {
            if let value, !value.isEmpty, PBXTime.parse(value) == nil { problems.append("\(name) is not a time: \(value)") }
        }
        return problems
    }
}

/// PBX times: `2025-11-25 10:00:00(.mmm)` in UTC (the PBX is set to UTC), or ISO 8601 with a zone.
enum PBXTime {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        if let date = Timestamp.parse(trimmed) { return date }
        let iso = trimmed.replacingOccurrences(of: " ", with: "T")
        return Timestamp.parse(iso + "Z")
    }
}

/// A call assembled from all its legs' events. Merging is commutative and idempotent (earliest
/// start and answer, latest end, first non-empty value otherwise), so events that arrive twice or
/// out of order give the same record.
public struct Call: Sendable, Equatable, Codable {
    public struct Leg: Sendable, Equatable, Codable {
        public var source: String?
        public var destination: String?
        public var did: String?
        public var start: Date?
        public var answer: Date?
        public var end: Date?
        public var disposition: String?
        public var recordingFile: String?
    }

    /// Milestones a call reaches once each; each becomes one event.
    public enum Milestone: String, Sendable, Hashable, Codable {
        case registered, answered, ended
    }

    public var linkedID: String
    public var legs: [String: Leg] = [:]
    /// A `hangup` event, or a finished CDR row, was seen.
    public var hungUp = false
    /// Milestones already announced, so that none is announced twice.
    public var reported: Set<Milestone> = []

    public init(linkedID: String) { self.linkedID = linkedID }

    /// Merges an event; returns the milestones reached by it (none for a repeat).
    public mutating func apply(_ event: PBXCallEvent) -> [Milestone] {
        var leg = legs[event.uniqueID] ?? Leg()
        leg.source = Self.first(leg.source, event.source)
        leg.destination = Self.first(leg.destination, event.destination)
        leg.did = Self.first(leg.did, event.did)
        leg.start = Self.earliest(leg.start, event.start.flatMap(PBXTime.parse))
        leg.answer = Self.earliest(leg.answer, event.answer.flatMap(PBXTime.parse))
        leg.end = Self.latest(leg.end, event.end.flatMap(PBXTime.parse))
        leg.disposition = Self.first(leg.disposition, event.disposition)
        leg.recordingFile = Self.first(leg.recordingFile, event.recordingFile)
        legs[event.uniqueID] = leg
        // A CDR row describes a finished leg; `hangup` ends the whole call.
        if event.action == "hangup" || (event.action == nil && event.end.flatMap(PBXTime.parse) != nil) { hungUp = true }
        // A call is announced once its caller is known (legs may arrive in any order, the hangup
        // first); answered and ended follow it, each once.
        var reached: [Milestone] = []
        if !reported.contains(.registered) && caller != nil { reached.append(.registered) }
        let registered = reported.contains(.registered) || !reached.isEmpty
        if registered && !reported.contains(.answered) && answeredAt != nil { reached.append(.answered) }
        if registered && !reported.contains(.ended) && isEnded { reached.append(.ended) }
        reported.formUnion(reached)
        return reached
    }

    private var legsByStart: [Leg] {
        legs.sorted { ($0.value.start ?? .distantFuture, $0.key) < ($1.value.start ?? .distantFuture, $1.key) }.map(\.value)
    }

    public var startedAt: Date? { legs.values.compactMap(\.start).min() }
    public var answeredAt: Date? { legs.values.compactMap(\.answer).min() }
    public var endedAt: Date? { legs.values.compactMap(\.end).max() }
    public var did: String? { legsByStart.compactMap(\.did).first { !$0.isEmpty } }
    public var caller: String? { legsByStart.compactMap(\.source).first { !$0.isEmpty } }
    /// The number dialled: the company number (DID) for inbound calls, else the first leg's destination.
    public var called: String? { did ?? legsByStart.compactMap(\.destination).first { !$0.isEmpty } }
    /// Who picked up: the destination of the leg answered first.
    public var answeredBy: String? {
        legs.values.filter { $0.answer != nil }.min { $0.answer! < $1.answer! }?.destination
    }
    public var recording: String? { legsByStart.compactMap(\.recordingFile).first { !$0.isEmpty } }
    public var talkSeconds: Int {
        guard let answeredAt, let endedAt, endedAt > answeredAt else { return 0 }
        return Int(endedAt.timeIntervalSince(answeredAt).rounded())
    }
    /// Only the PBX's `hangup` (or a finished CDR row) ends a call: a leg's `dial_end` may be
    /// followed by another leg (transfer, queue).
    public var isEnded: Bool { hungUp }

    public var direction: CallDirection {
        let fromInside = caller.map(Self.isExtension) ?? false
        let toInside = legsByStart.compactMap(\.destination).first.map(Self.isExtension) ?? false
        if did != nil && !fromInside { return .inbound }
        switch (fromInside, toInside) {
        case (true, true): return .internal
        case (true, false): return .outbound
        default: return .inbound
        }
    }

    /// PBX extensions are short internal numbers.
    static func isExtension(_ number: String) -> Bool {
        let digits = number.filter(\.isNumber)
        return (2...5).contains(digits.count) && digits.count == number.count
    }

    private static func first(_ current: String?, _ new: String?) -> String? {
        if let current, !current.isEmpty { return current }
        guard let new, !new.isEmpty else { return current }
        return new
    }

    private static func earliest(_ a: Date?, _ b: Date?) -> Date? {
        switch (a, b) {
        case let (a?, b?): min(a, b)
        default: a ?? b
        }
    }

    private static func latest(_ a: Date?, _ b: Date?) -> Date? {
        switch (a, b) {
        case let (a?, b?): max(a, b)
        default: a ?? b
        }
    }

    /// The event payload of a milestone; `number` turns a PBX number into a `PartyNumber`.
    public func payload(for milestone: Milestone, callId: UUID, number: (String) -> PartyNumber) -> any EventPayload {
        switch milestone {
        case .registered:
            CallRegistered(
                callId: callId, linkedId: linkedID, direction: direction, caller: caller.map(number),
                called: called.map(number), did: did, startedAt: startedAt)
        case .answered:
            CallAnswered(callId: callId, linkedId: linkedID, answeredBy: answeredBy, answeredAt: answeredAt)
        case .ended:
            CallEnded(
                callId: callId, linkedId: linkedID, direction: direction, caller: caller.map(number),
                called: called.map(number), did: did, answeredBy: answeredBy, startedAt: startedAt,
                answeredAt: answeredAt, endedAt: endedAt, talkSeconds: talkSeconds, recording: recording)
        }
    }
}
