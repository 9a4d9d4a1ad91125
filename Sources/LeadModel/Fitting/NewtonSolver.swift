import LinearAlgebra

/// What happened during a fit, shown to the user and stored in the model file.
public struct FitReport: Codable, Sendable, Equatable {
    public var solver: String
    public var iterations: Int
    public var converged: Bool
    /// Why the solver stopped, in words.
    public var reason: String
    /// ‖∇f‖∞ at the start and at the end.
    public var initialGradientNorm: Double
    public var gradientNorm: Double
    /// f at the solution (penalized negative log-likelihood).
    public var objective: Double
    /// Times the Hessian was not positive definite and a ridge was added to take the step.
    public var regularizedSteps: Int
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case solver, iterations, converged, reason, objective, warnings
        case initialGradientNorm = "initial_gradient_norm"
        case gradientNorm = "gradient_norm"
        case regularizedSteps = "regularized_steps"
    }
}

/// What Newton's method needs of an objective: its value at β together with the state its
/// derivatives are computed from (a GLM's linear predictor η = Xβ), the gradient, and the gradient
/// with the Hessian. `LogisticObjective` is one; an objective with another loss or penalty (a
/// smooth L1 approximation, a Poisson model) plugs into both solvers the same way.
public protocol NewtonObjective: Sendable {
    /// The number of coefficients.
    var dimension: Int { get }
    /// The state at β (η) and the objective's value.
    func evaluate(_ beta: [Double]) -> (eta: [Double], value: Double)
    func gradient(_ beta: [Double], eta: [Double]) -> [Double]
    func gradientAndHessian(_ beta: [Double]?, eta: [Double]) -> (gradient: [Double], hessian: Matrix)
}

extension LogisticObjective: NewtonObjective {}

/// Newton's method with a Cholesky step and Armijo backtracking, for a `NewtonObjective`.
///
/// Stops when ‖∇f‖∞ ≤ `gradientTolerance` · max(1, ‖∇f(β₀)‖∞): the default 1e-11 is far below what
/// matters for scores, and costs one or two extra quadratic-convergence steps, which makes the
/// solution reproducible to ~1e-8 whatever the starting point. A Hessian that is not positive
/// definite (collinear terms without a penalty) gets a growing ridge for that step instead of a crash.
public struct NewtonSolver: Sendable {
    public var maxIterations = 100
    public var gradientTolerance = 1e-11
    /// Armijo sufficient-decrease constant (the usual 1e-4).
    public var armijo = 1e-4
    public var maxHalvings = 40
    /// When set, the fit also stops after a full Newton step whose decrement ½ gᵀH⁻¹g (what the step
    /// was predicted to gain) is at most this: the objective is then within about its square of
    /// the minimum, so the gradient and Hessian at the new point are not computed. For the
    /// searches' fits, judged by their deviance alone (the returned Hessian and gradient norm are
    /// then those of the point before the last step).
    public var decrementTolerance: Double?

    public init() {}

    public struct Result: Sendable {
        public var beta: [Double]
        public var eta: [Double]
        public var hessian: Matrix
        /// The Hessian at the starting point (XᵀWX + λI′ with W constant per weight when the start is
        /// intercept-only), for rank checks.
        public var initialHessian: Matrix
        public var report: FitReport
    }

