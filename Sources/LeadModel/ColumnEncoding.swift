import LeadData

/// How one input column becomes model terms. Stored in the model file; the single definition used by
/// training, scoring, explanations and SQL export.
///
/// - numeric / boolean: one term `(x − mean) / scale` (booleans read as 0/1), plus a missing-indicator
///   term `column=(missing)` when training saw missing values; a missing value is imputed at the mean.
/// - categorical: one-hot over level groups, the most frequent group as reference (no term). Levels seen
///   fewer than `min_level_count` times are pooled into `(other)`; the missing value is the level "".
///   A level never seen in training maps to `(other)` when that group exists, otherwise to the
///   training-frequency-weighted average of the groups (so it contributes nothing against the average lead).
public struct ColumnEncoding: Codable, Sendable, Equatable {
    public var name: String
    public var type: ColumnType
    // numeric and boolean
    public var mean: Double?
    public var scale: Double?
    public var term: Int?
    public var missingTerm: Int?
    public var missingCount: Int?
    public var minimum: Double?
    public var maximum: Double?
    /// Training quantiles of the observed values: 10th, 25th, 50th, 75th, 90th percentiles.
    public var quantiles: [Double]?
    // categorical
    public var groups: [LevelGroup]?
    public var reference: String?
    public var unseen: UnseenPolicy?

    public enum UnseenPolicy: String, Codable, Sendable { case other, average }

    /// A categorical level, or the pooled `(other)` group of rare levels.
    public struct LevelGroup: Codable, Sendable, Equatable {
        /// The level's value ("" for missing, "(other)" for the pool).
        public var value: String
        public var count: Int
        /// Term index, nil for the reference group.
        public var term: Int?
        /// The rare levels pooled here (only on the `(other)` group).
        public var pooled: [String]?
    }

    public static let otherName = "(other)"
    public static let missingName = "(missing)"

    enum CodingKeys: String, CodingKey {
        case name, type, mean, scale, term, minimum, maximum, quantiles, groups, reference, unseen
        case missingTerm = "missing_term"
        case missingCount = "missing_count"
    }

    /// The display name of a level value ("" is shown as "(missing)").
    public static func display(_ level: String) -> String { level.isEmpty ? missingName : level }

    /// The term name of a level group: `column=level`.
    public func termName(group: LevelGroup) -> String { "\(name)=\(ColumnEncoding.display(group.value))" }

    /// Every term index this column owns.
    public var terms: [Int] {
        switch type {
        case .categorical: return (groups ?? []).compactMap(\.term)
        default: return [term, missingTerm].compactMap { $0 }
        }
    }
}

/// A column's value in one row, resolved against the encoding.
public enum ResolvedValue: Sendable, Equatable {
    case number(Double)
    case missing
    /// Index into `groups`.
    case level(Int)
    /// A level not seen in training (handled by the unseen policy).
    case unseen
}

extension ColumnEncoding {
    /// Writes this column's term values for `value` through `set(term, x)`. Terms not set are 0.
    @inline(__always)
    public func forEachTerm(_ value: ResolvedValue, _ set: (Int, Double) -> Void) {
        switch type {
        case .numeric, .boolean:
            switch value {
            case .number(let x):
                set(term!, (x - mean!) / scale!)
            case .missing:
                set(term!, 0)
                if let m = missingTerm { set(m, 1) }
            default:
                break
            }
        case .categorical:
            let groups = self.groups!
            switch value {
            case .level(let g):
                if let t = groups[g].term { set(t, 1) }
            case .unseen:
                if unseen == .other, let g = groups.firstIndex(where: { $0.value == ColumnEncoding.otherName }) {
                    if let t = groups[g].term { set(t, 1) }
                } else {
                    let total = Double(groups.reduce(0) { $0 + $1.count })
                    for g in groups { if let t = g.term { set(t, Double(g.count) / total) } }
                }
            default:
                break
            }
        case .date:
            break
        }
    }

    /// The log-odds this column adds for `value` given coefficients β (internal scale).
    @inline(__always)
    public func logOdds(_ value: ResolvedValue, beta: UnsafeBufferPointer<Double>) -> Double {
        var s = 0.0
        forEachTerm(value) { t, x in s += beta[t] * x }
        return s
    }
}
