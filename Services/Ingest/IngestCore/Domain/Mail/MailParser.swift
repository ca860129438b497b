import Foundation

/// Parses raw mail (RFC 5322 + MIME) as posted to the ingest service, without any I/O.
public enum MailParser {
    /// Multipart nesting beyond this is refused: real mail stays under ten levels, and the limit
    /// bounds recursion on hostile input.
    static let nestingLimit = 40

    /// Parses `bytes` (CRLF or bare LF line endings). Attachments larger than `maxAttachmentBytes`
    /// keep their name, type and size but not their bytes. Throws only when the input is not mail
    /// or its MIME structure cannot be recovered; everything else is read leniently.
    public static func parse(_ bytes: [UInt8], maxAttachmentBytes: Int = 10 << 20) throws(MailParseError) -> MailMessage {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }  // a UTF-8 byte-order mark left by an editor
        while start < bytes.count, isBlank(bytes[start]) { start += 1 }
        guard start < bytes.count else { throw .emptyInput }
        let block = MailHeaderCodec.parseBlock(bytes, from: start, to: bytes.count, skipMboxLine: true)
        guard !block.fields.isEmpty else { throw .missingHeaders }

        var collector = MailBodyCollector(maxAttachmentBytes: max(0, maxAttachmentBytes))
        try collector.walk(
            bytes, headers: block.fields, body: block.bodyStart..<bytes.count, defaultType: "text/plain", depth: 0
        )

        let fields = block.fields
        func first(_ name: String) -> String? { fields.first { $0.isNamed(name) }?.raw }
        func addresses(_ name: String, all: Bool) -> [MailAddress] {
            let values = all ? fields.filter { $0.isNamed(name) }.map(\.raw) : (first(name).map { [$0] } ?? [])
            return values.flatMap { MailAddressParser.parseList($0) }
        }

        let plain = tidy(collector.plainParts.joined(separator: "\n"))
        let html = collector.htmlParts.isEmpty ? nil : collector.htmlParts.joined(separator: "\n")
        let textBody: String
        if plain.isEmpty, let html {
            textBody = tidy(MailHTMLText.readableText(html))
        } else {
            textBody = plain
        }
        return MailMessage(
            messageID: first("message-id").flatMap { MailHeaderCodec.messageID($0) },
            from: addresses("from", all: false),
            replyTo: addresses("reply-to", all: false),
            to: addresses("to", all: true),
            cc: addresses("cc", all: true),
            subject: first("subject").map { MailHeaderCodec.decodeEncodedWords($0) } ?? "",
            date: first("date").flatMap { MailDateParser.parse($0) },
            headers: fields.map { MailHeader(name: $0.name, value: MailHeaderCodec.decodeEncodedWords($0.raw)) },
            textBody: textBody,
            htmlBody: html,
            attachments: collector.attachments
        )
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Drops leading empty lines and trailing blanks, which mailers add and readers do not want.
    static func tidy(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let firstLine = lines.first, firstLine.allSatisfy({ $0 == " " || $0 == "\t" }) { lines = lines.dropFirst() }
        var result = lines.joined(separator: "\n")
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }

