/// The numeric shapes a column can take in a model: a natural (restricted) cubic spline, or a
/// monotone piecewise-linear ("ramp") basis whose coefficients the solver keeps of one sign.
///
/// Both are evaluated on the value **clamped to the training range** [lower, upper]: a value beyond
/// the most extreme training value gets exactly that value's contribution, never more (a 25,653-
/// employee company is scored as the largest company training saw, not extrapolated along a line).

// MARK: - Restricted cubic spline

/// Harrell's restricted cubic spline (rms `rcs()`): with knots t₁ < … < t_k the basis is
///
///     b₀(x) = x
///     bⱼ(x) = [ (x − tⱼ)₊³ − (x − t_{k−1})₊³ · aⱼ + (x − t_k)₊³ · cⱼ ] / (t_k − t₁)²,   j = 1 … k − 2
///     aⱼ = (t_k − tⱼ) / (t_k − t_{k−1}),   cⱼ = (t_{k−1} − tⱼ) / (t_k − t_{k−1})
///
/// k − 1 terms spanning the natural cubic splines with these knots: cubic between knots, linear
/// below t₁ and above t_k (the cubic and quadratic parts cancel there), twice continuously
/// differentiable. Dividing by (t_k − t₁)² keeps every term in the units of x, so standardizing and
/// the L2 penalty treat them alike. The constants aⱼ, cⱼ and the divisor are computed once here and
/// used as they are by every consumer (the SQL export prints them), so every engine evaluates the
/// same floating-point operations in the same order.
public struct RestrictedCubicSpline: Sendable, Equatable {
    /// Knots, strictly increasing, at least 3.
    public let knots: [Double]
    /// The training range: values are clamped to it before the basis is evaluated.
    public let lower: Double
    public let upper: Double
    /// aⱼ, cⱼ (j = 1 … k − 2, stored from index 0) and the divisor (t_k − t₁)², computed once.
    public let a: [Double]
    public let c: [Double]
    public let divisor: Double

    public init(knots: [Double], lower: Double, upper: Double) {
        precondition(knots.count >= 3, "RestrictedCubicSpline: needs at least 3 knots, got \(knots.count)")
        precondition(zip(knots, knots.dropFirst()).allSatisfy { $0 < $1 }, "RestrictedCubicSpline: knots must increase strictly: \(knots)")
        precondition(lower <= upper, "RestrictedCubicSpline: lower \(lower) above upper \(upper)")
        self.knots = knots
        self.lower = lower
        self.upper = upper
        let k = knots.count
        let tk = knots[k - 1], tk1 = knots[k - 2]
        let gap = tk - tk1
        a = (0..<(k - 2)).map { (tk - knots[$0]) / gap }
        c = (0..<(k - 2)).map { (tk1 - knots[$0]) / gap }
        let span = tk - knots[0]
        divisor = span * span
    }

    /// Terms of the basis: the linear one and k − 2 cubic ones.
    public var termCount: Int { knots.count - 1 }

    /// The value the basis sees: `x` clamped to [lower, upper].
    @inline(__always)
    public func clamped(_ x: Double) -> Double { min(max(x, lower), upper) }

    /// The basis at `x` clamped to the training range: `termCount` values.
    public func evaluate(_ x: Double) -> [Double] { evaluateUnclamped(clamped(x)) }

    /// The basis at `x` as it is (for tests of the shape beyond the knots; scoring always clamps).
    public func evaluateUnclamped(_ x: Double) -> [Double] {
        [Double](unsafeUninitializedCapacity: termCount) { buffer, count in
            write(x, into: buffer.baseAddress!)
            count = termCount
        }
    }

    /// Writes the basis at `x` (not clamped here) into `out[0..<termCount]`: the one evaluation every
    /// consumer uses, in the operation order the SQL export writes.
    @inline(__always)
    public func write(_ x: Double, into out: UnsafeMutablePointer<Double>) {
        let k = knots.count
        out[0] = x
        let uk1 = RestrictedCubicSpline.positiveCube(x - knots[k - 2])
        let uk = RestrictedCubicSpline.positiveCube(x - knots[k - 1])
        for j in 0..<(k - 2) {
            out[j + 1] = (RestrictedCubicSpline.positiveCube(x - knots[j]) - uk1 * a[j] + uk * c[j]) / divisor
        }
    }

    /// u₊³ = max(u, 0)³, as u·u·u (the order the SQL export writes).
    @inline(__always)
    public static func positiveCube(_ u: Double) -> Double {
        let p = max(u, 0)
        return p * p * p
    }

    // MARK: Knot placement

