/// Reduces an HTML body to readable text for mail that has no text/plain part: what a person
/// would read, not a faithful rendering. One linear pass over the UTF-8 bytes.
enum MailHTMLText {
    /// Tags whose content is never shown.
    private static let hiddenContent: Set<String> = ["script", "style", "title"]
    /// Tags that start or end a line.
    private static let blockTags: Set<String> = [
        "p", "div", "li", "tr", "table", "tbody", "thead", "ul", "ol", "dl", "dt", "dd", "blockquote", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section", "article", "header", "footer", "address",
        "form", "fieldset", "center", "caption", "body", "html", "main", "nav", "aside", "figure",
    ]

    /// The text of `html`: hidden content dropped, tags removed, block tags and `<br>` as line breaks,
    /// table cells separated by a space, entities decoded, blanks collapsed, at most one empty line in a row.
    static func readableText(_ html: String) -> String {
        let input = Array(html.utf8)
        let count = input.count
        var out: [UInt8] = []
        out.reserveCapacity(count / 2)
        var pendingSpace = false
        var pendingBreaks = 0

        func emit(_ bytes: some Sequence<UInt8>) {
            if pendingBreaks > 0 {
                if !out.isEmpty { out.append(contentsOf: repeatElement(UInt8(ascii: "\n"), count: min(pendingBreaks, 2))) }
            } else if pendingSpace, !out.isEmpty, out.last != UInt8(ascii: "\n") {
                out.append(UInt8(ascii: " "))
            }
            pendingBreaks = 0
            pendingSpace = false
            out.append(contentsOf: bytes)
        }

        var index = 0
        while index < count {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "<"):
                guard let tag = readTag(input, at: index) else {
                    emit(CollectionOfOne(byte))
                    index += 1
                    continue
                }
                index = tag.end
                if tag.name.isEmpty { continue }  // comment, doctype, processing instruction
                if !tag.closing, hiddenContent.contains(tag.name), !tag.selfClosing {
                    index = endOfElement(input, named: tag.name, from: index)
                    continue
                }
                if tag.name == "br" {
                    pendingBreaks = min(pendingBreaks + 1, 2)
                } else if blockTags.contains(tag.name) {
                    pendingBreaks = max(pendingBreaks, 1)
                } else if tag.name == "td" || tag.name == "th" {
                    pendingSpace = true
                }
            case UInt8(ascii: "&"):
                if let entity = decodeEntity(input, at: index) {
                    index = entity.end
                    if entity.scalar == 0xA0 {
                        pendingSpace = true
                    } else if entity.scalar != 0xAD {  // soft hyphen: invisible
                        emit(utf8(entity.scalar))
                    }
                } else {
                    emit(CollectionOfOne(byte))
                    index += 1
                }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), 0x0C:
                pendingSpace = true
                index += 1
            case 0xC2 where index + 1 < count && input[index + 1] == 0xA0:  // a literal no-break space
                pendingSpace = true
                index += 2
            default:
                var end = index + 1
                while end < count, !isMarkup(input[end]) { end += 1 }
                emit(input[index..<end])
                index = end
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes that interrupt a run of plain text.
    private static func isMarkup(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") || byte == 0x0C || byte == 0xC2
    }

