import Foundation
import Logging
import PostgresNIO
import Storage
import Testing
import TestSupport

/// A folder of migration files made for one test.
struct MigrationFolder {
    let url: URL

    init(_ files: [String: String]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    }

    func write(_ name: String, _ sql: String) throws {
        try sql.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func runner() throws -> MigrationRunner { MigrationRunner(migrations: try Migration.load(from: url)) }
}

let logger = Logger(label: "test.migrations")

@Suite("Migration files")
struct MigrationFileTests {
    @Test("files load in version order with their checksums")
    func ordering() throws {
        let folder = try MigrationFolder([
            "0002_second.sql": "SELECT 2;", "0001_first.sql": "SELECT 1;", "README.md": "ignored",
        ])
        let migrations = try Migration.load(from: folder.url)
        #expect(migrations.map(\.version) == [1, 2])
        #expect(migrations[0].fileName == "0001_first.sql")
        #expect(migrations[0].checksum == Migration.checksum(of: "SELECT 1;"))
        #expect(migrations[0].checksum != migrations[1].checksum)
    }

    @Test("badly named and duplicate files are refused", arguments: [
        ["1_short.sql": "SELECT 1;"], ["abcd_x.sql": "SELECT 1;"], ["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"],
    ])
    func refused(files: [String: String]) throws {
        let folder = try MigrationFolder(files)
        #expect(throws: MigrationError.self) { try Migration.load(from: folder.url) }
    }
}

@Suite("Migration runner against PostgreSQL")
struct MigrationRunnerTests {
    @Test("applying twice changes nothing")
    func idempotent() async throws {
        let folder = try MigrationFolder([
            "0001_things.sql": "CREATE TABLE things (id int PRIMARY KEY); INSERT INTO things VALUES (1);",
            "0002_more.sql": "ALTER TABLE things ADD COLUMN name text; INSERT INTO things VALUES (2, 'b');",
        ])
        try await TemporaryDatabase.with { url in
            try await TemporaryDatabase.withClient(url: url) { client in
                #expect(try await folder.runner().apply(on: client, logger: logger) == [1, 2])
                #expect(try await folder.runner().apply(on: client, logger: logger) == [])
                let rows = try await client.query("SELECT count(*)::int FROM things", logger: logger)
                for try await count in rows.decode(Int.self) { #expect(count == 2) }
                try folder.write("0003_third.sql", "INSERT INTO things VALUES (3, 'c');")
                #expect(try await folder.runner().apply(on: client, logger: logger) == [3])
            }
        }
    }

    @Test("an applied migration that was edited stops the run, naming the file")
    func tampered() async throws {
        let folder = try MigrationFolder(["0001_things.sql": "CREATE TABLE things (id int);"])
        try await TemporaryDatabase.with { url in
            try await TemporaryDatabase.withClient(url: url) { client in
                try await folder.runner().apply(on: client, logger: logger)
                try folder.write("0001_things.sql", "CREATE TABLE things (id bigint);")
                try folder.write("0002_next.sql", "CREATE TABLE next (id int);")
                do {
                    try await folder.runner().apply(on: client, logger: logger)
                    Issue.record("an edited migration was accepted")
                } catch let error as MigrationError {
                    guard case .checksumMismatch(let file, _, _) = error else { throw error }
                    #expect(file == "0001_things.sql")
                    #expect("\(error)".contains("0001_things.sql"))
                }
                // Nothing after the edited file ran.
                let rows = try await client.query("SELECT to_regclass('next') IS NULL", logger: logger)
                for try await missing in rows.decode(Bool.self) { #expect(missing) }
            }
        }
    }

    @Test("a failing migration is rolled back whole and named")
    func failingMigrationRollsBack() async throws {
        let folder = try MigrationFolder([
            "0001_ok.sql": "CREATE TABLE ok (id int);",
            "0002_broken.sql": "CREATE TABLE half (id int); SELECT * FROM no_such_table;",
        ])
        try await TemporaryDatabase.with { url in
            try await TemporaryDatabase.withClient(url: url) { client in
                await #expect { try await folder.runner().apply(on: client, logger: logger) } throws: { error in
                    "\(error)".contains("0002_broken.sql") && "\(error)".contains("no_such_table")
                }
                let rows = try await client.query(
                    "SELECT to_regclass('half') IS NULL, (SELECT count(*)::int FROM schema_migrations)", logger: logger)
                for try await (halfMissing, recorded) in rows.decode((Bool, Int).self) {
                    #expect(halfMissing)
                    #expect(recorded == 1)
                }
            }
        }
    }

    @Test("replicas migrating at once apply each file exactly once")
    func concurrentReplicas() async throws {
        let folder = try MigrationFolder([
            "0001_counter.sql": "CREATE TABLE runs (n int); INSERT INTO runs VALUES (1);",
            "0002_counter.sql": "INSERT INTO runs VALUES (2);",
        ])
        try await TemporaryDatabase.with { url in
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await TemporaryDatabase.withClient(url: url) { try await folder.runner().apply(on: $0, logger: logger) }
                    }
                }
                var all: [Int] = []
                for try await versions in group { all += versions }
                return all
            }
            #expect(applied.sorted() == [1, 2])
            #expect(try await ServiceHarness.scalar("SELECT count(*)::text FROM runs", databaseURL: url) == "2")
        }
    }
}
