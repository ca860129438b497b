import Foundation

/// A header field as read: name and unfolded value, bytes decoded to text but RFC 2047 words still
/// encoded, because structured fields (addresses, parameters) must be split before decoding.
struct MailRawHeader: Sendable, Equatable {
    var name: String
    var raw: String

    /// Whether this field has the given lower-case name; header names are case-insensitive.
    func isNamed(_ lowercasedName: String) -> Bool {
        name.count == lowercasedName.count && name.lowercased() == lowercasedName
    }
}

/// A `type/subtype` or disposition value with its parameters (keys lower-cased, RFC 2231 resolved).
struct MailStructuredValue: Sendable, Equatable {
    var value: String
    var parameters: [String: String]
}

/// Header-level decoding: header blocks, RFC 2047 encoded words, MIME parameters (RFC 2045/2231).
enum MailHeaderCodec {
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let colon = UInt8(ascii: ":")

    // MARK: Header blocks

    /// Reads the header block starting at `start` and returns its fields and where the body starts.
    /// Ends at the first empty line, or leniently at the first line that is neither a field nor a
    /// continuation (broken mailers omit the empty line). `skipMboxLine` drops a leading mbox `From `
    /// envelope line, which mail saved from a mailbox file still carries.
    static func parseBlock(_ bytes: [UInt8], from start: Int, to end: Int, skipMboxLine: Bool)
        -> (fields: [MailRawHeader], bodyStart: Int)
    {
        var names: [[UInt8]] = []
        var values: [[UInt8]] = []
        var position = start
        var bodyStart = end
        while position < end {
            var lineEnd = position
            while lineEnd < end, bytes[lineEnd] != lf { lineEnd += 1 }
            let next = lineEnd < end ? lineEnd + 1 : end
            var contentEnd = lineEnd
            if contentEnd > position, bytes[contentEnd - 1] == cr { contentEnd -= 1 }
            if contentEnd == position {
                bodyStart = next
                break
            }
            let first = bytes[position]
            if first == space || first == tab, !values.isEmpty {
                // Unfolding (RFC 5322 §2.2.3) removes only the line break; a folding tab reads as a space.
                values[values.count - 1].append(space)
                values[values.count - 1].append(contentsOf: bytes[(position + 1)..<contentEnd])
            } else if let colonIndex = fieldNameEnd(bytes, from: position, to: contentEnd) {
                var nameEnd = colonIndex
                while nameEnd > position, bytes[nameEnd - 1] == space || bytes[nameEnd - 1] == tab { nameEnd -= 1 }
                names.append(Array(bytes[position..<nameEnd]))
                values.append(Array(bytes[(colonIndex + 1)..<contentEnd]))
            } else if skipMboxLine, names.isEmpty, isMboxFromLine(bytes, from: position, to: contentEnd) {
                // skip it
            } else {
                bodyStart = position
                break
            }
            position = next
        }
        if names.isEmpty { return ([], bodyStart) }

        // Raw 8-bit header bytes (against RFC 5322 but common) are read as UTF-8 when valid, else in
        // the charset the entity declares for its text, else as Windows Latin.
        var fallback = MailCharset.windows1252
        if let typeIndex = names.firstIndex(where: { String(decoding: $0, as: UTF8.self).lowercased() == "content-type" }) {
            let ascii = String(decoding: values[typeIndex], as: UTF8.self)
            if let charset = MailCharset(label: parseStructured(ascii).parameters["charset"]), charset.highTable != nil {
                fallback = charset
            }
        }
        var fields: [MailRawHeader] = []
        fields.reserveCapacity(names.count)
        for (name, value) in zip(names, values) {
            let text = MailCharset.decodeGuessing(value[...], fallback: fallback)
            fields.append(MailRawHeader(
                name: String(decoding: name, as: UTF8.self),
                raw: text.trimmingCharacters(in: .whitespacesAndNewlines)
            ))
        }
        return (fields, bodyStart)
    }

    /// Index of the colon when the line is `name:` (printable ASCII name, obsolete blanks before the colon allowed).
    private static func fieldNameEnd(_ bytes: [UInt8], from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end, bytes[index] > 32, bytes[index] < 127, bytes[index] != colon { index += 1 }
        if index == start { return nil }
        while index < end, bytes[index] == space || bytes[index] == tab { index += 1 }
        return index < end && bytes[index] == colon ? index : nil
    }

