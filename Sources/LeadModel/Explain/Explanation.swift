#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Why one lead scored what it did: per-column contributions against the average training lead.
///
/// For a linear model with independent features this is the exact (linear) SHAP decomposition:
/// column c contributes Σ_{t∈c} β_t (x_t − x̄_t), where x̄ are the training term means. Hence
/// `base_log_odds + Σ contributions = log_odds` exactly, and the same in points (× factor), since
/// points are affine in log-odds. A categorical column's contribution is its level's coefficient minus
/// the frequency-weighted mean of its levels' coefficients; a missing indicator folds into its column.
public struct LeadExplanation: Codable, Sendable {
    public var id: String
    public var probability: Double
    public var logOdds: Double
    /// The reported 0–100 score (clamped, one decimal) and the unclamped points that add up.
    public var score: Double
    public var points: Double
    public var grade: String
    public var baseLogOdds: Double
    public var baseScore: Double
    /// Sorted by effect: most negative first.
    public var contributions: [Contribution]
    /// Single-column changes (to levels held by ≥1% of training leads, or numeric quartiles/deciles) that would raise the score most.
    public var improvements: [Improvement]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case id, probability, score, points, grade, contributions, notes
        case logOdds = "log_odds"
        case baseLogOdds = "base_log_odds"
        case baseScore = "base_score"
        case improvements = "what_would_raise"
    }

    /// Numbers that are not finite (a lead whose values overflow the model) are written as null,
    /// with a note saying why: JSON has no infinity.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeFinite(probability, forKey: .probability)
        try c.encodeFinite(logOdds, forKey: .logOdds)
        try c.encodeFinite(score, forKey: .score)
        try c.encodeFinite(points, forKey: .points)
        try c.encode(grade, forKey: .grade)
        try c.encodeFinite(baseLogOdds, forKey: .baseLogOdds)
        try c.encodeFinite(baseScore, forKey: .baseScore)
        try c.encode(contributions, forKey: .contributions)
        try c.encode(improvements, forKey: .improvements)
        try c.encode(notes, forKey: .notes)
    }
}


/// One column's push on the score.
public struct Contribution: Codable, Sendable, Equatable {
    public var column: String
    /// The lead's value as given (trimmed; "" when missing).
    public var value: String
    public var logOdds: Double
    public var points: Double
    /// Stable machine code: `column=level` for categories and booleans, `column:high`/`column:low`
    /// for numbers above/below the training mean, `column:missing`.
    public var code: String
    /// The same for a person.
    public var reason: String
    /// For a collinear group shown on one line (`LeadScoreModel.collinearGroups`): its columns'
    /// own contributions, which add up to this one's.
    public var members: [Contribution]? = nil

    enum CodingKeys: String, CodingKey {
        case column, value, points, code, reason, members
        case logOdds = "log_odds"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(column, forKey: .column)
        try c.encode(value, forKey: .value)
        try c.encodeFinite(logOdds, forKey: .logOdds)
        try c.encodeFinite(points, forKey: .points)
        try c.encode(code, forKey: .code)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(members, forKey: .members)
    }
}

/// "Change lead_source from cold_list to referral: +22 points."
public struct Improvement: Codable, Sendable, Equatable {
    public var column: String
    public var from: String
    public var to: String
    public var points: Double
    public var newScore: Double
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case column, from, to, points, reason
        case newScore = "new_score"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(column, forKey: .column)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encodeFinite(points, forKey: .points)
        try c.encodeFinite(newScore, forKey: .newScore)
        try c.encode(reason, forKey: .reason)
    }
}

/// Computes explanations and reason codes from a model.
public struct Explainer: Sendable {
    public let model: LeadScoreModel
    private let means: [Double]
    /// Σ_t β_t x̄_t per column: the average lead's log-odds from that column.
    private let columnBase: [Double]
    /// The same per interaction (`Design.interactions`): Σ_t β_t x̄_t over its terms.
    private let interactionBase: [Double]
    public let baseLogOdds: Double

    public init(model: LeadScoreModel) {
        self.model = model
        let beta = model.coefficients.terms
        let means = model.design.termMeans ?? [Double](repeating: 0, count: beta.count)
        self.means = means
        columnBase = model.design.columns.map { col in col.terms.reduce(0) { $0 + beta[$1] * means[$1] } }
        interactionBase = (model.design.interactions ?? []).map { i in i.terms.reduce(0) { $0 + beta[$1] * means[$1] } }
        baseLogOdds = model.coefficients.intercept + columnBase.reduce(0, +) + interactionBase.reduce(0, +)
    }

