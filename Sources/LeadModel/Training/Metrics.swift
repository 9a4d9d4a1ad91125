import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LeadSupport

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
        // Sort each class's scores (plain Double sorts, no index juggling), then walk both in step:
        // a positive beats every negative below it and ties with the equal ones (½ each).
        var pos: [Double] = [], neg: [Double] = []
        pos.reserveCapacity(p.count)
        neg.reserveCapacity(p.count)
        for i in p.indices { if y[i] > 0.5 { pos.append(p[i]) } else { neg.append(p[i]) } }
        guard !pos.isEmpty, !neg.isEmpty else { return nil }
        RadixSort.sort(&pos)
        RadixSort.sort(&neg)
        var below = 0       // negatives strictly below the current positive
        var equal = 0       // negatives equal to it
        var wins = 0.0
        var j = 0
        var i = 0
        while i < pos.count {
            let v = pos[i]
            while j < neg.count && neg[j] < v { j += 1 }
            below = j
            var e = j
            while e < neg.count && neg[e] == v { e += 1 }
            equal = e - j
            // All positives with this same value share the count.
            var same = 0
            while i < pos.count && pos[i] == v { same += 1; i += 1 }
            wins += Double(same) * (Double(below) + 0.5 * Double(equal))
        }
        return wins / (Double(pos.count) * Double(neg.count))
    }
}
