import ArgumentParser
import Foundation
import LeadAnalysis
import LeadData
import LeadModel

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "How far new leads have moved from the model's training leads (PSI); no outcomes needed.",
        discussion: """
            Compares FILE with the training profile stored in the model (the deciles of each numeric \
            column, the share of each level, missing rates, the score's deciles) by the population \
            stability index, PSI = Σ (actual − expected) · ln(actual / expected) over the bins \
            (missing and unseen levels are bins of their own; empty bins count as 0.0001).
              PSI < 0.1        stable
              0.1 ≤ PSI < 0.25 moderate: worth a look
              PSI ≥ 0.25       major: retrain, or find out what changed upstream
            Also: each column's missing rate then and now, and the share of levels never seen in training.

            Exit status: 0 when every PSI is below 0.25, 4 when the score or a column drifted by 0.25 \
            or more (the report is written either way), so a pipeline can alert. Models trained \
            before LeadScore stored a profile cannot be checked: status 65, saying so.

            Example:
              leadscore drift datasets/new-leads.csv --model models/leads.json || echo "retrain?"
            """
    )

    @Argument(help: ArgumentHelp("The CSV of new leads (outcomes not needed).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The model whose training profile the leads are compared with.", valueName: "path"))
    var model: String

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("text or json.", valueName: "text|json"))
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Write the report here instead of standard output.", valueName: "path"))
    var out: String = "-"

    func validate() throws {
        if file == "-" { throw ValidationError("drift reads the file's header first; give a file path, not '-'.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        var major = false
        try runReportingErrors {
            let m = try LeadScoreModel.load(from: model)
            guard let profile = m.trainingProfile else {
                throw InputError(file: model, message: "this model stores no training profile (it was trained before LeadScore kept one): retrain it with this leadscore to measure drift")
            }
            let leads = try ProfiledLeads.load(path: file, model: m, delimiter: data.delimiterByte, extraMissing: data.missing,
                                               skipBadRows: data.onError == .skip)
            let report = DriftReport.measure(leads, profile: profile, model: m, modelName: model, dataName: file)
            let sink = try OutputSink(path: out)
            switch format {
            case .json: try sink.write(try reportJSON(report))
            case .text: try sink.write(Terminal.printable(DriftText.render(report)) + "\n")
            }
            try sink.commit()
            major = report.status == "major"
        }
        if major { throw ExitCode(ExitStatus.drift) }
    }
}

/// `drift`'s report for people.
enum DriftText {
    static func table(_ r: DriftReport, top: Int = .max) -> [String] {
        var lines = ["  " + ExplanationText.pad("", 28) + ["PSI", "status", "missing then", "now", "unseen"].map { ExplanationText.leftPad($0, 13) }.joined()]
        lines.append("  " + ExplanationText.pad("score", 28) + [fmt(r.score.psi), DriftReport.status(r.score.psi), "", "", ""].map { ExplanationText.leftPad($0, 13) }.joined())
        for c in r.columns.prefix(top) {
            lines.append("  " + ExplanationText.pad(c.column, 28) + [
                c.psi.map { fmt($0) } ?? "-", c.status, percent(c.trainingMissingRate), percent(c.missingRate), c.unseenRate.map(percent) ?? "",
            ].map { ExplanationText.leftPad($0, 13) }.joined())
        }
        return lines
    }

    static func render(_ r: DriftReport) -> String {
        var lines = ["\(r.data): \(r.leads) leads against the \(r.trainingLeads) training leads of \(r.model): \(r.status.uppercased())",
                     "(PSI: < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 major)", ""]
        lines.append(contentsOf: table(r))
        let moved = r.columns.filter { $0.status != "stable" }
        for c in moved.prefix(3) {
            lines.append("")
            lines.append("\(c.column.uppercased()) (PSI \(fmt(c.psi ?? 0))): share of leads, training → now")
            for b in c.bins where b.expected > 0.0005 || b.actual > 0.0005 {
                lines.append("  " + ExplanationText.pad(b.label, 28) + ExplanationText.leftPad(percent(b.expected), 8) + " → " + ExplanationText.leftPad(percent(b.actual), 8))
            }
        }
        if r.skippedRows > 0 { lines.append(""); lines.append("\(r.skippedRows) rows skipped (--on-error skip)") }
        return lines.joined(separator: "\n")
    }
}
