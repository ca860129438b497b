import Contracts
import Foundation

// Turns a parsed mail, a website form submission or a chat provider's webhook into an inquiry
// draft: who wrote (identity), what they wrote (text) and where from (page, UTM tags). Pure: phone
// normalisation is passed in as `number`, so the caller's default region applies.
//
// SPEC OF RECORD. Tests/IngestCoreTests/InquiryExtractionTests.swift has cases for every rule;
// change both together.
//
// 1. Mail is classified in this order, the first match wins:
//    a. Chat transcript: what the website chat (JivoSite) mails when a chat ends or a visitor leaves
//       an offline message. The `From` domain has a label `jivo`, `jivosite` or `jivochat`
//       (`noreply@jivosite.com`, `…@jivo.ru`, `…@jivochat.com.br`), or the subject carries a chat
//       marker (`chatMarkers`: "Чат с посетителем", "Offline message from", "Новое оффлайн
//       сообщение", "Chat transcript", …; the generic "Conversa com …" / "Conversación con …" only
//       at the start, `chatSubjectPrefixes`), or the first 4096 characters of the body
//       carry one of the narrower `chatBodyMarkers` ("Диалог с посетителем", "jivosite", …).
//       Channel `.chat`.
//    b. Web form: the `From` mailbox is automated (rule 2), or the subject carries a form marker
//       (`formMarkers`: "Заявка с сайта", "Новая заявка", "Form submission", "Formulario",
//       "Formulário", "Обратная связь", …). Channel `.webForm`.
//    c. Free mail: everything else. Channel `.mail`.
// 2. An automated mailbox is one whose local part, ignoring case, `.`, `-` and `_` and anything
//    after a `+`, starts with `noreply`/`donotreply`/`naoresponda`/`noresponder` or is one of
//    `automatedMailboxes` (mailer-daemon, wordpress, website, forms, …). An automated address is
//    never anyone's identity, whichever field it is in.
// 3. Identity.
//    a. Chat transcript and web form: labelled fields of the body (rule 4): name, e-mail, phone,
//       company. What they lack is filled from the first usable `Reply-To` mailbox (e-mail, and the
//       name when that mailbox is the one used). A web form then falls back to `From` unless it is
//       automated or one of the mail's own `To`/`Cc` recipients (a form mailing the office from
//       the office's own mailbox), so a letter classified as a form by its subject still names its
//       writer. A transcript's `From` is the provider's or the company's system mailbox: never.
//    b. Free mail: the first usable `From` mailbox (else `Reply-To`) with its display name; phone
//       and company from labelled lines of the body above the quoted reply (a signature), so
//       a quoted signature of our own sales staff is not taken for the customer's.
//    c. A display name that is itself an e-mail address is dropped. An e-mail value must be a
//       plausible addr-spec (`isPlausibleEmail`); otherwise it is ignored (mail, chat) or refused
//       (forms: `InquiryInputError.invalidEmail`).
//    d. A phone value is passed to `number` as written; when that gives no E.164 form, the first
//       run of phone characters with at least 7 digits is tried (`8 912 345-67-89 (моб.)`).
// 4. Labelled fields: one per line, `Label: value`, `Label — value`, `Label – value`,
//    `Label - value`, `Label<TAB>value`, with `*`, `_`, bullets and blanks around the label
//    ignored (`*Имя:* Иван`, `- Phone: …`). Labels are compared ignoring case and `ё`/`е`, in
//    Russian, English, Spanish and Portuguese (`LabelledFields.labels`). Values are trimmed; empty values
//    and placeholders (`-`, `—`, "не указан", "n/a", "não informado", …) are skipped; the first
//    usable value of a field wins. An HTML table (`<td>Имя</td><td>Иван</td>`) is read as
//    `Имя: Иван` when the text part lacks a field. Only the first 64 Ki characters of a body (256 Ki
//    of its HTML) are read: the fields are at the top. For chat and form mails `utm_*` labels and a
//    page label (`Страница`, `Page`, `Página`, `URL`) whose value is an http(s) URL also count.
// 5. Text: the mail's `textBody`; a form's `message`; a chat webhook's messages one per line as
//    `<speaker>: <message>` (the visitor's name or "Visitor", the agent's name or "Agent",
//    "System" for provider notices), else its `plain_messages`; an offline message's `message`.
// 6. Subject: the mail's subject (nil when blank); a form: "Web form: <page title or URL>", nil
//    when it has neither; a finished chat: "Chat <chat_id>"; an offline message: nil.
// 7. Chat webhooks: only `chat_finished` and `offline_message` are inquiries; other events (chat
//    accepted, updated, client updated, calls) give nil. The dedupe id is `offline:<id>` for an
//    offline message (else `chat:<id>`) and `chat:<chat_id>` for any other event (else
//    `offline:<id>`); ids may arrive as JSON numbers or strings.
// 8. UTM tags are keyed `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content`
//    (and any other `utm_*` a form sends); empty values are dropped.

