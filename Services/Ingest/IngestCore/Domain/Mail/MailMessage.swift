import Foundation

/// A mail as the ingest service sees it: addresses, decoded subject and text, attachments.
/// Everything is already decoded so downstream code never has to know MIME.
public struct MailMessage: Sendable, Equatable {
    /// `Message-ID` without its angle brackets; nil when the mail has none (dedupe falls back elsewhere).
    public var messageID: String?
    /// `From` mailboxes; web forms often send from a `no-reply@` address, so look at `replyTo` too.
    public var from: [MailAddress]
    /// `Reply-To` mailboxes: for form and chat mails this is usually the actual customer.
    public var replyTo: [MailAddress]
    /// `To` mailboxes (all `To` fields together): tells which sales office the mail was sent to.
    public var to: [MailAddress]
    /// `Cc` mailboxes (all `Cc` fields together), kept because offices copy each other.
    public var cc: [MailAddress]
    /// `Subject` with RFC 2047 encoded words decoded; empty when absent.
    public var subject: String
    /// `Date` per RFC 5322 (obsolete forms tolerated); nil when absent or unparseable, never an error.
    public var date: Date?
    /// Every top-level header in order, unfolded and decoded, so nothing the parser skips is lost.
    public var headers: [MailHeader]
    /// The readable text: text/plain parts, or the text/html reduced to text when there is no plain part.
    public var textBody: String
    /// The text/html part(s) as sent, decoded to a string; nil when the mail has no HTML.
    public var htmlBody: String?
    /// Files and non-text parts in document order.
    public var attachments: [MailAttachment]

    /// Memberwise initializer, public so tests and other services can build expected values.
    public init(
        messageID: String? = nil, from: [MailAddress] = [], replyTo: [MailAddress] = [], to: [MailAddress] = [],
        cc: [MailAddress] = [], subject: String = "", date: Date? = nil, headers: [MailHeader] = [],
        textBody: String = "", htmlBody: String? = nil, attachments: [MailAttachment] = []
    ) {
        self.messageID = messageID
        self.from = from
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.subject = subject
        self.date = date
        self.headers = headers
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.attachments = attachments
    }

    /// The first header with this name (case-insensitive), because header names are case-insensitive.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// All headers with this name (case-insensitive), in order, for repeatable fields like `Received`.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }
}

/// One header field; a struct rather than a tuple so `MailMessage` can be `Equatable`.
public struct MailHeader: Sendable, Hashable {
    /// The field name as written in the mail (compare case-insensitively).
    public var name: String
    /// The unfolded value with RFC 2047 encoded words decoded and outer whitespace trimmed.
    public var value: String

    /// Memberwise initializer, public for tests and callers building expectations.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A mailbox; the address is lower-cased so that it can be compared and used as a key.
public struct MailAddress: Sendable, Hashable {
    /// The display name, decoded and unquoted; nil when the mailbox has none.
    public var name: String?
    /// The addr-spec, lower-cased (mail systems treat it case-insensitively in practice).
    public var address: String

    /// Lower-cases `address` so every `MailAddress` compares the way mail systems do.
    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address.lowercased()
    }
}

/// An attached file or other non-body part, with its bytes already transfer-decoded.
public struct MailAttachment: Sendable, Hashable {
    /// File name from `filename*` (RFC 2231), `filename` or `name` (RFC 2047 decoded, directories stripped); nil if the part names none.
    public var name: String?
    /// `type/subtype`, lower-cased, without parameters.
    public var contentType: String
    /// `Content-ID` without angle brackets, so inline images of an HTML body can be matched to it.
    public var contentID: String?
    /// Decoded size in bytes, reported even when `bytes` was dropped for being too large.
    public var size: Int
    /// The decoded content; empty when `truncated`.
    public var bytes: [UInt8]
    /// True when the part exceeded `maxAttachmentBytes`, so `bytes` was dropped to bound memory.
    public var truncated: Bool

    /// Memberwise initializer, public for tests and callers building expectations.
    public init(
        name: String?, contentType: String, contentID: String? = nil, size: Int, bytes: [UInt8], truncated: Bool = false
    ) {
        self.name = name
        self.contentType = contentType
        self.contentID = contentID
        self.size = size
        self.bytes = bytes
        self.truncated = truncated
    }
}

/// Why a mail could not be parsed; only input that is not mail at all, or whose structure is unrecoverable.
public enum MailParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input had no bytes (or only whitespace).
    case emptyInput
    /// No header field at all before the body, so this is not an RFC 5322 message.
    case missingHeaders
    /// A `multipart/*` part without the `boundary` parameter that separates its parts.
    case missingBoundary(contentType: String)
    /// A `multipart/*` part whose boundary never appears in its body.
    case boundaryNotFound(boundary: String)
    /// A base64 part whose content is not base64 at all.
    case invalidBase64(contentType: String)
    /// Multiparts nested deeper than any real mail, refused to keep recursion bounded.
    case nestingTooDeep(limit: Int)

    /// A sentence for logs and API error responses.
    public var description: String {
        switch self {
        case .emptyInput:
            "the mail is empty"
        case .missingHeaders:
            "the mail has no header fields before its body"
        case .missingBoundary(let contentType):
            "\(contentType) part has no boundary parameter"
        case .boundaryNotFound(let boundary):
            "multipart boundary \"\(boundary)\" never appears in the part's body"
        case .invalidBase64(let contentType):
            "\(contentType) part is declared base64 but its content cannot be decoded as base64"
        case .nestingTooDeep(let limit):
            "multipart parts are nested deeper than \(limit) levels"
        }
    }
}
