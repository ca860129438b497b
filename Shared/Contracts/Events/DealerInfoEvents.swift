import Foundation

// Events of the dealer-info service on `dms.dealerinfo.events.v1`, keyed by the publication id
// (releases) or by the dealer id (deliveries, receipts, reports). Additive changes only.

/// A publication was released to the dealers it was addressed to (resolved when published).
public struct PublicationReleased: EventPayload, Equatable {
    public static let eventType = "PublicationReleased"
    public static let eventVersion = 1
    public var publicationId: UUID
    public var series: String
    public var version: Int
    public var kind: String
    public var title: String
    /// How many dealers it was addressed to.
    public var recipients: Int
    public var publishedAt: Date
    /// A plan's targets (kind `plan`); nil for other kinds and from producers that predate it.
    public var targets: [PlanTargetValue]?
    public init(publicationId: UUID, series: String, version: Int, kind: String, title: String, recipients: Int, publishedAt: Date,
                targets: [PlanTargetValue]? = nil) {
        self.publicationId = publicationId
        self.series = series
        self.version = version
        self.kind = kind
        self.title = title
        self.recipients = recipients
        self.publishedAt = publishedAt
        self.targets = targets
    }
}

/// One target of a plan publication: what a dealer is to reach in a period.
public struct PlanTargetValue: Codable, Sendable, Equatable {
    public var dealerCode: String
    /// A month (`2027-01`) or a quarter (`2027-Q1`).
    public var period: String
    /// What is measured, e.g. `revenue`.
    public var metric: String
    public var target: Decimal
    public init(dealerCode: String, period: String, metric: String, target: Decimal) {
        self.dealerCode = dealerCode
        self.period = period
        self.metric = metric
        self.target = target
    }
}

/// A dealer took a publication from its feed (the first time).
public struct PublicationDelivered: EventPayload, Equatable {
    public static let eventType = "PublicationDelivered"
    public static let eventVersion = 1
    public var publicationId: UUID
    public var dealerId: UUID
    public var dealerCode: String
    public var series: String
    public var version: Int
    public var deliveredAt: Date
    public init(publicationId: UUID, dealerId: UUID, dealerCode: String, series: String, version: Int, deliveredAt: Date) {
        self.publicationId = publicationId
        self.dealerId = dealerId
        self.dealerCode = dealerCode
        self.series = series
        self.version = version
        self.deliveredAt = deliveredAt
    }
}

/// A dealer said it applied a publication (or rejected it, with a reason).
public struct PublicationAcknowledged: EventPayload, Equatable {
    public static let eventType = "PublicationAcknowledged"
    public static let eventVersion = 1
    public var publicationId: UUID
    public var dealerId: UUID
    public var dealerCode: String
    public var series: String
    public var version: Int
    /// `applied` or `rejected`.
    public var status: String
    public var appliedVersion: Int?
    public var reason: String?
    /// Time from release to this receipt, in seconds.
    public var lagSeconds: Double
    public var acknowledgedAt: Date
    public init(publicationId: UUID, dealerId: UUID, dealerCode: String, series: String, version: Int, status: String, appliedVersion: Int?,
                reason: String?, lagSeconds: Double, acknowledgedAt: Date) {
        self.publicationId = publicationId
        self.dealerId = dealerId
        self.dealerCode = dealerCode
        self.series = series
        self.version = version
        self.status = status
        self.appliedVersion = appliedVersion
        self.reason = reason
        self.lagSeconds = lagSeconds
        self.acknowledgedAt = acknowledgedAt
    }
}

/// A dealer skipped versions of a series addressed to it: it should take the snapshot.
public struct DealerBehind: EventPayload, Equatable {
    public static let eventType = "DealerBehind"
    public static let eventVersion = 1
    public var dealerId: UUID
    public var dealerCode: String
    public var series: String
    public var heldVersion: Int
    public var latestVersion: Int
    public var missingVersions: [Int]
    public var detectedAt: Date
    public init(dealerId: UUID, dealerCode: String, series: String, heldVersion: Int, latestVersion: Int, missingVersions: [Int], detectedAt: Date) {
        self.dealerId = dealerId
        self.dealerCode = dealerCode
        self.series = series
        self.heldVersion = heldVersion
        self.latestVersion = latestVersion
        self.missingVersions = missingVersions
        self.detectedAt = detectedAt
    }
}

/// A shop's daily sales report was received (or replaced by a corrected version).
public struct DealerSalesReported: EventPayload, Equatable {
    public static let eventType = "DealerSalesReported"
    public static let eventVersion = 1
    public var reportId: UUID
    public var dealerId: UUID
    public var dealerCode: String
    public var shopCode: String
    public var day: String
    public var version: Int
    public var currency: String
    public var sales: Decimal
    public var returns: Decimal
    public var discounts: Decimal
    public var net: Decimal
    public var receipts: Int
    public var reportedAt: Date
    public init(reportId: UUID, dealerId: UUID, dealerCode: String, shopCode: String, day: String, version: Int, currency: String, sales: Decimal,
                returns: Decimal, discounts: Decimal, net: Decimal, receipts: Int, reportedAt: Date) {
        self.reportId = reportId
        self.dealerId = dealerId
        self.dealerCode = dealerCode
        self.shopCode = shopCode
        self.day = day
        self.version = version
        self.currency = currency
        self.sales = sales
        self.returns = returns
        self.discounts = discounts
        self.net = net
        self.receipts = receipts
        self.reportedAt = reportedAt
    }
}

/// A check on a shop's report flagged something for head office to review (never dropped).
public struct DealerAnomalyFlagged: EventPayload, Equatable {
    public static let eventType = "DealerAnomalyFlagged"
    public static let eventVersion = 1
    public var reportId: UUID
    public var dealerId: UUID
    public var dealerCode: String
    public var shopCode: String
    public var day: String
    public var kind: String
    public var receipt: String?
    public var sku: String?
    public var detail: String
    public var flaggedAt: Date
    public init(reportId: UUID, dealerId: UUID, dealerCode: String, shopCode: String, day: String, kind: String, receipt: String?, sku: String?,
                detail: String, flaggedAt: Date) {
        self.reportId = reportId
        self.dealerId = dealerId
        self.dealerCode = dealerCode
        self.shopCode = shopCode
        self.day = day
        self.kind = kind
        self.receipt = receipt
        self.sku = sku
        self.detail = detail
        self.flaggedAt = flaggedAt
    }
}