/// What an inquiry says, before ingest gives it an id and stores it.
struct InquiryDraft: Sendable, Equatable {
    var channel: InquiryChannel
    var identity: InquiryIdentity
    var subject: String?
    /// The readable text: mail body, form message, or chat transcript as `Name: line` lines.
    var text: String
    var pageURL: String?
    /// `utm_source`, `utm_medium`, … as the page received them.
    var utm: [String: String]
}

extension InquiryDraft {
    /// The draft as it can be stored and published: every NUL (which PostgreSQL's text cannot hold)
    /// replaced by U+FFFD. What a customer wrote is never refused for it; the connector's original
    /// bytes are kept unchanged beside the inquiry (`received_messages`, the quarantine, attachments).
    var storable: InquiryDraft {
        var draft = self
        draft.subject = draft.subject.map(\.storableText)
        draft.text = draft.text.storableText
        draft.pageURL = draft.pageURL.map(\.storableText)
        draft.utm = Dictionary(draft.utm.map { ($0.key.storableText, $0.value.storableText) }) { first, _ in first }
        draft.identity.name = draft.identity.name.map(\.storableText)
        draft.identity.email = draft.identity.email.map(\.storableText)
        draft.identity.company = draft.identity.company.map(\.storableText)
        draft.identity.phone = draft.identity.phone.map { PartyNumber(raw: $0.raw.storableText, e164: $0.e164) }
        return draft
    }
}

extension String {
    /// The text with NUL replaced by U+FFFD (the replacement character).
    var storableText: String {
        unicodeScalars.contains("\u{0}") ? replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : self
    }
}

/// The website form posting directly to `POST /v1/forms/submissions`. Every field is optional
/// here; `InquiryExtraction.fromForm` decides whether the submission identifies anyone.
struct FormSubmission: Decodable, Sendable, Equatable {
    var name: String?
    var email: String?
    var phone: String?
    var company: String?
    var message: String?
    /// `pageUrl` (also `page_url`, `pageURL`).
    var pageURL: String?
    /// `pageTitle` (also `page_title`).
    var pageTitle: String?
    /// From a nested `utm` object (`source`, `medium`, … or `utm_source`, …) and flat `utm_*` keys,
    /// keyed `utm_source`, …; the nested object wins on conflict.
    var utm: [String: String]

    init(
        name: String? = nil, email: String? = nil, phone: String? = nil, company: String? = nil,
        message: String? = nil, pageURL: String? = nil, pageTitle: String? = nil, utm: [String: String] = [:]
    ) {
        self.name = name
        self.email = email
        self.phone = phone
        self.company = company
        self.message = message
        self.pageURL = pageURL
        self.pageTitle = pageTitle
        self.utm = utm
    }

    /// Lenient on purpose: site builders send numbers for phones and either naming style, and a
    /// field of an unexpected type is treated as absent rather than failing the whole submission.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        name = container.lenientString("name")
        email = container.lenientString("email", "e_mail", "e-mail")
        phone = container.lenientString("phone", "tel", "telephone")
        company = container.lenientString("company", "organization")
        message = container.lenientString("message", "comment", "text")
        pageURL = container.lenientString("pageUrl", "page_url", "pageURL")
        pageTitle = container.lenientString("pageTitle", "page_title")
        var utm: [String: String] = [:]
        for key in container.allKeys where key.stringValue.lowercased().hasPrefix("utm_") {
            if let value = container.lenientString(key.stringValue) { utm[key.stringValue.lowercased()] = value }
        }
        if let nested = container.lenientObject(UTMTags.self, "utm") { utm.merge(nested.tags) { _, nested in nested } }
        self.utm = utm.filter { !$0.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }
}

