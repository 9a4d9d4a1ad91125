import Foundation
import LeadAnalysis
import LeadData
import LeadModel

/// Everything the monthly report shows, gathered from the model, recent labelled leads and the
/// previous model: the figures of `evaluate`, `patterns`, `drift` and `compare`, computed by them.
public struct ReportContent: Sendable {
    public var modelPath: String
    public var model: LeadScoreModel
    public var dataPath: String?
    public var previousPath: String?
    /// The lowest grade handed to sales (grades from the first to this one go to sales).
    public var handoffGrade: String
    public var evaluation: ModelEvaluation?
    /// ROC curve points (false positive rate, true positive rate), at most ~200.
    public var roc: [RocPoint]
    public var patterns: PatternReport?
    public var drift: DriftReport?
    public var comparison: ModelComparison?
    /// Per numeric column: the points it adds at training quantiles (the shape of its effect).
    public var shapes: [Shape]
    /// Per categorical column: the points each level group adds (the most frequent 15).
    public var levelEffects: [LevelEffects]
    public var generatedAt: String
    public var notes: [String]

    public struct RocPoint: Sendable {
        public var falsePositiveRate: Double
        public var truePositiveRate: Double
        public var probability: Double
    }

    public struct Shape: Sendable {
        public var column: String
        /// (value, points against the average lead).
        public var points: [(value: Double, points: Double)]
    }

    public struct LevelEffects: Sendable {
        public var column: String
        /// (level, training leads, points against the average lead), most frequent first.
        public var levels: [(level: String, count: Int, points: Double)]
    }

    public struct Options: Sendable {
        public var modelPath: String
        public var dataPath: String?
        public var previousPath: String?
        public var reasonColumn: String?
        public var byColumn: String?
        public var handoffGrade: String?
        public var delimiter: UInt8 = UInt8(ascii: ",")
        public var extraMissing: [String] = []
        public var skipBadRows = false
        public var generatedAt: String

        public init(modelPath: String, generatedAt: String) {
            self.modelPath = modelPath
            self.generatedAt = generatedAt
        }
    }

    /// Loads the model and, with recent data, evaluates it, mines rejection patterns, measures drift
    /// and compares it with the previous model.
    public static func gather(_ o: Options, progress: (@Sendable (String) -> Void)? = nil) throws -> ReportContent {
        let model = try LeadScoreModel.load(from: o.modelPath)
        var notes: [String] = []
        let handoff = o.handoffGrade ?? (model.grades.count > 1 ? model.grades[1].grade : model.grades.first?.grade ?? "")
        guard model.grades.contains(where: { $0.grade == handoff }) else {
            throw InputError(file: o.modelPath, message: "--handoff-grade '\(handoff)' is not one of the model's grades (\(model.grades.map(\.grade).joined(separator: ", ")))")
        }
        var content = ReportContent(modelPath: o.modelPath, model: model, dataPath: o.dataPath, previousPath: o.previousPath,
                                    handoffGrade: handoff, evaluation: nil, roc: [], patterns: nil, drift: nil, comparison: nil,
                                    shapes: [], levelEffects: [], generatedAt: o.generatedAt, notes: [])
        let profile = model.trainingProfile
        content.shapes = shapes(model, profile: profile)
        content.levelEffects = levelEffects(model)
        guard let data = o.dataPath else {
            notes.append("no recent leads given (--data): quality curves, patterns and drift need them; the figures shown are the model's own from training")
            content.notes = notes
            return content
        }
        let header = try CSVReader(path: data, delimiter: o.delimiter).readHeader()
        var tableOptions = LeadTable.Options(path: data, target: model.target)
        tableOptions.delimiter = o.delimiter
        tableOptions.extraMissing = o.extraMissing
        tableOptions.skipBadRows = o.skipBadRows
        tableOptions.idColumn = model.idColumn.flatMap { header.contains($0) ? $0 : nil }
        progress?("evaluating the model")
        let leads = try ScoredLeads.load(tableOptions, model: model)
        content.evaluation = ModelEvaluation.evaluate(leads, model: model, modelName: o.modelPath, dataName: data, target: model.target)
        content.roc = rocCurve(leads.probability, leads.positive)

        let reason = o.reasonColumn ?? model.schema.first { $0.role == .excluded && $0.name.lowercased().contains("reason") && header.contains($0.name) }?.name
        let time = model.provenance.timeColumn.flatMap { header.contains($0) ? $0 : nil }
        let by = o.byColumn ?? (header.contains("lead_source") ? "lead_source"
            : model.inference.columns.first { $0.type == .categorical }?.column)
        progress?("mining rejection patterns")
        var training = TrainingOptions(dataPath: data, target: model.target.column, positive: model.target.positive)
        training.negatives = model.target.negatives
        training.idColumn = tableOptions.idColumn
        training.delimiter = o.delimiter
        training.extraMissing = o.extraMissing
        training.onError = o.skipBadRows ? .skip : .fail
        training.timeColumn = time
        var p = PatternOptions(training: training)
        p.modelPath = o.modelPath
        p.reasonColumn = reason
        p.byColumn = time == nil ? nil : by
        p.top = 10
        content.patterns = try PatternAnalysis.run(p).0
        if time == nil { notes.append("the data has no time column: no rejection rate by month") }

        if let profile {
            progress?("measuring drift")
            let unlabelled = try ProfiledLeads.load(path: data, model: model, delimiter: o.delimiter, extraMissing: o.extraMissing, skipBadRows: o.skipBadRows)
            content.drift = DriftReport.measure(unlabelled, profile: profile, model: model, modelName: o.modelPath, dataName: data)
        } else {
            notes.append("the model stores no training profile (trained before LeadScore kept one): no drift figures")
        }
        if let previousPath = o.previousPath {
            progress?("comparing with the previous model")
            let previous = try LeadScoreModel.load(from: previousPath)
            var previousOptions = tableOptions
            previousOptions.idColumn = tableOptions.idColumn
            let old = try ScoredLeads.load(previousOptions, model: previous)
            var drift: DriftReport?
            if let previousProfile = previous.trainingProfile {
                let unlabelled = try ProfiledLeads.load(path: data, model: previous, delimiter: o.delimiter, extraMissing: o.extraMissing, skipBadRows: o.skipBadRows)
                drift = DriftReport.measure(unlabelled, profile: previousProfile, model: previous, modelName: previousPath, dataName: data)
            }
            if old.rows == leads.rows {
                content.comparison = ModelComparison.compare(old: old, oldModel: previous, oldName: previousPath, new: leads, newModel: model,
                                                             newName: o.modelPath, dataName: data, drift: drift)
            } else {
                notes.append("the previous model could not read the same leads (\(old.rows) against \(leads.rows)): no comparison")
            }
        }
        content.notes = notes
        return content
    }

