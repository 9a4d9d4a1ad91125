import LinearAlgebra

/// A fitted binary logistic model on an encoded matrix (intercept column last), with its covariance.
///
/// The one entry point to the solver for everything that fits: training, reason models, refits.
public struct LogisticFit: Sendable {
    public var beta: [Double]
    public var intercept: Double
    /// Inverse Hessian at the optimum (k × k, intercept last), nil when singular.
    public var covariance: Matrix?
    public var eta: [Double]
    public var report: FitReport
    /// XᵀWX at the start (intercept only, so W = weights · r(1−r) with r the positive rate), without
    /// the penalty: the Gram matrix the rank checks use.
    public var initialGram: Matrix

    /// Fits y on x (intercept column last) with L2 strength `lambda` on the non-intercept terms.
    /// `indicatorGroups` names the one-hot column groups (`Design.indicatorGroups`) the solver may
    /// read through a level index; the fit is the same without them, only slower.
    public static func fit(x: Matrix, y: [Double], weights: [Double]? = nil, lambda: Double,
                           indicatorGroups: [[Int]] = [],
                           maxIterations: Int = 100, gradientTolerance: Double = 1e-11,
                           progress: ((Int, Double) -> Void)? = nil) -> LogisticFit {
        fit(data: EncodedRows(matrix: x, indicatorGroups: indicatorGroups), y: y, weights: weights, lambda: lambda,
            maxIterations: maxIterations, gradientTolerance: gradientTolerance, progress: progress)
    }

    /// The same on encoded rows (what training builds).
    /// `forValidation`: a search's fit, judged by its deviance alone: no covariance, and the fit
    /// stops at a small Newton decrement (`NewtonSolver.validationDecrement`) without computing
    /// the gradient and Hessian once more at the solution.
    /// `signs` (one per column of `data`, intercept last): +1 / −1 keep a coefficient ≥ 0 / ≤ 0
    /// (monotone shapes), fitted by `ConstrainedNewtonSolver`; nil or all 0 is the plain Newton fit.
    /// `penaltyWeights`: λ's multiplier per non-intercept term (`LogisticObjective`; nil: 1).
    public static func fit(data: EncodedRows, y: [Double], weights: [Double]? = nil, lambda: Double,
                           penaltyWeights: [Double]? = nil, signs: [Int]? = nil, maxIterations: Int = 100, gradientTolerance: Double = 1e-11,
                           start given: [Double]? = nil, forValidation: Bool = false,
                           progress: ((Int, Double) -> Void)? = nil) -> LogisticFit {
        let w = weights ?? [Double](repeating: 1, count: y.count)
        let objective = LogisticObjective(data: data, y: y, weights: w, lambda: lambda, penaltyWeights: penaltyWeights)
        var solver = NewtonSolver()
        solver.maxIterations = maxIterations
        solver.gradientTolerance = gradientTolerance
        if forValidation { solver.decrementTolerance = NewtonSolver.validationDecrement(totalWeight: w.reduce(0, +)) }
        // Start at the intercept-only optimum, logit of the weighted positive rate: one Newton step
        // fewer than from zero, and the same solution.
        var start = [Double](repeating: 0, count: data.cols)
        let totalWeight = w.reduce(0, +)
        let positiveWeight = zip(w, y).reduce(0) { $0 + $1.0 * $1.1 }
        if let given, given.count == data.cols {
            // A warm start (a nearby model's solution; with `signs`, one that keeps them).
            start = given
        } else if totalWeight > 0 && positiveWeight > 0 && positiveWeight < totalWeight {
            let rate = positiveWeight / totalWeight
            start[data.cols - 1] = StableMath.logit(rate)
        }
        let result: NewtonSolver.Result
        if let signs, signs.contains(where: { $0 != 0 }) {
            var constrained = ConstrainedNewtonSolver()
            constrained.maxIterations = max(maxIterations, 200)
            constrained.gradientTolerance = gradientTolerance
            result = constrained.minimize(objective, signs: signs, start: start, progress: progress)
        } else {
            result = solver.minimize(objective, start: start, progress: progress)
        }
        let p = data.cols - 1
        var covariance: Matrix?
        if !forValidation, let chol = try? Cholesky(result.hessian), let inv = try? chol.inverse() { covariance = inv }
        var beta = Array(result.beta.prefix(p))
        for i in beta.indices where !beta[i].isFinite { beta[i] = 0 }
        var gram = result.initialHessian
        for j in 0..<p { gram[j, j] -= objective.penalty(term: j) }
        return LogisticFit(beta: beta, intercept: result.beta[p], covariance: covariance, eta: result.eta, report: result.report,
                           initialGram: gram)
    }
}
