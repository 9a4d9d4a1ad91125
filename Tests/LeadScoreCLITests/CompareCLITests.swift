import Foundation
import Testing

@Suite("compare: paired DeLong and grade migration against the reference")
struct CompareCLITests {
    @Test("paired AUC difference, both AUCs and the migration matrix match make_evaluation_fixtures.py")
    func againstReference() throws {
        let reference = try EvaluationReference.load()["compare"] as! [String: Any]
        let r = try CLI.run(["compare", EvaluationReference.champion, EvaluationReference.challenger, "--data", "datasets/leads.csv", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try EvaluationReference.json(r.stdout)
        let d = ours["auc_difference"] as? [String: Any] ?? [:], rd = reference["difference"] as! [String: Any]
        for key in ["difference", "standard_error", "low", "high"] { #expect(close(d[key], rd[key], 1e-9, "difference.\(key)")) }
        #expect(close(((ours["old_figures"] as! [String: Any])["auc"] as! [String: Any])["auc"], reference["auc_old"], 1e-12, "auc old"))
        #expect(close(((ours["new_figures"] as! [String: Any])["auc"] as! [String: Any])["auc"], reference["auc_new"], 1e-12, "auc new"))
        let m = ours["migration"] as! [String: Any]
        #expect(close(m["changed"], reference["changed_grade"], 0, "leads that change grade"))
        let old = m["old_grades"] as! [String], new = m["new_grades"] as! [String], counts = m["counts"] as! [[Int]]
        let rm = reference["migration"] as! [String: Int]
        for (i, a) in old.enumerated() {
            for (j, b) in new.enumerated() { #expect(counts[i][j] == rm["\(a)->\(b)"] ?? 0, "\(a) → \(b)") }
        }
        // The verdict: NEW ranks better (the paired interval excludes 0), the share that changes grade,
        // and page_views, which only NEW has.
        let verdict = ours["verdict"] as! String
        let low = rd["low"] as! Double, high = rd["high"] as! Double, diff = rd["difference"] as! Double
        #expect(verdict.hasPrefix(String(format: "NEW ranks better: AUC +%.3f [+%.3f, +%.3f]", diff, low, high)), "\(verdict)")
        let share = Int((Double(reference["changed_grade"] as! Int) / 20000 * 100).rounded())
        #expect(verdict.contains("\(share)% of leads change grade"))
        #expect(verdict.contains("page_views"))
        let top = (ours["drivers"] as! [[String: Any]]).first!
        #expect(top["column"] as? String == "page_views" && top["status"] as? String == "added")
    }

    @Test("swapped, the verdict says OLD ranks better; text report has every section")
    func swappedAndText() throws {
        let r = try CLI.run(["compare", EvaluationReference.challenger, EvaluationReference.champion, "--data", "datasets/leads.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("OLD ranks better: AUC -0.008"), "\(r.stdout.prefix(200))")
        for heading in ["GRADE MIGRATION", "ACCEPTANCE BY GRADE", "DRIVERS THAT CHANGED MOST", "calibration slope"] {
            #expect(r.stdout.contains(heading), "missing \(heading)")
        }
        #expect(r.stdout.contains("(dropped)"))
    }
}
