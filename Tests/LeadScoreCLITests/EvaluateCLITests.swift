import Foundation
import Testing

/// `leadscore evaluate` and `leadscore compare` against the reference figures of
/// Tests/Fixtures/make_evaluation_fixtures.py (numpy fast DeLong, scikit-learn, SciPy, statsmodels)
/// on the bundled leads and the two frozen models in Tests/Fixtures/evaluation/.
enum EvaluationReference {
    static let challenger = "Tests/Fixtures/evaluation/challenger.json"
    static let champion = "Tests/Fixtures/evaluation/champion.json"

    static func load() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/Tests/Fixtures/evaluation/reference.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }
}

/// `a` and `b` agree to a relative and absolute tolerance.
func close(_ a: Any?, _ b: Any?, _ tolerance: Double = 1e-9, _ what: String = "") -> Bool {
    guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else {
        Issue.record("\(what): not numbers: \(String(describing: a)) vs \(String(describing: b))")
        return false
    }
    let ok = abs(x - y) <= tolerance * max(1, abs(y))
    if !ok { Issue.record("\(what): \(x) vs reference \(y)") }
    return ok
}

@Suite("evaluate: figures against scikit-learn / statsmodels")
struct EvaluateCLITests {
    func checkFigures(_ ours: [String: Any], _ reference: [String: Any], _ label: String) {
        for key in ["leads", "positives", "positive_rate", "mean_probability", "log_loss", "brier"] {
            #expect(close(ours[key], reference[key], 1e-9, "\(label) \(key)"))
        }
        if let r = reference["auc"] as? [String: Any] {
            let o = ours["auc"] as? [String: Any] ?? [:]
            for key in ["auc", "standard_error", "low", "high"] { #expect(close(o[key], r[key], 1e-9, "\(label) auc.\(key)")) }
            #expect(close((ours["ks"] as? [String: Any])?["statistic"], reference["ks"], 1e-12, "\(label) ks"))
            let oc = ours["calibration"] as? [String: Any] ?? [:], rc = reference["calibration"] as! [String: Any]
            for key in ["intercept", "slope", "intercept_standard_error", "slope_standard_error"] {
                #expect(close(oc[key], rc[key], 1e-6, "\(label) calibration.\(key)"))
            }
        } else {
            #expect(ours["auc"] == nil, "\(label): an AUC for one class")
        }
    }

    @Test("overall, deciles, grades and --by lead_source match the reference")
    func againstReference() throws {
        let reference = try EvaluationReference.load()["evaluate"] as! [String: Any]
        let r = try CLI.run(["evaluate", "datasets/leads.csv", "--model", EvaluationReference.challenger, "--by", "lead_source", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try EvaluationReference.json(r.stdout)
        checkFigures(ours["overall"] as! [String: Any], reference["overall"] as! [String: Any], "overall")

        let od = ours["deciles"] as! [[String: Any]], rd = reference["deciles"] as! [[String: Any]]
        #expect(od.count == rd.count)
        for (o, r) in zip(od, rd) {
            for key in ["decile", "leads", "positives", "observed_rate", "mean_probability", "cumulative_gain", "lift", "cumulative_lift"] {
                #expect(close(o[key], r[key], 1e-9, "decile \(r["decile"]!) \(key)"))
            }
        }
        let og = ours["grades"] as! [[String: Any]], rg = reference["grades"] as! [[String: Any]]
        #expect(og.map { $0["grade"] as! String } == rg.map { $0["grade"] as! String })
        for (o, r) in zip(og, rg) {
            for key in ["leads", "positives", "rate", "low", "high"] { #expect(close(o[key], r[key], 1e-9, "grade \(r["grade"]!) \(key)")) }
        }
        let ob = ours["by"] as! [[String: Any]], rb = reference["by"] as! [[String: Any]]
        #expect(Set(ob.map { $0["level"] as! String }) == Set(rb.map { $0["level"] as! String }))
        for r in rb {
            guard let o = ob.first(where: { $0["level"] as? String == r["level"] as? String }) else { continue }
            checkFigures(o["figures"] as! [String: Any], r["figures"] as! [String: Any], "by \(r["level"]!)")
        }
    }

    @Test("text report shows every section; CSV has one row per figure")
    func textAndCSV() throws {
        let reference = try EvaluationReference.load()["evaluate"] as! [String: Any]
        let auc = ((reference["overall"] as! [String: Any])["auc"] as! [String: Any])
        let text = try CLI.run(["evaluate", "datasets/leads.csv", "--model", EvaluationReference.challenger, "--by", "lead_source"])
        #expect(text.status == 0)
        for heading in ["RANKING", "PROBABILITIES", "BY DECILE", "ACCEPTANCE BY GRADE", "BY lead_source", "calibration  slope"] {
            #expect(text.stdout.contains(heading), "missing \(heading)")
        }
        let shown = String(format: "%.3f [%.3f, %.3f]", auc["auc"] as! Double, auc["low"] as! Double, auc["high"] as! Double)
        #expect(text.stdout.contains(shown), "AUC line should read \(shown)")

        let csv = try CLI.run(["evaluate", "datasets/leads.csv", "--model", EvaluationReference.challenger, "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "section,group,metric,value")
        let aucRow = lines.first { $0.hasPrefix("overall,,auc,") }
        #expect(aucRow.flatMap { Double($0.split(separator: ",").last!) }.map { abs($0 - (auc["auc"] as! Double)) < 1e-12 } == true)
        #expect(lines.filter { $0.hasPrefix("decile,") }.count == 70)
    }

    @Test("a file of one outcome has no AUC and says so; a wrong target is refused")
    func degenerate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = try String(contentsOfFile: CLI.root + "/datasets/leads.csv", encoding: .utf8).split(separator: "\n")
        let accepted = [all[0]] + all.dropFirst().filter { $0.contains(",accepted,") }.prefix(50)
        let path = dir.appendingPathComponent("accepted.csv").path
        try (accepted.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["evaluate", path, "--model", EvaluationReference.challenger, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let overall = try EvaluationReference.json(r.stdout)["overall"] as! [String: Any]
        #expect(overall["auc"] == nil && overall["calibration"] == nil)
        #expect((try EvaluationReference.json(r.stdout)["notes"] as! [String]).contains { $0.contains("same outcome") })
        let bad = try CLI.run(["evaluate", "datasets/new-leads.csv", "--model", EvaluationReference.challenger])
        #expect(bad.status == 65, "unlabelled leads: \(bad.stderr)")
        #expect(bad.stderr.contains("status"))
    }
}
