import Testing

@testable import Tabular

@Suite("Spreadsheet cells: formula injection")
struct SpreadsheetCellTests {
    @Test("cells a spreadsheet would run get an apostrophe; text and number-like cells stay as they are")
    func neutralised() {
        for risky in ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")", "+", "-a"] {
            #expect(SpreadsheetCell.neutralised(risky) == "'" + risky, "\(risky)")
        }
        for inert in ["Иван", "a=1", "", "+79161234567", "+7 (916) 123-45-67", "+79161234567; +74951234567", "-12.5", "-1,5", "1+1"] {
            #expect(SpreadsheetCell.neutralised(inert) == inert, "\(inert)")
        }
    }
}
