import Foundation
import Testing

/// `leadscore sla` against Tests/Fixtures/make_sla_fixtures.py (pandas/numpy) on the bundled CRM
/// export, and `generate --crm`.
@Suite("sla: service level against the reference")
struct SLACLITests {
    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/Tests/Fixtures/sla-reference.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func checkTimes(_ ours: [String: Any], _ reference: [String: Any], _ label: String) {
        for key in ["decided", "undecided", "median_days", "p90_days", "mean_days", "within_max_days", "acceptance_rate"] {
            #expect(close(ours[key], reference[key], 1e-9, "\(label) \(key)"))
        }
    }

    @Test("times by owner, source and grade, held leads, the recycle split and returned leads match the reference")
    func againstReference() throws {
        let reference = try Self.reference()
        let r = try CLI.run(["sla", "datasets/crm-leads.csv", "--model", "models/leads.json", "--max-days", "5", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try EvaluationReference.json(r.stdout)
        checkTimes(ours["overall"] as! [String: Any], reference["overall"] as! [String: Any], "overall")
        for (key, section) in [("by_owner", "by_owner"), ("by_source", "by_source"), ("by_grade", "by_grade")] {
            let groups = ours[key] as! [[String: Any]], ref = reference[section] as! [String: [String: Any]]
            #expect(Set(groups.map { $0["group"] as! String }) == Set(ref.keys), "\(key) groups")
            for g in groups { checkTimes(g["times"] as! [String: Any], ref[g["group"] as! String] ?? [:], "\(key) \(g["group"]!)") }
        }
        #expect(close(ours["held_past_max_days"], reference["held_past_max_days"], 0, "held past 5 days"))
        let recycle = ours["recycle"] as! [String: Any], rr = reference["recycle"] as! [String: Any]
        for key in ["rejected", "recycle", "discard", "threshold"] { #expect(close(recycle[key], rr[key], 1e-12, "recycle \(key)")) }
        let back = ours["returned"] as! [String: Any], rb = reference["returned"] as! [String: Any]
        for key in ["returned", "accepted", "acceptance_rate", "other_acceptance_rate", "recommended_before", "recommended_accepted"] {
            #expect(close(back[key], rb[key], 1e-12, "returned \(key)"))
        }
        // The slow owner the generator plants is the slowest in the report.
        func median(_ g: [String: Any]) -> Double { (g["times"] as! [String: Any])["median_days"] as! Double }
        let slowest = (ours["by_owner"] as! [[String: Any]]).max { median($0) < median($1) }
        #expect(slowest?["group"] as? String == "rep_07")
    }

    @Test("the text summary speaks to both teams; the queue CSV is spreadsheet-safe")
    func textAndQueue() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var lines = try String(contentsOfFile: CLI.root + "/datasets/crm-leads.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let owner = header.firstIndex(of: "owner")!
        var fields = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[owner] = "@SUM(A1)"
        lines[1] = fields.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/crm.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["sla", dir + "/crm.csv", "--model", "models/leads.json", "--queue-out", dir + "/queue.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        for heading in ["SERVICE LEVEL", "BY SOURCE", "BY GRADE", "BY OWNER", "HELD PAST 5 DAYS", "FOR MARKETING", "CAME BACK"] {
            #expect(r.stdout.contains(heading), "missing \(heading)")
        }
        let queue = try String(contentsOfFile: dir + "/queue.csv", encoding: .utf8).split(separator: "\n")
        #expect(queue.first == "id,owner,source,decided_at,reason,recommendation,nurture_until,probability_accepted_later,main_driver")
        let reference = try Self.reference()
        #expect(queue.count - 1 == (reference["recycle"] as! [String: Any])["rejected"] as! Int)
        let first = String(fields[0])
        let row = queue.first { $0.hasPrefix(first + ",") }
        if fields[header.firstIndex(of: "status")!] == "rejected" {
            #expect(row?.contains("\"'@SUM(A1)\"") == true, "formula neutralized: \(row ?? "")")
        }
        #expect(!queue.contains { $0.contains(",@SUM") })
        // Recycled leads have a nurture-until date 90 days after the decision.
        let recycled = queue.dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false)[5] == "recycle" }
        #expect(recycled.count == (reference["recycle"] as! [String: Any])["recycle"] as! Int)
        for line in recycled.prefix(20) {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let decided = ISO8601DateFormatter().date(from: f[3])!
            let until = f[6]
            let expected = ISO8601DateFormatter().string(from: decided.addingTimeInterval(90 * 86400)).prefix(10)
            #expect(until == expected, "\(f[0]): \(until) vs \(expected)")
        }
    }

    @Test("generate --crm: the bundled export's bytes, and the plain generator's columns unchanged")
    func generateCRM() throws {
        let crm = try CLI.run(["generate", "--rows", "5000", "--seed", "9", "--crm"])
        #expect(crm.status == 0)
        #expect(crm.stdout == (try String(contentsOfFile: CLI.root + "/datasets/crm-leads.csv", encoding: .utf8)))
        let plain = try CLI.run(["generate", "--rows", "5000", "--seed", "9"])
        let stripped = crm.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(16).joined(separator: ",") }
        #expect(stripped.joined(separator: "\n") + "\n" == plain.stdout)
    }
}
