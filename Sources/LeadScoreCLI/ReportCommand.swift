import ArgumentParser
import Foundation
import LeadModel
import LeadReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One self-contained HTML page for sales, marketing and the VP: definitions, quality, drivers, patterns, drift.",
        discussion: """
            Writes one HTML file (inline CSS and SVG charts, no script, nothing fetched from the \
            network; prints well and reads on a phone). Every chart has its numbers in a table \
            beside it. Sections:
              shared definitions: the outcome, the points scale, each grade's score range, what \
            happens to its leads and its acceptance rate, the hand-off threshold (--handoff-grade);
              model quality on --data: ROC, calibration by decile, gains and lift, acceptance by grade;
              drivers: importance bars, and the points of each numeric column at its training deciles;
              rejection patterns (as 'leadscore patterns'): segments, reasons (--reason-column, \
            default: an excluded column whose name has 'reason'), model gaps, recycle;
              rejection rate by month × --by (default lead_source) when the model has a time column;
              drift since training (as 'leadscore drift') and, with --previous, the comparison (as \
            'leadscore compare').
            Without --data only the model's own figures are shown.

            Example:
              leadscore report --model models/leads.json --data datasets/leads.csv --out report.html
            """
    )

    @Option(help: ArgumentHelp("The model to report on.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Recent labelled leads: quality, patterns, drift and the comparison are measured on them.", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("The previous model, to compare with (needs --data).", valueName: "path"))
    var previous: String?

    @Option(help: ArgumentHelp("The rejection reason column of --data.", valueName: "column"))
    var reasonColumn: String?

    @Option(help: ArgumentHelp("The column the monthly rejection rate is broken down by (default: lead_source when present).", valueName: "column"))
    var by: String?

    @Option(help: ArgumentHelp("The lowest grade handed to sales (default: the second grade).", valueName: "grade"))
    var handoffGrade: String?

    @OptionGroup var dataOptions: DataOptions

    @Option(help: ArgumentHelp("The HTML file to write ('-' for standard output).", valueName: "path"))
    var out: String

    func validate() throws {
        if previous != nil && data == nil { throw ValidationError("--previous compares the two models on recent leads: give them with --data FILE.") }
        if data == "-" { throw ValidationError("report reads --data more than once; give a file path, not '-'.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            var o = ReportContent.Options(modelPath: model, generatedAt: ProcessInfo.processInfo.environment["LEADSCORE_CREATED_AT"] ?? ISO8601DateFormatter().string(from: Date()))
            o.dataPath = data
            o.previousPath = previous
            o.reasonColumn = reasonColumn
            o.byColumn = by
            o.handoffGrade = handoffGrade
            o.delimiter = dataOptions.delimiterByte
            o.extraMissing = dataOptions.missing
            o.skipBadRows = dataOptions.onError == .skip
            let progress = ProgressLine(quiet: dataOptions.quiet)
            let content = try ReportContent.gather(o) { progress.show($0) }
            progress.finish()
            let sink = try OutputSink(path: out)
            try sink.write(ReportPage.html(content))
            try sink.commit()
            if out != "-" && !dataOptions.quiet { Terminal.note("report written to \(out)") }
        }
    }
}
