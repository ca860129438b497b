import Foundation
import Tabular
import Testing

@testable import InventoryCore

@Suite("Inventory: CSV import")
struct CSVImportTests {
    // The CSV reader itself is tested in TabularTests; these are the catalog and stock rules.

    // MARK: Catalog

    private static let catalogHeader = "sku,name,equipment_type,unit,sourcing,default_supplier,lot_tracked,shelf_life_days,gtin\n"

    @Test("a valid catalog file gives typed rows with defaults applied and GTINs normalised to 14 digits")
    func catalogHappyPath() throws {
        let csv = Self.catalogHeader + """
            PMP-100,Pump,pump,,stocked,,,,4006381333931
            VLV.2_a,"Valve, brass",valve,pcs,Purchased,ACME,yes,365,12345670
            KIT-9,Kit,kit,set,manufactured,,0,,036000291452
            """
        let rows = try CatalogImport.parse(csv).get()
        #expect(rows == [
            CatalogRow(line: 2, sku: "PMP-100", name: "Pump", equipmentType: "pump", unit: "pcs", sourcing: .stocked,
                       defaultSupplier: nil, lotTracked: false, shelfLifeDays: nil, gtin: "04006381333931"),
            CatalogRow(line: 3, sku: "VLV.2_a", name: "Valve, brass", equipmentType: "valve", unit: "pcs", sourcing: .purchased,
                       defaultSupplier: "ACME", lotTracked: true, shelfLifeDays: 365, gtin: "00000012345670"),
            CatalogRow(line: 4, sku: "KIT-9", name: "Kit", equipmentType: "kit", unit: "set", sourcing: .manufactured,
                       defaultSupplier: nil, lotTracked: false, shelfLifeDays: nil, gtin: "00036000291452"),
        ])
    }

    @Test("columns are matched by name in any order, ignoring case and surrounding spaces")
    func catalogColumnOrder() throws {
        let rows = try CatalogImport.parse(" Sourcing ,NAME,sku,Equipment_Type\nstocked,Pump,P-1,pump\n").get()
        #expect(rows.map(\.sku) == ["P-1"])
        #expect(rows.first?.name == "Pump")
    }

    @Test("quoted names keep commas, doubled quotes and newlines; the next row's line number is still right")
    func catalogQuotedNames() {
        let csv = """
            sku,name,equipment_type,sourcing
            A-1,"Monitor 24"", matte
            second line",display,stocked
            A-2,Cable,cable,bought
            """
        let result = CatalogImport.parse(csv)
        #expect(problems(result) == [ImportProblem(line: 4, column: "sourcing", message: "sourcing \"bought\" must be stocked, manufactured or purchased")])
        let fixed = CatalogImport.parse(csv.replacingOccurrences(of: "bought", with: "stocked"))
        #expect((try? fixed.get())?.first?.name == "Monitor 24\", matte\nsecond line")
    }

    @Test("a CRLF file with a byte order mark parses like a plain one")
    func catalogCRLFAndBOM() throws {
        let csv = "sku,name,equipment_type,sourcing\r\nA-1,Pump,pump,stocked\r\nA-2,Fan,fan,stocked\r\n"
        let rows = try CatalogImport.parse([0xEF, 0xBB, 0xBF] + Array(csv.utf8)).get()
        #expect(rows.map(\.sku) == ["A-1", "A-2"])
        #expect(rows.map(\.line) == [2, 3])
        #expect(rows.map(\.name) == ["Pump", "Fan"])
    }

    @Test("a semicolon-separated Russian Excel export with Cyrillic names round-trips to COPY text")
    func catalogCyrillicSemicolons() throws {
        let csv = "\u{FEFF}sku;name;equipment_type;sourcing;default_supplier\r\n"
            + "NS-1;Насос центробежный «Гном» 16-16;pump;purchased;ООО «Ромашка»\r\n"
            + ";;;;\r\n"
        let rows = try CatalogImport.parse(csv).get()
        #expect(rows.count == 1)
        #expect(rows.first?.name == "Насос центробежный «Гном» 16-16")
        #expect(rows.first?.defaultSupplier == "ООО «Ромашка»")
        let copy = String(decoding: CatalogImport.copyText(rows), as: UTF8.self)
        #expect(copy.contains("\tНасос центробежный «Гном» 16-16\t"))
    }

    @Test("a Cyrillic sku is rejected: skus are ASCII")
    func catalogCyrillicSKU() {
        let result = CatalogImport.parse("sku;name;equipment_type;sourcing\nНС-1;Насос;pump;stocked\n")
        #expect(problems(result).map(\.column) == ["sku"])
    }

    /// One failing catalog row and the column it must be blamed on.
    struct CatalogCase: Sendable, CustomTestStringConvertible {
        var rule: String
        var row: String
        var column: String
        var testDescription: String { rule }
    }

    @Test("each catalog column rule rejects a bad value on the right line and column", arguments: [
        CatalogCase(rule: "sku is required", row: ",Pump,pump,,stocked,,,,", column: "sku"),
        CatalogCase(rule: "sku characters", row: "P/1,Pump,pump,,stocked,,,,", column: "sku"),
        CatalogCase(rule: "sku at most 64 characters", row: String(repeating: "A", count: 65) + ",Pump,pump,,stocked,,,,", column: "sku"),
        CatalogCase(rule: "name is required", row: "P-2, ,pump,,stocked,,,,", column: "name"),
        CatalogCase(rule: "equipment_type is required", row: "P-2,Pump,,,stocked,,,,", column: "equipment_type"),
        CatalogCase(rule: "equipment_type is lower-case", row: "P-2,Pump,Pump,,stocked,,,,", column: "equipment_type"),
        CatalogCase(rule: "equipment_type has no spaces", row: "P-2,Pump,water pump,,stocked,,,,", column: "equipment_type"),
        CatalogCase(rule: "sourcing is required", row: "P-2,Pump,pump,,,,,,", column: "sourcing"),
        CatalogCase(rule: "sourcing is one of three", row: "P-2,Pump,pump,,bought,,,,", column: "sourcing"),
        CatalogCase(rule: "purchased needs a default supplier", row: "P-2,Pump,pump,,purchased,,,,", column: "default_supplier"),
        CatalogCase(rule: "lot_tracked is a boolean", row: "P-2,Pump,pump,,stocked,,maybe,,", column: "lot_tracked"),
        CatalogCase(rule: "lot-tracked needs a shelf life", row: "P-2,Pump,pump,,stocked,,true,,", column: "shelf_life_days"),
        CatalogCase(rule: "shelf_life_days is positive", row: "P-2,Pump,pump,,stocked,,,0,", column: "shelf_life_days"),
        CatalogCase(rule: "shelf_life_days is whole", row: "P-2,Pump,pump,,stocked,,,1.5,", column: "shelf_life_days"),
        CatalogCase(rule: "shelf_life_days is not negative", row: "P-2,Pump,pump,,stocked,,,-3,", column: "shelf_life_days"),
        CatalogCase(rule: "gtin check digit", row: "P-2,Pump,pump,,stocked,,,,4006381333932", column: "gtin"),
        CatalogCase(rule: "gtin length", row: "P-2,Pump,pump,,stocked,,,,1234567", column: "gtin"),
        CatalogCase(rule: "gtin digits only", row: "P-2,Pump,pump,,stocked,,,,40063813339A1", column: "gtin"),
        CatalogCase(rule: "gtin unique", row: "P-2,Pump,pump,,stocked,,,,4006381333931", column: "gtin"),
        CatalogCase(rule: "sku unique", row: "P-1,Pump again,pump,,stocked,,,,", column: "sku"),
    ])
    func catalogColumnRule(_ testCase: CatalogCase) {
        let csv = Self.catalogHeader + "P-1,Pump,pump,,stocked,,,,04006381333931\n" + testCase.row + "\n"
        let found = problems(CatalogImport.parse(csv))
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.column == testCase.column)
    }

    @Test("a duplicate sku is reported on the later line, naming the first")
    func catalogDuplicateSKU() {
        let csv = "sku,name,equipment_type,sourcing\nA-1,Pump,pump,stocked\nA-2,Fan,fan,stocked\nA-1,Pump 2,pump,stocked\n"
        #expect(problems(CatalogImport.parse(csv)) == [
            ImportProblem(line: 4, column: "sku", message: "duplicate sku \"A-1\", first on line 2"),
        ])
    }

    @Test("every bad row is reported, in line order, with all of a row's problems")
    func catalogSeveralBadRows() {
        let csv = """
            sku,name,equipment_type,sourcing,lot_tracked,shelf_life_days
            A-1,Pump,pump,stocked,,
            A 2,Fan,fan,stocked,,
            A-3,Valve,valve,stocked,true,
            A-4,Hose,Hose,sometimes,,
            A-5,Filter,filter,stocked,,
            """
        let found = problems(CatalogImport.parse(csv))
        #expect(found.map(\.line) == [3, 4, 5, 5])
        #expect(found.map(\.column) == ["sku", "shelf_life_days", "equipment_type", "sourcing"])
    }

    @Test("missing required columns are all listed at once on the header line")
    func catalogMissingColumns() {
        let found = problems(CatalogImport.parse("sku,unit\nA-1,pcs\n"))
        #expect(found.map(\.line) == [1, 1, 1])
        #expect(found.map(\.column) == ["name", "equipment_type", "sourcing"])
    }

    @Test("unknown and repeated header columns are errors, together with missing ones")
    func catalogUnknownColumns() {
        let found = problems(CatalogImport.parse("sku,name,colour,equipment_type,Name,sourcing_type\nA-1,P,red,pump,P,stocked\n"))
        #expect(found.map(\.column) == ["colour", "name", "sourcing_type", "sourcing"])
        #expect(found.allSatisfy { $0.line == 1 })
    }

    @Test("an empty file is reported on line 1; a header without rows imports nothing")
    func catalogEmpty() throws {
        #expect(problems(CatalogImport.parse("")).map(\.line) == [1])
        #expect(try CatalogImport.parse("sku,name,equipment_type,sourcing\r\n").get().isEmpty)
    }

    @Test("a row with the wrong number of fields is one problem; empty trailing cells are tolerated")
    func catalogFieldCount() throws {
        let csv = "sku,name,equipment_type,sourcing\nA-1,Pump,pump\nA-2,Fan,fan,stocked,,\nA-3,Pump,pump,stocked,extra\n"
        let found = problems(CatalogImport.parse(csv))
        #expect(found.map(\.line) == [2, 4])
        #expect(found.allSatisfy { $0.column == nil })
    }

    @Test("an unterminated quote is reported with the line where it opens, after earlier bad rows")
    func catalogUnterminatedQuote() {
        let csv = "sku,name,equipment_type,sourcing\nA-1,Pump,pump,bought\nA-2,\"Fan,fan,stocked\nA-3,Valve,valve,stocked\n"
        let found = problems(CatalogImport.parse(csv))
        #expect(found.map(\.line) == [2, 3])
        #expect(found.last?.column == nil)
        #expect(found.last?.message.contains("unterminated") == true)
    }

    @Test("a row that is not UTF-8 (a Windows-1251 export) is reported on its line")
    func catalogInvalidUTF8() {
        let bytes = Array("sku,name,equipment_type,sourcing\nA-1,".utf8) + [0xCD, 0xE0, 0xF1, 0xEE, 0xF1]
            + Array(",pump,stocked\nA-2,Fan,fan,stocked\n".utf8)
        #expect(problems(CatalogImport.parse(bytes)).map(\.line) == [2])
    }

    @Test("past 1,000 problems the list ends with a count of the rest")
    func catalogProblemCap() {
        var csv = "sku,name,equipment_type,sourcing\n"
        for index in 0..<1_500 { csv += "S-\(index),Name,Bad Type,stocked\n" }
        let found = problems(CatalogImport.parse(csv))
        #expect(found.count == 1_001)
        #expect(found[999].line == 1_001)
        #expect(found.last == ImportProblem(line: 1_002, column: nil, message: "… and 500 more problems"))
    }

    @Test("catalog COPY text: tab-separated columns in table order, t/f booleans, \\N for NULL")
    func catalogCopyText() {
        let rows = [
            CatalogRow(line: 2, sku: "A-1", name: "Pump", equipmentType: "pump", unit: "pcs", sourcing: .purchased,
                       defaultSupplier: "ACME", lotTracked: true, shelfLifeDays: 30, gtin: "04006381333931"),
            CatalogRow(line: 3, sku: "A-2", name: "Fan", equipmentType: "fan", unit: "pcs", sourcing: .stocked,
                       defaultSupplier: nil, lotTracked: false, shelfLifeDays: nil, gtin: nil),
        ]
        let text = String(decoding: CatalogImport.copyText(rows), as: UTF8.self)
        #expect(text == "A-1\tPump\tpump\tpcs\tpurchased\tACME\tt\t30\t04006381333931\n"
            + "A-2\tFan\tfan\tpcs\tstocked\t\\N\tf\t\\N\t\\N\n")
    }

    @Test("COPY text escapes backslash, tab, newline and carriage return")
    func copyEscaping() throws {
        let csv = "sku,name,equipment_type,sourcing\nA-1,\"a\\b\tc\r\nd\nN\\.\",pump,stocked\n"
        let rows = try CatalogImport.parse(csv).get()
        #expect(rows.first?.name == "a\\b\tc\r\nd\nN\\.")
        let text = String(decoding: CatalogImport.copyText(rows), as: UTF8.self)
        #expect(text == "A-1\ta\\\\b\\tc\\r\\nd\\nN\\\\.\tpump\tpcs\tstocked\t\\N\tf\t\\N\t\\N\n")
        #expect(text.filter { $0 == "\n" }.count == 1)
    }

    // MARK: Stock

    @Test("a valid stock file gives typed rows; lot and dates are optional")
    func stockHappyPath() throws {
        let csv = """
            sku,warehouse,quantity,lot,produced_on,expires_on
            PMP-100,MSK-1,12.5,,,
            OIL-5,MSK-1,3,L-2024-01,2024-01-15,2026-01-15
            OIL-5,SPB_2,0.125,L-2024-01,2024-01-15,2026-01-15
            """
        let rows = try StockImport.parse(csv).get()
        #expect(rows.map(\.line) == [2, 3, 4])
        #expect(rows.map(\.quantity.description) == ["12.5", "3", "0.125"])
        #expect(rows[0].lot == nil && rows[0].producedOn == nil)
        #expect(rows[1].expiresOn == ISODate("2026-01-15"))
        #expect(rows[1].producedOn?.description == "2024-01-15")
    }

    @Test("a quantity with a decimal comma is read, in a semicolon file and quoted in a comma file")
    func stockDecimalComma() throws {
        let semicolons = try StockImport.parse("sku;warehouse;quantity\r\nP-1;MSK-1;12,5\r\nP-2;MSK-1;0,001\r\n").get()
        #expect(semicolons.map(\.quantity.description) == ["12.5", "0.001"])
        let commas = try StockImport.parse("sku,warehouse,quantity\nP-1,MSK-1,\"7,25\"\n").get()
        #expect(commas.first?.quantity.description == "7.25")
    }

    /// One failing stock row and the column it must be blamed on.
    struct StockCase: Sendable, CustomTestStringConvertible {
        var rule: String
        var row: String
        var column: String
        var testDescription: String { rule }
    }

    @Test("each stock column rule rejects a bad value on the right line and column", arguments: [
        StockCase(rule: "sku is required", row: ",MSK-1,1,,,", column: "sku"),
        StockCase(rule: "sku characters", row: "P 1,MSK-1,1,,,", column: "sku"),
        StockCase(rule: "warehouse is required", row: "P-1,,1,,,", column: "warehouse"),
        StockCase(rule: "warehouse is upper-case", row: "P-1,msk-1,1,,,", column: "warehouse"),
        StockCase(rule: "warehouse starts with a letter or digit", row: "P-1,-MSK,1,,,", column: "warehouse"),
        StockCase(rule: "quantity is required", row: "P-1,MSK-1,,,,", column: "quantity"),
        StockCase(rule: "quantity is a number", row: "P-1,MSK-1,twelve,,,", column: "quantity"),
        StockCase(rule: "quantity has no exponent", row: "P-1,MSK-1,1e3,,,", column: "quantity"),
        StockCase(rule: "quantity is greater than zero", row: "P-1,MSK-1,0.000,,,", column: "quantity"),
        StockCase(rule: "quantity is not negative", row: "P-1,MSK-1,-2,,,", column: "quantity"),
        StockCase(rule: "quantity has at most 3 decimals", row: "P-1,MSK-1,1.2345,,,", column: "quantity"),
        StockCase(rule: "quantity has no thousands separators", row: "P-1,MSK-1,\"1,234.5\",,,", column: "quantity"),
        StockCase(rule: "produced_on is a real date", row: "P-1,MSK-1,1,L1,2023-02-29,", column: "produced_on"),
        StockCase(rule: "produced_on is YYYY-MM-DD", row: "P-1,MSK-1,1,L1,01.02.2024,", column: "produced_on"),
        StockCase(rule: "expires_on is a real date", row: "P-1,MSK-1,1,L1,,2024-13-01", column: "expires_on"),
        StockCase(rule: "expires_on is not before produced_on", row: "P-1,MSK-1,1,L1,2024-05-02,2024-05-01", column: "expires_on"),
        StockCase(rule: "dates need a lot", row: "P-1,MSK-1,1,,,2025-01-01", column: "lot"),
        StockCase(rule: "a lot has the same dates on every line", row: "P-1,MSK-2,1,L0,2024-01-01,2025-06-30", column: "expires_on"),
        StockCase(rule: "sku, warehouse and lot are unique", row: "P-1,MSK-1,5,L0,2024-01-01,2025-01-01", column: "sku"),
    ])
    func stockColumnRule(_ testCase: StockCase) {
        let csv = "sku,warehouse,quantity,lot,produced_on,expires_on\nP-1,MSK-1,1,L0,2024-01-01,2025-01-01\n" + testCase.row + "\n"
        let found = problems(StockImport.parse(csv))
        #expect(found.count == 1)
        #expect(found.first?.line == 3)
        #expect(found.first?.column == testCase.column)
    }

    @Test("the same sku and warehouse in different lots, or without a lot, are different rows")
    func stockDistinctLots() throws {
        let csv = "sku,warehouse,quantity,lot\nP-1,MSK-1,1,A\nP-1,MSK-1,1,B\nP-1,MSK-1,1,\nP-1,MSK-1,2,\n"
        #expect(problems(StockImport.parse(csv)).map(\.line) == [5])
    }

    @Test("stock COPY text: sku, warehouse, lot, dates, quantity with a point, then the file line")
    func stockCopyText() throws {
        let rows = try StockImport.parse("sku;warehouse;quantity;lot;expires_on\nP-1;MSK-1;12,50;;\nP-2;MSK-1;3;L\\1;2025-01-31\n").get()
        let text = String(decoding: StockImport.copyText(rows), as: UTF8.self)
        #expect(text == "P-1\tMSK-1\t\\N\t\\N\t\\N\t12.5\t2\nP-2\tMSK-1\tL\\\\1\t\\N\t2025-01-31\t3\t3\n")
    }

    // MARK: Volume

    @Test("50,000 generated rows parse completely")
    func manyRows() throws {
        var csv = "sku,name,equipment_type,unit,sourcing,default_supplier\n"
        csv.reserveCapacity(50_000 * 48)
        for index in 0..<50_000 {
            csv += "SKU-\(index),\"Item \(index), grade A\",pump,pcs,\(index.isMultiple(of: 2) ? "purchased" : "stocked"),ACME\n"
        }
        let rows = try CatalogImport.parse(csv).get()
        #expect(rows.count == 50_000)
        #expect(rows.last?.line == 50_001)
        #expect(rows.last?.name == "Item 49999, grade A")
    }
}

/// The problems of a failed import; empty when it succeeded.
private func problems<Row>(_ result: Result<[Row], ImportFailure>) -> [ImportProblem] {
    switch result {
    case .success: []
    case .failure(let failure): failure.problems
    }
}
