import Foundation

// CSV import of the catalog (`POST /v1/imports/catalog`) and of opening stock (`POST /v1/imports/stock`).
//
// An import is all-or-nothing per file: every bad row is reported against the physical line where its
// record starts (the header is line 1), and nothing is written unless every row is valid. Valid rows are
// rendered as PostgreSQL `COPY … FROM STDIN` text-format lines, so the database load is one round trip.

// MARK: - Reading CSV

/// One CSV record: its fields, and the physical line (1-based) where the record starts.
///
/// The line is what a user sees in a text editor, so a record containing quoted newlines still
/// reports the line it starts on, and the records after it keep their true line numbers.
struct CSVRecord: Sendable, Equatable {
    var line: Int
    var fields: [String]
}

/// A structural problem the reader cannot interpret; it names the line so the user can find it.
struct CSVReadError: Error, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A quoted field runs to the end of the file.
        case unterminatedQuote
        /// Something other than a separator or a line end follows a closing quote, as in `"ab"c`.
        case textAfterClosingQuote
        /// The record's bytes are not valid UTF-8 (typically a file saved as Windows-1251).
        case invalidUTF8
    }

    var kind: Kind
    /// The line of the opening quote for an unterminated quote, of the closing quote for text after
    /// it, and the record's first line for invalid UTF-8.
    var line: Int

    /// A sentence for the user, without the line number (which travels separately).
    var message: String {
        switch kind {
        case .unterminatedQuote: "unterminated quoted field: the quote opened on this line is never closed"
        case .textAfterClosingQuote: "unexpected text after a closing quote (a quote inside a quoted field must be doubled: \"\")"
        case .invalidUTF8: "the row is not valid UTF-8; save the file as \"CSV UTF-8\""
        }
    }
}

/// A fast RFC 4180 reader over UTF-8 bytes.
///
/// - A leading UTF-8 byte order mark is dropped (Excel writes one for "CSV UTF-8").
/// - The separator is `,`, or `;` when the header line has semicolons but no comma outside quotes:
///   Excel in Russian (and most European) locales writes `;`-separated files.
/// - Fields may be quoted; a quote inside a quoted field is written `""`, and quoted fields may span
///   lines. A quote inside an unquoted field (`15" monitor`) is kept literally, as spreadsheets expect.
///   Spaces or tabs between a closing quote and the separator are tolerated; any other text there is
///   an error, because the intended value cannot be known.
/// - Lines end in LF, CRLF or a lone CR; the final line end is optional; empty lines are skipped.
///
/// The reader scans bytes and only builds a `String` per field (no `Character` iteration), which is
/// what keeps it well above 200,000 six-column rows per second on one core.
/// After an error, `next()` has already moved past the bad record, so a caller can keep reading and
/// report every bad row at once (an unterminated quote consumes the rest of the file).
struct CSVReader: Sendable {
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    private let bytes: [UInt8]
    /// The field separator in use: `,` or `;`.
    let separator: UInt8
    private var position: Int
    private var line = 1
    /// Field count of the previous record, to size the next record's array in one allocation.
    private var fieldCountHint = 8

    /// Reads `bytes`, detecting the separator from the header line unless one is given.
    init(_ bytes: [UInt8], separator: UInt8? = nil) {
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        self.bytes = bytes
        self.position = hasBOM ? 3 : 0
        self.separator = separator ?? Self.detectSeparator(bytes, from: hasBOM ? 3 : 0)
    }

    /// Reads the UTF-8 form of `text`.
    init(_ text: String, separator: UInt8? = nil) {
        self.init(Array(text.utf8), separator: separator)
    }

    /// The next record, or nil at the end of the input.
    ///
    /// On error the reader has moved past the bad record (to the end of its line, or to the end of the
    /// input for an unterminated quote), so calling `next()` again continues with the following record.
    mutating func next() throws(CSVReadError) -> CSVRecord? {
        let bytes = self.bytes
        var position = self.position
        var line = self.line
        let outcome = bytes.withUnsafeBufferPointer { buffer in
            Self.scanRecord(buffer, separator: separator, position: &position, line: &line, capacity: fieldCountHint)
        }
        self.position = position
        self.line = line
        switch outcome {
        case .end:
            return nil
        case .record(let record):
            fieldCountHint = record.fields.count
            return record
        case .failure(let error):
            throw error
        }
    }

    /// Every remaining record; stops at the first structural error.
    mutating func readAll() throws(CSVReadError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        while let record = try next() { records.append(record) }
        return records
    }

    // MARK: Scanning