    /// The log-odds interaction `k` adds against the average lead, for a row of `values`: its cell
    /// pair's coefficient (0 for a pair without a term) minus the average lead's.
    @inline(__always)
    public func interactionContribution(_ k: Int, _ values: [ResolvedValue]) -> Double {
        let i = model.design.interactions![k]
        return (i.term(values).map { model.coefficients.terms[$0] } ?? 0) - interactionBase[k]
    }

    /// What changing column `c` to `candidate` changes in the interactions that hold it (log-odds).
    func interactionGain(column c: Int, to candidate: ResolvedValue, _ values: [ResolvedValue]) -> Double {
        guard let interactions = model.design.interactions else { return 0 }
        var changed = values
        changed[c] = candidate
        var gain = 0.0
        for (k, i) in interactions.enumerated() where i.first.columnIndex == c || i.second.columnIndex == c {
            gain += interactionContribution(k, changed) - interactionContribution(k, values)
        }
        return gain
    }

    /// The log-odds column `c` adds against the average lead, for `value`.
    @inline(__always)
    public func contribution(column c: Int, _ value: ResolvedValue) -> Double {
        model.coefficients.terms.withUnsafeBufferPointer { beta in
            model.design.columns[c].logOdds(value, beta: beta) - columnBase[c]
        }
    }

    /// A contribution must cost at least this many points to be given as a reason: smaller ones are
    /// noise a sales rep should not chase.
    public static let minimumReasonPoints = 0.5

    /// The machine codes of the `k` contributions that pull the score down most by at least
    /// `minimumReasonPoints` (fewer when fewer columns do), for `score --reasons K`.
    public func reasonCodes(_ values: [ResolvedValue], raw: (Int) -> String, k: Int) -> [String] {
        var worst: [(Double, Int)] = []
        let threshold = -Explainer.minimumReasonPoints / model.scorecard.factor
        for c in 0..<values.count {
            let v = contribution(column: c, values[c])
            if v <= threshold { worst.append((v, c)) }
        }
        // Interactions after the columns (index columns + k), as `CompiledScorer` orders them.
        for k in (model.design.interactions ?? []).indices {
            let v = interactionContribution(k, values)
            if v <= threshold { worst.append((v, values.count + k)) }
        }
        worst.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return worst.prefix(k).map { $0.1 >= values.count
            ? model.design.interactions![$0.1 - values.count].code(values) : code(column: $0.1, values[$0.1], raw: raw($0.1)) }
    }

    /// Columns that nearly determine each other are shown on one line: their effects are poorly
    /// separated (a lead can get +49 from one and −24 from its twin), their sum is well determined.
    /// The line's column is the members' names joined by " + ", its points their sum; `members`
    /// keeps each one's own contribution.
    static func groupingCollinear(_ parts: [Contribution], groups: [DesignDiagnostics.CollinearGroup],
                                  factor: Double) -> [Contribution] {
        var out = parts
        for group in groups {
            let members = out.filter { group.columns.contains($0.column) }
            guard members.count >= 2 else { continue }
            out.removeAll { group.columns.contains($0.column) }
            let logOdds = members.reduce(0) { $0 + $1.logOdds }
            let names = members.map(\.column)
            out.append(Contribution(
                column: names.joined(separator: " + "), value: members.map(\.value).joined(separator: ", "),
                logOdds: logOdds, points: logOdds * factor, code: "group:" + names.joined(separator: "+"),
                reason: "\(names.joined(separator: ", ")) move together (collinear), so only their joint effect is reliable: \(signedPoints(logOdds * factor)) points",
                members: members))
        }
        return out
    }

