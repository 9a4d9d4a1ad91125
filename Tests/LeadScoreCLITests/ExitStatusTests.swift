import Foundation
import Testing

/// The exit statuses of the README: 66 for an input that cannot be opened, 73 for an output that
/// cannot be created or written, with the operating system's reason in the message.
@Suite(.serialized) struct ExitStatusTests {
    let dir = CLI.temporaryDirectory()

    func model() throws -> String { try CLI.bundledModel(in: dir) }

    let train = ["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id", "--exclude", "reject_reason"]
    /// A training without the searches, for the cases that must get past training to a write.
    var quickTrain: [String] { train + ["--numeric", "spline", "--interactions", "none"] }

    @Test func aModelThatCannotBeOpenedIs66() throws {
        let folderAsModel = dir + "/a-folder.json"
        try FileManager.default.createDirectory(atPath: folderAsModel, withIntermediateDirectories: true)
        _ = try model()
        for (path, reason) in [(folderAsModel, "Is a directory"), (dir + "/nope.json", "no such model file"),
                               (dir + "/leads.json/x.json", "Not a directory")] {
            for command in [["score", "datasets/new-leads.csv", "--model", path], ["drivers", "--model", path],
                            ["explain", "--model", path, "--lead", "page_views=3"]] {
                let r = try CLI.run(command)
                #expect(r.status == 66, "\(command): \(r.stderr)")
                #expect(r.stderr.contains(reason), "\(command): \(r.stderr)")
            }
        }
    }

    @Test func aModelFileThatCannotBeCreatedIs73WithTheReason() throws {
        let file = dir + "/plain.txt"
        CLI.write("a file, not a folder\n", to: file)
        // Paths no user can create, root included (tests run as root in CI).
        for (out, reason) in [(file + "/model.json", "Not a directory"), (file + "/sub/model.json", "Not a directory"),
                              ("/proc/leadscore-test/model.json", "No such file or directory"), (dir, "Is a directory")] {
            let r = try CLI.run(train + ["--out", out, "--quiet"], environment: ["LEADSCORE_TIMING": "1"])
            #expect(r.status == 73, "\(out): \(r.stderr)")
            // Refused before the training started (LEADSCORE_TIMING names each stage as it ends), not
            // after minutes of it.
            #expect(!r.stderr.contains("pass 1 done"), "\(out): \(r.stderr)")
            #expect(r.stderr.contains(reason), "\(out): \(r.stderr)")
            #expect(!r.stderr.contains("internal error") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
        }
        #expect(CLI.read(file) == "a file, not a folder\n")
        // Missing folders are still created.
        let nested = try CLI.run(quickTrain + ["--out", dir + "/new/folders/model.json", "--quiet"])
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(CLI.read(dir + "/new/folders/model.json").contains("leadscore-model/1"))
    }

    @Test func scoresThatCannotBeWrittenAre73() throws {
        let model = try model()
        let file = dir + "/plain.txt"
        CLI.write("a file, not a folder\n", to: file)
        for args in [["--out", file + "/scored.csv"], ["--errors", file + "/errors.csv"]] {
            let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--quiet"] + args)
            #expect(r.status == 73, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("Not a directory"), "\(args): \(r.stderr)")
        }
    }

    /// A full device (1:7, Linux's /dev/full) fails every write with ENOSPC, as a full disk would.
    /// A private node where one can be made, so that a regression cannot replace /dev/full itself.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func aFullStandardOutputIs73NotSuccess() throws {
        let model = try model()
        let privateFull = CLI.privateDevice("full", in: dir, major: 1, minor: 7)
        let full = privateFull ?? "/dev/full"
        let commands = [
            quickTrain.map { "'\($0)'" }.joined(separator: " ") + " --out '\(dir)/full.json' --json --quiet",
            quickTrain.map { "'\($0)'" }.joined(separator: " ") + " --out '\(dir)/full.json' --quiet",
            "drivers --model '\(model)'",
            "drivers --model '\(model)' --format json",
            "explain N0000005 --model '\(model)' --data datasets/new-leads.csv",
            "score datasets/new-leads.csv --model '\(model)' --quiet",
            "generate --rows 10 --seed 1",
        ]
        for command in commands {
            let r = try CLI.shell("\"$LEADSCORE\" \(command) > '\(full)'")
            #expect(r.status == 73, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("standard output: cannot write: No space left on device"), "\(command): \(r.stderr)")
        }
        // --out on the device itself: only on a private node.
        if let privateFull {
            let scores = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--quiet", "--out", privateFull])
            #expect(scores.status == 73, "\(scores.stderr)")
            #expect(scores.stderr.contains("full: cannot write: No space left on device"), "\(scores.stderr)")
            var st = stat()
            #expect(stat(privateFull, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        }
    }
}
