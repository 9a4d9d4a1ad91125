import LinearAlgebra
import LeadSupport

/// `train --numeric auto` (the default): each numeric column is a natural cubic spline, or a step
/// function where cross-validation prefers one.
///
/// A spline is smooth by construction; some columns are not. A column of a few values (a count of
/// previous contacts, an interest rate that changed ten times) is better as its levels, and a column
/// with a threshold (30 days without activity) or with values that stand for periods (bank
/// marketing's `euribor3m` marks the month of the campaign) is better as steps. The step candidate is
/// `--numeric COLUMN=bins` with up to `bins` (50) bins at training quantiles, each cut at a training
/// value and each bin of at least `--min-level-count` leads: a column with fewer distinct values gets
/// a step at each of them, i.e. its levels. The steps' coefficients are jumps between neighbouring
/// bins, so the L2 penalty smooths the step function towards a flat line.
///
/// 1. The model with every such column as a spline is fitted on the training rows, and each column
///    is screened (`InteractionScreen.gain`): the deviance free offsets for its bins would remove
///    beyond the spline. Columns whose gain beats chance (gain above the bins' degrees of freedom
///    beyond the spline's) are tried, best first.
/// 2. Each candidate is cross-validated as `--interactions auto`'s pairs are (`FoldDeviance`: 5
///    seeded stratified folds; above 50,000 training rows, on a seeded sample of 50,000): the model
///    with the steps kept so far plus the candidate, against the model without it. The steps are kept
///    when the deviance per row falls by at least `margin` (0.001): a tie keeps the spline, whose
///    explanation is smoother.
///
/// The screen and validation fits use λ = 1 when λ is chosen automatically (it is chosen afterwards,
/// on the final design), the given λ otherwise. The holdout is never used.
public struct ShapeSearch: Codable, Sendable, Equatable {
    /// A column that was tried as steps.
    public struct Trial: Codable, Sendable, Equatable {
        public var column: String
        /// Bins of the step function tried (fewer than `bins` when ties or `--min-level-count` merge them).
        public var bins: Int
        /// The screen's approximate deviance reduction on the training rows, and its degrees of freedom.
        public var screenGain: Double
        public var degreesOfFreedom: Int
        /// Validation deviance per row with the column as a spline and as steps.
        public var validationDevianceBefore: Double
        public var validationDevianceAfter: Double
        public var kept: Bool

        enum CodingKeys: String, CodingKey {
            case column, bins, kept
            case screenGain = "screen_gain"
            case degreesOfFreedom = "degrees_of_freedom"
            case validationDevianceBefore = "validation_deviance_before"
            case validationDevianceAfter = "validation_deviance_after"
        }
    }

    /// The numeric columns whose shape was chosen (every other numeric column had its shape given).
    public var columns: [String]
    public var margin: Double
    /// Training rows scored out of fold (0 when no column was worth a trial).
    public var validationRows: Int
    public var trials: [Trial]

    enum CodingKeys: String, CodingKey {
        case columns, margin, trials
        case validationRows = "validation_rows"
    }

    /// Bins of the step candidate.
    public static let bins = 50
    /// The least fall in validation deviance per row that makes a column steps.
    public static let defaultMargin = 0.001
    /// Fewer training rows than this: every column a spline (the folds would be too noisy).
    public static let minimumRows = 1000
    public static let folds = 5
    public static let sampleRows = LambdaSelection.sampleRows

    public var kept: [Trial] { trials.filter(\.kept) }

    /// The columns that became steps, as "column (n bins)".
    public var keptText: String { kept.map { "\($0.column) (\($0.bins) bins)" }.joined(separator: ", ") }
}

extension ShapePlan {
    /// The columns `--numeric auto` leaves to the search: numeric, auto, not monotone.
    var searchedColumns: [Int] {
        readingDesign.columns.indices.filter { c in
            let col = readingDesign.columns[c]
            guard case .numeric = col.kind else { return false }
            return options.numeric(for: col.name) == .auto && options.monotone[col.name] == nil
        }
    }

