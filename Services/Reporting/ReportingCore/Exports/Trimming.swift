extension StringProtocol {
    /// The text without leading and trailing white space (spaces, tabs, line ends, NBSP, …), as `trimmingCharacters(in: .whitespacesAndNewlines)` gives it, but
    /// without Foundation's round trip through `NSString`: exports trim every field of every contact.
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return String(self) }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

/// White space as Foundation's `.whitespacesAndNewlines` has it (Unicode `White_Space` and the zero
/// width space), with a fast answer for ASCII.
@inline(__always)
func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.isASCII { return scalar == " " || (0x09...0x0D).contains(scalar.value) }
    return scalar.properties.isWhitespace || scalar == "\u{200B}"
}
