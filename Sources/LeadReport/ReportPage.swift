import Foundation
import LeadAnalysis
import LeadModel
import Plot

/// The report as one self-contained HTML page: inline CSS and SVG, no script, no network. Built with
/// Plot, so every value from the data or the model is escaped by construction.
public enum ReportPage {
    typealias BodyNode = Node<HTML.BodyContext>

    static let css = """
        :root{--ink:#1d2430;--muted:#5b6472;--line:#d9dde3;--accent:#1f5fa8}
        *{box-sizing:border-box}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:16px}
        h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;border-bottom:2px solid var(--accent);padding-bottom:4px;margin-top:1.8em}
        h3{font-size:1.02em;margin:1em 0 .4em}
        .meta,.note{color:var(--muted);font-size:.9em}
        .verdict{font-size:1.1em;background:#eef4fb;border-left:4px solid var(--accent);padding:8px 12px}
        .pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;align-items:start;margin:8px 0 16px}
        .chart{width:100%;height:auto;max-width:560px}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;font-size:.88em;width:100%}
        th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left;white-space:normal}
        td.wrap{white-space:normal;text-align:left;min-width:12em}
        thead th{background:#f3f5f8}
        .kpis{display:flex;flex-wrap:wrap;gap:10px}
        .kpi{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:140px}
        .kpi b{display:block;font-size:1.3em}
        @media print{body{max-width:none;font-size:11pt}section{break-inside:avoid-page}h2{break-after:avoid}.chart{max-width:420px}}
        """

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
    static func num(_ x: Double?, _ d: Int = 3) -> String { x.map { $0.isFinite ? String(format: "%.\(d)f", $0) : "–" } ?? "–" }

    /// A table: header cells, then rows of cells (all text, escaped).
    static func table(_ header: [String], _ rows: [[String]], caption: String? = nil) -> BodyNode {
        .div(.class("scroll"), .table(
            .unwrap(caption) { .caption(.text($0)) },
            .thead(.tr(.forEach(header) { .th(.text($0)) })),
            .tbody(.forEach(rows) { row in .tr(.forEach(row) { .td(.if($0.count > 24, .class("wrap")), .text($0)) }) })
        ))
    }

    static func pair(_ chart: BodyNode, _ table: BodyNode) -> BodyNode { .div(.class("pair"), .div(chart), .div(table)) }

    static func kpi(_ name: String, _ value: String, _ detail: String = "") -> BodyNode {
        .div(.class("kpi"), .text(name), .element(named: "b", nodes: [.text(value)]), .span(.class("note"), .text(detail)))
    }

