// The shared import loop: a header row naming the columns, then one record per row, every problem
// reported against the physical line where its record starts (the header is line 1). An import is
// all-or-nothing per file: rows are returned only when no row has a problem.

// MARK: - Problems

/// A problem with an imported file: the line where the offending record starts (the header is
/// line 1), the column when one is to blame, and a sentence for the user.
public struct ImportProblem: Codable, Sendable, Equatable {
    /// The line where the offending record starts; 1 is the header.
    public var line: Int
    /// The column's header name when one column is to blame.
    public var column: String?
    /// A sentence for the user, without the line number.
    public var message: String

    /// A problem on `line`, blamed on `column` when given.
    public init(line: Int, column: String?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

/// An import was rejected: every problem found, sorted by line (at most `ProblemLog.limit` of them,
/// then one entry saying how many more there were). Nothing from the file may be written.
public struct ImportFailure: Error, Sendable, Equatable {
    /// The problems, by line.
    public var problems: [ImportProblem]

    /// A failure with `problems`.
    public init(problems: [ImportProblem]) {
        self.problems = problems
    }
}

/// Collects the problems of one file. Details are kept for the first `limit` problems only, so a
/// file where every one of a million rows is bad cannot exhaust memory, but all are counted.
public struct ProblemLog: Sendable {
    /// How many problems are kept in detail.
    public static let limit = 1_000

    private var kept: [ImportProblem] = []
    private var firstOmittedLine: Int?
    /// Every problem added, kept in detail or not.
    public private(set) var total = 0

    /// An empty log.
    public init() {}

    /// Whether no problem was added.
    public var isEmpty: Bool { total == 0 }

    /// Adds `problem` (in detail while fewer than `limit` are kept).
    public mutating func add(_ problem: ImportProblem) {
        total += 1
        if kept.count < Self.limit {
            kept.append(problem)
        } else if firstOmittedLine == nil {
            firstOmittedLine = problem.line
        }
    }

    /// Adds a problem on `line`, blamed on `column` when given.
    public mutating func add(line: Int, column: String?, _ message: String) {
        add(ImportProblem(line: line, column: column, message: message))
    }

    /// The failure to return: problems sorted by line (stable, so a row's problems keep column order).
    public var failure: ImportFailure {
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
///
/// An import may also accept open-ended *extra* columns whose header starts with
/// ``extraColumnPrefix`` (for example `attr:turnover_class`); rows read them with
/// ``RowContext/extraValues``.
public protocol ImportColumn: RawRepresentable<Int>, CaseIterable, Sendable where AllCases == [Self] {
    /// The column's name in the header row (matched case-insensitively, trimmed).
    var header: String { get }
    /// Whether the header must contain this column (whether a row needs a value is a row rule).
    var isRequired: Bool { get }
    /// The lower-case prefix of extra columns (such as `attr:`), or nil (the default) when every
    /// header cell must name one of the known columns.
    static var extraColumnPrefix: String? { get }
    /// Why an extra column called `name` (the header after the prefix, trimmed, never empty) is not
    /// acceptable, or nil (the default) when it is.
    static func extraColumnProblem(_ name: String) -> String?
}

extension ImportColumn {
    /// No extra columns.
    public static var extraColumnPrefix: String? { nil }

    /// Every extra column name is acceptable.
    public static func extraColumnProblem(_ name: String) -> String? { nil }
}

/// An extra column found in a header: one whose name starts with the columns' ``ImportColumn/extraColumnPrefix``.
public struct ExtraColumn: Sendable, Equatable {
    /// The name after the prefix, trimmed, in the case it was written (`turnover_class` for `attr:turnover_class`).
    public var name: String
    /// The whole header cell, trimmed, for problems about this column.
    public var header: String
    /// The field index of the column in each record.
    public var index: Int

    /// An extra column called `name`, headed `header`, at field `index`.
    public init(name: String, header: String, index: Int) {
        self.name = name
        self.header = header
        self.index = index
    }
}

/// Where each known column sits in a file, resolved from its header row.
///
/// Columns may come in any order. Unknown or repeated names are errors, as is a missing required
/// column, and all of them are reported together. A header cell left empty (spreadsheets add them
/// after the last used column) names no column: it is ignored, as long as no row puts a value in it.
/// Extra columns (see ``ImportColumn/extraColumnPrefix``) need a name after the prefix, and two of
/// them may not have the same name, ignoring case.
public struct ColumnLayout<Column: ImportColumn>: Sendable {
    /// Field index of each column, by raw value; nil when the file lacks that (optional) column.
    @usableFromInline let fieldIndex: [Int?]
    /// Number of cells in the header row; each row must have as many (extra empty cells are fine).
    public let width: Int
    /// Positions of header cells without a name.
    public let unnamed: [Int]
    /// The extra columns, in header order; always empty when `Column` has no extra column prefix.
    public let extraColumns: [ExtraColumn]

    private init(fieldIndex: [Int?], width: Int, unnamed: [Int], extraColumns: [ExtraColumn]) {
        self.fieldIndex = fieldIndex
        self.width = width
        self.unnamed = unnamed
        self.extraColumns = extraColumns
    }

    /// The layout described by `header`, or nil after adding the header's problems to `log`.
    public static func resolve(_ header: CSVRecord, into log: inout ProblemLog) -> ColumnLayout? {
        let columns = Column.allCases
        var byName: [String: Column] = [:]
        for column in columns { byName[column.header] = column }
        let prefix = Column.extraColumnPrefix
        var fieldIndex = [Int?](repeating: nil, count: columns.count)
        var unnamed: [Int] = []
        var extraColumns: [ExtraColumn] = []
        var extraIndexByName: [String: Int] = [:]
        var valid = true
        for (index, cell) in header.fields.enumerated() {
            let trimmed = ImportText.trimmed(cell)
            let name = trimmed.lowercased()
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
            } else if let prefix, name.hasPrefix(prefix) {
                // The prefix is ASCII, so dropping its UTF-8 length keeps the rest as written.
                let extraName = ImportText.trimmed(String(decoding: trimmed.utf8.dropFirst(prefix.utf8.count), as: UTF8.self))
                let key = extraName.lowercased()
                if extraName.isEmpty {
                    log.add(line: header.line, column: trimmed, "column \(ImportText.quoted(trimmed)) needs a name after \(prefix)")
                    valid = false
                } else if let first = extraIndexByName[key] {
                    log.add(line: header.line, column: trimmed,
                            "column \(ImportText.quoted(trimmed)) appears twice (columns \(first + 1) and \(index + 1))")
                    valid = false
                } else if let problem = Column.extraColumnProblem(extraName) {
                    log.add(line: header.line, column: trimmed, problem)
                    valid = false
                } else {
                    extraIndexByName[key] = index
                    extraColumns.append(ExtraColumn(name: extraName, header: trimmed, index: index))
                }
            } else {
                var known = columns.map(\.header).joined(separator: ", ")
                if let prefix { known += " and \(prefix)<name>" }
                log.add(line: header.line, column: trimmed,
                        "unknown column \(ImportText.quoted(trimmed)); the columns are: \(known)")
                valid = false
            }
        }
        for column in columns where column.isRequired && fieldIndex[column.rawValue] == nil {
            log.add(line: header.line, column: column.header, "required column \(column.header) is missing from the header")
            valid = false
        }
        guard valid else { return nil }
        return ColumnLayout(fieldIndex: fieldIndex, width: header.fields.count, unnamed: unnamed, extraColumns: extraColumns)
    }

    /// Whether the file has `column` (optional columns may be left out of the header).
    @inlinable
    public func contains(_ column: Column) -> Bool { fieldIndex[column.rawValue] != nil }

    /// The trimmed value of `column` in `record`; nil when the column is absent or the cell is blank.
    @inlinable
    public func value(_ column: Column, in record: CSVRecord) -> String? {
        guard let index = fieldIndex[column.rawValue], index < record.fields.count else { return nil }
        let value = ImportText.trimmed(record.fields[index])
        return value.isEmpty ? nil : value
    }
}

/// One record being validated: reads values and collects that row's problems.
public struct RowContext<Column: ImportColumn>: Sendable {
    /// The record being validated.
    public let record: CSVRecord
    /// The file's columns.
    public let layout: ColumnLayout<Column>
    /// The row's problems so far, in the order they were found.
    public private(set) var problems: [ImportProblem] = []

    /// A context for `record`, read through `layout`.
    @inlinable
    public init(record: CSVRecord, layout: ColumnLayout<Column>) {
        self.record = record
        self.layout = layout
    }

    /// The line where the record starts.
    @inlinable
    public var line: Int { record.line }

    /// The trimmed value, nil when absent or blank.
    @inlinable
    public func value(_ column: Column) -> String? { layout.value(column, in: record) }

    /// The trimmed value, or nil after reporting that it is required.
    @inlinable
    public mutating func required(_ column: Column) -> String? {
        if let value = value(column) { return value }
        fail(column, "\(column.header) is required")
        return nil
    }

    /// Reports a problem with this row, blamed on `column` when given.
    public mutating func fail(_ column: Column?, _ message: String) {
        problems.append(ImportProblem(line: line, column: column?.header, message: message))
    }

    /// Reports a problem with this row's value of an extra column.
    public mutating func fail(_ column: ExtraColumn, _ message: String) {
        problems.append(ImportProblem(line: line, column: column.header, message: message))
    }

    /// The trimmed value of an extra column, nil when the cell is blank.
    @inlinable
    public func value(_ column: ExtraColumn) -> String? {
        guard column.index < record.fields.count else { return nil }
        let value = ImportText.trimmed(record.fields[column.index])
        return value.isEmpty ? nil : value
    }

    /// The row's non-blank extra values (trimmed), in header order.
    @inlinable
    public var extraValues: [(column: ExtraColumn, value: String)] {
        layout.extraColumns.compactMap { column in value(column).map { (column, $0) } }
    }

    /// Checks the record against the header's shape. Per-column checks of a misaligned row would
    /// only produce noise, so the caller skips them when this fails.
    @inlinable
    public mutating func checkShape() -> Bool {
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
public enum TabularImport {
    /// Reads `bytes`, resolves the header against `Column`, and validates each non-blank record with
    /// `makeRow`, which returns nil exactly when it added problems to the context. Records whose
    /// cells are all blank (Excel's trailing `;;;;` rows) are skipped like empty lines.
    ///
    /// Returns every row when no record had a problem, otherwise every problem (header problems
    /// stop the import before any row is read).
    @inlinable
    public static func run<Column: ImportColumn, Row>(
        _ bytes: [UInt8], columns: Column.Type, makeRow: (inout RowContext<Column>) -> Row?
    ) -> Result<[Row], ImportFailure> {
        var reader = CSVReader(bytes)
        var log = ProblemLog()

        let header: CSVRecord
        do throws(CSVReadError) {
            guard let first = try reader.next() else {
                var names = Column.allCases.map(\.header).joined(separator: ", ")
                if let prefix = Column.extraColumnPrefix { names += " and \(prefix)<name>" }
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