    /// The full explanation of one lead. `raw(c)` is the lead's text for design column `c`.
    public func explain(id: String, values: [ResolvedValue], raw: (Int) -> String, improvements k: Int = 3) -> LeadExplanation {
        let sc = model.scorecard
        var contributions: [Contribution] = []
        var eta = baseLogOdds
        for (c, value) in values.enumerated() {
            let v = contribution(column: c, value)
            eta += v
            let text = raw(c)
            contributions.append(Contribution(column: model.design.columns[c].name, value: text, logOdds: v,
                                              points: v * sc.factor, code: code(column: c, value, raw: text),
                                              reason: reason(column: c, value, raw: text, points: v * sc.factor)))
        }
        // An interaction is one more additive line: its cell pair's effect against the average lead's.
        for (k, i) in (model.design.interactions ?? []).enumerated() {
            let v = interactionContribution(k, values)
            eta += v
            let code = i.code(values)
            contributions.append(Contribution(column: i.name, value: raw(i.first.columnIndex) + " × " + raw(i.second.columnIndex),
                                              logOdds: v, points: v * sc.factor, code: code,
                                              reason: "\(code): \(signedPoints(v * sc.factor)) points against the average lead"))
        }
        contributions = Explainer.groupingCollinear(contributions, groups: model.collinearGroups ?? [], factor: sc.factor)
        // The log-odds the scorer computes, for the headline numbers (equal to eta up to rounding).
        let logOdds = model.logOdds(values)
        // NaN (a lead whose values overflow) sorts last, so the order stays a strict weak ordering.
        func key(_ x: Double) -> Double { x.isNaN ? .infinity : x }
        contributions.sort { key($0.logOdds) != key($1.logOdds) ? key($0.logOdds) < key($1.logOdds) : $0.column < $1.column }
        let score = sc.score(logOdds: logOdds)
        var notes: [String] = []
        for (c, value) in values.enumerated() {
            let col = model.design.columns[c]
            switch value {
            case .unseen:
                let treatment = col.categorical?.unseen == .other ? "the pooled rare levels" : "the average level"
                notes.append(raw(c).isEmpty
                             ? "\(col.name) is missing, which never happened in training: scored as \(treatment)"
                             : "\(col.name) '\(raw(c))' was not seen in training: scored as \(treatment)")
            case .number(let x):
                if case .numeric(let e) = col.kind, let lo = e.minimum, let hi = e.maximum, x < lo || x > hi {
                    notes.append("\(col.name) \(compact(x)) is outside the training range \(compact(lo))–\(compact(hi)): its contribution is extrapolated from a straight line")
                }
                if case .shape(let e) = col.kind, x < e.minimum || x > e.maximum {
                    notes.append("\(col.name) \(compact(x)) is outside the training range \(compact(e.minimum))–\(compact(e.maximum)): scored as \(compact(x < e.minimum ? e.minimum : e.maximum)), the most extreme training value on that side")
                }
            case .missing where col.numeric.map { $0.missingTerm == nil } ?? false:
                notes.append("\(col.name) is missing, which never happened in training: imputed at the training mean")
            case .missing:
                if case .shape(let e) = col.kind, e.missingTerm == nil {
                    notes.append("\(col.name) is missing, and training had too few missing values for their own term: scored as the average lead")
                }
            default:
                break
            }
        }
        if !logOdds.isFinite || contributions.contains(where: { !$0.logOdds.isFinite }) {
            notes.append("the lead's values are too large for the model: its log-odds is \(compact(logOdds)), so numbers that are not finite are shown as inf or nan (null in JSON)")
        }
        return LeadExplanation(id: id, probability: StableMath.sigmoid(logOdds), logOdds: logOdds, score: score,
                               points: sc.points(logOdds: logOdds), grade: model.grade(score: score), baseLogOdds: baseLogOdds,
                               baseScore: sc.points(logOdds: baseLogOdds), contributions: contributions,
                               improvements: improvementsFor(values, raw: raw, logOdds: logOdds, k: k), notes: notes)
    }

    // MARK: - Codes and sentences

    public func code(column c: Int, _ value: ResolvedValue, raw: String) -> String {
        let col = model.design.columns[c]
        if value == .missing { return "\(col.name):missing" }
        switch (col.kind, value) {
        case (.categorical(let e), .level(let g)):
            return "\(col.name)=\(ColumnEncoding.display(e.groups[g].value))"
        case (.categorical(let e), _):
            return "\(col.name)=\(e.unseen == .other ? ColumnEncoding.otherName : "(unseen)")"
        case (.boolean, .number(let x)):
            return "\(col.name)=\(x == 1 ? "yes" : "no")"
        case (.numeric(let e), .number(let x)):
            return e.standardization.isHigh(x) ? "\(col.name):high" : "\(col.name):low"
        case (.shape(let e), .number(let x)):
            // As for a straight line: high = at or above the training mean of the column.
            return x >= e.average ? "\(col.name):high" : "\(col.name):low"
        case (.numeric, _), (.boolean, _), (.shape, _):
            return "\(col.name):missing"
        }
    }

