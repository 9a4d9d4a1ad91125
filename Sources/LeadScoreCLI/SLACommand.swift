import ArgumentParser
import Foundation
import LeadAnalysis
import LeadModel

struct SLACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla",
        abstract: "The service level between marketing and sales: time to decision, leads held too long, the recycle queue.",
        discussion: """
            Reads a CRM export with, per lead, the hand-off time (--handoff), the decision time \
            (--decision; empty while undecided), the owner (--owner), the source (--source), the \
            outcome (the model's target) and the rejection reason (--reason), and reports for both teams:
              days from hand-off to decision (median, 90th percentile, mean, share within --max-days, \
            acceptance rate) overall and by source, grade (the model's) and owner;
              the leads sales held past --max-days (decided late, or undecided at --as-of, default \
            the latest time in the file);
              the rejected leads split as 'patterns' splits them: back to marketing for nurturing \
            (reason one of --recycle-reasons and acceptance probability at least the overall rate or \
            --recycle-min-probability), nurtured until the decision date + --nurture-days, or discarded;
              with a --returned-from column (the id of the earlier lead a lead is a return of): how \
            many came back and how often sales accepted them the second time.
            --queue-out writes the marketing queue: id,owner,source,decided_at,reason,recommendation,\
            nurture_until,probability_accepted_later,main_driver (text cells spreadsheet-safe).

            Example:
              leadscore generate --rows 20000 --seed 7 --crm --out crm.csv
              leadscore sla crm.csv --model models/leads.json --max-days 5 --queue-out queue.csv
            """
    )

    @Argument(help: ArgumentHelp("The CRM export (CSV) with outcomes.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The acceptance model: grades, and the probability the recycling rule needs.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Column of the hand-off time (ISO 8601).", valueName: "column"))
    var handoff = "handed_off_at"

    @Option(help: ArgumentHelp("Column of the decision time (ISO 8601; empty while undecided).", valueName: "column"))
    var decision = "decided_at"

    @Option(help: ArgumentHelp("Column of the sales owner.", valueName: "column"))
    var owner = "owner"

    @Option(help: ArgumentHelp("Column of the lead source.", valueName: "column"))
    var source = "lead_source"

    @Option(help: ArgumentHelp("Column of the rejection reason.", valueName: "column"))
    var reason = "reject_reason"

    @Option(help: ArgumentHelp("Column naming the earlier lead a lead is a return of ('' to ignore).", valueName: "column"))
    var returnedFrom = "returned_from"

    @Option(help: ArgumentHelp("Agreed days sales may hold a lead before deciding.", valueName: "days"))
    var maxDays = 5.0

    @Option(help: ArgumentHelp("Days marketing nurtures a recycled lead before handing it over again.", valueName: "days"))
    var nurtureDays = 90.0

    @Option(help: ArgumentHelp("Reasons that are a matter of timing, comma-separated.", valueName: "a,b"))
    var recycleReasons = "not_ready"

    @Option(help: ArgumentHelp("Acceptance probability a rejected lead needs to be recycled. Default: the overall acceptance rate.", valueName: "p"))
    var recycleMinProbability: Double?

    @Option(help: ArgumentHelp("'Now' for undecided leads (default: the latest time in the file).", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(help: ArgumentHelp("Write the marketing queue (one row per rejected lead) here.", valueName: "path"))
    var queueOut: String?

    @OptionGroup var labels: LabelledDataOptions
    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("text or json.", valueName: "text|json"))
    var format: OutputFormat = .text

    func validate() throws {
        if file == "-" { throw ValidationError("sla reads the file twice; give a file path, not '-'.") }
        if !(maxDays > 0) { throw ValidationError("--max-days must be positive.") }
        if let a = asOf, FieldParser.date(a) == nil { throw ValidationError("--as-of must be an ISO 8601 date such as 2026-06-30, got '\(a)'.") }
        try requireDistinctOutputs([("the report (standard output)", "-"), ("--queue-out", queueOut)])
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let m = try LeadScoreModel.load(from: model)
            let options = try labels.tableOptions(file: file, model: m, data: data, by: nil)
            var columns = ServiceLevelReport.Columns()
            columns.handoff = handoff
            columns.decision = decision
            columns.owner = owner
            columns.source = source
            columns.reason = reason
            columns.returnedFrom = returnedFrom.isEmpty ? nil : returnedFrom
            let (report, queue) = try ServiceLevelReport.measure(
                path: file, model: m, modelName: model, columns: columns, maxDays: maxDays, recycleReasons: commaList([recycleReasons]),
                threshold: recycleMinProbability, nurtureDays: nurtureDays, asOf: asOf, tableOptions: options)
            if let queueOut {
                let sink = try OutputSink(path: queueOut)
                try sink.write(ServiceLevelReport.queueCSV(queue))
                try sink.commit()
            }
            let out = try OutputSink(path: "-")
            switch format {
            case .json: try out.write(try reportJSON(report))
            case .text: try out.write(Terminal.printable(SLAText.render(report)) + "\n")
            }
            try out.commit()
            if report.skippedRows > 0 { throw ExitCode(ExitStatus.partial) }
        }
    }
}

