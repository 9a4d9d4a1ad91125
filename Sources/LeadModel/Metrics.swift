#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Discrimination and calibration figures for predicted probabilities against 0/1 outcomes.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    public var rows: Int
    public var positives: Int
    public var positiveRate: Double
    /// Area under the ROC curve (ties count one half), nil when one class is absent.
    public var auc: Double?
    /// Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 − 1e-15].
    public var logLoss: Double
    /// Mean squared error of the probability.
    public var brier: Double

    enum CodingKeys: String, CodingKey {
        case rows, positives, auc, brier
        case positiveRate = "positive_rate"
        case logLoss = "log_loss"
    }

    public init(probabilities p: [Double], outcomes y: [Double]) {
        precondition(p.count == y.count, "metrics: \(p.count) probabilities for \(y.count) outcomes")
        rows = p.count
        positives = y.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        positiveRate = rows > 0 ? Double(positives) / Double(rows) : 0
        var ll = 0.0
        var br = 0.0
        for i in 0..<rows {
            let q = min(max(p[i], 1e-15), 1 - 1e-15)
            ll -= y[i] > 0.5 ? log(q) : log1p(-q)
            br += (p[i] - y[i]) * (p[i] - y[i])
        }
        logLoss = rows > 0 ? ll / Double(rows) : 0
        brier = rows > 0 ? br / Double(rows) : 0
        auc = ClassificationMetrics.rocAUC(p, y)
    }

    /// Mann–Whitney AUC: the probability a random positive outranks a random negative, ties ½.
    public static func rocAUC(_ p: [Double], _ y: [Double]) -> Double? {
        let order = p.indices.sorted { p[$0] < p[$1] }
        let nPos = y.reduce(0) { $0 + ($1 > 0.5 ? 1.0 : 0) }
        let nNeg = Double(p.count) - nPos
        guard nPos > 0, nNeg > 0 else { return nil }
        var rankSumPos = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && p[order[j + 1]] == p[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where y[order[k]] > 0.5 { rankSumPos += averageRank }
            i = j + 1
        }
        return (rankSumPos - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }
}
