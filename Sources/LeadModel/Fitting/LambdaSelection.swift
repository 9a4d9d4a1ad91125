import Foundation
import LeadSupport

/// How `--lambda auto` chose the penalty, stored in the model file and printed by `train`: the
/// cross-validated deviance at every λ of the path, its standard error, and the λ the rule picked.
///
/// **Method.** Up to `LambdaSelection.foldRowLimit` training rows: k-fold cross-validation (5 folds
/// by default), folds stratified by outcome and drawn from `--seed`, each fold's path fitted on the
/// other folds' rows (the fold's rows left out of the fit, then scored by it) with warm starts down
/// the grid. Above it: one stratified held-out split (80/20) of a seeded sample of
/// `LambdaSelection.sampleRows` training rows. Why: k paths over millions of rows would cost k × 16
/// fits, more than ten times a single fit, while the choice of λ matters less and less as rows grow
/// (the penalty λ/2‖β‖² stays put while the log-likelihood grows with n); λ is the prior precision of
/// the standardized coefficients, which does not depend on n, so the λ chosen on the sample is used
/// as it is for the fit on every training row.
///
/// **Deviance.** 2 Σ wᵢ [log(1 + e^ηᵢ) − yᵢηᵢ] / Σ wᵢ over the validation rows of a fold (per row,
/// so folds of unequal size compare); the curve is the weighted mean over folds, its standard error
/// √(Σ_f W_f (d_f − d̄)² / Σ_f W_f / (k − 1)), as cv.glmnet computes them. With one held-out split the
/// standard error is that of the mean of the per-row deviances.
///
/// **Rules.** `min`: the λ of least deviance (the largest such λ on a tie). `1se`: the largest λ whose
/// deviance is within one standard error of that minimum (a smoother model that validates as well).
public struct LambdaSelection: Codable, Sendable, Equatable {
    public enum Rule: String, Codable, Sendable, CaseIterable {
        case min
        case oneSE = "1se"
    }

    /// "cross-validation" or "holdout-sample".
    public var method: String
    public var rule: Rule
    /// Folds (k-fold) or 1 (held-out split).
    public var folds: Int
    public var seed: UInt64
    /// Rows the path was fitted and validated on (all training rows, or the sample).
    public var rows: Int
    /// Rows validated at each λ in all (every row once with k folds; the held-out part of the sample).
    public var validationRows: Int
    /// The grid, largest λ first.
    public var lambdas: [Double]
    /// Mean validation deviance per row at each λ.
    public var deviance: [Double]
    public var standardError: [Double]
    public var minIndex: Int
    public var oneSEIndex: Int
    /// The λ of the rule's index.
    public var chosen: Double
    public var chosenIndex: Int
    /// Newton iterations over the whole search (all folds and grid points).
    public var iterations: Int
    /// Grid points whose fit did not converge in some fold (reported, never hidden).
    public var unconverged: Int

    enum CodingKeys: String, CodingKey {
        case method, rule, folds, seed, rows, lambdas, deviance, chosen, iterations, unconverged
        case validationRows = "validation_rows"
        case standardError = "standard_error"
        case minIndex = "min_index"
        case oneSEIndex = "one_se_index"
        case chosenIndex = "chosen_index"
    }

    /// Training rows up to which λ is chosen by k-fold cross-validation (see the type's comment).
    public static let foldRowLimit = 50_000
    /// Rows sampled for the held-out split above `foldRowLimit`.
    public static let sampleRows = 50_000
    /// Share of the sample held out for validation.
    public static let sampleValidationShare = 0.2
    public static let defaultFolds = 5

    /// The indices of the min and 1se rules for a curve (largest λ first).
    public static func ruleIndices(deviance: [Double], standardError: [Double]) -> (min: Int, oneSE: Int) {
        precondition(!deviance.isEmpty && deviance.count == standardError.count, "ruleIndices: empty or mismatched curve")
        var best = 0
        for i in deviance.indices where deviance[i] < deviance[best] { best = i }
        let limit = deviance[best] + standardError[best]
        // The grid runs from the largest λ down: the first point within the limit is the largest λ.
        let oneSE = deviance.indices.first { deviance[$0] <= limit } ?? best
        return (best, oneSE)
    }

    /// One line per grid point, for the train summary.
    public var table: [String] {
        var lines = ["λ (\(method == "cross-validation" ? "\(folds)-fold CV" : "held-out sample"), \(rows) rows)   deviance   ± se"]
        for i in lambdas.indices {
            var mark = ""
            if i == minIndex { mark += "  ← min" }
            if i == oneSEIndex { mark += "  ← 1se" }
            if i == chosenIndex { mark += " (chosen)" }
            lines.append(String(format: "  %12.6g   %8.5f   %.5f", lambdas[i], deviance[i], standardError[i]) + mark)
        }
        return lines
    }
}

