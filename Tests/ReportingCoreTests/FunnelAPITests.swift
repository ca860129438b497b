import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@testable import ReportingCore

/// The funnel over HTTP, fed from the consumed-event log of a real database: the figures, "as of",
/// drill-down, and a rebuild that gives exactly the same report.
@Suite("Reporting: the funnel over HTTP")
struct FunnelAPITests {
    static func at(_ text: String) -> Date { Timestamp.parse(text)! }

    /// Stores an event as the inbox does.
    static func log<P: EventPayload>(_ payload: P, at occurred: String, topic: String, url: String, key: UUID = UUID()) async throws {
        let envelope = try EventEnvelope(
            occurredAt: at(occurred), source: "test", key: key.uuidString.lowercased(), correlationId: UUID(), payload: payload)
        let json = String(decoding: try envelope.encoded(), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
        try await ServiceHarness.applySQL(
            """
            INSERT INTO consumed_events (id, topic, partition, "offset", type, occurred_at, envelope)
            VALUES ('\(envelope.id)', '\(topic)', 0, 0, '\(envelope.type)', '\(occurred)', '\(json)'::jsonb)
            """, databaseURL: url)
    }

    struct Report: Decodable, Equatable {
        var inquiries: Int; var leads: Int; var qualified: Int; var converted: Int; var deals: Int; var closed: Int; var lost: Int
        var dealsByStage: [String: Int]; var lostByReason: [String: Int]
    }

    @Test("a journey shows in every step; as of an earlier instant it does not yet; a rebuild gives the same report")
    func funnel() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { client, url in
            let manager = UUID(), lead = UUID(), other = UUID(), deal = UUID(), lost = UUID()
            try await Self.log(
                InquiryReceived(inquiryId: UUID(), channel: .webForm, identity: InquiryIdentity(name: "Ирина", email: "i@example.ru", phone: nil, company: nil),
                                subject: nil, text: "Нужен насос", attachments: [], source: InquirySource(connector: "forms", sourceId: "f-1"),
                                receivedAt: Self.at("2026-11-02T09:00:00Z")),
                at: "2026-11-02T09:00:00Z", topic: Topic.ingestInquiries, url: url)
            for (id, name) in [(lead, "Ирина"), (other, "Олег")] {
                try await Self.log(
                    LeadCreated(leadId: id, channel: .webForm, name: name, email: nil, phone: nil, company: nil, source: "test",
                                createdAt: Self.at("2026-11-02T09:00:01Z"), triageDueAt: nil),
                    at: "2026-11-02T09:00:01Z", topic: Topic.leadsEvents, url: url)
            }
            for (to, time) in [("assigned", "2026-11-02T10:00:00Z"), ("in_progress", "2026-11-02T11:00:00Z"), ("qualified", "2026-11-03T09:00:00Z")] {
                try await Self.log(
                    LeadStateChanged(leadId: lead, from: "x", to: to, departmentCode: "alto", managerId: manager, changedBy: manager, changedAt: Self.at(time)),
                    at: time, topic: Topic.leadsEvents, url: url)
            }
            try await Self.log(
                LeadConverted(leadId: lead, counterpartyId: nil, contactIds: [], managerId: manager, departmentCode: "alto", needs: "Насос",
                              channel: .webForm, correlationId: UUID(), convertedAt: Self.at("2026-11-03T10:00:00Z")),
                at: "2026-11-03T10:00:00Z", topic: Topic.leadsEvents, url: url)
            for (id, leadID) in [(deal, lead), (lost, other)] {
                try await Self.log(
                    DealOpened(dealId: id, leadId: leadID, counterpartyName: "ООО", managerId: manager, departmentCode: "alto", stage: "selection",
                               total: nil, openedAt: Self.at("2026-11-03T10:00:01Z")),
                    at: "2026-11-03T10:00:01Z", topic: Topic.dealsEvents, url: url, key: id)
            }
            try await Self.log(
                DealStageChanged(dealId: deal, from: "selection", to: "contract", probability: 60, total: nil, changedBy: manager,
                                 changedAt: Self.at("2026-11-10T10:00:00Z")),
                at: "2026-11-10T10:00:00Z", topic: Topic.dealsEvents, url: url)
            try await Self.log(
                DealStageChanged(dealId: lost, from: "selection", to: "lost", probability: 0, total: nil, changedBy: manager,
                                 changedAt: Self.at("2026-11-11T10:00:00Z")),
                at: "2026-11-11T10:00:00Z", topic: Topic.dealsEvents, url: url, key: lost)
            try await Self.log(
                DealLost(dealId: lost, reason: "competitor", comment: nil, lostAt: Self.at("2026-11-11T10:00:00Z")),
                at: "2026-11-11T10:00:01Z", topic: Topic.dealsEvents, url: url, key: lost)

            let now = try await client.call(.get, "/v1/funnel").decode(Report.self)
            #expect(now.inquiries == 1 && now.leads == 2 && now.qualified == 1 && now.converted == 1 && now.deals == 2)
            #expect(now.dealsByStage == ["contract": 1, "lost": 1] && now.lost == 1 && now.lostByReason == ["competitor": 1])
            let before = try await client.call(.get, "/v1/funnel?asOf=2026-11-03T09:30:00Z").decode(Report.self)
            #expect(before.qualified == 1 && before.converted == 0 && before.deals == 0, "as of then, not yet converted")
            let filtered = try await client.call(.get, "/v1/funnel?department=prom").decode(Report.self)
            #expect(filtered.leads == 0 && filtered.deals == 0)
            struct Ids: Decodable { var ids: [UUID] }
            #expect(try await client.call(.get, "/v1/funnel/drill-down?step=lost").decode(Ids.self).ids == [lost])
            struct Events: Decodable { var items: [Event]; struct Event: Decodable { var type: String } }
            let behind = try await client.call(.get, "/v1/events?key=\(lost)").decode(Events.self)
            #expect(behind.items.map(\.type) == ["DealOpened", "DealStageChanged", "DealLost"], "the events behind the lost deal")
            #expect(try await client.call(.get, "/v1/funnel?asOf=yesterday").status == 422)

            struct Rebuilt: Decodable { var events: Int; var report: Report }
            let rebuilt = try await client.call(.post, "/v1/projections/funnel/rebuild").decode(Rebuilt.self)
            #expect(rebuilt.events == 12 && rebuilt.report == now)
            #expect(try await client.call(.get, "/v1/funnel").decode(Report.self) == now)
            #expect(try await client.call(.post, "/v1/projections/nothing/rebuild").status == 404)
        }
    }
}