    /// Whether the line is an mbox envelope line (`From sender date`), which has no colon after `From`.
    private static func isMboxFromLine(_ bytes: [UInt8], from start: Int, to end: Int) -> Bool {
        let prefix: [UInt8] = Array("From ".utf8)
        guard end - start >= prefix.count else { return false }
        for offset in 0..<prefix.count where bytes[start + offset] != prefix[offset] { return false }
        return true
    }

    // MARK: RFC 2047

    /// Decodes RFC 2047 encoded words anywhere in `text` (also inside quoted strings and glued to
    /// other text, as real mailers write them). Whitespace between adjacent encoded words is dropped,
    /// and adjacent words in one charset are decoded together so characters split across words survive.
    static func decodeEncodedWords(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let count = bytes.count
        guard count >= 8, containsEncodedWordStart(bytes) else { return text }

        var output = ""
        var pendingCharset: MailCharset?
        var pendingBytes: [UInt8] = []
        var literalStart = 0
        var lastWordEnd = -1
        var barrenUntil = -1  // text before this was scanned and holds no `?=`: words starting there cannot end
        var index = 0

        func flushPending() {
            if let charset = pendingCharset { output += charset.decode(pendingBytes[...]) }
            pendingCharset = nil
            pendingBytes.removeAll(keepingCapacity: true)
        }

        while index + 1 < count {
            guard bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?"),
                  let word = parseEncodedWord(bytes, at: index, barrenUntil: &barrenUntil)
            else {
                index += 1
                continue
            }
            let between = bytes[literalStart..<index]
            let adjacent = lastWordEnd == literalStart && between.allSatisfy { $0 == space || $0 == tab || $0 == cr || $0 == lf }
            if !adjacent {
                flushPending()
                output += String(decoding: between, as: UTF8.self)
            }
            if pendingCharset != word.charset { flushPending() }
            pendingCharset = word.charset
            pendingBytes.append(contentsOf: word.bytes)
            index = word.end
            literalStart = word.end
            lastWordEnd = word.end
        }
        flushPending()
        output += String(decoding: bytes[literalStart...], as: UTF8.self)
        return output
    }

