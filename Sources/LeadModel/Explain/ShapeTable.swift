/// What `drivers` shows of each numeric column's shape: its contribution against the average lead
/// at the training deciles (a straight line's at its stored percentiles and range), and the
/// reference level of each categorical column (the baseline its odds ratios are against).
public struct ColumnShape: Codable, Sendable, Equatable {
    public var column: String
    /// spline, monotone increasing / decreasing, linear.
    public var shape: String
    public var points: [ShapePoint]
}

public struct ShapePoint: Codable, Sendable, Equatable {
    /// The training quantile (0.1 = 10th percentile) the value is at.
    public var quantile: Double
    public var value: Double
    /// Contribution against the average lead, in log-odds and in points (as `explain` gives it).
    public var logOdds: Double
    public var points: Double

    enum CodingKeys: String, CodingKey {
        case quantile, value, points
        case logOdds = "log_odds"
    }
}

public struct ReferenceLevel: Codable, Sendable, Equatable {
    public var column: String
    public var level: String
}

extension LeadScoreModel {
    /// Every numeric column's contribution at its training deciles (the `drivers` shape table).
    public func columnShapes() -> [ColumnShape] {
        let explainer = Explainer(model: self)
        var out: [ColumnShape] = []
        for (c, col) in design.columns.enumerated() {
            var grid: [(Double, Double)] = []
            let name: String
            switch col.kind {
            case .shape(let e):
                switch e.basis {
                case .monotone(let r): name = "monotone \(r.direction.rawValue)"
                case .bins(let b): name = "\(b.cuts.count + 1) bins"
                case .spline: name = "spline"
                }
                let deciles = e.deciles ?? [e.minimum] + (e.quantiles ?? []) + [e.maximum]
                let qs = e.deciles != nil ? (0...10).map { Double($0) / 10 } : [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]
                grid = Array(zip(qs, deciles))
            case .numeric(let e):
                name = "linear"
                guard let q = e.quantiles, let lo = e.minimum, let hi = e.maximum else { continue }
                grid = Array(zip([0, 0.1, 0.25, 0.5, 0.75, 0.9, 1], [lo] + q + [hi]))
            case .boolean, .categorical:
                continue
            }
            let points = grid.map { q, v in
                let lo = explainer.contribution(column: c, .number(v))
                return ShapePoint(quantile: q, value: v, logOdds: lo, points: lo * scorecard.factor)
            }
            out.append(ColumnShape(column: col.name, shape: name, points: points))
        }
        return out
    }

    /// Each categorical column's reference level ("(missing)" for the missing level).
    public func referenceLevels() -> [ReferenceLevel] {
        design.columns.compactMap { col in
            col.categorical.map { ReferenceLevel(column: col.name, level: ColumnEncoding.display($0.reference)) }
        }
    }
}
