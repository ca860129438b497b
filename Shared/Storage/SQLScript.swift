/// Splits a SQL script into statements for the extended query protocol, which runs one statement
/// per call. Understands what PostgreSQL scripts contain: '…' strings (with ''), E'…' escapes,
/// "…" identifiers, $tag$…$tag$ bodies, -- and nested /* */ comments.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var hasContent = false

        func flush() {
            let text = String(current).trimmingWhitespace()
            if hasContent, !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            hasContent = false
        }
        func take(_ count: Int) {
            current.append(contentsOf: chars[index..<min(index + count, chars.count)])
            index += count
        }

        while index < chars.count {
            let c = chars[index]
            let next = index + 1 < chars.count ? chars[index + 1] : nil
            switch c {
            case "-" where next == "-":
                while index < chars.count, chars[index] != "\n" { take(1) }
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if chars[index] == "/", index + 1 < chars.count, chars[index + 1] == "*" { depth += 1; take(2) }
                    else if chars[index] == "*", index + 1 < chars.count, chars[index + 1] == "/" { depth -= 1; take(2) }
                    else { take(1) }
                } while depth > 0 && index < chars.count
            case "'", "\"":
                let backslashEscapes = c == "'" && index > 0 && (chars[index - 1] == "E" || chars[index - 1] == "e")
                hasContent = true
                take(1)
                while index < chars.count {
                    if backslashEscapes, chars[index] == "\\" { take(2); continue }
                    if chars[index] == c {
                        if index + 1 < chars.count, chars[index + 1] == c { take(2); continue }
                        take(1)
                        break
                    }
                    take(1)
                }
            case "$":
                // $tag$ … $tag$ (tag empty or an identifier); a lone $1 parameter is not a quote.
                var end = index + 1
                while end < chars.count, chars[end] == "_" || chars[end].properties.isAlphabetic
                    || (end > index + 1 && chars[end].properties.numericType != nil) { end += 1 }
                guard end < chars.count, chars[end] == "$" else { hasContent = true; take(1); continue }
                let tag = Array(chars[index...end])
                hasContent = true
                take(tag.count)
                while index < chars.count {
                    if chars[index] == "$", index + tag.count <= chars.count, Array(chars[index..<index + tag.count]) == tag {
                        take(tag.count)
                        break
                    }
                    take(1)
                }
            case ";":
                flush()
                index += 1
            default:
                if !c.properties.isWhitespace { hasContent = true }
                take(1)
            }
        }
        flush()
        return statements
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
