import Foundation
import Tabular

// CSV import of the catalog (`POST /v1/imports/catalog`) and of opening stock (`POST /v1/imports/stock`).
//
// An import is all-or-nothing per file: every bad row is reported against the physical line where its
// record starts (the header is line 1), and nothing is written unless every row is valid. Valid rows are
// rendered as PostgreSQL `COPY … FROM STDIN` text-format lines, so the database load is one round trip.
//
// Reading CSV, the header and row loop, problems and COPY text are the shared `Tabular` module; this
// file holds the inventory's columns and rules.

// MARK: - Inventory value rules

extension ImportRules {
    /// 1–64 characters of `[A-Za-z0-9._-]`: SKUs appear in URLs, barcode labels and file names.
    static func isSKU(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard (1...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// `[a-z0-9_]+`: equipment types are identifiers used in reporting and configuration.
    static func isEquipmentType(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { byte in
            isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
        }
    }

    /// `^[A-Z0-9][A-Z0-9_-]*$`, the same check as the `warehouses.code` column.
    static func isWarehouseCode(_ value: String) -> Bool { isUpperCaseCode(value) }

    /// The 14-digit form of a GTIN-8/12/13/14 with a valid GS1 check digit, or nil.
    static func gtin14(_ value: String) -> String? {
        let digits = Array(value.utf8)
        guard [8, 12, 13, 14].contains(digits.count), digits.allSatisfy(isDigit),
              gs1CheckDigitIsValid(digits) else { return nil }
        return String(repeating: "0", count: 14 - digits.count) + value
    }

    /// GS1 mod-10: from the right, excluding the check digit, weights alternate 3, 1, 3, …; the check
    /// digit brings the weighted sum up to a multiple of ten. `digits` are ASCII digits.
    private static func gs1CheckDigitIsValid(_ digits: [UInt8]) -> Bool {
        guard let check = digits.last else { return false }
        var sum = 0
        for (offset, digit) in digits.dropLast().reversed().enumerated() {
            sum += Int(digit - UInt8(ascii: "0")) * (offset.isMultiple(of: 2) ? 3 : 1)
        }
        return (10 - sum % 10) % 10 == Int(check - UInt8(ascii: "0"))
    }
}

// MARK: - Catalog

/// The catalog file's columns.
enum CatalogColumn: Int, ImportColumn {
    case sku, name, equipmentType, unit, sourcing, defaultSupplier, lotTracked, shelfLifeDays, gtin

    var header: String {
        switch self {
        case .sku: "sku"
        case .name: "name"
        case .equipmentType: "equipment_type"
        case .unit: "unit"
        case .sourcing: "sourcing"
        case .defaultSupplier: "default_supplier"
        case .lotTracked: "lot_tracked"
        case .shelfLifeDays: "shelf_life_days"
        case .gtin: "gtin"
        }
    }

    var isRequired: Bool {
        switch self {
        case .sku, .name, .equipmentType, .sourcing: true
        case .unit, .defaultSupplier, .lotTracked, .shelfLifeDays, .gtin: false
        }
    }
}

/// A validated catalog row, ready for the `products` table.
struct CatalogRow: Sendable, Equatable {
    /// The line where the row's record starts, for mapping database errors back to the file.
    var line: Int
    var sku: String
    var name: String
    var equipmentType: String
    var unit: String
    /// The module's `Sourcing` (Domain/Allocation.swift); `purchased` products need a default supplier.
    var sourcing: Sourcing
    var defaultSupplier: String?
    var lotTracked: Bool
    var shelfLifeDays: Int?
    /// Normalised to 14 digits (GTIN-14) with leading zeros.
    var gtin: String?
}

/// Import of the product catalog (`POST /v1/imports/catalog`).
///
/// Columns (any order, case-insensitive): `sku`, `name`, `equipment_type`, `sourcing` are required;
/// `unit` (default `pcs`), `default_supplier` (required when sourcing is `purchased`), `lot_tracked`
/// (`true/false/yes/no/1/0`, default false), `shelf_life_days` (required for lot-tracked products) and
/// `gtin` are optional. A repeated sku or GTIN is an error on the later line: the database would
/// reject it anyway, but without saying where.
enum CatalogImport {
    /// Every row of the file, or every problem with it.
    static func parse(_ bytes: [UInt8]) -> Result<[CatalogRow], ImportFailure> {
        var firstLineOfSKU: [String: Int] = [:]
        var firstLineOfGTIN: [String: Int] = [:]
        return TabularImport.run(bytes, columns: CatalogColumn.self) { row in
            var sku: String?
            if let value = row.required(.sku) {
                if ImportRules.isSKU(value) {
                    sku = value
                    if let first = firstLineOfSKU[value] {
                        row.fail(.sku, "duplicate sku \(ImportText.quoted(value)), first on line \(first)")
                    } else {
                        firstLineOfSKU[value] = row.line
                    }
                } else {
                    row.fail(.sku, "sku \(ImportText.quoted(value)) must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-'")
                }
            }
            let name = row.required(.name)
            var equipmentType: String?
            if let value = row.required(.equipmentType) {
                if ImportRules.isEquipmentType(value) {
                    equipmentType = value
                } else {
                    row.fail(.equipmentType, "equipment_type \(ImportText.quoted(value)) must be lower-case letters, digits and '_'")
                }
            }
            let unit = row.value(.unit) ?? "pcs"
            var sourcing: Sourcing?
            if let value = row.required(.sourcing) {
                sourcing = Sourcing(rawValue: value.lowercased())
                if sourcing == nil {
                    row.fail(.sourcing, "sourcing \(ImportText.quoted(value)) must be stocked, manufactured or purchased")
                }
            }
            let supplier = row.value(.defaultSupplier)
            if sourcing == .purchased && supplier == nil {
                row.fail(.defaultSupplier, "default_supplier is required when sourcing is purchased")
            }
            var lotTracked = false
            if let value = row.value(.lotTracked) {
                if let flag = ImportRules.bool(value) {
                    lotTracked = flag
                } else {
                    row.fail(.lotTracked, "lot_tracked \(ImportText.quoted(value)) must be true, false, yes, no, 1 or 0")
                }
            }
            var shelfLife: Int?
            if let value = row.value(.shelfLifeDays) {
                shelfLife = ImportRules.positiveInt32(value)
                if shelfLife == nil {
                    row.fail(.shelfLifeDays, "shelf_life_days \(ImportText.quoted(value)) must be a positive whole number of days")
                }
            } else if lotTracked {
                row.fail(.shelfLifeDays, "shelf_life_days is required when lot_tracked is true")
            }
            var gtin: String?
            if let value = row.value(.gtin) {
                gtin = ImportRules.gtin14(value)
                if let gtin {
                    if let first = firstLineOfGTIN[gtin] {
                        row.fail(.gtin, "duplicate gtin \(gtin), first on line \(first)")
                    } else {
                        firstLineOfGTIN[gtin] = row.line
                    }
                } else {
                    row.fail(.gtin, "gtin \(ImportText.quoted(value)) must be 8, 12, 13 or 14 digits with a valid check digit")
                }
            }
            guard row.problems.isEmpty, let sku, let name, let equipmentType, let sourcing else { return nil }
            return CatalogRow(
                line: row.line, sku: sku, name: name, equipmentType: equipmentType, unit: unit, sourcing: sourcing,
                defaultSupplier: supplier, lotTracked: lotTracked, shelfLifeDays: shelfLife, gtin: gtin)
        }
    }

    /// Parses the UTF-8 form of `text`.
    static func parse(_ text: String) -> Result<[CatalogRow], ImportFailure> { parse(Array(text.utf8)) }

    /// The rows as `COPY … FROM STDIN` text-format data, columns in this order:
    /// `sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked (t/f),
    /// shelf_life_days, gtin`. Absent optional values are `\N` (NULL).
    static func copyText(_ rows: [CatalogRow]) -> [UInt8] {
        var writer = CopyTextWriter(reservingCapacity: rows.count * 96)
        for row in rows {
            writer.field(row.sku)
            writer.field(row.name)
            writer.field(row.equipmentType)
            writer.field(row.unit)
            writer.field(row.sourcing.rawValue)
            writer.field(row.defaultSupplier)
            writer.field(row.lotTracked ? "t" : "f")
            writer.field(row.shelfLifeDays.map(String.init))
            writer.field(row.gtin)
            writer.endRow()
        }
        return writer.bytes
    }
}

// MARK: - Stock

/// The opening-stock file's columns.
enum StockColumn: Int, ImportColumn {
    case sku, warehouse, quantity, lot, producedOn, expiresOn

    var header: String {
        switch self {
        case .sku: "sku"
        case .warehouse: "warehouse"
        case .quantity: "quantity"
        case .lot: "lot"
        case .producedOn: "produced_on"
        case .expiresOn: "expires_on"
        }
    }

    var isRequired: Bool {
        switch self {
        case .sku, .warehouse, .quantity: true
        case .lot, .producedOn, .expiresOn: false
        }
    }
}

/// A validated opening-stock row: a receipt of `quantity` of `sku` into `warehouse`, in a lot when given.
struct StockRow: Sendable, Equatable {
    /// The line where the row's record starts, for mapping database errors back to the file.
    var line: Int
    var sku: String
    var warehouse: String
    /// Greater than zero, at most 3 fractional digits (`numeric(18, 3)`).
    var quantity: Decimal
    /// The lot (series); nil for stock that is not lot-tracked.
    var lot: String?
    var producedOn: ISODate?
    var expiresOn: ISODate?
}

/// Import of opening stock (`POST /v1/imports/stock`).
///
/// Columns (any order, case-insensitive): `sku`, `warehouse`, `quantity` are required; `lot`,
/// `produced_on` and `expires_on` are optional. Dates belong to a lot (they are stored on `lots`), so
/// they need one, and the same lot of a SKU must carry the same dates on every line. A repeated
/// (sku, warehouse, lot) is an error on the later line, so nobody's stock is silently doubled.
/// Whether the SKU and warehouse exist is for the database to say.
enum StockImport {
    private struct Key: Hashable {
        var sku: String
        var warehouse: String
        var lot: String?
    }

    private struct LotKey: Hashable {
        var sku: String
        var lot: String
    }

    private struct LotDates {
        var line: Int
        var producedOn: ISODate?
        var expiresOn: ISODate?
    }

    /// Every row of the file, or every problem with it.
    static func parse(_ bytes: [UInt8]) -> Result<[StockRow], ImportFailure> {
        var firstLineOfKey: [Key: Int] = [:]
        var datesOfLot: [LotKey: LotDates] = [:]
        return TabularImport.run(bytes, columns: StockColumn.self) { row in
            var sku: String?
            if let value = row.required(.sku) {
                if ImportRules.isSKU(value) {
                    sku = value
                } else {
                    row.fail(.sku, "sku \(ImportText.quoted(value)) must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-'")
                }
            }
            var warehouse: String?
            if let value = row.required(.warehouse) {
                if ImportRules.isWarehouseCode(value) {
                    warehouse = value
                } else {
                    row.fail(.warehouse, "warehouse \(ImportText.quoted(value)) must be upper-case letters, digits, '_' and '-', starting with a letter or digit")
                }
            }
            var quantity: Decimal?
            if let value = row.required(.quantity) {
                switch ImportRules.quantity(value) {
                case .success(let number): quantity = number
                case .failure(let error): row.fail(.quantity, "quantity \(ImportText.quoted(value)) \(error.message)")
                }
            }
            let lot = row.value(.lot)
            var producedOn: ISODate?
            var datesValid = true
            if let value = row.value(.producedOn) {
                producedOn = ISODate(value)
                if producedOn == nil {
                    row.fail(.producedOn, "produced_on \(ImportText.quoted(value)) must be a real date written YYYY-MM-DD")
                    datesValid = false
                }
            }
            var expiresOn: ISODate?
            if let value = row.value(.expiresOn) {
                expiresOn = ISODate(value)
                if expiresOn == nil {
                    row.fail(.expiresOn, "expires_on \(ImportText.quoted(value)) must be a real date written YYYY-MM-DD")
                    datesValid = false
                }
            }
            if let producedOn, let expiresOn, expiresOn < producedOn {
                row.fail(.expiresOn, "expires_on \(expiresOn) is before produced_on \(producedOn)")
                datesValid = false
            }
            if lot == nil && (row.value(.producedOn) != nil || row.value(.expiresOn) != nil) {
                row.fail(.lot, "lot is required when produced_on or expires_on is given (dates belong to a lot)")
                datesValid = false
            }
            if let sku, let warehouse {
                let key = Key(sku: sku, warehouse: warehouse, lot: lot)
                if let first = firstLineOfKey[key] {
                    let what = lot.map { "lot \(ImportText.quoted($0)) of " } ?? ""
                    row.fail(.sku, "duplicate row: \(what)sku \(sku) in warehouse \(warehouse) is already on line \(first)")
                } else {
                    firstLineOfKey[key] = row.line
                }
            }
            if let sku, let lot, datesValid {
                let key = LotKey(sku: sku, lot: lot)
                if let known = datesOfLot[key] {
                    if known.producedOn != producedOn {
                        row.fail(.producedOn, "lot \(ImportText.quoted(lot)) of sku \(sku) has a different produced_on on line \(known.line)")
                    }
                    if known.expiresOn != expiresOn {
                        row.fail(.expiresOn, "lot \(ImportText.quoted(lot)) of sku \(sku) has a different expires_on on line \(known.line)")
                    }
                } else {
                    datesOfLot[key] = LotDates(line: row.line, producedOn: producedOn, expiresOn: expiresOn)
                }
            }
            guard row.problems.isEmpty, let sku, let warehouse, let quantity else { return nil }
            return StockRow(
                line: row.line, sku: sku, warehouse: warehouse, quantity: quantity, lot: lot,
                producedOn: producedOn, expiresOn: expiresOn)
        }
    }

    /// Parses the UTF-8 form of `text`.
    static func parse(_ text: String) -> Result<[StockRow], ImportFailure> { parse(Array(text.utf8)) }

    /// The rows as `COPY … FROM STDIN` text-format data, columns in this order:
    /// `sku, warehouse, lot, produced_on, expires_on, quantity, line` — dates as `YYYY-MM-DD`, the
    /// quantity with `.` as the decimal separator, and the file line last so that a staging table can
    /// map a database error (an unknown sku or warehouse) back to the line it came from.
    static func copyText(_ rows: [StockRow]) -> [UInt8] {
        var writer = CopyTextWriter(reservingCapacity: rows.count * 64)
        for row in rows {
            writer.field(row.sku)
            writer.field(row.warehouse)
            writer.field(row.lot)
            writer.field(row.producedOn?.description)
            writer.field(row.expiresOn?.description)
            writer.field(row.quantity.description)
            writer.field(String(row.line))
            writer.endRow()
        }
        return writer.bytes
    }
}
