import Foundation
import Testing

/// `train --numeric / --knots / --monotone` from the command line, and what `drivers` shows of shapes.
@Suite struct ShapesCLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shapes-cli-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func train(_ extra: [String]) throws -> CLI.Result {
        try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                     "--exclude", "reject_reason", "--holdout", "0", "--out", dir + "/m.json", "--quiet"] + extra)
    }

    @Test(arguments: [
        (["--numeric", "curvy"], "--numeric takes auto, spline, linear or bins"),
        (["--numeric", "=linear"], "--numeric takes auto, spline, linear or bins"),
        (["--bins", "1"], "--bins must be 2 to 50"),
        (["--knots", "9"], "--knots must be 3 to 7"),
        (["--monotone", "page_views=up"], "--monotone takes COLUMN=increasing|decreasing"),
        (["--monotone", "page_views"], "--monotone takes COLUMN=increasing|decreasing"),
    ])
    func badShapeOptionsAreUsageErrors(args: [String], message: String) throws {
        let r = try train(args)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    /// `--numeric COLUMN=bins`: step terms at training quantiles, each bin holding at least
    /// --min-level-count training leads, named by their cut in drivers; a value beyond the training
    /// range scores as the range's end.
    @Test func binsReachTheModelDriversAndScores() throws {
        let r = try train(["--numeric", "company_size=bins", "--bins", "5", "--min-level-count", "500"])
        #expect(r.status == 0, "\(r.stderr)")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.json"))) as! [String: Any]
        let columns = (model["design"] as! [String: Any])["columns"] as! [[String: Any]]
        let size = try #require(columns.first { $0["name"] as? String == "company_size" }?["shape"] as? [String: Any])
        #expect(size["kind"] as? String == "bins")
        let cuts = try #require(size["cuts"] as? [Double])
        #expect((1...4).contains(cuts.count) && cuts == cuts.sorted())
        // Every bin holds at least 500 of the training leads.
        let values = CLI.read(CLI.root + "/datasets/leads.csv").split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[5])! }
        let edges = [-Double.infinity] + cuts + [Double.infinity]
        for b in 0..<(edges.count - 1) {
            let count = values.filter { $0 >= edges[b] && $0 < edges[b + 1] }.count
            #expect(count >= 500, "bin \(b) [\(edges[b]), \(edges[b + 1])) holds \(count)")
        }
        let drivers = try CLI.run(["drivers", "--model", dir + "/m.json"])
        #expect(drivers.stdout.contains("company_size>=\(Int(cuts[0]))"), "\(drivers.stdout)")
        #expect(drivers.stdout.contains("\(cuts.count + 1) bins"))
        // Beyond the training maximum: the top bin, the same score as the maximum itself.
        let maximum = Int(values.max()!)
        let header = "lead_source,industry,country,company_size,job_level,email_type,page_views,days_since_last_activity,webinar_attended,budget_confirmed,marketing_touches,newsletter"
        let leads = dir + "/far.csv"
        CLI.write([header, "event,retail,US,\(maximum),manager,corporate,5,8,no,no,3,yes", "event,retail,US,\(maximum * 1000),manager,corporate,5,8,no,no,3,yes"].joined(separator: "\n") + "\n", to: leads)
        let scored = try CLI.run(["score", leads, "--model", dir + "/m.json", "--quiet"])
        let rows = scored.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().joined(separator: ",") }
        #expect(rows.count == 2 && rows[0] == rows[1], "\(scored.stdout)")
    }

    /// A shape asked for a column that is not numeric is ignored with a notice, not silently.
    @Test func aShapeForACategoryIsANotice() throws {
        let r = try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                             "--exclude", "reject_reason", "--holdout", "0", "--out", dir + "/m.json",
                             "--numeric", "lead_source=bins", "--monotone", "webinar_attended=increasing"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("--numeric lead_source=bins ignored: 'lead_source' is not a numeric column"), "\(r.stdout)")
        #expect(r.stdout.contains("--monotone webinar_attended=increasing ignored: 'webinar_attended' is not a numeric column"))
    }

    @Test func anUnknownColumnIsNamed() throws {
        let r = try train(["--monotone", "page_veiws=increasing"])
        #expect(r.status == 65, "\(r.stderr)")
        #expect(r.stderr.contains("page_veiws"), "\(r.stderr)")
    }

    /// Per-column choices land in the model; drivers shows the shapes at the deciles (a monotone
    /// shape's points never fall) and the reference levels, in text, JSON and CSV.
    @Test func shapesReachTheModelAndDrivers() throws {
        let r = try train(["--numeric", "company_size=linear", "--monotone", "page_views=increasing", "--knots", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m.json"))) as! [String: Any]
        let columns = (model["design"] as! [String: Any])["columns"] as! [[String: Any]]
        func column(_ name: String) -> [String: Any] { columns.first { $0["name"] as? String == name }! }
        #expect(column("company_size")["shape"] == nil && column("company_size")["term"] != nil)
        #expect((column("page_views")["shape"] as? [String: Any])?["kind"] as? String == "monotone")
        let days = column("days_since_last_activity")["shape"] as? [String: Any]
        #expect(days?["kind"] as? String == "spline")
        #expect((days?["knots"] as? [Double])?.count ?? 0 <= 4)

        let text = try CLI.run(["drivers", "--model", dir + "/m.json"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Shapes: points against the average lead at the training deciles"))
        #expect(text.stdout.contains("monotone increasing"))
        #expect(text.stdout.contains("Reference levels"))
        let json = try CLI.run(["drivers", "--model", dir + "/m.json", "--format", "json"])
        let drivers = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let shapes = drivers["shapes"] as! [[String: Any]]
        let pages = try #require(shapes.first { $0["column"] as? String == "page_views" })
        let points = (pages["points"] as! [[String: Any]]).map { $0["points"] as! Double }
        #expect(points.count == 11)
        for (a, b) in zip(points, points.dropFirst()) { #expect(b >= a - 1e-12, "\(points)") }
        let references = drivers["reference_levels"] as! [[String: Any]]
        #expect(references.contains { $0["column"] as? String == "lead_source" })
        let csv = try CLI.run(["drivers", "--model", dir + "/m.json", "--format", "csv"])
        #expect(csv.stdout.hasPrefix("column,importance,importance_points,column_p_value,term,coefficient,std_error,z,p_value,odds_ratio,ci_low,ci_high,reference_level,shape_quantile,shape_value,shape_points\n"))
        #expect(csv.stdout.split(separator: "\n").filter { $0.hasPrefix("page_views,,") }.count == 11)
    }
}