/// Marketing exports over HTTP: the Mailchimp file, the export record listing what was left out,
/// the "since" export, the call list as XLSX, and the timeliness figures.
@Suite("Reporting: exports and timeliness over HTTP")
struct ExportAPITests {
    static func contact(_ id: UUID, _ name: String, emails: [String], consent: Bool, phone: String? = nil) -> ContactSnapshot {
        ContactSnapshot(
            contactId: id, name: name, counterpartyId: nil, managerId: nil, phones: phone.map { [ContactPhone(e164: $0, raw: $0)] } ?? [],
            emails: emails, marketingConsent: consent)
    }

    @Test("the Mailchimp export is the file Mailchimp imports, lists what it left out, and a since-export has exactly the changed contacts")
    func mailchimp() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { client, url in
            let anna = UUID(), boris = UUID(), clone = UUID(), broken = UUID(), silent = UUID()
            let contacts = [
                Self.contact(anna, "Анна Петрова", emails: ["anna@example.ru"], consent: true, phone: "+79161234567"),
                Self.contact(boris, "Boris, Jr.", emails: ["boris@example.com"], consent: true),
                Self.contact(clone, "Anna Again", emails: ["ANNA@example.ru"], consent: true),
                Self.contact(broken, "No Domain", emails: ["nobody@"], consent: true),
                Self.contact(silent, "Quiet", emails: ["quiet@example.com"], consent: false),
            ]
            for (n, contact) in contacts.enumerated() {
                try await FunnelAPITests.log(ContactRegistered(contact: contact), at: "2026-11-0\(n + 1)T10:00:00Z", topic: Topic.leadsEvents, url: url)
            }
            var headers = ServiceHarness.authorized
            headers[.accept] = "text/csv"
            let (status, body, id, skipped) = try await client.execute(uri: "/v1/exports/mailchimp?segment=consent", method: .get, headers: headers) {
                (Int($0.status.code), String(buffer: $0.body), $0.headers[.init("DMS-Export-Id")!], $0.headers[.init("DMS-Export-Skipped")!])
            }
            #expect(status == 200)
            let lines = body.components(separatedBy: "\r\n")
            #expect(lines.first == "Email Address,First Name,Last Name,Phone Number,Company,Tags")
            #expect(lines.filter { $0.lowercased().hasPrefix("anna@example.ru,") }.count == 1, "one row per address, any case: \(lines)")
            #expect(lines.contains("boris@example.com,\"Boris,\",Jr.,,,"), "\(lines)")
            #expect(!body.contains("quiet@") && !body.contains("nobody@") && skipped == "2")
            let record = try await client.call(.get, "/v1/exports/\(try #require(id))")
            #expect(record.body.contains("\"duplicate\"") && record.body.contains("\"invalid\""), "\(record.body)")

            try await FunnelAPITests.log(
                ContactUpdated(contact: Self.contact(boris, "Boris Ivanov", emails: ["boris@example.com"], consent: true)),
                at: "2999-01-01T10:00:00Z", topic: Topic.leadsEvents, url: url)
            let since = try await client.call(.get, "/v1/exports/mailchimp?segment=consent&since=\(try #require(id))")
            let rows = since.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows.count == 2 && rows[1].hasPrefix("boris@example.com,Boris,Ivanov"), "\(rows)")
            #expect(try await client.call(.get, "/v1/exports/mailchimp?since=\(UUID())").status == 404)

