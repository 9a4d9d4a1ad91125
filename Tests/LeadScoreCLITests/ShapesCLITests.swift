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
        (["--numeric", "curvy"], "--numeric takes spline or linear"),
        (["--numeric", "=linear"], "--numeric takes spline or linear"),
        (["--knots", "9"], "--knots must be 3 to 7"),
        (["--monotone", "page_views=up"], "--monotone takes COLUMN=increasing|decreasing"),
        (["--monotone", "page_views"], "--monotone takes COLUMN=increasing|decreasing"),
    ])
    func badShapeOptionsAreUsageErrors(args: [String], message: String) throws {
        let r = try train(args)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
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
