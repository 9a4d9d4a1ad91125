import Foundation
import LeadData
import LinearAlgebra
import LeadSupport

extension Trainer {
    /// `--lambda auto`: λ by cross-validated deviance on the training rows (`LambdaSearch`), or λ = 1
    /// with a notice when there are too few rows of one outcome to fill the folds.
    func chooseLambda(x: EncodedRows, y: [Double], weights: [Double], penaltyWeights: [Double]?,
                      notices: inout [String]) -> (LambdaSelection?, Double) {
        let positives = Int(y.reduce(0, +))
        let minority = min(positives, y.count - positives)
        guard minority >= 2 * options.folds else {
            notices.append("λ = 1: \(minority) training lead(s) of the rarer outcome are too few to choose λ by \(options.folds)-fold cross-validation (at least \(2 * options.folds) are needed)")
            return (nil, 1)
        }
        var search = LambdaSearch()
        search.folds = options.folds
        search.rule = options.lambdaRule
        search.seed = options.seed
        search.maxIterations = options.maxIterations
        let s = search.choose(data: x, y: y, weights: weights, penaltyWeights: penaltyWeights) { progress?($0) }
        if s.method == "holdout-sample" {
            notices.append("λ chosen on a held-out 20% of a \(s.rows)-row sample instead of \(options.folds) folds: above \(LambdaSelection.foldRowLimit) training rows k paths would cost more than the fit itself, and λ matters less as rows grow")
        }
        if s.chosenIndex == s.lambdas.count - 1 {
            notices.append("the smallest λ tried (\(String(format: "%.3g", s.chosen))) validated best: the data ask for little penalty")
        } else if s.chosenIndex == 0 {
            notices.append("the largest λ tried (\(String(format: "%.3g", s.chosen))) validated best: the columns barely predict the outcome")
        }
        if s.unconverged > 0 {
            notices.append("choosing λ: the fit did not converge at \(s.unconverged) of \(s.lambdas.count) grid points in some fold")
        }
        return (s, s.chosen)
    }

    /// The holdout rule as a pure function (for the parallel pass).
    static func isHoldout(index: Int, time: Double?, seed: UInt64, fraction: Double, after: Double?) -> Bool {
        if let after, let time { return time > after }
        if after != nil { return false }
        return fraction > 0 && SplitMix64.rowUniform(seed: seed, index: index) < fraction
    }

    func classWeights(_ y: [Double]) -> [Double] {
        guard options.classWeight == .balanced else { return [Double](repeating: 1, count: y.count) }
        let n = Double(y.count)
        let pos = y.reduce(0, +)
        let neg = n - pos
        let wPos = pos > 0 ? n / (2 * pos) : 1
        let wNeg = neg > 0 ? n / (2 * neg) : 1
        return y.map { $0 > 0.5 ? wPos : wNeg }
    }

    /// The intercept shift that undoes class weights' effect on the odds: a weighted fit sees the
    /// positive odds as w₁n₁ / (w₀n₀) instead of n₁ / n₀, so its intercept is off by the log of
    /// their ratio. Shift = log(π₁/π₀) − log(w₁π₁ / (w₀π₀)) = log(w₀ / w₁); with balanced weights
    /// w = n / (2 · class count) that is log(n₁ / n₀), the training log-odds of the positive class.
    static func priorCorrection(weights: [Double], y: [Double]) -> Double {
        var n1 = 0.0, n0 = 0.0, w1 = 0.0, w0 = 0.0
        for (w, v) in zip(weights, y) {
            if v > 0.5 { n1 += 1; w1 += w } else { n0 += 1; w0 += w }
        }
        guard n1 > 0, n0 > 0, w1 > 0, w0 > 0 else { return 0 }
        return log(n1 / n0) - log(w1 / w0)
    }

    /// Why a design with more than `TrainingOptions.maxTerms` terms is refused, and what to do.
    static func tooManyTermsMessage(design: Design) -> String {
        let widest = design.columns.sorted { $0.terms.count > $1.terms.count }.prefix(3)
            .map { "'\($0.name)' (\($0.terms.count))" }.joined(separator: ", ")
        return "the design has \(design.termCount) terms from \(design.columns.count) columns, more than the \(TrainingOptions.maxTerms) a model may have (the fit holds several terms × terms matrices: \(design.termCount) terms would need about \(Int((8 * pow(Double(design.termCount), 2) / 1e9 * 6).rounded(.up))) GB); most terms: \(widest). Keep fewer columns with --exclude, or pool rare levels with a higher --min-level-count"
    }

