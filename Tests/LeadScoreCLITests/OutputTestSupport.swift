import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension CLI {
    /// The bundled leads' model (default training), copied into `dir` from the one training of
    /// the test process (`trainedOnce`), for suites that only need a model.
    static func bundledModel(in dir: String) throws -> String {
        let path = dir + "/leads.json"
        if FileManager.default.fileExists(atPath: path) { return path }
        let trained = try trainedOnce(["datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                                       "--exclude", "reject_reason", "--quiet"])
        return try copy(trained.path, to: path)
    }

    struct TrainingFailed: Error { var stderr: String }
}

extension CLI {
    /// A private character device `major:minor` in `folder` (1:3 behaves as /dev/null, 1:7 as
    /// /dev/full), or nil where nodes cannot be made (not root). Tests point `--out` at these, never
    /// at the shared /dev nodes: a regression that renames over its output would replace the
    /// machine's /dev/null.
    static func privateDevice(_ name: String, in folder: String, major: UInt64, minor: UInt64) -> String? {
        let path = folder + "/" + name
        let device = (minor & 0xff) | ((major & 0xfff) << 8)
        return mknod(path, S_IFCHR | 0o666, dev_t(device)) == 0 ? path : nil
    }
}