    /// Harrell's default knot quantiles (rms `rcspline.eval`) for 3 to 7 knots.
    public static func harrellQuantiles(_ k: Int) -> [Double] {
        switch k {
        case 3: return [0.10, 0.50, 0.90]
        case 4: return [0.05, 0.35, 0.65, 0.95]
        case 5: return [0.05, 0.275, 0.50, 0.725, 0.95]
        case 6: return [0.05, 0.23, 0.41, 0.59, 0.77, 0.95]
        case 7: return [0.025, 0.1833, 0.3417, 0.50, 0.6583, 0.8167, 0.975]
        default: preconditionFailure("harrellQuantiles: 3 to 7 knots, got \(k)")
        }
    }

    /// The knots for sorted training values: Harrell's quantiles for `count` knots (3–7), never more
    /// than the distinct values less one (k knots give k − 1 terms and the intercept k parameters).
    /// When ties make two of them equal: the minimum and the quantiles of the values above it (a
    /// column piled up at its minimum), else the next smaller count, down to 3. Nil when even 3 knots
    /// are not possible (3 distinct values or fewer): the column is entered as a straight line.
    public static func knots(sortedValues v: [Double], count: Int) -> [Double]? {
        guard !v.isEmpty else { return nil }
        var distinct = 1
        for i in 1..<v.count where v[i] != v[i - 1] { distinct += 1; if distinct > 8 { break } }
        var k = min(max(count, 3), 7, distinct - 1)
        // A column piled up at its minimum (zero-inflated counts: most leads viewed 0 pages): the
        // first knot at the minimum, the others at Harrell's quantiles of the values above it.
        let firstAbove = v.firstIndex { $0 > v[0] } ?? v.count
        let above = Array(v[firstAbove...])
        func increasing(_ t: [Double]) -> Bool { zip(t, t.dropFirst()).allSatisfy { $0 < $1 } }
        while k >= 3 {
            let p = harrellQuantiles(k)
            let t = p.map { quantile(sorted: v, $0) }
            if increasing(t) { return t }
            if above.count >= k, case let u = [v[0]] + p.dropFirst().map({ quantile(sorted: above, $0) }), increasing(u) { return u }
            k -= 1
        }
        return nil
    }
}

// MARK: - Monotone ramp basis

/// A monotone piecewise-linear shape: with breakpoints s₀ < s₁ < … < s_m (the training minimum,
/// interior quantiles, the training maximum) the terms are the ramps
///
///     rⱼ(x) = min(max(x − sⱼ, 0), sⱼ₊₁ − sⱼ),   j = 0 … m − 1
///
/// each rising from 0 to its segment's width across its segment and flat elsewhere. Σ βⱼ rⱼ is
/// continuous, linear between breakpoints with slope βⱼ on segment j, so it never decreases when
/// every βⱼ ≥ 0 (never increases when every βⱼ ≤ 0) and every such shape is reachable: the solver
/// enforces the signs (`ConstrainedNewtonSolver`), nothing is clipped after the fit.
public struct MonotoneRamp: Sendable, Equatable {
    public enum Direction: String, Codable, Sendable, CaseIterable { case increasing, decreasing }

    /// Breakpoints, strictly increasing, from the training minimum to the training maximum.
    public let breakpoints: [Double]
    public let direction: Direction

    public init(breakpoints: [Double], direction: Direction) {
        precondition(breakpoints.count >= 2, "MonotoneRamp: needs at least 2 breakpoints, got \(breakpoints.count)")
        precondition(zip(breakpoints, breakpoints.dropFirst()).allSatisfy { $0 < $1 }, "MonotoneRamp: breakpoints must increase strictly: \(breakpoints)")
        self.breakpoints = breakpoints
        self.direction = direction
    }

    public var termCount: Int { breakpoints.count - 1 }
    public var lower: Double { breakpoints[0] }
    public var upper: Double { breakpoints[breakpoints.count - 1] }
    /// The sign every coefficient must have: +1 (≥ 0) increasing, −1 (≤ 0) decreasing.
    public var sign: Int { direction == .increasing ? 1 : -1 }

    /// The ramps at `x` (the ramps are flat beyond the range: clamping is built in).
    public func evaluate(_ x: Double) -> [Double] {
        [Double](unsafeUninitializedCapacity: termCount) { buffer, count in
            write(x, into: buffer.baseAddress!)
            count = termCount
        }
    }

    /// Writes the ramps at `x` into `out[0..<termCount]`.
    @inline(__always)
    public func write(_ x: Double, into out: UnsafeMutablePointer<Double>) {
        for j in 0..<termCount { out[j] = min(max(x - breakpoints[j], 0), breakpoints[j + 1] - breakpoints[j]) }
    }

