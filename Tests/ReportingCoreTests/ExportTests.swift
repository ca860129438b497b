import Contracts
import Foundation
import Testing
import TestSupport

@testable import ReportingCore

// MARK: - Fixture

// Ids (`id(kind, n)`): kind 5 = contact, 6 = counterparty, 1 = lead, 2 = deal, 9 = manager.

private func snapshot(
    _ contact: UUID, _ name: String, counterparty: UUID? = nil, manager: UUID? = nil, phones: [String] = [],
    emails: [String] = [], consent: Bool = true
) -> ContactSnapshot {
    ContactSnapshot(
        contactId: contact, name: name, counterpartyId: counterparty, managerId: manager,
        phones: phones.map { ContactPhone(e164: $0, raw: $0) }, emails: emails, marketingConsent: consent)
}

private func registered(_ contact: ContactSnapshot, _ when: String) -> Fed {
    Fed(payload: ContactRegistered(contact: contact), occurredAt: at(when))
}

private func updated(_ contact: ContactSnapshot, _ when: String) -> Fed {
    Fed(payload: ContactUpdated(contact: contact), occurredAt: at(when))
}

private func merged(_ merged: UUID, into survivor: ContactSnapshot, _ when: String) -> Fed {
    Fed(payload: ContactsMerged(survivorId: survivor.contactId, mergedId: merged, survivor: survivor), occurredAt: at(when))
}

private func company(_ counterparty: UUID, _ name: String, _ when: String, registered: Bool = true) -> Fed {
    let payload: any EventPayload = registered
        ? CounterpartyRegistered(counterpartyId: counterparty, name: name, taxId: nil, kind: "customer")
        : CounterpartyUpdated(counterpartyId: counterparty, name: name, taxId: nil, kind: "customer")
    return Fed(payload: payload, occurredAt: at(when))
}

private func leadCreated(_ lead: UUID, email: String? = nil, phone: String? = nil, _ when: String) -> Fed {
    Fed(payload: LeadCreated(
        leadId: lead, channel: .mail, name: "Someone", email: email, phone: phone, company: nil, source: "inquiry:x",
        createdAt: at(when), triageDueAt: nil),
        occurredAt: at(when))
}

private func leadState(_ lead: UUID, _ to: String, _ when: String) -> Fed {
    Fed(payload: LeadStateChanged(
        leadId: lead, from: "new", to: to, departmentCode: "sales", managerId: id(9, 1), changedBy: nil, changedAt: at(when)),
        occurredAt: at(when))
}

private func leadConverted(_ lead: UUID, contacts: [UUID], counterparty: UUID? = nil, _ when: String) -> Fed {
    Fed(payload: LeadConverted(
        leadId: lead, counterpartyId: counterparty, contactIds: contacts, managerId: id(9, 1), departmentCode: "sales",
        needs: "a chamber", channel: .mail, correlationId: lead, convertedAt: at(when)),
        occurredAt: at(when))
}

private func dealOpened(_ deal: UUID, lead: UUID, counterpartyName: String, _ when: String) -> Fed {
    Fed(payload: DealOpened(
        dealId: deal, leadId: lead, counterpartyName: counterpartyName, managerId: id(9, 1), departmentCode: "sales",
        stage: "proposal", total: nil, openedAt: at(when)),
        occurredAt: at(when))
}

private func audience(_ events: [Fed]) -> AudienceModel {
    model(events, AudienceModel.init) { $0.apply($1.payload, occurredAt: $1.occurredAt) }
}

/// A contact as exports take it, built directly.
private func person(
    _ n: Int, _ name: String, company: String? = nil, phones: [String] = [], emails: [String] = [], consent: Bool = true,
    manager: UUID? = nil, lastActivity: String? = nil, revision: String = "2025-01-01T00:00:00Z"
) -> AudienceContact {
    AudienceContact(
        id: id(5, n), name: name, company: company, phones: phones, emails: emails, marketingConsent: consent, managerId: manager,
        lastActivityAt: lastActivity.map(at), changedAt: at(revision), revision: at(revision))
}

/// The e-mail column of a Mailchimp file's data rows (none of the fixtures' e-mails need quoting).
private func emails(_ export: MailchimpExport) -> [String] {
    export.csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map { String($0.prefix { $0 != "," }) }
}

// MARK: - unzip