/// Chooses λ for `--lambda auto` on the training rows.
public struct LambdaSearch: Sendable {
    public var folds = LambdaSelection.defaultFolds
    public var rule: LambdaSelection.Rule = .min
    public var seed: UInt64 = 42
    public var gridCount = PenaltyPath.defaultCount
    public var foldRowLimit = LambdaSelection.foldRowLimit
    public var sampleRows = LambdaSelection.sampleRows
    public var maxIterations = 100
    /// Gradient tolerance of the path's fits (relative, as `NewtonSolver`'s): 1e-9 moves the
    /// validation deviance by far less than its standard error, and saves a Newton step per point
    /// against the final fit's 1e-11.
    public var pathTolerance = 1e-9

    public init() {}

    /// Fold of every row (0..<k), stratified by outcome and seeded: each class's rows are shuffled
    /// with SplitMix64(seed) and dealt to folds in turn, the negatives continuing the deal where the
    /// positives stopped, so fold sizes differ by at most one and each fold has the positive rate of
    /// the whole to within one row.
    public static func stratifiedFolds(y: [Double], folds k: Int, seed: UInt64) -> [Int] {
        precondition(k >= 2, "stratifiedFolds: need at least 2 folds")
        var fold = [Int](repeating: 0, count: y.count)
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0xF01D))
        var next = 0
        for cls in [1.0, 0.0] {
            var members = y.indices.filter { (y[$0] > 0.5) == (cls > 0.5) }
            shuffle(&members, &rng)
            for i in members {
                fold[i] = next
                next = (next + 1) % k
            }
        }
        return fold
    }

    /// A stratified seeded sample of `count` rows (in row order) and, within it, a held-out share.
    static func stratifiedSample(y: [Double], count: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x5A3B1E))
        let rate = Double(count) / Double(y.count)
        var chosen: [Int] = []
        for cls in [1.0, 0.0] {
            var members = y.indices.filter { (y[$0] > 0.5) == (cls > 0.5) }
            shuffle(&members, &rng)
            chosen += members.prefix(Int((Double(members.count) * rate).rounded()))
        }
        return chosen.sorted()
    }

    /// Fisher–Yates with the project's generator (the same order on every platform).
    static func shuffle(_ a: inout [Int], _ rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }

    /// Runs the search on the training rows. `progress` gets a line per fold.
    /// `penaltyWeights`: λ's multiplier per term, as the final fit will use it (`LogisticObjective`).
    public func choose(data: EncodedRows, y: [Double], weights: [Double], penaltyWeights: [Double]? = nil,
                       progress: ((String) -> Void)? = nil) -> LambdaSelection {
        if data.rows <= foldRowLimit {
            return crossValidate(data: data, y: y, weights: weights, penaltyWeights: penaltyWeights, progress: progress)
        }
        let sample = LambdaSearch.stratifiedSample(y: y, count: sampleRows, seed: seed)
        let rows = data.selecting(sample)
        let ys = sample.map { y[$0] }
        let ws = sample.map { weights[$0] }
        // The held-out share: one stratified "fold" of 1/share of the sample.
        let parts = Int((1 / LambdaSelection.sampleValidationShare).rounded())
        let fold = LambdaSearch.stratifiedFolds(y: ys, folds: parts, seed: seed)
        let validation = fold.map { $0 == 0 }
        return validate(data: rows, y: ys, weights: ws, penaltyWeights: penaltyWeights, splits: [validation], method: "holdout-sample",
                        progress: progress)
    }

    func crossValidate(data: EncodedRows, y: [Double], weights: [Double], penaltyWeights: [Double]? = nil,
                       progress: ((String) -> Void)?) -> LambdaSelection {
        let fold = LambdaSearch.stratifiedFolds(y: y, folds: folds, seed: seed)
        let splits = (0..<folds).map { f in fold.map { $0 == f } }
        return validate(data: data, y: y, weights: weights, penaltyWeights: penaltyWeights, splits: splits, method: "cross-validation",
                        progress: progress)
    }

    /// Walks the grid from the largest λ down, fitting every split at each λ from that split's
    /// previous solution (on the split's fitting rows only), and scores the split's validation rows
    /// with each fit. Stops early, like glmnet, once the curve has risen for two points past its minimum
    /// or has flattened (two changes in a row below 1e-5 of the deviance): smaller λ would not be
    /// chosen by either rule.
    func validate(data: EncodedRows, y: [Double], weights: [Double], penaltyWeights: [Double]? = nil, splits: [[Bool]], method: String,
                  progress: ((String) -> Void)?) -> LambdaSelection {
        let fitRows = splits.count == 1 ? splits[0].filter { !$0 }.count : data.rows * (splits.count - 1) / splits.count
        let fitWeight = Double(fitRows) * (weights.reduce(0, +) / Double(max(1, data.rows)))
        let grid = PenaltyPath.grid(totalWeight: fitWeight, count: gridCount)
        var solver = NewtonSolver()
        solver.maxIterations = maxIterations
        solver.gradientTolerance = pathTolerance
        // Each split's fit sees only its fitting rows, and its validation rows are scored apart.
        struct Split {
            let fitData: EncodedRows, fitY: [Double], fitWeights: [Double]
            var fitWeight: Double { fitWeights.reduce(0, +) }
            let heldRows: [Int], heldData: EncodedRows
        }
        let parts: [Split] = splits.map { held in
            let fit = held.indices.filter { !held[$0] }, kept = held.indices.filter { held[$0] }
            return Split(fitData: data.selecting(fit), fitY: fit.map { y[$0] }, fitWeights: fit.map { weights[$0] },
                         heldRows: kept, heldData: data.selecting(kept))
        }
        let heldWeight: [Double] = splits.map { held in held.indices.reduce(0) { held[$1] ? $0 + weights[$1] : $0 } }
        var beta: [[Double]] = parts.map { PenaltyPath.interceptOnlyStart(cols: data.cols, y: $0.fitY, weights: $0.fitWeights) }
        var foldDeviance: [[Double]] = splits.map { _ in [] }
        var sumSquares: [Double] = []
        var lambdas: [Double] = []
        var curve: [Double] = []
        var iterations = 0
        var unconverged = 0
        for lambda in grid {
            progress?("choosing λ: \(lambdas.count + 1) of at most \(grid.count) (λ = \(String(format: "%.4g", lambda)))")
            var pointConverged = true
            var squares = 0.0
            for (f, part) in parts.enumerated() {
                let objective = LogisticObjective(data: part.fitData, y: part.fitY, weights: part.fitWeights, lambda: lambda,
                                                  penaltyWeights: penaltyWeights)
                solver.decrementTolerance = NewtonSolver.validationDecrement(totalWeight: part.fitWeight)
                let result = solver.minimize(objective, start: beta[f])
                beta[f] = result.beta
                iterations += result.report.iterations
                pointConverged = pointConverged && result.report.converged
                let eta = part.heldData.times(result.beta)
                var sum = 0.0
                for (r, i) in part.heldRows.enumerated() {
                    let d = 2 * (StableMath.log1pexp(eta[r]) - y[i] * eta[r])
                    sum += weights[i] * d
                    squares += weights[i] * d * d
                }
                foldDeviance[f].append(heldWeight[f] > 0 ? sum / heldWeight[f] : 0)
            }
            if !pointConverged { unconverged += 1 }
            lambdas.append(lambda)
            sumSquares.append(heldWeight[0] > 0 && splits.count == 1 ? squares / heldWeight[0] : 0)
            var mean = 0.0
            for f in splits.indices { mean += heldWeight[f] * foldDeviance[f].last! }
            curve.append(mean / max(heldWeight.reduce(0, +), .leastNonzeroMagnitude))
            if curve.count >= 4 {
                let c = curve.count
                let best = curve.indices.min { curve[$0] < curve[$1] }!
                let rose = best <= c - 3 && curve[c - 1] > curve[c - 2] && curve[c - 2] > curve[best]
                let flat = abs(curve[c - 1] - curve[c - 2]) < 1e-5 * abs(curve[c - 1])
                    && abs(curve[c - 2] - curve[c - 3]) < 1e-5 * abs(curve[c - 2])
                if rose || flat { break }
            }
        }
        let L = lambdas.count
        let foldWeight = heldWeight
        var deviance = [Double](repeating: 0, count: L)
        var se = [Double](repeating: 0, count: L)
        let total = foldWeight.reduce(0, +)
        for k in 0..<L {
            if splits.count == 1 {
                let mean = foldDeviance[0][k]
                let n = Double(splits[0].filter { $0 }.count)
                deviance[k] = mean
                se[k] = n > 1 ? (max(0, sumSquares[k] - mean * mean) * n / (n - 1)).squareRoot() / n.squareRoot() : 0
            } else {
                var mean = 0.0
                for f in splits.indices { mean += foldWeight[f] * foldDeviance[f][k] }
                mean /= max(total, .leastNonzeroMagnitude)
                var spread = 0.0
                for f in splits.indices { spread += foldWeight[f] * pow(foldDeviance[f][k] - mean, 2) }
                spread /= max(total, .leastNonzeroMagnitude)
                deviance[k] = mean
                se[k] = (spread / Double(splits.count - 1)).squareRoot()
            }
        }
        let (minIndex, oneSEIndex) = LambdaSelection.ruleIndices(deviance: deviance, standardError: se)
        let chosenIndex = rule == .min ? minIndex : oneSEIndex
        // The fit on every training row has more rows than each fold's: λ is a prior precision, so
        // it is used as it is (the grid was laid out on the fold's weight only to span the same
        // per-row range).
        return LambdaSelection(method: method, rule: rule, folds: splits.count == 1 ? 1 : splits.count, seed: seed,
                               rows: data.rows, validationRows: splits.reduce(0) { $0 + $1.filter { $0 }.count },
                               lambdas: lambdas, deviance: deviance, standardError: se,
                               minIndex: minIndex, oneSEIndex: oneSEIndex,
                               chosen: lambdas[chosenIndex], chosenIndex: chosenIndex,
                               iterations: iterations, unconverged: unconverged)
    }
}
