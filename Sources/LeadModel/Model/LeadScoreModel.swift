import Foundation
import LeadData

/// The model file: the one contract between training and every consumer.
///
/// Versioned JSON (`"format": "leadscore-model/1"`), self-describing, written atomically.
public struct LeadScoreModel: Codable, Sendable {
    public static let formatName = "leadscore-model"
    public static let formatVersion = 1
    public static var formatString: String { "\(formatName)/\(formatVersion)" }

    public var format: String
    public var toolVersion: String
    public var createdAt: String
    public var target: TargetSpec
    public var idColumn: String?
    public var schema: [SchemaColumn]
    public var design: Design
    public var coefficients: Coefficients
    public var scorecard: Scorecard
    /// Grade bands, best first: a lead gets the first grade whose `min_score` its score reaches.
    public var grades: [GradeBand]
    /// Drivers: per-column importance and joint tests, per-term inference in original units.
    public var inference: ModelInference
    public var fit: FitReport
    public var metrics: MetricsSummary
    public var provenance: Provenance
    public var notices: [String]
    /// Values read as missing besides the standard ones (`--missing` at training), used when scoring.
    public var missingMarkers: [String]
    /// A compact picture of the training leads, for `drift` (absent from models trained before it
    /// existed; a model without it is written without the key, so its bytes are unchanged).
    public var trainingProfile: TrainingProfile? = nil
    /// How `--lambda auto` chose λ: the cross-validated deviance curve and the rule's pick (nil for a fixed λ).
    public var lambdaSelection: LambdaSelection? = nil
    /// Columns that nearly determine each other (`DesignDiagnostics`): `explain` shows each group on one line.
    public var collinearGroups: [DesignDiagnostics.CollinearGroup]? = nil
    /// `--interactions auto`: the pairs tried and whether each was kept (nil without the search).
    public var interactionSearch: InteractionSearch? = nil
    /// `--numeric auto`: the columns tried as step functions and whether each was kept (nil when no
    /// column's shape was searched).
    public var shapeSearch: ShapeSearch? = nil

    enum CodingKeys: String, CodingKey {
        case missingMarkers = "missing_markers"
        case trainingProfile = "training_profile"
        case lambdaSelection = "lambda_selection"
        case collinearGroups = "collinear_groups"
        case interactionSearch = "interaction_search"
        case shapeSearch = "shape_search"
        case format, target, schema, design, coefficients, scorecard, grades, inference, fit, metrics, provenance, notices
        case toolVersion = "tool_version"
        case createdAt = "created_at"
        case idColumn = "id_column"
    }

    /// Log-odds of a lead whose columns resolved to `values` (one per design column).
    @inline(__always)
    public func logOdds(_ values: [ResolvedValue]) -> Double {
        coefficients.terms.withUnsafeBufferPointer { design.logOdds(values, beta: $0, start: coefficients.intercept) }
    }
}

/// A grade and the lowest score that earns it, with how training leads in the band fared.
public struct GradeBand: Codable, Sendable, Equatable {
    public var grade: String
    public var minScore: Double
    public var trainingLeads: Int
    public var trainingPositiveRate: Double

    enum CodingKeys: String, CodingKey {
        case grade
        case minScore = "min_score"
        case trainingLeads = "training_leads"
        case trainingPositiveRate = "training_positive_rate"
    }
}

extension GradeBand {
    /// The band of a score among bands best first, given by their `min_score`s: the first whose
    /// floor the score reaches, else the last (nil when there are none). The one grade lookup:
    /// `LeadScoreModel.grade(score:)` and the scoring loop's byte table both use it.
    @inline(__always)
    public static func index(score: Double, floors: [Double]) -> Int? {
        floors.firstIndex { score >= $0 } ?? (floors.isEmpty ? nil : floors.count - 1)
    }
}

extension LeadScoreModel {
    /// The grade of a 0–100 score.
    public func grade(score: Double) -> String {
        GradeBand.index(score: score, floors: grades.map(\.minScore)).map { grades[$0].grade } ?? ""
    }
}

/// Which column is the outcome and which values are good (positive) or not.
public struct TargetSpec: Codable, Sendable, Equatable {
    public var column: String
    public var positive: String
    public var negatives: [String]

