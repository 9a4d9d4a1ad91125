#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LeadSupport

/// The points scale: points = offset + factor × log-odds, with factor = pdo / ln 2.
///
/// "Points to double the odds" (PDO) is the scorecard convention: every `pdo` points, the odds of a
/// good outcome double. The reference fixes where the scale sits: `reference_score` points at odds
/// `reference_odds`. Because the map is affine, per-column contributions in log-odds become points by
/// multiplying by `factor` and still add up exactly. The reported `score` is the points clamped to
/// 0–100 and rounded to one decimal; explanations show the unclamped points.
public struct Scorecard: Codable, Sendable, Equatable {
    public var pdo: Double
    public var referenceScore: Double
    public var referenceOdds: Double

    enum CodingKeys: String, CodingKey {
        case pdo
        case referenceScore = "reference_score"
        case referenceOdds = "reference_odds"
        case factor, offset
    }

    public init(pdo: Double, referenceScore: Double, referenceOdds: Double) {
        precondition(pdo > 0 && referenceOdds > 0, "Scorecard: pdo and reference odds must be positive")
        self.pdo = pdo
        self.referenceScore = referenceScore
        self.referenceOdds = referenceOdds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pdo = try c.decode(Double.self, forKey: .pdo)
        referenceScore = try c.decode(Double.self, forKey: .referenceScore)
        referenceOdds = try c.decode(Double.self, forKey: .referenceOdds)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pdo, forKey: .pdo)
        try c.encode(referenceScore, forKey: .referenceScore)
        try c.encode(referenceOdds, forKey: .referenceOdds)
        try c.encode(factor, forKey: .factor)
        try c.encode(offset, forKey: .offset)
    }

    /// Points per unit of log-odds.
    public var factor: Double { pdo / log(2) }
    /// Points at log-odds 0.
    public var offset: Double { referenceScore - factor * log(referenceOdds) }

    /// Unclamped points for a log-odds value.
    @inline(__always)
    public func points(logOdds: Double) -> Double { offset + factor * logOdds }

    /// The 0–100 score: points clamped and rounded to one decimal.
    @inline(__always)
    public func score(logOdds: Double) -> Double { Scorecard.score(points: points(logOdds: logOdds)) }

    @inline(__always)
    static func score(points: Double) -> Double {
        let p = min(100, max(0, points))
        return (p * 10).rounded() / 10
    }

    /// The scale with `factor` and `offset` computed once (reading them takes a logarithm each):
    /// what a loop that scores many leads keeps.
    public var compiled: Compiled { Compiled(factor: factor, offset: offset) }

    public struct Compiled: Sendable {
        public let factor: Double
        public let offset: Double

        /// The same double as `Scorecard.score(logOdds:)`.
        @inline(__always)
        public func score(logOdds: Double) -> Double { Scorecard.score(points: offset + factor * logOdds) }
    }

    /// The default scale for a set of training log-odds: 50 points at the median lead's odds, and a
    /// PDO (a whole number of points, at least 1) such that the 1st–99th percentile of leads spans at most
    /// ~90 points, so typical leads land between 0 and 100.
    public static func fitted(to logOdds: [Double]) -> Scorecard {
        guard logOdds.count >= 2 else { return Scorecard(pdo: 20, referenceScore: 50, referenceOdds: 1) }
        let sorted = RadixSort.sorted(logOdds)
        func quantile(_ q: Double) -> Double {
            let pos = q * Double(sorted.count - 1)
            let lo = Int(pos.rounded(.down))
            let hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
        }
        let median = quantile(0.5)
        let halfSpread = max(quantile(0.99) - median, median - quantile(0.01), 1e-6)
        // 45 points either side of 50 covers that spread: factor = 45 / halfSpread.
        let rawPDO = 45 / halfSpread * log(2)
        let pdo = max(1, rawPDO.rounded(.down))
        // Odds rounded to 3 significant digits so the stored reference reads cleanly, and kept
        // within 1e-6…1e6 (a separated fit's median lead can have odds beyond a 64-bit float).
        let odds = exp(median)
        var text = [CChar](repeating: 0, count: 32)
        _ = withVaList([odds]) { vsnprintf(&text, 32, "%.3g", $0) }
        let roundedOdds = min(max(strtod(text, nil), 1e-6), 1e6)
        return Scorecard(pdo: pdo, referenceScore: 50, referenceOdds: roundedOdds)
    }
}