            let (xlsxStatus, type, bytes) = try await client.execute(uri: "/v1/exports/call-list?segment=all&format=xlsx", method: .get, headers: ServiceHarness.authorized) {
                (Int($0.status.code), $0.headers[.contentType] ?? "", Array($0.body.readableBytesView))
            }
            #expect(xlsxStatus == 200 && type.contains("spreadsheetml") && bytes.prefix(2) == [0x50, 0x4B], "a ZIP (PK…)")
            #expect(try await client.call(.get, "/v1/exports/call-list?segment=nobody").status == 422)
            #expect(try await client.call(.get, "/v1/timeliness").status == 200)

            // A figure drilled down to the leads behind it.
            let late = UUID()
            try await FunnelAPITests.log(
                LeadCreated(leadId: late, channel: .phone, name: "Опоздавший", email: nil, phone: nil, company: nil, source: "test",
                            createdAt: FunnelAPITests.at("2026-11-10T09:00:00Z"), triageDueAt: FunnelAPITests.at("2026-11-10T10:00:00Z")),
                at: "2026-11-10T09:00:00Z", topic: Topic.leadsEvents, url: url)
            try await FunnelAPITests.log(
                LeadTriageOverdue(leadId: late, dueAt: FunnelAPITests.at("2026-11-10T10:00:00Z")), at: "2026-11-10T10:00:01Z",
                topic: Topic.leadsEvents, url: url)
            struct Ids: Decodable { var figure: String; var ids: [UUID] }
            let breached = try await client.call(.get, "/v1/timeliness?figure=breaches:triage")
            #expect(try JSONDecoder().decode(Ids.self, from: Data(breached.body.utf8)).ids == [late], "\(breached.body)")
        }
    }
}

/// Sales against plans and the stock and network figures over HTTP.
@Suite("Reporting: sales, plans, stock and network over HTTP")
struct SalesStockAPITests {
    @Test("a dealer's shop sales are set against the revenue target dealer-info published; stock levels and expiring lots show")
    func salesAndStock() async throws {
        try await ServiceHarness.withLiveService(.reporting, migrationsDirectory: ReportingMigrations.directory, routes: addReportingRoutes) { client, url in
            let dealer = UUID()
            try await FunnelAPITests.log(
                PublicationReleased(publicationId: UUID(), series: "plan.2027", version: 1, kind: "plan", title: "Plan", recipients: 1,
                                    publishedAt: FunnelAPITests.at("2026-12-20T10:00:00Z"),
                                    targets: [PlanTargetValue(dealerCode: "D-MSK-01", period: "2027-01", metric: "revenue", target: 1000)]),
                at: "2026-12-20T10:00:00Z", topic: Topic.dealerInfoEvents, url: url)
            for (day, net) in [("2027-01-10", Decimal(300)), ("2027-01-11", Decimal(450))] {
                try await FunnelAPITests.log(
                    DealerSalesReported(reportId: UUID(), dealerId: dealer, dealerCode: "D-MSK-01", shopCode: "S-1", day: day, version: 1,
                                        currency: "RUB", sales: net, returns: 0, discounts: 0, net: net, receipts: 3,
                                        reportedAt: FunnelAPITests.at("\(day)T21:00:00Z")),
                    at: "\(day)T21:00:00Z", topic: Topic.dealerInfoEvents, url: url)
            }
            struct Sales: Decodable { var dealerMonths: [Row]; struct Row: Decodable { var dealer: String; var period: String; var net: Decimal; var target: Decimal?; var achievedPercent: Decimal? } }
            let sales = try await client.call(.get, "/v1/sales?dealer=D-MSK-01").decode(Sales.self)
            let january = try #require(sales.dealerMonths.first { $0.period == "2027-01" })
            #expect(january.net == 750 && january.target == 1000 && january.achievedPercent == 75)

            try await FunnelAPITests.log(
                StockLevelChanged(sku: "PMP-100", warehouse: "MSK-1", onHand: 12, reserved: 2, available: 10, changedAt: FunnelAPITests.at("2026-11-30T10:00:00Z")),
                at: "2026-11-30T10:00:00Z", topic: Topic.inventoryEvents, url: url)
            try await FunnelAPITests.log(
                LotExpiringSoon(sku: "SEAL-KIT", lot: "SK-1", expiresOn: "2026-12-10", onHand: 5, detectedAt: FunnelAPITests.at("2026-11-30T10:00:00Z")),
                at: "2026-11-30T10:00:00Z", topic: Topic.inventoryEvents, url: url)
            struct Stock: Decodable { var stock: [Item]; var expiringLots: [Lot]
                struct Item: Decodable { var sku: String; var available: Decimal }
                struct Lot: Decodable { var lot: String } }
            let stock = try await client.call(.get, "/v1/stock-network?asOf=2026-12-01").decode(Stock.self)
            #expect(stock.stock.first { $0.sku == "PMP-100" }?.available == 10 && stock.expiringLots.map(\.lot) == ["SK-1"])
            #expect(try await client.call(.get, "/v1/stock-network?expiringWithinDays=-1").status == 422)
        }
    }
}
