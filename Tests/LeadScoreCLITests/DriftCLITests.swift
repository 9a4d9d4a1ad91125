import Foundation
import Testing

@Suite("drift: the training profile in the model, the report and its exit status")
struct DriftCLITests {
    static let train = ["--target", "status", "--positive", "accepted", "--id", "lead_id", "--exclude", "reject_reason",
                        "--time", "created_at", "--holdout-after", "2026-06-30", "--quiet"]

    @Test("train stores the profile of its training rows (the reference's bins); stable new leads exit 0, drifted ones 4")
    func profileAndStatus() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/model.json"
        #expect(try CLI.run(["train", "datasets/leads.csv", "--out", model] + Self.train).status == 0)
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
        let profile = m["training_profile"] as! [String: Any]
        let reference = (try EvaluationReference.load())["drift"] as! [String: Any]
        #expect(profile["rows"] as? Int == reference["training_rows"] as? Int)
        let refColumns = reference["columns"] as! [String: [String: Any]]
        for c in profile["columns"] as! [[String: Any]] {
            if let edges = refColumns[c["name"] as! String]?["edges"] as? [Double] {
                #expect((c["bins"] as? [String: Any])?["edges"] as? [Double] == edges, "\(c["name"]!) edges")
            }
        }

        let stable = try CLI.run(["drift", "datasets/new-leads.csv", "--model", model])
        #expect(stable.status == 0, "\(stable.stderr)")
        #expect(stable.stdout.contains("STABLE"))

        // Drifted: page views four times as high, every lead from a cold list.
        let lines = try String(contentsOfFile: CLI.root + "/datasets/new-leads.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        let pv = header.firstIndex(of: "page_views")!, source = header.firstIndex(of: "lead_source")!
        let drifted = [String(lines[0])] + lines.dropFirst().map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[pv] = String(Int(f[pv])! * 4 + 5)
            f[source] = "cold_list"
            return f.joined(separator: ",")
        }
        try (drifted.joined(separator: "\n") + "\n").write(toFile: dir + "/drifted.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["drift", dir + "/drifted.csv", "--model", model, "--format", "json"])
        #expect(r.status == 4, "drift above 0.25 exits 4: \(r.stderr)")
        let report = try EvaluationReference.json(r.stdout)
        #expect(report["status"] as? String == "major")
        let columns = report["columns"] as! [[String: Any]]
        #expect(Set(columns.prefix(2).map { $0["column"] as! String }) == ["page_views", "lead_source"])
        #expect((columns.first!["psi"] as! Double) >= 0.25)

        // compare includes the drift of the data since OLD was trained, and its verdict names the worst column.
        let history = try String(contentsOfFile: CLI.root + "/datasets/leads.csv", encoding: .utf8).split(separator: "\n").prefix(3001)
        let hh = history[0].split(separator: ",").map(String.init)
        let hpv = hh.firstIndex(of: "page_views")!
        let labelled = [String(history[0])] + history.dropFirst().map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[hpv] = String(Int(f[hpv])! * 4 + 5)
            return f.joined(separator: ",")
        }
        try (labelled.joined(separator: "\n") + "\n").write(toFile: dir + "/drifted-labelled.csv", atomically: true, encoding: .utf8)
        let c = try CLI.run(["compare", model, model, "--data", dir + "/drifted-labelled.csv"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.contains("DRIFT SINCE OLD WAS TRAINED: major"))
        #expect(c.stdout.hasPrefix("no significant difference in ranking"), "\(c.stdout.prefix(200))")
        #expect(c.stdout.split(separator: "\n").first?.contains("page_views drifted (PSI") == true)
    }

    @Test("a model without a profile: drift says so, status 65; its file bytes do not gain the key")
    func olderModel() throws {
        let r = try CLI.run(["drift", "datasets/new-leads.csv", "--model", EvaluationReference.champion])
        #expect(r.status == 65)
        #expect(r.stderr.contains("stores no training profile"))
        let bytes = try String(contentsOfFile: CLI.root + "/" + EvaluationReference.champion, encoding: .utf8)
        #expect(!bytes.contains("training_profile"))
    }
}
