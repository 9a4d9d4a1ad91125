import LeadModel
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How well a saved model does on labelled leads: discrimination (AUC with its DeLong interval,
/// KS), accuracy of the probabilities (log loss, Brier, calibration by decile, calibration intercept
/// and slope), gains and lift by decile, and the acceptance rate of each grade; the same per level
/// of a `--by` column. What `leadscore evaluate` prints and `compare` and `report` reuse.
public struct ModelEvaluation: Codable, Sendable {
    public var model: String
    public var data: String
    public var target: TargetSpec
    public var overall: Figures
    /// Deciles of the probability, highest first (decile 1 = the best-scored tenth).
    public var deciles: [Decile]
    public var grades: [GradeRow]
    public var byColumn: String?
    public var by: [Level]?
    public var skippedRows: Int
    public var notes: [String]

    /// The headline figures of one set of leads.
    public struct Figures: Codable, Sendable {
        public var leads: Int
        public var positives: Int
        public var positiveRate: Double
        public var meanProbability: Double
        /// nil when the leads hold only one outcome.
        public var auc: DeLong.Estimate?
        public var logLoss: Double
        public var brier: Double
        public var ks: KolmogorovSmirnov?
        /// Logistic regression of the outcome on logit(p): slope 1 and intercept 0 when calibrated.
        public var calibration: CalibrationFit?
    }

    /// The largest gap between the cumulative distributions of positives' and negatives' probabilities.
    public struct KolmogorovSmirnov: Codable, Sendable {
        public var statistic: Double
        /// The probability at which it is reached (leads at or below it on one side).
        public var probability: Double
    }

    /// y ~ a + b·logit(p) by maximum likelihood (Newton), with standard errors from the inverse Hessian.
    public struct CalibrationFit: Codable, Sendable {
        public var intercept: Double
        public var slope: Double
        public var interceptStandardError: Double
        public var slopeStandardError: Double
        public var converged: Bool
    }

    /// One tenth of the leads, by probability (highest first).
    public struct Decile: Codable, Sendable {
        public var decile: Int
        public var leads: Int
        public var positives: Int
        public var observedRate: Double
        public var meanProbability: Double
        public var minProbability: Double
        public var maxProbability: Double
        /// Share of all positives in deciles 1…this one.
        public var cumulativeGain: Double
        /// Rate of this decile / overall rate.
        public var lift: Double
        /// Rate of deciles 1…this one / overall rate.
        public var cumulativeLift: Double
    }

    /// The leads of one grade and how many were accepted.
    public struct GradeRow: Codable, Sendable {
        public var grade: String
        public var minScore: Double
        public var leads: Int
        public var positives: Int
        /// nil when the grade has no leads here.
        public var rate: Double?
        /// 95% Wilson interval of the rate.
        public var low: Double?
        public var high: Double?
        public var meanProbability: Double?
        /// The grade's rate on the training leads, stored in the model.
        public var trainingRate: Double
    }

    /// The figures of the leads of one `--by` level.
    public struct Level: Codable, Sendable {
        public var level: String
        public var figures: Figures
    }
}

extension ModelEvaluation {
    /// Evaluates `leads` (scored by `model`).
    public static func evaluate(_ leads: ScoredLeads, model: LeadScoreModel, modelName: String, dataName: String,
                                target: TargetSpec, byColumn: String? = nil) -> ModelEvaluation {
        let p = leads.probability, y = leads.positive
        var notes: [String] = []
        let overall = figures(p, y)
        if overall.auc == nil { notes.append("every lead has the same outcome: no AUC, KS or calibration fit") }
        var byLevels: [Level]?
        if byColumn != nil {
            var members = [[Int]](repeating: [], count: leads.table.byNames.count)
            for i in 0..<leads.rows where leads.table.by[i] >= 0 { members[Int(leads.table.by[i])].append(i) }
            let order = members.indices.sorted {
                members[$0].count != members[$1].count ? members[$0].count > members[$1].count
                    : Array(leads.table.byNames[$0].unicodeScalars.map(\.value)).lexicographicallyPrecedes(leads.table.byNames[$1].unicodeScalars.map(\.value))
            }
            byLevels = order.map { k in
                Level(level: leads.table.byNames[k], figures: figures(members[k].map { p[$0] }, members[k].map { y[$0] }))
            }
        }
        return ModelEvaluation(model: modelName, data: dataName, target: target, overall: overall,
                               deciles: deciles(p, y), grades: gradeRows(leads, model: model),
                               byColumn: byColumn, by: byLevels,
                               skippedRows: leads.table.skippedRows, notes: notes)
    }

    /// Headline figures of probabilities `p` against outcomes `y`.
    public static func figures(_ p: [Double], _ y: [UInt8]) -> Figures {
        let n = p.count
        let positives = y.reduce(0) { $0 + Int($1) }
        var logLoss = 0.0, brier = 0.0
        for i in 0..<n {
            let q = min(max(p[i], 1e-15), 1 - 1e-15)
            logLoss -= y[i] != 0 ? log(q) : log1p(-q)
            brier += (p[i] - Double(y[i])) * (p[i] - Double(y[i]))
        }
        let count = Double(max(n, 1))
        return Figures(leads: n, positives: positives, positiveRate: Double(positives) / count,
                       meanProbability: p.reduce(0, +) / count, auc: DeLong.estimate(p, positive: y),
                       logLoss: logLoss / count, brier: brier / count, ks: ks(p, y), calibration: calibrationFit(p, y))
    }

    /// max |F₊(t) − F₋(t)| over thresholds t, with the t where it is reached (the smallest such).
    public static func ks(_ p: [Double], _ y: [UInt8]) -> KolmogorovSmirnov? {
        let m = y.reduce(0) { $0 + Int($1) }, n = y.count - m
        guard m > 0, n > 0 else { return nil }
        let order = p.indices.sorted { p[$0] < p[$1] }
        var fp = 0, fn = 0, best = 0.0, at = p[order[0]]
        var i = 0
        while i < order.count {
            let v = p[order[i]]
            while i < order.count && p[order[i]] == v {
                if y[order[i]] != 0 { fp += 1 } else { fn += 1 }
                i += 1
            }
            let gap = abs(Double(fp) / Double(m) - Double(fn) / Double(n))
            if gap > best { best = gap; at = v }
        }
        return KolmogorovSmirnov(statistic: best, probability: at)
    }

    /// Logistic regression of `y` on [1, logit(p)] by Newton's method (probabilities clipped to
    /// [1e-15, 1 − 1e-15] so logit is finite); nil when one outcome is absent or the fit diverges.
    public static func calibrationFit(_ p: [Double], _ y: [UInt8]) -> CalibrationFit? {
        let m = y.reduce(0) { $0 + Int($1) }
        guard m > 0, m < y.count else { return nil }
        let x = p.map { StableMath.logit(min(max($0, 1e-15), 1 - 1e-15)) }
        var a = 0.0, b = 1.0
        var converged = false
        var h00 = 0.0, h01 = 0.0, h11 = 0.0
        for _ in 0..<100 {
            var g0 = 0.0, g1 = 0.0
            h00 = 0; h01 = 0; h11 = 0
            for i in x.indices {
                let mu = StableMath.sigmoid(a + b * x[i])
                let r = Double(y[i]) - mu
                let w = mu * (1 - mu)
                g0 += r; g1 += r * x[i]
                h00 += w; h01 += w * x[i]; h11 += w * x[i] * x[i]
            }
            let det = h00 * h11 - h01 * h01
            guard det > 0, det.isFinite else { return nil }
            let da = (h11 * g0 - h01 * g1) / det
            let db = (h00 * g1 - h01 * g0) / det
            a += da; b += db
            if abs(da) < 1e-12 && abs(db) < 1e-12 { converged = true; break }
        }
        // The standard errors at the final estimate.
        h00 = 0; h01 = 0; h11 = 0
        for i in x.indices {
            let mu = StableMath.sigmoid(a + b * x[i])
            let w = mu * (1 - mu)
            h00 += w; h01 += w * x[i]; h11 += w * x[i] * x[i]
        }
        let det = h00 * h11 - h01 * h01
        guard det > 0, a.isFinite, b.isFinite else { return nil }
        return CalibrationFit(intercept: a, slope: b, interceptStandardError: (h11 / det).squareRoot(),
                              slopeStandardError: (h00 / det).squareRoot(), converged: converged)
    }

    /// The leads in ten groups by probability, highest first: sorted by (−p, input order), group k
    /// holds positions ⌊k·N/10⌋ ..< ⌊(k+1)·N/10⌋ (fewer groups when N < 10).
    public static func deciles(_ p: [Double], _ y: [UInt8]) -> [Decile] {
        let n = p.count
        guard n > 0 else { return [] }
        let order = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
        let groups = min(10, n)
        let totalPositives = max(y.reduce(0) { $0 + Int($1) }, 0)
        let overallRate = Double(totalPositives) / Double(n)
        var rows: [Decile] = []
        var cumulativeLeads = 0, cumulativePositives = 0
        for k in 0..<groups {
            let slice = order[(k * n / groups)..<((k + 1) * n / groups)]
            let positives = slice.reduce(0) { $0 + Int(y[$1]) }
            let probabilities = slice.map { p[$0] }
            cumulativeLeads += slice.count
            cumulativePositives += positives
            let rate = Double(positives) / Double(slice.count)
            rows.append(Decile(decile: k + 1, leads: slice.count, positives: positives, observedRate: rate,
                               meanProbability: probabilities.reduce(0, +) / Double(slice.count),
                               minProbability: probabilities.min()!, maxProbability: probabilities.max()!,
                               cumulativeGain: totalPositives > 0 ? Double(cumulativePositives) / Double(totalPositives) : 0,
                               lift: overallRate > 0 ? rate / overallRate : 0,
                               cumulativeLift: overallRate > 0 ? Double(cumulativePositives) / Double(cumulativeLeads) / overallRate : 0))
        }
        return rows
    }

    /// Leads, acceptances and the acceptance rate (Wilson 95%) of each of the model's grades.
    public static func gradeRows(_ leads: ScoredLeads, model: LeadScoreModel) -> [GradeRow] {
        model.grades.enumerated().map { g, band in
            let members = (0..<leads.rows).filter { leads.grade[$0] == g }
            let positives = members.reduce(0) { $0 + Int(leads.positive[$1]) }
            let n = members.count
            let interval = n > 0 ? SegmentStatistics.wilson(positives, n) : nil
            return GradeRow(grade: band.grade, minScore: band.minScore, leads: n, positives: positives,
                            rate: n > 0 ? Double(positives) / Double(n) : nil, low: interval?.low, high: interval?.high,
                            meanProbability: n > 0 ? members.reduce(0) { $0 + leads.probability[$1] } / Double(n) : nil,
                            trainingRate: band.trainingPositiveRate)
        }
    }
}
