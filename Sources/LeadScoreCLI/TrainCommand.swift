import ArgumentParser
import Foundation
import LeadModel

enum InteractionsChoice: String, ExpressibleByArgument, CaseIterable { case none, auto }
extension TrainingOptions.Penalty: ExpressibleByArgument {}
extension TrainingOptions.ClassWeight: ExpressibleByArgument {}
extension LambdaSelection.Rule: ExpressibleByArgument {}

/// `--grades a,b,c`: three descending scores, parsed (and checked) once, by the option itself.
struct GradeCutoffs {
    var scores: [Double]

    static func parse(_ argument: String) throws -> GradeCutoffs {
        let cut = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard cut.count == 3, let a = cut[0], let b = cut[1], let c = cut[2], a.isFinite, c.isFinite, a > b, b > c else {
            throw ValidationError("--grades takes three descending scores for A, B and C, e.g. 70,55,40; got '\(argument)'.")
        }
        return GradeCutoffs(scores: [a, b, c])
    }
}

/// `--type COLUMN=TYPE`, parsed (and checked) once, by the option itself.
struct ColumnTypeOverride {
    var column: String
    var type: ColumnType

    static func parse(_ argument: String) throws -> ColumnTypeOverride {
        let parts = argument.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let type = ColumnType(rawValue: String(parts[1])) else {
            throw ValidationError("--type takes COLUMN=numeric|boolean|categorical|date, got '\(argument)'.")
        }
        return ColumnTypeOverride(column: String(parts[0]), type: type)
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a scoring model on past leads and write a versioned model file.",
        discussion: """
            Reads a CSV export with a header row, one lead per row, and an outcome column. \
            Column types are inferred (numeric, boolean, categorical, date); categorical levels seen \
            fewer than --min-level-count times are pooled into '(other)', and a yes/no column whose \
            rarer value has fewer leads is dropped; numeric columns become natural cubic splines \
            (--knots; values beyond the training range are scored as its ends), or step functions \
            where cross-validation prefers them (--numeric), or monotone shapes (--monotone), with a missing-value indicator when they have gaps; \
            --interaction A:B adds the pair's cell-pair terms (--interactions auto searches for \
            pairs). The fit is L2-penalized \
            logistic regression by Newton's method (Cholesky steps on OpenBLAS/LAPACK).

            --lambda is the L2 strength on standardized terms; scikit-learn's C is 1/lambda \
            (LogisticRegression(C=1/lambda) on the same design, unit weights). The default, \
            --lambda auto, chooses it from the data: a path of 16 values from heavy to almost no \
            penalty, each fit started from the previous one, scored by the deviance of 5-fold \
            cross-validation (folds stratified by outcome, drawn from --seed); --lambda-rule 1se takes \
            the largest λ within one standard error of the best (a smoother model). Above 50,000 \
            training rows λ is chosen on a held-out 20% of a 50,000-row sample instead of folds. The \
            curve is printed and stored in the model file.

            Examples:
              leadscore train datasets/leads.csv --target status --positive accepted --id lead_id \\
                  --exclude reject_reason --time created_at --holdout-after 2026-06-30
              leadscore train datasets/leads.csv --target status --positive accepted --id lead_id \\
                  --exclude reject_reason --numeric company_size=linear --monotone page_views=increasing
              leadscore train Leads.csv --target Converted --positive 1 --missing Select \\
                  --exclude "Lead Number,Tags,Lead Quality" --id "Prospect ID"
              leadscore train leads.csv --target status --positive accepted --interaction lead_source:job_level
              leadscore train leads.csv --target status --positive accepted --interactions none --numeric spline   (additive splines, no searches)
              leadscore train leads.csv --target status --positive accepted --lambda-rule 1se --folds 10
              leadscore train leads.csv --target status --positive accepted --lambda 1   (fixed λ, C = 1)
            """
    )

    @Argument(help: ArgumentHelp("The CSV of past leads ('-' reads standard input).", valueName: "file"))
    var file: String

    @OptionGroup var outcome: OutcomeOptions

    @Option(name: .customLong("type"), help: ArgumentHelp("Force a column's type: COLUMN=numeric|boolean|categorical|date (repeatable). Values that do not fit become row errors.", valueName: "column=type"), transform: ColumnTypeOverride.parse)
    var types: [ColumnTypeOverride] = []

    @OptionGroup var data: DataOptions

    @Option(help: ArgumentHelp("Pool levels seen fewer times than this into '(other)'.", valueName: "n"))
    var minLevelCount = 10