    private enum Scan {
        case record(CSVRecord)
        case failure(CSVReadError)
        case end
    }

    /// `;` when the first non-empty line has a semicolon and no comma outside quotes, otherwise `,`.
    private static func detectSeparator(_ bytes: [UInt8], from start: Int) -> UInt8 {
        var inQuotes = false
        var sawSemicolon = false
        var lineHasContent = false
        for byte in bytes[start...] {
            if byte == quote {
                inQuotes.toggle()  // `""` toggles twice, which is what an escaped quote needs
            } else if !inQuotes {
                if byte == comma { return comma }
                if byte == semicolon { sawSemicolon = true }
                if byte == lf || byte == cr {
                    if lineHasContent { break }
                    continue
                }
            }
            lineHasContent = true
        }
        return sawSemicolon ? semicolon : comma
    }

    /// Scans one record starting at `position`, skipping empty lines first; advances `position` and
    /// `line` past the record (or past the bad part of it).
    private static func scanRecord(
        _ buffer: UnsafeBufferPointer<UInt8>, separator: UInt8, position: inout Int, line: inout Int, capacity: Int
    ) -> Scan {
        let count = buffer.count
        while position < count {
            let byte = buffer[position]
            if byte == lf {
                position += 1
            } else if byte == cr {
                position += 1
                if position < count && buffer[position] == lf { position += 1 }
            } else {
                break
            }
            line += 1
        }
        guard position < count else { return .end }

        let startLine = line
        var fields: [String] = []
        fields.reserveCapacity(capacity)
        var invalidUTF8 = false

        fieldLoop: while true {
            if position < count && buffer[position] == quote {
                let openingLine = line
                position += 1
                var segmentStart = position
                var unescaped: [UInt8] = []  // used only when the field contains `""`
                var hasEscapes = false
                var highBits: UInt8 = 0
                var closed = false
                while position < count {
                    let byte = buffer[position]
                    if byte == quote {
                        if position + 1 < count && buffer[position + 1] == quote {
                            hasEscapes = true
                            unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[segmentStart...position]))
                            position += 2
                            segmentStart = position
                            continue
                        }
                        closed = true
                        break
                    }
                    if byte == lf || (byte == cr && (position + 1 == count || buffer[position + 1] != lf)) { line += 1 }
                    highBits |= byte
                    position += 1
                }
                guard closed else {
                    position = count
                    return .failure(CSVReadError(kind: .unterminatedQuote, line: openingLine))
                }
                let segment = UnsafeBufferPointer(rebasing: buffer[segmentStart..<position])
                position += 1  // the closing quote
                if hasEscapes {
                    unescaped.append(contentsOf: segment)
                    fields.append(unescaped.withUnsafeBufferPointer { decode($0, highBits: highBits, invalid: &invalidUTF8) })
                } else {
                    fields.append(decode(segment, highBits: highBits, invalid: &invalidUTF8))
                }
                while position < count && (buffer[position] == space || buffer[position] == tab) { position += 1 }
                if position == count { break fieldLoop }
                let byte = buffer[position]
                if byte == separator {
                    position += 1
                    continue fieldLoop
                }
                if byte == lf || byte == cr {
                    consumeLineEnd(buffer, position: &position, line: &line)
                    break fieldLoop
                }
                let errorLine = line
                while position < count && buffer[position] != lf && buffer[position] != cr { position += 1 }
                if position < count { consumeLineEnd(buffer, position: &position, line: &line) }
                return .failure(CSVReadError(kind: .textAfterClosingQuote, line: errorLine))
            } else {
                let start = position
                var highBits: UInt8 = 0
                while position < count {
                    let byte = buffer[position]
                    if byte == separator || byte == lf || byte == cr { break }
                    highBits |= byte
                    position += 1
                }
                fields.append(decode(UnsafeBufferPointer(rebasing: buffer[start..<position]), highBits: highBits, invalid: &invalidUTF8))
                if position == count { break fieldLoop }
                if buffer[position] == separator {
                    position += 1
                    continue fieldLoop
                }
                consumeLineEnd(buffer, position: &position, line: &line)
                break fieldLoop
            }
        }
        if invalidUTF8 { return .failure(CSVReadError(kind: .invalidUTF8, line: startLine)) }
        return .record(CSVRecord(line: startLine, fields: fields))
    }

    /// Steps over an LF, CRLF or lone CR at `position` and counts the line.
    @inline(__always)
    private static func consumeLineEnd(_ buffer: UnsafeBufferPointer<UInt8>, position: inout Int, line: inout Int) {
        if buffer[position] == cr && position + 1 < buffer.count && buffer[position + 1] == lf {
            position += 2
        } else {
            position += 1
        }
        line += 1
    }

    /// A field's text. ASCII-only fields (`highBits < 0x80`) skip UTF-8 validation; invalid UTF-8 sets
    /// `invalid` instead of silently becoming replacement characters.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, highBits: UInt8, invalid: inout Bool) -> String {
        if highBits < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        invalid = true
        return ""
    }
}