    func resolveTarget(_ pass: FirstPass, display: String) throws -> TargetSpec {
        let seen = pass.targetCounts.sorted { $0.value.count > $1.value.count }
        let listing = seen.prefix(8).map { "'\($0.key)' (\($0.value.count) rows)" }.joined(separator: ", ")
        guard pass.targetCounts[options.positive] != nil else {
            throw InputError(file: display, columnName: options.target,
                             message: "the positive value '\(options.positive)' never occurs in the target column; values seen: \(listing)")
        }
        if !options.negatives.isEmpty {
            return TargetSpec(column: options.target, positive: options.positive, negatives: options.negatives)
        }
        let others = seen.filter { $0.key != options.positive }
        if others.isEmpty {
            throw InputError(file: display, columnName: options.target,
                             message: "every row has the positive value '\(options.positive)'; a model needs both outcomes")
        }
        if others.count > 1 {
            let second = others[1]
            throw InputError(file: display, line: second.value.line, columnName: options.target, value: second.key,
                             message: "the target column has \(others.count) values besides the positive '\(options.positive)': \(others.prefix(8).map { "'\($0.key)' (\($0.value.count))" }.joined(separator: ", ")); name the negative ones with --negative, or fix the rows")
        }
        return TargetSpec(column: options.target, positive: options.positive, negatives: [others[0].key])
    }

    /// Levels (and missing indicators, and interaction cell pairs) whose leads all had the same outcome: their coefficient has no
    /// finite maximum-likelihood value, which is worth saying in words.
    func separationNotices(design: Design, x: EncodedRows, y: [Double], target: TargetSpec) -> [String] {
        var out: [String] = []
        let levels = x.levelTallies(y)
        /// A notice when every training lead with 0/1 term `t` (named `name`) had the same outcome.
        func check(_ t: Int, _ name: String) {
            var count = 0.0
            var positives = 0.0
            if let tally = levels[t] {
                (count, positives) = tally
            } else {
                for (i, v) in x.column(t).enumerated() where v == 1 { count += 1; positives += y[i] }
            }
            if count > 0 && (positives == 0 || positives == count) {
                let outcome = positives == 0 ? "not '\(target.positive)'" : "'\(target.positive)'"
                out.append("separation: every one of the \(Int(count)) training leads with \(name) was \(outcome); without a penalty its coefficient runs off to infinity (the default --penalty l2 keeps it finite)")
            }
        }
        for col in design.columns {
            for t in col.indicatorTerms { check(t, design.termNames[t]) }
        }
        // An interaction's cell pairs are 0/1 terms too.
        for i in design.interactions ?? [] {
            for cell in i.cells { check(cell.term, i.label(cell.a, cell.b)) }
        }
        return out
    }

    /// Numeric and boolean columns whose observed training values alone separate the outcomes (the
    /// largest value of one class at or below the smallest of the other): without a penalty their
    /// coefficient runs off to infinity, as a level's does.
    func numericSeparationNotices(design: Design, x: EncodedRows, y: [Double], target: TargetSpec) -> [String] {
        var out: [String] = []
        for col in design.columns {
            guard let e = col.numeric else { continue }
            let values = x.column(e.term)
            let missing = e.missingTerm.map { x.column($0) }
            var low = [Double.infinity, Double.infinity], high = [-Double.infinity, -Double.infinity]
            for i in values.indices where missing?[i] != 1 {
                let c = y[i] > 0.5 ? 1 : 0
                low[c] = min(low[c], values[i])
                high[c] = max(high[c], values[i])
            }
            guard low[0].isFinite, low[1].isFinite else { continue }
            // Positives above negatives (c = 1 high) or below them.
            let up = high[0] <= low[1], down = high[1] <= low[0]
            guard up || down else { continue }
            func raw(_ v: Double) -> String { "\(rounded(e.standardization.original(v), 9))" }
            let (hi, lo) = up ? (1, 0) : (0, 1)
            let outcome = { (c: Int) in c == 1 ? "'\(target.positive)'" : "not '\(target.positive)'" }
            var what: String
            if high[lo] < low[hi] {
                what = "every training lead with \(col.name) ≥ \(raw(low[hi])) was \(outcome(hi)) and every one with \(col.name) ≤ \(raw(high[lo])) was \(outcome(lo))"
            } else {
                // Both outcomes only at the one value t where the classes meet (quasi-separation).
                let t = raw(low[hi])
                var sides: [String] = []
                if low[lo] < low[hi] { sides.append("every training lead with \(col.name) < \(t) was \(outcome(lo))") }
                if high[hi] > high[lo] { sides.append("every training lead with \(col.name) > \(t) was \(outcome(hi))") }
                what = sides.joined(separator: " and ") + " (both outcomes only at \(t))"
            }
            out.append("separation: column '\(col.name)' alone separates the outcomes: \(what); without a penalty its coefficient runs off to infinity (the default --penalty l2 keeps it finite)")
        }
        return out
    }

