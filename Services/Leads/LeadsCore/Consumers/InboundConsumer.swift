import Contracts
import Foundation
import Messaging

/// Applies what ingest publishes — inbound calls and inquiries are matched to a contact or a
/// lead — and puts the deals service's task events on people's screens: a task assigned to them,
/// a task overdue (to its assignee and the head of the department).
struct InboundConsumer: InboxHandler {
    let leads: LeadStore
    let clock: @Sendable () -> Date

    static let registry = EventRegistry([
        CallRegistered.self, CallAnswered.self, CallEnded.self, InquiryReceived.self, TaskCreated.self, TaskOverdue.self,
    ])

    /// The batch in order, its events written to the outbox in one go at the end.
    func apply(_ events: [InboxEvent], in transaction: InboxTransaction) async throws {
        var emitted: [OutboxEvent] = []
        for event in events { emitted += try await apply(event, on: transaction) }
        try await transaction.emit(emitted)
    }

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        try await transaction.emit(try await apply(event, on: transaction))
    }

    private func apply(_ event: InboxEvent, on transaction: InboxTransaction) async throws -> [OutboxEvent] {
        let connection = transaction.connection
        let logger = transaction.logger
        let now = clock()
        let correlation = event.envelope.correlationId
        switch event.payload {
        case let task as TaskCreated:
            guard let assignee = task.assigneeId else { return [] }
            try await notify(
                [assignee], kind: "task_assigned", title: "New task: \(task.kind.replacingOccurrences(of: "_", with: " "))",
                body: task.dueAt.map { "due \(Timestamp.format($0))" }, source: "task:\(task.taskId.uuidString.lowercased())", on: transaction)
            return []
        case let overdue as TaskOverdue:
            try await notify(
                [overdue.assigneeId, overdue.headId].compactMap { $0 }, kind: "task_overdue",
                title: "Task overdue: \(overdue.kind.replacingOccurrences(of: "_", with: " "))", body: "was due \(Timestamp.format(overdue.dueAt))",
                source: "task:\(overdue.taskId.uuidString.lowercased())", on: transaction)
            return []
        case let inquiry as InquiryReceived:
            return try await leads.register(Self.inbound(inquiry, correlation: correlation), now: now, on: connection, logger: logger)
        case let call as CallRegistered:
            guard let inbound = Self.inbound(call, correlation: correlation) else { return [] }
            return try await leads.register(inbound, now: now, on: connection, logger: logger)
        case let call as CallAnswered:
            try await leads.amendCall(
                sourceID: "call:\(call.callId.uuidString.lowercased())",
                details: Self.json(["answeredBy": call.answeredBy, "answeredAt": call.answeredAt.map(Timestamp.format)]),
                on: connection, logger: logger)
            return []
        case let call as CallEnded:
            let sourceID = "call:\(call.callId.uuidString.lowercased())"
            // A call known only from the PBX's CDR still lands in history (registered first, then amended).
            var emitted: [OutboxEvent] = []
            if let inbound = Self.inbound(
                CallRegistered(callId: call.callId, linkedId: call.linkedId, direction: call.direction, caller: call.caller,
                               called: call.called, did: call.did, startedAt: call.startedAt), correlation: correlation)
            {
                emitted = try await leads.register(inbound, now: now, on: connection, logger: logger)
            }
            try await leads.amendCall(
                sourceID: sourceID,
                details: Self.json([
                    "answeredBy": call.answeredBy, "answeredAt": call.answeredAt.map(Timestamp.format),
                    "endedAt": call.endedAt.map(Timestamp.format), "talkSeconds": String(call.talkSeconds),
                    "recording": call.recording, "answered": call.answeredAt == nil ? "false" : "true",
                ]),
                on: connection, logger: logger)
            return emitted
        default:
            return []
        }
    }

    static func inbound(_ inquiry: InquiryReceived, correlation: UUID) -> Inbound {
        let kind: Inbound.Kind
        let channel: LeadChannel
        switch inquiry.channel {
        case .chat: (kind, channel) = (.chat, .chat)
        case .webForm: (kind, channel) = (.webForm, .webForm)
        case .mail: (kind, channel) = (.mail, .mail)
        }
        var details: [String: String?] = ["inquiryId": inquiry.inquiryId.uuidString.lowercased(), "pageUrl": inquiry.source.pageURL]
        if !inquiry.attachments.isEmpty {
            // Each with where ingest serves it.
            let inquiryID = inquiry.inquiryId.uuidString.lowercased()
            details["attachments"] = inquiry.attachments.map { file in
                "\(file.name ?? "unnamed") (\(file.contentType), \(file.size) bytes)"
                    + (file.truncated ? "" : " ingest:/v1/inquiries/\(inquiryID)/attachments/\(file.id.uuidString.lowercased())")
            }.joined(separator: "; ")
        }
        let summary = inquiry.subject.flatMap { $0.isEmpty ? nil : $0 } ?? String(inquiry.text.prefix(120))
        return Inbound(
            kind: kind, channel: channel, sourceID: "inquiry:\(inquiry.inquiryId.uuidString.lowercased())",
            occurredAt: inquiry.receivedAt, phone: inquiry.identity.phone?.e164 == nil ? nil : inquiry.identity.phone,
            email: inquiry.identity.email, name: inquiry.identity.name, company: inquiry.identity.company, summary: summary,
            body: inquiry.text, details: json(details), correlationID: correlation, mayCreateLead: true)
    }

    /// Inbound calls from outside are matched (and may open a lead); outbound calls to a known
    /// contact land in the history; internal calls are nobody's history.
    static func inbound(_ call: CallRegistered, correlation: UUID) -> Inbound? {
        let party: PartyNumber?
        switch call.direction {
        case .inbound: party = call.caller
        case .outbound: party = call.called
        case .internal: return nil
        }
        guard let party, party.e164 != nil else { return nil }
        let summary = call.direction == .inbound
            ? "Incoming call from \(party.e164 ?? party.raw)" + (call.did.map { " to \($0)" } ?? "")
            : "Outgoing call to \(party.e164 ?? party.raw)"
        return Inbound(
            kind: .call, channel: .phone, sourceID: "call:\(call.callId.uuidString.lowercased())",
            occurredAt: call.startedAt ?? Date(), phone: party, email: nil, name: nil, company: nil, summary: summary, body: nil,
            details: json([
                "callId": call.callId.uuidString.lowercased(), "direction": call.direction.rawValue, "caller": call.caller?.e164 ?? call.caller?.raw,
                "called": call.called?.e164 ?? call.called?.raw, "did": call.did,
            ]),
            correlationID: correlation, mayCreateLead: call.direction == .inbound)
    }

    static func json(_ fields: [String: String?]) -> String {
        let present = fields.compactMapValues { $0 }
        let data = (try? JSONSerialization.data(withJSONObject: present, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Notifies the people among `recipients` this service knows (staff of another system are skipped).
    private func notify(
        _ recipients: [UUID], kind: String, title: String, body: String?, source: String, on transaction: InboxTransaction
    ) async throws {
        let known = try await transaction.connection.query(
            "SELECT id FROM staff WHERE id = ANY(\(recipients)) ORDER BY id", logger: transaction.logger
        ).collect()
        for row in known {
            try await Notifications.add(
                to: try row.decode(UUID.self), kind: kind, title: title, body: body, leadID: nil, contactID: nil, sourceID: source,
                on: transaction.connection, logger: transaction.logger)
        }
    }
}
