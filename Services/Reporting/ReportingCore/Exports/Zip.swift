import Foundation

// A minimal ZIP writer (PKWARE APPNOTE 6.3): entries are *stored* (method 0, no compression), which
// every unzip tool and office suite reads. An archive is, in order:
//
//   per entry   local file header  (30 bytes + name)  then the entry's bytes as they are
//   per entry   central directory header (46 bytes + name), pointing back at its local header
//   once        end of central directory record (22 bytes)
//
// All numbers are little-endian. No ZIP64: an entry, the archive and the entry count must stay under
// the classic limits (4 GiB, 65,535), which an export never comes near; past them writing throws.

/// CRC-32 as ZIP, gzip and PNG use it (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF). `checksum("123456789")` is 0xCBF43926.
public enum CRC32 {
    /// The remainder of each byte value, so a byte costs one look-up.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Why an archive could not be written.
public enum ZipError: Error, Sendable, Equatable {
    /// An entry, or the whole archive, would pass 4 GiB; or there are more than 65,535 entries.
    case tooLarge
    /// An entry name is empty or longer than 65,535 bytes.
    case badName(String)
}

/// A ZIP archive of stored entries, written in the order they were added.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var data: Data
    }

    public private(set) var entries: [Entry] = []
    /// The modification time written for every entry, as MS-DOS keeps it (local time, 2-second steps,
    /// 1980 to 2107). The default, 1980-01-01 00:00, makes equal content give equal bytes.
    public var modified: DateComponents

    public init(modified: DateComponents = DateComponents(year: 1980, month: 1, day: 1, hour: 0, minute: 0, second: 0)) {
        self.modified = modified
    }

    /// Adds an entry; `name` uses `/` between folders and no leading slash.
    public mutating func add(_ name: String, _ data: Data) {
        entries.append(Entry(name: name, data: data))
    }

    /// The archive's bytes.
    public func data() throws -> Data {
        guard entries.count <= 0xFFFF else { throw ZipError.tooLarge }
        let (time, date) = dosTimeAndDate()
        var out = [UInt8]()
        var central = [UInt8]()
        for entry in entries {
            let name = Array(entry.name.utf8)
            guard !name.isEmpty, name.count <= 0xFFFF else { throw ZipError.badName(entry.name) }
            guard entry.data.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else { throw ZipError.tooLarge }
            let crc = CRC32.checksum(entry.data)
            let size = UInt32(entry.data.count)
            let offset = UInt32(out.count)
            // Bit 11: the name is UTF-8 (only set when it is not plain ASCII).
            let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800

            // Local file header.
            out.le(UInt32(0x0403_4B50))
            out.le(UInt16(10))  // version needed to extract: 1.0, stored
            out.le(flags)
            out.le(UInt16(0))  // method: stored
            out.le(time)
            out.le(date)
            out.le(crc)
            out.le(size)  // compressed size
            out.le(size)  // uncompressed size
            out.le(UInt16(name.count))
            out.le(UInt16(0))  // extra field length
            out += name
            out += entry.data

            // Its central directory header.
            central.le(UInt32(0x0201_4B50))
            // Version made by: 2.0 on Unix. With "MS-DOS" here, Info-ZIP's unzip reads names as an
            // OEM code page even when bit 11 says UTF-8.
            central.le(UInt16(3 << 8 | 20))
            central.le(UInt16(10))  // version needed to extract
            central.le(flags)
            central.le(UInt16(0))  // method: stored
            central.le(time)
            central.le(date)
            central.le(crc)
            central.le(size)
            central.le(size)
            central.le(UInt16(name.count))
            central.le(UInt16(0))  // extra field length
            central.le(UInt16(0))  // comment length
            central.le(UInt16(0))  // disk number start
            central.le(UInt16(0))  // internal attributes
            central.le(UInt32(0o100644) << 16)  // external attributes: a regular file, rw-r--r--
            central.le(offset)  // where its local header starts
            central += name
        }
        guard out.count + central.count < 0xFFFF_FFFF else { throw ZipError.tooLarge }
        let centralOffset = UInt32(out.count)
        out += central

        // End of central directory record.
        out.le(UInt32(0x0605_4B50))
        out.le(UInt16(0))  // this disk
        out.le(UInt16(0))  // disk where the central directory starts
        out.le(UInt16(entries.count))  // entries on this disk
        out.le(UInt16(entries.count))  // entries in all
        out.le(UInt32(central.count))
        out.le(centralOffset)
        out.le(UInt16(0))  // comment length
        return Data(out)
    }

    /// `modified` as MS-DOS time (hour << 11 | minute << 5 | second / 2) and date
    /// ((year − 1980) << 9 | month << 5 | day), clamped to what the format holds.
    func dosTimeAndDate() -> (time: UInt16, date: UInt16) {
        let year = min(max(modified.year ?? 1980, 1980), 2107)
        let month = min(max(modified.month ?? 1, 1), 12)
        let day = min(max(modified.day ?? 1, 1), 31)
        let hour = min(max(modified.hour ?? 0, 0), 23)
        let minute = min(max(modified.minute ?? 0, 0), 59)
        let second = min(max(modified.second ?? 0, 0), 59)
        let time = UInt16(hour << 11 | minute << 5 | second / 2)
        let date = UInt16((year - 1980) << 9 | month << 5 | day)
        return (time, date)
    }
}

extension [UInt8] {
    /// Appends `value` little-endian.
    fileprivate mutating func le<Value: FixedWidthInteger>(_ value: Value) {
        var value = value.littleEndian
        Swift.withUnsafeBytes(of: &value) { append(contentsOf: $0) }
    }
}
