import Foundation
import Tabular

// CSV import of the dealer network (`POST /v1/imports/network`, `text/csv`): a company's dealers and
// their shops in one file, all or nothing. Every bad row is reported against the physical line where
// its record starts (the header is line 1); nothing is written unless every row is valid.

// MARK: - Columns

/// The network file's columns. Besides these, any number of `attr:<name>` columns carry the
/// dealer's free-form attributes.
enum NetworkColumn: Int, ImportColumn {
    case dealerCode, dealerName, legalName, taxId, region, tier, status, shopCode, shopName, shopCity

    var header: String {
        switch self {
        case .dealerCode: "dealer_code"
        case .dealerName: "dealer_name"
        case .legalName: "legal_name"
        case .taxId: "tax_id"
        case .region: "region"
        case .tier: "tier"
        case .status: "status"
        case .shopCode: "shop_code"
        case .shopName: "shop_name"
        case .shopCity: "shop_city"
        }
    }

    var isRequired: Bool {
        switch self {
        case .dealerCode, .dealerName, .legalName, .taxId, .region, .tier: true
        case .status, .shopCode, .shopName, .shopCity: false
        }
    }

    /// The columns that describe the dealer, which must agree on every row of the same dealer.
    static let dealerFields: [NetworkColumn] = [.dealerName, .legalName, .taxId, .region, .tier, .status]

    static var extraColumnPrefix: String? { "attr:" }

    /// A free attribute may not be called like a built-in dealer field: segment rules read `code`,
    /// `region`, `tier` and `status` from the dealer itself, so such an attribute would never be seen.
    static func extraColumnProblem(_ name: String) -> String? {
        guard DealerProfile.builtInAttributes.contains(name.lowercased()) else { return nil }
        return "attribute \(ImportText.quoted(name)) would be hidden by the dealer's own \(name.lowercased()); "
            + "free attributes cannot be called code, region, tier or status"
    }
}

// MARK: - Rows

/// A validated dealer, ready for the `dealers` table: taken from the first row the dealer appears on.
struct NetworkDealerRow: Sendable, Equatable {
    /// The first line the dealer appears on, for mapping database errors back to the file.
    var line: Int
    /// `^[A-Z0-9][A-Z0-9_-]*$`, e.g. `D-MSK-01`.
    var code: String
    var name: String
    var legalName: String
    /// The INN: 10 digits for a company, 12 for an individual entrepreneur.
    var taxId: String
    var region: String
    /// `gold`, `silver` or `bronze`.
    var tier: String
    /// `active` (the default), `suspended` or `closed`.
    var status: String
    /// From the `attr:<name>` columns with a value: POSIX decimals as numbers, `true`/`false` as
    /// flags, anything else as text.
    var attributes: [String: AttributeValue]
}

/// A validated shop, ready for the `shops` table. Its region is its dealer's region.
struct NetworkShopRow: Sendable, Equatable {
    /// The line the shop is on.
    var line: Int
    var dealerCode: String
    var code: String
    var name: String
    var city: String
}

/// Import of a company's dealer network (`POST /v1/imports/network`).
///
/// Columns (any order, case-insensitive): `dealer_code`, `dealer_name`, `legal_name`, `tax_id`,
/// `region` and `tier` are required; `status` (default `active`), `shop_code`, `shop_name` and
/// `shop_city` are optional, as are any number of `attr:<name>` columns. A row with a shop code adds
/// that shop to the row's dealer and then needs a shop name and city; a dealer with several shops
/// appears on several rows, and its dealer fields (attributes included) must agree on all of them,
/// otherwise the later line is reported. A repeated shop code is an error on the later line.
enum NetworkImport {
    /// The tiers of the `dealers.tier` check constraint.
    static let tiers: Set<String> = ["gold", "silver", "bronze"]
    /// The statuses of the `dealers.status` check constraint.
    static let statuses: Set<String> = ["active", "suspended", "closed"]

    /// A dealer field's value as first seen, and where.
    private struct Seen {
        var value: String
        var line: Int
    }

    /// What earlier rows said about one dealer, field by field (only valid values are kept).
    private struct KnownDealer {
        var fields: [NetworkColumn: Seen] = [:]
        /// By extra column index: the attribute value (nil when the cell was blank) and its line.
        var attributes: [Int: (value: AttributeValue?, line: Int)] = [:]
    }

    /// One valid row: its dealer, and the shop it adds when it has a shop code.
    private struct ParsedRow {
        var dealer: NetworkDealerRow
        var shop: NetworkShopRow?
    }

