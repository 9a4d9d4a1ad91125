import Foundation
import LeadData
import PropertyBased
import Testing
@testable import LeadModel
@testable import LeadSupport

/// Model files are checked on load: every model this version writes passes, and each kind of
/// corruption is refused with the field named by its JSON path.
@Suite struct ModelValidationTests {
    /// A small model trained on the bundled-like random leads, as JSON text.
    static func smallModel(seed: UInt64 = 11, rows: Int = 300) throws -> LeadScoreModel {
        let data = RandomLeads.csv(seed: seed, rows: rows)
        var o = TrainingOptions(dataPath: Paths.write(data.text), target: "y", positive: "1")
        o.minLevelCount = 5
        return try Trainer(options: o).train().model
    }

    /// A model with at least one categorical and one numeric column (fixed, so every mutation applies).
    static let mixedModel: LeadScoreModel = {
        var lines = ["num,cat,flag,y"]
        var rng = SplitMix64(seed: 5)
        for _ in 0..<400 {
            let x = rng.normal() * 3 + 10
            let level = ["a", "b", "c", "d"][Int(rng.uniform() * 4)]
            let flag = rng.uniform() < 0.5
            let eta = 0.3 * (x - 10) + (level == "b" ? 0.8 : 0) + (flag ? -0.5 : 0)
            lines.append("\(String(format: "%.3f", x)),\(level),\(flag ? "yes" : "no"),\(rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.holdoutFraction = 0
        // The mutations below edit a straight line's fields (term, scale).
        o.shapes.numeric = .linear
        return try! Trainer(options: o).train().model
    }()

    /// Writes `text` to a file and loads it; returns the refusal message, or nil when it loads.
    func refusal(_ text: String) -> String? {
        let path = Paths.write(text, name: "model.json")
        do {
            _ = try LeadScoreModel.load(from: path)
            return nil
        } catch let e as ModelFileError {
            return e.message
        } catch {
            return "unexpected error \(error)"
        }
    }

    /// The mixed model's JSON with `change` applied to its parsed object.
    func mutated(_ change: (inout [String: Any]) -> Void) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: try Self.mixedModel.jsonData()) as? [String: Any])
        change(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The mixed model's JSON with `design.columns[c][key]` set to `value`.
    func withColumn(_ c: Int, _ key: String, _ value: Any) throws -> String {
        try mutated { m in
            var d = m["design"] as! [String: Any]
            var columns = d["columns"] as! [[String: Any]]
            columns[c][key] = value
            d["columns"] = columns
            m["design"] = d
        }
    }

    /// Index of the mixed model's first column of `type` in `design.columns`.
    func columnIndex(_ type: ColumnType) throws -> Int {
        try #require(Self.mixedModel.design.columns.firstIndex { $0.type == type })
    }

    @Test func everyModelThisVersionWritesPassesTheValidator() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...1_000_000), Gen.int(in: 40...300)) { seed, rows in
            let data = RandomLeads.csv(seed: UInt64(seed), rows: rows)
            var o = TrainingOptions(dataPath: Paths.write(data.text), target: "y", positive: "1")
            o.minLevelCount = 1 + seed % 7
            o.penalty = seed % 3 == 0 ? .none : .l2
            o.classWeight = seed % 2 == 0 ? .balanced : .none
            o.holdoutFraction = seed % 5 == 0 ? 0 : 0.2
            let model: LeadScoreModel
            do { model = try Trainer(options: o).train().model } catch {
                // Random data may leave no usable rows or one outcome: that is refused, not written.
                return
            }
            let path = Paths.temporary("model.json")
            do {
                try model.write(to: path)
                let loaded = try LeadScoreModel.load(from: path)
                #expect(loaded.design == model.design)
                #expect(try loaded.jsonData() == model.jsonData(), "seed \(seed): the model does not read back to the same bytes")
            } catch {
                Issue.record("seed \(seed), rows \(rows): a model this version wrote was refused: \(error)")
            }
        }
    }

    @Test func aValidModelLoads() throws {
        #expect(refusal(try mutated { _ in }) == nil)
    }

    @Test func arrayLengthsThatDisagreeAreNamed() throws {
        let message = refusal(try mutated { m in
            var c = m["coefficients"] as! [String: Any]
            c["terms"] = Array((c["terms"] as! [Any]).dropLast())
            m["coefficients"] = c
        })
        #expect(message?.hasPrefix("corrupt model: coefficients.terms:") == true, "\(message ?? "accepted")")
        let means = refusal(try mutated { m in
            var d = m["design"] as! [String: Any]
            d["term_means"] = Array((d["term_means"] as! [Any]).dropFirst())
            m["design"] = d
        })
        #expect(means?.hasPrefix("corrupt model: design.term_means:") == true, "\(means ?? "accepted")")
    }

    @Test func termIndicesOutOfRangeAreNamed() throws {
        let c = try columnIndex(.numeric)
        let message = refusal(try withColumn(c, "term", 9999))
        #expect(message?.hasPrefix("corrupt model: design.columns[\(c)].term: term 9999 is out of range") == true, "\(message ?? "accepted")")
    }

    @Test func emptyOrUnorderedGradesAreNamed() throws {
        let empty = refusal(try mutated { m in m["grades"] = [Any]() })
        #expect(empty?.hasPrefix("corrupt model: grades:") == true, "\(empty ?? "accepted")")
        let unordered = refusal(try mutated { m in
            var grades = m["grades"] as! [[String: Any]]
            let first = grades[0]["min_score"]!
            grades[0]["min_score"] = grades[2]["min_score"]!
            grades[2]["min_score"] = first
            m["grades"] = grades
        })
        #expect(unordered?.hasPrefix("corrupt model: grades[1].min_score:") == true, "\(unordered ?? "accepted")")
    }

    @Test(arguments: [-3.0, 0.0])
    func aNegativeOrZeroPDOIsNamed(pdo: Double) throws {
        let message = refusal(try mutated { m in
            var s = m["scorecard"] as! [String: Any]
            s["pdo"] = pdo
            m["scorecard"] = s
        })
        #expect(message?.hasPrefix("corrupt model: scorecard.pdo:") == true, "\(message ?? "accepted")")
    }

    @Test func anUnknownReferenceLevelIsNamed() throws {
        let c = try columnIndex(.categorical)
        let message = refusal(try withColumn(c, "reference", "no-such-level"))
        #expect(message == "corrupt model: design.columns[\(c)].reference: 'no-such-level' is not one of the column's levels", "\(message ?? "accepted")")
    }

    @Test func aDuplicateKeyIsNamed() throws {
        let text = String(decoding: try Self.mixedModel.jsonData(), as: UTF8.self)
        // The same key twice in the scorecard object, the second spelled with an escape.
        let doubled = text.replacingOccurrences(of: "\"pdo\" :", with: "\"pd\\u006f\" : 1, \"pdo\" :")
        #expect(doubled != text)
        let message = refusal(doubled)
        #expect(message == "corrupt model: scorecard.pdo: the key \"pdo\" appears twice in one object", "\(message ?? "accepted")")
        // Where the duplicate sits deeper, the path says so.
        let c = try columnIndex(.categorical)
        let deep = refusal(try mutated { _ in }.replacingOccurrences(of: "\"reference\":", with: "\"reference\":\"x\",\"reference\":"))
        #expect(deep == "corrupt model: design.columns[\(c)].reference: the key \"reference\" appears twice in one object", "\(deep ?? "accepted")")
    }

    @Test func aNumberBeyondAFloatIsNamed() throws {
        let text = try mutated { m in
            var c = m["coefficients"] as! [String: Any]
            c["intercept"] = 12345.5
            m["coefficients"] = c
        }
        #expect(text.contains("12345.5"))
        let message = refusal(text.replacingOccurrences(of: "12345.5", with: "1e999"))
        #expect(message == "corrupt model: coefficients.intercept: the number 1e999 is beyond a 64-bit float", "\(message ?? "accepted")")
    }

    @Test func aWrongTypeNamesItsPath() throws {
        let c = try columnIndex(.numeric)
        let message = refusal(try withColumn(c, "scale", "wide"))
        #expect(message?.hasPrefix("corrupt model: design.columns[\(c)].scale: wrong value") == true, "\(message ?? "accepted")")
    }

    @Test func aFileOverTheCapIsRefusedWithoutReadingIt() throws {
        let path = Paths.temporary("huge-model.json")
        FileManager.default.createFile(atPath: path, contents: nil)
        // A sparse file: its size is over the cap, its blocks are never written or read.
        #expect(truncate(path, off_t(ModelFileLimits.maxBytes + 1)) == 0)
        do {
            _ = try LeadScoreModel.load(from: path)
            Issue.record("a file over the cap was accepted")
        } catch let e as ModelFileError {
            #expect(e.message.contains("larger than 64 MB"), "\(e.message)")
        }
    }

    /// Infinite statistics (separation, a column that barely varies) are written as null with a note,
    /// and the model reads back.
    @Test func infiniteStatisticsAreWrittenAsNullAndReadBack() throws {
        var lines = ["x,z,y"]
        var rng = SplitMix64(seed: 3)
        for _ in 0..<120 {
            let x = rng.uniform() * 0.01
            lines.append("\(String(format: "%.6f", x)),\(String(format: "%.3f", rng.normal())),\(x > 0.005 ? 1 : 0)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.penalty = .none
        o.holdoutFraction = 0
        o.shapes.numeric = .linear  // a straight line's odds ratio per unit
        let model = try Trainer(options: o).train().model
        #expect(model.notices.contains { $0.hasPrefix("separation: column 'x' alone separates the outcomes") })
        let x = try #require(model.inference.columns.first { $0.column == "x" }?.terms.first)
        #expect(!x.oddsRatio.isFinite)
        #expect(x.note?.contains("odds_ratio is +infinity") == true)
        let path = Paths.temporary("model.json")
        try model.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"odds_ratio\" : null"))
        let loaded = try LeadScoreModel.load(from: path)
        let back = try #require(loaded.inference.columns.first { $0.column == "x" }?.terms.first)
        #expect(back.oddsRatio == .infinity)
    }

    @Test func aColumnWhoseVarianceOverflowsIsKeptAndScaledByItsRange() throws {
        var lines = ["big,y"]
        var rng = SplitMix64(seed: 9)
        for _ in 0..<100 {
            let big = rng.uniform() < 0.5
            lines.append("\(big ? "1e200" : "-1e200"),\(rng.uniform() < (big ? 0.7 : 0.3) ? 1 : 0)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.holdoutFraction = 0
        let model = try Trainer(options: o).train().model
        let col = try #require(model.design.columns.first { $0.name == "big" }, "the column was dropped: \(model.notices)")
        #expect(col.numeric?.scale == 1e200)
        #expect(model.notices.contains { $0.contains("variance overflows") })
        #expect(!model.notices.contains { $0.contains("constant") })
        let path = Paths.temporary("model.json")
        try model.write(to: path)
        _ = try LeadScoreModel.load(from: path)
    }

    /// Balanced class weights: the prior correction puts the mean probability back at the base rate
    /// and leaves the ranking alone.
    @Test func balancedWeightsKeepProbabilitiesCalibrated() throws {
        var lines = ["a,b,y"]
        var rng = SplitMix64(seed: 21)
        for _ in 0..<6000 {
            let a = rng.normal(), b = rng.uniform() < 0.3
            let eta = -2.6 + 0.9 * a + (b ? 0.8 : 0)
            lines.append("\(String(format: "%.4f", a)),\(b ? "yes" : "no"),\(rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.holdoutFraction = 0
        o.classWeight = .balanced
        let model = try Trainer(options: o).train().model
        let base = model.metrics.train.positiveRate
        #expect(base < 0.2, "the data should be imbalanced, base rate \(base)")
        // Training rows' probabilities through the scoring path.
        let out = Paths.temporary("scores.csv")
        var s = ScoringOptions(dataPath: o.dataPath)
        s.outPath = out
        s.idColumn = nil
        _ = try Scorer(model: model).run(s)
        let p = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[1])! }
        let y = lines.dropFirst().map { $0.hasSuffix(",1") ? 1.0 : 0.0 }
        let mean = p.reduce(0, +) / Double(p.count)
        #expect(abs(mean - base) < 0.02, "mean probability \(mean) vs base rate \(base)")
        // The correction is log(n₁/n₀) for balanced weights, and without it the mean is far off.
        let n1 = y.reduce(0, +), n0 = Double(y.count) - n1
        let shift = try #require(model.coefficients.priorCorrection)
        #expect(abs(shift - log(n1 / n0)) < 1e-12)
        let uncorrected = p.map { StableMath.sigmoid(StableMath.logit($0) - shift) }
        #expect(abs(uncorrected.reduce(0, +) / Double(p.count) - base) > 0.1)
        let auc = try #require(ClassificationMetrics.rocAUC(p, y))
        let uncorrectedAUC = try #require(ClassificationMetrics.rocAUC(uncorrected, y))
        #expect(abs(auc - uncorrectedAUC) < 1e-12)
        // The same ranking as the uncorrected fit: coefficients other than the intercept unchanged.
        var unweighted = o
        unweighted.classWeight = .none
        #expect(try Trainer(options: unweighted).train().model.coefficients.priorCorrection == nil)
    }

    @Test func aDesignOverTheTermCapIsRefusedBeforeFitting() throws {
        let columns = TrainingOptions.maxTerms + 1
        var lines = [(0..<columns).map { "c\($0)" }.joined(separator: ",") + ",y"]
        var rng = SplitMix64(seed: 4)
        for r in 0..<40 {
            lines.append((0..<columns).map { _ in String(Int(rng.uniform() * 100)) }.joined(separator: ",") + ",\(r % 2)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.holdoutFraction = 0
        let start = Date()
        do {
            _ = try Trainer(options: o).train()
            Issue.record("a design of \(columns) terms was fitted")
        } catch let e as InputError {
            #expect(e.description.contains("the design has \(columns) terms"), "\(e.description)")
            #expect(e.description.contains("more than the \(TrainingOptions.maxTerms)"))
        }
        #expect(Date().timeIntervalSince(start) < 30)
    }
}
