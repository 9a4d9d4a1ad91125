import LeadModel

/// One condition of a segment: a categorical level (`value`), or a numeric range (`min`…`max`,
/// inclusive, over observed values).
public struct SegmentCondition: Codable, Sendable, Hashable {
    public var column: String
    public var value: String?
    public var min: Double?
    public var max: Double?

    /// "lead_source = cold_list", "company_size 1–25".
    public var label: String {
        if let value { return "\(column) = \(value)" }
        return "\(column) \(compact(min ?? 0))–\(compact(max ?? 0))"
    }
}

/// A segment sales rejects more often than average.
public struct Segment: Codable, Sendable {
    public var conditions: [SegmentCondition]
    public var size: Int
    public var rejected: Int
    public var rejectionRate: Double
    /// Rejection rate over the overall rejection rate.
    public var lift: Double
    /// 95% Wilson interval of the rejection rate.
    public var ciLow: Double
    public var ciHigh: Double
    /// Two-proportion test of the segment against all other leads, and its Benjamini–Hochberg q-value
    /// over every segment tested.
    public var pValue: Double
    public var qValue: Double
    /// Weighted relative accuracy: (size / N) × (rejection rate − overall rate). Balances size and lift.
    public var quality: Double
    public var headline: String

    enum CodingKeys: String, CodingKey {
        case conditions, size, rejected, lift, quality, headline
        case rejectionRate = "rejection_rate"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case pValue = "p_value"
        case qValue = "q_value"
    }
}

/// A segment where observed rejections differ from what the model expects: what the model misses.
public struct ModelGap: Codable, Sendable {
    public var conditions: [SegmentCondition]
    public var size: Int
    public var rejectionRate: Double
    public var lift: Double
    public var observed: Int
    public var expected: Double
    /// z = (observed − expected) / √Σ p(1−p), its two-sided p-value and BH q-value.
    public var z: Double
    public var pValue: Double
    public var qValue: Double
    public var suggestion: String
    public var headline: String

    enum CodingKeys: String, CodingKey {
        case conditions, size, lift, observed, expected, z, suggestion, headline
        case rejectionRate = "rejection_rate"
        case pValue = "p_value"
        case qValue = "q_value"
    }
}

/// Subgroup discovery over conditions on the model's columns.
///
/// Conditions: every categorical level (and missing), every boolean value, and for numbers the ranges
/// "≤ q" and "> q" at the 10/20/30/50/70/80/90th percentiles (bins chosen from the data) plus
/// missing. Segments are conjunctions of up to `depth` conditions on different columns with at least
/// `minSupport` leads. Each is tested against the rest (two-proportion z-test) and the p-values of all
/// segments tested are adjusted together (Benjamini–Hochberg). A segment is shown when its rejection
/// rate is at least `minGain` above the overall rate; one of two or more conditions only when it is
/// productive: its rate beats each one-condition-shorter part by `minGain`, and significantly against
/// the rest of that part (the worst part's p-value, Holm-adjusted over every longer segment tested). Ranked by
/// weighted relative accuracy.
public struct SegmentMiner {
    public var depth = 2
    public var minSupport = 30
    public var alpha = 0.05
    public var top = 15
    /// A longer segment must beat each shorter part by at least this much rejection rate.
    public var minGain = 0.05

    public init() {}

    struct Candidate {
        var condition: SegmentCondition
        var column: Int
        var rows: RowSet
    }

    struct Tested {
        var parts: [Int]       // candidate indices, sorted
        var rows: RowSet?
        var size: Int
        var rejected: Int
        var expected: Double
        var variance: Double
    }

    public struct Result: Sendable {
        public var overallRejectionRate: Double
        public var segments: [Segment]
        public var modelGaps: [ModelGap]
        public var tested: Int
        public var conditions: Int
    }

