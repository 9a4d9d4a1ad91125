import ArgumentParser
import Foundation
import LeadAnalysis
import LeadData
import LeadModel

/// Text, JSON or CSV: the formats of the monthly-retrain reports (evaluate, compare, drift, models, sla).
enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

/// The outcome a labelled file is read with: the model's, unless overridden.
struct LabelledDataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The outcome column (default: the model's).", valueName: "column"))
    var target: String?

    @Option(help: ArgumentHelp("The good outcome value (default: the model's).", valueName: "value"))
    var positive: String?

    @Option(help: ArgumentHelp("A bad outcome value, repeatable (default: the model's).", valueName: "value"))
    var negative: [String] = []

    @Option(help: ArgumentHelp("The lead id column (default: the model's, when the file has it).", valueName: "column"))
    var id: String?

    /// How `file` is read for `model`: its outcome, id and `--by` column.
    func tableOptions(file: String, model: LeadScoreModel, data: DataOptions, by: String?, time: String? = nil,
                      reason: String? = nil) throws -> LeadTable.Options {
        var spec = model.target
        if let target { spec.column = target }
        if let positive { spec.positive = positive }
        if !negative.isEmpty { spec.negatives = negative }
        var o = LeadTable.Options(path: file, target: spec)
        o.delimiter = data.delimiterByte
        o.extraMissing = data.missing
        o.onError = data.onError
        o.byColumn = by
        o.timeColumn = time
        o.reasonColumn = reason
        o.idColumn = id ?? model.idColumn.flatMap { name in (try? CSVHeaderPeek.columns(of: file, delimiter: data.delimiterByte))?.contains(name) == true ? name : nil }
        return o
    }
}

/// The header of a CSV file, read without the rest.
enum CSVHeaderPeek {
    static func columns(of path: String, delimiter: UInt8) throws -> [String] {
        try CSVReader(path: path, delimiter: delimiter).readHeader()
    }
}

/// JSON for people and pipelines: sorted snake_case keys, pretty printed, non-finite numbers as null-like text.
func reportJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "How well a saved model does on labelled leads: AUC, calibration, gains, acceptance by grade.",
        discussion: """
            Scores FILE with the model exactly as 'leadscore score' does, then compares the \
            probabilities with the outcomes:
              AUC with its 95% DeLong interval; KS (largest gap between the cumulative distributions \
            of accepted and rejected leads' probabilities); log loss; Brier score;
              calibration: by decile (mean predicted vs observed rate), and the logistic regression \
            of the outcome on logit(probability): slope 1 and intercept 0 when the probabilities are \
            right, a slope below 1 when they are too spread out;
              gains and lift by decile (decile 1 = the tenth of leads with the highest scores);
              acceptance rate per grade with its 95% Wilson interval, beside the training rate;
              with --by COLUMN, the headline figures per level of that column.

            --format csv writes one row per figure: section,group,metric,value.

            Example:
              leadscore evaluate datasets/leads.csv --model models/leads.json --by lead_source
            """
    )

    @Argument(help: ArgumentHelp("The CSV of labelled leads (with the outcome column).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The model file to evaluate.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Break the figures down by the levels of this column.", valueName: "column"))
    var by: String?

    @OptionGroup var labels: LabelledDataOptions
    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("text, json or csv.", valueName: "text|json|csv"))
    var format: ReportFormat = .text

    @Option(help: ArgumentHelp("Write the report here instead of standard output.", valueName: "path"))
    var out: String = "-"

    func validate() throws {
        if file == "-" { throw ValidationError("evaluate reads the file's header first; give a file path, not '-'.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let m = try LeadScoreModel.load(from: model)
            let options = try labels.tableOptions(file: file, model: m, data: data, by: by)
            let leads = try ScoredLeads.load(options, model: m)
            let evaluation = ModelEvaluation.evaluate(leads, model: m, modelName: model, dataName: file, target: options.target, byColumn: by)
            if leads.table.skippedRows > 0 && !data.quiet {
                Terminal.note("\(leads.table.skippedRows) rows skipped (--on-error skip); first: \(leads.table.rowErrors.first.map { $0.description } ?? "")")
            }
            let sink = try OutputSink(path: out)
            switch format {
            case .json: try sink.write(try reportJSON(evaluation))
            case .csv: try sink.write(EvaluationText.csv(evaluation))
            case .text: try sink.write(Terminal.printable(EvaluationText.render(evaluation)) + "\n")
            }
            try sink.commit()
            if leads.table.skippedRows > 0 { throw ExitCode(ExitStatus.partial) }
        }
    }
}

/// `evaluate`'s report for people and its CSV.
enum EvaluationText {
    static func interval(_ e: DeLong.Estimate?) -> String {
        guard let e else { return "n/a" }
        return "\(fmt(e.auc)) [\(fmt(e.low)), \(fmt(e.high))]"
    }