/// A JivoSite webhook (https://www.jivo.ru/docs/webhooks/), only the fields an inquiry needs.
/// Ids and numbers arrive as JSON numbers or strings; nested objects of an unexpected shape are
/// treated as absent so that one odd field does not lose a chat.
struct ChatWebhook: Decodable, Sendable, Equatable {
    /// `chat_finished`, `offline_message`, `chat_accepted`, `chat_updated`, `client_updated`, …
    var eventName: String
    var chatID: String?
    var offlineMessageID: String?
    var visitor: Visitor?
    /// The CRM organisation the visitor belongs to, when the agent set one.
    var organizationName: String?
    var page: Page?
    var session: Session?
    var chat: Chat?
    /// The text of an offline message.
    var message: String?
    /// The provider's own plain-text rendering of a finished chat.
    var plainMessages: String?
    /// Agents who took part (`agents` of a finished chat, or the single `agent`).
    var agents: [Agent]

    struct Visitor: Decodable, Sendable, Equatable {
        var name: String?
        var email: String?
        var phone: String?
        /// The provider's visitor number (not a phone number).
        var number: String?
        var description: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            name = container.lenientString("name")
            email = container.lenientString("email")
            phone = container.lenientString("phone")
            number = container.lenientString("number")
            description = container.lenientString("description")
        }
    }

    struct Page: Decodable, Sendable, Equatable {
        var url: String?
        var title: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            url = container.lenientString("url")
            title = container.lenientString("title")
        }
    }

    struct Session: Decodable, Sendable, Equatable {
        /// From `utm_json`, else parsed from `utm` (`source=google|medium=cpc|…`), keyed `utm_source`, ….
        var utm: [String: String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            if let tags = container.lenientObject(UTMTags.self, "utm_json"), !tags.tags.isEmpty {
                utm = tags.tags
            } else {
                utm = UTMTags.parsePiped(container.lenientString("utm") ?? "")
            }
        }
    }

    struct Chat: Decodable, Sendable, Equatable {
        var messages: [Message]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            messages = container.lenientObject(LenientArray<Message>.self, "messages")?.elements ?? []
        }
    }

    struct Message: Decodable, Sendable, Equatable {
        /// `visitor`, `agent` or `system`.
        var type: String?
        var message: String?
        var timestamp: String?
        var agentID: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            type = container.lenientString("type")
            message = container.lenientString("message")
            timestamp = container.lenientString("timestamp")
            agentID = container.lenientString("agent_id")
        }
    }

    struct Agent: Decodable, Sendable, Equatable {
        var id: String?
        var name: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            id = container.lenientString("id")
            name = container.lenientString("name")
        }
    }

    private struct Organization: Decodable {
        var name: String?

        init(from decoder: any Decoder) throws {
            name = try decoder.container(keyedBy: AnyCodingKey.self).lenientString("name")
        }
    }

    /// Only `event_name` is required: without it the body is not the provider's event at all.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        eventName = try container.decode(String.self, forKey: AnyCodingKey("event_name"))
        chatID = container.lenientString("chat_id")
        offlineMessageID = container.lenientString("offline_message_id")
        visitor = container.lenientObject(Visitor.self, "visitor")
        organizationName = container.lenientObject(Organization.self, "organization")?.name
        page = container.lenientObject(Page.self, "page")
        session = container.lenientObject(Session.self, "session")
        chat = container.lenientObject(Chat.self, "chat")
        message = container.lenientString("message")
        plainMessages = container.lenientString("plain_messages")
        agents = container.lenientObject(LenientArray<Agent>.self, "agents")?.elements ?? []
        if let agent = container.lenientObject(Agent.self, "agent") { agents.append(agent) }
    }
}

/// Why a directly posted submission cannot become an inquiry.
enum InquiryInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither a usable e-mail address nor a phone number with an E.164 form.
    case missingIdentity
    /// The e-mail field holds something that is not an e-mail address (the value as sent).
    case invalidEmail(String)

    var description: String {
        switch self {
        case .missingIdentity:
            "the submission has neither an e-mail address nor a phone number that can be read, so nobody could answer it"
        case .invalidEmail(let value):
            "\"\(value.count > 100 ? String(value.prefix(100)) + "…" : value)\" is not a valid e-mail address"
        }
    }
}

/// Reads inquiries out of mails, form submissions and chat webhooks (rules at the top of this file).
enum InquiryExtraction {
    /// The kinds of mail of rule 1.
    enum MailKind: Sendable, Equatable {
        case chatTranscript, webForm, freeMail
    }

