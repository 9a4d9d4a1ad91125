import ArgumentParser
import Foundation
import LeadModel

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score leads in bulk: id, probability and 0–100 score per lead, streaming.",
        discussion: """
            Output is CSV with a header: the id column (or 'row', the 1-based data row number), \
            'probability' (of the positive outcome, full precision), 'score' (points = offset + \
            factor × log-odds, clamped to 0–100, one decimal), 'grade' (A–D, cut-offs stored in the \
            model) and, with --reasons K, reason_1..reason_K. One output row per input row, in \
            input order; extra input columns are ignored. A column the model needs but the file \
            lacks is an error listing all of them.

            Every input row is either scored or reported: with --on-error skip, rows that cannot be \
            scored go to --errors (CSV: line,column,message) and the exit status is 3. A level never \
            seen in training is scored (as '(other)' or the average level) and counted on standard error.

            JSON Lines (files named .jsonl/.ndjson, or --input-format / --format jsonl): one object per input line \
            (strings, numbers, true/false, null for missing; absent keys are missing), and one object \
            per output line: {"<id>": …, "probability": …, "score": …, "grade": …, "reasons": […]}.

            Examples:
              leadscore score datasets/new-leads.csv --model models/leads.json --out scored.csv
              leadscore score leads.jsonl --model models/leads.json --reasons 3 > scored.jsonl
            """
    )

    @Argument(help: ArgumentHelp("The CSV of leads to score ('-' reads standard input).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The model file written by train.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Id column to copy to the output. Default: the model's id column.", valueName: "column"))
    var id: String?

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("Write rows not scored to this CSV (line,column,message).", valueName: "path"))
    var errors: String?

    @Option(help: ArgumentHelp("Output format: csv or jsonl. Default: from the --out name (.csv, .jsonl / .ndjson), else the input's format.", valueName: "csv|jsonl"))
    var format: DataFormat?

    @Option(help: ArgumentHelp("Input format: csv or jsonl. Default: from the file name (.jsonl / .ndjson), else csv (use it for standard input).", valueName: "csv|jsonl"))
    var inputFormat: DataFormat?

    @Option(help: ArgumentHelp("Add reason_1…reason_K: codes of the K contributions that pull each score down most.", valueName: "k"))
    var reasons = 0

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write scores ('-' is standard output). A file appears only when complete.", valueName: "path"))
    var out = "-"

    @Option(help: .hidden)
    var stopAfter: ScoringStage?

    func validate() throws {
        if reasons < 0 { throw ValidationError("--reasons must be ≥ 0.") }
        try requireDistinctOutputs([("--out", out), ("--errors", errors)])
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let loaded = try LeadScoreModel.load(from: model)
            var o = ScoringOptions(dataPath: file)
            o.outPath = out
            o.idColumn = id
            o.delimiter = data.delimiterByte
            o.extraMissing = data.missing
            o.onError = data.onError
            o.errorsPath = errors
            // A lead has one contribution per model column: more reason columns than that would
            // always be empty.
            o.reasons = min(reasons, loaded.design.contributionCount)
            if reasons > o.reasons && !data.quiet {
                Terminal.note("--reasons \(reasons) capped at \(o.reasons): the model has \(loaded.design.contributionDescription), one contribution each")
            }
            o.jsonInput = (inputFormat ?? DataFormat.guess(file)) == .jsonl
            let outputGuess: DataFormat = out.lowercased().hasSuffix(".csv") ? .csv
                : (out != "-" && DataFormat.guess(out) == .jsonl) ? .jsonl : (o.jsonInput ? .jsonl : .csv)
            o.jsonOutput = (format ?? outputGuess) == .jsonl
            o.stopAfter = stopAfter
            let progress = ProgressLine(quiet: data.quiet)
            var scorer = Scorer(model: loaded)
            scorer.progress = { rows, bytes, total in progress.rows(rows, bytes: bytes, total: total) }
            let summary = try scorer.run(o)
            progress.finish()
            if !data.quiet {
                for n in summary.notices { Terminal.note(n) }
                var line = "scored \(summary.rowsScored) of \(summary.rowsRead) rows"
                if let stopAfter { line = "\(stopAfter == .parse ? "parsed" : "resolved") \(summary.rowsScored) of \(summary.rowsRead) rows (--stop-after \(stopAfter.rawValue): nothing scored or written)" }
                if summary.rowsReported > 0 { line += "; \(summary.rowsReported) reported\(errors.map { " in \($0)" } ?? " (list them with --errors FILE)")" }
                Terminal.note(line)
                if !summary.unseenLevels.isEmpty {
                    Terminal.note("levels not seen in training (scored as '(other)' or the average level): " + summary.unseenLevels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                if !summary.imputedMissing.isEmpty {
                    Terminal.note("missing values in columns complete at training (imputed at the training mean): " + summary.imputedMissing.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                if !summary.outOfRange.isEmpty {
                    Terminal.note("numbers outside the training range (a shape scores the range's end, a straight line extends): " + summary.outOfRange.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                for e in summary.firstErrors.prefix(5) { Terminal.note("not scored: \(e.description)") }
            }
            if summary.rowsReported > 0 { throw ExitCode(ExitStatus.partial) }
        }
    }
}

extension ScoringStage: ExpressibleByArgument {}

enum DataFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, jsonl

    /// jsonl for names ending .jsonl or .ndjson, csv otherwise.
    static func guess(_ path: String) -> DataFormat {
        let lower = path.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") ? .jsonl : .csv
    }
}
