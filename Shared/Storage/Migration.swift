import Crypto
import Foundation

/// One versioned SQL migration file (`NNNN_description.sql`) owned by a service.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    public var checksum: String

    /// The file name the migration was read from, used in every message about it.
    public var fileName: String { name + ".sql" }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Self.checksum(of: sql)
    }

    /// Hex SHA-256 of the file's bytes: any edit to a released migration changes it.
    public static func checksum(of sql: String) -> String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a set of migrations cannot be applied.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case unreadableDirectory(String)
    case badFileName(String)
    case duplicateVersion(Int, String, String)
    case checksumMismatch(file: String, recorded: String, actual: String)
    case failed(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableDirectory(let path):
            "cannot read the migrations folder \(path)"
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_description.sql"
        case .duplicateVersion(let version, let a, let b):
            "migrations \(a) and \(b) share version \(version)"
        case .checksumMismatch(let file, let recorded, let actual):
            "migration \(file) was changed after it was applied (recorded checksum \(recorded.prefix(12))…, "
                + "file now \(actual.prefix(12))…). Released migrations must never be edited: "
                + "restore the file and add a new migration instead."
        case .failed(let file, let reason):
            "migration \(file) failed: \(reason)"
        }
    }
}

extension Migration {
    /// Reads every `NNNN_description.sql` in a folder, ordered by version.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.unreadableDirectory(directory.path)
        }
        var byVersion: [Int: Migration] = [:]
        for fileName in names where fileName.hasSuffix(".sql") {
            let base = String(fileName.dropLast(4))
            guard let underscore = base.firstIndex(of: "_"),
                let version = Int(base[..<underscore]),
                base.distance(from: base.startIndex, to: underscore) == 4
            else { throw MigrationError.badFileName(fileName) }
            let sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            let migration = Migration(version: version, name: base, sql: sql)
            if let existing = byVersion[version] {
                throw MigrationError.duplicateVersion(version, existing.fileName, fileName)
            }
            byVersion[version] = migration
        }
        return byVersion.values.sorted { $0.version < $1.version }
    }
}
