/// The suite's Kafka topics. Each carries the events of one owning service.
public enum Topic {
    public static let ingestCalls = "dms.ingest.calls.v1"
    public static let ingestInquiries = "dms.ingest.inquiries.v1"
    public static let leadsEvents = "dms.leads.events.v1"
    public static let dealsEvents = "dms.deals.events.v1"
    public static let inventoryEvents = "dms.inventory.events.v1"
    public static let dealerInfoEvents = "dms.dealerinfo.events.v1"

    /// Every topic of the suite.
    public static let all = [ingestCalls, ingestInquiries, leadsEvents, dealsEvents, inventoryEvents, dealerInfoEvents]

    /// The dead-letter topic next to a topic.
    public static func deadLetter(of topic: String) -> String { topic + ".dlq" }
}

/// The six services, by executable name.
public enum ServiceName: String, CaseIterable, Sendable {
    case ingest
    case leads
    case deals
    case inventory
    case dealerInfo = "dealer-info"
    case reporting

    /// Topics the service publishes to (it creates them, with their dead-letter topics, at start-up).
    public var publishes: [String] {
        switch self {
        case .ingest: [Topic.ingestCalls, Topic.ingestInquiries]
        case .leads: [Topic.leadsEvents]
        case .deals: [Topic.dealsEvents]
        case .inventory: [Topic.inventoryEvents]
        case .dealerInfo: [Topic.dealerInfoEvents]
        case .reporting: []
        }
    }

    /// Topics the service consumes.
    public var consumes: [String] {
        switch self {
        case .ingest: []
        case .leads: [Topic.ingestCalls, Topic.ingestInquiries, Topic.dealsEvents]
        case .deals: [Topic.leadsEvents, Topic.inventoryEvents]
        case .inventory: [Topic.dealsEvents]
        case .dealerInfo: [Topic.inventoryEvents]
        case .reporting: Topic.all
        }
    }

    /// Default HTTP port on loopback.
    public var defaultPort: Int {
        switch self {
        case .ingest: 8081
        case .leads: 8082
        case .deals: 8083
        case .inventory: 8084
        case .dealerInfo: 8085
        case .reporting: 8086
        }
    }

    /// The prefix of the service's own environment variables: `DMS_DEALER_INFO_`.
    public var environmentPrefix: String {
        "DMS_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") + "_"
    }
}
