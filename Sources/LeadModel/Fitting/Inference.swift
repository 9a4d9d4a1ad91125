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
///
/// JSON has no infinity: a statistic that is not finite (the odds ratio of a coefficient above
/// ~709.8, which a separating or nearly constant column produces) is written as `null` and `note`
/// says which and why. Read back, a null odds ratio is exp(coefficient) again; a null coefficient
/// or interval end is NaN ("not available").
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
    /// Why a statistic is null (not finite), when one is.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case term, coefficient, z, note
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
        let infinite = [("coefficient", coefficient), ("odds_ratio", oddsRatio), ("std_error", stdError ?? 0), ("z", z ?? 0),
                        ("ci_low", ciLow ?? 0), ("ci_high", ciHigh ?? 0)].filter { !$0.1.isFinite }
        if !infinite.isEmpty {
            note = infinite.map { "\($0.0) is \(NonFinite.words($0.1))" }.joined(separator: ", ")
                + " (written as null: JSON has no infinity); the coefficient per original unit is too large to mean anything: the column separates the outcomes or barely varies"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        term = try c.decode(String.self, forKey: .term)
        coefficient = try c.decodeIfPresent(Double.self, forKey: .coefficient) ?? .nan
        stdError = try c.decodeIfPresent(Double.self, forKey: .stdError)
        z = try c.decodeIfPresent(Double.self, forKey: .z)
        pValue = try c.decodeIfPresent(Double.self, forKey: .pValue)
        oddsRatio = try c.decodeIfPresent(Double.self, forKey: .oddsRatio) ?? exp(coefficient)
        ciLow = try c.decodeIfPresent(Double.self, forKey: .ciLow)
        ciHigh = try c.decodeIfPresent(Double.self, forKey: .ciHigh)
        note = try c.decodeIfPresent(String.self, forKey: .note)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(term, forKey: .term)
        try c.encodeFinite(coefficient, forKey: .coefficient)
        try c.encodeFinite(oddsRatio, forKey: .oddsRatio)
        try c.encodeFiniteIfPresent(stdError, forKey: .stdError)
        try c.encodeFiniteIfPresent(z, forKey: .z)
        try c.encodeFiniteIfPresent(pValue, forKey: .pValue)
        try c.encodeFiniteIfPresent(ciLow, forKey: .ciLow)
        try c.encodeFiniteIfPresent(ciHigh, forKey: .ciHigh)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

/// Non-finite numbers in the model file: JSON has none, so they are written as null.
enum NonFinite {
    static func words(_ x: Double) -> String { x.isNaN ? "not a number" : x > 0 ? "+infinity" : "-infinity" }
}

extension KeyedEncodingContainer {
    /// Writes `x`, or null when it is not finite.
    mutating func encodeFinite(_ x: Double, forKey key: Key) throws {
        if x.isFinite { try encode(x, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// Writes `x` when present (nothing when nil), or null when it is not finite.
    mutating func encodeFiniteIfPresent(_ x: Double?, forKey key: Key) throws {
        guard let x else { return }
        try encodeFinite(x, forKey: key)
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
        /// Importance (mean |Σ_{t∈terms} β_t (x_it − x̄_t)|) and the joint Wald test of a set of terms.
        func joint(_ terms: [Int]) -> (importance: Double, wald: Double?, pValue: Double?) {
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
                    // A χ² that overflows (a separated column) is reported as unavailable, not inf.
                    if w.isFinite {
                        wald = w
                        pValue = Distributions.chiSquareSurvival(w, df: terms.count)
                    }
                }
            }
            return (importance, wald, pValue)
        }
        for col in design.columns {
            let terms = col.terms
            let (importance, wald, pValue) = joint(terms)
            var termStats: [TermInference] = []
            switch col.kind {
            case .numeric(let e), .boolean(let e):
                let t = e.term
                let s = e.scale
                let original = e.originalUnits(beta: beta)
                termStats.append(TermInference(term: design.termNames[t], coefficient: original.perUnit,
                                               variance: covariance.map { $0[t, t] / (s * s) }))
                if let m = e.missingTerm {
                    // γ' = γ + β·mean/sd: Var = V_mm + k² V_tt + 2k V_mt with k = mean/sd.
                    let k = original.shiftWeight
                    let variance = covariance.map { $0[m, m] + k * k * $0[t, t] + 2 * k * $0[m, t] }
                    // β·k rather than `original.missing` (β·mean/sd): the two can differ in the last
                    // bit, and model files keep the value they have always had.
                    termStats.append(TermInference(term: design.termNames[m], coefficient: beta[m] + beta[t] * k, variance: variance))
                }
            case .shape(let e):
                // Per unit of each raw basis function; the missing indicator γ + Σ kⱼβⱼ (kⱼ = meanⱼ/scaleⱼ)
                // with Var = gᵀVg, g = e_m + Σ kⱼ e_{tⱼ}.
                for (j, t) in e.terms.enumerated() {
                    let s = e.scales[j]
                    termStats.append(TermInference(term: design.termNames[t], coefficient: beta[t] / s,
                                                   variance: covariance.map { $0[t, t] / (s * s) }))
                }
                if let m = e.missingTerm {
                    var g: [(Int, Double)] = [(m, 1)]
                    for (j, t) in e.terms.enumerated() { g.append((t, e.means[j] / e.scales[j])) }
                    let variance = covariance.map { v in g.reduce(0) { acc, a in acc + g.reduce(0) { $0 + a.1 * $1.1 * v[a.0, $1.0] } } }
                    termStats.append(TermInference(term: design.termNames[m], coefficient: beta[m] + e.interceptShift(beta: beta), variance: variance))
                }
            case .categorical:
                for t in terms {
                    termStats.append(TermInference(term: design.termNames[t], coefficient: beta[t], variance: covariance.map { $0[t, t] }))
                }
            }
            drivers.append(ColumnDriver(column: col.name, type: col.type, importance: importance, importancePoints: importance * scorecard.factor,
                                        waldChi2: wald, df: terms.count, pValue: pValue, terms: termStats))
        }
        // An interaction is one more line: its cell pairs' terms (0/1, on their own scale) and their joint test.
        for i in design.interactions ?? [] {
            let (importance, wald, pValue) = joint(i.terms)
            drivers.append(ColumnDriver(column: i.name, type: nil, importance: importance, importancePoints: importance * scorecard.factor,
                                        waldChi2: wald, df: i.terms.count, pValue: pValue,
                                        terms: i.terms.map { t in TermInference(term: design.termNames[t], coefficient: beta[t], variance: covariance.map { $0[t, t] }) }))
        }
        drivers.sort { $0.importance != $1.importance ? $0.importance > $1.importance : $0.column < $1.column }

        // Intercept in original units: b0' = b0 − Σ β_t mean/sd over numeric value terms.
        var gradient = [Double](repeating: 0, count: p + 1)  // ∂b0'/∂(β, b0)
        gradient[p] = 1
        var b0 = intercept
        for e in design.columns.compactMap(\.numeric) {
            let k = e.originalUnits(beta: beta).shiftWeight
            b0 -= beta[e.term] * k
            gradient[e.term] = -k
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
