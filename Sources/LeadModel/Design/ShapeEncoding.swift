/// A numeric column entered as a shape (`--numeric spline`, the default, or `--monotone`): one
/// term per basis function, each standardized by its training mean and sd (so the L2 penalty treats
/// them as it treats a linear term), plus a missing indicator when training saw missing values.
///
/// A number x becomes, for basis function j, (bⱼ(clamp(x)) − meanⱼ) / scaleⱼ, where clamp is to the
/// training range: a value beyond it is scored as the most extreme training value. A missing value
/// sets every basis term to 0 (its training mean) and the indicator to 1.
public struct ShapeEncoding: Codable, Sendable, Equatable {
    public enum Basis: Sendable, Equatable {
        case spline(RestrictedCubicSpline)
        case monotone(MonotoneRamp)
        case bins(QuantileBins)
    }

    public var basis: Basis
    /// The term of each basis function, in basis order.
    public var terms: [Int]
    public var means: [Double]
    public var scales: [Double]
    public var missingTerm: Int?
    /// The training range (the clamp) and the training quantiles: 10th, 25th, 50th, 75th, 90th.
    public var minimum: Double
    public var maximum: Double
    /// The training mean of the observed values: reason codes call a value at or above it
    /// `column:high`, below it `column:low` (as for a straight line).
    public var average: Double
    public var quantiles: [Double]?
    /// Training deciles (0%, 10%, …, 100%) of the observed values: where `drivers` shows the shape.
    public var deciles: [Double]?

    public init(basis: Basis, terms: [Int], means: [Double], scales: [Double], missingTerm: Int?,
                minimum: Double, maximum: Double, average: Double, quantiles: [Double]? = nil, deciles: [Double]? = nil) {
        precondition(terms.count == basis.termCount && means.count == terms.count && scales.count == terms.count,
                     "ShapeEncoding: \(basis.termCount) basis functions, \(terms.count) terms, \(means.count) means, \(scales.count) scales")
        self.basis = basis
        self.terms = terms
        self.means = means
        self.scales = scales
        self.missingTerm = missingTerm
        self.minimum = minimum
        self.maximum = maximum
        self.average = average
        self.quantiles = quantiles
        self.deciles = deciles
    }

    /// Every term: the basis terms, then the missing indicator.
    public var allTerms: [Int] { terms + (missingTerm.map { [$0] } ?? []) }

    /// The sign the solver keeps each basis coefficient to: +1 / −1 for a monotone shape, 0 free.
    public var sign: Int {
        if case .monotone(let r) = basis { return r.sign }
        return 0
    }

    /// The value the basis sees: `x` clamped to the training range.
    @inline(__always)
    public func clamped(_ x: Double) -> Double { min(max(x, minimum), maximum) }

    /// The raw basis values at `x` (clamped to the training range).
    public func basisValues(_ x: Double) -> [Double] {
        [Double](unsafeUninitializedCapacity: terms.count) { buffer, count in
            writeBasis(x, into: buffer.baseAddress!)
            count = terms.count
        }
    }

    /// Writes the raw basis at clamped `x` into `out[0..<terms.count]`, without allocating.
    @inline(__always)
    public func writeBasis(_ x: Double, into out: UnsafeMutablePointer<Double>) {
        switch basis {
        case .spline(let s): s.write(clamped(x), into: out)
        case .monotone(let r): r.write(clamped(x), into: out)
        case .bins(let b): b.write(clamped(x), into: out)
        }
    }

    /// Writes the values of the basis terms at number `x` into `out[0..<terms.count]`, in basis order:
    /// (bⱼ(clamp(x)) − meanⱼ) / scaleⱼ.
    @inline(__always)
    public func writeTerms(_ x: Double, into out: UnsafeMutablePointer<Double>) {
        writeBasis(x, into: out)
        for j in 0..<terms.count { out[j] = (out[j] - means[j]) / scales[j] }
    }

    /// Writes the terms of `value` through `set(term, x)`: `writeTerms` for a number; 0 for every
    /// basis term and 1 for the indicator when missing.
    @inline(__always)
    public func forEachTerm(_ value: ResolvedValue, _ set: (Int, Double) -> Void) {
        switch value {
        case .number(let x):
            withUnsafeTemporaryAllocation(of: Double.self, capacity: terms.count) { b in
                writeTerms(x, into: b.baseAddress!)
                for j in 0..<terms.count { set(terms[j], b[j]) }
            }
        case .missing:
            for t in terms { set(t, 0) }
            if let m = missingTerm { set(m, 1) }
        case .level, .unseen:
            break
        }
    }

