import Foundation
import Testing
import LeadModel

/// `train --interaction A:B` from the command line, and what explain, score, drivers show of it.
@Suite struct InteractionsCLITests {
    let dir = CLI.temporaryDirectory()

    func train(_ extra: [String], data: String = "datasets/leads.csv", out: String = "m.json") throws -> CLI.Result {
        try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                     "--exclude", "reject_reason,created_at", "--out", dir + "/" + out, "--quiet"] + extra)
    }

    @Test(arguments: [
        (["--interaction", "lead_source"], "--interaction takes two column names joined by ':'"),
        (["--interaction", "lead_source:"], "--interaction takes two column names joined by ':'"),
        (["--interaction", "job_level:job_level"], "a column cannot interact with itself"),
        (["--interaction", "lead_source:job_level", "--interaction", "job_level:lead_source"], "is given twice"),
    ])
    func badInteractionOptionsAreUsageErrors(args: [String], message: String) throws {
        let r = try train(args)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    /// With no option, train searches both steps (`--numeric auto`) and pairs (`--interactions
    /// auto`), and says so in the summary and the model's options; `--interactions none --numeric
    /// spline` searches neither.
    @Test func theDefaultSearchesShapesAndPairs() throws {
        let r = try train(["--json", "--holdout", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["interaction_search"] is [String: Any], "\(r.stdout)")
        let shapes = try #require(summary["shape_search"] as? [String: Any], "\(r.stdout)")
        #expect(Set(shapes["columns"] as? [String] ?? []) == ["company_size", "page_views", "days_since_last_activity", "marketing_touches"])
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.json"))) as! [String: Any]
        let options = (model["provenance"] as! [String: Any])["options"] as! [String: String]
        #expect(options["interactions"] == "auto" && options["numeric"] == "auto", "\(options)")
        #expect(model["shape_search"] != nil && model["interaction_search"] != nil)

        let plain = try train(["--json", "--holdout", "0", "--interactions", "none", "--numeric", "spline"], out: "plain.json")
        #expect(plain.status == 0, "\(plain.stderr)")
        let plainSummary = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as! [String: Any]
        #expect(plainSummary["interaction_search"] == nil && plainSummary["shape_search"] == nil && plainSummary["interactions"] == nil)
    }

    /// A column name holding a ':' can be paired: the ':' that parts two columns of the header is
    /// the one used; a text that reads two ways, or none, is refused naming the readings.
    @Test func columnNamesWithAColonCanInteract() throws {
        let data = dir + "/colons.csv"
        var rng = SystemRandomNumberGenerator()
        var lines = ["lead_id,utm:source,plan,a,a:b,b:c,c,status"]
        for i in 0..<800 {
            let source = ["ads", "mail", "event"][i % 3], plan = ["basic", "pro"][i % 2 == 0 ? 0 : Int.random(in: 0...1, using: &rng)]
            let won = (source == "event" && plan == "pro") || i % 4 == 0
            lines.append("L\(i),\(source),\(plan),x\(i % 2),y\(i % 3),z\(i % 2),w\(i % 3),\(won ? "accepted" : "rejected")")
        }
        CLI.write(lines.joined(separator: "\n") + "\n", to: data)
        func train(_ pair: String) throws -> CLI.Result {
            try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                         "--interaction", pair, "--out", dir + "/m.json", "--quiet"])
        }
        let r = try train("utm:source:plan")
        #expect(r.status == 0, "\(r.stderr)")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.json"))) as! [String: Any]
        let interactions = (model["design"] as! [String: Any])["interactions"] as? [[String: Any]]
        #expect((interactions?.first?["first"] as? [String: Any])?["column"] as? String == "utm:source")
        #expect((interactions?.first?["second"] as? [String: Any])?["column"] as? String == "plan")
        let ambiguous = try train("a:b:c")
        #expect(ambiguous.status == 65 && ambiguous.stderr.contains("can be read as 'a' with 'b:c' or 'a:b' with 'c'"), "\(ambiguous.stderr)")
        let none = try train("utm:plan:x")
        #expect(none.status == 65 && none.stderr.contains("no ':' in it parts two columns of the header"), "\(none.stderr)")
    }

    /// An interaction is one more contribution: `score --reasons K` and `export sql --reasons K` cap
    /// K at columns + interactions, and can name the interaction as a reason.
    @Test func reasonsCountTheInteractionsToo() throws {
        let data = dir + "/two-columns.csv"
        let lines = CLI.read(CLI.root + "/datasets/leads.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        let keep = ["lead_id", "lead_source", "job_level", "status"].map { name in header.firstIndex(of: name)! }
        CLI.write(lines.map { row in keep.map { String(row[$0]) }.joined(separator: ",") }.joined(separator: "\n") + "\n", to: data)
        let model = dir + "/two.json"
        let t = try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--id", "lead_id", "--lambda", "1",
                             "--interaction", "lead_source:job_level", "--out", model, "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let s = try CLI.run(["score", data, "--model", model, "--reasons", "5"])
        #expect(s.status == 0, "\(s.stderr)")
        let rows = s.stdout.split(separator: "\n")
        #expect(rows.first == "lead_id,probability,score,grade,reason_1,reason_2,reason_3", "\(rows.first ?? "")")
        #expect(s.stderr.contains("--reasons 5 capped at 3: the model has 2 columns and 1 interaction"), "\(s.stderr)")
        #expect(rows.dropFirst().contains { $0.contains(" × ") }, "no lead has the interaction among its reasons")
        let sql = try CLI.run(["export", "sql", "--model", model, "--dialect", "duckdb", "--reasons", "5"])
        #expect(sql.status == 0 && sql.stdout.contains("reason_3") && !sql.stdout.contains("reason_4"), "\(sql.stderr)")
    }

    @Test func interactionsTakesNoneOrAuto() throws {
        let r = try train(["--interactions", "maybe"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("--interactions"), "\(r.stderr)")
    }

    /// The summary lists the pairs the search kept and rejected, in text and JSON.
    @Test func theSummaryListsThePairsTried() throws {
        let data = dir + "/shaped.csv"
        #expect(try CLI.run(["generate", "--shapes", "--rows", "6000", "--seed", "21", "--out", data]).status == 0)
        let text = try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                "--exclude", "reject_reason,created_at", "--out", dir + "/auto.json", "--lambda", "1", "--interactions", "auto"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("best-screened pair(s) (at most \(InteractionSearch.defaultCap)) tried"), "\(text.stdout)")
        // The pairs' verdicts (the shapes' verdicts, "kept     column as n bins", have no "×").
        let verdicts = text.stdout.split(separator: "\n").filter { ($0.hasPrefix("            kept ") || $0.hasPrefix("            rejected ")) && $0.contains(" × ") }
        #expect((1...InteractionSearch.defaultCap).contains(verdicts.count), "\(text.stdout)")
        let json = try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                "--exclude", "reject_reason,created_at", "--out", dir + "/auto2.json", "--lambda", "1", "--interactions", "auto", "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let search = try #require(summary["interaction_search"] as? [String: Any])
        let kept = search["kept"] as! [String], rejected = search["rejected"] as! [String]
        // The pairs whose screen gain beats chance, at most the cap: the same in text and JSON.
        #expect(kept.count + rejected.count == verdicts.count)
        #expect((summary["interactions"] as? [String] ?? []).count == kept.count)
        for (line, pair) in zip(verdicts, (search["trials"] as! [[String: Any]])) {
            let name = (pair["pair"] as! String).replacingOccurrences(of: ":", with: " × ")
            #expect(line.contains(name) && line.contains((pair["kept"] as! Bool) ? "kept" : "rejected"), "\(line)")
        }
    }

    /// patterns' model gap for the planted pair names the train option that adds it; with that
    /// interaction in the model, the gap is gone.
    @Test func patternsSuggestsTheExactOptionAndTheInteractionClosesTheGap() throws {
        let data = dir + "/shaped.csv"
        #expect(try CLI.run(["generate", "--shapes", "--rows", "8000", "--seed", "21", "--out", data]).status == 0)
        // Without the search, which would find the pair itself.
        #expect(try train(["--lambda", "1", "--interactions", "none"], data: data, out: "main.json").status == 0)
        #expect(try train(["--lambda", "1", "--interactions", "none", "--interaction", "lead_source:job_level"], data: data, out: "pair.json").status == 0)
        func gaps(_ model: String) throws -> String {
            let r = try CLI.run(["patterns", data, "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                 "--exclude", "reject_reason,created_at", "--model", dir + "/" + model, "--top", "20"])
            #expect(r.status == 0, "\(r.stderr)")
            return String(r.stdout.split(separator: "WHAT THE MODEL MISSES").last ?? "")
        }
        let without = try gaps("main.json")
        #expect(without.contains("lead_source = event and job_level = individual"), "\(without)")
        #expect(without.contains("retrain with train --interaction lead_source:job_level ("), "\(without)")
        let with = try gaps("pair.json")
        #expect(!with.contains("lead_source = event and job_level = individual"), "\(with)")
    }

    @Test(arguments: [("lead_sorce:job_level", "lead_sorce"), ("status:job_level", "not a feature"), ("job_level:reject_reason", "not a feature")])
    func aColumnTheModelCannotUseIsNamed(pair: String, message: String) throws {
        let r = try train(["--interaction", pair])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    /// The planted pair of `generate --shapes`: the model file holds it under design.interactions,
    /// explain shows it as one more line (contributions still add up), score's reasons are explain's,
    /// drivers gives its joint test in text, JSON and CSV.
    @Test func anInteractionReachesExplainScoreAndDrivers() throws {
        let data = dir + "/shaped.csv"
        let g = try CLI.run(["generate", "--shapes", "--rows", "4000", "--seed", "21", "--out", data])
        #expect(g.status == 0, "\(g.stderr)")
        let r = try train(["--interaction", "lead_source:job_level", "--interaction", "page_views:email_type", "--lambda", "1", "--interactions", "none"], data: data)
        #expect(r.status == 0, "\(r.stderr)")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.json"))) as! [String: Any]
        let interactions = try #require((model["design"] as! [String: Any])["interactions"] as? [[String: Any]])
        #expect(interactions.count == 2)
        #expect((interactions[1]["first"] as! [String: Any])["cuts"] as? [Double] != nil)

        // A lead in the planted cell.
        let rows = CLI.read(data).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let lead = try #require(rows.first { $0[2] == "event" && $0[6] == "individual" })[0]
        let text = try CLI.run(["explain", lead, "--model", dir + "/m.json", "--data", data])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("  lead_source × job_level "), "\(text.stdout)")
        #expect(text.stdout.contains("  page_views × email_type "), "\(text.stdout)")
        let json = try CLI.run(["explain", lead, "--model", dir + "/m.json", "--data", data, "--format", "json"])
        let e = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let contributions = e["contributions"] as! [[String: Any]]
        let pair = try #require(contributions.first { $0["column"] as? String == "lead_source × job_level" })
        #expect(pair["code"] as? String == "lead_source=event × job_level=individual")
        #expect((pair["reason"] as? String)?.hasPrefix("lead_source=event × job_level=individual: ") == true)
        let sum = contributions.reduce(0.0) { $0 + ($1["log_odds"] as! Double) }
        #expect(abs(e["base_log_odds"] as! Double + sum - (e["log_odds"] as! Double)) < 1e-9)

        // score's reasons for that lead are explain's most negative contributions.
        let scored = try CLI.run(["score", data, "--model", dir + "/m.json", "--reasons", "5"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let line = try #require(scored.stdout.split(separator: "\n").first { $0.hasPrefix(lead + ",") })
        let reasons = line.split(separator: ",", omittingEmptySubsequences: false).dropFirst(4).filter { !$0.isEmpty }.map(String.init)
        let expected = contributions.filter { ($0["points"] as! Double) <= -0.5 }.prefix(5).map { $0["code"] as! String }
        #expect(reasons == Array(expected), "\(line)")

        let drivers = try CLI.run(["drivers", "--model", dir + "/m.json"])
        #expect(drivers.stdout.contains("lead_source × job_level"), "\(drivers.stdout)")
        #expect(drivers.stdout.contains("    lead_source=event × job_level=individual "), "\(drivers.stdout)")
        let dj = try JSONSerialization.jsonObject(with: Data(try CLI.run(["drivers", "--model", dir + "/m.json", "--format", "json"]).stdout.utf8)) as! [String: Any]
        let column = try #require((dj["columns"] as! [[String: Any]]).first { $0["column"] as? String == "lead_source × job_level" })
        let cells = (interactions[0]["cells"] as! [Any]).count
        #expect(column["df"] as? Int == cells && (column["terms"] as! [Any]).count == cells)
        #expect(column["wald_chi2"] as? Double != nil)
        let csv = try CLI.run(["drivers", "--model", dir + "/m.json", "--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").filter { $0.hasPrefix("lead_source × job_level,") }.count == cells)
    }
}
