/// The model flattened for the scoring loop: per column, what its value adds to the log-odds, with
/// every coefficient precomputed and no struct copies or reference counting per row.
///
/// Numeric: β/sd · (x − mean), or the missing-indicator coefficient when missing. Categorical: one
/// precomputed log-odds per level group, plus the values for unseen and missing levels. It computes
/// exactly `Σ ColumnEncoding.logOdds` (same terms, same order of additions within a column).
public struct CompiledScorer: Sendable {
    enum Kind: UInt8 { case numeric, categorical, none }
    let kinds: [Kind]
    let slope: [Double]          // β / sd
    let beta: [Double]           // β (for the (x − mean)/sd form, to match the design exactly)
    let mean: [Double]
    let scale: [Double]
    let missingValue: [Double]   // numeric: β·0 + γ; categorical: unused
    let groupValues: [[Double]]  // categorical: log-odds per group
    let unseenValue: [Double]    // categorical
    public let intercept: Double

    public init(model: LeadScoreModel) {
        let b = model.coefficients.terms
        var kinds: [Kind] = [], slope: [Double] = [], beta: [Double] = [], mean: [Double] = [], scale: [Double] = []
        var missing: [Double] = [], groups: [[Double]] = [], unseen: [Double] = []
        for col in model.design.columns {
            let lo: (ResolvedValue) -> Double = { v in b.withUnsafeBufferPointer { col.logOdds(v, beta: $0) } }
            switch col.type {
            case .numeric, .boolean:
                kinds.append(.numeric)
                beta.append(b[col.term!])
                slope.append(b[col.term!] / col.scale!)
                mean.append(col.mean!)
                scale.append(col.scale!)
                missing.append(lo(.missing))
                groups.append([])
                unseen.append(0)
            case .categorical:
                kinds.append(.categorical)
                beta.append(0); slope.append(0); mean.append(0); scale.append(1); missing.append(0)
                groups.append((0..<(col.groups?.count ?? 0)).map { lo(.level($0)) })
                unseen.append(lo(.unseen))
            case .date:
                kinds.append(.none)
                beta.append(0); slope.append(0); mean.append(0); scale.append(1); missing.append(0)
                groups.append([]); unseen.append(0)
            }
        }
        self.kinds = kinds
        self.slope = slope
        self.beta = beta
        self.mean = mean
        self.scale = scale
        missingValue = missing
        groupValues = groups
        unseenValue = unseen
        intercept = model.coefficients.intercept
    }

    /// Log-odds of a resolved row; identical to `LeadScoreModel.logOdds`.
    @inline(__always)
    public func logOdds(_ values: UnsafeBufferPointer<ResolvedValue>) -> Double {
        var s = intercept
        for c in 0..<values.count {
            switch values[c] {
            case .number(let x): s += beta[c] * ((x - mean[c]) / scale[c])
            case .missing: s += missingValue[c]
            case .level(let g): s += groupValues[c][g]
            case .unseen: s += unseenValue[c]
            }
        }
        return s
    }
}
