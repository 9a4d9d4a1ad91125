import Foundation
import Testing

/// `leadscore export sql` as a user runs it. What the SQL computes is checked on the engines
/// themselves (`make test-engines`).
@Suite struct ExportSQLCLITests {
    @Test func writesTheScriptToStandardOutputOrAFile() throws {
        let r = try CLI.run(["export", "sql", "--model", "models/leads.json", "--dialect", "duckdb", "--reasons", "3"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("-- leadscore duckdb scoring query"))
        #expect(r.stdout.contains("AS reason_3"))
        let path = CLI.temporaryDirectory() + "/score.sql"
        let f = try CLI.run(["export", "sql", "--model", "models/leads.json", "--dialect", "spark", "--view", "lead_scores", "--out", path])
        #expect(f.status == 0)
        #expect(CLI.read(path).contains("CREATE OR REPLACE TEMPORARY VIEW `lead_scores` AS"))
    }

    @Test func refusesWhatItCannotWrite() throws {
        let dialect = try CLI.run(["export", "sql", "--model", "models/leads.json", "--dialect", "oracle"])
        #expect(dialect.status == 64)
        let table = try CLI.run(["export", "sql", "--model", "models/leads.json", "--dialect", "postgres", "--table", "crm..leads"])
        #expect(table.status == 64)
        // A model without an id column: SQL rows have no order, so the id must be named.
        let text = CLI.read(CLI.root + "/models/leads.json").replacingOccurrences(of: "\"id_column\" : \"lead_id\",", with: "")
        let model = CLI.temporaryDirectory() + "/no-id.json"
        CLI.write(text, to: model)
        let noID = try CLI.run(["export", "sql", "--model", model, "--dialect", "postgres"])
        #expect(noID.status == 64)
        #expect(noID.stderr.contains("--id"))
        let named = try CLI.run(["export", "sql", "--model", model, "--dialect", "postgres", "--id", "lead_id"])
        #expect(named.status == 0)
        #expect(named.stdout.contains("leadscore_id AS \"lead_id\""))
    }
}