    public init(column: String, positive: String, negatives: [String]) {
        self.column = column
        self.positive = positive
        self.negatives = negatives
    }
}

/// One input column as seen at training: its type and role.
public struct SchemaColumn: Codable, Sendable, Equatable {
    public enum Role: String, Codable, Sendable { case feature, id, target, excluded, time, dropped }
    public var name: String
    public var type: ColumnType
    public var role: Role
    public var missing: Int
    public var distinct: Int?
    public var note: String?
}

/// Coefficients on the internal (standardized) scale and in each column's original units.
public struct Coefficients: Codable, Sendable {
    /// β per term, internal scale (numeric terms standardized), index = term index.
    public var terms: [Double]
    public var intercept: Double
    /// Standard errors from the inverse Hessian at the optimum; approximate for penalized fits.
    public var standardErrors: [Double]?
    public var interceptStandardError: Double?
    public var standardErrorsApproximate: Bool
    /// The same model in original units: η = intercept + Σ coefficient × x, where a numeric x is the raw
    /// value (0 when missing) and indicator/level terms are 0/1.
    public var original: [OriginalTerm]
    public var originalIntercept: Double

    /// How much `intercept` was shifted after a class-weighted fit so probabilities match the
    /// training base rate (prior correction, `--class-weight balanced`); nil without weights.
    public var priorCorrection: Double?

    /// A coefficient in original units; one that is not finite (a column whose values barely vary
    /// has a per-unit coefficient beyond a 64-bit float) is written as null and read back as NaN.
    public struct OriginalTerm: Codable, Sendable, Equatable {
        public var term: String
        public var coefficient: Double

        init(term: String, coefficient: Double) {
            self.term = term
            self.coefficient = coefficient
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            term = try c.decode(String.self, forKey: .term)
            coefficient = try c.decodeIfPresent(Double.self, forKey: .coefficient) ?? .nan
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(term, forKey: .term)
            try c.encodeFinite(coefficient, forKey: .coefficient)
        }

        enum CodingKeys: String, CodingKey { case term, coefficient }
    }

    enum CodingKeys: String, CodingKey {
        case terms, intercept, original
        case standardErrors = "standard_errors"
        case interceptStandardError = "intercept_standard_error"
        case standardErrorsApproximate = "standard_errors_approximate"
        case originalIntercept = "original_intercept"
        case priorCorrection = "prior_correction"
    }

    init(terms: [Double], intercept: Double, standardErrors: [Double]?, interceptStandardError: Double?,
         standardErrorsApproximate: Bool, original: [OriginalTerm], originalIntercept: Double, priorCorrection: Double? = nil) {
        self.terms = terms
        self.intercept = intercept
        self.standardErrors = standardErrors
        self.interceptStandardError = interceptStandardError
        self.standardErrorsApproximate = standardErrorsApproximate
        self.original = original
        self.originalIntercept = originalIntercept
        self.priorCorrection = priorCorrection
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        terms = try c.decode([Double].self, forKey: .terms)
        intercept = try c.decode(Double.self, forKey: .intercept)
        standardErrors = try c.decodeIfPresent([Double].self, forKey: .standardErrors)
        interceptStandardError = try c.decodeIfPresent(Double.self, forKey: .interceptStandardError)
        standardErrorsApproximate = try c.decode(Bool.self, forKey: .standardErrorsApproximate)
        original = try c.decode([OriginalTerm].self, forKey: .original)
        originalIntercept = try c.decodeIfPresent(Double.self, forKey: .originalIntercept) ?? .nan
        priorCorrection = try c.decodeIfPresent(Double.self, forKey: .priorCorrection)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(terms, forKey: .terms)
        try c.encode(intercept, forKey: .intercept)
        try c.encodeIfPresent(standardErrors, forKey: .standardErrors)
        try c.encodeFiniteIfPresent(interceptStandardError, forKey: .interceptStandardError)
        try c.encode(standardErrorsApproximate, forKey: .standardErrorsApproximate)
        try c.encode(original, forKey: .original)
        try c.encodeFinite(originalIntercept, forKey: .originalIntercept)
        try c.encodeIfPresent(priorCorrection, forKey: .priorCorrection)
    }
}

