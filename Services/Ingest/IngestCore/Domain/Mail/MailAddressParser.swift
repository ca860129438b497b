import Foundation

/// RFC 5322 address lists (`mailbox-list`, `address-list` with groups), read leniently: display
/// names with or without quotes, comments, obsolete routes, and the unquoted `Doe, John <j@x>` that
/// some clients produce.
enum MailAddressParser {
    private static let space = UInt8(ascii: " ")

    /// Parses an unfolded, not yet RFC 2047 decoded field value into mailboxes, skipping entries
    /// without an address (group names, `undisclosed-recipients:;`, bare words).
    static func parseList(_ raw: String) -> [MailAddress] {
        let bytes = Array(raw.utf8)
        let count = bytes.count
        var result: [MailAddress] = []
        var phrase: [UInt8] = []  // display-name words, single-space separated
        var bare: [UInt8] = []  // the same text without blanks: an addr-spec when there are no angle brackets
        var angle: [UInt8]?
        var comment: [UInt8]?
        var carried: [UInt8] = []  // phrase of a preceding comma-separated piece that had no address
        var blankPending = false
        // Once a quote or comment runs to the end unclosed, no later one can close either (for a
        // quote: any later `"` was escaped or plain text inside the failed scan, and the scans agree
        // from there on), so later openers are read as stray characters without rescanning. This
        // keeps hostile input like `"\"\"\"…` linear instead of quadratic.
        var quotesClose = true
        var commentsClose = true

        func appendWord(_ word: ArraySlice<UInt8>) {
            if blankPending, !phrase.isEmpty { phrase.append(space) }
            blankPending = false
            phrase.append(contentsOf: word)
            bare.append(contentsOf: word)
        }

        func finishMailbox() {
            defer {
                phrase.removeAll()
                bare.removeAll()
                angle = nil
                comment = nil
                blankPending = false
            }
            if let angleAddress = angle {
                let address = cleanAddress(angleAddress)
                guard !address.isEmpty else {
                    carried.removeAll()
                    return
                }
                var nameBytes = carried
                if !carried.isEmpty, !phrase.isEmpty { nameBytes.append(contentsOf: Array(", ".utf8)) }
                nameBytes.append(contentsOf: phrase)
                if nameBytes.isEmpty, let comment { nameBytes = comment }
                carried.removeAll()
                result.append(MailAddress(name: displayName(nameBytes), address: address))
            } else if bare.contains(UInt8(ascii: "@")) {
                let address = cleanAddress(bare)
                carried.removeAll()
                guard !address.isEmpty else { return }
                result.append(MailAddress(name: comment.flatMap { displayName($0) }, address: address))
            } else if !phrase.isEmpty {
                if !carried.isEmpty { carried.append(contentsOf: Array(", ".utf8)) }
                carried.append(contentsOf: phrase)
            }
        }

        var index = 0
        while index < count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\"") where !quotesClose, UInt8(ascii: "(") where !commentsClose:
                index += 1  // an opener that can no longer close: a stray character
            case UInt8(ascii: "\""):
                var word: [UInt8] = []
                var end = index + 1
                while end < count, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\"), end + 1 < count { end += 1 }
                    word.append(bytes[end])
                    end += 1
                }
                if end >= count {
                    index += 1  // a quote that never closes is a stray character, not a string to the end
                    quotesClose = false
                    continue
                }
                index = end + 1
                appendWord(word[...])
            case UInt8(ascii: "("):
                let start = index
                var depth = 0
                var text: [UInt8] = []
                while index < count {
                    let current = bytes[index]
                    if current == UInt8(ascii: "\\"), index + 1 < count {
                        text.append(bytes[index + 1])
                        index += 2
                        continue
                    }
                    if current == UInt8(ascii: "(") {
                        depth += 1
                        if depth > 1 { text.append(current) }
                    } else if current == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                        text.append(current)
                    } else {
                        text.append(current)
                    }
                    index += 1
                }
                if index >= count {
                    // Like a quote: a comment that never closes must not swallow the address after it.
                    index = start + 1
                    commentsClose = false
                    continue
                }
                index += 1
                if comment == nil, !text.isEmpty { comment = text }
                blankPending = true
            case UInt8(ascii: "<"):
                var text: [UInt8] = []
                index += 1
                while index < count, bytes[index] != UInt8(ascii: ">") {
                    if bytes[index] == UInt8(ascii: "\"") {
                        // A quoted local part is kept as written. A quote that does not close before
                        // the `>` is dropped so that it cannot swallow the `>` and the mailboxes after
                        // it. Linear: each search runs from one quote to the next.
                        if let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "\"")),
                            !bytes[(index + 1)..<close].contains(UInt8(ascii: ">"))
                        {
                            text.append(contentsOf: bytes[index...close])
                            index = close + 1
                        } else {
                            index += 1
                        }
                        continue
                    }
                    text.append(bytes[index])
                    index += 1
                }
                index += 1
                if angle == nil { angle = text }
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                finishMailbox()
                index += 1
            case UInt8(ascii: ":") where angle == nil && !bare.contains(UInt8(ascii: "@")):
                // Group start (`Sales: a@x, b@y;`): the group name is not a mailbox.
                phrase.removeAll()
                bare.removeAll()
                comment = nil
                carried.removeAll()
                index += 1
            case space, UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                blankPending = true
                index += 1
            default:
                let start = index
                while index < count, !isSpecial(bytes[index]) { index += 1 }
                if index == start { index += 1 }  // a lone `>` or `)`: ignore
                else { appendWord(bytes[start..<index]) }
            }
        }
        finishMailbox()
        return result
    }

    /// Bytes that end an atom-ish run in this lenient reading.
    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), space, UInt8(ascii: "\t"),
             UInt8(ascii: "\r"), UInt8(ascii: "\n"):
            true
        default:
            false
        }
    }

    /// The addr-spec without blanks, obsolete route (`@a,@b:`) or `mailto:` prefix (some web forms add one).
    private static func cleanAddress(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes.filter { $0 != space && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        if text.hasPrefix("@"), let colon = text.lastIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
        if text.lowercased().hasPrefix("mailto:") { text = String(text.dropFirst(7)) }
        return text
    }

    /// The display name, RFC 2047 decoded, trimmed and without stray surrounding quotes; nil when empty.
    private static func displayName(_ bytes: [UInt8]) -> String? {
        var name = MailHeaderCodec.decodeEncodedWords(String(decoding: bytes, as: UTF8.self))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for quote in ["\"", "'"] where name.count >= 2 && name.hasPrefix(quote) && name.hasSuffix(quote) {
            name = String(name.dropFirst().dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return name.isEmpty ? nil : name
    }
}
