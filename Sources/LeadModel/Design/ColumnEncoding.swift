import LeadData

/// How one input column becomes model terms. Stored in the model file; the single definition used by
/// training, scoring, explanations and SQL export.
///
/// One case per kind of term (`Kind`): adding a kind is one new case, and every `switch` over it
/// (encoding, scoring tables, explanations, SQL, validation) is a compile error until it handles it.
///
/// - numeric / boolean: one term `(x − mean) / scale` (booleans read as 0/1), plus a missing-indicator
///   term `column=(missing)` when training saw missing values; a missing value is imputed at the mean.
/// - categorical: one-hot over level groups, the most frequent group as reference (no term). Levels seen
///   fewer than `min_level_count` times are pooled into `(other)`; the missing value is the level "".
///   A level never seen in training maps to `(other)` when that group exists, otherwise to the
///   training-frequency-weighted average of the groups (so it contributes nothing against the average lead).
public struct ColumnEncoding: Sendable, Equatable {
    public var name: String
    public var kind: Kind
    /// Missing values among the training rows.
    public var missingCount: Int?

    /// The kinds of term a column can become.
    public enum Kind: Sendable, Equatable {
        case numeric(NumericEncoding)
        /// A yes/no column: a number that is 0 or 1.
        case boolean(NumericEncoding)
        case categorical(CategoricalEncoding)
        /// A numeric column as a shape: a spline or a monotone ramp basis (`ShapeEncoding`).
        case shape(ShapeEncoding)
    }

    public init(name: String, kind: Kind, missingCount: Int? = nil) {
        self.name = name
        self.kind = kind
        self.missingCount = missingCount
    }

    public static let otherName = "(other)"
    public static let missingName = "(missing)"

    /// The display name of a level value ("" is shown as "(missing)").
    public static func display(_ level: String) -> String { level.isEmpty ? missingName : level }

    /// The term name of a level group: `column=level`.
    public static func termName(column: String, group: CategoricalEncoding.LevelGroup) -> String {
        "\(column)=\(display(group.value))"
    }

    /// The column type as the schema and the model file name it.
    public var type: ColumnType {
        switch kind {
        case .numeric: return .numeric
        case .boolean: return .boolean
        case .categorical: return .categorical
        case .shape: return .numeric
        }
    }

    /// The encoding of a numeric or boolean column (nil for a categorical one).
    public var numeric: NumericEncoding? {
        switch kind {
        case .numeric(let e), .boolean(let e): return e
        case .categorical, .shape: return nil
        }
    }

    /// Changes the encoding of a numeric or boolean column (nothing for a categorical one).
    public mutating func updateNumeric(_ change: (inout NumericEncoding) -> Void) {
        switch kind {
        case .numeric(var e): change(&e); kind = .numeric(e)
        case .boolean(var e): change(&e); kind = .boolean(e)
        case .categorical, .shape: break
        }
    }

    /// Whether the column is a monotone shape (`--monotone`).
    public var isMonotone: Bool {
        if case .shape(let e) = kind, case .monotone = e.basis { return true }
        return false
    }

    /// The encoding of a categorical column (nil otherwise).
    public var categorical: CategoricalEncoding? {
        if case .categorical(let e) = kind { return e }
        return nil
    }

    /// Every term index this column owns.
    public var terms: [Int] {
        switch kind {
        case .numeric(let e), .boolean(let e): return [e.term] + (e.missingTerm.map { [$0] } ?? [])
        case .categorical(let e): return e.groups.compactMap(\.term)
        case .shape(let e): return e.allTerms
        }
    }

    /// The terms that are 0/1 indicators: a categorical column's levels, a numeric column's
    /// missing indicator.
    public var indicatorTerms: [Int] {
        switch kind {
        case .numeric(let e), .boolean(let e): return e.missingTerm.map { [$0] } ?? []
        case .categorical(let e): return e.groups.compactMap(\.term)
        case .shape(let e): return e.missingTerm.map { [$0] } ?? []
        }
    }
}

/// x ↦ (x − mean) / scale: how a number becomes its standardized term, and back to original units.
/// Trivially copyable, so scoring loops keep one per column without reference counting.
public struct Standardization: Sendable, Equatable {
    public var mean: Double
    public var scale: Double