    /// Classifies a mail as a chat transcript, a web form or free mail and extracts identity & text.
    static func fromMail(_ mail: MailMessage, number: (String) -> PartyNumber) -> InquiryDraft {
        let kind = classify(mail)
        let subject = nonBlank(mail.subject)
        switch kind {
        case .chatTranscript, .webForm:
            let fields = fieldsOfBody(mail)
            var fallbacks = mail.replyTo
            if kind == .webForm {
                let recipients = Set((mail.to + mail.cc).map(\.address))
                fallbacks += mail.from.filter { !recipients.contains($0.address) }
            }
            return InquiryDraft(
                channel: kind == .chatTranscript ? .chat : .webForm,
                identity: identity(fields, fallbacks: fallbacks, number: number),
                subject: subject, text: mail.textBody, pageURL: fields.page, utm: fields.utm)
        case .freeMail:
            let sender = (mail.from + mail.replyTo).lazy.compactMap(usableMailbox).first
            let signature = LabelledFields(text: textAboveQuote(mail.textBody))
            let identity = InquiryIdentity(
                name: sender.flatMap { displayName($0) }, email: sender?.address,
                phone: signature.phone.map { phone(from: $0, number: number) }, company: signature.company)
            return InquiryDraft(channel: .mail, identity: identity, subject: subject, text: mail.textBody, pageURL: nil, utm: [:])
        }
    }

    /// Throws `InquiryInputError.missingIdentity` when neither a usable e-mail nor phone is present,
    /// `.invalidEmail` on a malformed e-mail.
    static func fromForm(_ form: FormSubmission, number: (String) -> PartyNumber) throws(InquiryInputError) -> InquiryDraft {
        var email: String?
        if let value = usableValue(form.email) {
            let address = withoutMailto(value)
            guard isPlausibleEmail(address) else { throw .invalidEmail(value) }
            email = address
        }
        let phoneNumber = usableValue(form.phone).map { phone(from: $0, number: number) }
        guard email != nil || phoneNumber?.e164 != nil else { throw .missingIdentity }
        let pageURL = usableValue(form.pageURL)
        return InquiryDraft(
            channel: .webForm,
            identity: InquiryIdentity(
                name: usableValue(form.name), email: email, phone: phoneNumber, company: usableValue(form.company)),
            subject: (usableValue(form.pageTitle) ?? pageURL).map { "Web form: \($0)" },
            text: form.message?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
            pageURL: pageURL, utm: form.utm)
    }

    /// Nil for events that are not an inquiry (chat_accepted, chat_updated, …); for chat_finished /
    /// offline_message a draft with channel `.chat`.
    static func fromChat(_ webhook: ChatWebhook, number: (String) -> PartyNumber) -> InquiryDraft? {
        let event = webhook.eventName.trimmingCharacters(in: .whitespaces).lowercased()
        guard event == "chat_finished" || event == "offline_message" else { return nil }
        let visitor = webhook.visitor
        let name = usableValue(visitor?.name)
        let email = usableValue(visitor?.email).map(withoutMailto).flatMap { isPlausibleEmail($0) ? $0 : nil }
        let identity = InquiryIdentity(
            name: name, email: email, phone: usableValue(visitor?.phone).map { phone(from: $0, number: number) },
            company: usableValue(webhook.organizationName))

        let text: String
        if event == "offline_message" {
            text = webhook.message?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        } else {
            let transcript = transcriptLines(webhook, visitorName: name ?? "Visitor")
            text = transcript.isEmpty ? webhook.plainMessages?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" : transcript
        }
        return InquiryDraft(
            channel: .chat, identity: identity,
            subject: event == "chat_finished" ? nonBlank(webhook.chatID ?? "").map { "Chat \($0)" } : nil,
            text: text, pageURL: usableValue(webhook.page?.url),
            utm: webhook.session?.utm.filter { !$0.value.isEmpty } ?? [:])
    }

    /// The provider's id for dedupe: `chat:<chat_id>` / `offline:<offline_message_id>`; nil when absent.
    static func sourceID(of webhook: ChatWebhook) -> String? {
        let chat = nonBlank(webhook.chatID ?? "").map { "chat:\($0)" }
        let offline = nonBlank(webhook.offlineMessageID ?? "").map { "offline:\($0)" }
        let isOffline = webhook.eventName.trimmingCharacters(in: .whitespaces).lowercased() == "offline_message"
        return isOffline ? offline ?? chat : chat ?? offline
    }

    // MARK: Classification (rules 1 and 2)

    /// Subject or body phrases of chat transcript mails, lower-cased.
    static let chatMarkers = [
        "чат с посетителем", "диалог с посетителем", "сообщение из чата", "оффлайн сообщение", "оффлайн-сообщение",
        "офлайн сообщение", "офлайн-сообщение", "offline message", "offline-message", "chat transcript",
        "transcript of chat", "chat with visitor", "conversation with visitor", "transcrição do chat",
        "mensagem offline", "transcripción del chat", "mensaje offline", "mensaje fuera de línea",
    ]

