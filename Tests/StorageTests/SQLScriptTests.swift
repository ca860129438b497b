import Storage
import Testing

@Suite("Splitting SQL scripts into statements")
struct SQLScriptTests {
    @Test("semicolons end statements only outside strings, identifiers, bodies and comments")
    func splits() {
        let script = """
            -- a comment; not a statement
            CREATE TABLE "odd;name" (note text DEFAULT 'it''s; fine');
            /* block; /* nested; */ still comment */
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT E'a\\';b', $1;
            ;;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'it''s; fine')"))
        #expect(statements[1].contains("RETURN 1; END $body$ LANGUAGE plpgsql"))
        #expect(statements[2] == "DO $$ BEGIN PERFORM 1; END $$")
        #expect(statements[3] == "SELECT E'a\\';b', $1")
    }

    @Test("a script of only comments has no statements")
    func empty() {
        #expect(SQLScript.statements("-- nothing\n/* here */\n").isEmpty)
    }
}