    public init(mean: Double, scale: Double) {
        self.mean = mean
        self.scale = scale
    }

    /// The standardized value of `x`.
    @inline(__always)
    public func callAsFunction(_ x: Double) -> Double { (x - mean) / scale }

    /// True when `x` is at or above the training mean: the `column:high` side of reason codes.
    @inline(__always)
    public func isHigh(_ x: Double) -> Bool { x >= mean }

    /// The value of standardized `z` in original units.
    @inline(__always)
    public func original(_ z: Double) -> Double { z * scale + mean }
}

/// A numeric (or boolean) column: one standardized value term and an optional missing indicator.
public struct NumericEncoding: Sendable, Equatable {
    /// The term of the standardized value.
    public var term: Int
    /// The term of the missing indicator, when training saw missing values.
    public var missingTerm: Int?
    public var standardization: Standardization
    /// The training range (nil in files that do not record it).
    public var minimum: Double?
    public var maximum: Double?
    /// Training quantiles of the observed values: 10th, 25th, 50th, 75th, 90th percentiles.
    public var quantiles: [Double]?

    public init(term: Int, missingTerm: Int?, standardization: Standardization, minimum: Double? = nil,
                maximum: Double? = nil, quantiles: [Double]? = nil) {
        self.term = term
        self.missingTerm = missingTerm
        self.standardization = standardization
        self.minimum = minimum
        self.maximum = maximum
        self.quantiles = quantiles
    }

    public var mean: Double { standardization.mean }
    public var scale: Double { standardization.scale }

    /// Writes the terms of `value` through `set(term, x)`: a number is its standardized value, a
    /// missing value is the mean (0) plus its indicator.
    @inline(__always)
    public func forEachTerm(_ value: ResolvedValue, _ set: (Int, Double) -> Void) {
        switch value {
        case .number(let x):
            set(term, standardization(x))
        case .missing:
            set(term, 0)
            if let m = missingTerm { set(m, 1) }
        case .level, .unseen:
            break  // not values of a numeric column (RowResolver never gives them)
        }
    }

    /// The column's coefficients in original units, from its internal ones: the value term per
    /// original unit β/scale, the missing indicator γ + β·mean/scale, and β·mean/scale taken off the
    /// intercept (see `Coefficients.original`).
    public func originalUnits(beta: [Double]) -> OriginalUnits {
        let b = beta[term]
        let shift = b * standardization.mean / standardization.scale
        return OriginalUnits(perUnit: b / standardization.scale, missing: missingTerm.map { beta[$0] + shift },
                             interceptShift: shift, shiftWeight: standardization.mean / standardization.scale)
    }

    /// A numeric column's coefficients in original units.
    public struct OriginalUnits: Sendable {
        /// β / scale: the log-odds per original unit.
        public var perUnit: Double
        /// The missing indicator's coefficient against a raw value of 0: γ + β·mean/scale.
        public var missing: Double?
        /// β·mean/scale, taken off the intercept.
        public var interceptShift: Double
        /// k = mean / scale, the weight of β in the shift: the delta method's gradient for the
        /// standard errors of the missing indicator and the intercept in original units.
        public var shiftWeight: Double
    }
}

/// A categorical column: one-hot level groups against a reference group.
public struct CategoricalEncoding: Sendable, Equatable {
    /// Most frequent first; `reference` names the one without a term.
    public var groups: [LevelGroup]
    /// The reference group's value.
    public var reference: String
    public var unseen: UnseenPolicy

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

    public init(groups: [LevelGroup], reference: String, unseen: UnseenPolicy) {
        self.groups = groups
        self.reference = reference
        self.unseen = unseen
    }

    /// The index of the `(other)` group, if there is one.
    public var otherGroup: Int? { groups.firstIndex { $0.value == ColumnEncoding.otherName } }