    /// Σⱼ βⱼ · termⱼ for a number, added from 0 in basis order: exactly what `ColumnEncoding.logOdds`
    /// computes through `forEachTerm` (same operations, same order), without allocating.
    @inline(__always)
    public func logOdds(_ x: Double, beta: UnsafeBufferPointer<Double>) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: terms.count) { b in
            writeTerms(x, into: b.baseAddress!)
            var s = 0.0
            for j in 0..<terms.count { s += beta[terms[j]] * b[j] }
            return s
        }
    }

    /// Σⱼ βⱼ·meanⱼ/scaleⱼ: what the standardization moves into the intercept (original units).
    public func interceptShift(beta: [Double]) -> Double {
        var s = 0.0
        for j in 0..<terms.count { s += beta[terms[j]] * means[j] / scales[j] }
        return s
    }

    /// The name of basis term j: `column` for the first (linear, or first ramp) term, then
    /// `column:rcs1`, `column:rcs2`… (spline), `column:ramp2`… (monotone), or `column>=cut` (bins).
    public static func termName(column: String, basis: Basis, index j: Int) -> String {
        switch basis {
        case .spline: return j == 0 ? column : "\(column):rcs\(j)"
        case .monotone: return "\(column):ramp\(j + 1)"
        case .bins(let b): return "\(column)>=\(ShapeEncoding.cutText(b.cuts[j]))"
        }
    }

    /// A cut point as people read it: a whole number without `.0`, otherwise the shortest decimal.
    public static func cutText(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    // MARK: Model file

    enum CodingKeys: String, CodingKey {
        case kind, knots, breakpoints, direction, cuts, terms, means, scales, minimum, maximum, average, quantiles, deciles
        case missingTerm = "missing_term"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        minimum = try c.decode(Double.self, forKey: .minimum)
        maximum = try c.decode(Double.self, forKey: .maximum)
        average = try c.decode(Double.self, forKey: .average)
        guard minimum.isFinite, maximum.isFinite, minimum <= maximum, average.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: .maximum, in: c, debugDescription: "a shape needs a finite training range, minimum ≤ maximum")
        }
        switch kind {
        case "spline":
            let knots = try c.decode([Double].self, forKey: .knots)
            guard knots.count >= 3, knots.allSatisfy(\.isFinite), zip(knots, knots.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw DecodingError.dataCorruptedError(forKey: .knots, in: c, debugDescription: "a spline needs at least 3 finite, strictly increasing knots")
            }
            basis = .spline(RestrictedCubicSpline(knots: knots, lower: minimum, upper: maximum))
        case "monotone":
            let points = try c.decode([Double].self, forKey: .breakpoints)
            guard points.count >= 2, points.allSatisfy(\.isFinite), zip(points, points.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw DecodingError.dataCorruptedError(forKey: .breakpoints, in: c, debugDescription: "a monotone shape needs at least 2 finite, strictly increasing breakpoints")
            }
            basis = .monotone(MonotoneRamp(breakpoints: points, direction: try c.decode(MonotoneRamp.Direction.self, forKey: .direction)))
        case "bins":
            let cuts = try c.decode([Double].self, forKey: .cuts)
            guard !cuts.isEmpty, cuts.allSatisfy(\.isFinite), zip(cuts, cuts.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw DecodingError.dataCorruptedError(forKey: .cuts, in: c, debugDescription: "bins need at least 1 finite cut, strictly increasing")
            }
            basis = .bins(QuantileBins(cuts: cuts))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown shape '\(kind)' (spline, monotone or bins)")
        }
        terms = try c.decode([Int].self, forKey: .terms)
        means = try c.decode([Double].self, forKey: .means)
        scales = try c.decode([Double].self, forKey: .scales)
        guard terms.count == basis.termCount, means.count == terms.count, scales.count == terms.count else {
            throw DecodingError.dataCorruptedError(forKey: .terms, in: c, debugDescription: "the shape has \(basis.termCount) basis functions but \(terms.count) terms, \(means.count) means, \(scales.count) scales")
        }
        guard means.allSatisfy(\.isFinite), scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .scales, in: c, debugDescription: "shape means must be finite and scales finite and positive")
        }
        missingTerm = try c.decodeIfPresent(Int.self, forKey: .missingTerm)
        quantiles = try c.decodeIfPresent([Double].self, forKey: .quantiles)
        deciles = try c.decodeIfPresent([Double].self, forKey: .deciles)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch basis {
        case .spline(let s):
            try c.encode("spline", forKey: .kind)
            try c.encode(s.knots, forKey: .knots)
        case .monotone(let r):
            try c.encode("monotone", forKey: .kind)
            try c.encode(r.breakpoints, forKey: .breakpoints)
            try c.encode(r.direction, forKey: .direction)
        case .bins(let b):
            try c.encode("bins", forKey: .kind)
            try c.encode(b.cuts, forKey: .cuts)
        }
        try c.encode(terms, forKey: .terms)
        try c.encode(means, forKey: .means)
        try c.encode(scales, forKey: .scales)
        try c.encodeIfPresent(missingTerm, forKey: .missingTerm)
        try c.encode(minimum, forKey: .minimum)
        try c.encode(maximum, forKey: .maximum)
        try c.encode(average, forKey: .average)
        try c.encodeIfPresent(quantiles, forKey: .quantiles)
        try c.encodeIfPresent(deciles, forKey: .deciles)
    }
}

extension ShapeEncoding.Basis {
    public var termCount: Int {
        switch self {
        case .spline(let s): return s.termCount
        case .monotone(let r): return r.termCount
        case .bins(let b): return b.termCount
        }
    }
}
