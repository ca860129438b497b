import Foundation
import Tabular

// A minimal XLSX workbook (Office Open XML, ECMA-376): one sheet of text cells, written as inline
// strings (`t="inlineStr"`) so no shared-string table is needed. The package is a ZIP of:
//
//   [Content_Types].xml           the content type of each part
//   _rels/.rels                   the package's main part: xl/workbook.xml
//   xl/workbook.xml               one sheet
//   xl/_rels/workbook.xml.rels    where the sheet and the styles are
//   xl/worksheets/sheet1.xml      the cells; the first row is a bold, frozen header
//   xl/styles.xml                 two cell formats: normal and bold

enum XLSX {
    /// The workbook's bytes: `header` as a bold first row, then `rows`. `widths` are column widths in
    /// characters (missing ones keep the default).
    static func workbook(sheetName: String, header: [String], rows: [[String]], widths: [Double] = []) throws -> Data {
        var zip = ZipArchive()
        zip.add("[Content_Types].xml", Data(contentTypes.utf8))
        zip.add("_rels/.rels", Data(packageRelationships.utf8))
        zip.add("xl/workbook.xml", Data(workbookXML(sheetName: sheetName).utf8))
        zip.add("xl/_rels/workbook.xml.rels", Data(workbookRelationships.utf8))
        zip.add("xl/worksheets/sheet1.xml", Data(sheetXML(header: header, rows: rows, widths: widths).utf8))
        zip.add("xl/styles.xml", Data(styles.utf8))
        return try zip.data()
    }

    static let declaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    static let contentTypes = declaration + """
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
        </Types>
        """

    static let packageRelationships = declaration + """
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="\(relationships)/officeDocument" Target="xl/workbook.xml"/>\
        </Relationships>
        """

    static let workbookRelationships = declaration + """
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="\(relationships)/worksheet" Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="\(relationships)/styles" Target="styles.xml"/>\
        </Relationships>
        """

    /// Font 1 is bold; cell format 1 uses it.
    static let styles = declaration + """
        <styleSheet xmlns="\(main)">\
        <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
        <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
        </styleSheet>
        """

    static func workbookXML(sheetName: String) -> String {
        declaration + """
            <workbook xmlns="\(main)" xmlns:r="\(relationships)">\
            <sheets><sheet name="\(escape(self.sheetName(sheetName)))" sheetId="1" r:id="rId1"/></sheets>\
            </workbook>
            """
    }

    /// A name Excel accepts for a sheet: at most 31 characters, none of `[]:*?/\`, not empty.
    static func sheetName(_ name: String) -> String {
        let cleaned = String(name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        return cleaned.trimmingCharacters(in: .whitespaces).isEmpty ? "Sheet1" : cleaned
    }

    static func sheetXML(header: [String], rows: [[String]], widths: [Double]) -> String {
        var xml = declaration + #"<worksheet xmlns="\#(main)">"#
        // The header stays in view while scrolling.
        xml += #"<sheetViews><sheetView workbookViewId="0">"#
            + #"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>"#
        if !widths.isEmpty {
            xml += "<cols>"
            for (index, width) in widths.enumerated() {
                xml += #"<col min="\#(index + 1)" max="\#(index + 1)" width="\#(width)" customWidth="1"/>"#
            }
            xml += "</cols>"
        }
        xml += "<sheetData>"
        for (index, row) in ([header] + rows).enumerated() {
            let number = index + 1
            xml += #"<row r="\#(number)">"#
            for (column, value) in row.enumerated() where !value.isEmpty {
                let style = index == 0 ? #" s="1""# : ""
                xml += #"<c r="\#(columnName(column))\#(number)"\#(style) t="inlineStr"><is><t xml:space="preserve">"#
                xml += escape(cellText(index == 0 ? value : SpreadsheetCell.neutralised(value)))
                xml += "</t></is></c>"
            }
            xml += "</row>"
        }
        xml += "</sheetData></worksheet>"
        return xml
    }

    /// The column letters for a 0-based index: A … Z, AA … AZ, BA …
    static func columnName(_ index: Int) -> String {
        var index = index + 1
        var letters = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + remainder))) + letters
            index = (index - 1) / 26
        }
        return letters
    }

    /// Text XML 1.0 can carry, with `&`, `<`, `>`, `"` and `'` escaped. Characters XML 1.0 forbids
    /// (controls other than tab, LF and CR; U+FFFE, U+FFFF) are dropped; Swift strings hold no
    /// lone surrogates.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if isXMLCharacter(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// XML 1.0's `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// A cell's text as Excel reads it back unchanged: Excel takes `_xHHHH_` in cell text as an
    /// escaped character, so an underscore that starts such a sequence is itself written `_x005F_`.
    /// Excel also holds at most 32,767 characters in a cell.
    static func cellText(_ value: String) -> String {
        var scalars = Array(value.unicodeScalars)
        if scalars.count > 32767 { scalars = Array(scalars.prefix(32767)) }
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "_", index + 6 < scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_",
               scalars[(index + 2)...(index + 5)].allSatisfy({ $0.properties.isASCIIHexDigit }) {
                out.append(contentsOf: "_x005F_".unicodeScalars)
            } else {
                out.append(scalars[index])
            }
            index += 1
        }
        return String(out)
    }
}
