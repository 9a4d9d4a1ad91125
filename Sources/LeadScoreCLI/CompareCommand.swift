import ArgumentParser
import Foundation
import LeadAnalysis
import LeadModel

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Champion against challenger on the same recent labelled leads, with a one-sentence verdict.",
        discussion: """
            Scores --data with both models and reports: the paired AUC difference (NEW − OLD) with its \
            95% DeLong interval (the two models' placements on the same leads are correlated, so the \
            paired interval is much tighter than two separate ones); each model's AUC, log loss, Brier \
            and calibration slope and intercept; the grade-migration matrix (leads by OLD grade × NEW \
            grade) and how many change grade; the acceptance rate of each grade under each model; \
            which columns' weight changed most (mean absolute contribution on these leads, in \
            log-odds); and, when OLD stores a training profile, the drift of these leads since OLD was \
            trained (as 'leadscore drift').

            The verdict says NEW (or OLD) ranks better only when the paired interval excludes 0.

            Example:
              leadscore compare models/leads-2026-10-01.json models/leads-2026-11-01.json \\
                  --data recent-leads.csv
            """
    )

    @Argument(help: ArgumentHelp("The current model (champion).", valueName: "old"))
    var old: String

    @Argument(help: ArgumentHelp("The retrained model (challenger).", valueName: "new"))
    var new: String

    @Option(help: ArgumentHelp("Recent labelled leads both models are measured on.", valueName: "file"))
    var data: String

    @OptionGroup var labels: LabelledDataOptions
    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("text or json.", valueName: "text|json"))
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Write the report here instead of standard output.", valueName: "path"))
    var out: String = "-"

    func validate() throws {
        if data == "-" { throw ValidationError("compare reads --data once per model; give a file path, not '-'.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let comparison = try Self.compare(old: old, new: new, data: data, labels: labels, dataOptions: dataOptions)
            let sink = try OutputSink(path: out)
            switch format {
            case .json: try sink.write(try reportJSON(comparison))
            case .text: try sink.write(Terminal.printable(ComparisonText.render(comparison)) + "\n")
            }
            try sink.commit()
        }
    }

    static func compare(old: String, new: String, data: String, labels: LabelledDataOptions, dataOptions: DataOptions) throws -> ModelComparison {
        let oldModel = try LeadScoreModel.load(from: old)
        let newModel = try LeadScoreModel.load(from: new)
        let newOptions = try labels.tableOptions(file: data, model: newModel, data: dataOptions, by: nil)
        var oldOptions = try labels.tableOptions(file: data, model: oldModel, data: dataOptions, by: nil)
        oldOptions.target = newOptions.target
        oldOptions.idColumn = newOptions.idColumn
        let newLeads = try ScoredLeads.load(newOptions, model: newModel)
        let oldLeads = try ScoredLeads.load(oldOptions, model: oldModel)
        guard newLeads.rows == oldLeads.rows else {
            throw ValidationError("the two models could not read the same leads of \(data) (\(oldLeads.rows) against \(newLeads.rows) rows): compare with --on-error fail to see the first bad row")
        }
        var drift: DriftReport?
        if let profile = oldModel.trainingProfile {
            let leads = try ProfiledLeads.load(path: data, model: oldModel, delimiter: dataOptions.delimiterByte,
                                               extraMissing: dataOptions.missing, skipBadRows: dataOptions.onError == .skip)
            drift = DriftReport.measure(leads, profile: profile, model: oldModel, modelName: old, dataName: data)
        }
        var c = ModelComparison.compare(old: oldLeads, oldModel: oldModel, oldName: old, new: newLeads, newModel: newModel,
                                        newName: new, dataName: data, drift: drift)
        if c.drift == nil { c.notes.append("\(old) stores no training profile (trained before LeadScore kept one): no drift figures") }
        return c
    }
}

/// `compare`'s report for people.
enum ComparisonText {
    static func render(_ c: ModelComparison) -> String {
        var lines: [String] = []
        lines.append(c.verdict + ".")
        lines.append("")
        lines.append("OLD \(c.old)")
        lines.append("NEW \(c.new)")
        lines.append("on \(c.data): \(c.leads) leads, \(c.newFigures.positives) positive (\(percent(c.newFigures.positiveRate)))")
        lines.append("")
        lines.append("  " + ExplanationText.pad("", 20) + ExplanationText.leftPad("OLD", 24) + ExplanationText.leftPad("NEW", 24))
        func row(_ name: String, _ f: (ModelEvaluation.Figures) -> String) {
            lines.append("  " + ExplanationText.pad(name, 20) + ExplanationText.leftPad(f(c.oldFigures), 24) + ExplanationText.leftPad(f(c.newFigures), 24))
        }
        row("AUC [95% CI]") { EvaluationText.interval($0.auc) }
        row("log loss") { fmt($0.logLoss, 4) }
        row("Brier") { fmt($0.brier, 4) }
        row("calibration slope") { $0.calibration.map { fmt($0.slope) } ?? "-" }
        row("calibration interc.") { $0.calibration.map { fmt($0.intercept) } ?? "-" }
        row("mean predicted") { percent($0.meanProbability) }
        if let d = c.aucDifference {
            lines.append("  AUC NEW − OLD: \(fmt(d.difference, 4)) [\(fmt(d.low, 4)), \(fmt(d.high, 4))] (paired DeLong), p = \(String(format: "%.2g", d.p))")
        }
        lines.append("")
        let m = c.migration
        lines.append("GRADE MIGRATION (rows: OLD grade, columns: NEW grade): \(m.changed) leads (\(percent(m.changedShare))) change grade"
                     + (m.upgraded.map { ", \($0) up, \(m.downgraded ?? 0) down" } ?? ""))
        lines.append("  " + ExplanationText.pad("", 8) + m.newGrades.map { ExplanationText.leftPad($0, 8) }.joined())
        for (i, g) in m.oldGrades.enumerated() {
            lines.append("  " + ExplanationText.pad(g, 8) + m.counts[i].map { ExplanationText.leftPad("\($0)", 8) }.joined())
        }
        lines.append("")
        lines.append("ACCEPTANCE BY GRADE")
        for (name, rows) in [("OLD", c.oldGrades), ("NEW", c.newGrades)] {
            lines.append("  \(name): " + rows.map { "\($0.grade) \($0.rate.map(percent) ?? "-") of \($0.leads)" }.joined(separator: ", "))
        }
        lines.append("")
        lines.append("DRIVERS THAT CHANGED MOST (mean |contribution| on these leads, log-odds)")
        for d in c.drivers.prefix(8) {
            lines.append("  " + ExplanationText.pad(d.column, 28) + ExplanationText.leftPad(fmt(d.oldImportance), 8) + " → "
                         + ExplanationText.leftPad(fmt(d.newImportance), 8) + (d.status == "kept" ? "" : "  (\(d.status))"))
        }
        if let drift = c.drift {
            lines.append("")
            lines.append("DRIFT SINCE OLD WAS TRAINED: \(drift.status)")
            lines.append(contentsOf: DriftText.table(drift, top: 6))
        }
        for n in c.notes { lines.append("note: \(n)") }
        return lines.joined(separator: "\n")
    }
}
