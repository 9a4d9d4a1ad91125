import ArgumentParser
import Foundation
import LeadAnalysis
import LeadModel

struct PatternsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "Which leads sales rejects, why, what the model misses, and which deserve a second chance.",
        discussion: """
            Rejection means the outcome is not the positive value.

            Segments: conjunctions of up to --depth conditions (levels; numeric ranges cut at the \
            10/20/30/50/70/80/90th percentiles; missing) with at least --min-support leads, tested \
            against the other leads, q-values by Benjamini–Hochberg over every segment tested. A \
            longer segment is shown only when it beats each shorter part significantly and by at \
            least --min-gain. Ranked by \
            weighted relative accuracy, (size/N) × (rate − overall rate).

            Model gaps: segments where observed rejections differ from what the acceptance model \
            expects (z = (O − E)/√Σp(1−p), same correction), with a suggestion (an interaction term, \
            a binned numeric column). Uses --model when given, otherwise fits the main-effects model.

            Reasons (--reason-column): one logistic model per reason among rejected leads \
            (one-vs-rest), with drivers as in 'leadscore drivers'. Recycling: rejected leads whose \
            reason is one of --recycle-reasons and whose acceptance probability is at least the overall \
            acceptance rate (or --recycle-min-probability) go back to marketing; --recycle-out writes \
            id,recommendation,probability_accepted_later,reason,predicted_reason,main_driver and one \
            p_<reason> column per reason (the lead's reason probabilities).

            Over time (--time, optionally --by COLUMN): rejection rate per month and level; cells whose \
            rate rose significantly against the previous month are flagged.

            Example:
              leadscore patterns datasets/leads.csv --target status --positive accepted --id lead_id \\
                  --reason-column reject_reason --time created_at --by lead_source --recycle-out recycle.csv
            """
    )

    @Argument(help: ArgumentHelp("The CSV of past leads with outcomes ('-' is not supported: the file is read twice).", valueName: "file"))
    var file: String

    @OptionGroup var outcome: OutcomeOptions

    @Option(help: ArgumentHelp("The column where sales recorded why they rejected the lead.", valueName: "column"))
    var reasonColumn: String?

    @Option(help: ArgumentHelp("An acceptance model to test for gaps. Default: fit the main effects on this file.", valueName: "path"))
    var model: String?


    @Option(help: ArgumentHelp("The date column, for the rejection rate by month.", valueName: "column"))
    var time: String?

    @Option(help: ArgumentHelp("A column to break the monthly rejection rate down by (needs --time).", valueName: "column"))
    var by: String?

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("Conditions per segment: 1, 2 or 3.", valueName: "n"))
    var depth = 2

    @Option(help: ArgumentHelp("Smallest segment: a count, or a fraction of the leads below 1 (at least 30 either way).", valueName: "n"))
    var minSupport = 0.01

    @Option(help: ArgumentHelp("False discovery rate for segments, gaps and funnel flags.", valueName: "q"))
    var alpha = 0.05

    @Option(help: ArgumentHelp("A longer segment must beat each of its parts by at least this rejection rate (0.05 = 5 points).", valueName: "rate"))
    var minGain = 0.05

    @Option(help: ArgumentHelp("How many segments and gaps to show.", valueName: "n"))
    var top = 15

    @Option(help: ArgumentHelp("Pool levels seen fewer times than this (for the fitted model and reasons).", valueName: "n"))
    var minLevelCount = 10

    @Option(help: ArgumentHelp("Reasons that are a matter of timing, comma-separated.", valueName: "a,b"))
    var recycleReasons = "not_ready"

    @Option(help: ArgumentHelp("Acceptance probability a rejected lead needs to be recycled. Default: the overall acceptance rate.", valueName: "p"))
    var recycleMinProbability: Double?

    @Option(help: ArgumentHelp("Write one row per rejected lead with its recommendation.", valueName: "path"))
    var recycleOut: String?

    @Option(help: ArgumentHelp("text or json.", valueName: "text|json"))
    var format: OutputFormat = .text

    func validate() throws {
        if !(1...3).contains(depth) { throw ValidationError("--depth must be 1, 2 or 3.") }
        if file == "-" { throw ValidationError("patterns reads the file more than once; give a file path, not '-'.") }
        if by != nil && time == nil { throw ValidationError("--by breaks the monthly rejection rate down, so it needs --time COLUMN.") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1.") }
        if minSupport <= 0 { throw ValidationError("--min-support must be positive.") }
        try requireDistinctOutputs([("the report (standard output)", "-"), ("--recycle-out", recycleOut)])
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            var training = outcome.trainingOptions(file: file, data: data)
            training.minLevelCount = minLevelCount
            training.timeColumn = time
            var o = PatternOptions(training: training)
            o.modelPath = model
            o.reasonColumn = reasonColumn
            o.byColumn = by
            o.depth = depth
            o.minSupport = minSupport
            o.alpha = alpha
            o.top = top
            o.minGain = minGain
            o.recycleReasons = commaList([recycleReasons])
            o.recycleMinProbability = recycleMinProbability
            o.recycleOut = recycleOut
            let progress = ProgressLine(quiet: data.quiet)
            let (report, _) = try PatternAnalysis.run(o) { progress.show($0) }
            progress.finish()
            let out = try OutputSink(path: "-")
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try out.write(String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
            case .text:
                try out.write(PatternsText.render(report) + "\n")
            }
            try out.commit()
        }
    }
}

