import Foundation
import Tabular
import Testing

/// A small import: `code` required, `note` optional.
private enum NoteColumn: Int, ImportColumn {
    case code, note

    var header: String {
        switch self {
        case .code: "code"
        case .note: "note"
        }
    }

    var isRequired: Bool { self == .code }
}

/// The same columns plus `x:<name>` extra columns, where `x:code` is refused.
private enum ExtraNoteColumn: Int, ImportColumn {
    case code, note

    var header: String {
        switch self {
        case .code: "code"
        case .note: "note"
        }
    }

    var isRequired: Bool { self == .code }

    static var extraColumnPrefix: String? { "x:" }

    static func extraColumnProblem(_ name: String) -> String? {
        name.lowercased() == "code" ? "x:code would shadow the code column" : nil
    }
}

private struct NoteRow: Equatable {
    var line: Int
    var code: String
    var note: String?
    var extras: [String: String] = [:]
}

private func notes(_ text: String) -> Result<[NoteRow], ImportFailure> {
    TabularImport.run(Array(text.utf8), columns: NoteColumn.self) { row in
        guard let code = row.required(.code) else { return nil }
        return NoteRow(line: row.line, code: code, note: row.value(.note))
    }
}

private func extraNotes(_ text: String) -> Result<[NoteRow], ImportFailure> {
    TabularImport.run(Array(text.utf8), columns: ExtraNoteColumn.self) { row in
        var extras: [String: String] = [:]
        for (column, value) in row.extraValues {
            if value == "bad" { row.fail(column, "bad value") }
            extras[column.name] = value
        }
        guard let code = row.required(.code), row.problems.isEmpty else { return nil }
        return NoteRow(line: row.line, code: code, note: row.value(.note), extras: extras)
    }
}

private func problems<Row>(_ result: Result<[Row], ImportFailure>) -> [ImportProblem] {
    switch result {
    case .success: []
    case .failure(let failure): failure.problems
    }
}

@Suite("Tabular: import loop")
struct TabularImportTests {
    @Test("rows are read by header name, trimmed, with blank cells absent and blank rows skipped")
    func rowsByName() throws {
        let rows = try notes(" Note ;CODE\n  hello ; A \n;\n ; B\n").get()
        #expect(rows == [NoteRow(line: 2, code: "A", note: "hello"), NoteRow(line: 4, code: "B", note: nil)])
    }

    @Test("a required value that is blank is reported on its line and column")
    func requiredValue() {
        #expect(problems(notes("code,note\nA,x\n ,y\n")) == [ImportProblem(line: 3, column: "code", message: "code is required")])
    }

    @Test("unknown, repeated and missing columns are reported together on line 1")
    func headerProblems() {
        let found = problems(notes("note,colour,NOTE\n"))
        #expect(found.map(\.column) == ["colour", "note", "code"])
        #expect(found.allSatisfy { $0.line == 1 })
    }

    @Test("an empty file names the expected columns")
    func emptyFile() {
        #expect(problems(notes("")) == [ImportProblem(
            line: 1, column: nil, message: "the file is empty; expected a header row with the columns: code, note")])
    }

    @Test("a value under an unnamed header cell, or past the header's width, is a shape problem")
    func shape() {
        let found = problems(notes("code,,note\nA,,x\nB,y,z\nC,,z,w\nD,,z,\n"))
        #expect(found.map(\.line) == [3, 4])
        #expect(found.allSatisfy { $0.column == nil })
    }

    @Test("without a prefix, a column that looks like an extra column is unknown")
    func noExtrasByDefault() {
        #expect(problems(notes("code,x:colour\n")).map(\.column) == ["x:colour"])
    }

    @Test("extra columns: prefix in any case, name kept as written, only non-blank values")
    func extraColumns() throws {
        let rows = try extraNotes("code,X:Colour, x: size \nA,red,\nB,,42\n").get()
        #expect(rows == [
            NoteRow(line: 2, code: "A", note: nil, extras: ["Colour": "red"]),
            NoteRow(line: 3, code: "B", note: nil, extras: ["size": "42"]),
        ])
    }

    @Test("a row problem with an extra value is blamed on that column's header")
    func extraValueProblem() {
        #expect(problems(extraNotes("code,x:colour\nA,bad\n")) == [ImportProblem(line: 2, column: "x:colour", message: "bad value")])
    }

    @Test("extra columns need a name, a name of their own, and the import's approval")
    func extraColumnHeaderProblems() {
        let found = problems(extraNotes("code,x:,x:Colour,x:colour,x:code,other\n"))
        #expect(found.map(\.column) == ["x:", "x:colour", "x:code", "other"])
        #expect(found[1].message.contains("appears twice (columns 3 and 4)"))
        #expect(found[2].message == "x:code would shadow the code column")
        #expect(found[3].message.hasSuffix("the columns are: code, note and x:<name>"))
    }

    @Test("a structural error is reported and reading goes on with the next record")
    func readErrorsDoNotStop() {
        let found = problems(notes("code\n\"A\"b\n \nC\n\"D\n"))
        #expect(found.map(\.line) == [2, 5])
    }

    @Test("the problem log keeps the first 1,000 problems in detail and counts the rest")
    func problemLogCap() {
        var log = ProblemLog()
        for line in (2...1_503).reversed() { log.add(line: line, column: nil, "bad") }
        let failure = log.failure
        #expect(log.total == 1_502)
        #expect(failure.problems.count == 1_001)
        #expect(failure.problems.first?.line == 504)
        #expect(failure.problems.last == ImportProblem(line: 503, column: nil, message: "… and 502 more problems"))
    }
}

