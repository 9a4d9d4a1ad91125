/// Everything `leadscore train` can be told. Defaults are the documented ones.
public struct TrainingOptions: Sendable {
    public enum Penalty: String, Sendable, CaseIterable { case l2, none }
    public enum ClassWeight: String, Sendable, CaseIterable { case none, balanced }

    public var dataPath: String
    public var target: String
    public var positive: String
    /// Values meaning "not positive"; empty means "the one other value in the column".
    public var negatives: [String] = []
    public var idColumn: String?
    public var exclude: [String] = []
    /// Column type overrides (`--type plan=categorical`).
    public var types: [String: ColumnType] = [:]
    public var extraMissing: [String] = []
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Levels seen fewer times than this are pooled into `(other)`.
    public var minLevelCount = 10
    /// How numeric columns enter the model (`--numeric`, `--knots`, `--monotone`).
    public var shapes = ShapeOptions()
    /// Interactions between two columns (`--interaction A:B`), in the order given.
    public var interactions: [InteractionPair] = []
    /// `--interactions auto` (the default): search for more pairs (`InteractionSearch`).
    public var interactionsAuto = true
    /// The user asked for the searches (`--interactions auto`, `--numeric auto`) by name: a search
    /// that too few rows rule out is then a notice (a default that does not apply is not).
    public var searchesAsked = false
    /// The search's sample above this many training rows (`InteractionSearch.sampleRows`; smaller in tests).
    public var interactionSampleRows = InteractionSearch.sampleRows
    /// The share of the margin a pair must gain with the rest held fixed to be refitted
    /// (`InteractionSearch.refitShare`; −∞ in tests refits every pair).
    public var interactionRefitShare = InteractionSearch.refitShare
    /// The cuts each searched pair is judged with (both by default; one in tests that compare).
    public var interactionCuts: [InteractionCells] = [.coarse, .fine]
    /// A categorical column with more distinct values than this is taken for an identifier and dropped.
    public var maxLevels = 10_000
    public var penalty: Penalty = .l2
    /// L2 strength on the standardized terms; scikit-learn's C = 1/lambda (unit weights). Setting it
    /// fixes λ (turns `lambdaAuto` off), as `--lambda X` does.
    public var lambda = 1.0 { didSet { lambdaAuto = false } }
    /// `--lambda auto` (the default): λ chosen on the training rows by cross-validated deviance
    /// (`LambdaSearch`: `folds` stratified folds from `seed`, `lambdaRule`).
    public var lambdaAuto = true
    public var folds = LambdaSelection.defaultFolds
    public var lambdaRule: LambdaSelection.Rule = .min
    public var classWeight: ClassWeight = .none
    /// Fraction of rows held out at random (seeded); 0 trains on everything.
    public var holdoutFraction = 0.2
    /// With `timeColumn`: rows after this date (days since epoch) are the holdout.
    public var holdoutAfter: Double?
    public var holdoutAfterText: String?
    public var timeColumn: String?
    public var seed: UInt64 = 42
    public var onError: OnError = .fail
    /// Store the training leads' profile for `drift` (a third read of the file). `patterns` fits a
    /// model it never saves, and skips it.
    public var storesProfile = true
    public var maxIterations = 100
    public var gradientTolerance = 1e-11
    /// Scorecard: points to double the odds, and the reference; nil = fitted to the data.
    public var pdo: Double?
    public var referenceScore: Double = 50
    public var referenceOdds: Double?
    /// Lowest scores of grades A, B and C (descending); nil = the training scores' quartiles.
    public var gradeCutoffs: [Double]?
    /// The most terms a model may have; `train` refuses a wider design before building any matrix
    /// (the fit holds several terms × terms matrices of 8-byte numbers: 5,000 terms take ~200 MB each).
    public static let maxTerms = 5_000
    public var toolVersion = "0.0.0"
    /// The model's `created_at`; nil = now. (The CLI fixes it from LEADSCORE_CREATED_AT, for
    /// reproducible model files.)
    public var createdAt: String?

    public init(dataPath: String, target: String, positive: String) {
        self.dataPath = dataPath
        self.target = target
        self.positive = positive
    }

    /// The options as text, for the model's provenance.
    public var record: [String: String] {
        var r: [String: String] = [
            "target": target, "positive": positive, "penalty": penalty.rawValue,
            "lambda": lambdaAuto && penalty == .l2 ? "auto" : "\(lambda)", "class_weight": classWeight.rawValue,
            "min_level_count": "\(minLevelCount)", "max_levels": "\(maxLevels)",
            "seed": "\(seed)", "on_error": onError.rawValue,
            "delimiter": String(UnicodeScalar(delimiter)),
            "max_iterations": "\(maxIterations)", "gradient_tolerance": "\(gradientTolerance)",
        ]
        r.merge(shapes.record) { a, _ in a }
        if !interactions.isEmpty { r["interaction"] = interactions.map(\.text).joined(separator: ",") }
        r["interactions"] = interactionsAuto ? "auto" : "none"
        if lambdaAuto && penalty == .l2 {
            r["folds"] = "\(folds)"
            r["lambda_rule"] = lambdaRule.rawValue
        }
        if !negatives.isEmpty { r["negative"] = negatives.joined(separator: ",") }
        if let idColumn { r["id"] = idColumn }
        if !exclude.isEmpty { r["exclude"] = exclude.joined(separator: ",") }
        if !types.isEmpty { r["type"] = types.keys.sorted().map { "\($0)=\(types[$0]!.rawValue)" }.joined(separator: ",") }
        if !extraMissing.isEmpty { r["missing"] = extraMissing.joined(separator: ",") }
        if let holdoutAfterText { r["holdout_after"] = holdoutAfterText } else { r["holdout"] = "\(holdoutFraction)" }
        if let timeColumn { r["time"] = timeColumn }
        if let pdo { r["pdo"] = "\(pdo)" }
        if let referenceOdds { r["reference_odds"] = "\(referenceOdds)" }
        r["reference_score"] = "\(referenceScore)"
        if let gradeCutoffs { r["grades"] = gradeCutoffs.map { "\($0)" }.joined(separator: ",") }
        return r
    }
}

/// Two columns whose interaction `train` fits (`--interaction A:B`).
public struct InteractionPair: Sendable, Equatable, Hashable {
    public var first: String
    public var second: String
    /// "A:B" as given when it holds more than one ':' (a column name holds one): which ':' parts the
    /// two names is settled against the file's header (`split(in:)`).
    public var unsplit: String?

    public init(_ first: String, _ second: String) {
        self.first = first
        self.second = second
    }

    /// A pair given as text with several ':', split once the header is known.
    public init(unsplit text: String) {
        first = ""
        second = ""
        unsplit = text
    }

    /// "A:B".
    public var text: String { unsplit ?? "\(first):\(second)" }

    /// The ways to read the pair as two columns of `header`: itself when it is split; otherwise
    /// every ':' of the text whose two sides are both columns.
    public func split(in header: [String]) -> [InteractionPair] {
        guard let text = unsplit else { return [self] }
        let columns = Set(header)
        var out: [InteractionPair] = []
        var i = text.startIndex
        while let colon = text[i...].firstIndex(of: ":") {
            let a = String(text[..<colon]), b = String(text[text.index(after: colon)...])
            if columns.contains(a) && columns.contains(b) && a != b { out.append(InteractionPair(a, b)) }
            i = text.index(after: colon)
        }
        return out
    }
}
