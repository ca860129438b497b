/// `Content-Transfer-Encoding` decoders (RFC 2045), written to accept what real mailers produce.
enum MailTransferDecoding {
    /// Sextet values: 0–63 for the alphabet (standard and URL-safe), then the special classes below.
    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        for byte in [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), 0x0B, 0x0C] {
            table[Int(byte)] = whitespace
        }
        table[Int(UInt8(ascii: "="))] = padding
        return table
    }()
    private static let invalid: UInt8 = 0xFF
    private static let whitespace: UInt8 = 0xFE
    private static let padding: UInt8 = 0xFD

    /// Decodes base64, skipping line breaks, whitespace and stray characters, and tolerating missing
    /// or mid-stream padding (concatenated chunks). Returns nil only when the content is not base64
    /// at all: foreign characters and no alphabet, or more foreign characters than alphabet ones.
    static func base64(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        let table = base64Table
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var pending = 0
        var valid = 0
        var foreign = 0
        table.withUnsafeBufferPointer { table in
            input.withUnsafeBufferPointer { input in
                for byte in input {
                    let value = table[Int(byte)]
                    if value < 64 {
                        valid += 1
                        accumulator = accumulator << 6 | UInt32(value)
                        pending += 1
                        if pending == 4 {
                            out.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                            out.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                            out.append(UInt8(truncatingIfNeeded: accumulator))
                            accumulator = 0
                            pending = 0
                        }
                    } else if value == padding {
                        flush(&out, accumulator, pending)
                        accumulator = 0
                        pending = 0
                    } else if value == invalid {
                        foreign += 1
                    }
                }
            }
        }
        flush(&out, accumulator, pending)
        if foreign > 0 && (valid == 0 || foreign > valid) { return nil }
        return out
    }

    /// Emits the bytes carried by an incomplete final quantum (2 sextets → 1 byte, 3 → 2).
    private static func flush(_ out: inout [UInt8], _ accumulator: UInt32, _ pending: Int) {
        switch pending {
        case 2:
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            break  // 0: nothing pending; 1: six bits cannot form a byte, dropped
        }
    }

    /// Decodes quoted-printable: `=XX` (either case), soft line breaks (`=` then optional blanks then
    /// CRLF or LF), transport-added trailing blanks removed; a malformed `=` is kept literally.
    static func quotedPrintable(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        input.withUnsafeBufferPointer { input in
            let count = input.count
            var index = 0
            while index < count {
                let byte = input[index]
                if byte == UInt8(ascii: "=") {
                    if index + 2 < count, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                        out.append(high << 4 | low)
                        index += 3
                        continue
                    }
                    // Soft line break: '=' followed by optional blanks and the end of the line.
                    var probe = index + 1
                    while probe < count, input[probe] == 0x20 || input[probe] == 0x09 { probe += 1 }
                    if probe == count {
                        index = probe
                        continue
                    }
                    if input[probe] == 0x0A {
                        index = probe + 1
                        continue
                    }
                    if input[probe] == 0x0D, probe + 1 < count, input[probe + 1] == 0x0A {
                        index = probe + 2
                        continue
                    }
                    out.append(byte)
                    index += 1
                } else if byte == 0x20 || byte == 0x09 {
                    var end = index
                    while end < count, input[end] == 0x20 || input[end] == 0x09 { end += 1 }
                    let atLineEnd = end == count || input[end] == 0x0A
                        || (input[end] == 0x0D && end + 1 < count && input[end + 1] == 0x0A)
                    if !atLineEnd {
                        for position in index..<end { out.append(input[position]) }
                    }
                    index = end
                } else {
                    out.append(byte)
                    index += 1
                }
            }
        }
        return out
    }

    /// RFC 2047 "Q" encoding: quoted-printable where `_` stands for a space.
    static func qEncoding(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = input.startIndex
        while index < input.endIndex {
            let byte = input[index]
            if byte == UInt8(ascii: "_") {
                out.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "="), index + 2 < input.endIndex,
                      let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    /// The value of an ASCII hex digit, either case.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
