import LeadModel

/// Champion against challenger on the same labelled leads: what `leadscore compare` reports.
///
/// The AUC difference is paired (DeLong with the covariance of the two models' placements on the same
/// leads), so it is far tighter than two separate intervals suggest. Grades are each model's own.
public struct ModelComparison: Codable, Sendable {
    public var old: String
    public var new: String
    public var data: String
    public var leads: Int
    public var oldFigures: ModelEvaluation.Figures
    public var newFigures: ModelEvaluation.Figures
    /// AUC(new) − AUC(old), paired, 95% interval; nil when the leads hold one outcome.
    public var aucDifference: DeLong.Difference?
    public var oldGrades: [ModelEvaluation.GradeRow]
    public var newGrades: [ModelEvaluation.GradeRow]
    /// Leads per (old grade, new grade), rows = old grades best first, columns = new grades.
    public var migration: GradeMigration
    /// Every input column of either model, the largest change of importance first.
    public var drivers: [DriverChange]
    /// Drift of these leads against the old model's training data (nil when it stores no profile).
    public var drift: DriftReport?
    public var verdict: String
    public var notes: [String]

    public struct GradeMigration: Codable, Sendable {
        public var oldGrades: [String]
        public var newGrades: [String]
        public var counts: [[Int]]
        public var changed: Int
        public var changedShare: Double
        /// Leads whose new grade is better (earlier in the list) / worse, when both models have the same grades.
        public var upgraded: Int?
        public var downgraded: Int?
    }

    /// A column's weight in each model on these leads: the mean absolute contribution in log-odds
    /// against the average lead (0 when the model lacks the column).
    public struct DriverChange: Codable, Sendable {
        public var column: String
        public var oldImportance: Double
        public var newImportance: Double
        public var change: Double
        /// "added", "dropped" or "kept".
        public var status: String
    }
}

extension ModelComparison {
    public static func compare(old: ScoredLeads, oldModel: LeadScoreModel, oldName: String,
                               new: ScoredLeads, newModel: LeadScoreModel, newName: String,
                               dataName: String, drift: DriftReport? = nil) -> ModelComparison {
        precondition(old.rows == new.rows, "compare: the two models read a different number of leads")
        let y = new.positive
        var notes: [String] = []
        if old.table.ids != new.table.ids { notes.append("the two models read the leads differently (ids disagree)") }
        let difference = DeLong.difference(old.probability, new.probability, positive: y)
        let oldNames = oldModel.grades.map(\.grade), newNames = newModel.grades.map(\.grade)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: newNames.count), count: oldNames.count)
        var changed = 0, up = 0, down = 0
        for i in 0..<new.rows {
            let a = old.grade[i], b = new.grade[i]
            counts[a][b] += 1
            if oldNames[a] != newNames[b] { changed += 1 }
            if b < a { up += 1 } else if b > a { down += 1 }
        }
        let sameGrades = oldNames == newNames
        let migration = GradeMigration(oldGrades: oldNames, newGrades: newNames, counts: counts, changed: changed,
                                       changedShare: new.rows > 0 ? Double(changed) / Double(new.rows) : 0,
                                       upgraded: sameGrades ? up : nil, downgraded: sameGrades ? down : nil)
        let drivers = driverChanges(old: old, oldModel: oldModel, new: new, newModel: newModel)
        if !sameGrades { notes.append("the models have different grades: a change of grade is a change of name") }
        var c = ModelComparison(old: oldName, new: newName, data: dataName, leads: new.rows,
                                oldFigures: ModelEvaluation.figures(old.probability, y), newFigures: ModelEvaluation.figures(new.probability, y),
                                aucDifference: difference,
                                oldGrades: ModelEvaluation.gradeRows(old, model: oldModel), newGrades: ModelEvaluation.gradeRows(new, model: newModel),
                                migration: migration, drivers: drivers, drift: drift, verdict: "", notes: notes)
        c.verdict = c.makeVerdict()
        return c
    }

    static func meanAbsoluteContribution(_ leads: ScoredLeads, _ model: LeadScoreModel) -> [String: Double] {
        let explainer = Explainer(model: model)
        var result: [String: Double] = [:]
        for (c, column) in model.design.columns.enumerated() {
            var s = 0.0
            for i in 0..<leads.rows { s += abs(explainer.contribution(column: c, leads.table.value(i, column: c))) }
            result[column.name] = leads.rows > 0 ? s / Double(leads.rows) : 0
        }
        return result
    }

    static func driverChanges(old: ScoredLeads, oldModel: LeadScoreModel, new: ScoredLeads, newModel: LeadScoreModel) -> [DriverChange] {
        let a = meanAbsoluteContribution(old, oldModel), b = meanAbsoluteContribution(new, newModel)
        var names = newModel.design.columns.map(\.name)
        for n in oldModel.design.columns.map(\.name) where !names.contains(n) { names.append(n) }
        return names.map { n in
            DriverChange(column: n, oldImportance: a[n] ?? 0, newImportance: b[n] ?? 0, change: (b[n] ?? 0) - (a[n] ?? 0),
                         status: a[n] == nil ? "added" : b[n] == nil ? "dropped" : "kept")
        }.sorted { abs($0.change) != abs($1.change) ? abs($0.change) > abs($1.change) : $0.column < $1.column }
    }

    /// One sentence: which model ranks better (when the paired interval excludes 0), how many leads
    /// change grade, and the biggest driver change or the worst drift.
    func makeVerdict() -> String {
        var parts: [String] = []
        if let d = aucDifference {
            let figure = "AUC \(Self.signed(d.difference)) [\(Self.signed(d.low)), \(Self.signed(d.high))]"
            if d.low > 0 { parts.append("NEW ranks better: \(figure)") }
            else if d.high < 0 { parts.append("OLD ranks better: \(figure)") }
            else { parts.append("no significant difference in ranking: \(figure)") }
        } else {
            parts.append("no AUC: the leads hold one outcome")
        }
        parts.append("\(Int((migration.changedShare * 100).rounded()))% of leads change grade")
        if let worst = drift?.columns.filter({ ($0.psi ?? 0) >= DriftReport.moderate }).max(by: { ($0.psi ?? 0) < ($1.psi ?? 0) }) {
            parts.append("\(worst.column) drifted (PSI \(Self.fixed(worst.psi ?? 0, 2)))")
        } else if let top = drivers.first, abs(top.change) >= 0.01 {
            switch top.status {
            case "added": parts.append("\(top.column) is new in NEW")
            case "dropped": parts.append("\(top.column) is gone from NEW")
            default: parts.append("\(top.column) changed most (importance \(Self.fixed(top.oldImportance, 2)) → \(Self.fixed(top.newImportance, 2)))")
            }
        }
        return parts.joined(separator: "; ")
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        let scale = [1.0, 10, 100, 1000, 10000][min(digits, 4)]
        let r = (abs(x) * scale).rounded() / scale
        var s = "\(Int(r))"
        if digits > 0 {
            let frac = Int(((r - r.rounded(.down)) * scale).rounded())
            let f = String(frac)
            s += "." + String(repeating: "0", count: max(0, digits - f.count)) + f
        }
        return (x < 0 && r > 0 ? "-" : "") + s
    }

    static func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + fixed(x, 3) }
}
