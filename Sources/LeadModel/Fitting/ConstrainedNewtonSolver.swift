import LinearAlgebra

/// Projected Newton (Bertsekas 1982) for a `NewtonObjective` (the logistic one) with sign constraints on some
/// coefficients: `signs[j]` = +1 keeps βⱼ ≥ 0, −1 keeps βⱼ ≤ 0, 0 leaves it free (the intercept is
/// always free). What monotone shapes need: their ramp coefficients are the slopes of the shape.
///
/// Each iteration splits the constrained coefficients into the *binding* ones (at their bound, or
/// within ε of it, with the gradient pushing them further out) and the rest; it takes the Newton
/// step on the free coefficients (Cholesky of their block of the Hessian, ridge if needed), holds
/// the binding ones at their bound, and searches along the projected path β(t) = P(β + t·d) with
/// the Armijo rule on the actual step. ε = min(1e-8, ‖β − P(β − ∇f)‖∞) (Bertsekas' choice), so the
/// binding set is the true active set near the solution and the method converges quadratically there.
///
/// Stops when the projected gradient (∇f with the components of binding coefficients set to 0)
/// satisfies the same relative tolerance as `NewtonSolver`: the KKT conditions to that precision.
/// With no constraint it takes exactly `NewtonSolver`'s steps.
public struct ConstrainedNewtonSolver: Sendable {
    public var maxIterations = 200
    public var gradientTolerance = 1e-11
    public var armijo = 1e-4
    public var maxHalvings = 50

    public init() {}

    public func minimize(_ f: some NewtonObjective, signs: [Int], start: [Double]? = nil,
                         progress: ((Int, Double) -> Void)? = nil) -> NewtonSolver.Result {
        let k = f.dimension
        precondition(signs.count == k, "ConstrainedNewtonSolver: \(signs.count) signs for \(k) coefficients")
        precondition(signs.allSatisfy { $0 >= -1 && $0 <= 1 }, "ConstrainedNewtonSolver: signs are −1, 0 or +1")
        func project(_ b: inout [Double]) {
            for j in 0..<k where signs[j] != 0 && Double(signs[j]) * b[j] < 0 { b[j] = 0 }
        }
        var beta = start ?? [Double](repeating: 0, count: k)
        project(&beta)
        var (eta, value) = f.evaluate(beta)
        var (g, hessian) = f.gradientAndHessian(beta, eta: eta)
        let initialHessian = hessian

        /// Binding set and projected gradient at the current point.
        func binding(_ beta: [Double], _ g: [Double]) -> (binding: [Bool], projected: [Double]) {
            var width = 0.0
            for j in 0..<k {
                var moved = beta[j] - g[j]
                if signs[j] != 0 && Double(signs[j]) * moved < 0 { moved = 0 }
                width = max(width, abs(beta[j] - moved))
            }
            let epsilon = min(1e-8, width)
            var bound = [Bool](repeating: false, count: k)
            var pg = g
            for j in 0..<k where signs[j] != 0 {
                let s = Double(signs[j])
                if s * beta[j] <= epsilon && s * g[j] > 0 { bound[j] = true; pg[j] = 0 }
            }
            return (bound, pg)
        }

        var (bound, pg) = binding(beta, g)
        let g0 = maxAbs(pg)
        let threshold = gradientTolerance * max(1, g0)
        var iterations = 0
        var regularized = 0
        var converged = g0 <= threshold
        var reason = converged ? "projected gradient is zero at the start" : ""

        while !converged && iterations < maxIterations {
            iterations += 1
            let free = (0..<k).filter { !bound[$0] }
            let m = free.count
            var reduced = Matrix(rows: m, cols: m)
            for (b, j) in free.enumerated() { for (a, i) in free.enumerated() { reduced[a, b] = hessian[i, j] } }
            let solved = NewtonSolver.solve(reduced, free.map { -g[$0] })
            if solved?.ridged == true { regularized += 1 }
            let step = solved?.solution
            var d = [Double](repeating: 0, count: k)
            if let step {
                for (a, j) in free.enumerated() { d[j] = step[a] }
            } else {
                for j in free { d[j] = -g[j] }
            }
            if !(zip(g, d).reduce(0) { $0 + $1.0 * $1.1 } < 0) {
                for j in 0..<k { d[j] = bound[j] ? 0 : -g[j] }
            }
            var t = 1.0
            var accepted = false
            var newBeta = beta, newEta = eta, newValue = value
            for _ in 0..<maxHalvings {
                for j in 0..<k { newBeta[j] = beta[j] + t * d[j] }
                project(&newBeta)
                (newEta, newValue) = f.evaluate(newBeta)
                var decrease = 0.0
                for j in 0..<k { decrease += g[j] * (newBeta[j] - beta[j]) }
                if newValue <= value + armijo * decrease { accepted = true; break }
                if abs(newValue - value) <= 1e-12 * max(1, abs(value)) {
                    let trial = f.gradient(newBeta, eta: newEta)
                    if maxAbs(binding(newBeta, trial).projected) < maxAbs(pg) { accepted = true; break }
                }
                t *= 0.5
            }
            if !accepted {
                converged = maxAbs(pg) <= max(threshold, 1e-6 * max(1, g0))
                reason = converged ? "no further decrease possible at machine precision" : "line search failed to decrease the objective"
                break
            }
            beta = newBeta
            eta = newEta
            value = newValue
            (g, hessian) = f.gradientAndHessian(beta, eta: eta)
            (bound, pg) = binding(beta, g)
            progress?(iterations, maxAbs(pg))
            if maxAbs(pg) <= threshold {
                converged = true
                reason = "projected gradient norm below \(gradientTolerance) relative to its start"
            }
        }
        if !converged && reason.isEmpty { reason = "reached the iteration limit (\(maxIterations))" }
        var warnings: [String] = []
        if regularized > 0 {
            warnings.append("the Hessian was not positive definite in \(regularized) step(s): some terms are collinear; a small ridge was added to take those steps")
        }
        let atBound = (0..<k).filter { signs[$0] != 0 && beta[$0] == 0 }.count
        let report = FitReport(solver: "projected-newton-cholesky", iterations: iterations, converged: converged, reason: reason,
                               initialGradientNorm: g0, gradientNorm: maxAbs(pg), objective: value,
                               regularizedSteps: regularized, warnings: warnings + (atBound > 0 ? ["\(atBound) monotone slope(s) at zero (flat segments)"] : []))
        return NewtonSolver.Result(beta: beta, eta: eta, hessian: hessian, initialHessian: initialHessian, report: report)
    }
}
