import Foundation
import Testing

/// Every command reads rows through one stream (`LeadRows`), so the same bad row gets the same
/// message (file, line, column) from each of them.
@Suite struct RowStreamCLITests {
    static let header = "lead_id,created_at,lead_source,industry,country,company_size,job_level,email_type,page_views,days_since_last_activity,webinar_attended,budget_confirmed,marketing_touches,newsletter,status,reject_reason"

    static func file(badRow: String) -> String {
        let dir = CLI.temporaryDirectory()
        let path = dir + "/leads.csv"
        var lines = [header]
        for i in 1...30 {
            lines.append("L\(i),2026-04-\(10 + i % 18),cold_list,software,ES,\(100 + i),c_level,corporate,\(i % 7),2,no,no,3,no,\(i % 3 == 0 ? "accepted" : "rejected"),")
        }
        lines.insert(badRow, at: 4)
        CLI.write(lines.joined(separator: "\n") + "\n", to: path)
        return path
    }

    /// The `leadscore: error:` line of a run, which must fail with status 65.
    static func errorLine(_ args: [String]) throws -> String {
        let r = try CLI.run(args)
        #expect(r.status == 65, "\(args.first ?? ""): \(r.stderr)")
        return r.stderr.split(separator: "\n").first { $0.contains("error:") }.map { String($0.drop { $0 != ":" }.dropFirst()) } ?? r.stderr
    }

    @Test func aMissingTargetReadsTheSameInTrainEvaluateAndPatterns() throws {
        let path = RowStreamCLITests.file(badRow: "X1,2026-04-20,cold_list,software,ES,120,c_level,corporate,3,2,no,no,3,no,,")
        let train = try RowStreamCLITests.errorLine(["train", path, "--target", "status", "--positive", "accepted", "--id", "lead_id", "--out", CLI.temporaryDirectory() + "/m.json", "--quiet"])
        let evaluate = try RowStreamCLITests.errorLine(["evaluate", path, "--model", "models/leads.json", "--quiet"])
        let patterns = try RowStreamCLITests.errorLine(["patterns", path, "--target", "status", "--positive", "accepted", "--id", "lead_id", "--model", "models/leads.json", "--quiet"])
        #expect(train.contains("leads.csv:5:15: the target value is missing"), "\(train)")
        #expect(evaluate == train)
        #expect(patterns == train)
    }

    /// (Training infers types, so text in a column of numbers makes it categorical there.)
    @Test func aBadNumberReadsTheSameInEveryCommandThatReadsThroughAModel() throws {
        let path = RowStreamCLITests.file(badRow: "X2,2026-04-20,cold_list,software,ES,120,c_level,corporate,lots,2,no,no,3,no,rejected,")
        let model = "models/leads.json"
        let lines = [
            try RowStreamCLITests.errorLine(["score", path, "--model", model, "--out", CLI.temporaryDirectory() + "/s.csv", "--quiet"]),
            try RowStreamCLITests.errorLine(["evaluate", path, "--model", model, "--quiet"]),
            try RowStreamCLITests.errorLine(["explain", "--model", model, "--data", path, "--quiet"]),
            try RowStreamCLITests.errorLine(["drift", path, "--model", model, "--quiet"]),
        ]
        #expect(lines[0].contains("leads.csv:5:9: text in a numeric column: expected a number (column 'page_views', value \"lots\")"), "\(lines[0])")
        for line in lines.dropFirst() { #expect(line == lines[0]) }
    }
}
