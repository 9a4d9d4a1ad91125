import Foundation
import PropertyBased
import Testing
@testable import LeadModel
@testable import LeadSupport
@testable import SyntheticLeads

/// Random small CSVs (random column kinds, levels, gaps, outcome), trained for real: "random models".
enum RandomLeads {
    static func csv(seed: UInt64, rows: Int) -> (text: String, header: [String]) {
        var rng = SplitMix64(seed: seed)
        let columnCount = 1 + Int(rng.uniform() * 5)
        var kinds: [Int] = []  // 0 numeric, 1 categorical, 2 boolean
        for _ in 0..<columnCount { kinds.append(Int(rng.uniform() * 3)) }
        let header = (0..<columnCount).map { "c\($0)" } + ["y"]
        var lines = [header.joined(separator: ",")]
        for _ in 0..<rows {
            var fields: [String] = []
            var eta = rng.normal() * 0.5
            for (k, kind) in kinds.enumerated() {
                if rng.uniform() < 0.1 { fields.append(""); continue }
                switch kind {
                case 0:
                    let x = rng.normal() * Double(k + 1) * 3 + 10
                    eta += 0.2 * (x - 10) / Double(k + 1)
                    fields.append(String(format: "%.3f", x))
                case 1:
                    let level = Int(rng.uniform() * rng.uniform() * 8)
                    eta += Double(level % 3) - 1
                    fields.append("L\(level)")
                default:
                    let b = rng.uniform() < 0.4
                    eta += b ? 0.7 : 0
                    fields.append(b ? "yes" : "no")
                }
            }
            fields.append(rng.uniform() < StableMath.sigmoid(eta) ? "1" : "0")
            lines.append(fields.joined(separator: ","))
        }
        return (lines.joined(separator: "\n") + "\n", header)
    }

    /// A random lead for the trained model's columns, with unseen levels, gaps and extreme numbers.
    static func lead(for model: LeadScoreModel, seed: UInt64) -> [String: String] {
        var rng = SplitMix64(seed: seed ^ 0xABCDEF)
        var lead: [String: String] = [:]
        for col in model.design.columns {
            let u = rng.uniform()
            switch col.kind {
            case .numeric, .shape:
                lead[col.name] = u < 0.15 ? "" : u < 0.3 ? String(format: "%.1f", (rng.uniform() - 0.5) * 2e6) : String(format: "%.3f", rng.normal() * 5 + 10)
            case .categorical:
                lead[col.name] = u < 0.15 ? "" : u < 0.3 ? "never-seen-\(Int(u * 100))" : "L\(Int(rng.uniform() * 8))"
            case .boolean:
                lead[col.name] = u < 0.15 ? "" : (u < 0.6 ? "yes" : "no")
            }
        }
        return lead
    }
}

@Suite struct ExplanationTests {
    func explain(_ model: LeadScoreModel, _ lead: [String: String]) throws -> LeadExplanation {
        let names = model.design.columns.map(\.name)
        let resolver = try RowResolver(design: model.design, header: names, file: "lead", parser: FieldParser())
        var values: [ResolvedValue] = []
        try resolver.resolve(CSVRecord(fields: names.map { lead[$0] ?? "" }, line: 1), into: &values)
        return Explainer(model: model).explain(id: "x", values: values, raw: { lead[names[$0]] ?? "" })
    }

