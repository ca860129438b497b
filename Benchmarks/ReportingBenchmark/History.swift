import BenchmarkSupport
import Contracts
import Foundation

// The events loaded straight into reporting's `consumed_events`: a year of customer journeys for
// test 1, consenting contacts for test 3. Envelopes are built with the contract types and their own
// encoder, so the rows hold exactly what the inbox would have stored.

/// SplitMix64: small, fast and seedable, so the same sizes give the same history.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &self)] }
}

// MARK: COPY text

/// Rows for `COPY consumed_events (id, topic, partition, "offset", type, occurred_at, envelope) FROM
/// STDIN` in PostgreSQL's text format: fields separated by tabs, each row ended by a newline, and in
/// every value backslash, tab, newline and carriage return written as `\\`, `\t`, `\n`, `\r` (the
/// envelope's JSON escapes — `\"`, `\n` — are backslashes too). No field here is NULL.
struct CopyRows {
    static let columns = ["id", "topic", "partition", "offset", "type", "occurred_at", "envelope"]

    private(set) var bytes: [UInt8] = []
    private(set) var count = 0
    private var atRowStart = true

    init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func field(_ text: String) { field(utf8: text.utf8) }

    mutating func field<Bytes: Sequence<UInt8>>(utf8 value: Bytes) {
        if !atRowStart { bytes.append(0x09) }
        atRowStart = false
        for byte in value {
            switch byte {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)  // \ → \\
            case 0x09: bytes.append(0x5C); bytes.append(0x74)  // tab → \t
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)  // newline → \n
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)  // carriage return → \r
            default: bytes.append(byte)
            }
        }
    }

    mutating func endRow() {
        bytes.append(0x0A)
        atRowStart = true
        count += 1
    }

    /// One consumed event, as `EventLog` stores it.
    mutating func append(_ envelope: EventEnvelope, topic: String, offset: Int) throws {
        field(envelope.id.uuidString.lowercased())
        field(topic)
        field(String(partition(of: envelope.key)))
        field(String(offset))
        field(envelope.type)
        field(Timestamp.format(envelope.occurredAt))
        field(utf8: try envelope.encoded())
        endRow()
    }
}

/// The partition a key would land on among six (FNV-1a; only for realistic-looking rows).
func partition(of key: String) -> Int {
    var hash: UInt32 = 2_166_136_261
    for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    return Int(hash % 6)
}

/// A part of the generated log: its COPY text and what it holds.
struct LogChunk: Sendable {
    var bytes: [UInt8]
    var rows: Int
    var journeys: Int
    var tally: Tally
}

/// Builds the log in chunks of `chunkSize` rows, as many at once as there are cores; chunk `i` is
/// `make(i, rows)`. Returned in order.
func generateLog(
    rows total: Int, chunkSize: Int = 20_000, _ make: @escaping @Sendable (_ index: Int, _ rows: Int) throws -> LogChunk
) async throws -> [LogChunk] {
    let count = (total + chunkSize - 1) / chunkSize
    let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
    return try await withThrowingTaskGroup(of: (Int, LogChunk).self) { group in
        var chunks = [LogChunk?](repeating: nil, count: count)
        var next = 0
        while next < min(width, count) {
            let index = next
            group.addTask { (index, try make(index, min(chunkSize, total - index * chunkSize))) }
            next += 1
        }
        while let (index, chunk) = try await group.next() {
            chunks[index] = chunk
            if next < count {
                let index = next
                group.addTask { (index, try make(index, min(chunkSize, total - index * chunkSize))) }
                next += 1
            }
        }
        return chunks.map { $0! }
    }
}

// MARK: What the funnel must show

/// What a generated log holds, as the funnel counts it (every figure of `GET /v1/funnel` without
/// filters), and the mix of event types.
struct Tally: Sendable {
    var inquiries = 0
    var leads = 0
    var assigned = 0
    var contacted = 0
    /// Leads qualified (every converted lead was qualified first).
    var qualified = 0
    var disqualified = 0
    var converted = 0
    /// Each deal once, in the last stage it was moved to.
    var stages: [String: Int] = [:]
    var byType: [String: Int] = [:]

    mutating func add(_ other: Tally) {
        inquiries += other.inquiries
        leads += other.leads
        assigned += other.assigned
        contacted += other.contacted
        qualified += other.qualified
        disqualified += other.disqualified
        converted += other.converted
        stages.merge(other.stages, uniquingKeysWith: +)
        byType.merge(other.byType, uniquingKeysWith: +)
    }

