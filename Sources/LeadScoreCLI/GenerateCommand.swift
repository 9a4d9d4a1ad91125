import ArgumentParser
import Foundation
import LeadModel

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic leads with planted rejection drivers (the bundled data comes from here).",
        discussion: """
            Columns: lead_id, created_at, lead_source, industry (34 levels, some rare), country, \
            company_size, job_level, email_type, page_views, days_since_last_activity, \
            webinar_attended, budget_confirmed, marketing_touches, newsletter, and (unless \
            --unlabeled) status (accepted/rejected) and reject_reason. What is planted is listed in \
            datasets/README.md; country, marketing_touches and newsletter have no effect by design.

            Example:
              leadscore generate --rows 20000 --seed 7 --out datasets/leads.csv
            """
    )

    @Option(help: ArgumentHelp("Number of leads.", valueName: "n"))
    var rows: Int

    @Option(help: ArgumentHelp("Random seed: the same seed gives the same bytes.", valueName: "n"))
    var seed: UInt64 = 1

    @Flag(help: "Leave out status and reject_reason (new leads to score); 1% get an industry never seen in training.")
    var unlabeled = false

    @Option(name: [.short, .long], help: ArgumentHelp("Output file ('-' is standard output).", valueName: "path"))
    var out = "-"

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be ≥ 0.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            var g = LeadGenerator(seed: seed)
            g.labeled = !unlabeled
            let sink = try OutputSink(path: out)
            try g.write(rows: rows, to: sink)
            try sink.commit()
        }
    }
}
