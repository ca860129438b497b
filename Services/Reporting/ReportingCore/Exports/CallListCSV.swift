import Contracts
import Foundation

/// A telemarketing call list: per contact with a phone, its company, name, phones (E.164, `; `-joined),
/// last activity (ISO 8601, UTC, whole seconds) and responsible manager (id), sorted by company
/// (contacts without one last), then name. Written as CSV (UTF-8 without BOM, CRLF, RFC 4180 quoting)
/// or as an XLSX workbook. Which contacts to call (consent, a manager's, a company's) is the segment's
/// choice; contacts without a phone are left out and listed.
public struct CallList: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var contactId: UUID
        public var company: String?
        public var contact: String
        public var phones: [String]
        public var lastActivityAt: Date?
        public var managerId: UUID?
    }

    public static let header = ["Company", "Contact", "Phones", "Last Activity", "Manager"]
    /// Column widths in the workbook, in characters.
    static let widths: [Double] = [32, 28, 36, 22, 38]

    public var rows: [Row]
    /// Contacts left out for having no phone.
    public var withoutPhone: [UUID]

    public init(_ contacts: [AudienceContact]) {
        var rows: [Row] = []
        var withoutPhone: [UUID] = []
        for contact in contacts {
            guard !contact.phones.isEmpty else {
                withoutPhone.append(contact.id)
                continue
            }
            rows.append(Row(
                contactId: contact.id, company: contact.company, contact: contact.name, phones: contact.phones,
                lastActivityAt: contact.lastActivityAt, managerId: contact.managerId))
        }
        self.rows = rows.sorted { a, b in
            let (companyA, companyB) = (a.company.map(AudienceSegment.companyKey), b.company.map(AudienceSegment.companyKey))
            if companyA != companyB {
                guard let companyA else { return false }
                guard let companyB else { return true }
                return companyA < companyB
            }
            return (a.contact, a.contactId.uuidString) < (b.contact, b.contactId.uuidString)
        }
        self.withoutPhone = withoutPhone
    }

    /// The rows as text cells.
    var cells: [[String]] {
        rows.map { row in
            [
                row.company ?? "", row.contact, row.phones.joined(separator: "; "),
                row.lastActivityAt.map(Self.isoDateTime) ?? "",
                row.managerId?.uuidString.lowercased() ?? "",
            ]
        }
    }

    /// The CSV text.
    public var csv: String { CSVText.document(header: Self.header, rows: cells) }

    /// The CSV bytes: UTF-8, no BOM.
    public var csvData: Data { Data(csv.utf8) }

    /// The XLSX workbook: one sheet "Call list", a bold frozen header row, every cell text.
    public func xlsx() throws -> Data {
        try XLSX.workbook(sheetName: "Call list", header: Self.header, rows: cells, widths: Self.widths)
    }

    /// `2025-11-25T10:00:00Z`: the suite's timestamp to the whole second.
    static func isoDateTime(_ date: Date) -> String {
        let text = Timestamp.format(Date(timeIntervalSince1970: floor(date.timeIntervalSince1970)))
        return String(text.dropLast(5)) + "Z"
    }
}