public struct MetricsSummary: Codable, Sendable {
    public var train: ClassificationMetrics
    public var holdout: ClassificationMetrics?
}

/// Where the model came from.
public struct Provenance: Codable, Sendable {
    public var dataFile: String
    public var dataSHA256: String
    public var rowsRead: Int
    public var rowsSkipped: Int
    public var trainingRows: Int
    public var holdoutRows: Int
    public var holdout: String
    public var timeColumn: String?
    public var timeWindow: TimeWindow?
    public var options: [String: String]

    public struct TimeWindow: Codable, Sendable, Equatable {
        public var first: String
        public var last: String
    }

    enum CodingKeys: String, CodingKey {
        case holdout, options
        case dataFile = "data_file"
        case dataSHA256 = "data_sha256"
        case rowsRead = "rows_read"
        case rowsSkipped = "rows_skipped"
        case trainingRows = "training_rows"
        case holdoutRows = "holdout_rows"
        case timeColumn = "time_column"
        case timeWindow = "time_window"
    }
}

/// Why a model file was refused.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    /// The file could not be opened or read at all (missing, no permission, a folder): status 66
    /// in the CLI, where a file that is read but refused is bad data (65).
    public var cannotOpen = false
    public var description: String { "\(path): \(message)" }
}

extension LeadScoreModel {
    /// The JSON bytes: sorted keys and pretty printing, so the same model gives the same bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Writes the model to `path` atomically: a temporary file in the same folder, flushed, then
    /// renamed over the target. A crash at any point leaves either the old file or the new one.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonData(), to: path)
    }

    /// Writes the model into a file opened beforehand with `AtomicFile.open`, atomically as above.
    public func write(into file: OutputSink) throws {
        try AtomicFile.write(try jsonData(), into: file)
    }

    /// Reads and checks a model file.
    /// - Throws: `ModelFileError` for a missing, corrupt or unknown-format file.
    public static func load(from path: String) throws -> LeadScoreModel {
        let data: Data
        do {
            data = try ModelFileBytes.read(path, limit: ModelFileLimits.maxBytes)
        } catch {
            throw ModelFileError(path: path, message: error.code == ENOENT ? "no such model file" : "cannot read the model file: \(error.reason)",
                                 cannotOpen: true)
        }
        guard data.count <= ModelFileLimits.maxBytes else {
            throw ModelFileError(path: path, message: "not a LeadScore model: the file is larger than \(ModelFileLimits.maxBytes >> 20) MB, the most a model file may be (refused without reading it)")
        }
        struct Header: Decodable { var format: String? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw ModelFileError(path: path, message: "not a LeadScore model: the file is not valid JSON (corrupt or truncated?)")
        }
        // Before the format is judged: with a key given twice the decoder kept only one of them.
        do {
            try JSONShapeScanner.check(data)
        } catch {
            throw ModelFileError(path: path, message: "corrupt model: \(error.path): \(error.message)")
        }
        guard let format = header.format, format.hasPrefix(formatName + "/"),
              let version = Int(format.dropFirst(formatName.count + 1)) else {
            throw ModelFileError(path: path, message: "not a LeadScore model: \"format\" is \(header.format.map { "\"\($0)\"" } ?? "absent"), expected \"\(formatString)\"")
        }
        guard version == formatVersion else {
            throw ModelFileError(path: path, message: "unsupported model format version \(version): this leadscore reads \"\(formatString)\"\(version > formatVersion ? "; it was written by a newer leadscore" : "")")
        }
        let model: LeadScoreModel
        do {
            model = try JSONDecoder().decode(LeadScoreModel.self, from: data)
        } catch let e as ModelFieldError {
            throw ModelFileError(path: path, message: "corrupt model: \(JSONPath.of(e.codingPath)): \(e.message)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ModelFileError(path: path, message: "corrupt model: \(JSONPath.of(context.codingPath + [key])): missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw ModelFileError(path: path, message: "corrupt model: \(JSONPath.of(context.codingPath)): wrong value (\(context.debugDescription))")
        } catch {
            throw ModelFileError(path: path, message: "corrupt model: \(error)")
        }
        try model.validate(path: path)
        return model
    }
}