    /// Subject openings of chat transcript mails that are ordinary words elsewhere in a subject.
    static let chatSubjectPrefixes = ["conversa com", "conversación con"]

    /// Body phrases of chat transcript mails, lower-cased: fewer than for subjects, because prose
    /// like "uma conversa com o gerente" must not make a customer's letter a chat.
    static let chatBodyMarkers = [
        "чат с посетителем", "диалог с посетителем", "chat transcript", "conversation with visitor",
        "conversa com o visitante", "conversación con el visitante", "jivosite", "jivochat",
    ]

    /// Subject phrases of web form mails, lower-cased.
    static let formMarkers = [
        "заявка с сайта", "новая заявка", "заявка на сайте", "сообщение с сайта", "обращение с сайта", "обратная связь",
        "обратный звонок", "обратного звонка", "form submission", "new submission", "contact form", "website form",
        "web form", "formulario", "formulário", "contato pelo site", "contacto desde la web",
    ]

    /// Local parts (without `.`, `-`, `_`) of mailboxes no person reads.
    static let automatedMailboxes: Set<String> = [
        "mailerdaemon", "postmaster", "wordpress", "website", "site", "forms", "form", "webform", "webforms", "robot",
        "neotvechat",
    ]

    /// Rule 1.
    static func classify(_ mail: MailMessage) -> MailKind {
        let subject = mail.subject.trimmingCharacters(in: .whitespaces).lowercased()
        if let sender = mail.from.first?.address, isChatProvider(sender) { return .chatTranscript }
        if chatMarkers.contains(where: { subject.contains($0) }) || chatSubjectPrefixes.contains(where: { subject.hasPrefix($0) })
        {
            return .chatTranscript
        }
        let body = String(mail.textBody.prefix(4096)).lowercased()
        if chatBodyMarkers.contains(where: { body.contains($0) }) { return .chatTranscript }
        if mail.from.contains(where: { isAutomated($0.address) }) || formMarkers.contains(where: { subject.contains($0) }) {
            return .webForm
        }
        return .freeMail
    }