private let unzipPath = "/usr/bin/unzip"
private let unzipExists = FileManager.default.isExecutableFile(atPath: unzipPath)

/// Runs unzip with `arguments`; its standard output and error together.
private func unzip(_ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: unzipPath)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Writes `data` to a fresh temporary file, hands its path to `body`, then removes it.
private func withTemporaryFile<T>(_ data: Data, suffix: String, _ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)\(suffix)")
    try data.write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

// MARK: - Tests

@Suite("Reporting: marketing exports")
struct ExportTests {
    @Test("trimming without NSString gives what Foundation gives", arguments: [
        "", "   ", "plain", "  a b \n", "\r\n x \r\n", "\t\u{0B}\u{0C}y\u{85}", "\u{00A0}Ёлка\u{2003}", " \u{3000}東京 ", "a\u{200B}",
        "\u{1F600} ", "x\u{2028}",
    ])
    func trimming(text: String) {
        #expect(text.trimmed == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(text.unicodeScalars))")
        #expect(text.dropFirst(0).trimmed == text.trimmed, "a substring too")
    }

    // MARK: CSV

    @Test("CSV quotes a field only when it holds a comma, quote, CR or LF, and doubles quotes inside")
    func csvQuoting() {
        #expect(CSVText.field("plain") == "plain")
        #expect(CSVText.field("") == "")
        #expect(CSVText.field("a,b") == "\"a,b\"")
        #expect(CSVText.field(#"say "hi""#) == #""say ""hi""""#)
        #expect(CSVText.field("line 1\nline 2") == "\"line 1\nline 2\"")
        #expect(CSVText.field("a\rb") == "\"a\rb\"")
        // "\r\n" is one Character in Swift; the check must still see it.
        #expect(CSVText.field("a\r\nb") == "\"a\r\nb\"")
        #expect(CSVText.field("Иванов Иван; ёж") == "Иванов Иван; ёж")
        #expect(CSVText.field("ООО \"Ромашка\", Москва") == "\"ООО \"\"Ромашка\"\", Москва\"")
        #expect(CSVText.record(["a", "b,c", "д"]) == "a,\"b,c\",д\r\n")
        #expect(CSVText.document(header: ["x", "y"], rows: [["1", "2"], ["3", ""]]) == "x,y\r\n1,2\r\n3,\r\n")
    }

    // MARK: Mailchimp

