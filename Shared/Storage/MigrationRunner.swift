import Logging
import NIOCore
import PostgresNIO

/// Applies a service's migrations in order, once, under an advisory lock so that several
/// replicas starting together never race; refuses to start when an applied file was edited.
public struct MigrationRunner: Sendable {
    /// Advisory lock key shared by every migration run in a database.
    static let lockKey: Int64 = 0x444D_535F_4D49_4752  // "DMS_MIGR"

    public let migrations: [Migration]
    /// Where applied versions are recorded: a service's own files in `schema_migrations`; the
    /// shared messaging tables (outbox, inbox) in their own table so the two numberings never clash.
    public let table: String

    public init(migrations: [Migration], table: String = "schema_migrations") {
        precondition(table.wholeMatch(of: /[a-z_][a-z0-9_]*/) != nil, "migration table must be a plain identifier")
        self.migrations = migrations
        self.table = table
    }

    /// Applies what is pending and returns the versions applied now (empty when up to date).
    @discardableResult
    public func apply(on client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            try await self.apply(on: connection, logger: logger)
        }
    }

    /// The same on one connection (the advisory lock is held by that session).
    @discardableResult
    public func apply(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let applied = try await self.applyLocked(on: connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func applyLocked(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var recorded: [Int: (name: String, checksum: String)] = [:]
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM \(unescaped: table) ORDER BY version", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            recorded[version] = (name, checksum)
        }
        let known = Set(migrations.map(\.version))
        for (version, entry) in recorded where !known.contains(version) {
            logger.warning(
                "database has a migration this build does not know; a newer release applied it",
                metadata: ["migration": "\(entry.name).sql", "version": "\(version)"])
        }
        for migration in migrations {
            if let entry = recorded[migration.version], entry.checksum != migration.checksum {
                throw MigrationError.checksumMismatch(
                    file: migration.fileName, recorded: entry.checksum, actual: migration.checksum)
            }
        }
        var applied: [Int] = []
        for migration in migrations where recorded[migration.version] == nil {
            logger.info("applying migration", metadata: ["migration": "\(migration.fileName)"])
            do {
                // One transaction makes the file and its record one atomic step.
                try await connection.query("BEGIN", logger: logger)
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: table) (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """,
                    logger: logger
                )
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw MigrationError.failed(file: migration.fileName, reason: Self.describe(error))
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// PostgreSQL's own message for a failed statement (`String(reflecting:)` holds it), else the error.
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            return message
        }
        return String(describing: error)
    }
}
