import ArgumentParser
import Foundation
import LeadModel

enum TableFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

struct DriversCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "What drives the score overall: column importance, joint tests and per-term statistics.",
        discussion: """
            Per column: importance (mean absolute contribution over the training leads, in log-odds \
            and points) and a Wald test over all its terms (χ², df, p-value). Per term, in original \
            units: coefficient, odds ratio, standard error, z, p-value and 95% interval. A numeric \
            column's term is named after the column; a level's term is column=level. An interaction \
            (train --interaction A:B) is a row 'A × B' with the joint test of its cell-pair terms \
            (lead_source=event × job_level=individual). Sorted by importance.

            Standard errors come from the inverse Hessian at the optimum. For a penalized fit (the \
            default L2) they are approximate: they ignore the bias the penalty adds. Train with \
            --penalty none for classical inference (those match statsmodels).

            JSON: {"columns": [{"column", "importance", "importance_points", "wald_chi2", "df", \
            "p_value", "terms": [{"term", "coefficient", "std_error", "z", "p_value", "odds_ratio", \
            "ci_low", "ci_high"}]}], "intercept": {…}, "standard_errors_approximate", "note"}.
            CSV: one row per term.
            """
    )

    @Option(help: ArgumentHelp("The model file.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("text, json or csv.", valueName: "format"))
    var format: TableFormat = .text

    @Option(help: ArgumentHelp("With text: show only the top N columns (0 = all).", valueName: "n"))
    var top = 0

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let m = try LeadScoreModel.load(from: model)
            let out = try OutputSink(path: "-")
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let drivers = DriversJSON(inference: m.inference, shapes: m.columnShapes(), referenceLevels: m.referenceLevels())
                try out.write(String(decoding: try encoder.encode(drivers), as: UTF8.self) + "\n")
            case .csv:
                try out.write(DriversTable.csv(m.inference, shapes: m.columnShapes(), references: m.referenceLevels()))
            case .text:
                try out.write(DriversTable.text(m, top: top) + "\n")
            }
            try out.commit()
        }
    }
}

/// Renderings of the drivers table.
enum DriversTable {
    static func pValue(_ p: Double?) -> String {
        guard let p else { return "n/a" }
        if p < 1e-16 { return "<1e-16" }
        return p < 0.001 ? String(format: "%.1e", p) : String(format: "%.3f", p)
    }

    static func stars(_ p: Double?) -> String {
        guard let p else { return "" }
        return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : ""
    }