    var figures: FunnelFigures {
        FunnelFigures(
            inquiries: inquiries, leads: leads, assigned: assigned, contacted: contacted, qualified: qualified,
            disqualified: disqualified, converted: converted, deals: stages.values.reduce(0, +), dealsByStage: stages,
            closed: stages["closed"] ?? 0, lost: stages["lost"] ?? 0)
    }
}

/// The funnel's figures the benchmark checks (a `FunnelReport` without its breakdowns and rates).
struct FunnelFigures: Decodable, Equatable, Sendable {
    var inquiries: Int
    var leads: Int
    var assigned: Int
    var contacted: Int
    var qualified: Int
    var disqualified: Int
    var converted: Int
    var deals: Int
    var dealsByStage: [String: Int]
    var closed: Int
    var lost: Int

    var line: String {
        "inquiries \(grouped(inquiries)), leads \(grouped(leads)), assigned \(grouped(assigned)), contacted \(grouped(contacted)), "
            + "qualified \(grouped(qualified)), disqualified \(grouped(disqualified)), converted \(grouped(converted)), "
            + "deals \(grouped(deals)), closed \(grouped(closed)), lost \(grouped(lost))"
    }

    var stagesLine: String {
        dealStages.compactMap { stage in dealsByStage[stage].map { "\(stage) \(grouped($0))" } }.joined(separator: ", ")
    }

    /// The figures of `self` (the service's) that differ from `expected`.
    func differences(from expected: FunnelFigures) -> [String] {
        var out: [String] = []
        func check(_ name: String, _ mine: Int, _ wanted: Int) {
            if mine != wanted { out.append("\(name) \(grouped(mine)) ≠ \(grouped(wanted))") }
        }
        check("inquiries", inquiries, expected.inquiries)
        check("leads", leads, expected.leads)
        check("assigned", assigned, expected.assigned)
        check("contacted", contacted, expected.contacted)
        check("qualified", qualified, expected.qualified)
        check("disqualified", disqualified, expected.disqualified)
        check("converted", converted, expected.converted)
        check("deals", deals, expected.deals)
        check("closed", closed, expected.closed)
        check("lost", lost, expected.lost)
        for stage in Set(dealsByStage.keys).union(expected.dealsByStage.keys).sorted() {
            check("stage \(stage)", dealsByStage[stage] ?? 0, expected.dealsByStage[stage] ?? 0)
        }
        return out
    }
}

/// The deals service's stages in order, then the two ends.
let dealStages = ["selection", "offer", "contract", "fulfilment", "commissioning", "service", "closed", "lost"]
let stageProbability = [
    "selection": 10, "offer": 30, "contract": 60, "fulfilment": 80, "commissioning": 90, "service": 95, "closed": 100, "lost": 0,
]

// MARK: Journeys

/// What every journey of a run shares.
struct HistoryContext: Sendable {
    var tag: String
    var now: Date
    var managers: [UUID]
    var head: UUID

    init(tag: String, now: Date = Date()) {
        self.tag = tag
        self.now = now
        managers = (0..<24).map { _ in UUID() }
        head = UUID()
    }
}

let departments = ["prom", "lab", "med"]
let firstNames = ["Иван", "Анна", "Pavel", "Olga", "Сергей", "Мария", "Dmitry", "Елена", "Alexei", "Наталья"]
let lastNames = ["Петров", "Smirnova", "Кузнецов", "O'Neil", "Волкова", "Ivanov", "Соколов", "Novikova"]
let disqualifyReasons = ["not_suitable", "no_budget", "duplicate", "spam", "other"]
let lostReasons = ["price", "competitor", "no_budget", "timing", "other"]

/// Writes journeys (or other events) into one chunk until it holds `budget` rows; a journey that
/// does not fit is cut short, and the tally counts only what was written.
struct HistoryWriter {
    let budget: Int
    let firstOffset: Int
    var random: SplitMix64
    var rows: CopyRows
    var tally = Tally()
    /// The journey being written: its correlation id, the last event (the next one's cause), and
    /// the stage its deal was last moved to.
    private var correlation = UUID()
    private var cause: UUID?
    private var dealStage: String?

    init(budget: Int, firstOffset: Int, seed: UInt64) {
        self.budget = budget
        self.firstOffset = firstOffset
        random = SplitMix64(seed: seed)
        rows = CopyRows(reservingCapacity: budget * 900)
    }

    var full: Bool { rows.count >= budget }

    /// Appends one event, unless the chunk is full (false then).
    mutating func emit<Payload: EventPayload>(
        _ payload: Payload, topic: String, source: ServiceName, key: String, at instant: Date
    ) throws -> Bool {
        guard !full else { return false }
        let envelope = try EventEnvelope(
            occurredAt: instant, source: source.rawValue, key: key, correlationId: correlation, causationId: cause, payload: payload)
        cause = envelope.id
        try rows.append(envelope, topic: topic, offset: firstOffset + rows.count)
        tally.byType[Payload.eventType, default: 0] += 1
        return true
    }