    /// Writes the terms of `value` through `set(term, x)`: a level's indicator, or for a level
    /// never seen in training the `(other)` group's (policy `other`) or every group's training share
    /// (policy `average`).
    @inline(__always)
    public func forEachTerm(_ value: ResolvedValue, _ set: (Int, Double) -> Void) {
        switch value {
        case .level(let g):
            if let t = groups[g].term { set(t, 1) }
        case .unseen:
            if unseen == .other, let g = otherGroup {
                if let t = groups[g].term { set(t, 1) }
            } else {
                let total = Double(groups.reduce(0) { $0 + $1.count })
                for g in groups { if let t = g.term { set(t, Double(g.count) / total) } }
            }
        case .number, .missing:
            break  // a missing level is a level ("" or pooled), or unseen (RowResolver)
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
    /// The one definition of value → terms: the scoring tables (`RowEncoder`, `CompiledScorer`) are
    /// computed from it.
    @inline(__always)
    public func forEachTerm(_ value: ResolvedValue, _ set: (Int, Double) -> Void) {
        switch kind {
        case .numeric(let e), .boolean(let e): e.forEachTerm(value, set)
        case .categorical(let e): e.forEachTerm(value, set)
        case .shape(let e): e.forEachTerm(value, set)
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

// MARK: - Model file

/// A field of the model file that cannot be read, with its JSON path (`design.columns[3].term`).
struct ModelFieldError: Error {
    var codingPath: [any CodingKey]
    var message: String
}

extension ColumnEncoding: Codable {
    /// The keys of today's files: one flat object per column, the kind in `type`.
    enum CodingKeys: String, CodingKey {
        case name, type, mean, scale, term, minimum, maximum, quantiles, groups, reference, unseen, shape
        case missingTerm = "missing_term"
        case missingCount = "missing_count"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func fail(_ key: CodingKeys, _ message: String) -> ModelFieldError {
            ModelFieldError(codingPath: decoder.codingPath + [key], message: message)
        }
        name = try c.decode(String.self, forKey: .name)
        missingCount = try c.decodeIfPresent(Int.self, forKey: .missingCount)
        let type = try c.decode(ColumnType.self, forKey: .type)
        switch type {
        case .numeric where c.contains(.shape):
            // A shape (spline or monotone): its basis, terms and standardizations in `shape`.
            kind = .shape(try c.decode(ShapeEncoding.self, forKey: .shape))
        case .numeric, .boolean:
            guard let term = try c.decodeIfPresent(Int.self, forKey: .term) else {
                throw fail(.term, "a \(type.rawValue) column needs a term")
            }
            let e = NumericEncoding(
                term: term, missingTerm: try c.decodeIfPresent(Int.self, forKey: .missingTerm),
                standardization: Standardization(mean: try c.decode(Double.self, forKey: .mean),
                                                 scale: try c.decode(Double.self, forKey: .scale)),
                minimum: try c.decodeIfPresent(Double.self, forKey: .minimum),
                maximum: try c.decodeIfPresent(Double.self, forKey: .maximum),
                quantiles: try c.decodeIfPresent([Double].self, forKey: .quantiles))
            kind = type == .numeric ? .numeric(e) : .boolean(e)
        case .categorical:
            guard let groups = try c.decodeIfPresent([CategoricalEncoding.LevelGroup].self, forKey: .groups), !groups.isEmpty else {
                throw fail(.groups, "a categorical column needs levels")
            }
            kind = .categorical(CategoricalEncoding(
                groups: groups, reference: try c.decode(String.self, forKey: .reference),
                unseen: try c.decodeIfPresent(CategoricalEncoding.UnseenPolicy.self, forKey: .unseen) ?? .average))
        case .date:
            throw fail(.type, "a date column cannot be a model term")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(missingCount, forKey: .missingCount)
        switch kind {
        case .numeric(let e), .boolean(let e):
            try c.encode(e.mean, forKey: .mean)
            try c.encode(e.scale, forKey: .scale)
            try c.encode(e.term, forKey: .term)
            try c.encodeIfPresent(e.missingTerm, forKey: .missingTerm)
            try c.encodeIfPresent(e.minimum, forKey: .minimum)
            try c.encodeIfPresent(e.maximum, forKey: .maximum)
            try c.encodeIfPresent(e.quantiles, forKey: .quantiles)
        case .categorical(let e):
            try c.encode(e.groups, forKey: .groups)
            try c.encode(e.reference, forKey: .reference)
            try c.encode(e.unseen, forKey: .unseen)
        case .shape(let e):
            try c.encode(e, forKey: .shape)
        }
    }
}
