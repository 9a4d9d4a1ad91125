/// The cross-validated deviance that judges a change to the design (`--interactions auto`,
/// `--numeric auto`): `folds` seeded folds stratified by outcome (`LambdaSearch.stratifiedFolds`);
/// each fold is scored by a fit on the other folds' rows (only those rows are passed to the fit),
/// so every row is scored once by a model that did not see it. The result is the deviance per row.
struct FoldDeviance {
    let y: [Double]
    let weights: [Double]
    let folds: Int
    let fold: [Int]
    /// Per fold, the rows its fit sees (every other fold's), in row order.
    let fitRows: [[Int]]
    let lambda: Double
    let maxIterations: Int

    /// The rows the searches judge on: all of them, or above `sampleRows` a seeded stratified
    /// sample of that many (as λ is chosen above 50,000): folds over millions of rows would cost
    /// many times the final fit, while a change that matters shows in 50,000 rows. `picked` is the
    /// sample's rows (nil: all).
    static func rows(_ all: EncodedRows, y: [Double], weights: [Double], sampleRows: Int, seed: UInt64)
        -> (x: EncodedRows, y: [Double], weights: [Double], picked: [Int]?) {
        guard all.rows > sampleRows else { return (all, y, weights, nil) }
        let sample = LambdaSearch.stratifiedSample(y: y, count: sampleRows, seed: seed)
        return (all.selecting(sample), sample.map { y[$0] }, sample.map { weights[$0] }, sample)
    }

    init(y: [Double], weights: [Double], folds: Int, seed: UInt64, lambda: Double, maxIterations: Int) {
        self.y = y
        self.weights = weights
        self.folds = folds
        let fold = LambdaSearch.stratifiedFolds(y: y, folds: folds, seed: seed)
        self.fold = fold
        fitRows = (0..<folds).map { f in fold.indices.filter { fold[$0] != f } }
        self.lambda = lambda
        self.maxIterations = maxIterations
    }

    /// The fits' gradient tolerance (relative, as `NewtonSolver`'s): 1e-8 moves the deviance per row
    /// by far less than the searches' margin of 0.001, and saves Newton steps on every fold.
    static let tolerance = 1e-8

    /// Each fold's solution (terms by name, then the intercept) of the last design evaluated: the
    /// next design's fits start from it (a warm start: a term the designs share starts at its
    /// value, a new one at 0), so a candidate costs two or three Newton steps per fold, not six.
    struct Solutions {
        var names: [String]
        var folds: [[Double]]
        /// Each fold's deviance per row of the fold (their row-weighted mean is the deviance per row).
        var foldDeviance: [Double] = []

        /// `solution` (one per name, then the intercept) laid out for the terms `terms` (then the
        /// intercept): a term it names keeps its value, another starts at 0.
        func start(for terms: [String], from solution: [Double]) -> [Double] {
            let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            return terms.map { index[$0].map { solution[$0] } ?? 0 } + [solution[names.count]]
        }
    }

    /// Σ 2 w ℓ(y, η) over fold `f`'s rows, with `eta(i)` row i's linear predictor, and the fold's row count.
    private func foldSum(_ f: Int, eta: (Int) -> Double) -> (sum: Double, rows: Int) {
        var sum = 0.0, rows = 0
        for i in 0..<y.count where fold[i] == f {
            let e = eta(i)
            sum += 2 * weights[i] * StableMath.log1pexp(y[i] > 0.5 ? -e : e)
            rows += 1
        }
        return (sum, rows)
    }

    /// The deviance per row of `design` (its terms' names and penalty weights) encoded as `data`,
    /// and its folds' solutions.
    func callAsFunction(_ data: EncodedRows, signs: [Int], design: Design,
                        from previous: Solutions? = nil) -> (deviance: Double, solutions: Solutions) {
        let names = design.termNames, penaltyWeights = design.penaltyWeights
        let n = y.count
        var d = 0.0
        var solutions = Solutions(names: names, folds: [])
        for f in 0..<folds {
            let rows = fitRows[f]
            let start = previous.map { $0.start(for: names, from: $0.folds[f]) }
            let fit = LogisticFit.fit(data: data.selecting(rows), y: rows.map { y[$0] }, weights: rows.map { weights[$0] },
                                      lambda: lambda, penaltyWeights: penaltyWeights, signs: signs, maxIterations: maxIterations,
                                      gradientTolerance: FoldDeviance.tolerance, start: start, forValidation: true)
            solutions.folds.append(fit.beta + [fit.intercept])
            let eta = data.times(fit.beta + [fit.intercept])
            let scored = foldSum(f) { eta[$0] }
            d += scored.sum
            solutions.foldDeviance.append(scored.sum / Double(max(1, scored.rows)))
        }
        return (d / Double(max(1, n)), solutions)
    }
}

extension FoldDeviance {
    /// The deviance per row with one more level group whose terms are fitted while every other
    /// coefficient stays at its fold's solution: each fold's η (`etas`, every row, from the
    /// solutions of the design without the group) is offset by the fitted value of the row's cell
    /// (`cell`: −1 none). A row is in at most one cell, so each cell is a one-term problem, solved
    /// by Newton's method on the fold's fitting rows with its penalty `penalties[c]` (λ times the
    /// term's weight). The fold's rows are then scored. Cheap (a few passes over the rows, no
    /// matrix), and never better in training deviance than refitting every coefficient: the screen
    /// in front of the full refit (`InteractionSearch`).
    func heldFixed(etas: [[Double]], cell: [Int32], cells: Int, penalties: [Double])
        -> (deviance: Double, foldDeviance: [Double], cellValues: [[Double]]) {
        let n = y.count
        var d = 0.0
        var foldDeviance: [Double] = []
        var cellValues: [[Double]] = []
        for f in 0..<folds {
            let eta = etas[f]
            var gamma = [Double](repeating: 0, count: cells)
            var active = [Bool](repeating: true, count: cells)
            for _ in 0..<FoldDeviance.cellIterations {
                var g = [Double](repeating: 0, count: cells), h = g
                for i in fitRows[f] {
                    let c = Int(cell[i])
                    guard c >= 0, active[c] else { continue }
                    let p = StableMath.sigmoid(eta[i] + gamma[c])
                    g[c] += weights[i] * (p - y[i])
                    h[c] += weights[i] * p * (1 - p)
                }
                var moved = false
                for c in 0..<cells where active[c] {
                    let gc = g[c] + penalties[c] * gamma[c], hc = h[c] + penalties[c]
                    guard hc > 0 else { active[c] = false; continue }
                    // A step of at most 2 in log-odds: a cell whose rows all fall one way (with no
                    // penalty) walks out slowly instead of jumping.
                    let step = max(-2, min(2, -gc / hc))
                    gamma[c] += step
                    if abs(step) < 1e-10 { active[c] = false } else { moved = true }
                }
                if !moved { break }
            }
            let scored = foldSum(f) { i in cell[i] >= 0 ? eta[i] + gamma[Int(cell[i])] : eta[i] }
            d += scored.sum
            foldDeviance.append(scored.sum / Double(max(1, scored.rows)))
            cellValues.append(gamma)
        }
        return (d / Double(max(1, n)), foldDeviance, cellValues)
    }

    /// Newton passes at most per cell (each converges in a handful).
    static let cellIterations = 50
}
