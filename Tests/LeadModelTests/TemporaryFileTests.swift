import Foundation
import Testing
@testable import LeadModel
@testable import LeadData
#if canImport(Glibc)
import Glibc
#endif

/// Temporary files behind OutputSink and AtomicFile: exclusive, unpredictable, registered for
/// cleanup on signals, recognisable once their run is gone.
@Suite(.serialized) struct TemporaryFileTests {
    let folder: String = {
        let f = Paths.temporary("folder")
        try? FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        return f
    }()

    func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }

    @Test func namesArePrivateToTheRunAndRegisteredUntilRenamed() throws {
        let a = try TemporaryFile(folder: folder, name: "out.csv")
        let b = try TemporaryFile(folder: folder, name: "out.csv")
        #expect(a.path != b.path)
        for t in [a, b] {
            let name = OutputPath.split(t.path).name
            #expect(name.hasPrefix(".out.csv.partial-\(getpid())-"))
            #expect(name.count == ".out.csv.partial-\(getpid())-".count + 6)
            #expect(TemporaryFile.parse(name).map { "\($0.name) \($0.pid)" } == "out.csv \(getpid())")
            #expect(TemporaryFile.Registry.registered.contains(t.path))
        }
        a.closeDescriptor()
        try a.rename(to: folder + "/out.csv")
        b.discard()
        #expect(!TemporaryFile.Registry.registered.contains(a.path))
        #expect(!TemporaryFile.Registry.registered.contains(b.path))
        #expect(entries() == ["out.csv"])
    }

    @Test func theTemporaryNamePatternAndNothingElse() {
        #expect(TemporaryFile.parse(".scored.csv.partial-123-aB9xYz")! == ("scored.csv", 123))
        #expect(TemporaryFile.parse(".a.partial-b.csv.partial-7")! == ("a.partial-b.csv", 7))
        #expect(TemporaryFile.parse(".m.json.tmp-42")! == ("m.json", 42))
        for name in ["scored.csv.partial-123-aB9xYz", ".scored.csv.partial-123-aB9x", ".scored.csv.partial-12a-aB9xYz",
                     ".scored.csv.partial-", ".partial-123-aB9xYz", ".m.json.tmp-42-aB9xYz", ".scored.csv", ".x.partial-99999999999"] {
            #expect(TemporaryFile.parse(name) == nil, "\(name)")
        }
    }

    @Test func aLinkAtAnOldPredictableNameIsNeitherFollowedNorRemoved() throws {
        let victim = folder + "/victim.txt"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        symlink(victim, folder + "/.out.csv.partial-\(getpid())")
        symlink(victim, folder + "/.model.json.tmp-\(getpid())")
        let sink = try OutputSink(path: folder + "/out.csv")
        try sink.write("id,score\n")
        try sink.commit()
        try AtomicFile.write(Data("{}\n".utf8), to: folder + "/model.json")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOfFile: folder + "/out.csv", encoding: .utf8) == "id,score\n")
        #expect(try String(contentsOfFile: folder + "/model.json", encoding: .utf8) == "{}\n")
        #expect(entries() == [".model.json.tmp-\(getpid())", ".out.csv.partial-\(getpid())", "model.json", "out.csv", "victim.txt"])
    }

    @Test func aSinkDroppedWithoutCommitLeavesNothing() throws {
        do {
            let sink = try OutputSink(path: folder + "/half.csv")
            try sink.write("id,score\n")
            try sink.flush()
            #expect(entries().contains { $0.hasPrefix(".half.csv.partial-") })
        }
        #expect(!entries().contains { $0.contains("half.csv") })
        #expect(!TemporaryFile.Registry.registered.contains { $0.contains("half.csv") })
    }

    @Test func filesGetTheUsualPermissions() throws {
        let sink = try OutputSink(path: folder + "/mode.csv")
        try sink.commit()
        var st = stat()
        #expect(stat(folder + "/mode.csv", &st) == 0)
        let mask = umask(0o022)
        umask(mask)
        #expect(st.st_mode & 0o777 == 0o666 & ~mask)
    }
}