// MARK: - Problems

/// A problem with an imported file: the line where the offending record starts (the header is
/// line 1), the column when one is to blame, and a sentence for the user.
struct ImportProblem: Codable, Sendable, Equatable {
    var line: Int
    var column: String?
    var message: String
}

/// An import was rejected: every problem found, sorted by line (at most `ProblemLog.limit` of them,
/// then one entry saying how many more there were). Nothing from the file may be written.
struct ImportFailure: Error, Sendable, Equatable {
    var problems: [ImportProblem]
}

/// Collects the problems of one file. Details are kept for the first `limit` problems only, so a
/// file where every one of a million rows is bad cannot exhaust memory, but all are counted.
struct ProblemLog: Sendable {
    static let limit = 1_000

    private var kept: [ImportProblem] = []
    private var firstOmittedLine: Int?
    private(set) var total = 0

    var isEmpty: Bool { total == 0 }

    mutating func add(_ problem: ImportProblem) {
        total += 1
        if kept.count < Self.limit {
            kept.append(problem)
        } else if firstOmittedLine == nil {
            firstOmittedLine = problem.line
        }
    }

    mutating func add(line: Int, column: String?, _ message: String) {
        add(ImportProblem(line: line, column: column, message: message))
    }

    /// The failure to return: problems sorted by line (stable, so a row's problems keep column order).
    var failure: ImportFailure {
        var problems = kept.enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map(\.element)
        if let firstOmittedLine {
            let omitted = total - kept.count
            problems.append(ImportProblem(
                line: firstOmittedLine, column: nil, message: "… and \(omitted) more problem\(omitted == 1 ? "" : "s")"))
        }
        return ImportFailure(problems: problems)
    }
}

// MARK: - Columns and header

/// A column an import understands. The raw value is an ordinal (0, 1, …) so per-row lookups are
/// array indexing rather than hashing.
protocol ImportColumn: RawRepresentable<Int>, CaseIterable, Sendable where AllCases == [Self] {
    /// The column's name in the header row (matched case-insensitively, trimmed).
    var header: String { get }
    /// Whether the header must contain this column (whether a row needs a value is a row rule).
    var isRequired: Bool { get }
}

/// Where each known column sits in a file, resolved from its header row.
///
/// Columns may come in any order. Unknown or repeated names are errors, as is a missing required
/// column, and all of them are reported together. A header cell left empty (spreadsheets add them
/// after the last used column) names no column: it is ignored, as long as no row puts a value in it.
struct ColumnLayout<Column: ImportColumn>: Sendable {
    /// Field index of each column, by raw value; nil when the file lacks that (optional) column.
    private let fieldIndex: [Int?]
    /// Number of cells in the header row; each row must have as many (extra empty cells are fine).
    let width: Int
    /// Positions of header cells without a name.
    let unnamed: [Int]

    private init(fieldIndex: [Int?], width: Int, unnamed: [Int]) {
        self.fieldIndex = fieldIndex
        self.width = width
        self.unnamed = unnamed
    }

    /// The layout described by `header`, or nil after adding the header's problems to `log`.
    static func resolve(_ header: CSVRecord, into log: inout ProblemLog) -> ColumnLayout? {
        let columns = Column.allCases
        var byName: [String: Column] = [:]
        for column in columns { byName[column.header] = column }
        var fieldIndex = [Int?](repeating: nil, count: columns.count)
        var unnamed: [Int] = []
        var valid = true
        for (index, cell) in header.fields.enumerated() {
            let name = ImportText.trimmed(cell).lowercased()
            if name.isEmpty {
                unnamed.append(index)
            } else if let column = byName[name] {
                if let first = fieldIndex[column.rawValue] {
                    log.add(line: header.line, column: column.header,
                            "column \(column.header) appears twice (columns \(first + 1) and \(index + 1))")
                    valid = false
                } else {
                    fieldIndex[column.rawValue] = index
                }
            } else {
                let known = columns.map(\.header).joined(separator: ", ")
                log.add(line: header.line, column: ImportText.trimmed(cell),
                        "unknown column \(ImportText.quoted(ImportText.trimmed(cell))); the columns are: \(known)")
                valid = false
            }
        }
        for column in columns where column.isRequired && fieldIndex[column.rawValue] == nil {
            log.add(line: header.line, column: column.header, "required column \(column.header) is missing from the header")
            valid = false
        }
        return valid ? ColumnLayout(fieldIndex: fieldIndex, width: header.fields.count, unnamed: unnamed) : nil
    }

