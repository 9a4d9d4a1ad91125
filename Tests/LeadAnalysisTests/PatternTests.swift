import Foundation
import Testing
@testable import LeadAnalysis
@testable import LeadModel
@testable import SyntheticLeads

enum AnalysisPaths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let leads = root + "/datasets/leads.csv"
    static func temporary(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadscore-analysis-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }
}

/// What the generator planted (datasets/README.md) must be found; what it did not plant must not.
@Suite(.serialized) struct PatternTests {
    static let result: (PatternReport, Recycling) = {
        var training = TrainingOptions(dataPath: AnalysisPaths.leads, target: "status", positive: "accepted")
        training.idColumn = "lead_id"
        training.timeColumn = "created_at"
        var o = PatternOptions(training: training)
        o.reasonColumn = "reject_reason"
        o.byColumn = "lead_source"
        o.top = 1000
        o.recycleOut = AnalysisPaths.temporary("recycle.csv")
        return try! PatternAnalysis.run(o)
    }()
    var report: PatternReport { Self.result.0 }

    func has(_ segments: [SegmentCondition], column: String, value: String? = nil) -> Bool {
        segments.contains { $0.column == column && (value == nil || $0.value == value) }
    }

    @Test func plantedSegmentsAreFound() {
        let singles = report.segments.filter { $0.conditions.count == 1 }
        for (column, value) in [("lead_source", "cold_list"), ("job_level", "student"), ("email_type", "free"), ("budget_confirmed", "no")] {
            let s = singles.first { $0.conditions[0].column == column && $0.conditions[0].value == value }
            #expect(s != nil, "\(column)=\(value) not found")
            #expect((s?.qValue ?? 1) < 1e-6)
            #expect((s?.lift ?? 0) > 1.1)
            #expect(s.map { $0.ciLow < $0.rejectionRate && $0.rejectionRate < $0.ciHigh } ?? false)
        }
        #expect(abs(report.overallRejectionRate - Double(report.rejected) / Double(report.leads)) < 1e-12)
        // Ranked by quality, and every shown pair beats each of its parts.
        #expect(report.segments.map(\.quality) == report.segments.map(\.quality).sorted(by: >))
    }

    @Test func noEffectColumnsYieldNoSignificantSegment() {
        for column in LeadGenerator.noEffectColumns {
            #expect(!report.segments.contains { has($0.conditions, column: column) }, "\(column) appears in a segment")
        }
    }

