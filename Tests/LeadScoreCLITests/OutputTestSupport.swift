import Foundation

extension CLI {
    /// The bundled leads' model, trained once into `dir` (for suites that only need a model).
    static func bundledModel(in dir: String) throws -> String {
        let path = dir + "/leads.json"
        if FileManager.default.fileExists(atPath: path) { return path }
        let r = try run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                         "--exclude", "reject_reason", "--out", path, "--quiet"])
        guard r.status == 0 else { throw TrainingFailed(stderr: r.stderr) }
        return path
    }

    struct TrainingFailed: Error { var stderr: String }
}