    /// The trimmed value of `column` in `record`; nil when the column is absent or the cell is blank.
    func value(_ column: Column, in record: CSVRecord) -> String? {
        guard let index = fieldIndex[column.rawValue], index < record.fields.count else { return nil }
        let value = ImportText.trimmed(record.fields[index])
        return value.isEmpty ? nil : value
    }
}

/// One record being validated: reads values and collects that row's problems.
struct RowContext<Column: ImportColumn>: Sendable {
    let record: CSVRecord
    let layout: ColumnLayout<Column>
    private(set) var problems: [ImportProblem] = []

    init(record: CSVRecord, layout: ColumnLayout<Column>) {
        self.record = record
        self.layout = layout
    }

    var line: Int { record.line }

    /// The trimmed value, nil when absent or blank.
    func value(_ column: Column) -> String? { layout.value(column, in: record) }

    /// The trimmed value, or nil after reporting that it is required.
    mutating func required(_ column: Column) -> String? {
        if let value = value(column) { return value }
        fail(column, "\(column.header) is required")
        return nil
    }

    mutating func fail(_ column: Column?, _ message: String) {
        problems.append(ImportProblem(line: line, column: column?.header, message: message))
    }

    /// Checks the record against the header's shape. Per-column checks of a misaligned row would
    /// only produce noise, so the caller skips them when this fails.
    mutating func checkShape() -> Bool {
        let fields = record.fields
        if fields.count < layout.width
            || fields[layout.width...].contains(where: { !ImportText.trimmed($0).isEmpty }) {
            fail(nil, "the row has \(fields.count) fields but the header has \(layout.width); check separators and quotes")
            return false
        }
        for index in layout.unnamed where !ImportText.trimmed(fields[index]).isEmpty {
            fail(nil, "column \(index + 1) has a value but no name in the header")
            return false
        }
        return true
    }
}

/// The shared import loop: header, then every record, collecting all problems.
enum TabularImport {
    /// Reads `bytes`, resolves the header against `Column`, and validates each non-blank record with
    /// `makeRow`, which returns nil exactly when it added problems to the context. Records whose
    /// cells are all blank (Excel's trailing `;;;;` rows) are skipped like empty lines.
    static func run<Column: ImportColumn, Row>(
        _ bytes: [UInt8], columns: Column.Type, makeRow: (inout RowContext<Column>) -> Row?
    ) -> Result<[Row], ImportFailure> {
        var reader = CSVReader(bytes)
        var log = ProblemLog()

        let header: CSVRecord
        do throws(CSVReadError) {
            guard let first = try reader.next() else {
                let names = Column.allCases.map(\.header).joined(separator: ", ")
                log.add(line: 1, column: nil, "the file is empty; expected a header row with the columns: \(names)")
                return .failure(log.failure)
            }
            header = first
        } catch {
            log.add(line: error.line, column: nil, error.message)
            return .failure(log.failure)
        }
        guard let layout = ColumnLayout<Column>.resolve(header, into: &log) else { return .failure(log.failure) }

        var rows: [Row] = []
        while true {
            let record: CSVRecord
            do throws(CSVReadError) {
                guard let next = try reader.next() else { break }
                record = next
            } catch {
                log.add(line: error.line, column: nil, error.message)
                continue
            }
            if record.fields.allSatisfy({ ImportText.trimmed($0).isEmpty }) { continue }
            var context = RowContext(record: record, layout: layout)
            guard context.checkShape() else {
                context.problems.forEach { log.add($0) }
                continue
            }
            let row = makeRow(&context)
            if context.problems.isEmpty, let row {
                rows.append(row)
            } else {
                context.problems.forEach { log.add($0) }
                if context.problems.isEmpty {
                    log.add(line: record.line, column: nil, "the row could not be read")
                }
            }
        }
        return log.isEmpty ? .success(rows) : .failure(log.failure)
    }
}

// MARK: - Value rules

/// Text helpers shared by the imports.
enum ImportText {
    /// `text` without leading and trailing spaces and tabs (spreadsheet cells often carry them).
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        if !isBlank(first) && !isBlank(last) { return text }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end && isBlank(utf8[start]) { start = utf8.index(after: start) }
        while end > start && isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// `value` in quotes for a message, shortened so one huge cell cannot flood the problem list.
    static func quoted(_ value: String) -> String {
        value.count > 40 ? "\"\(value.prefix(40))…\"" : "\"\(value)\""
    }
}