    @Option(help: ArgumentHelp("""
        How numeric columns enter the model. auto (the default): a natural cubic spline, or a step \
        function (bins as below, up to 50, so a column of few values gets one step per value: its \
        levels) where 5-fold cross-validation prefers it by at least 0.001 deviance per training row; \
        the summary lists the columns tried. spline: always a spline (knots at training quantiles, \
        values clamped to the training range). linear: one standardized term. bins: a step function, \
        --bins equal-count bins at training quantiles, each of at least --min-level-count leads; its \
        jumps are penalized 100 times harder than other terms (λ × 100), so steps follow real \
        thresholds, not each bin's noise. \
        COLUMN=auto|spline|linear|bins sets one column (repeatable), e.g. --numeric employees=bins.
        """, valueName: "auto|spline|linear|bins|column=kind"))
    var numeric: [String] = []

    @Option(help: ArgumentHelp("Knots of each spline, 3 to 7, at Harrell's quantiles (5: the 5, 27.5, 50, 72.5 and 95th percentiles). Fewer are used when ties make them coincide.", valueName: "n"))
    var knots = 5

    @Option(help: ArgumentHelp("Bins of each --numeric bins column, 2 to 50, cut at training quantiles (10: deciles). Fewer when ties make cuts coincide or a bin would hold fewer than --min-level-count leads.", valueName: "n"))
    var bins = 10

    @Option(help: ArgumentHelp("""
        Fit COLUMN as a monotone shape (repeatable): piecewise linear between its training quantiles, \
        with every slope kept ≥ 0 (increasing) or ≤ 0 (decreasing) by the solver, e.g. \
        --monotone page_views=increasing: more page views never lowers the score (--interactions \
        auto never pairs it; an --interaction on it is built with a notice that its cells can bend the shape).
        """, valueName: "column=increasing|decreasing"))
    var monotone: [String] = []

    @Option(help: ArgumentHelp("""
        Fit an interaction between two columns (repeatable), e.g. --interaction lead_source:job_level: \
        each column cut into a few cells (a categorical column's largest levels, a number's quartile \
        bins, missing values as their own cell), one 0/1 term per pair of non-reference cells with at \
        least --min-level-count training leads. explain shows it as one more line.
        """, valueName: "a:b"))
    var interaction: [String] = []

    @Option(help: ArgumentHelp("""
        auto: search for more pairs: the main-effects fit's residuals rank every pair of columns (a \
        FAST-style screen), the best 8 are tried in turn, and a pair is kept only when it lowers the \
        5-fold cross-validated deviance per training row by at least 0.001 (log loss by 0.0005), \
        and lowers it in at least 4 of the 5 folds. Each pair is tried cut as --interaction cuts it \
        and finer (7 levels, 6 bins), keeping the cut that validates better; a pair whose cells alone \
        (the rest held fixed) gain less than 0.0002 is rejected without a refit. A --monotone column \
        is never paired. \
        auto is the default (on fewer than 1,000 training rows no pairs are searched). none: only the \
        pairs given with --interaction. The summary lists the pairs kept and rejected, and why.
        """, valueName: "none|auto"))
    var interactions: InteractionsChoice?

    @Option(help: ArgumentHelp("Penalty: l2 (ridge on standardized terms) or none (maximum likelihood).", valueName: "l2|none"))
    var penalty: TrainingOptions.Penalty = .l2

    @Option(help: ArgumentHelp("L2 strength: 'auto' (chosen by cross-validated deviance) or a number; scikit-learn's C = 1/lambda.", valueName: "auto|x"))
    var lambda = "auto"

    @Option(help: ArgumentHelp("Folds of the cross-validation that chooses λ (--lambda auto), stratified by outcome and drawn from --seed.", valueName: "k"))
    var folds = LambdaSelection.defaultFolds

    @Option(name: .customLong("lambda-rule"), help: ArgumentHelp("Which λ of the cross-validated curve: min (least deviance) or 1se (the largest within one standard error of it: smoother, validates as well).", valueName: "min|1se"))
    var lambdaRule: LambdaSelection.Rule = .min

    @Option(help: ArgumentHelp("Weight classes equally (balanced: n / (2 · class count), as scikit-learn) or not. With balanced, the intercept is then shifted by log(w₀/w₁) (prior correction) so the probability stays that of the positive outcome at the training base rate.", valueName: "none|balanced"))
    var classWeight: TrainingOptions.ClassWeight = .none

    @Option(help: ArgumentHelp("Fraction of rows held out at random (seeded) to measure the model; 0 uses every row.", valueName: "fraction"))
    var holdout = 0.2

    @Option(help: ArgumentHelp("Hold out the leads after this date (needs --time): train on the past, test on the latest.", valueName: "YYYY-MM-DD"))
    var holdoutAfter: String?

    @Option(help: ArgumentHelp("The date column that orders leads in time (kept out of the model).", valueName: "column"))
    var time: String?

