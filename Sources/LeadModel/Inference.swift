#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LinearAlgebra

/// Per-term and per-column statistics: what `drivers` shows, computed once at training.
public struct ModelInference: Codable, Sendable {
    /// True for penalized fits: the inverse penalized Hessian is not the sampling covariance of a
    /// ridge estimate (it ignores the bias the penalty adds), so p-values are indicative only.
    public var standardErrorsApproximate: Bool
    public var note: String?
    /// Sorted by importance, largest first.
    public var columns: [ColumnDriver]
    public var intercept: TermInference

    enum CodingKeys: String, CodingKey {
        case note, columns, intercept
        case standardErrorsApproximate = "standard_errors_approximate"
    }
}

/// One input column's weight in the model.
public struct ColumnDriver: Codable, Sendable {
    public var column: String
    public var type: ColumnType?
    /// Mean absolute contribution over the training leads, in log-odds.
    public var importance: Double
    /// The same in points.
    public var importancePoints: Double
    /// Wald χ² over all the column's terms, its degrees of freedom and p-value (nil without SEs).
    public var waldChi2: Double?
    public var df: Int
    public var pValue: Double?
    public var terms: [TermInference]

    enum CodingKeys: String, CodingKey {
        case column, type, importance, df, terms
        case importancePoints = "importance_points"
        case waldChi2 = "wald_chi2"
        case pValue = "p_value"
    }
}

/// One term in original units: coefficient, odds ratio, SE, z, p-value and a 95% interval.
public struct TermInference: Codable, Sendable {
    public var term: String
    public var coefficient: Double
    public var stdError: Double?
    public var z: Double?
    public var pValue: Double?
    public var oddsRatio: Double
    /// 95% Wald interval of the coefficient: coefficient ± 1.959964 · SE.
    public var ciLow: Double?
    public var ciHigh: Double?

    enum CodingKeys: String, CodingKey {
        case term, coefficient, z
        case stdError = "std_error"
        case pValue = "p_value"
        case oddsRatio = "odds_ratio"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
    }

    init(term: String, coefficient: Double, variance: Double?) {
        self.term = term
        self.coefficient = coefficient
        oddsRatio = exp(coefficient)
        if let variance, variance > 0, variance.isFinite {
            let se = variance.squareRoot()
            stdError = se
            z = coefficient / se
            pValue = Distributions.twoSidedNormalP(coefficient / se)
            ciLow = coefficient - 1.959963984540054 * se
            ciHigh = coefficient + 1.959963984540054 * se
        }
    }
}

extension ModelInference {
    /// Builds the statistics from the fitted model, the training matrix and the covariance (inverse
    /// Hessian, intercept last), if available.
    public static func compute(design: Design, beta: [Double], intercept: Double, covariance: Matrix?, x: Matrix,
                               scorecard: Scorecard, approximate: Bool) -> ModelInference {
        compute(design: design, beta: beta, intercept: intercept, covariance: covariance,
                rows: EncodedRows(matrix: x, indicatorGroups: design.indicatorGroups), scorecard: scorecard, approximate: approximate)
    }

    /// The same from encoded training rows.
    public static func compute(design: Design, beta: [Double], intercept: Double, covariance: Matrix?, rows x: EncodedRows,
                               scorecard: Scorecard, approximate: Bool) -> ModelInference {
        let p = design.termCount
        let n = x.rows
        let means = design.termMeans ?? [Double](repeating: 0, count: p)
        var drivers: [ColumnDriver] = []
        let coefficients = beta + [0]
        // Original-unit transform: coefficient_orig = A · β_internal, row by row (A is sparse; the
        // intercept row depends on every numeric term).
        for col in design.columns {
            let terms = col.terms
            // Importance: mean |Σ_{t∈col} β_t (x_it − x̄_t)|.
            var total = 0.0
            if !terms.isEmpty, n > 0 {
                let shift = terms.reduce(0.0) { $0 + beta[$1] * means[$1] }
                for v in x.combination(coefficients, terms: terms) { total += abs(v - shift) }
            }
            let importance = n > 0 ? total / Double(n) : 0
            // Wald test on the internal coefficients (invariant to the original-units transform).
            var wald: Double?
            var pValue: Double?
            if let v = covariance {
                var sub = Matrix(rows: terms.count, cols: terms.count)
                for (a, ta) in terms.enumerated() { for (b, tb) in terms.enumerated() { sub[a, b] = v[ta, tb] } }
                if let chol = try? Cholesky(sub), let solved = try? chol.solve(terms.map { beta[$0] }) {
                    let w = zip(terms.map { beta[$0] }, solved).reduce(0) { $0 + $1.0 * $1.1 }
                    wald = w
                    pValue = Distributions.chiSquareSurvival(w, df: terms.count)
                }
            }
            var termStats: [TermInference] = []
            switch col.type {
            case .numeric, .boolean:
                let t = col.term!
                let s = col.scale!
                termStats.append(TermInference(term: design.termNames[t], coefficient: beta[t] / s,
                                               variance: covariance.map { $0[t, t] / (s * s) }))
                if let m = col.missingTerm {
                    // γ' = γ + β·mean/sd: Var = V_mm + k² V_tt + 2k V_mt with k = mean/sd.
                    let k = col.mean! / s
                    let variance = covariance.map { $0[m, m] + k * k * $0[t, t] + 2 * k * $0[m, t] }
                    termStats.append(TermInference(term: design.termNames[m], coefficient: beta[m] + beta[t] * k, variance: variance))
                }
            case .categorical:
                for t in terms {
                    termStats.append(TermInference(term: design.termNames[t], coefficient: beta[t], variance: covariance.map { $0[t, t] }))
                }
            case .date:
                break
            }
            drivers.append(ColumnDriver(column: col.name, type: col.type, importance: importance, importancePoints: importance * scorecard.factor,
                                        waldChi2: wald, df: terms.count, pValue: pValue, terms: termStats))
        }
        drivers.sort { $0.importance != $1.importance ? $0.importance > $1.importance : $0.column < $1.column }

        // Intercept in original units: b0' = b0 − Σ β_t mean/sd over numeric value terms.
        var gradient = [Double](repeating: 0, count: p + 1)  // ∂b0'/∂(β, b0)
        gradient[p] = 1
        var b0 = intercept
        for col in design.columns where col.type == .numeric || col.type == .boolean {
            let k = col.mean! / col.scale!
            b0 -= beta[col.term!] * k
            gradient[col.term!] = -k
        }
        var interceptVariance: Double?
        if let v = covariance {
            var s = 0.0
            for a in 0...p where gradient[a] != 0 { for b in 0...p where gradient[b] != 0 { s += gradient[a] * v[a, b] * gradient[b] } }
            interceptVariance = s
        }
        let note = approximate
            ? "standard errors come from the inverse of the penalized Hessian; with an L2 penalty they ignore the penalty's bias, so p-values and intervals are approximate (train with --penalty none for classical inference)"
            : nil
        return ModelInference(standardErrorsApproximate: approximate, note: note, columns: drivers,
                              intercept: TermInference(term: "(intercept)", coefficient: b0, variance: interceptVariance))
    }
}