    /// The ROC curve, thinned to about 200 points (every distinct threshold when fewer).
    static func rocCurve(_ p: [Double], _ y: [UInt8]) -> [RocPoint] {
        let m = Double(y.reduce(0) { $0 + Int($1) }), n = Double(y.count) - m
        guard m > 0, n > 0 else { return [] }
        let order = p.indices.sorted { p[$0] > p[$1] }
        var points = [RocPoint(falsePositiveRate: 0, truePositiveRate: 0, probability: 1)]
        var tp = 0.0, fp = 0.0, i = 0
        let step = max(1, order.count / 200)
        var sinceLast = 0
        while i < order.count {
            let v = p[order[i]]
            while i < order.count && p[order[i]] == v {
                if y[order[i]] != 0 { tp += 1 } else { fp += 1 }
                i += 1
                sinceLast += 1
            }
            if sinceLast >= step || i == order.count {
                points.append(RocPoint(falsePositiveRate: fp / n, truePositiveRate: tp / m, probability: v))
                sinceLast = 0
            }
        }
        return points
    }

    /// Each categorical column's level groups with the points they add, in driver order.
    static func levelEffects(_ model: LeadScoreModel) -> [LevelEffects] {
        let explainer = Explainer(model: model)
        let factor = model.scorecard.factor
        var result: [LevelEffects] = []
        for (c, column) in model.design.columns.enumerated() {
            guard let groups = column.categorical?.groups else { continue }
            let levels = groups.indices.sorted { groups[$0].count > groups[$1].count }.prefix(15).map { g in
                (level: groups[g].value.isEmpty ? "(missing)" : groups[g].value, count: groups[g].count,
                 points: factor * explainer.contribution(column: c, .level(g)))
            }
            result.append(LevelEffects(column: column.name, levels: Array(levels)))
        }
        let order = model.inference.columns.map(\.column)
        return result.sorted { (order.firstIndex(of: $0.column) ?? .max) < (order.firstIndex(of: $1.column) ?? .max) }
    }

    /// Each numeric column's points (against the average lead) at its training deciles (the stored
    /// profile) or, without one, at its minimum, stored quantiles and maximum.
    static func shapes(_ model: LeadScoreModel, profile: TrainingProfile?) -> [Shape] {
        let explainer = Explainer(model: model)
        let factor = model.scorecard.factor
        var result: [Shape] = []
        for (c, column) in model.design.columns.enumerated() where column.type == .numeric {
            // Any numeric kind (a line, a spline, a monotone shape): its points where training leads were.
            var xs = profile?.columns.first { $0.name == column.name }?.bins?.edges ?? []
            if let numeric = column.numeric {
                if xs.count < 2 { xs = numeric.quantiles ?? [] }
                if let lo = numeric.minimum { xs.insert(lo, at: 0) }
                if let hi = numeric.maximum { xs.append(hi) }
            }
            xs = Array(Set(xs.filter(\.isFinite))).sorted()
            guard xs.count >= 2 else { continue }
            result.append(Shape(column: column.name, points: xs.map { (value: $0, points: factor * explainer.contribution(column: c, .number($0))) }))
        }
        let order = model.inference.columns.map(\.column)
        return result.sorted { (order.firstIndex(of: $0.column) ?? .max) < (order.firstIndex(of: $1.column) ?? .max) }
    }
}