    /// Every dealer (in order of first appearance) and shop of the file, or every problem with it.
    static func parse(_ bytes: [UInt8]) -> Result<(dealers: [NetworkDealerRow], shops: [NetworkShopRow]), ImportFailure> {
        var known: [String: KnownDealer] = [:]
        var firstLineOfShop: [String: Int] = [:]
        let parsed = TabularImport.run(bytes, columns: NetworkColumn.self) { row -> ParsedRow? in
            var code: String?
            if let value = row.required(.dealerCode) {
                if ImportRules.isUpperCaseCode(value) {
                    code = value
                } else {
                    row.fail(.dealerCode, "dealer_code \(ImportText.quoted(value)) must be upper-case letters, digits, '_' and '-', starting with a letter or digit")
                }
            }
            let name = row.required(.dealerName)
            let legalName = row.required(.legalName)
            var taxId: String?
            if let value = row.required(.taxId) {
                if isTaxId(value) {
                    taxId = value
                } else {
                    row.fail(.taxId, "tax_id \(ImportText.quoted(value)) must be an INN: 10 digits for a company, 12 for an individual entrepreneur")
                }
            }
            let region = row.required(.region)
            var tier: String?
            if let value = row.required(.tier) {
                let lowered = value.lowercased()
                if tiers.contains(lowered) {
                    tier = lowered
                } else {
                    row.fail(.tier, "tier \(ImportText.quoted(value)) must be gold, silver or bronze")
                }
            }
            var status: String? = "active"
            if let value = row.value(.status) {
                let lowered = value.lowercased()
                if statuses.contains(lowered) {
                    status = lowered
                } else {
                    status = nil
                    row.fail(.status, "status \(ImportText.quoted(value)) must be active, suspended or closed")
                }
            }
            let extraColumns = row.layout.extraColumns
            let attributeValues = extraColumns.map { row.value($0).map(attributeValue) }

            var shop: NetworkShopRow?
            if let shopCode = row.value(.shopCode) {
                let shopName = row.value(.shopName)
                let shopCity = row.value(.shopCity)
                if shopName == nil { row.fail(.shopName, "shop_name is required when shop_code is given") }
                if shopCity == nil { row.fail(.shopCity, "shop_city is required when shop_code is given") }
                if let first = firstLineOfShop[shopCode] {
                    row.fail(.shopCode, "duplicate shop_code \(ImportText.quoted(shopCode)), first on line \(first)")
                } else {
                    firstLineOfShop[shopCode] = row.line
                }
                if let code, let shopName, let shopCity {
                    shop = NetworkShopRow(line: row.line, dealerCode: code, code: shopCode, name: shopName, city: shopCity)
                }
            } else if row.value(.shopName) != nil || row.value(.shopCity) != nil {
                row.fail(.shopCode, "shop_code is required when shop_name or shop_city is given")
            }

            // The same dealer on an earlier row: every dealer field valid on both rows must agree.
            if let code {
                let values: [NetworkColumn: String?] = [
                    .dealerName: name, .legalName: legalName, .taxId: taxId, .region: region, .tier: tier, .status: status,
                ]
                var dealer = known[code] ?? KnownDealer()
                for column in NetworkColumn.dealerFields {
                    guard let value = values[column] ?? nil else { continue }
                    if let seen = dealer.fields[column] {
                        if seen.value != value {
                            row.fail(column, "dealer \(code) has \(column.header) \(ImportText.quoted(seen.value)) on line \(seen.line), not \(ImportText.quoted(value))")
                        }
                    } else {
                        dealer.fields[column] = Seen(value: value, line: row.line)
                    }
                }
                for (column, value) in zip(extraColumns, attributeValues) {
                    if let seen = dealer.attributes[column.index] {
                        if seen.value != value {
                            row.fail(column, "dealer \(code) has \(column.header) \(describe(seen.value)) on line \(seen.line), not \(describe(value))")
                        }
                    } else {
                        dealer.attributes[column.index] = (value, row.line)
                    }
                }
                known[code] = dealer
            }

            guard row.problems.isEmpty, let code, let name, let legalName, let taxId, let region, let tier, let status else {
                return nil
            }
            var attributes: [String: AttributeValue] = [:]
            for (column, value) in zip(extraColumns, attributeValues) { attributes[column.name] = value }
            let dealer = NetworkDealerRow(
                line: row.line, code: code, name: name, legalName: legalName, taxId: taxId, region: region, tier: tier,
                status: status, attributes: attributes)
            return ParsedRow(dealer: dealer, shop: shop)
        }
        return parsed.map { rows in
            var dealers: [NetworkDealerRow] = []
            var seen: Set<String> = []
            var shops: [NetworkShopRow] = []
            for row in rows {
                if seen.insert(row.dealer.code).inserted { dealers.append(row.dealer) }
                if let shop = row.shop { shops.append(shop) }
            }
            return (dealers, shops)
        }
    }

    /// Parses the UTF-8 form of `text`.
    static func parse(_ text: String) -> Result<(dealers: [NetworkDealerRow], shops: [NetworkShopRow]), ImportFailure> {
        parse(Array(text.utf8))
    }

    /// A Russian INN: 10 digits (a company) or 12 (an individual entrepreneur). The check digits are
    /// not verified.
    static func isTaxId(_ value: String) -> Bool {
        let utf8 = value.utf8
        return (utf8.count == 10 || utf8.count == 12) && utf8.allSatisfy(ImportRules.isDigit)
    }

    /// An attribute cell's value: a POSIX decimal is a number, `true`/`false` (any case) a flag,
    /// anything else text as written.
    static func attributeValue(_ text: String) -> AttributeValue {
        if let number = ImportRules.posixDecimal(text) { return .number(number) }
        switch text.lowercased() {
        case "true": return .flag(true)
        case "false": return .flag(false)
        default: return .text(text)
        }
    }

    /// An attribute value for a message: quoted text, a number or flag as written, or "nothing".
    private static func describe(_ value: AttributeValue?) -> String {
        switch value {
        case nil: "nothing"
        case .text(let text): ImportText.quoted(text)
        case .number(let number): number.description
        case .flag(let flag): flag ? "true" : "false"
        }
    }
}
