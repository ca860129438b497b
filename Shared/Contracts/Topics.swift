import Foundation

/// The suite's Kafka topics. Each carries the events of one owning service.
///
/// `DMS_TOPIC_PREFIX` (read once, at first use) is put in front of every name, so that several
/// suites can share one cluster without reading each other's events: a staging and a test suite,
/// or a benchmark's services beside the demo suite (`bench.<tag>.dms.leads.events.v1`). Every
/// service of one suite must have the same prefix; by default there is none.
public enum Topic {
    public static let prefix = ProcessInfo.processInfo.environment["DMS_TOPIC_PREFIX"] ?? ""
    public static let ingestCalls = prefix + "dms.ingest.calls.v1"
    public static let ingestInquiries = prefix + "dms.ingest.inquiries.v1"
    public static let leadsEvents = prefix + "dms.leads.events.v1"
    public static let dealsEvents = prefix + "dms.deals.events.v1"
    public static let inventoryEvents = prefix + "dms.inventory.events.v1"
    public static let dealerInfoEvents = prefix + "dms.dealerinfo.events.v1"

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
