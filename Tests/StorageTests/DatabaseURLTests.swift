import PostgresNIO
import Storage
import Testing

@Suite("Database URLs")
struct DatabaseURLTests {
    @Test("a full URL is read into the client configuration")
    func parses() throws {
        let configuration = try PostgresClient.Configuration.fromURL("postgres://dms_leads:p%40ss@db.internal:5433/dms_leads")
        #expect(configuration.host == "db.internal")
        #expect(configuration.port == 5433)
        #expect(configuration.username == "dms_leads")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == "dms_leads")
    }

    @Test("malformed URLs are refused", arguments: ["", "mysql://a@b/c", "postgres:///db", "postgres://host/db", "postgres://u@h/d?sslmode=bogus"])
    func refused(url: String) {
        #expect(throws: DatabaseURLError.self) { try PostgresClient.Configuration.fromURL(url) }
    }
}
