import LinearAlgebra

/// `train --interactions auto`: which pairs of columns earn an interaction.
///
/// 1. The main-effects model (with the interactions given by `--interaction`) is fitted on the
///    training rows, and every pair of columns is ranked by `InteractionScreen` on its residuals,
///    over the very cells an interaction would use (`InteractionBuilder.side`).
/// 2. The top `cap` pairs whose screen gain beats chance (gain above its degrees of freedom) are
///    tried one by one, best first: the model with the pairs kept so far plus the candidate is
///    cross-validated on the training rows (`folds` seeded folds stratified by outcome: each fold
///    scored by a fit on the others; above 50,000 training rows, on a seeded sample of 50,000). The
///    pair is kept when the cross-validated deviance per row falls by at least `margin` (0.001: log
///    loss better by 0.0005) against the model without it, and falls in at least `folds − 1` of the
///    folds on their own: a gain carried by one lucky fold is noise.
///    Each fold first fits only the pair's cells, every other coefficient held at the fold's
///    solution without the pair (`FoldDeviance.heldFixed`: a few passes over the rows, no matrix).
///    A pair that gains less than `refitShare` of the margin so is rejected on that figure; the
///    others are refitted with every coefficient free, and that refit decides.
///    Each pair is judged cut two ways (`InteractionCells`: up to 6 cells of a categorical column
///    and 4 bins of a number, or 8 and 6); of the cuts kept, the one with the lower validation
///    deviance is.
///
/// The screen and validation fits use λ = 1 when λ is chosen automatically (it is chosen afterwards,
/// on the final design), the given λ otherwise (0 with `--penalty none`). The holdout is never used.
public struct InteractionSearch: Codable, Sendable, Equatable {
    /// A pair that was tried.
    public struct Trial: Codable, Sendable, Equatable {
        public var first: String
        public var second: String
        /// The screen's approximate deviance reduction on the training rows, and its degrees of freedom.
        public var screenGain: Double
        public var degreesOfFreedom: Int
        /// Validation deviance per row without and with the pair.
        public var validationDevianceBefore: Double
        public var validationDevianceAfter: Double
        public var kept: Bool
        /// Folds whose own deviance fell with the pair (nil in models written before it was kept).
        public var foldsImproved: Int?
        /// Whether the pair was refitted with every coefficient free; false: it gained less than
        /// `refitShare` of the margin with the others held fixed, and `validationDevianceAfter` is
        /// that screen's (nil in models written before the screen).
        public var refitted: Bool?
        /// Whether the pair's figures are those of its finer cut (`InteractionCells.fine`): kept so
        /// when that cut validated better (nil in models written before both cuts were tried).
        public var finerCells: Bool?

        enum CodingKeys: String, CodingKey {
            case first, second, kept
            case foldsImproved = "folds_improved"
            case refitted
            case finerCells = "finer_cells"
            case screenGain = "screen_gain"
            case degreesOfFreedom = "degrees_of_freedom"
            case validationDevianceBefore = "validation_deviance_before"
            case validationDevianceAfter = "validation_deviance_after"
        }

        /// "lead_source:job_level".
        public var pair: String { "\(first):\(second)" }
    }

    public var cap: Int
    public var margin: Double
    /// Training rows scored out of fold.
    public var validationRows: Int
    public var trials: [Trial]

    enum CodingKeys: String, CodingKey {
        case cap, margin, trials
        case validationRows = "validation_rows"
    }

    /// The share of the margin a pair must gain with every other coefficient held fixed before it
    /// is refitted in full. On the quality data sets and the benchmark's leads, the pairs kept
    /// gained at least half the margin so (the refit then gained 1.1–5.7 times more, as the columns'
    /// own terms adjust); a fifth leaves room, and skips the refit of most pairs that gain nothing.
    public static let refitShare = 0.2
    /// Pairs tried at most.
    public static let defaultCap = 8
    /// The least fall in validation deviance per row that keeps a pair.
    public static let defaultMargin = 0.001
    /// Fewer training rows than this: no search (the folds would be too noisy).
    public static let minimumRows = 1000
    /// Folds of the cross-validation that judges each pair.
    public static let folds = 5
    /// Above this many training rows the search runs on a seeded stratified sample of this many.
    public static let sampleRows = LambdaSelection.sampleRows