    /// `instant` moved on by a random number of seconds in `range` (whole milliseconds).
    mutating func later(_ instant: Date, _ range: ClosedRange<Double>) -> Date {
        let seconds = Double.random(in: range, using: &random)
        return instant.addingTimeInterval((seconds * 1000).rounded() / 1000)
    }

    mutating func beginJourney() {
        correlation = UUID()
        cause = nil
        dealStage = nil
    }

    /// Counts the journey's deal in the stage it ended in.
    mutating func endJourney() {
        if let dealStage { tally.stages[dealStage, default: 0] += 1 }
        dealStage = nil
    }

    /// One customer journey (about 9 events on average): an inquiry (a mail, chat or form; one in
    /// five an inbound call); 95 % become a lead, 95 % of those are assigned, 90 % of those contacted;
    /// then 70 % qualified, 20 % disqualified; 90 % of the qualified converted (counterparty, one or
    /// two contacts without marketing consent, the conversion) into a deal that moves through the
    /// stages and is closed, lost or still open; 30 % of converted contacts are updated later.
    /// Starts between 500 and 150 days ago, so every instant is in the past.
    mutating func journey(_ number: Int, context: HistoryContext) throws {
        beginJourney()
        defer { endJourney() }
        var at = later(context.now.addingTimeInterval(-500 * 86_400), 0...(350 * 86_400))
        let first = random.pick(firstNames)
        let name = "\(first) \(random.pick(lastNames))"
        let email = "client\(number).\(context.tag)@bench-mail.test"
        let digits = String(number % 10_000_000)
        let phone = "+7916" + String(repeating: "0", count: 7 - digits.count) + digits
        let phoneRaw = "8 (916) \(digits)"
        let company: String
        switch number % 4 {
        case 0: company = "ООО \"Прибор-\(number % 997)\""  // quotes: escaped in JSON, and that backslash in COPY
        case 1: company = "АО «Техника \(number % 991)»"
        case 2: company = "Lab Systems \(number % 983), Ltd"
        default: company = "ИП \(name)"
        }

        // The inquiry.
        let leadChannel: LeadChannel
        let leadSource: String
        if random.chance(0.2) {
            let call = UUID()
            leadChannel = .phone
            leadSource = "call:\(call.uuidString.lowercased())"
            let payload = CallRegistered(
                callId: call, linkedId: "\(number).\(context.tag)", direction: .inbound, caller: PartyNumber(raw: phoneRaw, e164: phone),
                called: PartyNumber(raw: "+7 495 000-00-00", e164: "+74950000000"), did: "+74950000000", startedAt: at)
            guard try emit(payload, topic: Topic.ingestCalls, source: .ingest, key: phone, at: at) else { return }
        } else {
            let inquiry = UUID()
            let channel = random.pick([InquiryChannel.chat, .webForm, .mail])
            leadChannel = channel == .chat ? .chat : channel == .webForm ? .webForm : .mail
            leadSource = "inquiry:\(inquiry.uuidString.lowercased())"
            let connector = channel == .mail ? "mail" : channel == .chat ? "chat" : "forms"
            let payload = InquiryReceived(
                inquiryId: inquiry, channel: channel,
                identity: InquiryIdentity(name: name, email: email, phone: PartyNumber(raw: phoneRaw, e164: phone), company: company),
                subject: "Запрос КП: климатическая камера", text: "Здравствуйте!\nПросим выставить счёт на камеру КТК-800.\tСпасибо.\n\(name)",
                attachments: [], source: InquirySource(
                    connector: connector, sourceId: "<\(inquiry.uuidString.lowercased())@bench-mail.test>",
                    pageURL: channel == .mail ? nil : "https://example.test/catalog/chambers?id=\(number % 50)",
                    utm: channel == .mail ? [:] : ["utm_source": "yandex", "utm_campaign": "chambers-\(number % 7)"]),
                receivedAt: at)
            guard try emit(payload, topic: Topic.ingestInquiries, source: .ingest, key: email, at: at) else { return }
        }
        tally.inquiries += 1

        // The lead and its way to qualification.
        guard random.chance(0.95) else { return }
        at = later(at, 30...900)
        let lead = UUID()
        let leadKey = lead.uuidString.lowercased()
        guard try emit(
            LeadCreated(
                leadId: lead, channel: leadChannel, name: name, email: email, phone: phone, company: company, source: leadSource,
                createdAt: at, triageDueAt: at.addingTimeInterval(7_200)),
            topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
        else { return }
        tally.leads += 1

        guard random.chance(0.95) else { return }
        at = later(at, 300...14_400)
        let manager = random.pick(context.managers)
        let department = random.pick(departments)
        guard try emit(
            LeadStateChanged(
                leadId: lead, from: "new", to: "assigned", departmentCode: department, managerId: manager, changedBy: context.head,
                changedAt: at),
            topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
        else { return }
        tally.assigned += 1

        guard random.chance(0.9) else { return }
        at = later(at, 600...86_400)
        guard try emit(
            LeadStateChanged(
                leadId: lead, from: "assigned", to: "in_progress", departmentCode: department, managerId: manager, changedBy: manager,
                changedAt: at),
            topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
        else { return }
        tally.contacted += 1

        at = later(at, 3_600...(5 * 86_400))
        let outcome = Double.random(in: 0..<1, using: &random)
        if outcome >= 0.9 { return }  // still being worked
        if outcome >= 0.7 {
            let reason = random.pick(disqualifyReasons)
            if try emit(
                LeadStateChanged(
                    leadId: lead, from: "in_progress", to: "disqualified", departmentCode: department, managerId: manager, reason: reason,
                    comment: "Причина: \(reason)", changedBy: manager, changedAt: at),
                topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
            {
                tally.disqualified += 1
            }
            return
        }
        guard try emit(
            LeadStateChanged(
                leadId: lead, from: "in_progress", to: "qualified", departmentCode: department, managerId: manager, changedBy: manager,
                changedAt: at),
            topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
        else { return }
        tally.qualified += 1

        // The conversion: counterparty and contacts into the book, then the lead converted.
        guard random.chance(0.9) else { return }
        at = later(at, 3_600...(3 * 86_400))
        let counterparty = UUID()
        let taxDigits = String(number % 100_000_000)
        let taxId = "77" + String(repeating: "0", count: 8 - taxDigits.count) + taxDigits
        guard try emit(
            CounterpartyRegistered(counterpartyId: counterparty, name: company, taxId: taxId, kind: "prospect"),
            topic: Topic.leadsEvents, source: .leads, key: counterparty.uuidString.lowercased(), at: at)
        else { return }
        var contacts = [
            ContactSnapshot(
                contactId: UUID(), name: name, counterpartyId: counterparty, managerId: manager,
                phones: [ContactPhone(e164: phone, raw: phoneRaw)], emails: [email], marketingConsent: false)
        ]
        if random.chance(0.5) {
            contacts.append(
                ContactSnapshot(
                    contactId: UUID(), name: "\(random.pick(firstNames)) \(random.pick(lastNames))", counterpartyId: counterparty,
                    managerId: manager, phones: [], emails: ["buh\(number).\(context.tag)@bench-mail.test"], marketingConsent: false))
        }
        for contact in contacts {
            at = later(at, 1...5)
            guard try emit(
                ContactRegistered(contact: contact), topic: Topic.leadsEvents, source: .leads, key: contact.contactId.uuidString.lowercased(),
                at: at)
            else { return }
        }
        at = later(at, 1...5)
        guard try emit(
            LeadConverted(
                leadId: lead, counterpartyId: counterparty, contactIds: contacts.map(\.contactId), managerId: manager,
                departmentCode: department, needs: "Климатическая камера КТК-800, 2 шт.; монтаж и пусконаладка", channel: leadChannel,
                correlationId: correlation, convertedAt: at,
                counterparty: CounterpartySnapshot(counterpartyId: counterparty, name: company, taxId: taxId, kind: "prospect"),
                contacts: contacts),
            topic: Topic.leadsEvents, source: .leads, key: leadKey, at: at)
        else { return }
        tally.converted += 1

        // The deal.
        at = later(at, 10...600)
        let deal = UUID()
        let dealKey = deal.uuidString.lowercased()
        let total = Money(Decimal(Int.random(in: 50_000_00...25_000_000_00, using: &random)) / 100, "RUB")
        guard try emit(
            DealOpened(
                dealId: deal, leadId: lead, counterpartyName: company, managerId: manager, departmentCode: department, stage: "selection",
                total: total, openedAt: at),
            topic: Topic.dealsEvents, source: .deals, key: dealKey, at: at)
        else { return }
        dealStage = "selection"

        if random.chance(0.3) {
            var updated = contacts[0]
            updated.phones.append(ContactPhone(e164: "+7495" + String(phone.suffix(7)), raw: "+7 495 \(phone.suffix(7))"))
            at = later(at, 3_600...86_400)
            guard try emit(
                ContactUpdated(contact: updated), topic: Topic.leadsEvents, source: .leads, key: updated.contactId.uuidString.lowercased(),
                at: at)
            else { return }
        }

        var stage = "selection"
        for (next, keepGoing) in [("offer", 0.85), ("contract", 0.8), ("fulfilment", 0.85), ("commissioning", 0.9), ("service", 0.95)] {
            at = later(at, (2 * 86_400)...(15 * 86_400))
            if random.chance(keepGoing) {
                guard try emit(
                    DealStageChanged(
                        dealId: deal, from: stage, to: next, probability: stageProbability[next] ?? 0, total: total, changedBy: manager,
                        changedAt: at),
                    topic: Topic.dealsEvents, source: .deals, key: dealKey, at: at)
                else { return }
                stage = next
                dealStage = next
            } else {
                if random.chance(0.6) { try lose(deal, key: dealKey, from: stage, by: manager, at: at) }
                return  // lost, or still open at this stage
            }
        }
        // In service: closed once paid and the service offer answered (the deals service sends the
        // stage change and `DealClosed` with the same instant).
        guard random.chance(0.85) else { return }
        at = later(at, (7 * 86_400)...(30 * 86_400))
        guard try emit(
            DealStageChanged(dealId: deal, from: stage, to: "closed", probability: 100, total: total, changedBy: manager, changedAt: at),
            topic: Topic.dealsEvents, source: .deals, key: dealKey, at: at)
        else { return }
        dealStage = "closed"
        _ = try emit(DealClosed(dealId: deal, total: total, closedAt: at), topic: Topic.dealsEvents, source: .deals, key: dealKey, at: at)
    }

    /// The stage change to `lost` and `DealLost`, with the same instant (as the deals service sends them).
    private mutating func lose(_ deal: UUID, key: String, from stage: String, by manager: UUID, at: Date) throws {
        let reason = random.pick(lostReasons)
        guard try emit(
            DealStageChanged(dealId: deal, from: stage, to: "lost", probability: 0, total: nil, changedBy: manager, changedAt: at),
            topic: Topic.dealsEvents, source: .deals, key: key, at: at)
        else { return }
        dealStage = "lost"
        _ = try emit(
            DealLost(dealId: deal, reason: reason, comment: "Клиент выбрал \"другого поставщика\"", lostAt: at), topic: Topic.dealsEvents,
            source: .deals, key: key, at: at)
    }
}

/// Chunk `index` of test 1's history: whole journeys (the last one perhaps cut short) of exactly `rows` events.
func historyChunk(_ index: Int, rows: Int, chunkSize: Int, context: HistoryContext) throws -> LogChunk {
    var writer = HistoryWriter(budget: rows, firstOffset: index * chunkSize, seed: 0x5EED_0000 &+ UInt64(index))
    var journeys = 0
    while !writer.full {
        try writer.journey(index * 10_000_000 + journeys, context: context)
        journeys += 1
    }
    return LogChunk(bytes: writer.rows.bytes, rows: writer.rows.count, journeys: journeys, tally: writer.tally)
}

/// Test 3's contacts: `ContactRegistered` with marketing consent and an e-mail of their own each
/// (`contact<n>.<tag>@bench-mail.test`), numbered from `first`.
func contactChunk(_ index: Int, rows: Int, first: Int, context: HistoryContext) throws -> LogChunk {
    var writer = HistoryWriter(budget: rows, firstOffset: 50_000_000 + first, seed: 0xC0_0000 &+ UInt64(index))
    let start = context.now.addingTimeInterval(-30 * 86_400)
    for number in first..<(first + rows) {
        writer.beginJourney()
        let digits = String(number % 10_000_000)
        let contact = ContactSnapshot(
            contactId: UUID(), name: "\(writer.random.pick(firstNames)) \(writer.random.pick(lastNames))", counterpartyId: nil,
            managerId: writer.random.pick(context.managers),
            phones: [ContactPhone(e164: "+7903" + String(repeating: "0", count: 7 - digits.count) + digits, raw: "+7 903 \(digits)")],
            emails: ["contact\(number).\(context.tag)@bench-mail.test"], marketingConsent: true)
        let at = start.addingTimeInterval(Double(number % 2_592_000))  // spread over 30 days
        _ = try writer.emit(
            ContactRegistered(contact: contact), topic: Topic.leadsEvents, source: .leads, key: contact.contactId.uuidString.lowercased(),
            at: at)
    }
    return LogChunk(bytes: writer.rows.bytes, rows: writer.rows.count, journeys: rows, tally: writer.tally)
}
