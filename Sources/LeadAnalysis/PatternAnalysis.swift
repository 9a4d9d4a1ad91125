import LeadModel
import LinearAlgebra

/// Everything `leadscore patterns` finds, in the shape its JSON output has.
public struct PatternReport: Codable, Sendable {
    public var leads: Int
    public var rejected: Int
    public var overallRejectionRate: Double
    public var target: TargetSpec
    public var model: String
    public var minSupport: Int
    public var depth: Int
    public var conditionsTested: Int
    public var segmentsTested: Int
    public var segments: [Segment]
    public var modelGaps: [ModelGap]
    public var reasons: [ReasonModels.Reason]?
    public var recycle: Recycling.Summary
    public var funnel: FunnelTable?
    public var skippedRows: Int
    /// The first rows skipped (file:line:column: message), with --on-error skip.
    public var skippedExamples: [String]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case leads, rejected, target, model, depth, segments, reasons, recycle, funnel, notes
        case overallRejectionRate = "overall_rejection_rate"
        case minSupport = "min_support"
        case conditionsTested = "conditions_tested"
        case segmentsTested = "segments_tested"
        case modelGaps = "model_gaps"
        case skippedRows = "skipped_rows"
        case skippedExamples = "skipped_examples"
    }
}

/// Options of `leadscore patterns`.
public struct PatternOptions: Sendable {
    public var training: TrainingOptions
    public var modelPath: String?
    public var reasonColumn: String?
    public var byColumn: String?
    public var depth = 2
    /// A count (≥ 1) or a fraction of the leads (< 1); at least 30 either way.
    public var minSupport = 0.01
    public var alpha = 0.05
    public var top = 15
    /// A longer segment must beat each of its parts by this much rejection rate.
    public var minGain = 0.05
    public var recycleReasons = ["not_ready"]
    public var recycleMinProbability: Double?
    public var recycleOut: String?

    public init(training: TrainingOptions) { self.training = training }
}

public enum PatternAnalysis {
    /// Runs the whole analysis: the acceptance model (given or fitted), segments, model gaps, reason
    /// models, recycling and the funnel table.
    public static func run(_ options: PatternOptions, progress: (@Sendable (String) -> Void)? = nil) throws -> (PatternReport, Recycling) {
        preferOwnThreadsOverBLAS()
        var notes: [String] = []
        let model: LeadScoreModel
        var modelName: String
        if let path = options.modelPath {
            model = try LeadScoreModel.load(from: path)
            modelName = path
        } else {
            var o = options.training
            o.holdoutFraction = 0
            o.holdoutAfter = nil
            o.holdoutAfterText = nil
            var exclude = Set(o.exclude)
            if let r = options.reasonColumn { exclude.insert(r) }
            if let t = options.training.timeColumn { exclude.insert(t) }
            o.exclude = Array(exclude).sorted()
            o.timeColumn = nil
            o.storesProfile = false
            // The additive model (splines, no searched steps or pairs): its model gaps are what a
            // step or a pair would add, and each names the train option that adds it.
            o.interactionsAuto = false
            o.shapes.numeric = .spline
            var trainer = Trainer(options: o)
            trainer.progress = progress
            progress?("fitting the main-effects model")
            model = try trainer.train().model
            modelName = "main effects fitted on \(options.training.dataPath)"
            notes += model.notices.map { "model: " + $0 }
        }
        var target = model.target
        if target.column != options.training.target || target.positive != options.training.positive {
            notes.append("the model's target is '\(target.column)' = '\(target.positive)'; the file's outcome is read as --target '\(options.training.target)' = '\(options.training.positive)'")
            target = TargetSpec(column: options.training.target, positive: options.training.positive,
                                negatives: options.training.negatives.isEmpty ? target.negatives : options.training.negatives)
        }
        progress?("reading leads")
        var tableOptions = LeadTable.Options(path: options.training.dataPath, target: target)
        tableOptions.delimiter = options.training.delimiter
        tableOptions.idColumn = options.training.idColumn ?? model.idColumn
        tableOptions.reasonColumn = options.reasonColumn
        tableOptions.timeColumn = options.training.timeColumn
        tableOptions.byColumn = options.byColumn
        tableOptions.extraMissing = options.training.extraMissing
        tableOptions.onError = options.training.onError
        let table = try LeadTable.load(tableOptions, model: model)
        guard table.rows > 0 else { throw InputError(file: options.training.dataPath, message: "no usable rows") }

        var miner = SegmentMiner()
        miner.depth = options.depth
        miner.minSupport = max(30, options.minSupport >= 1 ? Int(options.minSupport) : Int((options.minSupport * Double(table.rows)).rounded(.up)))
        miner.alpha = options.alpha
        miner.top = options.top
        miner.minGain = options.minGain
        progress?("mining segments (depth \(options.depth), min support \(miner.minSupport))")
        let mined = miner.run(table)

        var reasons: ReasonModels?
        if options.reasonColumn != nil {
            progress?("fitting reason models")
            reasons = ReasonModels.fit(table, lambda: options.training.penalty == .none ? 0 : options.training.lambda,
                                       minCount: max(10, options.training.minLevelCount), scorecard: model.scorecard)
            if reasons == nil { notes.append("fewer than two reasons among rejected leads: no reason models") }
            let given = Set(table.reasonNames)
            let unknown = options.recycleReasons.filter { !given.contains($0) }
            if !unknown.isEmpty { notes.append("recycle reason(s) never given in the reason column: \(unknown.joined(separator: ", "))") }
        }
        let recycling = Recycling.decide(table, model: model, reasons: reasons, recycleReasons: options.recycleReasons,
                                         threshold: options.recycleMinProbability, hasReasonColumn: options.reasonColumn != nil)
        if let path = options.recycleOut { try recycling.write(to: path) }
        let funnel = FunnelTable.build(table, by: options.byColumn, alpha: options.alpha)
        if options.byColumn != nil && options.training.timeColumn == nil {
            notes.append("--by needs --time COLUMN to build the funnel table by month")
        }
        let rejected = table.positive.reduce(0) { $0 + (1 - Int($1)) }
        let report = PatternReport(
            leads: table.rows, rejected: rejected, overallRejectionRate: mined.overallRejectionRate, target: target, model: modelName,
            minSupport: miner.minSupport, depth: options.depth, conditionsTested: mined.conditions, segmentsTested: mined.tested,
            segments: mined.segments, modelGaps: mined.modelGaps, reasons: reasons?.reasons, recycle: recycling.summary,
            funnel: funnel, skippedRows: table.skippedRows, skippedExamples: table.rowErrors.prefix(10).map(\.description), notes: notes)
        return (report, recycling)
    }
}
