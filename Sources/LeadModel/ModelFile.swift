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

    enum CodingKeys: String, CodingKey {
        case missingMarkers = "missing_markers"
        case format, target, schema, design, coefficients, scorecard, grades, inference, fit, metrics, provenance, notices
        case toolVersion = "tool_version"
        case createdAt = "created_at"
        case idColumn = "id_column"
    }

    /// Log-odds of a lead whose columns resolved to `values` (one per design column).
    @inline(__always)
    public func logOdds(_ values: [ResolvedValue]) -> Double {
        coefficients.terms.withUnsafeBufferPointer { beta in
            var s = coefficients.intercept
            for (c, v) in values.enumerated() { s += design.columns[c].logOdds(v, beta: beta) }
            return s
        }
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

extension LeadScoreModel {
    /// The grade of a 0–100 score.
    public func grade(score: Double) -> String {
        for band in grades where score >= band.minScore { return band.grade }
        return grades.last?.grade ?? ""
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

    public struct OriginalTerm: Codable, Sendable, Equatable {
        public var term: String
        public var coefficient: Double
    }

    enum CodingKeys: String, CodingKey {
        case terms, intercept, original
        case standardErrors = "standard_errors"
        case interceptStandardError = "intercept_standard_error"
        case standardErrorsApproximate = "standard_errors_approximate"
        case originalIntercept = "original_intercept"
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

    /// Reads and checks a model file.
    /// - Throws: `ModelFileError` for a missing, corrupt or unknown-format file.
    public static func load(from path: String) throws -> LeadScoreModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, message: FileManager.default.fileExists(atPath: path)
                                 ? "cannot read the model file" : "no such model file")
        }
        struct Header: Decodable { var format: String? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw ModelFileError(path: path, message: "not a LeadScore model: the file is not valid JSON (corrupt or truncated?)")
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
        } catch let DecodingError.keyNotFound(key, context) {
            throw ModelFileError(path: path, message: "corrupt model: missing \"\(key.stringValue)\" at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ModelFileError(path: path, message: "corrupt model: wrong value at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw ModelFileError(path: path, message: "corrupt model: \(error)")
        }
        try model.validate(path: path)
        return model
    }

    /// Internal consistency: every term has a coefficient and belongs to one column.
    func validate(path: String) throws {
        let p = design.termCount
        guard coefficients.terms.count == p else {
            throw ModelFileError(path: path, message: "corrupt model: \(coefficients.terms.count) coefficients for \(p) terms")
        }
        if let se = coefficients.standardErrors, se.count != p {
            throw ModelFileError(path: path, message: "corrupt model: \(se.count) standard errors for \(p) terms")
        }
        var owned = [Bool](repeating: false, count: p)
        for col in design.columns {
            for t in col.terms {
                guard t >= 0 && t < p && !owned[t] else {
                    throw ModelFileError(path: path, message: "corrupt model: column '\(col.name)' refers to term \(t) badly")
                }
                owned[t] = true
            }
            switch col.type {
            case .numeric, .boolean:
                guard col.term != nil, let s = col.scale, s > 0, col.mean != nil else {
                    throw ModelFileError(path: path, message: "corrupt model: numeric column '\(col.name)' lacks term, mean or scale")
                }
            case .categorical:
                guard let g = col.groups, !g.isEmpty else {
                    throw ModelFileError(path: path, message: "corrupt model: categorical column '\(col.name)' has no levels")
                }
            case .date:
                throw ModelFileError(path: path, message: "corrupt model: date column '\(col.name)' cannot be a model term")
            }
        }
        guard owned.allSatisfy({ $0 }) else {
            throw ModelFileError(path: path, message: "corrupt model: some terms belong to no column")
        }
    }
}

/// Writing a file so that readers see either the old content or the complete new content.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw ModelFileError(path: path, message: "cannot create a temporary file in \(directory.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, path) != 0 {
                throw ModelFileError(path: path, message: "cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
