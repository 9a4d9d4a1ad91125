#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The area under the ROC curve with DeLong's variance, for one model or two models on the same leads.
///
/// DeLong, DeLong & Clarke-Pearson (1988), computed the fast way (Sun & Xu 2014): with midranks of
/// the positives among themselves (Tₓ), of the negatives among themselves (T_y) and of all leads
/// together (T_z), each positive's placement is V₁₀ᵢ = (T_zᵢ − Tₓᵢ)/n (the share of negatives it
/// outranks, ties ½) and each negative's is V₀₁ⱼ = 1 − (T_zⱼ − T_yⱼ)/m; the AUC is the mean V₁₀ and
/// Var(AUC) = s²(V₁₀)/m + s²(V₀₁)/n (sample variances, n − 1). Two models on the same leads: the same
/// with covariances, so the paired difference's variance is S₁₁ + S₂₂ − 2S₁₂. O(N log N).
public enum DeLong {
    /// z of a two-sided 95% normal interval.
    public static let z95 = 1.959963984540054

    /// An AUC with its DeLong standard error and 95% interval (clipped to 0…1).
    public struct Estimate: Codable, Sendable, Equatable {
        public var auc: Double
        public var standardError: Double
        public var low: Double
        public var high: Double
    }

    /// The paired difference `b − a` of two AUCs on the same leads.
    public struct Difference: Codable, Sendable, Equatable {
        public var difference: Double
        public var standardError: Double
        public var low: Double
        public var high: Double
        /// z = difference / standard error; nil when the standard error is 0.
        public var z: Double?
        /// Two-sided p-value of "no difference".
        public var p: Double
    }

    /// Placements of one model's scores: per positive (V₁₀) and per negative (V₀₁).
    struct Placements {
        var auc: Double
        var positive: [Double]
        var negative: [Double]
    }

    /// Midranks (1-based, ties get their mean rank).
    static func midranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    static func placements(_ scores: [Double], _ positive: [UInt8]) -> Placements? {
        var pos: [Double] = [], neg: [Double] = []
        for i in scores.indices { if positive[i] != 0 { pos.append(scores[i]) } else { neg.append(scores[i]) } }
        let m = pos.count, n = neg.count
        guard m > 0, n > 0 else { return nil }
        let tx = midranks(pos), ty = midranks(neg), tz = midranks(pos + neg)
        let v10 = (0..<m).map { (tz[$0] - tx[$0]) / Double(n) }
        let v01 = (0..<n).map { 1 - (tz[m + $0] - ty[$0]) / Double(m) }
        let auc = v10.reduce(0, +) / Double(m)
        return Placements(auc: auc, positive: v10, negative: v01)
    }

    /// Sample covariance (divisor count − 1); 0 for fewer than two values.
    static func covariance(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count > 1 else { return 0 }
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var s = 0.0
        for i in a.indices { s += (a[i] - ma) * (b[i] - mb) }
        return s / Double(a.count - 1)
    }

    /// The AUC of `scores` for 0/1 `positive` with its 95% DeLong interval; nil when one class is absent.
    public static func estimate(_ scores: [Double], positive: [UInt8]) -> Estimate? {
        guard let v = placements(scores, positive) else { return nil }
        let variance = covariance(v.positive, v.positive) / Double(v.positive.count)
            + covariance(v.negative, v.negative) / Double(v.negative.count)
        let se = variance.squareRoot()
        return Estimate(auc: v.auc, standardError: se, low: max(0, v.auc - z95 * se), high: min(1, v.auc + z95 * se))
    }

    /// AUC(b) − AUC(a) on the same leads with its 95% DeLong interval; nil when one class is absent.
    public static func difference(_ a: [Double], _ b: [Double], positive: [UInt8]) -> Difference? {
        guard let va = placements(a, positive), let vb = placements(b, positive) else { return nil }
        let m = Double(va.positive.count), n = Double(va.negative.count)
        let saa = covariance(va.positive, va.positive) / m + covariance(va.negative, va.negative) / n
        let sbb = covariance(vb.positive, vb.positive) / m + covariance(vb.negative, vb.negative) / n
        let sab = covariance(va.positive, vb.positive) / m + covariance(va.negative, vb.negative) / n
        let se = max(saa + sbb - 2 * sab, 0).squareRoot()
        let d = vb.auc - va.auc
        let z = se > 0 ? d / se : nil
        let p = z.map { erfc(abs($0) / 2.0.squareRoot()) } ?? (d == 0 ? 1 : 0)
        return Difference(difference: d, standardError: se, low: d - z95 * se, high: d + z95 * se, z: z, p: p)
    }
}
