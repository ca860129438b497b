// Rendering validated rows for PostgreSQL's `COPY … FROM STDIN`, so a whole file loads in one round trip.

/// Builds PostgreSQL `COPY … FROM STDIN` text-format data: fields separated by tabs, `\N` for NULL,
/// backslash, tab, newline and carriage return escaped as `\\`, `\t`, `\n`, `\r`, one line per row
/// ending in `\n`. Escaping the backslash also keeps a value of `\.` from ending the data early.
public struct CopyTextWriter: Sendable {
    /// The data written so far.
    public private(set) var bytes: [UInt8] = []
    private var atRowStart = true

    /// An empty writer with room for `capacity` bytes.
    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one field; nil is NULL.
    public mutating func field(_ value: String?) {
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
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        atRowStart = true
    }
}
