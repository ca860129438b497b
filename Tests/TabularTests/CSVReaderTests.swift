import Foundation
import Tabular
import Testing

@Suite("Tabular: CSV reader")
struct CSVReaderTests {
    @Test("a quoted field may contain the separator")
    func quotedFieldWithComma() throws {
        var reader = CSVReader("a,\"b, c\",d\n")
        #expect(try reader.readAll() == [CSVRecord(line: 1, fields: ["a", "b, c", "d"])])
    }

    @Test("a doubled quote inside a quoted field is one quote")
    func doubledQuotes() throws {
        var reader = CSVReader("\"Monitor 24\"\"\",\"\"\"quoted\"\"\",\"\"\n")
        #expect(try reader.readAll() == [CSVRecord(line: 1, fields: ["Monitor 24\"", "\"quoted\"", ""])])
    }

    @Test("a quote inside an unquoted field is kept as it is")
    func bareQuoteIsLiteral() throws {
        var reader = CSVReader("15\" monitor,x")
        #expect(try reader.readAll() == [CSVRecord(line: 1, fields: ["15\" monitor", "x"])])
    }

    @Test("a newline inside quotes stays in the field and later records keep their physical line numbers")
    func newlineInsideQuotes() throws {
        var reader = CSVReader("h1,h2\n1,\"two\nlines\"\r\n2,\"three\r\nmore\nlines\"\n3,x")
        let records = try reader.readAll()
        #expect(records.map(\.line) == [1, 2, 4, 7])
        #expect(records[1].fields == ["1", "two\nlines"])
        #expect(records[2].fields == ["2", "three\r\nmore\nlines"])
        #expect(records[3].fields == ["3", "x"])
    }

    @Test("CRLF and LF line ends, with or without a final line end, read the same")
    func lineEnds() throws {
        var crlf = CSVReader("a,b\r\nc,d\r\n")
        var lf = CSVReader("a,b\nc,d")
        let expected = [CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["c", "d"])]
        #expect(try crlf.readAll() == expected)
        #expect(try lf.readAll() == expected)
    }

    @Test("empty lines are skipped but still counted")
    func blankLines() throws {
        var reader = CSVReader("a,b\n\n\r\nc,d\n\n")
        #expect(try reader.readAll() == [CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 4, fields: ["c", "d"])])
    }

    @Test("a trailing separator means a final empty field")
    func trailingSeparator() throws {
        var reader = CSVReader("a,b,\n")
        #expect(try reader.readAll() == [CSVRecord(line: 1, fields: ["a", "b", ""])])
    }

    @Test("a UTF-8 byte order mark is dropped")
    func byteOrderMark() throws {
        var reader = CSVReader([0xEF, 0xBB, 0xBF] + Array("sku,name\nA,B\n".utf8))
        #expect(try reader.readAll().first?.fields == ["sku", "name"])
    }

    @Test("a header with semicolons and no comma makes the file semicolon-separated")
    func semicolonDetection() throws {
        var reader = CSVReader("sku;name\nA;\"Насос, 3 кВт\"\n")
        #expect(reader.separator == CSVReader.semicolon)
        #expect(try reader.readAll()[1].fields == ["A", "Насос, 3 кВт"])
        #expect(CSVReader("sku,name;x\n").separator == CSVReader.comma)
    }

    @Test("an unterminated quote is an error naming the line where the quote opens")
    func unterminatedQuote() {
        var reader = CSVReader("a,b\nc,d\ne,\"never closed\nf,g\n")
        #expect(throws: CSVReadError(kind: .unterminatedQuote, line: 3)) { try reader.readAll() }
    }

    @Test("text after a closing quote is an error, and reading continues on the next line")
    func textAfterClosingQuote() throws {
        var reader = CSVReader("a,b\n\"x\"y,z\nc,d\n")
        #expect(try reader.next() == CSVRecord(line: 1, fields: ["a", "b"]))
        #expect(throws: CSVReadError(kind: .textAfterClosingQuote, line: 2)) { try reader.next() }
        #expect(try reader.next() == CSVRecord(line: 3, fields: ["c", "d"]))
        #expect(try reader.next() == nil)
    }
}