    @Test("Mailchimp: exact header, one row per e-mail, RFC 4180 quoting, CRLF, UTF-8 without BOM")
    func mailchimpFile() {
        let manager = id(9, 1)
        let contacts = [
            person(1, "Иван Петров", company: "ООО \"Ромашка\", Москва", phones: ["+79161234567", "+74951234567"],
                   emails: ["ivan@example.ru", "i.petrov@romashka.ru"], manager: manager),
            person(2, "Cher", emails: ["cher@example.com"]),
        ]
        let tags = ["vip", " newsletter ", "", "VIP", "manager:\(manager.uuidString.lowercased())"]
        let export = MailchimpExport.export(contacts, tags: tags)
        let expected = "Email Address,First Name,Last Name,Phone Number,Company,Tags\r\n"
            + "ivan@example.ru,Иван,Петров,+79161234567,\"ООО \"\"Ромашка\"\", Москва\",\"vip,newsletter,manager:00000000-0000-0000-0009-000000000001\"\r\n"
            + "i.petrov@romashka.ru,Иван,Петров,+79161234567,\"ООО \"\"Ромашка\"\", Москва\",\"vip,newsletter,manager:00000000-0000-0000-0009-000000000001\"\r\n"
            + "cher@example.com,Cher,,,,\"vip,newsletter,manager:00000000-0000-0000-0009-000000000001\"\r\n"
        #expect(export.csv == expected)
        #expect(export.rows == 3)
        #expect(export.skipped.isEmpty)
        #expect(export.csv.hasPrefix(MailchimpExport.header.joined(separator: ",") + "\r\n"))

        let bytes = [UInt8](export.data)
        #expect(Array(bytes.prefix(3)) != [0xEF, 0xBB, 0xBF])
        #expect(String(bytes: bytes, encoding: .utf8) == expected)
        // Every LF ends a CRLF.
        for (index, byte) in bytes.enumerated() where byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D) }
    }

    @Test("exports neutralise formulas: a name, company or tag starting with = + - @ gets an apostrophe; phone numbers stay as they are")
    func formulaCells() throws {
        let contacts = [
            person(1, #"=HYPERLINK("http://evil.example","click")"#, company: "@SUM(A1:A9)", phones: ["+79161234567", "-12"],
                   emails: ["evil@example.com"]),
        ]
        let export = MailchimpExport.export(contacts, tags: ["+cmd|' /C calc'!A0"])
        let row = try #require(export.csv.split(separator: "\r\n").dropFirst().first)
        #expect(row == #"evil@example.com,"'=HYPERLINK(""http://evil.example"",""click"")",,+79161234567,'@SUM(A1:A9),'+cmd|' /C calc'!A0"#, "\(row)")
        let list = CallList([person(2, "@Иван", company: "=1+1", phones: ["+79161234567", "+74951234567"])])
        #expect(list.csv.contains("'=1+1,'@Иван,+79161234567; +74951234567,"), "\(list.csv)")
        let sheet = String(decoding: try list.xlsx(), as: UTF8.self)
        #expect(!sheet.contains(">=1+1</t>") && (sheet.contains(">'=1+1</t>") || sheet.contains(">&apos;=1+1</t>")), "XLSX cells are neutralised too")
    }

    @Test("Mailchimp: only contacts with consent; the others and those without an e-mail are listed")
    func mailchimpConsent() {
        let contacts = [
            person(1, "Anna Schmidt", emails: ["anna@example.com"]),
            person(2, "Boris Ivanov", emails: ["boris@example.com"], consent: false),
            person(3, "Clara Nobody", emails: [], consent: true),
            person(4, "Dmitri Quiet", emails: [], consent: false),
        ]
        let export = MailchimpExport.export(contacts, tags: [])
        #expect(emails(export) == ["anna@example.com"])
        #expect(!export.csv.contains("boris"))
        #expect(export.skipped == [
            .init(contactId: id(5, 2), email: "boris@example.com", reason: .noConsent),
            .init(contactId: id(5, 3), email: nil, reason: .noEmail),
            .init(contactId: id(5, 4), email: nil, reason: .noConsent),
        ])
    }

    @Test("Mailchimp: invalid and repeated e-mails are left out and listed; the first occurrence wins")
    func mailchimpInvalidAndDuplicate() {
        let long = String(repeating: "a", count: 250) + "@x.io"
        let contacts = [
            person(1, "Anna Schmidt", emails: ["Anna@Example.com", "no-at-sign.example.com", "  spaced@example.com  "]),
            person(2, "Anna Twin", emails: ["anna@example.COM", "two@@example.com", "x y@example.com", long]),
            person(3, "Third One", emails: ["@example.com", "third@localhost", "third@example.com", "SPACED@example.com"]),
        ]
        let export = MailchimpExport.export(contacts, tags: ["t"])
        #expect(emails(export) == ["Anna@Example.com", "spaced@example.com", "third@example.com"])
        #expect(export.rows == 3)
        #expect(export.skipped == [
            .init(contactId: id(5, 1), email: "no-at-sign.example.com", reason: .invalid),
            .init(contactId: id(5, 2), email: "anna@example.COM", reason: .duplicate),
            .init(contactId: id(5, 2), email: "two@@example.com", reason: .invalid),
            .init(contactId: id(5, 2), email: "x y@example.com", reason: .invalid),
            .init(contactId: id(5, 2), email: long, reason: .invalid),
            .init(contactId: id(5, 3), email: "@example.com", reason: .invalid),
            .init(contactId: id(5, 3), email: "third@localhost", reason: .invalid),
            .init(contactId: id(5, 3), email: "SPACED@example.com", reason: .duplicate),
        ])
        // The first occurrence's row carries its own contact's name.
        #expect(export.csv.contains("Anna@Example.com,Anna,Schmidt,"))
    }

    @Test("e-mail check", arguments: [
        ("a@b.co", true), ("first.last+tag@sub.example.ru", true), ("иван@пример.рф", true),
        ("", false), ("plain", false), ("@b.co", false), ("a@", false), ("a@b", false), ("a@@b.co", false),
        ("a@b@c.co", false), ("a b@c.co", false), ("a@b .co", false), ("a\t@b.co", false), ("a@.b.co", false),
        ("a@b.co.", false), ("a@b..co", false), (String(repeating: "a", count: 249) + "@b.co", true),
        (String(repeating: "a", count: 250) + "@b.co", false),
    ])
    func emailCheck(email: String, valid: Bool) {
        #expect(MailchimpExport.isValidEmail(email) == valid)
    }

    @Test("a name splits on its first space; a single word is a first name", arguments: [
        ("Иван Петров", "Иван", "Петров"), ("Anna Maria Schmidt", "Anna", "Maria Schmidt"), ("Cher", "Cher", ""),
        ("  Bob   Smith  ", "Bob", "Smith"), ("", "", ""), ("Jean-Luc Picard", "Jean-Luc", "Picard"),
    ])
    func nameSplit(name: String, first: String, last: String) {
        let split = MailchimpExport.splitName(name)
        #expect(split.first == first)
        #expect(split.last == last)
    }

    @Test("the since-export gives exactly the contacts changed after the instant")
    func sinceExport() {
        let (c1, c2, c3, c4, c5) = (id(5, 1), id(5, 2), id(5, 3), id(5, 4), id(5, 5))
        let acme = id(6, 1)
        let events = [
            company(acme, "Acme", "2025-03-01T08:00:00Z"),
            registered(snapshot(c1, "One", phones: ["+4930111"], emails: ["one@example.com"]), "2025-03-01T09:00:00Z"),
            updated(snapshot(c1, "One", phones: ["+4930112"], emails: ["one@example.com"]), "2025-03-05T09:00:00Z"),
            registered(snapshot(c2, "Two", emails: ["two@example.com"]), "2025-03-01T09:00:00Z"),
            // Stated again with the same values: no change.
            updated(snapshot(c2, "Two", emails: ["two@example.com"]), "2025-03-06T09:00:00Z"),
            registered(snapshot(c3, "Three", counterparty: acme, emails: ["three@example.com"]), "2025-03-01T09:00:00Z"),
            company(acme, "Acme Holding", "2025-03-07T09:00:00Z", registered: false),
            registered(snapshot(c4, "Four", emails: ["four@example.com"]), "2025-03-06T09:00:00Z"),
            registered(snapshot(c5, "Five", emails: ["five@example.com"]), "2025-03-01T09:00:00Z"),
            // Consent withdrawn: changed, listed as skipped.
            registered(snapshot(id(5, 6), "Six", emails: ["six@example.com"]), "2025-03-01T09:00:00Z"),
            updated(snapshot(id(5, 6), "Six", emails: ["six@example.com"], consent: false), "2025-03-05T10:00:00Z"),
        ]
        let contacts = audience(events).contacts(segment: .all)
        let revisions = Dictionary(uniqueKeysWithValues: contacts.map { ($0.id, $0.revision) })
        #expect(revisions[c1] == at("2025-03-05T09:00:00Z"))
        #expect(revisions[c2] == at("2025-03-01T09:00:00Z"))
        #expect(revisions[c3] == at("2025-03-07T09:00:00Z"))
        #expect(revisions[c4] == at("2025-03-06T09:00:00Z"))
        #expect(revisions[c5] == at("2025-03-01T09:00:00Z"))
        #expect(contacts.first { $0.id == c2 }?.changedAt == at("2025-03-06T09:00:00Z"))

        let since = MailchimpExport.export(contacts, tags: [], changedSince: at("2025-03-04T00:00:00Z"))
        #expect(Set(emails(since)) == ["one@example.com", "three@example.com", "four@example.com"])
        #expect(since.rows == 3)
        #expect(since.skipped == [.init(contactId: id(5, 6), email: "six@example.com", reason: .noConsent)])
        #expect(since.csv.contains("three@example.com,Three,,,Acme Holding,"))

        // Strictly after: a change at the instant itself is not "since".
        let later = MailchimpExport.export(contacts, tags: [], changedSince: at("2025-03-06T09:00:00Z"))
        #expect(emails(later) == ["three@example.com"])
        #expect(MailchimpExport.export(contacts, tags: [], changedSince: at("2025-03-07T09:00:00Z")).rows == 0)
        #expect(MailchimpExport.export(contacts, tags: [], changedSince: .distantPast).rows == 5)
    }

    // MARK: Audience

    @Test("audience: a merge keeps the survivor, removes the merged contacts for good and moves their activity",
          arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func audienceMerges(seed: UInt64) {
        let (a, b, c) = (id(5, 1), id(5, 2), id(5, 3))
        let survivor = snapshot(
            a, "Anna Schmidt", phones: ["+4930111", "+4930222"], emails: ["anna@example.com", "b@example.com"])
        let world = [
            registered(snapshot(a, "Anna Schmidt", phones: ["+4930111"], emails: ["anna@example.com"]), "2025-04-01T09:00:00Z"),
            registered(snapshot(b, "Anna S.", phones: ["+4930222"], emails: ["b@example.com"]), "2025-04-01T10:00:00Z"),
            updated(snapshot(b, "Anna S", phones: ["+4930222"], emails: ["b@example.com"]), "2025-04-02T10:00:00Z"),
            registered(snapshot(c, "A. Schmidt", emails: ["c@example.com"]), "2025-04-01T11:00:00Z"),
            // C into B, then B into A: C's lead counts for A.
            merged(c, into: snapshot(b, "Anna S", phones: ["+4930222"], emails: ["b@example.com", "c@example.com"]),
                   "2025-04-02T12:00:00Z"),
            merged(b, into: survivor, "2025-04-03T09:00:00Z"),
            // A late update of a merged contact does not bring it back.
            updated(snapshot(b, "Anna S", phones: ["+4930222"], emails: ["b@example.com"]), "2025-04-04T09:00:00Z"),
            leadCreated(id(1, 1), email: "c@example.com", "2025-04-05T09:00:00Z"),
            leadConverted(id(1, 1), contacts: [c], "2025-04-06T09:00:00Z"),
        ]
        let inOrder = audience(world)
        var random = SplitMix64(seed: seed)
        let shuffled = audience(random.shuffled(world))
        let thrice = audience(random.shuffled(world + world + world))
        #expect(shuffled == inOrder)
        #expect(thrice == inOrder)

        let contacts = inOrder.contacts(segment: .all)
        #expect(contacts.map(\.id) == [a])
        let anna = contacts[0]
        #expect(anna.name == "Anna Schmidt")
        #expect(anna.emails == ["anna@example.com", "b@example.com"])
        #expect(anna.phones == ["+4930111", "+4930222"])
        #expect(anna.changedAt == at("2025-04-03T09:00:00Z"))
        #expect(anna.revision == at("2025-04-03T09:00:00Z"))
        #expect(anna.lastActivityAt == at("2025-04-06T09:00:00Z"))
        #expect(thrice.contacts(segment: .all) == contacts)
    }

    @Test("audience: the company is the contact book's latest name; a deal's name stands in while none is known")
    func audienceCompany() {
        let (withBook, withDeal, alone) = (id(5, 1), id(5, 2), id(5, 3))
        let (acme, newco) = (id(6, 1), id(6, 2))
        let manager = id(9, 7)
        let events = [
            company(acme, "Acme Old", "2025-05-01T09:00:00Z"),
            company(acme, "ООО «Акме»", "2025-05-03T09:00:00Z", registered: false),
            company(acme, "Acme Mid", "2025-05-02T09:00:00Z", registered: false),
            registered(snapshot(withBook, "Boris Book", counterparty: acme, manager: manager, phones: ["+79161234567"],
                                emails: ["boris@acme.example"], consent: false), "2025-05-01T10:00:00Z"),
            registered(snapshot(withDeal, "Dora Deal", counterparty: newco, emails: ["dora@newco.example"]), "2025-05-01T10:00:00Z"),
            leadConverted(id(1, 1), contacts: [withDeal], counterparty: newco, "2025-05-04T09:00:00Z"),
            dealOpened(id(2, 1), lead: id(1, 1), counterpartyName: "NewCo GmbH", "2025-05-04T10:00:00Z"),
            registered(snapshot(alone, "Alone", phones: ["+4930123", "not-e164", "+4930123"]), "2025-05-01T10:00:00Z"),
        ]
        let model = audience(events)
        let byId = Dictionary(uniqueKeysWithValues: model.contacts(segment: .all).map { ($0.id, $0) })
        #expect(byId[withBook]?.company == "ООО «Акме»")
        #expect(byId[withDeal]?.company == "NewCo GmbH")
        #expect(byId[withDeal]?.lastActivityAt == at("2025-05-04T09:00:00Z"))
        #expect(byId[alone]?.company == nil)
        #expect(byId[alone]?.phones == ["+4930123"])

        #expect(model.contacts(segment: .company(" ооо «акме» ")).map(\.id) == [withBook])
        #expect(model.contacts(segment: .manager(manager)).map(\.id) == [withBook])
        #expect(Set(model.contacts(segment: .withConsent).map(\.id)) == [withDeal, alone])
        #expect(model.contacts(segment: .all).map(\.name) == ["Alone", "Boris Book", "Dora Deal"])

        // Once the contact book names the counterparty, its name wins.
        let named = audience(events + [company(newco, "NewCo AG", "2025-05-01T08:00:00Z")])
        #expect(named.contacts(segment: .all).first { $0.id == withDeal }?.company == "NewCo AG")
    }

    @Test("audience: an unconverted lead's activity counts for the contact with its e-mail or phone")
    func audienceActivity() {
        let (anna, boris) = (id(5, 1), id(5, 2))
        let events = [
            registered(snapshot(anna, "Anna", phones: ["+4930111"], emails: ["Anna@Example.com"]), "2025-06-01T09:00:00Z"),
            registered(snapshot(boris, "Boris", phones: ["+4930222"], emails: ["boris@example.com"]), "2025-06-01T09:00:00Z"),
            leadCreated(id(1, 1), email: "anna@example.com", "2025-06-02T09:00:00Z"),
            leadState(id(1, 1), "assigned", "2025-06-03T09:00:00Z"),
            leadCreated(id(1, 2), phone: "+4930222", "2025-06-02T12:00:00Z"),
            leadCreated(id(1, 3), email: "nobody@example.com", "2025-06-09T09:00:00Z"),
        ]
        let byId = Dictionary(uniqueKeysWithValues: audience(events).contacts(segment: .all).map { ($0.id, $0) })
        #expect(byId[anna]?.lastActivityAt == at("2025-06-03T09:00:00Z"))
        #expect(byId[boris]?.lastActivityAt == at("2025-06-02T12:00:00Z"))
        // Activity is not a change of what the Mailchimp export shows.
        #expect(byId[anna]?.revision == at("2025-06-01T09:00:00Z"))
    }

    @Test("segments parse from all, consent, manager:<uuid> and company:<name>")
    func segments() {
        let manager = id(9, 3)
        #expect(AudienceSegment(rawValue: "all") == .all)
        #expect(AudienceSegment(rawValue: "consent") == .withConsent)
        #expect(AudienceSegment(rawValue: "manager:\(manager.uuidString.lowercased())") == .manager(manager))
        #expect(AudienceSegment(rawValue: "company:ООО «Акме»") == .company("ООО «Акме»"))
        for bad in ["", "ALL", "manager:", "manager:not-a-uuid", "company:", "company:  ", "dealer:1"] {
            #expect(AudienceSegment(rawValue: bad) == nil)
        }
        for segment in [AudienceSegment.all, .withConsent, .manager(manager), .company("Acme")] {
            #expect(AudienceSegment(rawValue: segment.rawValue) == segment)
        }
    }

    // MARK: Call list

    @Test("call list CSV: company, contact, phones joined with '; ', ISO last activity, manager; without phone left out")
    func callListCSV() {
        let manager = id(9, 1)
        let list = CallList([
            person(1, "Zoe Zed", company: "acme", phones: ["+4930111"], manager: manager, lastActivity: "2025-07-01T09:30:15.250Z"),
            person(2, "Иван Петров", company: "ООО \"Ромашка\"", phones: ["+79161234567", "+74951234567"]),
            person(3, "Anna Acme", company: "Acme", phones: ["+4930222"]),
            person(4, "No Company", phones: ["+4930333"]),
            person(5, "No Phone", company: "Acme"),
        ])
        #expect(list.withoutPhone == [id(5, 5)])
        #expect(list.csv == "Company,Contact,Phones,Last Activity,Manager\r\n"
            + "Acme,Anna Acme,+4930222,,\r\n"
            + "acme,Zoe Zed,+4930111,2025-07-01T09:30:15Z,00000000-0000-0000-0009-000000000001\r\n"
            + "\"ООО \"\"Ромашка\"\"\",Иван Петров,+79161234567; +74951234567,,\r\n"
            + ",No Company,+4930333,,\r\n")
        #expect([UInt8](list.csvData.prefix(3)) != [0xEF, 0xBB, 0xBF])
    }

    // MARK: ZIP and XLSX

    @Test("CRC-32 check values")
    func crc32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Data("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test("XML text escapes & < > \" ' and drops characters XML 1.0 forbids; Excel's _xHHHH_ is protected")
    func xmlEscaping() {
        #expect(XLSX.escape("a&b<c>\"d'e") == "a&amp;b&lt;c&gt;&quot;d&apos;e")
        #expect(XLSX.escape("x\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}y\t\n\r\u{FFFE}\u{FFFF}ж😀") == "xy\t\n\rж😀")
        #expect(XLSX.cellText("_x0041_ and _x12_ and snake_case") == "_x005F_x0041_ and _x12_ and snake_case")
        #expect([0, 25, 26, 51, 52, 701, 702].map(XLSX.columnName) == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"])
        #expect(XLSX.sheetName("a/b:c[d]*?\\") == "abcd")
    }

    @Test("ZIP: stored entries with local headers, central directory and end record that unzip accepts",
          .enabled(if: unzipExists, "needs /usr/bin/unzip"))
    func zipArchive() throws {
        var zip = ZipArchive()
        zip.add("hello.txt", Data("Hello, ZIP\n".utf8))
        zip.add("папка/файл.txt", Data("Привет".utf8))
        zip.add("empty", Data())
        let data = try zip.data()
        #expect(try zip.data() == data)
        let bytes = [UInt8](data)
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        let end = Array(bytes.suffix(22))
        #expect(Array(end.prefix(4)) == [0x50, 0x4B, 0x05, 0x06])
        #expect(end[10] == 3 && end[11] == 0)

        try withTemporaryFile(data, suffix: ".zip") { path in
            let test = try unzip(["-t", path])
            #expect(test.status == 0)
            #expect(String(decoding: test.output, as: UTF8.self).contains("No errors detected"))
            #expect(try unzip(["-p", path, "hello.txt"]).output == Data("Hello, ZIP\n".utf8))
            #expect(try unzip(["-p", path, "папка/файл.txt"]).output == Data("Привет".utf8))
        }
    }

    @Test("call list XLSX: a valid stored ZIP of the workbook parts; the sheet holds the Cyrillic cells as inline strings",
          .enabled(if: unzipExists, "needs /usr/bin/unzip"))
    func callListXLSX() throws {
        let list = CallList([
            person(1, "Иван Петров", company: "ООО «Ромашка» & Co <Москва>", phones: ["+79161234567", "+74951234567"],
                   manager: id(9, 1), lastActivity: "2025-07-01T09:30:00Z"),
            person(2, "Ёлкина Мария\u{1}", company: "Acme", phones: ["+4930111"]),
        ])
        let xlsx = try list.xlsx()
        try withTemporaryFile(xlsx, suffix: ".xlsx") { path in
            let test = try unzip(["-t", path])
            let report = String(decoding: test.output, as: UTF8.self)
            #expect(test.status == 0)
            #expect(report.contains("No errors detected"))

            let names = try unzip(["-Z1", path])
            #expect(names.status == 0)
            #expect(String(decoding: names.output, as: UTF8.self).split(separator: "\n").map(String.init) == [
                "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
                "xl/styles.xml",
            ])

            let sheet = try unzip(["-p", path, "xl/worksheets/sheet1.xml"])
            #expect(sheet.status == 0)
            let xml = String(decoding: sheet.output, as: UTF8.self)
            #expect(xml.hasPrefix(#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#))
            #expect(xml.contains(#"<c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">Company</t></is></c>"#))
            #expect(xml.contains(#"<c r="A3" t="inlineStr"><is><t xml:space="preserve">ООО «Ромашка» &amp; Co &lt;Москва&gt;</t></is></c>"#))
            #expect(xml.contains(">Иван Петров<"))
            #expect(xml.contains(">Ёлкина Мария<"))
            #expect(xml.contains(">+79161234567; +74951234567<"))
            #expect(xml.contains(">2025-07-01T09:30:00Z<"))
            #expect(xml.contains(">00000000-0000-0000-0009-000000000001<"))
            #expect(!xml.contains("\u{1}"))

            let workbook = String(decoding: try unzip(["-p", path, "xl/workbook.xml"]).output, as: UTF8.self)
            #expect(workbook.contains(#"<sheet name="Call list" sheetId="1" r:id="rId1"/>"#))
        }
    }
}