    func candidates(_ table: LeadTable) -> [Candidate] {
        let n = table.rows
        var out: [Candidate] = []
        var seen = Set<[UInt64]>()
        func add(_ condition: SegmentCondition, _ c: Int, _ rows: RowSet) {
            let k = rows.count
            guard k >= minSupport, n - k >= minSupport, seen.insert(rows.words).inserted else { return }
            out.append(Candidate(condition: condition, column: c, rows: rows))
        }
        for (c, col) in table.design.columns.enumerated() {
            switch col.kind {
            case .categorical(let e):
                let groups = e.groups
                var sets = [RowSet](repeating: RowSet(rows: n), count: groups.count)
                for i in 0..<n {
                    let g = Int(table.levels[c][i])
                    if g >= 0 { sets[g].insert(i) }
                }
                for (g, group) in groups.enumerated() {
                    add(SegmentCondition(column: col.name, value: ColumnEncoding.display(group.value)), c, sets[g])
                }
            case .boolean:
                var yes = RowSet(rows: n), no = RowSet(rows: n), missing = RowSet(rows: n)
                for i in 0..<n {
                    let x = table.numbers[c][i]
                    if x.isNaN { missing.insert(i) } else if x == 1 { yes.insert(i) } else { no.insert(i) }
                }
                add(SegmentCondition(column: col.name, value: "yes"), c, yes)
                add(SegmentCondition(column: col.name, value: "no"), c, no)
                add(SegmentCondition(column: col.name, value: ColumnEncoding.missingName), c, missing)
            case .numeric, .shape:
                let values = table.numbers[c]
                var observed = values.filter { !$0.isNaN }
                guard !observed.isEmpty else { continue }
                observed.sort()
                let lo = observed.first!, hi = observed.last!
                var missing = RowSet(rows: n)
                for i in 0..<n where values[i].isNaN { missing.insert(i) }
                add(SegmentCondition(column: col.name, value: ColumnEncoding.missingName), c, missing)
                var cuts: [Double] = []
                for q in [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9] {
                    let t = observed[Int(q * Double(observed.count - 1))]
                    if t < hi && !cuts.contains(t) { cuts.append(t) }
                }
                for t in cuts {
                    var below = RowSet(rows: n), above = RowSet(rows: n)
                    var maxBelow = lo, minAbove = hi
                    for i in 0..<n {
                        let x = values[i]
                        if x.isNaN { continue }
                        if x <= t { below.insert(i); maxBelow = Swift.max(maxBelow, x) } else { above.insert(i); minAbove = Swift.min(minAbove, x) }
                    }
                    add(SegmentCondition(column: col.name, min: lo, max: maxBelow), c, below)
                    add(SegmentCondition(column: col.name, min: minAbove, max: hi), c, above)
                }
            }
        }
        return out
    }

