import Foundation
import Testing

/// `explain`, `drivers` and `score --reasons` as a sales rep and a pipeline use them.
@Suite(.serialized) struct ExplainCLITests {
    let dir = CLI.temporaryDirectory()

    /// The bundled leads' model, trained once for the whole test process (`CLI.trainedOnce`).
    func model() throws -> String {
        let (path, r) = try CLI.trainedOnce(["datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                             "--exclude", "reject_reason", "--time", "created_at"])
        #expect(r.stdout.contains("drivers:"))
        #expect(r.stdout.contains("grades:"))
        return path
    }

    @Test func explainOneLeadByIdAsJSON() throws {
        let r = try CLI.run(["explain", "L0000002", "--model", try model(), "--data", "datasets/leads.csv", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["id", "probability", "log_odds", "score", "grade", "base_log_odds", "base_score", "contributions", "what_would_raise"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        #expect(o["id"] as? String == "L0000002")
        let contributions = try #require(o["contributions"] as? [[String: Any]])
        for key in ["column", "value", "log_odds", "points", "code", "reason"] { #expect(contributions[0][key] != nil, "\(key)") }
        let sum = contributions.reduce(0.0) { $0 + ($1["log_odds"] as! Double) }
        #expect(abs((o["base_log_odds"] as! Double) + sum - (o["log_odds"] as! Double)) < 1e-9)
        // The explained probability equals the one `score` writes for that lead.
        let scores = try CLI.run(["score", "datasets/leads.csv", "--model", try model(), "--quiet"])
        let line = try #require(scores.stdout.split(separator: "\n").first { $0.hasPrefix("L0000002,") })
        // (Foundation's JSON parser is not always correctly rounded, hence 1e-15 rather than equality.)
        let scored = try #require(Double(line.split(separator: ",")[1]))
        #expect(abs(scored - (o["probability"] as! Double)) <= 1e-15 * scored)
    }

    @Test func explainTextHasBarsReasonsAndSuggestions() throws {
        let r = try CLI.run(["explain", "L0000002", "--model", try model(), "--data", "datasets/leads.csv"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Lead L0000002: score"))
        #expect(r.stdout.contains("█"))
        #expect(r.stdout.contains("Main reasons it scored lower"))
        #expect(r.stdout.contains("What would raise it"))
        let missing = try CLI.run(["explain", "NOPE", "--model", try model(), "--data", "datasets/leads.csv"])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("no lead with this id"))
    }

    @Test func explainInlineAndFromStandardInput() throws {
        let inline = try CLI.run(["explain", "--model", try model(), "--lead", "lead_source=cold_list,email_type=free,page_views=2", "--format", "json"])
        #expect(inline.status == 0, "\(inline.stderr)")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(inline.stdout.utf8)) as? [String: Any])
        let codes = (a["contributions"] as! [[String: Any]]).prefix(3).map { $0["code"] as! String }
        #expect(codes.contains("lead_source=cold_list"))
        let json = try CLI.run(["explain", "--model", try model(), "--format", "json"],
                               stdin: "{\"lead_source\": \"cold_list\", \"email_type\": \"free\", \"page_views\": 2}")
        #expect(json.status == 0, "\(json.stderr)")
        let b = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(a["log_odds"] as? Double == b["log_odds"] as? Double)
        let bad = try CLI.run(["explain", "--model", try model(), "--lead", "page_views=lots"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("text in a numeric column"))
    }

    @Test func explainEveryLeadOfAFileAsJSONLines() throws {
        let data = dir + "/few.csv"
        let rows = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").prefix(6)
        CLI.write(rows.joined(separator: "\n") + "\n", to: data)
        let r = try CLI.run(["explain", "--model", try model(), "--data", data])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
    }

    /// With `--on-error skip`, a bad row is reported and the good rows' explanations are still
    /// written (status 3), as `score` keeps its scored rows.
    @Test func skippedRowsKeepTheOtherExplanations() throws {
        let data = dir + "/some-bad.csv"
        var rows = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").prefix(6).map(String.init)
        let column = try #require(rows[0].split(separator: ",").firstIndex(of: "page_views"))
        var fields = rows[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[column] = "many"
        rows[3] = fields.joined(separator: ",")
        CLI.write(rows.joined(separator: "\n") + "\n", to: data)
        let r = try CLI.run(["explain", "--model", try model(), "--data", data, "--on-error", "skip"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("not explained"), "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 4, "\(r.stdout)")
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
    }

    @Test func driversInEveryFormat() throws {
        let json = try CLI.run(["drivers", "--model", try model(), "--format", "json"])
        #expect(json.status == 0)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let columns = try #require(o["columns"] as? [[String: Any]])
        #expect(o["intercept"] != nil)
        for key in ["column", "importance", "p_value", "terms"] { #expect(columns[0][key] != nil, "\(key)") }
        let term = try #require((columns[0]["terms"] as? [[String: Any]])?.first)
        for key in ["term", "coefficient", "std_error", "z", "p_value", "odds_ratio", "ci_low", "ci_high"] { #expect(term[key] != nil, "\(key)") }
        let importances = columns.map { $0["importance"] as! Double }
        #expect(importances == importances.sorted(by: >))
        let text = try CLI.run(["drivers", "--model", try model()])
        #expect(text.stdout.contains("approximate"))
        let csv = try CLI.run(["drivers", "--model", try model(), "--format", "csv"])
        #expect(csv.stdout.hasPrefix("column,importance,importance_points,column_p_value,term,coefficient"))
    }

    @Test func scoreWithReasonsAndGrades() throws {
        let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", try model(), "--reasons", "3", "--quiet"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines[0] == "lead_id,probability,score,grade,reason_1,reason_2,reason_3")
        let grades = Set(lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[3] })
        #expect(grades == ["A", "B", "C", "D"])
        // The first reason equals the most negative contribution `explain` reports.
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        let e = try CLI.run(["explain", String(first[0]), "--model", try model(), "--data", "datasets/new-leads.csv", "--format", "json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let worst = (o["contributions"] as! [[String: Any]]).first!
        #expect(String(first[4]) == worst["code"] as? String)
    }
}