    public func minimize(_ f: some NewtonObjective, start: [Double]? = nil,
                         progress: ((Int, Double) -> Void)? = nil) -> Result {
        let k = f.dimension
        var beta = start ?? [Double](repeating: 0, count: k)
        var (eta, value) = f.evaluate(beta)
        var (g, hessian) = f.gradientAndHessian(beta, eta: eta)
        let g0 = maxAbs(g)
        let threshold = gradientTolerance * max(1, g0)
        var iterations = 0
        var regularized = 0
        var converged = maxAbs(g) <= threshold
        var reason = converged ? "gradient is zero at the start" : ""
        let initialHessian = hessian
        var warnings: [String] = []

        while !converged && iterations < maxIterations {
            iterations += 1
            // Newton direction: H d = −g, ridge added if H is not positive definite.
            let step = NewtonSolver.solve(hessian, g.map { -$0 })
            if step?.ridged == true { regularized += 1 }
            guard var d = step?.solution else {
                reason = "the Hessian could not be factored even with a ridge"
                break
            }
            var slope = zip(g, d).reduce(0) { $0 + $1.0 * $1.1 }
            if !(slope < 0) {
                // Not a descent direction (numerical trouble): fall back to steepest descent.
                d = g.map { -$0 }
                slope = -zip(g, g).reduce(0) { $0 + $1.0 * $1.1 }
            }
            var t = 1.0
            var accepted = false
            var newBeta = beta
            var newEta = eta
            var newValue = value
            for _ in 0..<maxHalvings {
                for j in 0..<k { newBeta[j] = beta[j] + t * d[j] }
                (newEta, newValue) = f.evaluate(newBeta)
                if newValue <= value + armijo * t * slope { accepted = true; break }
                // Near the optimum the decrease falls below the rounding noise of f (≈ |f|·ε): judge
                // the step by the gradient instead, as scikit-learn's Newton solver does.
                if abs(newValue - value) <= 1e-12 * max(1, abs(value)),
                   maxAbs(f.gradient(newBeta, eta: newEta)) < maxAbs(g) {
                    accepted = true
                    break
                }
                t *= 0.5
            }
            if !accepted {
                // No decrease possible: we are at the optimum to machine precision, or stuck.
                let gn = maxAbs(g)
                converged = gn <= max(threshold, 1e-6 * max(1, g0))
                reason = converged
                    ? "no further decrease possible at machine precision"
                    : "line search failed to decrease the objective"
                break
            }
            beta = newBeta
            eta = newEta
            value = newValue
            if let decrementTolerance, t == 1, -slope / 2 <= decrementTolerance {
                converged = true
                reason = "Newton decrement below \(decrementTolerance)"
                break
            }
            (g, hessian) = f.gradientAndHessian(beta, eta: eta)
            progress?(iterations, maxAbs(g))
            if maxAbs(g) <= threshold {
                converged = true
                reason = "gradient norm below \(gradientTolerance) relative to its start"
            }
        }
        if !converged && reason.isEmpty {
            reason = "reached the iteration limit (\(maxIterations))"
        }
        if regularized > 0 {
            warnings.append("the Hessian was not positive definite in \(regularized) step(s): some terms are collinear; a small ridge was added to take those steps")
        }
        let report = FitReport(solver: "newton-cholesky", iterations: iterations, converged: converged, reason: reason,
                               initialGradientNorm: g0, gradientNorm: maxAbs(g), objective: value,
                               regularizedSteps: regularized, warnings: warnings)
        return Result(beta: beta, eta: eta, hessian: hessian, initialHessian: initialHessian, report: report)
    }
}

extension NewtonSolver {
    /// The searches' decrement tolerance (`decrementTolerance`): 1e-6 per unit of weight. After a
    /// full step predicted to gain less than that, Newton's quadratic convergence leaves the
    /// objective within about 1e-9 per row of its minimum; a validation deviance per row (first order
    /// in the coefficients) then agrees with a fit to 1e-11 of the gradient to about 5e-8
    /// (`LambdaSelectionTests`), far below the 0.001 by which the searches judge.
    public static func validationDecrement(totalWeight: Double) -> Double { 1e-6 * max(1, totalWeight) }

    /// Solves H d = rhs by Cholesky; when H is not positive definite, with a ridge added to its
    /// diagonal (1e-10 of its largest entry, growing ×100, 12 tries). Nil when even that fails.
    static func solve(_ hessian: Matrix, _ rhs: [Double]) -> (solution: [Double], ridged: Bool)? {
        let k = hessian.rows
        var ridge = 0.0
        let scale = max(1e-12, hessian.diagonal.map(abs).max() ?? 1)
        for attempt in 0..<12 {
            var h = hessian
            if ridge > 0 { for j in 0..<k { h[j, j] += ridge } }
            if let chol = try? Cholesky(h), let d = try? chol.solve(rhs) { return (d, attempt > 0) }
            ridge = ridge == 0 ? scale * 1e-10 : ridge * 100
        }
        return nil
    }
}

@inline(__always) func maxAbs(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