    /// The ranges of a multipart body's parts (RFC 2046 §5.1.1): a delimiter is `--boundary` at the
    /// start of a line followed only by blanks, the line break before it belongs to it, the preamble
    /// and the epilogue after `--boundary--` are ignored, and a missing close delimiter ends the last
    /// part at the end of the body. Nil when the boundary never appears.
    static func splitMultipart(_ bytes: [UInt8], body: Range<Int>, boundary: [UInt8]) -> [Range<Int>]? {
        let delimiter = Array("--".utf8) + boundary
        var parts: [Range<Int>] = []
        var found = false
        var partStart: Int?
        bytes.withUnsafeBufferPointer { buffer in
            delimiter.withUnsafeBufferPointer { delimiter in
                let end = body.upperBound
                var lineStart = body.lowerBound
                while lineStart < end {
                    var lineEnd = lineStart
                    while lineEnd < end, buffer[lineEnd] != 0x0A { lineEnd += 1 }
                    if buffer[lineStart] == 0x2D, lineEnd - lineStart >= delimiter.count {
                        var matches = true
                        for offset in 0..<delimiter.count where buffer[lineStart + offset] != delimiter[offset] {
                            matches = false
                            break
                        }
                        if matches {
                            var position = lineStart + delimiter.count
                            var closing = false
                            if position + 2 <= lineEnd, buffer[position] == 0x2D, buffer[position + 1] == 0x2D {
                                closing = true
                                position += 2
                            }
                            while position < lineEnd, buffer[position] == 0x20 || buffer[position] == 0x09
                                || buffer[position] == 0x0D
                            {
                                position += 1
                            }
                            if position == lineEnd {
                                found = true
                                if let start = partStart {
                                    var partEnd = lineStart
                                    if partEnd > start, buffer[partEnd - 1] == 0x0A {
                                        partEnd -= 1
                                        if partEnd > start, buffer[partEnd - 1] == 0x0D { partEnd -= 1 }
                                    }
                                    parts.append(start..<partEnd)
                                }
                                if closing {
                                    partStart = nil
                                    return
                                }
                                partStart = lineEnd < end ? lineEnd + 1 : end
                            }
                        }
                    }
                    lineStart = lineEnd + 1
                }
            }
        }
        if let start = partStart { parts.append(start..<body.upperBound) }
        return found ? parts : nil
    }
}

/// Walks the MIME tree, sorting leaves into body text, HTML and attachments in document order.
struct MailBodyCollector {
    let maxAttachmentBytes: Int
    var plainParts: [String] = []
    var htmlParts: [String] = []
    var attachments: [MailAttachment] = []

