import Foundation
import Testing

@Suite(.serialized) struct PatternsCLITests {
    let dir = CLI.temporaryDirectory()

    @Test func textReportHasHeadlinesAndEverySection() throws {
        let recycle = dir + "/recycle.csv"
        let r = try CLI.run(["patterns", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                             "--reason-column", "reject_reason", "--time", "created_at", "--by", "lead_source", "--recycle-out", recycle])
        #expect(r.status == 0, "\(r.stderr)")
        for section in ["SEGMENTS SALES REJECTS MOST", "WHAT THE MODEL MISSES", "WHY SALES REJECTED THEM", "SECOND CHANCES", "REJECTION RATE OVER TIME by lead_source"] {
            #expect(r.stdout.contains(section), "\(section)")
        }
        #expect(r.stdout.contains("Leads with lead_source = cold_list are rejected"))
        let lines = CLI.read(recycle).split(separator: "\n")
        #expect(lines.first?.hasPrefix("id,recommendation,probability_accepted_later,reason,predicted_reason,main_driver,p_") == true)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("L") && ($0.contains(",recycle,") || $0.contains(",discard,")) })
    }

    @Test func jsonForPipelinesAndAGivenModel() throws {
        let model = try CLI.trainedOnce(["datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                         "--exclude", "reject_reason", "--time", "created_at"]).path
        let r = try CLI.run(["patterns", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--model", model, "--format", "json", "--depth", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["model"] as? String == model)
        #expect((o["segments"] as? [[String: Any]])?.allSatisfy { ($0["conditions"] as? [Any])?.count == 1 } == true)
        #expect(o["recycle"] != nil)
    }

    @Test func usageErrors() throws {
        let r = try CLI.run(["patterns", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--by", "lead_source"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--time"))
        let d = try CLI.run(["patterns", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--depth", "4"])
        #expect(d.status == 64)
    }
}