    @Option(help: ArgumentHelp("Seed for the random holdout.", valueName: "n"))
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("Points to double the odds of the positive outcome. Default: fitted so typical leads fall in 0–100.", valueName: "points"))
    var pdo: Double?

    @Option(help: ArgumentHelp("Points at the reference odds.", valueName: "points"))
    var baseScore = 50.0

    @Option(help: ArgumentHelp("Odds (positive:negative) that get --base-score points. Default: the median training lead's.", valueName: "odds"))
    var baseOdds: Double?

    @Option(help: ArgumentHelp("Lowest scores of grades A, B and C, e.g. 70,55,40. Default: the training scores' quartiles (A = top quarter).", valueName: "a,b,c"), transform: GradeCutoffs.parse)
    var grades: GradeCutoffs?

    @Option(help: ArgumentHelp("Newton iteration limit.", valueName: "n"))
    var maxIterations = 100

    @Option(help: ArgumentHelp("Write rows not used (with --on-error skip) to this CSV: line,column,message.", valueName: "path"))
    var errors: String?

    @Option(help: ArgumentHelp("Keep the points scale (PDO, reference score and odds) and grade cut-offs of this earlier model, so a score keeps its odds from one retrain to the next; the summary says how each grade's acceptance rate moved.", valueName: "model"))
    var scaleFrom: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Model file to write. Default: models/<file name>-<date>.json, never overwriting one: a second model the same day gets -2, then -3….", valueName: "path"))
    var out: String?

    @Flag(help: "Print the summary as JSON on standard output.")
    var json = false

    func validate() throws {
        if out == "-" {
            throw ValidationError("--out - : a model file cannot go to standard output; give a path (the summary goes to standard output, as JSON with --json).")
        }
        _ = try shapeOptions()
        _ = try interactionPairs()
        if scaleFrom != nil && (pdo != nil || baseOdds != nil || grades != nil || baseScore != 50) {
            throw ValidationError("--scale-from keeps the earlier model's scale and grades: give it without --pdo, --base-score, --base-odds or --grades.")
        }
        if !(0..<1).contains(holdout) { throw ValidationError("--holdout must be at least 0 and below 1, got \(holdout).") }
        if holdoutAfter != nil && time == nil { throw ValidationError("--holdout-after needs --time COLUMN to know each lead's date.") }
        if let h = holdoutAfter, FieldParser.date(h) == nil { throw ValidationError("--holdout-after must be an ISO 8601 date such as 2026-06-30, got '\(h)'.") }
        if lambda != "auto" {
            guard let value = Double(lambda), value >= 0, value.isFinite else {
                throw ValidationError("--lambda takes 'auto' or a finite number ≥ 0 (e.g. --lambda 1 for scikit-learn's C = 1), got '\(lambda)'.")
            }
        }
        if !(2...50).contains(folds) { throw ValidationError("--folds must be from 2 to 50, got \(folds).") }
        if minLevelCount < 1 { throw ValidationError("--min-level-count must be at least 1.") }
        if let pdo, !(pdo > 0) { throw ValidationError("--pdo must be positive.") }
        if let baseOdds, !(baseOdds > 0) { throw ValidationError("--base-odds must be positive.") }
        try requireDistinctOutputs([("--out", out ?? TrainCommand.defaultPath(for: file)), ("--errors", errors)])
    }

    /// --numeric, --knots, --bins and --monotone as `ShapeOptions`.
    func shapeOptions() throws -> ShapeOptions {
        var shapes = ShapeOptions()
        for n in numeric {
            let parts = n.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let kind = ShapeOptions.Numeric(rawValue: parts[parts.count - 1]), parts.allSatisfy({ !$0.isEmpty }) else {
                throw ValidationError("--numeric takes auto, spline, linear or bins, or COLUMN=auto|spline|linear|bins for one column; got '\(n)'.")
            }
            if parts.count == 1 { shapes.numeric = kind } else { shapes.columns[parts[0]] = kind }
        }
        guard (3...7).contains(knots) else { throw ValidationError("--knots must be 3 to 7 (Harrell's quantiles are defined for those), got \(knots).") }
        shapes.knots = knots
        guard (2...50).contains(bins) else { throw ValidationError("--bins must be 2 to 50, got \(bins).") }
        shapes.bins = bins
        for m in monotone {
            let parts = m.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let direction = MonotoneRamp.Direction(rawValue: parts[1]) else {
                throw ValidationError("--monotone takes COLUMN=increasing|decreasing, e.g. --monotone page_views=increasing; got '\(m)'.")
            }
            shapes.monotone[parts[0]] = direction
        }
        return shapes
    }

    /// --interaction A:B as pairs.
    func interactionPairs() throws -> [InteractionPair] {
        var pairs: [InteractionPair] = []
        for text in interaction {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[0].isEmpty, !parts[parts.count - 1].isEmpty else {
                throw ValidationError("--interaction takes two column names joined by ':', e.g. --interaction lead_source:job_level; got '\(text)'.")
            }
            // A column name holding a ':' (several in the text): split against the file's header.
            if parts.count > 2 {
                guard !pairs.contains(where: { $0.text == text }) else { throw ValidationError("--interaction \(text) is given twice.") }
                pairs.append(InteractionPair(unsplit: text))
                continue
            }
            guard parts[0] != parts[1] else { throw ValidationError("--interaction \(text): a column cannot interact with itself.") }
            let pair = InteractionPair(parts[0], parts[1])
            guard !pairs.contains(where: { Set([$0.first, $0.second]) == Set([pair.first, pair.second]) }) else {
                throw ValidationError("--interaction \(text) is given twice.")
            }
            pairs.append(pair)
        }
        return pairs
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            var o = outcome.trainingOptions(file: file, data: data)
            for t in types { o.types[t.column] = t.type }
            o.minLevelCount = minLevelCount
            o.shapes = try shapeOptions()
            o.interactions = try interactionPairs()
            o.interactionsAuto = (interactions ?? .auto) == .auto
            o.searchesAsked = interactions == .auto || numeric.contains(ShapeOptions.Numeric.auto.rawValue)
            o.penalty = penalty
            if let value = Double(lambda) { o.lambda = value } else { o.lambdaAuto = true }
            o.folds = folds
            o.lambdaRule = lambdaRule
            o.classWeight = classWeight
            o.holdoutFraction = holdoutAfter == nil ? holdout : 0
            o.holdoutAfter = holdoutAfter.flatMap { FieldParser.date($0) }
            o.holdoutAfterText = holdoutAfter
            o.timeColumn = time
            o.seed = seed
            o.maxIterations = maxIterations
            o.pdo = pdo
            o.referenceScore = baseScore
            o.referenceOdds = baseOdds
            o.gradeCutoffs = grades?.scores

            let last = try scaleFrom.map { try LeadScoreModel.load(from: $0) }
            if let last {
                o.pdo = last.scorecard.pdo
                o.referenceScore = last.scorecard.referenceScore
                o.referenceOdds = last.scorecard.referenceOdds
                o.gradeCutoffs = last.grades.dropLast().map(\.minScore)
            }
            // The outputs are opened before the work: a model path that cannot be written fails
            // now (status 73), not after minutes of training.
            let path = out ?? TrainCommand.defaultPath(for: file)
            let modelFile = try AtomicFile.open(path)
            let errorsFile = try errors.map { try OutputSink(path: $0) }
            let progress = ProgressLine(quiet: data.quiet)
            o.createdAt = ProcessInfo.processInfo.environment["LEADSCORE_CREATED_AT"]
            var trainer = Trainer(options: o)
            trainer.progress = { progress.show($0) }
            trainer.stageEnded = TrainCommand.stageTimer()
            let outcome = try trainer.train()
            progress.finish()
            try outcome.model.write(into: modelFile)
            if let sink = errorsFile {
                try sink.write(CSVText.errorHeader)
                for e in outcome.rowErrors { try sink.write(CSVText.errorRow(e)) }
                try sink.commit()
            }
            let moves = last.map { ScaleMoves(last: $0, lastPath: scaleFrom!, new: outcome.model) }
            try writeStandardOutput((json ? TrainingSummary.json(outcome, path: path, extra: moves.map { ["scale_from": $0.json] } ?? [:])
                                          : TrainingSummary.text(outcome, path: path) + (moves.map { "\n" + $0.text } ?? "")) + "\n")
            if !data.quiet {
                for e in outcome.rowErrors.prefix(5) { Terminal.note("skipped: \(e.description)") }
                if outcome.skippedRows > 5 { Terminal.note("… \(outcome.skippedRows - 5) more skipped rows\(errors == nil ? " (list them all with --errors FILE)" : " in \(errors!)")") }
            }
        }
    }

    /// With LEADSCORE_TIMING set, each training stage's end (seconds since start) on standard error.
    static func stageTimer() -> (@Sendable (String) -> Void)? {
        guard ProcessInfo.processInfo.environment["LEADSCORE_TIMING"] != nil else { return nil }
        let start = Date()
        return { name in
            FileHandle.standardError.write(Data(String(format: "%8.3f s  %@\n", Date().timeIntervalSince(start), name).utf8))
        }
    }

    /// models/<file stem>-<YYYY-MM-DD>.json: one file per monthly retrain, last month's kept.
    static func defaultPath(for file: String) -> String {
        let stem = file == "-" ? "stdin" : URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        let base = "models/\(stem)-\(f.string(from: Date()))"
        var path = base + ".json"
        var n = 2
        while FileManager.default.fileExists(atPath: path) || (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
            path = "\(base)-\(n).json"
            n += 1
        }
        return path
    }
}