    static func text(_ m: LeadScoreModel, top: Int) -> String {
        let inf = m.inference
        var lines: [String] = []
        lines.append("Drivers of '\(m.target.positive)' in '\(m.target.column)' (\(m.provenance.trainingRows) training leads)")
        if let note = inf.note { lines.append("note: " + note) }
        lines.append("")
        // Names are never cut short: the widths fit the longest shown.
        let columns = top > 0 ? Array(inf.columns.prefix(top)) : inf.columns
        let columnWidth = max(34, (columns.map(\.column.count).max() ?? 0) + 1)
        let termWidth = max(30, (columns.flatMap { $0.terms.map(\.term.count) }.max() ?? 0))
        lines.append(ExplanationText.pad("column", columnWidth) + " " + ExplanationText.leftPad("importance", 10) + " " + ExplanationText.leftPad("points", 8)
                     + " " + ExplanationText.leftPad("wald χ²", 9) + " " + ExplanationText.leftPad("df", 4) + " " + ExplanationText.leftPad("p-value", 9))
        for c in columns {
            lines.append(ExplanationText.pad(c.column, columnWidth) + String(format: " %10.4f %8.2f ", c.importance, c.importancePoints)
                         + ExplanationText.leftPad(c.waldChi2.map { String(format: "%.1f", $0) } ?? "n/a", 9) + String(format: " %4d ", c.df)
                         + ExplanationText.leftPad(pValue(c.pValue), 9) + " " + stars(c.pValue))
            for t in c.terms {
                lines.append("    " + ExplanationText.pad(t.term, termWidth) + String(format: " coef %+9.4f  OR %8.3f  SE %@  z %@  p %@  95%% CI [%@, %@]",
                                    t.coefficient, t.oddsRatio,
                                    (t.stdError.map { String(format: "%.4f", $0) } ?? "n/a") as NSString,
                                    (t.z.map { String(format: "%+.2f", $0) } ?? "n/a") as NSString,
                                    pValue(t.pValue) as NSString,
                                    (t.ciLow.map { String(format: "%+.4f", $0) } ?? "n/a") as NSString,
                                    (t.ciHigh.map { String(format: "%+.4f", $0) } ?? "n/a") as NSString))
            }
        }
        let shown = Set(columns.map(\.column))
        let shapes = m.columnShapes().filter { shown.contains($0.column) }
        if !shapes.isEmpty {
            lines.append("")
            lines.append("Shapes: points against the average lead at the training deciles (values beyond the range score as its ends)")
            let nameWidth = max(24, (shapes.map(\.column.count).max() ?? 0) + 1)
            for s in shapes {
                let head = ExplanationText.pad(s.column, nameWidth) + ExplanationText.pad(s.shape, 22)
                lines.append(head + "value  " + s.points.map { ExplanationText.leftPad(compact($0.value), 8) }.joined())
                lines.append(String(repeating: " ", count: nameWidth + 22) + "points " + s.points.map { ExplanationText.leftPad(signedPoints($0.points), 8) }.joined())
            }
        }
        let references = m.referenceLevels().filter { shown.contains($0.column) }
        if !references.isEmpty {
            lines.append("")
            lines.append("Reference levels (odds ratios of a column's levels are against its reference):")
            for r in references { lines.append("  " + r.column + ": " + r.level) }
        }
        let i = inf.intercept
        lines.append("")
        lines.append(String(format: "intercept (original units) %+.4f, SE %@", i.coefficient, (i.stdError.map { String(format: "%.4f", $0) } ?? "n/a") as NSString))
        lines.append("importance: mean |contribution| over training leads, in log-odds and points; *** p<0.001 ** p<0.01 * p<0.05 (joint Wald test)")
        return Terminal.printable(lines.joined(separator: "\n"))
    }

    /// One row per term (with the column's reference level for categorical ones), then one row per
    /// point of each numeric column's shape (term empty; quantile, value and points filled).
    static func csv(_ inf: ModelInference, shapes: [ColumnShape] = [], references: [ReferenceLevel] = []) -> String {
        var s = "column,importance,importance_points,column_p_value,term,coefficient,std_error,z,p_value,odds_ratio,ci_low,ci_high,reference_level,shape_quantile,shape_value,shape_points\n"
        func num(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        let reference = Dictionary(references.map { ($0.column, $0.level) }, uniquingKeysWith: { a, _ in a })
        for c in inf.columns {
            for t in c.terms {
                s += [CSVText.spreadsheetCell(c.column), num(c.importance), num(c.importancePoints), num(c.pValue), CSVText.spreadsheetCell(t.term),
                      num(t.coefficient), num(t.stdError), num(t.z), num(t.pValue), num(t.oddsRatio), num(t.ciLow), num(t.ciHigh),
                      reference[c.column].map(CSVText.spreadsheetCell) ?? "", "", "", ""]
                    .joined(separator: ",") + "\n"
            }
        }
        for shape in shapes {
            for p in shape.points {
                s += ([CSVText.spreadsheetCell(shape.column)] + Array(repeating: "", count: 12) + [num(p.quantile), num(p.value), num(p.points)])
                    .joined(separator: ",") + "\n"
            }
        }
        return s
    }
}

/// `drivers --format json`: the model's inference (as before) with the numeric columns' shapes and
/// the categorical columns' reference levels beside it.
struct DriversJSON: Encodable {
    var inference: ModelInference
    var shapes: [ColumnShape]
    var referenceLevels: [ReferenceLevel]

    enum CodingKeys: String, CodingKey {
        case shapes
        case referenceLevels = "reference_levels"
    }

    func encode(to encoder: any Encoder) throws {
        try inference.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shapes, forKey: .shapes)
        try c.encode(referenceLevels, forKey: .referenceLevels)
    }
}