    static func render(_ e: ModelEvaluation) -> String {
        let o = e.overall
        var lines: [String] = []
        lines.append("\(e.model) on \(e.data): \(o.leads) leads, \(o.positives) '\(e.target.positive)' (\(percent(o.positiveRate)))")
        lines.append("")
        lines.append("RANKING")
        lines.append("  AUC          \(interval(o.auc))  (95% DeLong interval)")
        if let ks = o.ks { lines.append("  KS           \(fmt(ks.statistic))  at probability \(fmt(ks.probability))") }
        lines.append("")
        lines.append("PROBABILITIES")
        lines.append("  log loss     \(fmt(o.logLoss, 4))")
        lines.append("  Brier        \(fmt(o.brier, 4))")
        lines.append("  predicted    \(percent(o.meanProbability)) on average, observed \(percent(o.positiveRate))")
        if let c = o.calibration {
            lines.append("  calibration  slope \(fmt(c.slope)) ± \(fmt(DeLong.z95 * c.slopeStandardError)) (1 = right spread; below 1: too extreme),"
                         + " intercept \(fmt(c.intercept)) ± \(fmt(DeLong.z95 * c.interceptStandardError)) (0 = right level)")
        }
        lines.append("")
        lines.append("BY DECILE (1 = highest probabilities)")
        lines.append("  " + ["decile", "leads", "predicted", "observed", "gain", "lift", "cum. lift"].enumerated()
            .map { $0 == 0 ? ExplanationText.pad($1, 8) : ExplanationText.leftPad($1, 10) }.joined())
        for d in e.deciles {
            lines.append("  " + ExplanationText.pad("\(d.decile)", 8) + [
                "\(d.leads)", percent(d.meanProbability), percent(d.observedRate), percent(d.cumulativeGain), fmt(d.lift, 2), fmt(d.cumulativeLift, 2),
            ].map { ExplanationText.leftPad($0, 10) }.joined())
        }
        lines.append("")
        lines.append("ACCEPTANCE BY GRADE")
        lines.append("  " + ExplanationText.pad("grade", 8) + ["min score", "leads", "accepted", "rate", "95% CI", "training"]
            .map { ExplanationText.leftPad($0, 14) }.joined())
        for g in e.grades {
            lines.append("  " + ExplanationText.pad(g.grade, 8) + [
                fmt(g.minScore, 1), "\(g.leads)", "\(g.positives)", g.rate.map(percent) ?? "-",
                g.low.map { "\(percent($0))–\(percent(g.high!))" } ?? "-", percent(g.trainingRate),
            ].map { ExplanationText.leftPad($0, 14) }.joined())
        }
        if let by = e.by, let column = e.byColumn {
            lines.append("")
            lines.append("BY \(column)")
            lines.append("  " + ExplanationText.pad("level", 24) + ["leads", "rate", "predicted", "AUC [95% CI]", "log loss", "Brier"]
                .enumerated().map { ExplanationText.leftPad($1, $0 == 3 ? 24 : 10) }.joined())
            for l in by {
                let f = l.figures
                lines.append("  " + ExplanationText.pad(l.level.isEmpty ? "(missing)" : l.level, 24) + [
                    "\(f.leads)", percent(f.positiveRate), percent(f.meanProbability), interval(f.auc), fmt(f.logLoss, 4), fmt(f.brier, 4),
                ].enumerated().map { ExplanationText.leftPad($1, $0 == 3 ? 24 : 10) }.joined())
            }
        }
        if e.skippedRows > 0 { lines.append(""); lines.append("\(e.skippedRows) rows skipped (--on-error skip)") }
        for n in e.notes { lines.append("note: \(n)") }
        return lines.joined(separator: "\n")
    }

    /// One row per figure: section,group,metric,value (numbers at full precision).
    static func csv(_ e: ModelEvaluation) -> String {
        var rows = ["section,group,metric,value"]
        func add(_ section: String, _ group: String, _ metric: String, _ value: Double?) {
            guard let value else { return }
            rows.append([section, CSVText.spreadsheetCell(group), metric, "\(value)"].joined(separator: ","))
        }
        func figures(_ section: String, _ group: String, _ f: ModelEvaluation.Figures) {
            add(section, group, "leads", Double(f.leads))
            add(section, group, "positives", Double(f.positives))
            add(section, group, "positive_rate", f.positiveRate)
            add(section, group, "mean_probability", f.meanProbability)
            add(section, group, "auc", f.auc?.auc)
            add(section, group, "auc_low", f.auc?.low)
            add(section, group, "auc_high", f.auc?.high)
            add(section, group, "log_loss", f.logLoss)
            add(section, group, "brier", f.brier)
            add(section, group, "ks", f.ks?.statistic)
            add(section, group, "calibration_intercept", f.calibration?.intercept)
            add(section, group, "calibration_slope", f.calibration?.slope)
        }
        figures("overall", "", e.overall)
        for d in e.deciles {
            let g = "\(d.decile)"
            add("decile", g, "leads", Double(d.leads))
            add("decile", g, "positives", Double(d.positives))
            add("decile", g, "mean_probability", d.meanProbability)
            add("decile", g, "observed_rate", d.observedRate)
            add("decile", g, "cumulative_gain", d.cumulativeGain)
            add("decile", g, "lift", d.lift)
            add("decile", g, "cumulative_lift", d.cumulativeLift)
        }
        for g in e.grades {
            add("grade", g.grade, "min_score", g.minScore)
            add("grade", g.grade, "leads", Double(g.leads))
            add("grade", g.grade, "positives", Double(g.positives))
            add("grade", g.grade, "rate", g.rate)
            add("grade", g.grade, "rate_low", g.low)
            add("grade", g.grade, "rate_high", g.high)
            add("grade", g.grade, "training_rate", g.trainingRate)
        }
        for l in e.by ?? [] { figures("by", l.level, l.figures) }
        return rows.joined(separator: "\n") + "\n"
    }
}