    @Test func theModelGapsAreThePlantedInteractionAndThreshold() {
        // Planted: −1.2 log-odds for event leads from companies under 50 employees; −1.0 under 10.
        let interaction = report.modelGaps.first { g in
            g.conditions.count == 2 && has(g.conditions, column: "lead_source", value: "event")
                && g.conditions.contains { $0.column == "company_size" && ($0.max ?? .infinity) <= 60 }
        }
        #expect(interaction != nil, "event × small company not found: \(report.modelGaps.map(\.headline))")
        #expect(interaction.map { Double($0.observed) > $0.expected } ?? false)
        #expect(interaction?.suggestion.contains("interaction") == true)
        let threshold = report.modelGaps.first { g in
            g.conditions.count == 1 && g.conditions[0].column == "company_size" && (g.conditions[0].max ?? .infinity) <= 30
        }
        #expect(threshold != nil)
        // company_size is a spline by default: the suggestion is the train option that follows the
        // threshold more closely (more knots), never "bin" a column the model already shapes.
        #expect(threshold?.suggestion.contains("train --knots") == true, "\(threshold?.suggestion ?? "none")")
        for g in report.modelGaps { #expect(g.qValue < 0.05) }
    }

    @Test func reasonModelsFindReasonSpecificDrivers() throws {
        let reasons = try #require(report.reasons)
        #expect(Set(reasons.map(\.reason)) == ["not_ready", "no_budget", "bad_fit", "unreachable", "duplicate"])
        #expect(abs(reasons.reduce(0) { $0 + $1.share } - 1) < 1e-12)
        func z(_ reason: String, _ term: String) -> Double {
            reasons.first { $0.reason == reason }?.drivers.flatMap(\.terms).first { $0.term == term }?.z ?? 0
        }
        #expect(z("unreachable", "email_type=free") > 10)
        #expect(z("bad_fit", "job_level=student") > 8)
        #expect(z("no_budget", "budget_confirmed") < -10)  // "yes" lowers no_budget: "no" raises it
        // days_since_last_activity is a spline: its joint Wald test over the shape's terms, not one
        // term's z (a χ² above 64 is as strong as z > 8 with one term).
        let notReady = reasons.first { $0.reason == "not_ready" }?.drivers.first { $0.column == "days_since_last_activity" }
        #expect((notReady?.waldChi2 ?? 0) > 64, "\(String(describing: notReady?.waldChi2))")
        // duplicate has no planted driver: none of its terms is strongly significant.
        let duplicate = try #require(reasons.first { $0.reason == "duplicate" })
        #expect(duplicate.drivers.allSatisfy { ($0.pValue ?? 1) > 1e-6 })
    }

    @Test func recyclingCoversEveryRejectedLead() throws {
        let (r, recycling) = Self.result
        #expect(r.recycle.rejected == r.rejected)
        #expect(r.recycle.recycle + r.recycle.discard == r.rejected)
        for row in recycling.rows where row.recommendation == "recycle" {
            #expect(row.reason == "not_ready" && row.probability >= r.recycle.threshold)
        }
        #expect(r.recycle.recycle > 0)
        // Per lead, the reason probabilities sum to one and name the predicted reason.
        for row in recycling.rows.prefix(200) {
            #expect(abs(row.reasonProbabilities.reduce(0, +) - 1) < 1e-9)
            let k = row.reasonProbabilities.indices.max { row.reasonProbabilities[$0] < row.reasonProbabilities[$1] }!
            #expect(recycling.reasonNames[k] == row.predictedReason)
        }
        let text = try String(contentsOfFile: PatternTests.recyclePath, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("id,recommendation,probability_accepted_later,reason,predicted_reason,main_driver,p_") == true)
        #expect(lines.count == r.rejected + 1)
    }
    static var recyclePath: String { result.1.rows.isEmpty ? "" : lastRecyclePath }
    static let lastRecyclePath: String = {
        let path = AnalysisPaths.temporary("recycle-check.csv")
        try! result.1.write(to: path)
        return path
    }()

    @Test func funnelCountsEveryLeadOnce() throws {
        let funnel = try #require(report.funnel)
        #expect(funnel.cells.reduce(0) { $0 + $1.leads } == report.leads)
        #expect(funnel.cells.reduce(0) { $0 + $1.rejected } == report.rejected)
        #expect(Set(funnel.cells.map(\.level)).count == 6)
        for c in funnel.cells where c.flagged { #expect(c.rejectionRate > c.previousRate ?? 1) }
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let encoder = JSONEncoder()
        let object = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? [String: Any])
        for key in ["overall_rejection_rate", "segments", "model_gaps", "reasons", "recycle"] { #expect(object[key] != nil, "\(key)") }
        let segment = try #require((object["segments"] as? [[String: Any]])?.first)
        for key in ["conditions", "size", "rejection_rate", "lift", "q_value"] { #expect(segment[key] != nil, "\(key)") }
        let gap = try #require((object["model_gaps"] as? [[String: Any]])?.first)
        for key in ["conditions", "size", "rejection_rate", "lift", "q_value", "observed", "expected"] { #expect(gap[key] != nil, "\(key)") }
        let range = (object["model_gaps"] as! [[String: Any]]).flatMap { $0["conditions"] as! [[String: Any]] }.first { $0["min"] != nil }
        #expect(range?["column"] != nil && range?["max"] != nil)
        let reason = try #require((object["reasons"] as? [[String: Any]])?.first)
        #expect(reason["reason"] != nil && reason["share"] != nil)
        #expect(((reason["drivers"] as? [[String: Any]])?.first?["column"]) != nil)
    }
}

@Suite struct SegmentStatisticsTests {
    @Test func benjaminiHochbergByHand() {
        // Sorted p: .005 .01 .03 .04 → p·m/rank: .02 .02 .04 .04, made monotone from the top.
        let q = SegmentStatistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
        let expected = [0.02, 0.04, 0.04, 0.02]
        for (a, b) in zip(q, expected) { #expect(abs(a - b) < 1e-15) }
    }

    @Test func holmByHand() {
        // Sorted p: .005 .01 .03 .04 → ×4 ×3 ×2 ×1: .02 .03 .06 .04 → running max .02 .03 .06 .06.
        let q = SegmentStatistics.holm([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        for (a, b) in zip(q, expected) { #expect(abs(a - b) < 1e-15) }
    }

    @Test func wilsonIntervalKnownValues() {
        let w = SegmentStatistics.wilson(0, 10)
        #expect(w.low == 0)
        #expect(abs(w.high - 0.27753279986288926) < 1e-12)
        // Reference: statsmodels.stats.proportion.proportion_confint(k, n, method="wilson").
        let m = SegmentStatistics.wilson(50, 100)
        #expect(abs(m.low - 0.4038315303659956) < 1e-12 && abs(m.high - 0.5961684696340044) < 1e-12)
    }

    @Test func twoProportionTests() {
        #expect(SegmentStatistics.twoProportionP(50, 100, 50, 100) == 1)
        #expect(SegmentStatistics.twoProportionP(80, 100, 50, 100) < 1e-4)
        #expect(SegmentStatistics.increaseP(50, 100, 80, 100) > 0.99)
    }

    @Test func rowSetCounts() {
        var a = RowSet(rows: 200), b = RowSet(rows: 200), c = RowSet(rows: 200)
        for i in stride(from: 0, to: 200, by: 2) { a.insert(i) }
        for i in stride(from: 0, to: 200, by: 3) { b.insert(i) }
        for i in 0..<100 { c.insert(i) }
        #expect(a.count == 100 && b.count == 67)
        #expect(a.intersectionCount(b) == 34)
        #expect(a.intersectionCount(b, c) == 17)
        var members: [Int] = []
        a.intersection(b).forEach { members.append($0) }
        #expect(members == Array(stride(from: 0, to: 200, by: 6)))
    }
}