    /// Reads `<name …>`, `</name>`, `<!-- … -->`, `<!…>` or `<?…>` at `start`; nil when the `<` is just text.
    /// The name is lower-cased and empty for comments and declarations.
    private static func readTag(_ input: [UInt8], at start: Int)
        -> (name: String, closing: Bool, selfClosing: Bool, end: Int)?
    {
        let count = input.count
        guard start + 1 < count else { return nil }
        let next = input[start + 1]
        if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
            if next == UInt8(ascii: "!"), start + 3 < count, input[start + 2] == UInt8(ascii: "-"),
               input[start + 3] == UInt8(ascii: "-")
            {
                var index = start + 4
                while index + 2 < count {
                    if input[index] == UInt8(ascii: "-"), input[index + 1] == UInt8(ascii: "-"),
                       input[index + 2] == UInt8(ascii: ">")
                    {
                        return ("", false, false, index + 3)
                    }
                    index += 1
                }
                return ("", false, false, count)
            }
            var index = start + 2
            while index < count, input[index] != UInt8(ascii: ">") { index += 1 }
            return ("", false, false, min(index + 1, count))
        }
        let closing = next == UInt8(ascii: "/")
        let nameStart = closing ? start + 2 : start + 1
        var index = nameStart
        while index < count, isASCIIAlphanumeric(input[index]) { index += 1 }
        guard index > nameStart, isASCIILetter(input[nameStart]) else { return nil }
        let name = String(decoding: input[nameStart..<index].map { $0 | 0x20 }, as: UTF8.self)
        // Find the closing `>`, skipping quoted attribute values; an unbalanced quote falls back to the first `>`.
        let attributesStart = index
        var quote: UInt8?
        while index < count {
            let byte = input[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                break
            }
            index += 1
        }
        if index >= count {
            index = attributesStart
            while index < count, input[index] != UInt8(ascii: ">") { index += 1 }
        }
        let selfClosing = index > attributesStart && index < count && input[index - 1] == UInt8(ascii: "/")
        return (name, closing, selfClosing, min(index + 1, count))
    }

    /// The index after `</name …>` (case-insensitive), or the end of input when the element is never closed.
    private static func endOfElement(_ input: [UInt8], named name: String, from start: Int) -> Int {
        let needle = Array("</\(name)".utf8)
        let count = input.count
        var index = start
        while index + needle.count <= count {
            if input[index] == UInt8(ascii: "<") {
                var matches = true
                for offset in 1..<needle.count where input[index + offset] | 0x20 != needle[offset] | 0x20 {
                    matches = false
                    break
                }
                if matches {
                    var end = index + needle.count
                    while end < count, input[end] != UInt8(ascii: ">") { end += 1 }
                    return min(end + 1, count)
                }
            }
            index += 1
        }
        return count
    }

    /// Decodes `&name;`, `&#NNN;` or `&#xHH;` at `start` (the `;` may be missing, as browsers allow).
    private static func decodeEntity(_ input: [UInt8], at start: Int) -> (scalar: UInt32, end: Int)? {
        let count = input.count
        var index = start + 1
        guard index < count else { return nil }
        if input[index] == UInt8(ascii: "#") {
            index += 1
            let hex = index < count && (input[index] | 0x20) == UInt8(ascii: "x")
            if hex { index += 1 }
            let digitsStart = index
            var value: UInt32 = 0
            while index < count, index - digitsStart < 8 {
                let digit: UInt8?
                if hex {
                    digit = MailTransferDecoding.hexValue(input[index])
                } else if input[index] >= UInt8(ascii: "0"), input[index] <= UInt8(ascii: "9") {
                    digit = input[index] - UInt8(ascii: "0")
                } else {
                    digit = nil
                }
                guard let digit else { break }
                value = value * (hex ? 16 : 10) + UInt32(digit)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < count, input[index] == UInt8(ascii: ";") { index += 1 }
            return (numericScalar(value), index)
        }
        let nameStart = index
        while index < count, index - nameStart < 10, isASCIIAlphanumeric(input[index]) { index += 1 }
        guard index > nameStart,
              let scalar = namedEntities[String(decoding: input[nameStart..<index], as: UTF8.self)]
        else { return nil }
        if index < count, input[index] == UInt8(ascii: ";") { index += 1 }
        return (scalar, index)
    }

    /// A numeric reference's character: 0x80–0x9F mean windows-1252 (as browsers read them); NUL,
    /// surrogates and out-of-range values become U+FFFD.
    private static func numericScalar(_ value: UInt32) -> UInt32 {
        if value >= 0x80, value <= 0x9F { return UInt32(MailCharsetTables.windows1252[Int(value) - 0x80]) }
        if value == 0 || (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return 0xFFFD }
        return value
    }

    /// The UTF-8 encoding of a scalar value (already validated).
    private static func utf8(_ value: UInt32) -> [UInt8] {
        guard let scalar = Unicode.Scalar(value) else { return [0xEF, 0xBF, 0xBD] }
        return Array(String(Character(scalar)).utf8)
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        isASCIILetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// Named references seen in mail: markup, spacing, punctuation and the Latin-1 letters of
    /// Spanish and Portuguese.
    private static let namedEntities: [String: UInt32] = [
        "nbsp": 0xA0, "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "shy": 0xAD,
        "iexcl": 0xA1, "cent": 0xA2, "pound": 0xA3, "curren": 0xA4, "yen": 0xA5, "brvbar": 0xA6, "sect": 0xA7,
        "uml": 0xA8, "copy": 0xA9, "ordf": 0xAA, "laquo": 0xAB, "not": 0xAC, "reg": 0xAE, "macr": 0xAF,
        "deg": 0xB0, "plusmn": 0xB1, "sup2": 0xB2, "sup3": 0xB3, "acute": 0xB4, "micro": 0xB5, "para": 0xB6,
        "middot": 0xB7, "cedil": 0xB8, "sup1": 0xB9, "ordm": 0xBA, "raquo": 0xBB, "frac14": 0xBC,
        "frac12": 0xBD, "frac34": 0xBE, "iquest": 0xBF, "times": 0xD7, "divide": 0xF7,
        "Agrave": 0xC0, "Aacute": 0xC1, "Acirc": 0xC2, "Atilde": 0xC3, "Auml": 0xC4, "Aring": 0xC5,
        "AElig": 0xC6, "Ccedil": 0xC7, "Egrave": 0xC8, "Eacute": 0xC9, "Ecirc": 0xCA, "Euml": 0xCB,
        "Igrave": 0xCC, "Iacute": 0xCD, "Icirc": 0xCE, "Iuml": 0xCF, "ETH": 0xD0, "Ntilde": 0xD1,
        "Ograve": 0xD2, "Oacute": 0xD3, "Ocirc": 0xD4, "Otilde": 0xD5, "Ouml": 0xD6, "Oslash": 0xD8,
        "Ugrave": 0xD9, "Uacute": 0xDA, "Ucirc": 0xDB, "Uuml": 0xDC, "Yacute": 0xDD, "THORN": 0xDE,
        "szlig": 0xDF, "agrave": 0xE0, "aacute": 0xE1, "acirc": 0xE2, "atilde": 0xE3, "auml": 0xE4,
        "aring": 0xE5, "aelig": 0xE6, "ccedil": 0xE7, "egrave": 0xE8, "eacute": 0xE9, "ecirc": 0xEA,
        "euml": 0xEB, "igrave": 0xEC, "iacute": 0xED, "icirc": 0xEE, "iuml": 0xEF, "eth": 0xF0,
        "ntilde": 0xF1, "ograve": 0xF2, "oacute": 0xF3, "ocirc": 0xF4, "otilde": 0xF5, "ouml": 0xF6,
        "oslash": 0xF8, "ugrave": 0xF9, "uacute": 0xFA, "ucirc": 0xFB, "uuml": 0xFC, "yacute": 0xFD,
        "thorn": 0xFE, "yuml": 0xFF, "OElig": 0x152, "oelig": 0x153, "Scaron": 0x160, "scaron": 0x161,
        "Yuml": 0x178, "euro": 0x20AC, "ndash": 0x2013, "mdash": 0x2014, "lsquo": 0x2018, "rsquo": 0x2019,
        "sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E, "bull": 0x2022,
        "hellip": 0x2026, "trade": 0x2122, "ensp": 0x20, "emsp": 0x20, "thinsp": 0x20,
        "zwnj": 0x200C, "zwj": 0x200D, "lrm": 0x200E, "rlm": 0x200F, "numero": 0x2116,
    ]
}
