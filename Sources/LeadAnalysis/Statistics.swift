import LeadModel
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Small statistical tools for segments: intervals, two-proportion tests, multiple-testing control.
public enum SegmentStatistics {
    /// Wilson score interval (95%) for k successes in n trials: well-behaved near 0 and 1, unlike the
    /// normal approximation.
    public static func wilson(_ k: Int, _ n: Int, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(k) / Double(n)
        let nn = Double(n)
        let denominator = 1 + z * z / nn
        let centre = (p + z * z / (2 * nn)) / denominator
        let half = z * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot() / denominator
        return (max(0, centre - half), min(1, centre + half))
    }

    /// The pooled two-proportion z statistic of k1/n1 against k2/n2 (nil when undefined), and the
    /// sign of the difference for the degenerate case of zero variance.
    static func proportionZ(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> (z: Double?, difference: Double)? {
        guard n1 > 0, n2 > 0 else { return nil }
        let p1 = Double(k1) / Double(n1)
        let p2 = Double(k2) / Double(n2)
        let pooled = Double(k1 + k2) / Double(n1 + n2)
        let se = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        return (se > 0 ? (p1 - p2) / se : nil, p1 - p2)
    }

    /// Two-sided p-value of the pooled two-proportion z-test: k1/n1 against k2/n2.
    public static func twoProportionP(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> Double {
        guard let t = proportionZ(k1, n1, k2, n2) else { return 1 }
        guard let z = t.z else { return t.difference == 0 ? 1 : 0 }
        return Distributions.twoSidedNormalP(z)
    }

    /// One-sided p-value that k1/n1 is above k2/n2.
    public static func increaseP(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> Double {
        guard let t = proportionZ(k1, n1, k2, n2) else { return 1 }
        guard let z = t.z else { return t.difference > 0 ? 0 : 1 }
        return 0.5 * erfc(z / 2.0.squareRoot())
    }

    /// Holm–Bonferroni adjusted p-values (family-wise error control), in the input order.
    public static func holm(_ p: [Double]) -> [Double] {
        let m = p.count
        let order = p.indices.sorted { p[$0] < p[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, Double(m - rank) * p[i]))
            adjusted[i] = running
        }
        return adjusted
    }

    /// Benjamini–Hochberg adjusted p-values (q-values), in the input order.
    public static func benjaminiHochberg(_ p: [Double]) -> [Double] {
        let m = p.count
        guard m > 0 else { return [] }
        let order = p.indices.sorted { p[$0] > p[$1] }
        var q = [Double](repeating: 1, count: m)
        var running = 1.0
        for (rankFromTop, i) in order.enumerated() {
            let rank = m - rankFromTop
            running = min(running, p[i] * Double(m) / Double(rank))
            q[i] = min(1, running)
        }
        return q
    }
}
