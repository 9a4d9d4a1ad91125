import ArgumentParser
import Foundation
import LeadModel

/// `leadscore export`: the model in other forms.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the model in another form (SQL for DuckDB, PostgreSQL and Spark).",
        subcommands: [ExportSQLCommand.self]
    )
}

extension SQLDialect: ExpressibleByArgument {}
extension SQLExportOptions.LevelsTable: ExpressibleByArgument {}
extension SQLExportOptions.Input: ExpressibleByArgument {}

/// `leadscore export sql`: a query that scores leads where they are stored.
struct ExportSQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Write a SQL query (or view) that scores a table of leads exactly as `leadscore score` does.",
        discussion: """
            The query reads the table's model columns as text (typed columns are cast to text; NULL \
            is missing) and returns, per lead, the id, probability, score, grade and, with --reasons \
            K, reason_1..reason_K: the same values as `leadscore score --reasons K` on the same leads \
            (tested on DuckDB, PostgreSQL 15 and Spark SQL). Rows that score would report (text in a \
            numeric column, for example) get NULL probability, score and grade.

            --input typed: the table's numeric columns already have a numeric type (a warehouse \
            table, or a CSV read with the engine's type detection): they are cast to a double \
            instead of parsed from text, and NULL is missing. Categorical and yes/no columns are \
            read as text either way. The scores are the same as --input text on the same values.

            SQL rows have no order, so the output needs an id column: the model's (--id at training) \
            or --id here.

            Categorical columns with many levels are looked up in a levels table that the script \
            creates first (--levels-table auto: above 1,000 levels in DuckDB and PostgreSQL, 200 in \
            Spark; always; never).

            Examples:
              leadscore export sql --model models/leads.json --dialect duckdb --table leads --reasons 3 --out score.sql
              duckdb crm.duckdb < score.sql
              leadscore export sql --model models/leads.json --dialect postgres --view lead_scores --out score.sql
              psql -v ON_ERROR_STOP=1 -f score.sql
              leadscore export sql --model models/leads.json --dialect spark --table crm.leads --view lead_scores --out score.sql
              spark-sql -f score.sql
            """
    )

    @Option(help: ArgumentHelp("The model file written by train.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("duckdb, postgres or spark.", valueName: "dialect"))
    var dialect: SQLDialect

    @Option(help: ArgumentHelp("The table (or view) holding the leads; a dotted name (crm.leads) is quoted part by part.", valueName: "name"))
    var table = "leads"

    @Option(help: ArgumentHelp("Write CREATE OR REPLACE VIEW name AS … instead of a query (Spark: a temporary view).", valueName: "name"))
    var view: String?

    @Option(help: ArgumentHelp("Id column copied to the output. Default: the model's id column.", valueName: "column"))
    var id: String?

    @Option(help: ArgumentHelp("Add reason_1…reason_K: codes of the K contributions that pull each score down most.", valueName: "k"))
    var reasons = 0

    @Option(help: ArgumentHelp("Read categorical levels from a levels table: auto (columns with many levels), always or never.", valueName: "auto|always|never"))
    var levelsTable: SQLExportOptions.LevelsTable = .auto

    @Option(help: ArgumentHelp("Name of the levels table. Default: <view>_levels, or leadscore_levels.", valueName: "name"))
    var levelsTableName: String?

    @Option(help: ArgumentHelp("text (default: every column read as text and parsed as score parses a CSV) or typed (numeric columns already numbers).", valueName: "text|typed"))
    var input: SQLExportOptions.Input = .text

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the SQL ('-' is standard output). A file appears only when complete.", valueName: "path"))
    var out = "-"

    @Flag(help: "No notices on standard error.")
    var quiet = false

    func validate() throws {
        if reasons < 0 { throw ValidationError("--reasons must be ≥ 0.") }
        for (flag, name) in [("--table", Optional(table)), ("--view", view), ("--levels-table-name", levelsTableName), ("--id", id)] {
            if let name, name.isEmpty || name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) && flag != "--id" {
                throw ValidationError("\(flag) '\(name)' is not a name: it is empty or has an empty part between dots.")
            }
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let loaded = try LeadScoreModel.load(from: model)
            var o = SQLExportOptions(dialect: dialect)
            o.table = table
            o.view = view
            o.idColumn = id
            o.reasons = reasons
            o.levelsTable = levelsTable
            o.levelsTableName = levelsTableName
            o.input = input
            let export: SQLExport
            do {
                export = try SQLExport(model: loaded, options: o)
            } catch let e as SQLExportError {
                throw ValidationError(e.description)
            }
            if !quiet { for n in export.notices { Terminal.note(n) } }
            let sink = try OutputSink(path: out)
            try sink.write(export.script)
            try sink.commit()
        }
    }
}
