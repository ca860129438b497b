import Foundation

// What the benchmark creates: the dealer network, the price lists and the shops' daily reports.
// Everything is derived from indices, so two runs with the same sizes send the same data.

/// Regions of the network, each with the city its shops are in.
let regions: [(code: String, city: String)] = [
    ("msk", "Moscow"), ("spb", "Saint Petersburg"), ("urals", "Yekaterinburg"), ("siberia", "Novosibirsk"),
    ("volga", "Kazan"), ("south", "Krasnodar"), ("northwest", "Kaliningrad"), ("fareast", "Vladivostok"),
]

struct BenchDealer: Sendable {
    var index: Int
    var code: String
    var region: String
    var city: String
    /// 20 % gold, 30 % silver, 50 % bronze.
    var tier: String
    var turnoverClass: String

    init(_ index: Int) {
        self.index = index
        code = "BD-\(String(format: "%04d", index + 1))"
        let region = regions[index % regions.count]
        self.region = region.code
        city = region.city
        switch index % 10 {
        case 0, 1: tier = "gold"
        case 2, 3, 4: tier = "silver"
        default: tier = "bronze"
        }
        turnoverClass = ["A", "B", "B", "C", "C"][(index / 3) % 5]
    }

    /// `PUT /v1/dealers/{code}`.
    var body: Body {
        Body(
            name: "Bench dealer \(index + 1)", legalName: "OOO Bench Dealer \(index + 1)", taxId: "77\(String(format: "%08d", index + 1))",
            region: region, tier: tier,
            attributes: .init(turnoverClass: turnoverClass, serviceCenter: index % 4 == 0, employees: 5 + (index * 7) % 60))
    }

    struct Body: Encodable {
        var name: String
        var legalName: String
        var taxId: String
        var region: String
        var tier: String
        var attributes: Attributes
    }

    struct Attributes: Encodable {
        var turnoverClass: String
        var serviceCenter: Bool
        var employees: Int

        enum CodingKeys: String, CodingKey {
            case turnoverClass = "turnover_class", serviceCenter = "service_center", employees
        }
    }
}

struct BenchShop: Sendable {
    var index: Int
    var code: String
    /// Index of its dealer.
    var dealer: Int

    /// Shops are dealt out to the dealers in turn (3,000 over 170: 17 or 18 each).
    init(_ index: Int, dealers: Int) {
        self.index = index
        code = "BS-\(String(format: "%05d", index + 1))"
        dealer = index % dealers
    }

    /// `PUT /v1/dealers/{code}/shops/{shop}`.
    func body(_ dealer: BenchDealer) -> Body {
        Body(name: "Bench shop \(index + 1)", region: dealer.region, city: dealer.city)
    }

    struct Body: Encodable {
        var name: String
        var region: String
        var city: String
    }
}

// MARK: Price lists

/// One price of the benchmark's list, in kopecks (so that no binary floating point is involved).
struct Price: Sendable {
    var sku: String
    var cents: Int

    var amount: Decimal { Decimal(cents) / 100 }
}

/// Version 1 of the price list: `count` SKUs at 10.00 to 9,009.99 RUB.
func priceListV1(count: Int) -> [Price] {
    (0..<count).map { index in Price(sku: "BP-\(String(format: "%05d", index + 1))", cents: 1_000 + (index &* 7_919) % 900_000) }
}

/// Version 2: 1 % of the prices up by 5 % (every index ≡ 17 mod 100), 0.5 % of the SKUs removed
/// (every index ≡ 53 mod 200; never one of the changed ones).
func priceListV2(_ v1: [Price]) -> (items: [Price], changed: Int, removed: Int) {
    var items: [Price] = []
    var changed = 0
    var removed = 0
    for (index, price) in v1.enumerated() {
        if index % 200 == 53 {
            removed += 1
        } else if index % 100 == 17 {
            changed += 1
            items.append(Price(sku: price.sku, cents: price.cents * 105 / 100))
        } else {
            items.append(price)
        }
    }
    return (items, changed, removed)
}

/// `POST /v1/publications`.
struct PublicationPost: Encodable {
    var series: String
    var title: String?
    var addressing: Addressing
    var items: [Item]?
    var content: [String: Int]?

    struct Addressing: Encodable {
        var all: Bool?
        var dealers: [String]?

        static let everyone = Addressing(all: true, dealers: nil)
        static func only(_ codes: [String]) -> Addressing { Addressing(all: nil, dealers: codes) }
    }

    struct Item: Encodable {
        var sku: String
        var price: Decimal
        var currency: String
    }

    static func priceList(_ series: String, _ prices: [Price], title: String) -> PublicationPost {
        PublicationPost(
            series: series, title: title, addressing: .everyone,
            items: prices.map { Item(sku: $0.sku, price: $0.amount, currency: "RUB") }, content: nil)
    }

    static func promotion(_ series: String, number: Int, to addressing: Addressing) -> PublicationPost {
        PublicationPost(
            series: series, title: "Bench promotion \(number)", addressing: addressing, items: nil,
            content: ["discountPercent": 3 + number % 5, "minimumQuantity": 2])
    }
}

/// What `POST /v1/publications` answers (the fields the benchmark reads).
struct Published: Decodable {
    var id: UUID
    var version: Int
    var recipients: Int?
}

// MARK: Shops' daily reports

/// `POST /v1/dealer/sales-reports`: a day of `receipts` sales of 3 lines each, every line a SKU of
/// the current price list at its list price, every receipt within opening hours, so that no
/// anomaly rule fires and the intake does the full work of a clean report.
struct ReportPost: Encodable {
    var shopCode: String
    var day: String
    var currency: String
    var receipts: [Receipt]

    struct Receipt: Encodable {
        var number: String
        var time: String
        var payment: String
        var kind: String
        var lines: [Line]
    }

    struct Line: Encodable {
        var sku: String
        var quantity: Int
        var unitPrice: Decimal
        var discount: Decimal
    }

    static let linesPerReceipt = 3

    init(shop: BenchShop, day: String, receipts count: Int, prices: [Price]) {
        shopCode = shop.code
        self.day = day
        currency = "RUB"
        receipts = (0..<count).map { number in
            // 09:00 to 20:59, the default opening hours.
            let minute = 9 * 60 + (number * 37 + shop.index * 11) % (12 * 60)
            let lines = (0..<Self.linesPerReceipt).map { line in
                let price = prices[(shop.index * 7_919 + number * Self.linesPerReceipt + line) % prices.count]
                return Line(sku: price.sku, quantity: 1 + (number + line) % 3, unitPrice: price.amount, discount: 0)
            }
            return Receipt(
                number: "\(shop.code)-\(number + 1)", time: String(format: "%02d:%02d", minute / 60, minute % 60),
                payment: number % 3 == 0 ? "cash" : "card", kind: "sale", lines: lines)
        }
    }
}

/// What the intake answers (the fields the benchmark reads).
struct Intake: Decodable {
    var changed: Bool
    var report: Report

    struct Report: Decodable {
        var version: Int
        var anomalies: [Flag]
    }

    struct Flag: Decodable {
        var kind: String
    }
}

/// Yesterday in UTC, `YYYY-MM-DD`: the day the shops report.
func yesterday() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date().addingTimeInterval(-86_400))
}
