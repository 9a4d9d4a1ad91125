import LeadData
import LeadModel
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How far new leads have moved from the training leads, by the population stability index (PSI).
///
/// PSI = Σ_bins (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the training profile's bins (e = training share, a = new
/// share); missing values are a bin of their own, unseen levels too. A share of 0 on either side is
/// taken as 0.0001 so the index stays finite (the usual floor). Reading: below 0.1 stable, 0.1–0.25 a
/// moderate shift worth a look, above 0.25 a major shift (retrain, or find out what changed upstream).
public struct DriftReport: Codable, Sendable {
    public static let moderate = 0.1
    public static let major = 0.25
    public static let floor = 0.0001

    public var model: String
    public var data: String
    public var leads: Int
    public var trainingLeads: Int
    public var score: Shift
    public var columns: [ColumnShift]
    /// "stable", "moderate" or "major": the worst of the score and the columns.
    public var status: String
    public var skippedRows: Int

    /// PSI of one distribution with its bins.
    public struct Shift: Codable, Sendable {
        public var psi: Double
        public var bins: [BinShift]
    }

    public struct BinShift: Codable, Sendable {
        /// "≤ 12", "12 – 30", "> 30", a level, "(missing)" or "(unseen)".
        public var label: String
        public var expected: Double
        public var actual: Double
    }

    /// One input column.
    public struct ColumnShift: Codable, Sendable {
        public var column: String
        /// nil when the column has no bins (all missing at training).
        public var psi: Double?
        public var status: String
        public var trainingMissingRate: Double
        public var missingRate: Double
        /// Share of leads with a level never seen in training (categorical columns).
        public var unseenRate: Double?
        public var bins: [BinShift]
    }

    public static func status(_ psi: Double) -> String { psi >= major ? "major" : psi >= moderate ? "moderate" : "stable" }

    /// PSI of `actual` counts against `expected` shares (same bins).
    public static func psi(expected: [Double], actual: [Int]) -> Double {
        let total = Double(actual.reduce(0, +))
        guard total > 0 else { return 0 }
        var s = 0.0
        for k in expected.indices {
            let e = max(expected[k], floor), a = max(Double(actual[k]) / total, floor)
            s += (a - e) * log(a / e)
        }
        return s
    }
}

extension DriftReport {
    static func label(_ bins: ProfileBins, _ k: Int) -> String {
        func f(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.4g", x) }
        if bins.edges.isEmpty { return "all" }
        if k == 0 { return "≤ \(f(bins.edges[0]))" }
        if k == bins.edges.count { return "> \(f(bins.edges[k - 1]))" }
        return "\(f(bins.edges[k - 1])) – \(f(bins.edges[k]))"
    }

    static func numericShift(_ bins: ProfileBins, values: [Double], missing: [Bool], trainingMissing: Double) -> (Double, [BinShift]) {
        let counts = bins.counts(values)
        let missingCount = missing.filter { $0 }.count
        // Bins among all leads: the non-missing shares scaled by (1 − missing rate), then the missing bin.
        let expected = bins.shares.map { $0 * (1 - trainingMissing) } + [trainingMissing]
        let actual = counts + [missingCount]
        let total = Double(max(actual.reduce(0, +), 1))
        var shifts = bins.shares.indices.map { BinShift(label: label(bins, $0), expected: expected[$0], actual: Double(actual[$0]) / total) }
        shifts.append(BinShift(label: "(missing)", expected: trainingMissing, actual: Double(missingCount) / total))
        return (psi(expected: expected, actual: actual), shifts)
    }

    /// Drift of `leads` against `profile` (the model's training profile).
    public static func measure(_ leads: ProfiledLeads, profile: TrainingProfile, model: LeadScoreModel,
                               modelName: String, dataName: String) -> DriftReport {
        var columns: [ColumnShift] = []
        let n = Double(max(leads.rows, 1))
        for (c, column) in model.design.columns.enumerated() {
            guard let p = profile.columns.first(where: { $0.name == column.name }) else { continue }
            let missingRate = Double(leads.missing[c].filter { $0 }.count) / n
            if let shares = p.levels {
                var counts = [Int](repeating: 0, count: shares.count + 1)
                for g in leads.levels[c] { if g >= 0 && Int(g) < shares.count { counts[Int(g)] += 1 } else if g == -1 { counts[shares.count] += 1 } }
                let expected = shares.map(\.share) + [0]
                let value = psi(expected: expected, actual: counts)
                var bins = shares.indices.map { BinShift(label: shares[$0].level.isEmpty ? "(missing)" : shares[$0].level, expected: shares[$0].share, actual: Double(counts[$0]) / n) }
                bins.append(BinShift(label: "(unseen)", expected: 0, actual: Double(counts[shares.count]) / n))
                columns.append(ColumnShift(column: column.name, psi: value, status: status(value), trainingMissingRate: p.missingRate,
                                           missingRate: missingRate, unseenRate: Double(counts[shares.count]) / n, bins: bins))
            } else if let b = p.bins {
                let (value, bins) = numericShift(b, values: leads.numbers[c], missing: leads.missing[c], trainingMissing: p.missingRate)
                columns.append(ColumnShift(column: column.name, psi: value, status: status(value), trainingMissingRate: p.missingRate,
                                           missingRate: missingRate, unseenRate: nil, bins: bins))
            } else {
                columns.append(ColumnShift(column: column.name, psi: nil, status: "stable", trainingMissingRate: p.missingRate,
                                           missingRate: missingRate, unseenRate: nil, bins: []))
            }
        }
        let scoreCounts = profile.score.counts(leads.score)
        let scorePSI = psi(expected: profile.score.shares, actual: scoreCounts)
        let scoreBins = profile.score.shares.indices.map {
            BinShift(label: label(profile.score, $0), expected: profile.score.shares[$0], actual: Double(scoreCounts[$0]) / n)
        }
        columns.sort { ($0.psi ?? -1) != ($1.psi ?? -1) ? ($0.psi ?? -1) > ($1.psi ?? -1) : $0.column < $1.column }
        let worst = max(scorePSI, columns.compactMap(\.psi).max() ?? 0)
        return DriftReport(model: modelName, data: dataName, leads: leads.rows, trainingLeads: profile.rows,
                           score: Shift(psi: scorePSI, bins: scoreBins), columns: columns, status: status(worst),
                           skippedRows: leads.skippedRows)
    }
}