    func reason(column c: Int, _ value: ResolvedValue, raw: String, points: Double) -> String {
        let col = model.design.columns[c]
        let effect = "\(signedPoints(points)) points against the average lead"
        switch (col.kind, value) {
        case (.categorical(let e), .level(let g)):
            let level = e.groups[g].value
            if level.isEmpty { return "\(col.name) is missing: \(effect)" }
            if level == ColumnEncoding.otherName { return "\(col.name) is \(raw), a rare value: \(effect)" }
            return "\(col.name) is \(level): \(effect)"
        case (.categorical, .unseen):
            if raw.isEmpty { return "\(col.name) is missing: \(effect)" }
            return "\(col.name) is \(raw), never seen in training: \(effect)"
        case (_, .missing), (.categorical, _):
            return "\(col.name) is missing: \(effect)"
        case (.boolean, .number(let x)):
            return "\(col.name) is \(x == 1 ? "yes" : "no"): \(effect)"
        case (.shape(let e), .number(let x)):
            let capped = x > e.maximum ? " (scored as the training maximum \(compact(e.maximum)))"
                : x < e.minimum ? " (scored as the training minimum \(compact(e.minimum)))" : ""
            return "\(col.name) \(raw)\(capped), average \(compact(e.average)): \(effect)"
        case (.numeric(let e), .number):
            return "\(col.name) \(raw), average \(compact(e.mean)): \(effect)"
        case (.numeric, _), (.boolean, _), (.shape, _):
            return "\(col.name): \(effect)"
        }
    }

    // MARK: - What would raise it

    func improvementsFor(_ values: [ResolvedValue], raw: (Int) -> String, logOdds: Double, k: Int) -> [Improvement] {
        let sc = model.scorecard
        var best: [Improvement] = []
        for (c, value) in values.enumerated() {
            let col = model.design.columns[c]
            let current = contribution(column: c, value)
            var candidates: [(ResolvedValue, String)] = []
            switch col.kind {
            case .categorical(let e):
                // Only levels common enough to be worth asking for: at least 1% of training leads.
                let total = e.groups.reduce(0) { $0 + $1.count }
                for (g, group) in e.groups.enumerated()
                where group.value != ColumnEncoding.otherName && !group.value.isEmpty && Double(group.count) >= 0.01 * Double(total) {
                    candidates.append((.level(g), group.value))
                }
            case .boolean(let e):
                // Only a value held by at least 1% of training leads (the mean is the share of yes).
                if e.mean >= 0.01 { candidates.append((.number(1), "yes")) }
                if e.mean <= 0.99 { candidates.append((.number(0), "no")) }
            case .shape(let e):
                for (q, label) in zip(e.quantiles ?? [], ["10th", "25th", "50th", "75th", "90th"]) {
                    candidates.append((.number(q), "\(compact(q)) (\(label) percentile)"))
                }
            case .numeric(let e):
                for (q, label) in zip(e.quantiles ?? [], ["10th", "25th", "50th", "75th", "90th"]) {
                    candidates.append((.number(q), "\(compact(q)) (\(label) percentile)"))
                }
            }
            var top: (gain: Double, to: String)?
            for (candidate, label) in candidates where candidate != value {
                let gain = contribution(column: c, candidate) - current + interactionGain(column: c, to: candidate, values)
                if gain > 1e-9 && gain > (top?.gain ?? 0) { top = (gain, label) }
            }
            if let top {
                let from = raw(c).isEmpty ? ColumnEncoding.missingName : raw(c)
                let points = top.gain * sc.factor
                best.append(Improvement(column: col.name, from: from, to: top.to, points: points,
                                        newScore: sc.score(logOdds: logOdds + top.gain),
                                        reason: "\(col.name) \(from) → \(top.to): \(signedPoints(points)) points"))
            }
        }
        best.sort { $0.points != $1.points ? $0.points > $1.points : $0.column < $1.column }
        return Array(best.prefix(k))
    }
}

/// "+12.3" / "-4.0"; beyond ±1e15 in scientific notation ("+2.4e+18"), and "+inf" / "nan" for values
/// that are not finite. Never traps, whatever the value (no integer conversion of a computed number).
public func signedPoints(_ p: Double) -> String {
    guard p.isFinite else { return p.isNaN ? "nan" : (p < 0 ? "-inf" : "+inf") }
    let r = (p * 10).rounded() / 10
    if abs(r) >= 1e15 { return (r < 0 ? "-" : "+") + formatted(abs(r), "%.2g") }
    return (r < 0 ? "-" : "+") + formatted(abs(r), "%.1f")
}

/// A number for a sentence: integers without a point, others with up to 3 significant decimals;
/// "inf" / "nan" for values that are not finite.
public func compact(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    return formatted(x, "%.3g")
}

/// `x` through a printf format, without Foundation.
func formatted(_ x: Double, _ format: String) -> String {
    var text = [CChar](repeating: 0, count: 48)
    _ = withVaList([x]) { vsnprintf(&text, 48, format, $0) }
    return String(cString: text)
}