    /// Base + Σ contributions = the lead's log-odds (1e-9) and points, for random models and leads.
    @Test func contributionsAddUpForRandomModelsAndLeads() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...1_000_000), Gen.int(in: 60...400)) { seed, rows in
            let data = RandomLeads.csv(seed: UInt64(seed), rows: rows)
            let path = Paths.write(data.text)
            var o = TrainingOptions(dataPath: path, target: "y", positive: "1")
            o.holdoutFraction = 0
            o.minLevelCount = 5
            o.penalty = seed % 2 == 0 ? .l2 : .none
            o.shapes.numeric = [.spline, .linear, .bins][seed % 3]
            let model: LeadScoreModel
            do { model = try Trainer(options: o).train().model } catch {
                Issue.record("seed \(seed): training failed: \(error)")
                return
            }
            for k in 0..<5 {
                let lead = RandomLeads.lead(for: model, seed: UInt64(seed * 31 + k))
                guard let e = try? explain(model, lead) else {
                    Issue.record("lead could not be explained: \(lead)")
                    return
                }
                let sum = e.contributions.reduce(0) { $0 + $1.logOdds }
                #expect(abs(e.baseLogOdds + sum - e.logOdds) <= 1e-9 * max(1, abs(e.logOdds)), "seed \(seed): \(e.baseLogOdds) + \(sum) vs \(e.logOdds)")
                let points = e.contributions.reduce(0) { $0 + $1.points }
                #expect(abs(e.baseScore + points - e.points) <= 1e-9 * max(1, abs(e.points)))
                #expect(e.contributions.count == model.design.columns.count)
                #expect(e.contributions.allSatisfy { !$0.code.isEmpty && !$0.reason.isEmpty && $0.points.isFinite })
            }
        }
    }

    func bundledModel() throws -> LeadScoreModel {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        o.timeColumn = "created_at"
        o.holdoutFraction = 0
        return try TrainedOnce.model(o)
    }

    @Test func unseenMissingAndExtremeValuesExplainSensibly() throws {
        let model = try bundledModel()
        var lead = ["lead_source": "cold_list", "industry": "space_mining", "country": "US", "company_size": "120",
                    "job_level": "manager", "email_type": "corporate", "page_views": "6", "days_since_last_activity": "",
                    "webinar_attended": "no", "budget_confirmed": "yes", "marketing_touches": "4", "newsletter": "no"]
        var e = try explain(model, lead)
        // An unseen industry is scored as the pooled rare levels, and says so.
        let industry = try #require(e.contributions.first { $0.column == "industry" })
        #expect(industry.code == "industry=(other)")
        #expect(e.notes.contains { $0.contains("space_mining") && $0.contains("not seen in training") })
        // A missing value has its own code.
        let days = try #require(e.contributions.first { $0.column == "days_since_last_activity" })
        #expect(days.code == "days_since_last_activity:missing")
        // cold_list is the lead's main reason.
        #expect(e.contributions.first?.code == "lead_source=cold_list")
        #expect(e.contributions.first?.reason.hasPrefix("lead_source is cold_list: -") == true)
        // An extreme number is scored as the training maximum (the spline is clamped to the training
        // range), with a note; the code still says which side of the average it is on.
        guard case .shape(let pages) = try #require(model.design.columns.first { $0.name == "page_views" }).kind else {
            Issue.record("page_views is not a spline")
            return
        }
        lead["page_views"] = String(pages.maximum)
        let atMaximum = try explain(model, lead)
        lead["page_views"] = "100000"
        e = try explain(model, lead)
        #expect(e.points == atMaximum.points)
        #expect(e.score < 100)
        #expect(e.notes.contains { $0.contains("outside the training range") && $0.contains("scored as \(compact(pages.maximum))") })
        #expect(e.contributions.first { $0.column == "page_views" }?.code == "page_views:high")
        // Suggestions raise the score and come from common values.
        lead["page_views"] = "6"
        e = try explain(model, lead)
        let best = try #require(e.improvements.first)
        #expect(best.column == "lead_source" && best.points > 10 && best.newScore > e.score)
    }

    @Test func plantedDriversComeOutOnTopAndNoEffectColumnsAreNotSignificant() throws {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        o.timeColumn = "created_at"
        o.holdoutFraction = 0
        o.penalty = .none
        let model = try TrainedOnce.model(o)
        let ranked = model.inference.columns.map(\.column)
        let planted: Set = ["lead_source", "job_level", "email_type", "budget_confirmed", "days_since_last_activity", "page_views", "webinar_attended"]
        #expect(Set(ranked.prefix(7)) == planted, "ranking: \(ranked)")
        for column in LeadGenerator.noEffectColumns {
            let d = try #require(model.inference.columns.first { $0.column == column })
            #expect((d.pValue ?? 0) > 0.01, "\(column) p = \(String(describing: d.pValue))")
            #expect(ranked.firstIndex(of: column)! >= 8)
        }
        for column in planted {
            #expect((model.inference.columns.first { $0.column == column }?.pValue ?? 1) < 1e-6, "\(column)")
        }
        #expect(!model.inference.standardErrorsApproximate)
    }

    /// Original-unit standard errors follow from the internal ones (which match statsmodels, see
    /// ReferenceFitTests): numeric SE / sd; levels unchanged.
    @Test func originalUnitInferenceIsConsistent() throws {
        let model = try bundledModel()
        let se = try #require(model.coefficients.standardErrors)
        for col in model.design.columns {
            let driver = try #require(model.inference.columns.first { $0.column == col.name })
            if case .numeric(let e) = col.kind {
                let t = e.term
                let stat = try #require(driver.terms.first { $0.term == col.name })
                #expect(abs(stat.stdError! - se[t] / e.scale) < 1e-12)
                #expect(abs(stat.coefficient - model.coefficients.terms[t] / e.scale) < 1e-12)
                #expect(abs(stat.z! - model.coefficients.terms[t] / se[t]) < 1e-9)
                #expect(stat.ciLow! < stat.coefficient && stat.coefficient < stat.ciHigh!)
            }
            if col.type == .categorical {
                for stat in driver.terms {
                    let t = try #require(model.design.termNames.firstIndex(of: stat.term))
                    #expect(stat.stdError == se[t])
                }
            }
        }
        // Importance is the mean |contribution| over the training leads: recompute it by explaining every lead.
        #expect(model.inference.columns.map(\.importance) == model.inference.columns.map(\.importance).sorted(by: >))
        let reader = try CSVReader(path: Paths.leads)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: model.design, header: header, file: Paths.leads, parser: FieldParser())
        let explainer = Explainer(model: model)
        var record = CSVRecord()
        var values: [ResolvedValue] = []
        var sums = [Double](repeating: 0, count: model.design.columns.count)
        var n = 0
        while try reader.next(into: &record) {
            try resolver.resolve(record, into: &values)
            for c in values.indices { sums[c] += abs(explainer.contribution(column: c, values[c])) }
            n += 1
        }
        for (c, col) in model.design.columns.enumerated() {
            let stored = try #require(model.inference.columns.first { $0.column == col.name }).importance
            #expect(abs(sums[c] / Double(n) - stored) < 1e-9, "\(col.name)")
        }
    }

    @Test func chiSquareAndNormalTails() {
        // Known values: P(χ²₁ ≥ 3.841459) = 0.05, P(χ²₅ ≥ 11.0705) = 0.05, P(χ²₂ ≥ x) = e^(−x/2).
        #expect(abs(Distributions.chiSquareSurvival(3.841458820694124, df: 1) - 0.05) < 1e-12)
        #expect(abs(Distributions.chiSquareSurvival(11.070497693516351, df: 5) - 0.05) < 1e-12)
        #expect(abs(Distributions.chiSquareSurvival(7.3, df: 2) - exp(-3.65)) < 1e-14)
        #expect(abs(Distributions.twoSidedNormalP(1.959963984540054) - 0.05) < 1e-12)
        #expect(Distributions.chiSquareSurvival(0, df: 3) == 1)
    }

    @Test func gradesFollowTrainingQuartilesAndRanksAcceptance() throws {
        let model = try bundledModel()
        #expect(model.grades.map(\.grade) == ["A", "B", "C", "D"])
        #expect(model.grades[0].minScore > model.grades[1].minScore && model.grades[1].minScore > model.grades[2].minScore)
        let rates = model.grades.map(\.trainingPositiveRate)
        #expect(rates == rates.sorted(by: >))
        let total = model.grades.reduce(0) { $0 + $1.trainingLeads }
        #expect(total == model.provenance.trainingRows)
        #expect(model.grade(score: model.grades[0].minScore) == "A")
        #expect(model.grade(score: 0) == "D")
    }
}

@Suite struct CompiledScorerTests {
    /// The scoring loop's compiled log-odds and reason codes equal the model's and the Explainer's.
    @Test func compiledScorerAgreesWithModelAndExplainer() throws {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        let model = try TrainedOnce.model(o)
        let compiled = CompiledScorer(model: model)
        let explainer = Explainer(model: model)
        let reader = try CSVReader(path: Paths.newLeads)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: model.design, header: header, file: Paths.newLeads, parser: FieldParser())
        var record = CSVRecord()
        var values: [ResolvedValue] = []
        var rows = 0
        while try reader.next(into: &record) {
            try resolver.resolve(record, into: &values)
            let a = values.withUnsafeBufferPointer { compiled.logOdds($0) }
            #expect(a == model.logOdds(values))
            var bytes: [UInt8] = []
            values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: 3, to: &bytes) }
            var expected = explainer.reasonCodes(values, raw: { _ in "" }, k: 3)
            while expected.count < 3 { expected.append("") }
            #expect(String(decoding: bytes, as: UTF8.self) == "," + expected.joined(separator: ","))
            rows += 1
        }
        #expect(rows == 5000)
    }
}
