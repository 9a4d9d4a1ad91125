import Foundation
import Testing

/// `score --stop-after parse|resolve` (hidden, for benchmarks): the same rows read, checked and
/// reported as a full run, nothing written; the full run is what it is a floor of.
@Suite(.serialized) struct ScoreFloorTests {
    let dir = CLI.temporaryDirectory()

    func model() throws -> String {
        let model = dir + "/leads.json"
        let r = try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                             "--exclude", "reject_reason,created_at", "--numeric", "linear", "--lambda", "1", "--out", model, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return model
    }

    @Test func stopsAfterEachStageWritingNothing() throws {
        let model = try model()
        for threads in ["1", "2"] {
            for stage in ["parse", "resolve"] {
                let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--stop-after", stage],
                                    environment: ["LEADSCORE_THREADS": threads])
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.stdout.isEmpty)
                #expect(r.stderr.contains("\(stage == "parse" ? "parsed" : "resolved") 5000 of 5000 rows (--stop-after \(stage): nothing scored or written)"), "\(r.stderr)")
            }
        }
        // Not in the help: a benchmark's tool, not a user's.
        #expect(try !CLI.run(["score", "--help"]).stdout.contains("stop-after"))
    }

    @Test func aBadRowIsReportedAtTheStageThatReadsIt() throws {
        let model = try model()
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").prefix(6).map(String.init)
        var bad = lines
        var fields = bad[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[8] = "8x"  // page_views becomes text
        bad[3] = fields.joined(separator: ",")
        bad[4] += ",extra"
        let data = dir + "/bad.csv"
        CLI.write(bad.joined(separator: "\n") + "\n", to: data)
        let parse = try CLI.run(["score", data, "--model", model, "--stop-after", "parse", "--on-error", "skip"])
        #expect(parse.stderr.contains("parsed 4 of 5 rows"), "\(parse.stderr)")
        #expect(parse.stderr.contains("expected 14 fields, found 15"))
        let resolve = try CLI.run(["score", data, "--model", model, "--stop-after", "resolve", "--on-error", "skip"])
        #expect(resolve.stderr.contains("resolved 3 of 5 rows"), "\(resolve.stderr)")
        #expect(resolve.stderr.contains("text in a numeric column"))
    }
}