    /// Rule 2: true for `noreply@…`, `do-not-reply@…`, `wordpress@…` and the like.
    static func isAutomated(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at].lowercased().split(separator: "+", omittingEmptySubsequences: false).first ?? ""
        let bare = local.filter { $0 != "." && $0 != "-" && $0 != "_" }
        return ["noreply", "donotreply", "naoresponda", "noresponder", "noresponda"].contains { bare.hasPrefix($0) }
            || automatedMailboxes.contains(bare)
    }

    private static func isChatProvider(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        return address[address.index(after: at)...].lowercased().split(separator: ".")
            .contains { $0 == "jivo" || $0 == "jivosite" || $0 == "jivochat" }
    }

    // MARK: Identity (rule 3)

    /// Labelled fields first; what they lack from the first usable fallback mailbox.
    private static func identity(
        _ fields: LabelledFields, fallbacks: [MailAddress], number: (String) -> PartyNumber
    ) -> InquiryIdentity {
        var name = fields.name
        var email = fields.email
        if let mailbox = fallbacks.lazy.compactMap(usableMailbox).first {
            if email == nil { email = mailbox.address }
            if name == nil, email == mailbox.address { name = displayName(mailbox) }
        }
        return InquiryIdentity(
            name: name, email: email, phone: fields.phone.map { phone(from: $0, number: number) }, company: fields.company)
    }

    /// The mailbox when a person could be behind it: not automated, a plausible address.
    private static func usableMailbox(_ mailbox: MailAddress) -> MailAddress? {
        isAutomated(mailbox.address) || !isPlausibleEmail(mailbox.address) ? nil : mailbox
    }

    /// Mail clients put the address in the name when there is none; that is not a name.
    private static func displayName(_ mailbox: MailAddress) -> String? {
        guard let name = usableValue(mailbox.name), !name.contains("@") else { return nil }
        return name
    }

    /// Rule 3d.
    static func phone(from raw: String, number: (String) -> PartyNumber) -> PartyNumber {
        let whole = number(raw)
        guard whole.e164 == nil, let run = phoneRun(in: raw), run != raw else { return whole }
        let part = number(run)
        return part.e164 == nil ? whole : part
    }

    /// The first stretch of digits, `+`, blanks, dashes, dots and parentheses holding at least 7 digits.
    private static func phoneRun(in text: String) -> String? {
        let allowed = Set("+0123456789 ()-.\u{A0}")
        var start = text.startIndex
        while start < text.endIndex {
            guard allowed.contains(text[start]) else {
                start = text.index(after: start)
                continue
            }
            let end = text[start...].firstIndex { !allowed.contains($0) } ?? text.endIndex
            let run = text[start..<end].trimmingCharacters(in: CharacterSet(charactersIn: " ()-.\u{A0}"))
            if run.filter(\.isASCII).filter(\.isNumber).count >= 7 { return run }
            start = end
        }
        return nil
    }

    /// A syntactically plausible `local@domain.tld`: one `@`, no blanks or specials, dotted domain
    /// labels without edge hyphens, a top-level label that is not all digits. Unicode is allowed
    /// (`ivan@завод.рф`); quoted local parts are not, because no form or chat sends them.
    static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.count <= 254, parts.count == 2 else { return false }
        let (local, domain) = (parts[0], parts[1])
        let forbidden = Set(" \t\r\n<>()[]\\,;:\"")
        guard !local.isEmpty, local.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."),
            !text.contains(where: { forbidden.contains($0) || $0.isNewline || $0.isWhitespace })
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, !top.allSatisfy(\.isNumber) else { return false }
        return labels.allSatisfy { !$0.isEmpty && $0.count <= 63 && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }

    // MARK: Text helpers

    /// Fields of the text part, completed from the HTML part read as `label: value` table rows.
    private static func fieldsOfBody(_ mail: MailMessage) -> LabelledFields {
        var fields = LabelledFields(text: mail.textBody)
        if let html = mail.htmlBody, fields.name == nil || fields.email == nil || fields.phone == nil || fields.company == nil {
            // A cell end becomes a separator so that `<td>Имя</td><td>Иван</td>` reads `Имя␟ Иван␟`.
            let marked = String(html.prefix(4 * LabelledFields.readLimit)).replacingOccurrences(
                of: "</td>", with: "\u{1F}</td>", options: .caseInsensitive
            )
            .replacingOccurrences(of: "</th>", with: "\u{1F}</th>", options: .caseInsensitive)
            fields.fillMissing(from: LabelledFields(text: MailHTMLText.readableText(marked)))
        }
        return fields
    }

    /// The part of a reply above the quoted message (`> …`, "-----Original Message-----", "… wrote:"),
    /// within the first `LabelledFields.readLimit` characters.
    static func textAboveQuote(_ text: String) -> String {
        var kept: [Substring] = []
        for line in text.prefix(LabelledFields.readLimit).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.hasPrefix(">") || isQuoteHeader(trimmed) { break }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    private static func isQuoteHeader(_ line: String) -> Bool {
        let separators = [
            "original message", "исходное сообщение", "mensaje original", "mensagem original", "forwarded message",
            "пересылаемое сообщение", "mensaje reenviado", "mensagem encaminhada",
        ]
        if line.hasPrefix("--"), separators.contains(where: { line.contains($0) }) { return true }
        // "On Mon, … Ivan <ivan@x.ru> wrote:" and Gmail's Russian "пн, 4 мар. 2024 г. в 12:00, Иван <ivan@x.ru>:".
        if line.hasSuffix(">:"), line.contains("@") { return true }
        let introductions = ["wrote:", "пишет:", "написал:", "написала:", "написал(а):", "escribió:", "escreveu:"]
        return introductions.contains { line.hasSuffix($0) }
    }

    /// Webhook messages as `<speaker>: <message>` lines (rule 5).
    private static func transcriptLines(_ webhook: ChatWebhook, visitorName: String) -> String {
        let agentNames = Dictionary(
            webhook.agents.compactMap { agent in agent.id.flatMap { id in usableValue(agent.name).map { (id, $0) } } },
            uniquingKeysWith: { first, _ in first })
        let onlyAgent = webhook.agents.count == 1 ? usableValue(webhook.agents[0].name) : nil
        return (webhook.chat?.messages ?? []).compactMap { message -> String? in
            guard let text = nonBlank(message.message ?? "") else { return nil }
            let speaker: String
            switch message.type?.lowercased() {
            case "visitor": speaker = visitorName
            case "agent": speaker = message.agentID.flatMap { agentNames[$0] } ?? onlyAgent ?? "Agent"
            default: speaker = "System"
            }
            return "\(speaker): \(text)"
        }.joined(separator: "\n")
    }

    /// Values that mean "nothing entered".
    static let placeholders: Set<String> = [
        "-", "--", "—", "–", "не указан", "не указано", "не указана", "не указаны", "не заполнено", "нет", "n/a",
        "none", "null", "undefined", "not specified", "não informado", "nao informado", "no informado",
        "sin especificar", "sin datos",
    ]

    /// The trimmed value, nil when blank or a placeholder.
    static func usableValue(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        let bare = value.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "()[]. "))
        return placeholders.contains(bare) || bare.isEmpty ? nil : value
    }

    private static func nonBlank(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func withoutMailto(_ text: String) -> String {
        text.lowercased().hasPrefix("mailto:") ? String(text.dropFirst(7)) : text
    }
}