    /// Handles one entity: recurses into multiparts, decodes leaves.
    mutating func walk(
        _ bytes: [UInt8], headers: [MailRawHeader], body: Range<Int>, defaultType: String, depth: Int
    ) throws(MailParseError) {
        let typeField = headers.first { $0.isNamed("content-type") }.map { MailHeaderCodec.parseStructured($0.raw) }
        var type = typeField?.value ?? defaultType
        let slash = type.firstIndex(of: "/")
        if slash == nil || slash == type.startIndex || type.index(after: slash!) == type.endIndex {
            type = type == "text" ? "text/plain" : defaultType  // missing or garbled: the RFC 2045 default
        }
        let parameters = typeField?.parameters ?? [:]

        if type.hasPrefix("multipart/") {
            guard depth < MailParser.nestingLimit else { throw .nestingTooDeep(limit: MailParser.nestingLimit) }
            guard let boundary = parameters["boundary"], !boundary.isEmpty else {
                throw .missingBoundary(contentType: type)
            }
            guard let parts = MailParser.splitMultipart(bytes, body: body, boundary: Array(boundary.utf8)) else {
                throw .boundaryNotFound(boundary: boundary)
            }
            let childDefault = type == "multipart/digest" ? "message/rfc822" : "text/plain"
            for part in parts {
                let block = MailHeaderCodec.parseBlock(bytes, from: part.lowerBound, to: part.upperBound, skipMboxLine: false)
                try walk(
                    bytes, headers: block.fields, body: block.bodyStart..<part.upperBound,
                    defaultType: childDefault, depth: depth + 1
                )
            }
            return
        }

        let disposition = headers.first { $0.isNamed("content-disposition") }.map { MailHeaderCodec.parseStructured($0.raw) }
        let encoding = headers.first { $0.isNamed("content-transfer-encoding") }
            .map { $0.raw.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "\" \t")) } ?? "7bit"
        let content = bytes[body]
        let decoded: [UInt8]
        switch encoding {
        case "base64":
            guard let value = MailTransferDecoding.base64(content) else { throw .invalidBase64(contentType: type) }
            decoded = value
        case "quoted-printable":
            decoded = MailTransferDecoding.quotedPrintable(content)
        default:
            decoded = Array(content)  // 7bit, 8bit, binary, and unknown encodings read as they are
        }

        let name = Self.fileName(disposition?.parameters["filename"] ?? parameters["name"])
        let isBodyType = type == "text/plain" || type == "text/html"
        if isBodyType, name == nil, disposition?.value != "attachment" {
            if type == "text/plain" {
                var text = Self.decodeText(decoded, charset: parameters["charset"])
                if parameters["format"]?.lowercased() == "flowed" {
                    text = Self.unflow(text, deleteSpace: parameters["delsp"]?.lowercased() == "yes")
                }
                plainParts.append(text)
            } else {
                htmlParts.append(Self.decodeText(decoded, charset: parameters["charset"] ?? Self.metaCharset(decoded)))
            }
            return
        }

        let tooLarge = decoded.count > maxAttachmentBytes
        attachments.append(MailAttachment(
            name: name,
            contentType: type,
            contentID: headers.first { $0.isNamed("content-id") }.flatMap { MailHeaderCodec.messageID($0.raw) },
            size: decoded.count,
            bytes: tooLarge ? [] : decoded,
            truncated: tooLarge
        ))
    }

    /// The last path component, trimmed; nil when empty. Old clients send full Windows paths, and a
    /// name with directories must never reach storage.
    static func fileName(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let name = last.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    /// Text in its declared charset with line endings made `\n`; no label → UTF-8 if valid, else Windows Latin.
    static func decodeText(_ bytes: [UInt8], charset label: String?) -> String {
        var normalized: [UInt8] = []
        normalized.reserveCapacity(bytes.count)
        bytes.withUnsafeBufferPointer { input in
            let count = input.count
            for index in 0..<count where !(input[index] == 0x0D && index + 1 < count && input[index + 1] == 0x0A) {
                normalized.append(input[index])
            }
        }
        if let charset = MailCharset(label: label) { return charset.decode(normalized[...]) }
        return MailCharset.decodeGuessing(normalized[...], fallback: .windows1252)
    }

    /// The charset an HTML document declares in its first 2 KB (`<meta charset=…>` or `content="…; charset=…"`),
    /// used only when the MIME header names none.
    static func metaCharset(_ bytes: [UInt8]) -> String? {
        let head = Array(bytes.prefix(2048)).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let needle = Array("charset=".utf8)
        guard head.count >= needle.count else { return nil }
        for start in 0...(head.count - needle.count) where head[start..<(start + needle.count)].elementsEqual(needle) {
            var index = start + needle.count
            while index < head.count, head[index] == UInt8(ascii: "\"") || head[index] == UInt8(ascii: "'") { index += 1 }
            let valueStart = index
            while index < head.count, head[index] < 0x80,
                  Character(Unicode.Scalar(head[index])).isLetter || Character(Unicode.Scalar(head[index])).isNumber
                  || head[index] == UInt8(ascii: "-") || head[index] == UInt8(ascii: "_")
            {
                index += 1
            }
            if index > valueStart { return String(decoding: head[valueStart..<index], as: UTF8.self) }
        }
        return nil
    }

    /// Undoes RFC 3676 `format=flowed`: a line ending in a space continues on the next line;
    /// space-stuffing is removed and the signature separator `-- ` is left alone.
    static func unflow(_ text: String, deleteSpace: Bool) -> String {
        var output: [String] = []
        var current = ""
        var open = false
        for var line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(" ") { line = line.dropFirst() }
            if line != "-- ", line.hasSuffix(" ") {
                current += deleteSpace ? line.dropLast() : line
                open = true
            } else {
                output.append(current + line)
                current = ""
                open = false
            }
        }
        if open { output.append(current) }
        return output.joined(separator: "\n")
    }
}
