import Foundation
import LeadAnalysis
import LeadModel
import Testing

/// PSI against Tests/Fixtures/make_evaluation_fixtures.py (numpy): the new leads against a profile of
/// the bundled history's training rows, through the frozen challenger model's design.
@Suite("drift: PSI against the reference")
struct DriftTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    @Test("per column, unseen levels, missing rates and the score")
    func againstReference() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Tests/Fixtures/evaluation/reference.json"))
        let reference = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["drift"] as! [String: Any]
        let model = try LeadScoreModel.load(from: Self.root + "/Tests/Fixtures/evaluation/challenger.json")
        let until = FieldParser.date(reference["training_until"] as! String)!
        let created = try CSVReader(path: Self.root + "/datasets/leads.csv").readHeader().firstIndex(of: "created_at")!
        let training = try ProfiledLeads.load(path: Self.root + "/datasets/leads.csv", model: model) { record in
            record.withField(created) { FieldParser.date(FieldParser.trim($0))! } <= until
        }
        #expect(training.rows == reference["training_rows"] as! Int)
        let profile = TrainingProfile.of(model: model, levels: training.levels, numbers: training.numbers, missing: training.missing, score: training.score)
        let new = try ProfiledLeads.load(path: Self.root + "/datasets/new-leads.csv", model: model)
        let report = DriftReport.measure(new, profile: profile, model: model, modelName: "challenger", dataName: "new-leads")

        let score = reference["score"] as! [String: Any]
        #expect(profile.score.edges == score["edges"] as! [Double])
        #expect(abs(report.score.psi - (score["psi"] as! Double)) < 1e-12, "score PSI \(report.score.psi)")
        let columns = reference["columns"] as! [String: [String: Any]]
        #expect(Set(report.columns.map(\.column)) == Set(columns.keys))
        for c in report.columns {
            let r = columns[c.column]!
            #expect(abs((c.psi ?? .nan) - (r["psi"] as! Double)) < 1e-12, "\(c.column) PSI \(c.psi ?? .nan) vs \(r["psi"]!)")
            if let edges = r["edges"] as? [Double] {
                #expect(profile.columns.first { $0.name == c.column }?.bins?.edges == edges, "\(c.column) edges")
                #expect(abs(c.missingRate - (r["missing_rate"] as! Double)) < 1e-12)
                #expect(abs(c.trainingMissingRate - (r["training_missing_rate"] as! Double)) < 1e-12)
            } else {
                #expect(abs((c.unseenRate ?? .nan) - (r["unseen_rate"] as! Double)) < 1e-12, "\(c.column) unseen")
            }
        }
        #expect(report.status == "stable")
    }

    @Test("PSI: zero for equal shares, the 0.0001 floor for an empty bin, the 0.1 / 0.25 thresholds")
    func psiDefinition() {
        #expect(DriftReport.psi(expected: [0.5, 0.5], actual: [50, 50]) == 0)
        // (0.7 − 0.5)·ln(0.7/0.5) + (0.3 − 0.5)·ln(0.3/0.5), by hand.
        let hand = 0.2 * log(0.7 / 0.5) + (-0.2) * log(0.3 / 0.5)
        #expect(abs(DriftReport.psi(expected: [0.5, 0.5], actual: [70, 30]) - hand) < 1e-15)
        let floor = (1 - 0.0001) * log(1 / 0.0001) + (0.0001 - 1) * log(0.0001 / 1)
        #expect(abs(DriftReport.psi(expected: [1, 0], actual: [0, 10]) - floor) < 1e-12)
        #expect(DriftReport.status(0.099) == "stable" && DriftReport.status(0.1) == "moderate" && DriftReport.status(0.25) == "major")
    }
}
