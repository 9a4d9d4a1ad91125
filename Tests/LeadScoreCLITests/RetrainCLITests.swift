import Foundation
import Testing

/// The monthly retrain: `train --scale-from` keeps last month's scale, the default `--out` never
/// overwrites a model, and `leadscore models` lists the versions.
@Suite("retrain: stable scale, versioned files, models listing")
struct RetrainCLITests {
    static let base = ["--target", "status", "--positive", "accepted", "--id", "lead_id", "--exclude", "reject_reason,page_views",
                       "--time", "created_at", "--holdout-after", "2026-06-30", "--quiet"]

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    @Test("--scale-from keeps the earlier model's PDO, reference and grade cut-offs, and reports each grade's move")
    func scaleFrom() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let last = CLI.root + "/" + EvaluationReference.challenger
        let r = try CLI.run(["train", "datasets/leads.csv", "--out", dir + "/new.json", "--scale-from", last, "--json"] + Self.base)
        #expect(r.status == 0, "\(r.stderr)")
        let old = try json(last), new = try json(dir + "/new.json")
        let oldScale = old["scorecard"] as! [String: Any], newScale = new["scorecard"] as! [String: Any]
        for key in ["pdo", "reference_score", "reference_odds", "factor", "offset"] {
            #expect((oldScale[key] as! Double) == (newScale[key] as! Double), "scorecard.\(key)")
        }
        let oldGrades = old["grades"] as! [[String: Any]], newGrades = new["grades"] as! [[String: Any]]
        #expect(oldGrades.map { $0["min_score"] as! Double } == newGrades.map { $0["min_score"] as! Double })
        #expect(oldGrades.map { $0["grade"] as! String } == newGrades.map { $0["grade"] as! String })
        // The summary: each grade's training acceptance rate, last model's beside the new one's.
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let moves = (summary["scale_from"] as! [String: Any])["grades"] as! [[String: Any]]
        #expect(moves.count == oldGrades.count)
        for (m, (o, n)) in zip(moves, zip(oldGrades, newGrades)) {
            #expect(m["last_rate"] as? Double == o["training_positive_rate"] as? Double)
            #expect(m["rate"] as? Double == n["training_positive_rate"] as? Double)
        }
        let text = try CLI.run(["train", "datasets/leads.csv", "--out", dir + "/text.json", "--scale-from", last] + Self.base)
        #expect(text.stdout.contains("scale kept from"), "\(text.stdout)")
        #expect(text.stdout.contains("accepted (last → now)"))
        let conflict = try CLI.run(["train", "datasets/leads.csv", "--out", dir + "/x.json", "--scale-from", last, "--pdo", "20"] + Self.base)
        #expect(conflict.status == 64)
    }

    @Test("the default --out never overwrites: a same-day retrain gets -2, then -3; models lists them")
    func versionsAndListing() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.root + "/datasets/leads.csv", toPath: dir + "/leads.csv")
        let args = Self.base.map { "'\($0)'" }.joined(separator: " ")
        for _ in 0..<3 {
            let r = try CLI.shell("cd '\(dir)' && \"$LEADSCORE\" train leads.csv \(args)")
            #expect(r.status == 0, "\(r.stderr)")
        }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        let day = f.string(from: Date())
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/models").sorted()
        #expect(files == ["leads-\(day)-2.json", "leads-\(day)-3.json", "leads-\(day).json"].sorted())

        try FileManager.default.copyItem(atPath: CLI.root + "/" + EvaluationReference.champion, toPath: dir + "/models/old.json")
        try "not a model".write(toFile: dir + "/models/notes.json", atomically: true, encoding: .utf8)
        // A FIFO named like a model is skipped, not opened (opening it would wait for a writer forever).
        #expect(mkfifo(dir + "/models/pipe.json", 0o600) == 0)
        let listing = try CLI.run(["models", dir + "/models", "--format", "json"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let l = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as! [String: Any]
        let models = l["models"] as! [[String: Any]]
        #expect(models.count == 4)
        #expect((l["skipped"] as! [String: String]).keys.contains { $0.hasSuffix("notes.json") })
        #expect((l["skipped"] as! [String: String]).first { $0.key.hasSuffix("pipe.json") }?.value == "not a regular file")
        let champion = try json(CLI.root + "/" + EvaluationReference.champion)
        let old = models.first { ($0["file"] as! String).hasSuffix("old.json") }!
        let provenance = champion["provenance"] as! [String: Any]
        #expect(old["data_fingerprint"] as? String == String((provenance["data_sha256"] as! String).prefix(12)))
        #expect(old["training_rows"] as? Int == provenance["training_rows"] as? Int)
        #expect(old["auc"] as? Double == ((champion["metrics"] as! [String: Any])["holdout"] as! [String: Any])["auc"] as? Double)
        #expect(old["lambda"] as? String == "1.0")
        #expect((old["options"] as! [String: String])["exclude"] == "reject_reason,page_views")
        // Only the options that differ from today's defaults are listed: the versions trained here
        // with defaults list none of penalty, class weight, shape or fold settings.
        for model in models where (model["file"] as? String ?? "").contains("leads-") {
            let options = try #require(model["options"] as? [String: String])
            for key in ["penalty", "class_weight", "numeric", "knots", "folds", "lambda_rule", "min_level_count", "reference_score"] {
                #expect(options[key] == nil, "\(key) has its default value but is listed: \(options)")
            }
        }
        // Oldest first.
        let dates = models.map { $0["created_at"] as! String }
        #expect(dates == dates.sorted())
        let text = try CLI.run(["models", dir + "/models"])
        #expect(text.stdout.contains("leads-\(day)-3.json") && text.stdout.contains("skipped"))
        #expect(try CLI.run(["models", dir + "/nowhere"]).status == 66)
    }
}