    func collinearityNotices(design: Design, gram start: Matrix) -> [String] {
        let k = start.cols
        guard k > 1 else { return [] }
        var gram = start
        // Scale to a correlation-like matrix so the tolerance means the same for every term.
        let d = gram.diagonal.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        for j in 0..<k { for i in 0..<k { gram[i, j] *= d[i] * d[j] } }
        guard let rank = try? PivotedRank(gram, tolerance: 1e-10), !rank.dependent.isEmpty else { return [] }
        var out: [String] = []
        for t in rank.dependent where t < design.termCount {
            var twin: String?
            for u in 0..<design.termCount where u != t {
                if abs(gram[t, u] - 1) < 1e-12 { twin = design.termNames[u]; break }
            }
            let what = twin.map { "is identical to '\($0)'" } ?? "is a linear combination of other terms"
            out.append("collinear: term '\(design.termNames[t])' \(what); without a penalty its coefficient is not identified (exclude one of the columns, or keep --penalty l2)")
        }
        return out
    }

    /// 10th, 25th, 50th, 75th and 90th percentiles of a numeric column's observed training values.
    static func quantiles(of col: NumericEncoding, x: EncodedRows) -> [Double] {
        // A numeric column's terms are dense columns of X: read them in place.
        let n = x.rows
        let t = x.densePosition[col.term]
        let m = col.missingTerm.map { x.densePosition[$0] }
        var values: [Double] = []
        values.reserveCapacity(n)
        x.dense.storage.withUnsafeBufferPointer { s in
            for i in 0..<n {
                if let m, s[m * n + i] == 1 { continue }
                values.append(col.standardization.original(s[t * n + i]))
            }
        }
        guard !values.isEmpty else { return [] }
        RadixSort.sort(&values)
        return [0.10, 0.25, 0.50, 0.75, 0.90].map { q in
            let pos = q * Double(values.count - 1)
            let lo = Int(pos.rounded(.down))
            let hi = min(lo + 1, values.count - 1)
            let v = values[lo] + (values[hi] - values[lo]) * (pos - Double(lo))
            // Rounded to 1e-9, except beyond ~1e299 where v · 1e9 would overflow (v is whole there anyway).
            return abs(v) < 1e290 ? (v * 1e9).rounded() / 1e9 : v
        }
    }

    /// Grades A–D. Default cut-offs: the training scores' quartiles (A = top quarter of training
    /// leads, D = bottom quarter); `cutoffs` overrides them (three descending scores for A, B, C).
    static func gradeBands(scores: [Double], outcomes: [Double], cutoffs: [Double]?) throws -> [GradeBand] {
        var limits: [Double]
        if let cutoffs {
            limits = cutoffs
        } else {
            let sorted = RadixSort.sorted(scores)
            func q(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
            }
            limits = [q(0.75), q(0.5), q(0.25)]
        }
        limits.append(0)
        var bands: [GradeBand] = []
        for (k, grade) in ["A", "B", "C", "D"].enumerated() {
            let lower = limits[k]
            let upper = k == 0 ? Double.infinity : limits[k - 1]
            var count = 0
            var positives = 0.0
            for (s, y) in zip(scores, outcomes) where (k == 3 ? s < upper : s >= lower && s < upper) {
                count += 1
                positives += y
            }
            bands.append(GradeBand(grade: grade, minScore: k == 3 ? 0 : lower, trainingLeads: count,
                                   trainingPositiveRate: count > 0 ? positives / Double(count) : 0))
        }
        return bands
    }
}