    public func run(_ table: LeadTable) -> Result {
        let n = table.rows
        var rejectedSet = RowSet(rows: n)
        var totalRejected = 0
        for i in 0..<n where table.positive[i] == 0 {
            rejectedSet.insert(i)
            totalRejected += 1
        }
        let p0 = n > 0 ? Double(totalRejected) / Double(n) : 0
        // Expected rejection and its variance per lead, from the model.
        let q = table.probability.map { 1 - $0 }
        let v = table.probability.map { $0 * (1 - $0) }
        let cands = candidates(table)

        func expectation(_ rows: RowSet) -> (Double, Double) {
            var e = 0.0, s = 0.0
            rows.forEach { i in e += q[i]; s += v[i] }
            return (e, s)
        }

        var tested: [Tested] = []
        var index: [[Int]: Int] = [:]
        for (k, cand) in cands.enumerated() {
            let (e, s) = expectation(cand.rows)
            index[[k]] = tested.count
            tested.append(Tested(parts: [k], rows: nil, size: cand.rows.count, rejected: cand.rows.intersectionCount(rejectedSet), expected: e, variance: s))
        }
        if depth >= 2 {
            for a in 0..<cands.count {
                for b in (a + 1)..<cands.count where cands[a].column != cands[b].column {
                    let size = cands[a].rows.intersectionCount(cands[b].rows)
                    guard size >= minSupport else { continue }
                    let rows = cands[a].rows.intersection(cands[b].rows)
                    let (e, s) = expectation(rows)
                    index[[a, b]] = tested.count
                    tested.append(Tested(parts: [a, b], rows: depth >= 3 ? rows : nil, size: size,
                                         rejected: rows.intersectionCount(rejectedSet), expected: e, variance: s))
                }
            }
        }
        if depth >= 3 {
            let pairs = tested.filter { $0.parts.count == 2 }
            for pair in pairs {
                guard let rows = pair.rows else { continue }
                let used = Set(pair.parts.map { cands[$0].column })
                for c in (pair.parts.last! + 1)..<cands.count where !used.contains(cands[c].column) {
                    let size = rows.intersectionCount(cands[c].rows)
                    guard size >= minSupport else { continue }
                    let triple = rows.intersection(cands[c].rows)
                    let (e, s) = expectation(triple)
                    index[pair.parts + [c]] = tested.count
                    tested.append(Tested(parts: pair.parts + [c], rows: nil, size: size,
                                         rejected: triple.intersectionCount(rejectedSet), expected: e, variance: s))
                }
            }
        }

        // Segment tests (against the rest) and gap tests (observed vs expected), each BH-adjusted.
        let segmentP = tested.map { SegmentStatistics.twoProportionP($0.rejected, $0.size, totalRejected - $0.rejected, n - $0.size) }
        let gapZ = tested.map { t in t.variance > 0 ? (Double(t.rejected) - t.expected) / t.variance.squareRoot() : 0 }
        let gapP = gapZ.map { Distributions.twoSidedNormalP($0) }
        let segmentQ = SegmentStatistics.benjaminiHochberg(segmentP)
        let gapQ = SegmentStatistics.benjaminiHochberg(gapP)

        func parents(_ t: Tested) -> [Tested] {
            guard t.parts.count > 1 else { return [] }
            return t.parts.indices.compactMap { drop in
                var p = t.parts
                p.remove(at: drop)
                return index[p].map { tested[$0] }
            }
        }
        func conditions(_ t: Tested) -> [SegmentCondition] { t.parts.map { cands[$0].condition } }
        func rate(_ t: Tested) -> Double { Double(t.rejected) / Double(t.size) }

        // Productivity of longer segments: the largest p-value of "beats the rest of this part" over
        // its parts, Holm-adjusted over every longer segment tested. Family-wise control (not FDR) on
        // purpose: among thousands of pairs, a false "interaction" would send marketing chasing noise.
        var longer: [Int] = []
        var improvementP: [Double] = []
        for (k, t) in tested.enumerated() where t.parts.count > 1 {
            longer.append(k)
            improvementP.append(parents(t).map { g in SegmentStatistics.increaseP(t.rejected, t.size, g.rejected - t.rejected, g.size - t.size) }.max() ?? 1)
        }
        let improvementQ = SegmentStatistics.holm(improvementP)
        var productive = Set<Int>()
        for (j, k) in longer.enumerated() where improvementQ[j] < alpha && parents(tested[k]).allSatisfy({ rate(tested[k]) >= rate($0) + minGain }) {
            productive.insert(k)
        }

        var segments: [Segment] = []
        for (k, t) in tested.enumerated() where rate(t) >= p0 + minGain && segmentQ[k] < alpha {
            guard t.parts.count == 1 || productive.contains(k) else { continue }
            let r = rate(t)
            let ci = SegmentStatistics.wilson(t.rejected, t.size)
            let lift = p0 > 0 ? r / p0 : 0
            let conds = conditions(t)
            segments.append(Segment(
                conditions: conds, size: t.size, rejected: t.rejected, rejectionRate: r, lift: lift, ciLow: ci.low, ciHigh: ci.high,
                pValue: segmentP[k], qValue: segmentQ[k], quality: Double(t.size) / Double(n) * (r - p0),
                headline: "Leads with \(conds.map(\.label).joined(separator: " and ")) are rejected \(fixed(lift, 1))× as often as average (\(pct(r)) vs \(pct(p0)))"))
        }
        segments.sort { $0.quality != $1.quality ? $0.quality > $1.quality : $0.headline < $1.headline }
        segments = SegmentMiner.distinct(segments, \.conditions)

        // The log-odds shift the model misses in a set of leads: logit(O/n) − logit(E/n), with variance
        // ≈ 1 / (n r (1 − r)) by the delta method. A segment says more than a part when its shift
        // differs significantly from the shift in the rest of that part.
        func shift(_ o: Double, _ e: Double, _ n: Double) -> (Double, Double)? {
            guard n > 0 else { return nil }
            let r = min(max(o / n, 0.5 / n), 1 - 0.5 / n)
            let q = min(max(e / n, 1e-9), 1 - 1e-9)
            return (StableMath.logit(r) - StableMath.logit(q), 1 / (n * r * (1 - r)))
        }
        func residualDifferenceP(_ t: Tested, _ g: Tested) -> Double {
            guard let a = shift(Double(t.rejected), t.expected, Double(t.size)),
                  let b = shift(Double(g.rejected - t.rejected), g.expected - t.expected, Double(g.size - t.size)) else { return 1 }
            return Distributions.twoSidedNormalP((a.0 - b.0) / (a.1 + b.1).squareRoot())
        }
        var gaps: [ModelGap] = []
        var strongestSingle: [String: Double] = [:]
        for (k, t) in tested.enumerated() where gapQ[k] < alpha && t.parts.count == 1 {
            let column = cands[t.parts[0]].condition.column
            strongestSingle[column] = Swift.max(strongestSingle[column] ?? 0, abs(gapZ[k]))
        }
        for (k, t) in tested.enumerated() where gapQ[k] < alpha {
            // Kept only when it says more than its parts: its residual differs significantly from the
            // residual of the rest of each part (the pair is not just one part's gap, diluted).
            guard parents(t).allSatisfy({ g in residualDifferenceP(t, g) < alpha }) else { continue }
            // One numeric gap per column: the two sides of a cut tell the same story.
            if t.parts.count == 1, abs(gapZ[k]) < strongestSingle[cands[t.parts[0]].condition.column] ?? 0 { continue }
            let conds = conditions(t)
            let r = rate(t)
            gaps.append(ModelGap(
                conditions: conds, size: t.size, rejectionRate: r, lift: p0 > 0 ? r / p0 : 0, observed: t.rejected, expected: t.expected,
                z: gapZ[k], pValue: gapP[k], qValue: gapQ[k], suggestion: suggestion(conds, table: table, observed: t.rejected, expected: t.expected),
                headline: "\(conds.map(\.label).joined(separator: " and ")): sales rejected \(t.rejected) of \(t.size) where the model expects \(Int(t.expected.rounded())) (\(pct(r)) vs \(pct(t.expected / Double(t.size))))"))
        }
        gaps.sort { abs(Double($0.observed) - $0.expected) > abs(Double($1.observed) - $1.expected) }
        gaps = SegmentMiner.distinct(gaps, \.conditions)

        return Result(overallRejectionRate: p0, segments: Array(segments.prefix(top)), modelGaps: Array(gaps.prefix(top)),
                      tested: tested.count, conditions: cands.count)
    }

