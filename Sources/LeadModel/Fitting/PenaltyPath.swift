import Foundation
import LinearAlgebra

/// A regularization path: the L2 fit at a decreasing sequence of λ, each Newton run started from
/// the previous λ's solution (a warm start), as glmnet does.
///
/// The solution moves little between neighbouring λ, so a warm-started Newton run takes two or three
/// steps instead of five or six from the intercept-only start, and converges to the same point as a
/// cold fit (same objective, same gradient tolerance; tested to 1e-8).
public enum PenaltyPath {
    /// λ values from `largest` · W down to `smallest` · W, evenly spaced on the log scale, W the total
    /// weight (the row count with unit weights).
    ///
    /// The loss is a sum over rows, so λ/W is the penalty per row of data: at 1 the standardized
    /// coefficients are shrunk most of the way to zero (a term's curvature per row is at most ¼),
    /// at 1e-5 a model with hundreds of terms is essentially unpenalized.
    public static func grid(totalWeight: Double, count: Int = PenaltyPath.defaultCount,
                            largest: Double = 1, smallest: Double = 1e-5) -> [Double] {
        precondition(count >= 1 && largest > 0 && smallest > 0 && smallest <= largest,
                     "PenaltyPath.grid: need count ≥ 1 and 0 < smallest ≤ largest")
        let w = max(totalWeight, 1)
        if count == 1 { return [largest * w] }
        let top: Double = log10(largest), bottom: Double = log10(smallest)
        let step: Double = (bottom - top) / Double(count - 1)
        return (0..<count).map { (k: Int) -> Double in
            let exponent: Double = top + step * Double(k)
            return w * pow(10.0, exponent)
        }
    }

    /// Grid points: 16 over five decades, a little over three per decade (the CV curve of a ridge
    /// fit is smooth; finer grids moved the chosen λ by less than a grid step on the data sets of
    /// QUALITY.md, and each point costs a fit per fold).
    public static let defaultCount = 16

    /// One point of a path.
    public struct Point: Sendable {
        public var lambda: Double
        /// β with the intercept last (the solver's layout).
        public var beta: [Double]
        /// η = Xβ over every row, those with weight 0 included (what validation reads).
        public var eta: [Double]
        public var report: FitReport
    }

    /// Fits `lambdas` in the order given (largest first for warm starts to help), each from the
    /// previous solution; the first from `start`, or the intercept-only optimum. `visit` sees each
    /// point as it is computed (so callers need not keep every η).
    public static func fit(data: EncodedRows, y: [Double], weights: [Double], lambdas: [Double],
                           start: [Double]? = nil, maxIterations: Int = 100, gradientTolerance: Double = 1e-11,
                           visit: (Int, Point) -> Void) {
        var solver = NewtonSolver()
        solver.maxIterations = maxIterations
        solver.gradientTolerance = gradientTolerance
        var beta = start ?? interceptOnlyStart(cols: data.cols, y: y, weights: weights)
        for (index, lambda) in lambdas.enumerated() {
            let objective = LogisticObjective(data: data, y: y, weights: weights, lambda: lambda)
            let result = solver.minimize(objective, start: beta)
            beta = result.beta
            visit(index, Point(lambda: lambda, beta: result.beta, eta: result.eta, report: result.report))
        }
    }

    /// The intercept-only optimum: zeros and the logit of the weighted positive rate last (the
    /// start `LogisticFit.fit` uses, so a cold path point is exactly a plain fit).
    public static func interceptOnlyStart(cols: Int, y: [Double], weights: [Double]) -> [Double] {
        var start = [Double](repeating: 0, count: cols)
        let total = weights.reduce(0, +)
        let positive = zip(weights, y).reduce(0) { $0 + $1.0 * $1.1 }
        if total > 0 && positive > 0 && positive < total {
            start[cols - 1] = StableMath.logit(positive / total)
        }
        return start
    }
}

extension EncodedRows {
    /// The rows at `indices`, in that order (a sample for choosing λ on large data).
    public func selecting(_ indices: [Int]) -> EncodedRows {
        let m = indices.count
        var out = EncodedRows(rows: m, cols: cols, groups: groupTerms, steps: stepTables, zeroed: false)
        let d = denseTerms.count
        let n = rows
        dense.storage.withUnsafeBufferPointer { s in
            out.dense.storage.withUnsafeMutableBufferPointer { o in
                for a in 0..<d {
                    let from = s.baseAddress! + a * n, to = o.baseAddress! + a * m
                    for (r, i) in indices.enumerated() { to[r] = from[i] }
                }
            }
        }
        levels.withUnsafeBufferPointer { s in
            out.levels.withUnsafeMutableBufferPointer { o in
                for q in groupTerms.indices {
                    let from = s.baseAddress! + q * n, to = o.baseAddress! + q * m
                    for (r, i) in indices.enumerated() { to[r] = from[i] }
                }
            }
        }
        steps.withUnsafeBufferPointer { s in
            out.steps.withUnsafeMutableBufferPointer { o in
                for q in stepTables.indices {
                    let from = s.baseAddress! + q * n, to = o.baseAddress! + q * m
                    for (r, i) in indices.enumerated() { to[r] = from[i] }
                }
            }
        }
        return out
    }
}
