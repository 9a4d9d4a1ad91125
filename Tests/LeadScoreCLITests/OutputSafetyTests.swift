import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Output files in shared folders: temporary names nobody can plant, links and FIFOs at --out,
/// killed runs, two outputs on one file.
@Suite(.serialized) struct OutputSafetyTests {
    let dir = CLI.temporaryDirectory()

    func model() throws -> String { try CLI.bundledModel(in: dir) }

    func folder(_ name: String) -> String {
        let path = dir + "/" + name
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// A PID that ran and has exited.
    func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// Starts `leadscore args` as a shell would: empty signal mask, default dispositions. (A process
    /// that Foundation starts from the test runner's threads inherits their blocked signals, and a
    /// blocked SIGTERM is never delivered.) Standard input from `stdin` (else /dev/null), output to /dev/null.
    func spawn(_ args: [String], stdin: Int32? = nil, closing other: Int32? = nil, environment: [String: String] = [:]) throws -> pid_t {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        if let other { posix_spawn_file_actions_addclose(&actions, other) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([CLI.binary] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, CLI.binary, &actions, &attr, argv, envp)
        #expect(rc == 0)
        return pid
    }

    /// Waits for `pid` and returns the signal that ended it (0 if it exited); kills it (and fails)
    /// if it is still running after 20 s.
    func signalThatEnded(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        for _ in 0..<400 {
            if waitpid(pid, &status, WNOHANG) == pid { return status & 0x7f }
            usleep(50_000)
        }
        Issue.record("still running after the signal")
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return 0
    }

    /// Waits until `folder` holds a file whose name starts with `prefix` (at most 20 s).
    func waitForFile(in folder: String, prefix: String) -> Bool {
        for _ in 0..<400 {
            if entries(folder).contains(where: { $0.hasPrefix(prefix) }) { return true }
            usleep(50_000)
        }
        return false
    }

    // MARK: - Killed runs

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aKilledScoreLeavesNoPartialFile(signal: Int32) throws {
        let model = try model()
        let f = folder("killed-\(signal)")
        let fifo = f + "/in.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Held open for reading and writing, so the run reads the first rows and then waits for more.
        let writer = open(fifo, O_RDWR)
        #expect(writer >= 0)
        defer { close(writer) }
        let pid = try spawn(["score", fifo, "--model", model, "--out", f + "/out.csv"])
        let head = Array(CLI.read(CLI.root + "/datasets/new-leads.csv").utf8.prefix(60_000))
        #expect(head.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) } == head.count)
        let started = waitForFile(in: f, prefix: ".out.csv.partial-\(pid)-")
        #expect(started, "no temporary file appeared: \(entries(f))")
        kill(pid, signal)
        #expect(signalThatEnded(pid) == signal)
        #expect(entries(f) == ["in.csv"])
    }

    @Test func aKilledTrainRemovesItsStandardInputSpool() throws {
        let spools = folder("spools")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(fds[1]) }
        let pid = try spawn(["train", "-", "--target", "status", "--positive", "accepted", "--out", dir + "/spooled.json"],
                            stdin: fds[0], closing: fds[1], environment: ["TMPDIR": spools])
        close(fds[0])
        // Standard input stays open: the run is still copying it when it is killed.
        let head = Array(CLI.read(CLI.root + "/datasets/leads.csv").utf8.prefix(60_000))
        #expect(head.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) } == head.count)
        let spooling = waitForFile(in: spools, prefix: ".leadscore-stdin.partial-\(pid)-")
        #expect(spooling, "no spool appeared: \(entries(spools))")
        kill(pid, SIGTERM)
        #expect(signalThatEnded(pid) == SIGTERM)
        #expect(entries(spools).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir + "/spooled.json"))
    }

    @Test func staleTemporaryFilesOfDeadRunsAreRemoved() throws {
        let model = try model()
        let f = folder("stale")
        let dead = try deadPID()
        let me = getpid()
        let stale = [".out.csv.partial-\(dead)-Ab12Cd", ".other.csv.partial-\(dead)-zzzzzz",
                     ".out.csv.partial-\(dead)", ".leads.json.tmp-\(dead)"]
        let kept = [".mine.csv.partial-\(me)-Ab12Cd",        // a live PID
                    "out.csv.partial-\(dead)-Ab12Cd",        // not a hidden name
                    ".out.csv.partial-\(dead)-abc",          // not six random characters
                    ".out.csv.partial-x\(dead)-Ab12Cd",      // not a PID
                    "notes.txt"]
        for name in stale + kept { CLI.write("old\n", to: f + "/" + name) }
        let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/out.csv", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(entries(f) == (kept + ["out.csv"]).sorted())
    }

    // MARK: - Links and special files

    @Test func aLinkPlantedAtTheOldTemporaryNamesIsNotFollowed() throws {
        let model = try model()
        let f = folder("planted")
        let victim = f + "/victim.txt"
        CLI.write("precious\n", to: victim)
        // The names older versions used (.NAME.partial-PID, .NAME.tmp-PID) for the next PIDs to come.
        let last = Int32(CLI.read("/proc/sys/kernel/ns_last_pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? getpid()
        for pid in (last + 1)...(last + 300) {
            symlink(victim, f + "/.out.csv.partial-\(pid)")
            symlink(victim, f + "/.m.json.tmp-\(pid)")
        }
        let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/out.csv", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--out", f + "/m.json", "--quiet",
                             "--numeric", "spline", "--interactions", "none"])  // the write is tested, not the searches
        #expect(t.status == 0, "\(t.stderr)")
        #expect(CLI.read(victim) == "precious\n")
        #expect(CLI.read(f + "/out.csv").hasPrefix("lead_id,probability"))
        #expect(CLI.read(f + "/m.json").contains("leadscore-model/1"))
    }

    @Test func outThroughALinkReplacesItsTargetAndKeepsTheLink() throws {
        let model = try model()
        let f = folder("links")
        let direct = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--quiet"])
        CLI.write("last month\n", to: f + "/2026-10.csv")
        symlink("2026-10.csv", f + "/current.csv")           // relative, to an existing file
        symlink(f + "/2026-11.csv", f + "/next.csv")         // absolute, dangling
        for link in ["current.csv", "next.csv"] {
            let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/" + link, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(isSymlink(f + "/" + link))
        }
        #expect(CLI.read(f + "/2026-10.csv") == direct.stdout)
        #expect(CLI.read(f + "/2026-11.csv") == direct.stdout)
        #expect(entries(f) == ["2026-10.csv", "2026-11.csv", "current.csv", "next.csv"])
        // A model written through a link, likewise.
        symlink("leads-2026-11.json", f + "/current.json")
        let t = try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--out", f + "/current.json", "--quiet",
                             "--numeric", "spline", "--interactions", "none"])  // the write is tested, not the searches
        #expect(t.status == 0, "\(t.stderr)")
        #expect(isSymlink(f + "/current.json"))
        #expect(CLI.read(f + "/leads-2026-11.json").contains("leadscore-model/1"))
    }

    @Test func outToAFIFOOrStandardOutputIsWrittenInPlace() throws {
        let model = try model()
        let f = folder("fifo")
        let r = try CLI.shell("""
            cd '\(f)' && mkfifo pipe && { timeout -s KILL 20 sh -c 'wc -l < pipe' > count & } && \
            timeout -s KILL 20 "$LEADSCORE" score '\(CLI.root)/datasets/new-leads.csv' --model '\(model)' --out pipe --quiet; s=$?; wait; \
            echo "status=$s"; [ -p pipe ] && echo still-a-fifo; cat count; \
            ln -s /proc/self/fd/1 stdout-link; \
            "$LEADSCORE" score '\(CLI.root)/datasets/new-leads.csv' --model '\(model)' --out stdout-link --quiet | wc -l; \
            "$LEADSCORE" score '\(CLI.root)/datasets/new-leads.csv' --model '\(model)' --out /dev/fd/1 --quiet | wc -l
            """)
        #expect(r.stdout.split(separator: "\n") == ["status=0", "still-a-fifo", "5001", "5001", "5001"], "\(r.stdout) \(r.stderr)")
        #expect(entries(f) == ["count", "pipe", "stdout-link"])
        #expect(isSymlink(f + "/stdout-link"))
    }

    /// As Linux's protected_symlinks: in a sticky world-writable folder, a link owned by someone
    /// else is not followed. Needs root to give the link another owner.
    @Test(.enabled(if: geteuid() == 0))
    func aForeignLinkInAStickySharedFolderIsRefused() throws {
        let model = try model()
        let shared = folder("shared")
        chmod(shared, 0o1777)
        let victim = dir + "/victim.txt"
        CLI.write("precious\n", to: victim)
        symlink(victim, shared + "/out.csv")
        #expect(lchown(shared + "/out.csv", 4242, 4242) == 0)
        let r = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--out", shared + "/out.csv", "--quiet"])
        #expect(r.status == 73)
        #expect(r.stderr.contains("symbolic link"))
        #expect(CLI.read(victim) == "precious\n")
        #expect(entries(shared) == ["out.csv"])
    }

    // MARK: - Two outputs, one file

    @Test func theSameFileForTwoOutputsIsAUsageError() throws {
        let model = try model()
        let f = folder("same")
        CLI.write("kept\n", to: f + "/existing.csv")
        symlink("existing.csv", f + "/alias.csv")
        let cases: [[String]] = [
            ["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/x.csv", "--errors", f + "/./x.csv"],
            ["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/x.csv", "--errors", f + "/../same/x.csv"],
            ["score", "datasets/new-leads.csv", "--model", model, "--out", f + "/alias.csv", "--errors", f + "/existing.csv"],
            ["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--out", f + "/m.json", "--errors", f + "//m.json"],
            ["patterns", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--recycle-out", "-"],
        ]
        for args in cases {
            let r = try CLI.run(args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("the same file"), "\(args)")
        }
        #expect(entries(f).filter { $0 != "null" } == ["alias.csv", "existing.csv"])
        #expect(CLI.read(f + "/existing.csv") == "kept\n")
        // Two outputs on one character device (a terminal, /dev/null) are fine: a private null
        // device, so that a regression cannot replace the machine's /dev/null.
        if let null = CLI.privateDevice("null", in: f, major: 1, minor: 3) {
            let ok = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--out", null, "--errors", null, "--quiet"])
            #expect(ok.status == 0, "\(ok.stderr)")
            var st = stat()
            #expect(stat(null, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        }
    }
}
