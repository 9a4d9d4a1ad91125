import LeadModel

/// Labelled leads of one file scored by one model exactly as `leadscore score` scores them: the
/// probability, log-odds, 0–100 score and grade of each, its outcome, and its `--by` level.
public struct ScoredLeads: Sendable {
    /// The leads as read (values, outcome, id, `--by` level, month).
    public var table: LeadTable
    public var logOdds: [Double]
    public var probability: [Double]
    public var score: [Double]
    /// Index into the model's grades (best first).
    public var grade: [Int]

    public var rows: Int { table.rows }
    public var positive: [UInt8] { table.positive }

    /// Scores `table`'s leads with `model` through the compiled scorer `score` uses; a lead's grade is
    /// the first whose `min_score` its score reaches, else the last, as in `score`.
    public init(table: LeadTable, model: LeadScoreModel) {
        self.table = table
        let compiled = CompiledScorer(model: model)
        let floors = model.grades.map(\.minScore)
        var eta = [Double](), p = [Double](), s = [Double](), g = [Int]()
        eta.reserveCapacity(table.rows)
        for i in 0..<table.rows {
            let values = table.values(i)
            let x = values.withUnsafeBufferPointer { compiled.logOdds($0) }
            let score = model.scorecard.score(logOdds: x)
            eta.append(x)
            p.append(StableMath.sigmoid(x))
            s.append(score)
            g.append(floors.firstIndex { score >= $0 } ?? max(floors.count - 1, 0))
        }
        logOdds = eta
        probability = p
        self.score = s
        grade = g
    }

    /// Reads `path` (with `options`) and scores it with `model`; the outcome defaults to the model's.
    public static func load(_ options: LeadTable.Options, model: LeadScoreModel) throws -> ScoredLeads {
        ScoredLeads(table: try LeadTable.load(options, model: model), model: model)
    }
}