    public static func html(_ c: ReportContent) -> String {
        let m = c.model
        let title = "Lead scoring report: \(m.target.column) = \(m.target.positive)"
        let page = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                .title(title),
                .style(css)
            ),
            .body(
                .header(
                    .h1(.text(title)),
                    .p(.class("meta"), .text("Model \(c.modelPath), trained \(m.createdAt) on \(m.provenance.trainingRows) leads of \(m.provenance.dataFile)"
                        + (c.dataPath.map { "; recent leads: \($0)" } ?? "") + (c.previousPath.map { "; previous model: \($0)" } ?? "")
                        + "; generated \(c.generatedAt).")),
                    .unwrap(c.comparison) { .p(.class("verdict"), .text($0.verdict + ".")) }
                ),
                definitions(c),
                quality(c),
                drivers(c),
                patterns(c),
                monthly(c),
                drift(c),
                comparison(c),
                .if(!c.notes.isEmpty, .section(.id("notes"), .h2("Notes"), .ul(.forEach(c.notes) { .li(.text($0)) })))
            )
        )
        return page.render(indentedBy: nil) + "\n"
    }

    // MARK: - Sections

    static func definitions(_ c: ReportContent) -> BodyNode {
        let m = c.model
        let handoffIndex = m.grades.firstIndex { $0.grade == c.handoffGrade } ?? 0
        let threshold = m.grades[handoffIndex].minScore
        let recent = c.evaluation?.grades
        let rows: [[String]] = m.grades.enumerated().map { i, band in
            let upper = i == 0 ? "100" : String(format: "%.1f", m.grades[i - 1].minScore)
            let meaning = i <= handoffIndex ? (i == 0 ? "hand to sales first" : "hand to sales") : (i == m.grades.count - 1 ? "keep in marketing: nurture or drop" : "keep in marketing: nurture")
            return [band.grade, String(format: "%.1f – %@", band.minScore, upper), meaning, pct(band.trainingPositiveRate),
                    pct(recent?.first { $0.grade == band.grade }?.rate), "\(recent?.first { $0.grade == band.grade }?.leads ?? band.trainingLeads)"]
        }
        let s = m.scorecard
        return .section(.id("definitions"),
            .h2("Shared definitions"),
            .p(.text("The outcome: a lead is a success when \(m.target.column) is \"\(m.target.positive)\"; any other value ("
                     + m.target.negatives.joined(separator: ", ") + ") is a rejection. The score is the model's probability of success on a 0–100 points scale: "
                     + String(format: "%.0f points at odds %@, and every %.0f points double the odds.", s.referenceScore, "\(s.referenceOdds)", s.pdo))),
            .p(.text(String(format: "Hand-off: a lead goes to sales when its score is at least %.1f (grade %@ or better). ", threshold, c.handoffGrade)
                     + "The grades below say what happens to a lead, and how often sales accepted such leads.")),
            table(["grade", "score", "what happens", "accepted (training)", "accepted (recent)", c.evaluation == nil ? "training leads" : "recent leads"], rows)
        )
    }

    static func quality(_ c: ReportContent) -> BodyNode {
        guard let e = c.evaluation else {
            let h = c.model.metrics.holdout ?? c.model.metrics.train
            return .section(.id("quality"), .h2("Model quality"),
                .div(.class("kpis"), kpi("AUC", num(h.auc), c.model.metrics.holdout == nil ? "training" : "holdout"),
                     kpi("log loss", num(h.logLoss, 4)), kpi("Brier", num(h.brier, 4))),
                .p(.class("note"), .text("Give recent labelled leads (--data) for the ROC, calibration and gains curves.")))
        }
        let o = e.overall
        let roc = SVGChart.lines([SVGChart.Series(name: "model", points: c.roc.map { ($0.falsePositiveRate, $0.truePositiveRate) }, color: SVGChart.palette[0])],
                                 title: "ROC curve", xLabel: "share of rejected leads above the cut", yLabel: "share of accepted leads above the cut",
                                 x: 0...1, y: 0...1, diagonal: true, xTicks: [0, 0.25, 0.5, 0.75, 1], yTicks: [0, 0.25, 0.5, 0.75, 1]) { String(format: "%.0f%%", $0 * 100) }
        var rocRows = stride(from: 0, to: c.roc.count, by: max(1, c.roc.count / 10)).map { c.roc[$0] }
        if let last = c.roc.last, rocRows.last?.truePositiveRate != last.truePositiveRate || rocRows.last?.falsePositiveRate != last.falsePositiveRate {
            rocRows.append(last)
        }
        let top = max(e.deciles.map { max($0.meanProbability, $0.observedRate) }.max() ?? 1, 0.05)
        let ticks = stride(from: 0.0, through: top, by: top > 0.5 ? 0.2 : 0.1).map { $0 }
        let calibration = SVGChart.lines([
            SVGChart.Series(name: "observed", points: e.deciles.map { ($0.meanProbability, $0.observedRate) }, color: SVGChart.palette[1], dots: true),
        ], title: "Calibration by decile", xLabel: "predicted acceptance rate", yLabel: "observed acceptance rate",
           x: 0...top, y: 0...top, diagonal: true, xTicks: ticks, yTicks: ticks) { String(format: "%.0f%%", $0 * 100) }
        let gains = SVGChart.lines([
            SVGChart.Series(name: "model", points: [(0, 0)] + e.deciles.map { (Double($0.decile) / Double(e.deciles.count), $0.cumulativeGain) }, color: SVGChart.palette[2], dots: true),
        ], title: "Cumulative gains", xLabel: "share of leads contacted, best scores first", yLabel: "share of all accepted leads",
           x: 0...1, y: 0...1, diagonal: true, xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1]) { String(format: "%.0f%%", $0 * 100) }
        let gradeBars = SVGChart.bars(e.grades.map { SVGChart.Bar(label: "grade " + $0.grade, value: $0.rate ?? 0, text: pct($0.rate)) }, title: "Acceptance rate by grade")
        return .section(.id("quality"),
            .h2("Model quality"),
            .p(.class("meta"), .text("On \(o.leads) recent leads of \(e.data), \(o.positives) accepted (\(pct(o.positiveRate))).")),
            .div(.class("kpis"),
                 kpi("AUC", num(o.auc?.auc), o.auc.map { String(format: "95%% CI %.3f–%.3f", $0.low, $0.high) } ?? ""),
                 kpi("KS", num(o.ks?.statistic)), kpi("log loss", num(o.logLoss, 4)), kpi("Brier", num(o.brier, 4)),
                 kpi("calibration slope", num(o.calibration?.slope), "1 = right spread"),
                 kpi("calibration intercept", num(o.calibration?.intercept), "0 = right level")),
            .h3("Ranking: ROC curve"),
            pair(roc, table(["probability cut", "rejected above", "accepted above"], rocRows.map { [num($0.probability), pct($0.falsePositiveRate), pct($0.truePositiveRate)] })),
            .h3("Calibration: predicted against observed, by decile"),
            pair(calibration, table(["decile", "leads", "predicted", "observed"], e.deciles.map { ["\($0.decile)", "\($0.leads)", pct($0.meanProbability), pct($0.observedRate)] })),
            .h3("Gains and lift by decile (1 = best scores)"),
            pair(gains, table(["decile", "accepted", "cumulative gain", "lift", "cumulative lift"], e.deciles.map {
                ["\($0.decile)", "\($0.positives)", pct($0.cumulativeGain), num($0.lift, 2), num($0.cumulativeLift, 2)] })),
            .h3("Acceptance by grade"),
            pair(gradeBars, table(["grade", "leads", "accepted", "rate", "95% CI", "training rate"], e.grades.map {
                [$0.grade, "\($0.leads)", "\($0.positives)", pct($0.rate), $0.low == nil ? "–" : "\(pct($0.low))–\(pct($0.high))", pct($0.trainingRate)] }))
        )
    }

    static func drivers(_ c: ReportContent) -> BodyNode {
        let columns = c.model.inference.columns
        let bars = SVGChart.bars(columns.map { SVGChart.Bar(label: $0.column, value: $0.importancePoints, text: String(format: "%.1f pts", $0.importancePoints)) },
                                 title: "What drives the score: average points a column moves a lead")
        let shapeNodes: [BodyNode] = c.shapes.prefix(8).enumerated().map { i, s in
            let xs = s.points.map(\.value), ys = s.points.map(\.points)
            let lo = min(ys.min() ?? 0, 0), hi = max(ys.max() ?? 0, 0)
            let pad = max((hi - lo) * 0.1, 0.5)
            let chart = SVGChart.lines([SVGChart.Series(name: s.column, points: s.points.map { ($0.value, $0.points) }, color: SVGChart.palette[i % SVGChart.palette.count], dots: true)],
                                       title: "Points by \(s.column)", xLabel: s.column, yLabel: "points against the average lead",
                                       x: xs.first!...max(xs.last!, xs.first! + 1e-9), y: (lo - pad)...(hi + pad),
                                       xTicks: ticks(xs.first!, xs.last!), yTicks: ticks(lo - pad, hi + pad)) { String(format: abs($0) >= 100 ? "%.0f" : "%.3g", $0) }
            return .group(.h3(.text("Shape of \(s.column)")), pair(chart, table([s.column, "points"], s.points.map { [String(format: "%.4g", $0.value), String(format: "%+.1f", $0.points)] })))
        }
        let levelNodes: [BodyNode] = c.levelEffects.map { e in
            let chart = SVGChart.bars(e.levels.map { SVGChart.Bar(label: $0.level, value: $0.points, text: String(format: "%+.1f", $0.points),
                                                                  color: $0.points < 0 ? SVGChart.palette[1] : SVGChart.palette[2]) },
                                      title: "Points by \(e.column)")
            return .group(.h3(.text("Points by \(e.column)")), pair(chart, table([e.column, "training leads", "points"], e.levels.map {
                [$0.level, "\($0.count)", String(format: "%+.1f", $0.points)] })))
        }
        return .section(.id("drivers"),
            .h2("Drivers"),
            .p(.text("Importance: the average number of points a column moves a lead away from the average lead (training leads). Then, per column, the points a lead gets for its value: numeric columns at the training deciles, categorical columns per level (the 15 most frequent).")),
            pair(bars, table(["column", "points", "Wald χ²", "p-value"], columns.map {
                [$0.column, String(format: "%.1f", $0.importancePoints), num($0.waldChi2, 1), $0.pValue.map { String(format: "%.2g", $0) } ?? "–"] })),
            .group(shapeNodes),
            .group(levelNodes)
        )
    }

    static func patterns(_ c: ReportContent) -> BodyNode {
        guard let p = c.patterns else {
            return .section(.id("patterns"), .h2("Rejection patterns"), .p(.class("note"), .text("Give recent labelled leads (--data) to see which leads sales rejects and why.")))
        }
        let segmentBars = SVGChart.bars(p.segments.prefix(10).map {
            SVGChart.Bar(label: $0.conditions.map(\.label).joined(separator: " & "), value: $0.rejectionRate, text: pct($0.rejectionRate), color: SVGChart.palette[1])
        }, title: "Segments sales rejects most")
        var nodes: [BodyNode] = [
            .h2("Rejection patterns"),
            .p(.text("\(p.leads) leads, \(p.rejected) rejected (\(pct(p.overallRejectionRate))). Segments whose rejection rate is significantly above the rest (q-values by Benjamini–Hochberg).")),
            .h3("Segments sales rejects most"),
            pair(segmentBars, table(["segment", "leads", "rejected", "95% CI", "lift", "q"], p.segments.map {
                [$0.conditions.map(\.label).joined(separator: " & "), "\($0.size)", pct($0.rejectionRate), "\(pct($0.ciLow))–\(pct($0.ciHigh))", num($0.lift, 2), String(format: "%.2g", $0.qValue)] })),
        ]
        if let reasons = p.reasons, !reasons.isEmpty {
            let bars = SVGChart.bars(reasons.map { SVGChart.Bar(label: $0.reason, value: $0.share, text: pct($0.share), color: SVGChart.palette[3]) }, title: "Why sales rejected")
            nodes.append(.h3("Why sales rejected"))
            nodes.append(pair(bars, table(["reason", "leads", "share", "main driver"], reasons.map {
                [$0.reason.isEmpty ? "(none given)" : $0.reason, "\($0.count)", pct($0.share), $0.drivers.first?.column ?? "–"] })))
        }
        nodes.append(.h3("Where the model misses"))
        nodes.append(p.modelGaps.isEmpty ? .p(.class("note"), .text("No segment where observed rejections differ significantly from what the model expects."))
                     : table(["segment", "leads", "rejected", "expected", "z", "suggestion"], p.modelGaps.map {
                        [$0.conditions.map(\.label).joined(separator: " & "), "\($0.size)", "\($0.observed)", String(format: "%.0f", $0.expected), num($0.z, 1), $0.suggestion] }))
        let r = p.recycle
        nodes.append(.h3("Back to marketing"))
        nodes.append(.p(.text("Of \(r.rejected) rejected leads, \(r.recycle) go back to marketing for nurturing (reason "
                               + (r.recycleReasons.isEmpty ? "any" : r.recycleReasons.joined(separator: " or "))
                               + String(format: " and an acceptance probability of at least %.1f%%); %d are dropped.", r.threshold * 100, r.discard))))
        nodes.append(table(["decision", "leads", "share of rejected"], [
            ["recycle (nurture)", "\(r.recycle)", pct(r.rejected > 0 ? Double(r.recycle) / Double(r.rejected) : nil)],
            ["discard", "\(r.discard)", pct(r.rejected > 0 ? Double(r.discard) / Double(r.rejected) : nil)],
        ]))
        return .section(.id("patterns"), .group(nodes))
    }

    static func monthly(_ c: ReportContent) -> BodyNode {
        guard let funnel = c.patterns?.funnel, !funnel.cells.isEmpty else {
            return .section(.id("monthly"), .h2("Rejection rate by month"), .p(.class("note"), .text("Needs recent labelled leads with the model's time column.")))
        }
        let periods = Array(Set(funnel.cells.map(\.period))).sorted()
        var levels: [String] = []
        for cell in funnel.cells where !levels.contains(cell.level) { levels.append(cell.level) }
        let series = levels.prefix(8).enumerated().map { i, level in
            SVGChart.Series(name: level.isEmpty ? "(all)" : level, points: funnel.cells.filter { $0.level == level }.compactMap { cell in
                periods.firstIndex(of: cell.period).map { (Double($0), cell.rejectionRate) } }, color: SVGChart.palette[i % SVGChart.palette.count], dots: true)
        }
        let chart = SVGChart.lines(series, title: "Rejection rate by month", xLabel: "month (\(periods.first ?? "") to \(periods.last ?? ""))", yLabel: "rejection rate",
                                   x: 0...Double(max(periods.count - 1, 1)), y: 0...1, xTicks: Array(stride(from: 0.0, through: Double(max(periods.count - 1, 0)), by: Double(max(1, periods.count / 6)))),
                                   yTicks: [0, 0.25, 0.5, 0.75, 1], xFormat: { value in
            let i = Int(value.rounded())
            return periods.indices.contains(i) ? String(periods[i].suffix(5)) : ""
        }) { String(format: "%.0f%%", $0 * 100) }
        let rows: [[String]] = periods.map { period in
            [period] + levels.map { level in
                guard let cell = funnel.cells.first(where: { $0.period == period && $0.level == level }) else { return "–" }
                return pct(cell.rejectionRate) + (cell.flagged ? " ▲" : "")
            }
        }
        return .section(.id("monthly"),
            .h2(.text("Rejection rate by month" + (funnel.by.map { " and \($0)" } ?? ""))),
            .p(.text("▲: the rate rose significantly against the previous month.")),
            pair(chart, table(["month"] + levels.map { $0.isEmpty ? "(all)" : $0 }, rows)))
    }

    static func drift(_ c: ReportContent) -> BodyNode {
        guard let d = c.drift else {
            return .section(.id("drift"), .h2("Drift"), .p(.class("note"), .text(c.dataPath == nil ? "Give recent leads (--data) to measure drift."
                : "The model stores no training profile (trained before LeadScore kept one): retrain it to measure drift.")))
        }
        let rows = [("score", d.score.psi as Double?, "", "", "")] + d.columns.map { ($0.column, $0.psi, pct($0.trainingMissingRate), pct($0.missingRate), $0.unseenRate.map { pct($0) } ?? "") }
        let bars = SVGChart.bars(rows.map { r in
            SVGChart.Bar(label: r.0, value: r.1 ?? 0, text: num(r.1, 3), color: (r.1 ?? 0) >= DriftReport.major ? "#d1495b" : (r.1 ?? 0) >= DriftReport.moderate ? "#e09f3e" : "#2e8b57")
        }, title: "Population stability index")
        return .section(.id("drift"),
            .h2(.text("Drift since training: \(d.status)")),
            .p(.text("PSI of the recent leads against the training leads: below 0.1 stable, 0.1–0.25 moderate, 0.25 or more major.")),
            pair(bars, table(["", "PSI", "status", "missing (training)", "missing (recent)", "unseen levels"], rows.map { r in
                [r.0, num(r.1, 3), r.1.map { DriftReport.status($0) } ?? "–", r.2, r.3, r.4] })))
    }

    static func comparison(_ c: ReportContent) -> BodyNode {
        guard let cmp = c.comparison else {
            return .section(.id("comparison"), .h2("Against the previous model"), .p(.class("note"), .text("Give the previous model (--previous) and recent labelled leads (--data) to compare.")))
        }
        let m = cmp.migration
        return .section(.id("comparison"),
            .h2("Against the previous model"),
            .p(.class("verdict"), .text(cmp.verdict + ".")),
            table(["", "previous", "this model"], [
                ["AUC", num(cmp.oldFigures.auc?.auc), num(cmp.newFigures.auc?.auc)],
                ["log loss", num(cmp.oldFigures.logLoss, 4), num(cmp.newFigures.logLoss, 4)],
                ["Brier", num(cmp.oldFigures.brier, 4), num(cmp.newFigures.brier, 4)],
                ["calibration slope", num(cmp.oldFigures.calibration?.slope), num(cmp.newFigures.calibration?.slope)],
            ]),
            .h3(.text("Grade migration: \(m.changed) leads (\(pct(m.changedShare))) change grade")),
            table(["previous ↓ / this model →"] + m.newGrades, m.oldGrades.enumerated().map { i, g in [g] + m.counts[i].map { "\($0)" } }),
            .h3("Drivers that changed most"),
            table(["column", "previous", "this model", "change"], cmp.drivers.prefix(8).map {
                [$0.column + ($0.status == "kept" ? "" : " (\($0.status))"), num($0.oldImportance), num($0.newImportance), String(format: "%+.3f", $0.change)] })
        )
    }

    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 4
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(t); t += step }
        return out
    }
}