/// The per-value rules, shared by both imports.
enum ImportRules {
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
    static func isWarehouseCode(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, isUpperOrDigit(first) else { return false }
        return utf8.allSatisfy { isUpperOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `true/false/yes/no/1/0`, any case.
    static func bool(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "1": true
        case "false", "no", "0": false
        default: nil
        }
    }

    /// A positive integer that fits PostgreSQL `integer`, digits only.
    static func positiveInt32(_ value: String) -> Int? {
        guard value.utf8.allSatisfy(isDigit), let number = Int(value), number > 0, number <= Int(Int32.max) else { return nil }
        return number
    }

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

    private static let posix = Locale(identifier: "en_US_POSIX")

    /// A quantity for `numeric(18, 3)`: digits, optionally a `.` or `,` (Russian Excel writes `12,5`)
    /// and 1–3 fractional digits, greater than zero. The syntax is checked here because
    /// `Decimal(string:)` accepts exponents and stops quietly at the first unexpected character.
    static func quantity(_ value: String) -> Result<Decimal, QuantityError> {
        var integerDigits = 0
        var significantIntegerDigits = 0
        var fractionDigits = 0
        var sawSeparator = false
        var nonZero = false
        var normalized: [UInt8] = []
        normalized.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isDigit(byte) {
                if sawSeparator {
                    fractionDigits += 1
                } else {
                    integerDigits += 1
                    if byte != UInt8(ascii: "0") || significantIntegerDigits > 0 { significantIntegerDigits += 1 }
                }
                if byte != UInt8(ascii: "0") { nonZero = true }
                normalized.append(byte)
            } else if (byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",")) && !sawSeparator && integerDigits > 0 {
                sawSeparator = true
                normalized.append(UInt8(ascii: "."))
            } else {
                return .failure(.notANumber)
            }
        }
        guard integerDigits > 0, !sawSeparator || fractionDigits > 0 else { return .failure(.notANumber) }
        guard fractionDigits <= 3 else { return .failure(.tooManyDecimals) }
        guard significantIntegerDigits <= 15 else { return .failure(.tooLarge) }
        guard nonZero else { return .failure(.notPositive) }
        guard let number = Decimal(string: String(decoding: normalized, as: UTF8.self), locale: posix) else {
            return .failure(.notANumber)
        }
        return .success(number)
    }

    /// Why a quantity was rejected.
    enum QuantityError: Error, Sendable, Equatable {
        case notANumber, tooManyDecimals, tooLarge, notPositive

        /// The rule that was broken, to follow `quantity "…"` in a message.
        var message: String {
            switch self {
            case .notANumber: "must be a number such as 12, 12.5 or 12,5"
            case .tooManyDecimals: "may have at most 3 decimal places"
            case .tooLarge: "is too large (at most 15 digits before the decimal separator)"
            case .notPositive: "must be greater than zero"
            }
        }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    @inline(__always)
    private static func isUpperOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

/// A calendar date without time or zone, read from and written as ISO `YYYY-MM-DD`; ordered
/// chronologically. Only real dates exist (no 2023-02-29), years 0001–9999.
struct ISODate: Sendable, Hashable, Comparable, CustomStringConvertible {
    var year: Int
    var month: Int
    var day: Int

    /// Parses exactly `YYYY-MM-DD`; nil for other shapes and for dates that do not exist.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard ImportRules.isDigit(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year.isMultiple(of: 4) && !year.isMultiple(of: 100)) || year.isMultiple(of: 400) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    static func < (lhs: ISODate, rhs: ISODate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

// MARK: - COPY text

/// Builds PostgreSQL `COPY … FROM STDIN` text-format data: fields separated by tabs, `\N` for NULL,
/// backslash, tab, newline and carriage return escaped as `\\`, `\t`, `\n`, `\r`, one line per row
/// ending in `\n`. Escaping the backslash also keeps a value of `\.` from ending the data early.
struct CopyTextWriter: Sendable {
    private(set) var bytes: [UInt8] = []
    private var atRowStart = true

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one field; nil is NULL.
    mutating func field(_ value: String?) {
        if !atRowStart { bytes.append(UInt8(ascii: "\t")) }
        atRowStart = false
        guard let value else {
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: bytes.append(byte)
            }
        }
    }

    /// Ends the current row.
    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        atRowStart = true
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