@Suite("Tabular: value rules and COPY text")
struct ValueRuleTests {
    @Test("leap days exist in leap years only")
    func leapDays() {
        #expect(ISODate("2024-02-29") != nil)
        #expect(ISODate("2000-02-29") != nil)
        #expect(ISODate("1900-02-29") == nil)
        #expect(ISODate("2024-04-31") == nil)
        #expect(ISODate("0000-01-01") == nil)
    }

    @Test("ISO dates print padded and order chronologically")
    func isoDates() throws {
        let early = try #require(ISODate("0999-12-31"))
        let late = try #require(ISODate("2024-01-02"))
        #expect(early.description == "0999-12-31")
        #expect(early < late)
        #expect(ISODate("2024-1-02") == nil)
        #expect(ISODate("2024/01/02") == nil)
    }

    @Test("trimming removes spaces and tabs only; long values are shortened in messages")
    func text() {
        #expect(ImportText.trimmed(" \t a b\t ") == "a b")
        #expect(ImportText.trimmed("\u{A0}x") == "\u{A0}x")
        #expect(ImportText.trimmed("   ") == "")
        #expect(ImportText.quoted("Насос") == "\"Насос\"")
        #expect(ImportText.quoted(String(repeating: "я", count: 41)) == "\"" + String(repeating: "я", count: 40) + "…\"")
    }

    @Test("upper-case codes start with a letter or digit and use A–Z, 0–9, '_' and '-'")
    func codes() {
        #expect(["D-MSK-01", "7", "A_B"].allSatisfy(ImportRules.isUpperCaseCode))
        #expect(!["", "-A", "d-1", "D 1", "Д-1"].contains(where: ImportRules.isUpperCaseCode))
    }

    @Test("booleans, positive whole numbers and quantities")
    func numbers() {
        #expect(ImportRules.bool("YES") == true && ImportRules.bool("0") == false && ImportRules.bool("y") == nil)
        #expect(ImportRules.positiveInt32("2147483647") == 2_147_483_647)
        #expect(ImportRules.positiveInt32("2147483648") == nil && ImportRules.positiveInt32("+1") == nil)
        #expect(ImportRules.quantity("12,5") == .success(Decimal(string: "12.5")!))
        #expect(ImportRules.quantity("1.2345") == .failure(.tooManyDecimals))
        #expect(ImportRules.quantity("0") == .failure(.notPositive))
    }

    @Test("POSIX decimals: optional sign, digits, optional point and digits; nothing else")
    func posixDecimals() {
        #expect(ImportRules.posixDecimal("1000") == 1000)
        #expect(ImportRules.posixDecimal("-2.5") == Decimal(string: "-2.5"))
        #expect(ImportRules.posixDecimal("+0.10") == Decimal(string: "0.1"))
        for text in ["", "-", "1.", ".5", "1,5", "1 000", "1e3", "12abc", "0x10", "1.2.3", "٣"] {
            #expect(ImportRules.posixDecimal(text) == nil, "\(text)")
        }
    }

    @Test("COPY text: tabs between fields, \\N for NULL, escapes, one line per row")
    func copyText() {
        var writer = CopyTextWriter()
        writer.field("a\\b\tc")
        writer.field(nil)
        writer.field("д\r\n")
        writer.endRow()
        writer.field("")
        writer.endRow()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "a\\\\b\\tc\t\\N\tд\\r\\n\n\n")
    }
}