    /// Settles `--numeric auto`: every searched column becomes `.spline` or `.bins` in the options
    /// returned, with the validation folds' solutions of the chosen design (nil when none was fitted). `train` holds the training rows encoded with `readingDesign`. Nil search when there
    /// was nothing to search or too few rows (then every such column is a spline, with a notice).
    func chooseShapes(train all: EncodedRows, y allY: [Double], weights allWeights: [Double], lambda: Double, seed: UInt64,
                      maxIterations: Int, sampleRows: Int = ShapeSearch.sampleRows)
        -> (options: ShapeOptions, search: ShapeSearch?, notices: [String], solutions: FoldDeviance.Solutions?) {
        let searched = searchedColumns
        var options = self.options
        let names = searched.map { readingDesign.columns[$0].name }
        for name in names { options.columns[name] = .spline }
        guard !searched.isEmpty else { return (options, nil, [], nil) }
        guard all.rows >= ShapeSearch.minimumRows else {
            return (options, nil, ["--numeric auto: \(all.rows) training rows are fewer than \(ShapeSearch.minimumRows); every numeric column is a spline (no step functions tried)"], nil)
        }
        let (x, y, weights, _) = FoldDeviance.rows(all, y: allY, weights: allWeights, sampleRows: sampleRows, seed: seed)
        var search = ShapeSearch(columns: names, margin: ShapeSearch.defaultMargin, validationRows: 0, trials: [])
        let noHoldout = Matrix(rows: 0, cols: readingDesign.termCount + 1)
        func expanded(_ o: ShapeOptions) -> Expanded { with(o).expand(train: x, holdout: noHoldout) }

        // 1. The screen: each column's step bins against the all-spline fit.
        let base = expanded(options)
        let fit = LogisticFit.fit(data: base.train, y: y, weights: weights, lambda: lambda, penaltyWeights: base.design.penaltyWeights,
                                  signs: base.signs, maxIterations: maxIterations, forValidation: true)
        struct Candidate { var column: String; var bins: Int; var gain: Double; var degreesOfFreedom: Int }
        var candidates: [Candidate] = []
        for c in searched {
            let col = readingDesign.columns[c]
            guard case .numeric(let e) = col.kind else { continue }
            var values = observed(x, e)
            RadixSort.sort(&values)
            guard let cuts = QuantileBins.cuts(sortedValues: values, bins: ShapeSearch.bins, minCount: minLevelCount), cuts.count >= 2 else { continue }
            // Cells: the bins, and missing values in a cell of their own (the missing indicator is in both models).
            let value = x.column(e.term), missing = x.column(e.missingTerm!)
            let cell = (0..<x.rows).map { i in Int32(missing[i] == 1 ? cuts.count + 1 : QuantileBins.bin(of: value[i], cuts: cuts)) }
            let screen = InteractionScreen.gain(.init(name: col.name, cell: cell, count: cuts.count + 2), y: y, eta: fit.eta, weights: weights)
            // The spline already spends its terms (and the missing indicator its one) on this column.
            let splineTerms = base.design.columns.first { $0.name == col.name }?.terms.count ?? 1
            let df = max(1, screen.usedCells - 1 - splineTerms)
            guard screen.gain > Double(df) else { continue }
            candidates.append(Candidate(column: col.name, bins: cuts.count + 1, gain: screen.gain, degreesOfFreedom: df))
        }
        candidates.sort { $0.gain - Double($0.degreesOfFreedom) > $1.gain - Double($1.degreesOfFreedom) }
        guard !candidates.isEmpty else { return (options, search, [], nil) }

        // 2. Validation, best-screened first.
        search.validationRows = x.rows
        let deviance = FoldDeviance(y: y, weights: weights, folds: ShapeSearch.folds, seed: seed, lambda: lambda, maxIterations: maxIterations)
        // Each fold starts from the fit on all the searched rows (four fifths of its rows are the fold's).
        let start = FoldDeviance.Solutions(names: base.design.termNames,
                                           folds: Array(repeating: fit.beta + [fit.intercept], count: ShapeSearch.folds))
        var (before, solutions) = deviance(base.train, signs: base.signs, design: base.design, from: start)
        for candidate in candidates {
            var trial = options
            trial.columns[candidate.column] = .bins
            trial.columnBins[candidate.column] = ShapeSearch.bins
            let steps = expanded(trial)
            let (after, tried) = deviance(steps.train, signs: steps.signs, design: steps.design, from: solutions)
            let keep = before - after >= search.margin
            search.trials.append(.init(column: candidate.column, bins: candidate.bins, screenGain: candidate.gain,
                                       degreesOfFreedom: candidate.degreesOfFreedom, validationDevianceBefore: before,
                                       validationDevianceAfter: after, kept: keep))
            if keep {
                options = trial
                before = after
                solutions = tried
            }
        }
        // The folds' solutions of the chosen design: the pair search, on the same sample and folds,
        // starts from them.
        return (options, search, [], solutions)
    }
}
