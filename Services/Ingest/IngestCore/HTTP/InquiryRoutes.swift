import Contracts
import Foundation
import Hummingbird
import NIOCore
import ServiceKit

/// Largest accepted mail (attachments included) and form or chat request.
let maxMailBody = 25 << 20
let maxFormBody = 256 << 10
/// Attachments larger than this keep only their metadata.
let maxStoredAttachment = 10 << 20

/// Mail, web-form and chat connectors. Mail and forms are signed (`DMS-Signature`); the chat
/// provider cannot sign, so its URL carries a secret token.
func addInquiryRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    let environment = platform.configuration.environment
    let store = InquiryStore(client: platform.postgres)
    let number = partyNumber(region: environment["DMS_DEFAULT_REGION"])

    api.group("mail")
        .add(middleware: SignedWebhookMiddleware(secret: environment["DMS_INGEST_SECRET_MAIL"] ?? "", maxBodyBytes: maxMailBody))
        .post("messages") { request, context -> Response in
            guard request.headers[.contentType].map({ $0.lowercased().hasPrefix("message/rfc822") }) ?? false else {
                throw IngestError.unsupportedMediaType("post the raw mail as message/rfc822")
            }
            let raw = Array(try await request.body.collect(upTo: maxMailBody).readableBytesView)
            switch MailIntake.read(raw, number: number) {
            case .success(let delivery):
                return try accepted(try await store.receive(delivery, logger: context.logger))
            case .failure(let failure):
                let receipt = try await store.quarantine(
                    connector: "mail", sourceID: MailIntake.quarantineID(raw), reason: failure.description, raw: raw,
                    logger: context.logger)
                return try accepted(receipt)
            }
        }

    api.group("forms")
        .add(middleware: SignedWebhookMiddleware(secret: environment["DMS_INGEST_SECRET_FORMS"] ?? "", maxBodyBytes: maxFormBody))
        .post("submissions") { request, context -> Response in
            let raw = Array(try await request.body.collect(upTo: maxFormBody).readableBytesView)
            let form: FormSubmission
            do {
                form = try JSONDecoder().decode(FormSubmission.self, from: Data(raw))
            } catch {
                throw IngestError.invalidBody("a form submission is a JSON object (name, email, phone, company, message, pageUrl, utm): \(error)")
            }
            let draft: InquiryDraft
            do throws(InquiryInputError) {
                draft = try InquiryExtraction.fromForm(form, number: number)
            } catch {
                throw IngestError.unprocessable(error.description)
            }
            // Identical signed bytes are one submission. An `Idempotency-Key` header is not signed,
            // so it decides nothing: trusting it let a captured submission be replayed as a new
            // inquiry within the signature's window by changing the header.
            let key = "sha256:\(InquiryStore.digest(raw))"
            let delivery = InquiryStore.Delivery(draft: draft, connector: "forms", sourceID: key, raw: raw)
            return try accepted(try await store.receive(delivery, logger: context.logger))
        }

    let chatToken = environment["DMS_INGEST_CHAT_TOKEN"] ?? ""
    api.post("chat/webhook/:token") { request, context -> Response in
        let token = context.parameters.get("token") ?? ""
        guard !chatToken.isEmpty, constantTimeEquals(Array(token.utf8), Array(chatToken.utf8)) else {
            throw IngestError.unauthorized("the chat webhook token is not valid")
        }
        let raw = Array(try await request.body.collect(upTo: maxFormBody).readableBytesView)
        let webhook: ChatWebhook
        do {
            webhook = try JSONDecoder().decode(ChatWebhook.self, from: Data(raw))
        } catch {
            throw IngestError.invalidBody("the chat webhook body is not the provider's JSON: \(error)")
        }
        guard let draft = InquiryExtraction.fromChat(webhook, number: number) else {
            // Events that are not an inquiry (chat accepted, visitor updated) are acknowledged and not stored.
            return try json(["ignored": true], status: .ok)
        }
        guard let sourceID = InquiryExtraction.sourceID(of: webhook) else {
            throw IngestError.unprocessable("the chat event has neither chat_id nor offline_message_id")
        }
        let delivery = InquiryStore.Delivery(draft: draft, connector: "chat", sourceID: sourceID, raw: raw)
        return try accepted(try await store.receive(delivery, logger: context.logger))
    }

    // The whole text of an inquiry (an event carries at most its first 64 KiB: `textTruncated`).
    api.get("inquiries/:id/text") { _, context -> Response in
        guard let inquiry = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let text = try await store.text(of: inquiry, logger: context.logger)
        else { throw IngestError.notFound("no such inquiry") }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // The file as it was attached (what history entries in leads link to).
    api.get("inquiries/:id/attachments/:attachment") { _, context -> Response in
        guard let inquiry = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let attachment = context.parameters.get("attachment").flatMap(UUID.init(uuidString:)),
            let file = try await store.attachment(attachment, of: inquiry, logger: context.logger)
        else { throw IngestError.notFound("no such attachment") }
        guard let content = file.content else {
            throw IngestError.notFound("the attachment was larger than ingest keeps (\(file.size) bytes); only its name and size are stored")
        }
        var headers: HTTPFields = [.contentType: safeDownloadType(file.contentType)]
        let name = (file.name ?? "attachment").replacingOccurrences(of: "\"", with: "")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "attachment"
        headers[.contentDisposition] = "attachment; filename*=UTF-8''\(encoded)"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: content))
    }

    api.get("quarantine") { request, context -> Response in
        let state = request.uri.queryParameters["state"].map(String.init)
        guard state == nil || state == "held" || state == "released" else {
            throw IngestError.invalidQuery("state is held or released")
        }
        let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100, 1), 1000)
        let entries = try await store.quarantined(state: state, limit: limit, logger: context.logger)
        return try json(["items": entries], status: .ok)
    }

    api.post("quarantine/:id/retry") { request, context -> Response in
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw IngestError.notFound("no quarantine entry with that id")
        }
        let body = Array(try await request.body.collect(upTo: maxMailBody).readableBytesView)
        let outcome = try await store.retry(id, replacement: body.isEmpty ? nil : body, logger: context.logger) { raw in
            MailIntake.read(raw, number: number)
        }
        switch outcome {
        case .released(let entry): return try json(entry, status: .ok)
        case .stillUnreadable(let entry): throw IngestError.stillUnreadable(entry.reason)
        case .notFound: throw IngestError.notFound("no quarantine entry with that id")
        }
    }
}