    /// Breakpoints for sorted training values: min, the quantiles 5/27.5/50/72.5/95% (or those of
    /// `knots` knots), max, with duplicates (ties) removed. Nil when the values are all equal.
    public static func breakpoints(sortedValues v: [Double], knots: Int) -> [Double]? {
        guard let first = v.first, let last = v.last, first < last else { return nil }
        let inner = RestrictedCubicSpline.harrellQuantiles(min(max(knots, 3), 7)).map { quantile(sorted: v, $0) }
        var out: [Double] = [first]
        for t in inner + [last] where t > out[out.count - 1] { out.append(t) }
        return out
    }
}

/// A step function (`--numeric bins`): cut points at training quantiles, one 0/1 term per cut,
/// bⱼ(x) = 1 when x ≥ cutⱼ. Its coefficients are the jumps between neighbouring bins, so the L2
/// penalty shrinks a jump towards no jump (bins that look alike merge) rather than each bin towards
/// the average; the lowest bin is the baseline.
public struct QuantileBins: Sendable, Equatable {
    /// Cut points, strictly increasing, each above the training minimum.
    public let cuts: [Double]

    public init(cuts: [Double]) {
        precondition(!cuts.isEmpty, "QuantileBins: needs at least 1 cut")
        precondition(zip(cuts, cuts.dropFirst()).allSatisfy { $0 < $1 }, "QuantileBins: cuts must increase strictly: \(cuts)")
        self.cuts = cuts
    }

    public var termCount: Int { cuts.count }

    /// λ's multiplier on a step function's terms (`Design.penaltyWeights`). Each term is a jump
    /// between neighbouring bins, standardized, and a column has up to 49 of them against a
    /// spline's 4: under the penalty of a spline's terms the jumps follow the noise of each bin
    /// (on QUALITY.md's data sets the one λ chosen for the whole design then rose 10–20× to tame
    /// them, over-shrinking every other column). At 100 the steps are smooth where the data are
    /// thin and sharp where a threshold is real; 30 and 300 validated the same.
    public static let penaltyMultiplier = 100.0

    /// Writes the steps at `x` into `out[0..<termCount]`.
    @inline(__always)
    public func write(_ x: Double, into out: UnsafeMutablePointer<Double>) {
        for j in 0..<cuts.count { out[j] = x >= cuts[j] ? 1 : 0 }
    }

    /// The bin of `x` among ascending `cuts`: how many cuts are at or below it (0: below the first).
    @inline(__always)
    public static func bin(of x: Double, cuts: [Double]) -> Int {
        var lo = 0, hi = cuts.count
        while lo < hi { let mid = (lo + hi) / 2; if cuts[mid] <= x { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Cuts for sorted training values: the quantiles that make `bins` equal-count bins, each moved
    /// up to the smallest training value at or above it (so a column of whole numbers is cut at whole
    /// numbers, and one with fewer distinct values than bins gets a step at each value: its levels),
    /// ties removed, and a cut kept only when the bin it closes and everything above it hold at least
    /// `minCount` values (so no bin rests on a handful of leads). Nil when no cut is left.
    public static func cuts(sortedValues v: [Double], bins: Int, minCount: Int) -> [Double]? {
        guard let first = v.first, bins >= 2 else { return nil }
        var cuts: [Double] = []
        var below = 0
        for k in 1..<bins {
            let q = quantile(sorted: v, Double(k) / Double(bins))
            // Values below q (a partition point of the sorted values); v[lo] is the cut.
            var lo = 0, hi = v.count
            while lo < hi { let mid = (lo + hi) / 2; if v[mid] < q { lo = mid + 1 } else { hi = mid } }
            guard lo < v.count, v[lo] > first, v[lo] > (cuts.last ?? first) else { continue }
            if lo - below >= max(minCount, 1) && v.count - lo >= max(minCount, 1) {
                cuts.append(v[lo])
                below = lo
            }
        }
        return cuts.isEmpty ? nil : cuts
    }
}

// MARK: - Quantiles

/// The `p` quantile of sorted values by linear interpolation between order statistics (R's type 7,
/// numpy's default): position p·(n − 1).
public func quantile(sorted v: [Double], _ p: Double) -> Double {
    precondition(!v.isEmpty, "quantile of no values")
    let pos = p * Double(v.count - 1)
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, v.count - 1)
    let frac = pos - Double(lo)
    return frac == 0 ? v[lo] : v[lo] + (v[hi] - v[lo]) * frac
}