    /// Keeps the first (best-ranked) item per signature: the columns, and the level of each categorical
    /// condition. Nested numeric ranges of the same column (≤ 14, ≤ 24, ≤ 32) tell one story once.
    static func distinct<T>(_ items: [T], _ conditions: KeyPath<T, [SegmentCondition]>) -> [T] {
        var seen = Set<[String]>()
        return items.filter { item in
            let signature = item[keyPath: conditions].map { "\($0.column)|\($0.value ?? "range")" }.sorted()
            return seen.insert(signature).inserted
        }
    }

    func suggestion(_ conds: [SegmentCondition], table: LeadTable, observed: Int, expected: Double) -> String {
        let direction = Double(observed) > expected ? "more" : "less"
        if conds.count >= 2 {
            let together = "together they are rejected \(direction) often than their separate effects predict"
            let columns = conds.map(\.column)
            guard columns.count == 2, columns[0] != columns[1] else {
                return "add an interaction term \(conds.map(\.label).joined(separator: " × ")): \(together)"
            }
            if (table.design.interactions ?? []).contains(where: { Set([$0.first.column, $0.second.column]) == Set(columns) }) {
                return "the model's interaction \(columns.joined(separator: " × ")) does not cover \(conds.map(\.label).joined(separator: " × ")): its cells are coarser than this segment, and \(together)"
            }
            // The exact option, quoted for a shell when a name needs it.
            let pair = columns.joined(separator: ":")
            let argument = pair.allSatisfy { $0.isLetter || $0.isNumber || "_.:-".contains($0) } ? pair : "'" + pair.replacingOccurrences(of: "'", with: "'\\''") + "'"
            return "add an interaction term \(conds.map(\.label).joined(separator: " × ")): retrain with train --interaction \(argument) (\(together))"
        }
        let c = conds[0]
        if c.value == nil {
            let range = "\(compact(c.min ?? 0))–\(compact(c.max ?? 0))"
            // A column the model already shapes (a spline or monotone shape) is not to be binned:
            // the gap is a misfit of the shape, which more knots can follow; a straight line gets a spline.
            if case .shape(let shape) = table.design.columns.first(where: { $0.name == c.column })?.kind {
                if case .bins(let b) = shape.basis {
                    return "\(c.column) in \(range) is rejected \(direction) often than its \(b.cuts.count + 1) bins predict: retrain with more bins (train --bins \(b.cuts.count + 6)) or a spline (train --numeric \(c.column)=spline)"
                }
                let knots = if case .spline(let s) = shape.basis { s.knots.count } else { 5 }
                if knots < 7 {
                    return "\(c.column) in \(range) is rejected \(direction) often than its shape predicts: retrain with more knots (train --knots \(knots + 1))"
                }
                return "\(c.column) in \(range) is rejected \(direction) often than its shape predicts, with the most knots a spline takes: it may interact with another column"
            }
            return "\(c.column) is not a straight line: leads in \(range) are rejected \(direction) often than the linear term predicts; retrain with a spline (train --numeric \(c.column)=spline)"
        }
        if c.value == ColumnEncoding.otherName {
            return "the pooled rare levels of \(c.column) differ from each other: lower --min-level-count to give the frequent ones their own term"
        }
        if c.value == ColumnEncoding.missingName {
            return "a missing \(c.column) means something the model does not capture; add a missing indicator or ask why it is missing"
        }
        return "\(c.label) is rejected \(direction) often than the model predicts (the L2 penalty may shrink it, or it interacts with another column)"
    }
}

func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }

func fixed(_ x: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (x * p).rounded() / p
    let whole = Int(r)
    if digits == 0 { return String(whole) }
    let frac = Int((abs(r - Double(whole)) * p).rounded())
    let fs = String(frac)
    return "\(r < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: digits - fs.count))\(fs)"
}
