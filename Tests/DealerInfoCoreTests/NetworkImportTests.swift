import Foundation
import Tabular
import Testing

@testable import DealerInfoCore

@Suite("Dealer-info: network import")
struct NetworkImportTests {
    private static let header = "dealer_code,dealer_name,legal_name,tax_id,region,tier,status,shop_code,shop_name,shop_city\n"
    /// A valid first dealer row (line 2) for the rule cases to follow.
    private static let firstRow = "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,,S-1,Альфа Центр,Екатеринбург\n"

    @Test("a good file: two dealers with three shops, Cyrillic names, defaults and case-insensitive values")
    func goodFile() throws {
        let csv = Self.header + #"""
            D-MSK-01,Техноторг,"ООО ""Техноторг""",7701234567,Москва,Gold,,MSK-01-A,"Техноторг, Тверская",Москва
            D-MSK-01,Техноторг,"ООО ""Техноторг""",7701234567,Москва,gold,ACTIVE,MSK-01-B,Техноторг Юг,Подольск
            D_EKB_7,Уралсервис,ИП Петров Иван Сергеевич,667101234567,Урал,bronze,suspended,EKB-7,Уралсервис,Екатеринбург
            """#
        let (dealers, shops) = try NetworkImport.parse(csv).get()
        #expect(dealers == [
            NetworkDealerRow(
                line: 2, code: "D-MSK-01", name: "Техноторг", legalName: "ООО \"Техноторг\"", taxId: "7701234567",
                region: "Москва", tier: "gold", status: "active", attributes: [:]),
            NetworkDealerRow(
                line: 4, code: "D_EKB_7", name: "Уралсервис", legalName: "ИП Петров Иван Сергеевич", taxId: "667101234567",
                region: "Урал", tier: "bronze", status: "suspended", attributes: [:]),
        ])
        #expect(shops == [
            NetworkShopRow(line: 2, dealerCode: "D-MSK-01", code: "MSK-01-A", name: "Техноторг, Тверская", city: "Москва"),
            NetworkShopRow(line: 3, dealerCode: "D-MSK-01", code: "MSK-01-B", name: "Техноторг Юг", city: "Подольск"),
            NetworkShopRow(line: 4, dealerCode: "D_EKB_7", code: "EKB-7", name: "Уралсервис", city: "Екатеринбург"),
        ])
    }

    @Test("a semicolon-separated Excel export with a byte order mark, columns in another order and any case")
    func semicolonFile() throws {
        let csv = "\u{FEFF}Region;DEALER_CODE; Tier ;Tax_ID;legal_name;dealer_name;shop_code;shop_city;shop_name\r\n"
            + "Сибирь;D-NSK;Silver;5401234567;\"ООО «Сибирь; опт»\";Сибирь-Опт;NSK-1;Новосибирск;Склад №1\r\n"
            + "Сибирь;D-NSK;silver;5401234567;\"ООО «Сибирь; опт»\";Сибирь-Опт;;;\r\n"
            + ";;;;;;;;\r\n"
        let (dealers, shops) = try NetworkImport.parse(csv).get()
        #expect(dealers.map(\.code) == ["D-NSK"])
        #expect(dealers.first?.legalName == "ООО «Сибирь; опт»")
        #expect(dealers.first?.tier == "silver")
        #expect(dealers.first?.status == "active")
        #expect(shops == [NetworkShopRow(line: 2, dealerCode: "D-NSK", code: "NSK-1", name: "Склад №1", city: "Новосибирск")])
    }

    @Test("a dealer without shops is a row without a shop code; the shop columns may be left out")
    func dealersWithoutShops() throws {
        let csv = "dealer_code,dealer_name,legal_name,tax_id,region,tier\nD-1,Альфа,ООО «Альфа»,7701234567,Урал,gold\n"
        let (dealers, shops) = try NetworkImport.parse(csv).get()
        #expect(dealers.map(\.code) == ["D-1"])
        #expect(shops.isEmpty)
    }

    /// One failing row (line 3) and the column it must be blamed on.
    struct RuleCase: Sendable, CustomTestStringConvertible {
        var rule: String
        var row: String
        var column: String
        var testDescription: String { rule }
    }

    @Test("each column rule rejects a bad value on the right line and column", arguments: [
        RuleCase(rule: "dealer_code is required", row: ",Бета,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_code"),
        RuleCase(rule: "dealer_code is upper-case", row: "d-2,Бета,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_code"),
        RuleCase(rule: "dealer_code starts with a letter or digit", row: "-D2,Бета,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_code"),
        RuleCase(rule: "dealer_code has no spaces", row: "D 2,Бета,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_code"),
        RuleCase(rule: "dealer_code is Latin", row: "Д-2,Бета,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_code"),
        RuleCase(rule: "dealer_name is required", row: "D-2, ,ООО Бета,7701234568,Урал,gold,,,,", column: "dealer_name"),
        RuleCase(rule: "legal_name is required", row: "D-2,Бета,,7701234568,Урал,gold,,,,", column: "legal_name"),
        RuleCase(rule: "tax_id is required", row: "D-2,Бета,ООО Бета,,Урал,gold,,,,", column: "tax_id"),
        RuleCase(rule: "tax_id has 10 or 12 digits, not 11", row: "D-2,Бета,ООО Бета,77012345681,Урал,gold,,,,", column: "tax_id"),
        RuleCase(rule: "tax_id has 10 or 12 digits, not 9", row: "D-2,Бета,ООО Бета,770123456,Урал,gold,,,,", column: "tax_id"),
        RuleCase(rule: "tax_id is digits only", row: "D-2,Бета,ООО Бета,77012345A8,Урал,gold,,,,", column: "tax_id"),
        RuleCase(rule: "tax_id has no spaces inside", row: "D-2,Бета,ООО Бета,7701 234568,Урал,gold,,,,", column: "tax_id"),
        RuleCase(rule: "region is required", row: "D-2,Бета,ООО Бета,7701234568,,gold,,,,", column: "region"),
        RuleCase(rule: "tier is required", row: "D-2,Бета,ООО Бета,7701234568,Урал,,,,,", column: "tier"),
        RuleCase(rule: "tier is gold, silver or bronze", row: "D-2,Бета,ООО Бета,7701234568,Урал,platinum,,,,", column: "tier"),
        RuleCase(rule: "status is active, suspended or closed", row: "D-2,Бета,ООО Бета,7701234568,Урал,gold,paused,,,", column: "status"),
        RuleCase(rule: "a shop needs a name", row: "D-2,Бета,ООО Бета,7701234568,Урал,gold,,S-2,,Пермь", column: "shop_name"),
        RuleCase(rule: "a shop needs a city", row: "D-2,Бета,ООО Бета,7701234568,Урал,gold,,S-2,Бета,", column: "shop_city"),
        RuleCase(rule: "a shop name or city needs a shop code", row: "D-2,Бета,ООО Бета,7701234568,Урал,gold,,,Бета,Пермь", column: "shop_code"),
        RuleCase(rule: "shop codes are unique", row: "D-2,Бета,ООО Бета,7701234568,Урал,gold,,S-1,Бета,Пермь", column: "shop_code"),
        RuleCase(rule: "a dealer's name agrees across rows", row: "D-1,Альфа-М,ООО «Альфа»,7701234567,Урал,gold,,S-2,Альфа 2,Пермь", column: "dealer_name"),
        RuleCase(rule: "a dealer's legal name agrees across rows", row: "D-1,Альфа,АО «Альфа»,7701234567,Урал,gold,,S-2,Альфа 2,Пермь", column: "legal_name"),
        RuleCase(rule: "a dealer's tax id agrees across rows", row: "D-1,Альфа,ООО «Альфа»,7701234568,Урал,gold,,S-2,Альфа 2,Пермь", column: "tax_id"),
        RuleCase(rule: "a dealer's region agrees across rows", row: "D-1,Альфа,ООО «Альфа»,7701234567,Сибирь,gold,,S-2,Альфа 2,Пермь", column: "region"),
        RuleCase(rule: "a dealer's tier agrees across rows", row: "D-1,Альфа,ООО «Альфа»,7701234567,Урал,silver,,S-2,Альфа 2,Пермь", column: "tier"),
        RuleCase(rule: "a dealer's status agrees across rows", row: "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,closed,S-2,Альфа 2,Пермь", column: "status"),
    ])
    func columnRule(_ testCase: RuleCase) {
        let found = problems(NetworkImport.parse(Self.header + Self.firstRow + testCase.row + "\n"))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == 3)
        #expect(found.first?.column == testCase.column)
    }

    @Test("disagreeing dealer fields are reported on the later line, naming the earlier line and value")
    func disagreeingDealer() {
        let csv = Self.header + Self.firstRow
            + "D-2,Бета,ООО «Бета»,7701234568,Урал,gold,,S-2,Бета,Пермь\n"
            + "D-1,Альфа,ООО «Альфа»,7701234567,урал,Gold,Active,S-3,Альфа 3,Пермь\n"
        #expect(problems(NetworkImport.parse(csv)) == [
            ImportProblem(line: 4, column: "region", message: "dealer D-1 has region \"Урал\" on line 2, not \"урал\""),
        ])
    }

    @Test("every bad row is reported, in line order, with all of a row's problems")
    func severalBadRows() {
        let csv = Self.header + Self.firstRow
            + "D-2,Бета,ООО «Бета»,123,Урал,iron,,S-1,Бета,Пермь\n"
            + "D-3,Гамма,ООО «Гамма»,7701234569,Урал,gold,,S-3,Гамма,Пермь\n"
            + "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,closed,S-4,,\n"
        let found = problems(NetworkImport.parse(csv))
        #expect(found.map(\.line) == [3, 3, 3, 5, 5, 5])
        #expect(found.map(\.column) == ["tax_id", "tier", "shop_code", "shop_name", "shop_city", "status"])
        #expect(found[2].message == "duplicate shop_code \"S-1\", first on line 2")
    }

    @Test("attr: columns become typed attributes: POSIX decimals are numbers, true/false flags, the rest text")
    func attributeTyping() throws {
        let csv = "dealer_code,dealer_name,legal_name,tax_id,region,tier,ATTR:turnover_class,attr:Turnover,attr: online ,attr:brands,attr:rating\n"
            + "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,A,1250000.50,TRUE,\"Bosch, Makita\",-2\n"
            + "D-2,Бета,ООО «Бета»,7701234568,Урал,gold,007,\"1,5\",false,1e3,\n"
            + "D-3,Гамма,ООО «Гамма»,7701234569,Урал,gold,,12abc,да,,+3.0\n"
        let (dealers, _) = try NetworkImport.parse(csv).get()
        #expect(dealers.map(\.attributes) == [
            ["turnover_class": .text("A"), "Turnover": .number(Decimal(string: "1250000.5")!), "online": .flag(true),
             "brands": .text("Bosch, Makita"), "rating": .number(-2)],
            ["turnover_class": .number(7), "Turnover": .text("1,5"), "online": .flag(false), "brands": .text("1e3")],
            ["Turnover": .text("12abc"), "online": .text("да"), "rating": .number(3)],
        ])
    }

    @Test("a dealer's attributes must agree across its rows; an empty cell is not the same as a value")
    func attributesAgree() {
        let header = "dealer_code,dealer_name,legal_name,tax_id,region,tier,shop_code,shop_name,shop_city,attr:turnover,attr:online\n"
        let first = "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,S-1,Альфа 1,Пермь,1000,true\n"
        #expect(problems(NetworkImport.parse(header + first + "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,S-2,Альфа 2,Пермь,1000.0,TRUE\n")).isEmpty)
        #expect(problems(NetworkImport.parse(header + first + "D-1,Альфа,ООО «Альфа»,7701234567,Урал,gold,S-2,Альфа 2,Пермь,2000,\n")) == [
            ImportProblem(line: 3, column: "attr:turnover", message: "dealer D-1 has attr:turnover 1000 on line 2, not 2000"),
            ImportProblem(line: 3, column: "attr:online", message: "dealer D-1 has attr:online true on line 2, not nothing"),
        ])
    }

    @Test("missing required columns are all listed on the header line")
    func missingColumns() {
        let found = problems(NetworkImport.parse("dealer_code,region,shop_code\nD-1,Урал,S-1\n"))
        #expect(found.map(\.line) == [1, 1, 1, 1])
        #expect(found.map(\.column) == ["dealer_name", "legal_name", "tax_id", "tier"])
    }

    @Test("unknown columns are errors unless they start with attr:, which needs a name that is not a built-in field")
    func unknownColumns() {
        let found = problems(NetworkImport.parse(
            "dealer_code,dealer_name,legal_name,tax_id,region,tier,city,attr:,attr:tier,attr:Class,attr:class,Tier\nD-1\n"))
        #expect(found.map(\.column) == ["city", "attr:", "attr:tier", "attr:class", "tier"])
        #expect(found.allSatisfy { $0.line == 1 })
        #expect(found[0].message.hasSuffix("shop_name, shop_city and attr:<name>"))
    }

    @Test("an empty file is reported on line 1; a header without rows imports nothing")
    func emptyFile() throws {
        #expect(problems(NetworkImport.parse("")).map(\.line) == [1])
        let (dealers, shops) = try NetworkImport.parse(Self.header).get()
        #expect(dealers.isEmpty && shops.isEmpty)
    }

    @Test("a Windows-1251 row and a row with too many fields are reported on their lines")
    func structuralProblems() {
        let bytes = Array((Self.header + Self.firstRow).utf8) + Array("D-2,".utf8) + [0xC1, 0xE5, 0xF2, 0xE0]
            + Array(",ООО Бета,7701234568,Урал,gold,,,,\nD-3,Гамма,ООО Гамма,7701234569,Урал,gold,,,,,x\n".utf8)
        let found = problems(NetworkImport.parse(bytes))
        #expect(found.map(\.line) == [3, 4])
        #expect(found.allSatisfy { $0.column == nil })
    }
}

/// The problems of a failed import; empty when it succeeded.
private func problems<Rows>(_ result: Result<Rows, ImportFailure>) -> [ImportProblem] {
    switch result {
    case .success: []
    case .failure(let failure): failure.problems
    }
}
