import Foundation
import LeadSupport
@testable import LeadModel

/// Paths the tests use: the repository root, its fixtures, and the shared real datasets beside it
/// (`../shared/datasets`, present on developer machines and in CI; never copied into the project).
enum Paths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static func fixture(_ name: String) -> String { root + "/Tests/Fixtures/" + name }
    static let shared = root + "/../shared/datasets"
    /// X Education leads: no licence to redistribute, so read in place from `../shared` only.
    static let xEducation = shared + "/x-education-leads/Leads.csv"
    static var hasXEducation: Bool { FileManager.default.fileExists(atPath: xEducation) }
    static let xEducationAbsent = "X Education leads (no licence to redistribute) are not in ../shared/datasets beside this checkout"
    static let leads = root + "/datasets/leads.csv"
    static let newLeads = root + "/datasets/new-leads.csv"

    static func temporary(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadscore-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    static func write(_ text: String, name: String = "data.csv") -> String {
        let path = temporary(name)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}

/// A reference fixture written by Tests/Fixtures/make_fixtures.py.
struct Fixture: Decodable {
    struct Fit: Decodable {
        var coefficients: [String: Double]
        var intercept: Double
        var std_errors: [String: Double]?
        var intercept_std_error: Double?
        var probabilities: [Double]
    }
    struct Holdout: Decodable {
        var fraction: Double
        var seed: UInt64
        var rows: Int
        var sklearn_auc: Double
        var sklearn_log_loss: Double
    }
    var dataset: String
    var file: String
    var delimiter: String
    var target: String
    var positive: String
    var exclude: [String]
    var id: String?
    var missing: [String]
    var min_level_count: Int
    var lambda: Double
    var class_weight: String
    var terms: [String]
    var sample_rows: [Int]
    var statsmodels: Fit?
    var sklearn: Fit
    var holdout: Holdout

    static func load(_ name: String) throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture(name + ".json")))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    var path: String { Paths.root + "/" + file }

    func options(penalty: TrainingOptions.Penalty, holdout: Double = 0) -> TrainingOptions {
        var o = TrainingOptions(dataPath: path, target: target, positive: positive)
        o.exclude = exclude
        o.idColumn = id
        o.extraMissing = missing
        o.delimiter = delimiter.utf8.first!
        o.minLevelCount = min_level_count
        // The fixtures' design enters numbers as straight lines (make_fixtures.py); splines have
        // their own reference (make_spline_fixtures.py).
        o.shapes.numeric = .linear
        // The reference fits are of the design as given: no pairs searched.
        o.interactionsAuto = false
        o.penalty = penalty
        o.lambda = lambda
        o.classWeight = class_weight == "balanced" ? .balanced : .none
        o.holdoutFraction = holdout
        o.seed = self.holdout.seed
        return o
    }
}

func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-3) -> Double {
    abs(a - b) / max(abs(b), floor)
}

/// Models trained once per test process for each distinct `TrainingOptions`: training is seeded and
/// deterministic, so tests that need the same model share one fit instead of each repeating a
/// training of several seconds (the default one cross-validates shapes, pairs and λ). Tests of
/// training itself (determinism, errors) call `Trainer` directly.
enum TrainedOnce {
    private static let models = OncePerKey<LeadScoreModel>()

    static func model(_ options: TrainingOptions) throws -> LeadScoreModel {
        try models.value(for: String(reflecting: options)) { try Trainer(options: options).train().model }
    }
}