/// Turns the bytes of a posted mail into an inquiry delivery.
enum MailIntake {
    static func read(_ raw: [UInt8], number: (String) -> PartyNumber) -> Result<InquiryStore.Delivery, MailReadFailure> {
        let mail: MailMessage
        do {
            mail = try MailParser.parse(raw, maxAttachmentBytes: maxStoredAttachment)
        } catch {
            return .failure(MailReadFailure(description: error.description))
        }
        let draft = InquiryExtraction.fromMail(mail, number: number)
        let sourceID = mail.messageID.map { "mid:\($0)" } ?? "sha256:\(InquiryStore.digest(raw))"
        return .success(InquiryStore.Delivery(draft: draft, connector: "mail", sourceID: sourceID, raw: raw, attachments: mail.attachments))
    }

    /// The id under which unreadable bytes are quarantined (apart from the ids of readable mail,
    /// so that a retried mail without Message-ID is not mistaken for a repeat of itself).
    static func quarantineID(_ raw: [UInt8]) -> String { "unreadable:sha256:\(InquiryStore.digest(raw))" }
}

/// The content type an attachment is served with: the sender's when it is an inert format a browser
/// shows without running anything (images other than SVG, PDF, plain text, office documents),
/// otherwise `application/octet-stream`. A sender's `text/html` or `image/svg+xml` could carry
/// script; served as our origin's content it would run in a staff member's session.
func safeDownloadType(_ declared: String) -> String {
    let type = declared.lowercased().split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    let inert: Set<String> = [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff", "application/pdf",
        "application/zip", "application/msword", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "audio/mpeg", "audio/wav", "video/mp4",
    ]
    if inert.contains(type) { return type }
    if type == "text/plain" || type == "text/csv" { return type + "; charset=utf-8" }
    return "application/octet-stream"
}
