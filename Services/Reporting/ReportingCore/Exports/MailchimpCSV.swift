import Foundation

/// A Mailchimp audience import file: CSV (UTF-8 without BOM, CRLF, RFC 4180 quoting) with the header
/// `Email Address,First Name,Last Name,Phone Number,Company,Tags`.
///
/// Only contacts who agreed to marketing are exported, one row per valid e-mail not exported before
/// (compared case-insensitively, the first one wins; a contact with two addresses gives two rows).
/// Everything left out is listed with its reason. An import adds or updates subscribers; it cannot
/// unsubscribe, so a contact who withdrew consent shows up only in `skipped` (`no_consent`).
public struct MailchimpExport: Sendable, Equatable {
    /// Something not exported, and why.
    public struct Skipped: Codable, Sendable, Equatable {
        public enum Reason: String, Codable, Sendable {
            /// Not an e-mail address by the basic check (`MailchimpExport.isValidEmail`).
            case invalid
            /// An address already in the file (any case).
            case duplicate
            /// The contact did not agree to marketing (listed once, with its first e-mail if any).
            case noConsent = "no_consent"
            /// The contact agreed but has no e-mail.
            case noEmail = "no_email"
        }

        public var contactId: UUID
        public var email: String?
        public var reason: Reason

        public init(contactId: UUID, email: String?, reason: Reason) {
            self.contactId = contactId
            self.email = email
            self.reason = reason
        }
    }

    public static let header = ["Email Address", "First Name", "Last Name", "Phone Number", "Company", "Tags"]

    public var csv: String
    /// Data rows (the header not counted).
    public var rows: Int
    public var skipped: [Skipped]

    /// The file's bytes: UTF-8, no BOM.
    public var data: Data { Data(csv.utf8) }

    /// The file for `contacts`, in their order, each row tagged with `tags` (trimmed, empty and
    /// repeated ones left out).
    public static func export(_ contacts: [AudienceContact], tags: [String]) -> MailchimpExport {
        let tagField = normalizedTags(tags).joined(separator: ",")
        var seen = Set<String>()
        var rows: [[String]] = []
        var skipped: [Skipped] = []
        for contact in contacts {
            let emails = contact.emails.map { $0.trimmed }.filter { !$0.isEmpty }
            guard contact.marketingConsent else {
                skipped.append(Skipped(contactId: contact.id, email: emails.first, reason: .noConsent))
                continue
            }
            guard !emails.isEmpty else {
                skipped.append(Skipped(contactId: contact.id, email: nil, reason: .noEmail))
                continue
            }
            let (first, last) = splitName(contact.name)
            for email in emails {
                guard isValidEmail(email) else {
                    skipped.append(Skipped(contactId: contact.id, email: email, reason: .invalid))
                    continue
                }
                guard seen.insert(email.lowercased()).inserted else {
                    skipped.append(Skipped(contactId: contact.id, email: email, reason: .duplicate))
                    continue
                }
                rows.append([email, first, last, contact.phones.first ?? "", contact.company ?? "", tagField])
            }
        }
        return MailchimpExport(csv: CSVText.document(header: header, rows: rows), rows: rows.count, skipped: skipped)
    }

    /// The file for the contacts changed after `changedSince` (`revision > changedSince`) only.
    public static func export(_ contacts: [AudienceContact], tags: [String], changedSince: Date) -> MailchimpExport {
        export(contacts.filter { $0.revision > changedSince }, tags: tags)
    }

    /// A basic check, not RFC 5322: at most 254 bytes, no whitespace or control characters, exactly one
    /// `@` with something before it, and a domain with a dot that neither starts nor ends it nor
    /// stands next to another one.
    public static func isValidEmail(_ email: String) -> Bool {
        guard !email.isEmpty, email.utf8.count <= 254 else { return false }
        guard !email.unicodeScalars.contains(where: { isSpace($0) || $0.value < 0x20 || $0.value == 0x7F })
        else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let (local, domain) = (parts[0], parts[1])
        guard !local.isEmpty, domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..")
        else { return false }
        return true
    }

    /// First and last name: split on the first space of the trimmed name; a single word is a first name.
    public static func splitName(_ name: String) -> (first: String, last: String) {
        let trimmed = name.trimmed
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, "") }
        return (String(trimmed[..<space]), trimmed[trimmed.index(after: space)...].trimmed)
    }

    static func normalizedTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags.map { $0.trimmed }
            .filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
    }
}