/// `sla`'s summary for both teams.
enum SLAText {
    static func days(_ x: Double?) -> String { x.map { String(format: "%.1f", $0) } ?? "-" }

    static func table(_ title: String, _ rows: [ServiceLevelReport.GroupTimes], _ maxDays: Double) -> [String] {
        var lines = [title, "  " + ExplanationText.pad("", 22) + ["decided", "open", "median d", "p90 d", "mean d", "≤ \(fmt(maxDays, 0)) d", "accepted"]
            .map { ExplanationText.leftPad($0, 10) }.joined()]
        for r in rows {
            let t = r.times
            lines.append("  " + ExplanationText.pad(r.group.isEmpty ? "(none)" : r.group, 22) + [
                "\(t.decided)", "\(t.undecided)", days(t.medianDays), days(t.p90Days), days(t.meanDays), t.withinMaxDays.map(percent) ?? "-",
                t.acceptanceRate.map(percent) ?? "-",
            ].map { ExplanationText.leftPad($0, 10) }.joined())
        }
        return lines
    }

    static func render(_ r: ServiceLevelReport) -> String {
        let o = r.overall
        var lines = ["SERVICE LEVEL: \(r.leads) leads handed to sales (\(r.data)), agreed time to decide: \(fmt(r.maxDays, 0)) days",
                     "  decided in \(days(o.medianDays)) days (median), \(days(o.p90Days)) for the slowest tenth; \(o.withinMaxDays.map(percent) ?? "-") within \(fmt(r.maxDays, 0)) days",
                     "  \(r.heldPastMaxDays) leads held past \(fmt(r.maxDays, 0)) days (as of \(r.asOf))", ""]
        lines += table("BY SOURCE", r.bySource, r.maxDays) + [""]
        lines += table("BY GRADE", r.byGrade, r.maxDays) + [""]
        lines += table("BY OWNER", r.byOwner, r.maxDays) + [""]
        lines.append("HELD PAST \(fmt(r.maxDays, 0)) DAYS (longest first\(r.heldPastMaxDays > r.held.count ? ", first \(r.held.count) of \(r.heldPastMaxDays)" : ""))")
        for h in r.held.prefix(10) {
            lines.append("  " + ExplanationText.pad(h.id, 14) + ExplanationText.pad(h.owner, 10) + ExplanationText.pad(h.source, 14)
                         + ExplanationText.leftPad(days(h.days), 7) + " days" + (h.decided ? "" : " (undecided)"))
        }
        if r.held.count > 10 { lines.append("  … \(r.heldPastMaxDays - 10) more (up to 50 in --format json)") }
        let c = r.recycle
        lines.append("")
        lines.append("FOR MARKETING: \(c.rejected) rejected leads: \(c.recycle) back to marketing for nurturing (\(fmt(c.nurtureDays, 0)) days from the decision), \(c.discard) discarded")
        lines.append("  recycled when the reason is \(c.recycleReasons.joined(separator: " or ")) and the acceptance probability is at least \(percent(c.threshold))")
        for s in c.byReason {
            lines.append("  " + ExplanationText.pad(s.reason.isEmpty ? "(no reason)" : s.reason, 22) + ExplanationText.leftPad("\(s.recycle) recycle", 14)
                         + ExplanationText.leftPad("\(s.discard) discard", 14))
        }
        if let b = r.returned {
            lines.append("")
            lines.append("CAME BACK: \(b.returned) leads are an earlier rejected lead come back; sales accepted \(b.acceptanceRate.map(percent) ?? "-") of them the second time"
                         + " (other leads: \(b.otherAcceptanceRate.map(percent) ?? "-"))")
            lines.append("  \(b.recommendedBefore) of them had been recommended for recycling; \(b.recommendedAccepted) of those were accepted")
        }
        for n in r.notes { lines.append("note: \(n)") }
        return lines.joined(separator: "\n")
    }
}