    public var kept: [Trial] { trials.filter(\.kept) }
    public var rejected: [Trial] { trials.filter { !$0.kept } }
}

extension InteractionBuilder {
    /// The search of `InteractionSearch` on the final main-effects design (and the interactions
    /// already in it); returns the search and the pairs to add.
    static func search(design: Design, train all: EncodedRows, y allY: [Double], weights allWeights: [Double], signs: [Int],
                       values: ([Int]?) -> [String: [ResolvedValue]], minLevelCount: Int, lambda: Double, seed: UInt64,
                       maxIterations: Int, sampleRows: Int = InteractionSearch.sampleRows,
                       refitShare: Double = InteractionSearch.refitShare, cuts: [InteractionCells] = [.coarse, .fine],
                       from warm: FoldDeviance.Solutions? = nil) -> InteractionSearch {
        precondition(!cuts.isEmpty, "InteractionSearch: no cut to judge the pairs with")
        let (x, y, weights, picked) = FoldDeviance.rows(all, y: allY, weights: allWeights, sampleRows: sampleRows, seed: seed)
        // Every column's values as read, of the searched rows (`values(picked)`: nil is every row).
        let values = values(picked)
        let n = x.rows
        var search = InteractionSearch(cap: InteractionSearch.defaultCap, margin: InteractionSearch.defaultMargin, validationRows: 0, trials: [])
        // 1. The screen on the full training rows.
        // Started (as the folds below) from the shape search's folds on the same rows, when it ran:
        // their mean, by term name (a term they lack at 0).
        let start = warm.map { w -> [Double] in
            let mean = (0...w.names.count).map { j in w.folds.reduce(0) { $0 + $1[j] } / Double(max(1, w.folds.count)) }
            return w.start(for: design.termNames, from: mean)
        }
        let base = LogisticFit.fit(data: x, y: y, weights: weights, lambda: lambda, penaltyWeights: design.penaltyWeights,
                                   signs: signs, maxIterations: maxIterations, start: start, forValidation: true)
        let present = Set((design.interactions ?? []).map { Set([$0.first.column, $0.second.column]) })
        var cells: [InteractionScreen.Cells] = []
        for (c, col) in design.columns.enumerated() {
            guard let v = values[col.name] else { continue }
            // A monotone column is never searched: a pair's cells could bend its shape, and
            // `--monotone` promises the score never moves against the direction given.
            if col.isMonotone { continue }
            let side = side(design, column: c, values: v, minLevelCount: minLevelCount)
            guard side.cellCount > 1 else { continue }
            cells.append(InteractionScreen.Cells(name: col.name, cell: v.map { Int32(side.cell($0)) }, count: side.cellCount))
        }
        let ranked = InteractionScreen.rank(cells, y: y, eta: base.eta, weights: weights)
            .filter { $0.excess > 0 && !present.contains(Set([$0.first, $0.second])) }
            .prefix(search.cap)
        guard !ranked.isEmpty else { return search }
        // 2. Validation: k seeded folds of the training rows, stratified by outcome as λ's are.
        search.validationRows = n
        let deviance = FoldDeviance(y: y, weights: weights, folds: InteractionSearch.folds, seed: seed, lambda: lambda, maxIterations: maxIterations)
        var current = (design: design, rows: x, signs: signs)
        // From the shape search's folds, or else from the fit on all the searched rows.
        let foldStart = warm ?? FoldDeviance.Solutions(names: design.termNames,
                                                       folds: Array(repeating: base.beta + [base.intercept], count: InteractionSearch.folds))
        var (before, solutions) = deviance(x, signs: signs, design: design, from: foldStart)
        let empty = Matrix(rows: 0, cols: design.termCount + 1)
        // Each fold's η under the current design's solutions (for the screen), made when first needed.
        var etas: [[Double]]?
        /// One way of cutting the candidate pair, judged.
        struct Variant {
            var extended: InteractionBuilder.Extended
            var added: Bool
            var after: Double
            var tried: FoldDeviance.Solutions
            var refitted: Bool
            var improved: Int
            var keep: Bool
            var fine: Bool
        }
        for candidate in ranked {
            let pair = "\(candidate.first):\(candidate.second)"
            // Each pair is cut coarsely and finely (`InteractionCells`); the finer cut is kept only
            // when it validates better than the coarse one.
            var variants: [Variant] = []
            for fine in [false, true] where cuts.contains(fine ? .fine : .coarse) {
                let extended = extend(design: current.design, train: current.rows, holdout: empty, signs: current.signs,
                                      pairs: [(candidate.first, candidate.second)], trainValues: values, holdoutValues: values.mapValues { _ in [] },
                                      minLevelCount: minLevelCount, fine: fine ? [pair] : [])
                let added = extended.design.termCount > current.design.termCount
                // The finer cut of a pair whose columns have no more cells than the coarse one is the same pair.
                if fine, let coarse = variants.first, !coarse.fine, coarse.extended.design.termNames == extended.design.termNames { break }
                var after = before
                var tried = solutions
                var refitted = false
                if added {
                    // The screen: the pair's cells fitted with every other coefficient held at its fold's
                    // solution. Only a pair that gains at least `refitShare` of the margin so is refitted
                    // in full (every coefficient free), and only the refit can keep it.
                    if etas == nil { etas = solutions.folds.map { current.rows.times($0) } }
                    let p = current.design.termCount
                    let group = extended.train.groupOf[p]
                    let cells = extended.design.termCount - p
                    let levels = extended.train.levels
                    let cell = (0..<n).map { i -> Int32 in let t = levels[group * n + i]; return t < 0 ? -1 : t - Int32(p) }
                    let penalties = (p..<extended.design.termCount).map { lambda * (extended.design.penaltyWeights?[$0] ?? 1) }
                    let held = deviance.heldFixed(etas: etas!, cell: cell, cells: cells, penalties: penalties)
                    after = held.deviance
                    tried.foldDeviance = held.foldDeviance
                    if before - held.deviance >= search.margin * refitShare {
                        (after, tried) = deviance(extended.train, signs: extended.signs, design: extended.design, from: solutions)
                        refitted = true
                    }
                }
                let improved = added ? zip(solutions.foldDeviance, tried.foldDeviance).filter { $1 < $0 }.count : 0
                let keep = added && before - after >= search.margin && improved >= InteractionSearch.folds - 1
                variants.append(Variant(extended: extended, added: added, after: after, tried: tried, refitted: refitted,
                                        improved: improved, keep: keep, fine: fine))
            }
            // The kept cut that validates best; with none kept, the first cut's figures (the coarse one's).
            let chosen = variants.filter(\.keep).min { $0.after < $1.after } ?? variants[0]
            search.trials.append(.init(first: candidate.first, second: candidate.second, screenGain: candidate.gain,
                                       degreesOfFreedom: candidate.degreesOfFreedom, validationDevianceBefore: before,
                                       validationDevianceAfter: chosen.after, kept: chosen.keep,
                                       foldsImproved: chosen.added ? chosen.improved : nil,
                                       refitted: chosen.added ? chosen.refitted : nil, finerCells: chosen.fine))
            if chosen.keep {
                precondition(chosen.refitted)
                etas = nil
                current = (chosen.extended.design, chosen.extended.train, chosen.extended.signs)
                before = chosen.after
                solutions = chosen.tried
            }
        }
        return search
    }
}