/// The labelled lines of a form or transcript body (rule 4).
struct LabelledFields: Sendable, Equatable {
    var name: String?
    /// The first plausible address among e-mail fields, lower-cased.
    var email: String?
    /// As written; normalised by the caller's `number`.
    var phone: String?
    var company: String?
    /// An http(s) URL from a page field.
    var page: String?
    var utm: [String: String] = [:]

    private enum Field {
        case name, email, phone, company, page
        case utm(String)
    }

    /// Labels ignoring case, `ё`, blanks and `*`/`_` around them.
    private static let labels: [String: Field] = {
        var labels: [String: Field] = [:]
        let table: [(Field, [String])] = [
            (
                .name,
                [
                    "имя", "ваше имя", "фио", "имя и фамилия", "контактное лицо", "имя посетителя", "name", "your name",
                    "full name", "first name", "contact name", "visitor name", "nombre", "su nombre", "tu nombre",
                    "nombre completo", "nombre y apellidos", "nome", "seu nome", "nome completo",
                ]
            ),
            (
                .email,
                [
                    "e-mail", "email", "e-mail address", "email address", "эл. почта", "эл.почта", "электронная почта", "почта",
                    "ваш e-mail", "ваш email", "your email", "your e-mail", "correo", "correo electrónico", "correo electronico",
                    "correo-e", "e-mail (correo)", "endereço de e-mail", "endereço de email", "seu e-mail", "seu email",
                ]
            ),
            (
                .phone,
                [
                    "телефон", "тел", "ваш телефон", "номер телефона", "моб. телефон", "мобильный телефон", "мобильный", "phone",
                    "phone number", "telephone", "tel", "mobile", "your phone", "teléfono", "telefono", "móvil", "movil",
                    "celular", "teléfono móvil", "telefone", "telemóvel", "seu telefone", "whatsapp",
                ]
            ),
            (
                .company,
                [
                    "компания", "организация", "название компании", "название организации", "company", "company name",
                    "organization", "organisation", "empresa", "nombre de la empresa", "nome da empresa", "razão social",
                ]
            ),
            (.page, ["страница", "адрес страницы", "page", "page url", "url", "página", "pagina", "url da página"]),
        ]
        for (field, names) in table {
            for name in names { labels[name] = field }
        }
        for tag in ["source", "medium", "campaign", "term", "content"] { labels["utm_" + tag] = .utm("utm_" + tag) }
        return labels
    }()

    /// What may surround a label or value without being part of it (markdown emphasis, bullets, the
    /// HTML cell marker U+001F).
    private static let decoration = CharacterSet(charactersIn: "*_•·>\u{1F}").union(.whitespaces)

    /// Fields are read from the first 64 Ki characters only: forms, transcripts and signatures
    /// put them at the top, and a 25 MB body must not cost a full scan per field.
    static let readLimit = 64 * 1024

    init(text: String) {
        for line in text.prefix(Self.readLimit).split(whereSeparator: \.isNewline) {
            guard let (field, value) = Self.labelledValue(line) else { continue }
            switch field {
            case .name: if name == nil { name = value }
            case .phone: if phone == nil { phone = value }
            case .company: if company == nil { company = value }
            case .email:
                if email == nil { email = Self.address(in: value) }
            case .page:
                let lower = value.lowercased()
                if page == nil, lower.hasPrefix("http://") || lower.hasPrefix("https://"), !value.contains(" ") { page = value }
            case .utm(let key):
                if utm[key] == nil { utm[key] = value }
            }
        }
    }

    /// Takes the fields this one lacks from `other`.
    mutating func fillMissing(from other: LabelledFields) {
        name = name ?? other.name
        email = email ?? other.email
        phone = phone ?? other.phone
        company = company ?? other.company
        page = page ?? other.page
        utm.merge(other.utm) { mine, _ in mine }
    }