/// The report for people: headlines first, then tables that fit a terminal.
enum PatternsText {
    static func render(_ r: PatternReport) -> String {
        var lines: [String] = []
        lines.append("\(r.leads) leads, \(r.rejected) rejected (\(percent(r.overallRejectionRate))); outcome '\(r.target.column)', positive '\(r.target.positive)'")
        lines.append("model: \(r.model); \(r.conditionsTested) conditions, \(r.segmentsTested) segments tested (depth \(r.depth), min support \(r.minSupport))")
        lines.append("")
        lines.append("SEGMENTS SALES REJECTS MOST")
        if r.segments.isEmpty { lines.append("  none significant at the chosen false discovery rate") }
        for s in r.segments.prefix(5) { lines.append("  • " + s.headline) }
        if !r.segments.isEmpty {
            lines.append("")
            lines.append("  " + ExplanationText.pad("segment", 52) + ExplanationText.leftPad("leads", 8) + ExplanationText.leftPad("rejected", 10)
                         + ExplanationText.leftPad("95% CI", 14) + ExplanationText.leftPad("lift", 6) + ExplanationText.leftPad("q", 9))
            for s in r.segments {
                lines.append("  " + ExplanationText.pad(s.conditions.map(\.label).joined(separator: " & "), 52)
                             + ExplanationText.leftPad("\(s.size)", 8) + ExplanationText.leftPad(percent(s.rejectionRate), 10)
                             + ExplanationText.leftPad("\(Int((s.ciLow * 100).rounded()))–\(Int((s.ciHigh * 100).rounded()))%", 14)
                             + ExplanationText.leftPad(fmt(s.lift, 2), 6) + ExplanationText.leftPad(DriversTable.pValue(s.qValue), 9))
            }
        }
        lines.append("")
        lines.append("WHAT THE MODEL MISSES (observed vs expected rejections)")
        if r.modelGaps.isEmpty { lines.append("  no significant gaps: the model's expectations hold in every segment tested") }
        for g in r.modelGaps.prefix(8) {
            lines.append("  • " + g.headline + " (q " + DriversTable.pValue(g.qValue) + ")")
            lines.append("      → " + g.suggestion)
        }
        if let reasons = r.reasons {
            lines.append("")
            lines.append("WHY SALES REJECTED THEM")
            for reason in reasons {
                let drivers = ReasonDisplay.raising(reason.drivers, count: 3)
                lines.append("  " + ExplanationText.pad(reason.reason, 28) + ExplanationText.leftPad(percent(reason.share), 7) + "  driven by " + drivers.joined(separator: ", "))
            }
        }
        lines.append("")
        lines.append("SECOND CHANCES")
        let rc = r.recycle
        lines.append("  \(rc.recycle) of \(rc.rejected) rejected leads should go back to marketing for nurturing"
                     + (rc.recycleReasons.isEmpty ? "" : " (reason \(rc.recycleReasons.joined(separator: "/")))")
                     + " with acceptance probability ≥ \(fmt(rc.threshold, 3)); \(rc.discard) discarded")
        if let funnel = r.funnel {
            let flagged = funnel.cells.filter(\.flagged)
            lines.append("")
            lines.append("REJECTION RATE OVER TIME\(funnel.by.map { " by \($0)" } ?? "")")
            let periods = Array(Set(funnel.cells.map(\.period))).sorted()
            let levels = Array(Set(funnel.cells.map(\.level))).sorted()
            let shown = Array(periods.suffix(6))
            lines.append("  " + ExplanationText.pad(funnel.by ?? "", 18) + shown.map { ExplanationText.leftPad($0, 9) }.joined())
            for level in levels {
                var row = "  " + ExplanationText.pad(level, 18)
                for p in shown {
                    if let c = funnel.cells.first(where: { $0.period == p && $0.level == level }) {
                        row += ExplanationText.leftPad(percent(c.rejectionRate) + (c.flagged ? "↑" : " "), 9)
                    } else { row += ExplanationText.leftPad("–", 9) }
                }
                lines.append(row)
            }
            lines.append("  ↑ rose significantly against the previous month; \(flagged.count) such cell(s) over all \(periods.count) months")
            for c in flagged.suffix(5) {
                lines.append("  • \(c.level) in \(c.period): \(percent(c.rejectionRate)) rejected, up from \(percent(c.previousRate ?? 0))")
            }
        }
        if r.skippedRows > 0 {
            lines.append("note: \(r.skippedRows) row(s) skipped as bad data and left out of every figure above; first: " + (r.skippedExamples.first ?? ""))
        }
        for n in r.notes { lines.append("note: " + n) }
        return Terminal.printable(lines.joined(separator: "\n"))
    }
}

/// The terms that raise a reason most, phrased as conditions: a boolean term with a negative
/// coefficient reads as "column=no" with the inverted odds ratio.
enum ReasonDisplay {
    static func raising(_ drivers: [ColumnDriver], count: Int) -> [String] {
        var items: [(z: Double, text: String)] = []
        for d in drivers {
            for t in d.terms {
                guard let z = t.z, let p = t.pValue, p < 0.05 else { continue }
                let valueTerm = t.term == d.column
                switch (d.type, valueTerm) {
                case (.boolean?, true):
                    items.append((abs(z), z > 0 ? "\(d.column)=yes (OR \(fmt(t.oddsRatio, 2)))" : "\(d.column)=no (OR \(fmt(1 / t.oddsRatio, 2)))"))
                case (.numeric?, true):
                    items.append((abs(z), "\(z > 0 ? "higher" : "lower") \(d.column)"))
                case (.boolean?, false), (.numeric?, false):
                    if z > 0 { items.append((z, "\(t.term)")) }
                default:
                    if z > 0 { items.append((z, "\(t.term) (OR \(fmt(t.oddsRatio, 2)))")) }
                }
            }
        }
        return items.sorted { $0.z > $1.z }.prefix(count).map(\.text)
    }
}
