import ArgumentParser
import Foundation
import LeadAnalysis
import LeadModel
import SyntheticLeads

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

            --shapes plants non-linear effects instead of straight lines (log-odds + 0.45·ln(size/80), \
            −1.1 past 30 days of inactivity, a page-view effect that saturates) and an interaction \
            (lead_source=event × job_level=individual: −1.5): the synthetic set of QUALITY.md. Without \
            it the output is the same bytes as ever.

            Examples:
              leadscore generate --rows 20000 --seed 7 --out datasets/leads.csv
              leadscore generate --rows 20000 --seed 21 --shapes --out shaped-leads.csv
            """
    )

    @Option(help: ArgumentHelp("Number of leads.", valueName: "n"))
    var rows: Int

    @Option(help: ArgumentHelp("Random seed: the same seed gives the same bytes.", valueName: "n"))
    var seed: UInt64 = 1

    @Flag(help: "Leave out status and reject_reason (new leads to score); 1% get an industry never seen in training.")
    var unlabeled = false

    @Flag(help: "Plant non-linear effects and an interaction (the quality table's synthetic set); labeled only.")
    var shapes = false

    @Flag(help: "Add the CRM columns owner, handed_off_at, decided_at and returned_from (for 'leadscore sla'); the other columns are the same bytes as without it.")
    var crm = false

    @Option(name: [.short, .long], help: ArgumentHelp("Output file ('-' is standard output).", valueName: "path"))
    var out = "-"

    func validate() throws {
        if rows < 0 { throw ValidationError("--rows must be ≥ 0.") }
        if crm && shapes { throw ValidationError("--crm adds CRM columns to the plain generator's leads; leave out --shapes.") }
        if shapes && unlabeled { throw ValidationError("--shapes writes labeled leads only; leave out --unlabeled.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let sink = try OutputSink(path: out)
            if crm {
                let base = FileManager.default.temporaryDirectory.appendingPathComponent("leadscore-generate-\(getpid())-\(UUID().uuidString).csv").path
                defer { try? FileManager.default.removeItem(atPath: base) }
                let plain = try OutputSink(path: base)
                var g = LeadGenerator(seed: seed)
                g.labeled = !unlabeled
                try g.write(rows: rows, to: plain)
                try plain.commit()
                try CRMTimeline(seed: seed).extend(input: base, to: sink)
            } else if shapes {
                try ShapedLeadGenerator(seed: seed).write(rows: rows, to: sink)
            } else {
                var g = LeadGenerator(seed: seed)
                g.labeled = !unlabeled
                try g.write(rows: rows, to: sink)
            }
            try sink.commit()
        }
    }
}