    /// The field and usable value of a `Label: value` line, nil for any other line.
    private static func labelledValue(_ line: Substring) -> (Field, String)? {
        let content = line.drop { $0.isWhitespace || $0 == "*" || $0 == "_" || $0 == "•" || $0 == "-" || $0 == ">" }
        guard let (labelEnd, valueStart) = separator(in: content) else { return nil }
        let label = content[..<labelEnd].trimmingCharacters(in: decoration).lowercased()
            .replacingOccurrences(of: "ё", with: "е")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let trimmedLabel = label.hasSuffix(".") && labels[label] == nil ? String(label.dropLast()) : label
        guard let field = labels[trimmedLabel] else { return nil }
        let value = content[valueStart...].trimmingCharacters(in: decoration)
        return InquiryExtraction.usableValue(value).map { (field, $0) }
    }

    /// Where the label ends and the value starts: the first `:`, `—`, `–`, tab, cell marker, or
    /// ` - `, within the first 48 characters (labels are short; a colon further on is prose).
    private static func separator(in content: Substring) -> (String.Index, String.Index)? {
        var index = content.startIndex
        var seen = 0
        while index < content.endIndex, seen < 48 {
            let character = content[index]
            let next = content.index(after: index)
            switch character {
            case ":", "—", "–", "\t", "\u{1F}":
                return index == content.startIndex ? nil : (index, next)
            case " " where next < content.endIndex && content[next] == "-":
                let after = content.index(after: next)
                if after == content.endIndex || content[after] == " " { return (index, after) }
            default:
                break
            }
            index = next
            seen += 1
        }
        return nil
    }

    /// The first plausible address in a field value (`Ivan <ivan@x.ru>`, `mailto:…`, `a@b.ru (work)`).
    private static func address(in value: String) -> String? {
        let separators = CharacterSet(charactersIn: "<>()[],;\"'").union(.whitespaces)
        for token in value.components(separatedBy: separators) where token.contains("@") {
            var candidate = token.lowercased().hasPrefix("mailto:") ? String(token.dropFirst(7)) : token
            while candidate.hasSuffix(".") { candidate.removeLast() }
            if InquiryExtraction.isPlausibleEmail(candidate) { return candidate.lowercased() }
        }
        return nil
    }
}

// MARK: Lenient JSON

/// Any string key, for JSON whose field names vary between senders.
struct AnyCodingKey: CodingKey, Sendable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension KeyedDecodingContainer where Key == AnyCodingKey {
    /// The first of `keys` that holds a string, number or boolean, as a string; nil when none does.
    func lenientString(_ keys: String...) -> String? {
        for name in keys {
            let key = AnyCodingKey(name)
            guard contains(key) else { continue }
            if let text = try? decode(String.self, forKey: key) { return text }
            if let integer = try? decode(Int64.self, forKey: key) { return String(integer) }
            if let number = try? decode(Double.self, forKey: key) { return number.isFinite ? String(number) : nil }
            if let flag = try? decode(Bool.self, forKey: key) { return String(flag) }
        }
        return nil
    }

    /// The value at `key`, nil when it is absent, null or of another shape.
    func lenientObject<T: Decodable>(_ type: T.Type, _ key: String) -> T? {
        (try? decodeIfPresent(type, forKey: AnyCodingKey(key))) ?? nil
    }
}

/// An array whose elements of an unexpected shape are skipped instead of failing the array.
struct LenientArray<Element: Decodable>: Decodable {
    var elements: [Element] = []

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        while !container.isAtEnd {
            if let element = try? container.decode(Element.self) {
                elements.append(element)
            } else if (try? container.decode(Skipped.self)) == nil {
                break  // cannot happen for JSON, but never loop forever
            }
        }
    }

    private struct Skipped: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}

/// UTM tags from an object keyed `source`, … or `utm_source`, …, keyed `utm_source`, ….
struct UTMTags: Decodable, Sendable {
    var tags: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys {
            guard let value = container.lenientString(key.stringValue)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !value.isEmpty
            else { continue }
            tags[Self.key(key.stringValue)] = value
        }
    }

    /// `source=google|medium=cpc|…` as JivoSite's `session.utm` writes it.
    static func parsePiped(_ text: String) -> [String: String] {
        var tags: [String: String] = [:]
        for pair in text.split(separator: "|") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { tags[key(String(parts[0]))] = value }
        }
        return tags
    }

    private static func key(_ name: String) -> String {
        let lower = name.trimmingCharacters(in: .whitespaces).lowercased()
        return lower.hasPrefix("utm_") ? lower : "utm_" + lower
    }
}
