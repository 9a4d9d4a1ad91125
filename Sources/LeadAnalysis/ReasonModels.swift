import LeadModel
import LinearAlgebra

/// Why sales rejected leads: one binary logistic model per reason, among the rejected leads.
///
/// Choice (documented in the README): one-vs-rest rather than a softmax. Each reason gets its own
/// model "rejected for this reason vs for another", fitted by the same Newton–Cholesky solver as
/// `train`, so its drivers table has exactly the meaning (and the standard errors) of `drivers`, and no
/// reason is hidden as a softmax reference class. A lead's reason probabilities are the K one-vs-rest
/// probabilities normalized to sum to one. Reasons given fewer than `minCount` times are pooled into
/// "(other)".
public struct ReasonModels: Sendable {
    public struct Reason: Codable, Sendable {
        public var reason: String
        public var count: Int
        public var share: Double
        /// Per column, as in `drivers`, sorted by importance.
        public var drivers: [ColumnDriver]
        public var converged: Bool
    }

    public var reasons: [Reason]
    /// Per reason: coefficients (terms) and intercept on the design's internal scale.
    public var coefficients: [[Double]]
    public var intercepts: [Double]
    /// Index of each table reason name into `reasons` (pooled ones map to "(other)").
    public var reasonIndex: [Int]

    public static func fit(_ table: LeadTable, lambda: Double, minCount: Int, scorecard: Scorecard) -> ReasonModels? {
        var counts = [Int](repeating: 0, count: table.reasonNames.count)
        var rows: [Int] = []
        for i in 0..<table.rows where table.positive[i] == 0 && table.reason[i] >= 0 {
            counts[Int(table.reason[i])] += 1
            rows.append(i)
        }
        guard !rows.isEmpty else { return nil }
        // Frequent reasons by count, the rest pooled.
        var names: [String] = []
        var reasonIndex = [Int](repeating: -1, count: counts.count)
        let order = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : table.reasonNames[$0] < table.reasonNames[$1] }
        for r in order where counts[r] >= minCount {
            reasonIndex[r] = names.count
            names.append(table.reasonNames[r])
        }
        if order.contains(where: { counts[$0] < minCount && counts[$0] > 0 }) {
            let other = names.count
            names.append(ColumnEncoding.otherName)
            for r in order where counts[r] < minCount { reasonIndex[r] = other }
        }
        guard names.count >= 2 else { return nil }
        let x = table.encodedRows(rows: rows)
        var reasons: [Reason] = []
        var coefficients: [[Double]] = []
        var intercepts: [Double] = []
        for (k, name) in names.enumerated() {
            let y = rows.map { reasonIndex[Int(table.reason[$0])] == k ? 1.0 : 0.0 }
            let positives = Int(y.reduce(0, +))
            let fit = LogisticFit.fit(data: x, y: y, lambda: lambda)
            let inference = ModelInference.compute(design: table.design, beta: fit.beta, intercept: fit.intercept,
                                                   covariance: fit.covariance, rows: x, scorecard: scorecard, approximate: lambda > 0)
            reasons.append(Reason(reason: name, count: positives, share: Double(positives) / Double(rows.count),
                                  drivers: inference.columns, converged: fit.report.converged))
            coefficients.append(fit.beta)
            intercepts.append(fit.intercept)
        }
        return ReasonModels(reasons: reasons, coefficients: coefficients, intercepts: intercepts, reasonIndex: reasonIndex)
    }

    /// The normalized reason probabilities of lead `i`.
    public func probabilities(_ table: LeadTable, lead i: Int) -> [Double] {
        let values = table.values(i)
        var p: [Double] = []
        for k in coefficients.indices {
            // Interactions too, when the acceptance model given with --model has them.
            let eta = coefficients[k].withUnsafeBufferPointer { table.design.logOdds(values, beta: $0, start: intercepts[k]) }
            p.append(StableMath.sigmoid(eta))
        }
        let total = p.reduce(0, +)
        return total > 0 ? p.map { $0 / total } : p
    }
}