    private static func containsEncodedWordStart(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?") { return true }
            index += 1
        }
        return false
    }

    /// Parses `=?charset[*lang]?B|Q?text?=` at `start`; nil when it is not a well-formed encoded word.
    /// `barrenUntil` keeps the scan linear on hostile input full of `=?` without any `?=`.
    private static func parseEncodedWord(_ bytes: [UInt8], at start: Int, barrenUntil: inout Int)
        -> (charset: MailCharset, bytes: [UInt8], end: Int)?
    {
        let count = bytes.count
        var index = start + 2
        let charsetStart = index
        while index < count, index - charsetStart <= 64, bytes[index] != UInt8(ascii: "?"),
              bytes[index] > 32, bytes[index] < 127
        {
            index += 1
        }
        guard index < count, bytes[index] == UInt8(ascii: "?"), index > charsetStart else { return nil }
        var label = String(decoding: bytes[charsetStart..<index], as: UTF8.self)
        if let star = label.firstIndex(of: "*") { label = String(label[..<star]) }  // RFC 2231 language suffix
        guard index + 2 < count, bytes[index + 2] == UInt8(ascii: "?") else { return nil }
        let encoding = bytes[index + 1] | 0x20
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        let textStart = index + 3
        guard textStart >= barrenUntil else { return nil }
        var textEnd = textStart
        while true {
            if textEnd + 1 >= count || bytes[textEnd] == space || bytes[textEnd] == tab
                || bytes[textEnd] == cr || bytes[textEnd] == lf
            {
                barrenUntil = textEnd
                return nil
            }
            if bytes[textEnd] == UInt8(ascii: "?"), bytes[textEnd + 1] == UInt8(ascii: "=") { break }
            textEnd += 1
        }
        let payload = bytes[textStart..<textEnd]
        let decoded = encoding == UInt8(ascii: "b")
            ? (MailTransferDecoding.base64(payload) ?? [])
            : MailTransferDecoding.qEncoding(payload)
        return (MailCharset(label: label) ?? .utf8, decoded, textEnd + 2)
    }

    // MARK: Parameters

    /// Parses `value; name=token; name="quoted"` (Content-Type, Content-Disposition). Keys are
    /// lower-cased; RFC 2231 (`name*=charset'lang'%XX`, continuations `name*0*`, `name*1`) is resolved
    /// and takes precedence; plain values also get RFC 2047 decoding, which many mailers use instead.
    static func parseStructured(_ raw: String) -> MailStructuredValue {
        let bytes = Array(raw.utf8)
        let count = bytes.count
        var index = 0
        while index < count, bytes[index] != UInt8(ascii: ";") { index += 1 }
        var mainBytes = Array(bytes[0..<index])
        // Lenient: `multipart/mixed boundary="x"` with the semicolon missing.
        var restart = index
        if let equals = mainBytes.firstIndex(of: UInt8(ascii: "=")),
           let blank = mainBytes[..<equals].firstIndex(where: { $0 == space || $0 == tab })
        {
            restart = blank
            mainBytes = Array(mainBytes[..<blank])
        }
        let value = String(decoding: mainBytes.filter { $0 != space && $0 != tab && $0 != cr && $0 != lf }, as: UTF8.self)
            .lowercased()
            .trimmingCharacters(in: CharacterSet(charactersIn: "\""))

        var plain: [String: String] = [:]
        var sections: [String: [(number: Int, extended: Bool, value: String)]] = [:]
        index = restart
        while index < count {
            while index < count, bytes[index] == space || bytes[index] == tab || bytes[index] == UInt8(ascii: ";")
                || bytes[index] == cr || bytes[index] == lf
            {
                index += 1
            }
            let nameStart = index
            while index < count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard index < count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < count, bytes[index] == space || bytes[index] == tab { index += 1 }
            var valueBytes: [UInt8] = []
            if index < count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < count { index += 1 }
                    valueBytes.append(bytes[index])
                    index += 1
                }
                index += 1
                while index < count, bytes[index] != UInt8(ascii: ";") { index += 1 }  // junk after the quote
            } else {
                let valueStart = index
                while index < count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                valueBytes = Array(bytes[valueStart..<index])
                while let last = valueBytes.last, last == space || last == tab { valueBytes.removeLast() }
            }
            guard !name.isEmpty else { continue }
            let parameterValue = String(decoding: valueBytes, as: UTF8.self)
            if let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                var suffix = name[name.index(after: star)...]
                let extended = suffix.hasSuffix("*") || suffix.isEmpty
                if suffix.hasSuffix("*") { suffix = suffix.dropLast() }
                if suffix.isEmpty {
                    sections[base, default: []].append((0, true, parameterValue))
                } else if let number = Int(suffix), number >= 0, number < 10_000 {
                    sections[base, default: []].append((number, extended, parameterValue))
                } else if plain[name] == nil {
                    plain[name] = parameterValue
                }
            } else if plain[name] == nil {
                plain[name] = parameterValue
            }
        }

        var parameters: [String: String] = [:]
        for (name, text) in plain {
            parameters[name] = name == "boundary" ? text : decodeEncodedWords(text)
        }
        for (name, parts) in sections {
            parameters[name] = joinSections(parts)
        }
        return MailStructuredValue(value: value, parameters: parameters)
    }

    /// Joins RFC 2231 sections in order; extended sections are percent-decoded, the first one names the charset.
    private static func joinSections(_ parts: [(number: Int, extended: Bool, value: String)]) -> String {
        var seen = Set<Int>()
        let ordered = parts.sorted { $0.number < $1.number }.filter { seen.insert($0.number).inserted }
        var charset: MailCharset?
        var bytes: [UInt8] = []
        for (offset, part) in ordered.enumerated() {
            guard part.extended else {
                bytes.append(contentsOf: part.value.utf8)
                continue
            }
            var encoded = Substring(part.value)
            if offset == 0 {
                let pieces = part.value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if pieces.count == 3 {
                    charset = MailCharset(label: String(pieces[0]))
                    encoded = pieces[2]
                }
            }
            bytes.append(contentsOf: percentDecode(Array(encoded.utf8)))
        }
        if let charset { return charset.decode(bytes[...]) }
        return MailCharset.decodeGuessing(bytes[...], fallback: .windows1252)
    }

    /// `%XX` to bytes; a `%` not followed by two hex digits stays as it is.
    private static func percentDecode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = MailTransferDecoding.hexValue(bytes[index + 1]),
               let low = MailTransferDecoding.hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    // MARK: Message-ID

    /// The `msg-id` without angle brackets (or the trimmed value when a mailer left them out).
    static func messageID(_ raw: String) -> String? {
        var value = Substring(raw)
        if let open = value.firstIndex(of: "<") {
            value = value[value.index(after: open)...]
            if let close = value.firstIndex(of: ">") { value = value[..<close] }
        } else if let firstWord = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).first {
            value = firstWord
        }
        let id = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }
}
