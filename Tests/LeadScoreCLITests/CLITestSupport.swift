import Foundation
import LeadSupport

/// Runs the built `leadscore` binary, as a user or a pipeline would.
enum CLI {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The binary next to the test bundle (SwiftPM builds it because this target depends on it).
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["LEADSCORE_BIN"] { return override }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("leadscore").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `leadscore args…` in the repository root, with optional standard input.
    @discardableResult
    static func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        let inPipe = Pipe()
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        if let stdin {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: read(errPath))
    }

    /// Runs a shell pipeline (for `| head` tests); `$LEADSCORE` is the binary.
    static func shell(_ script: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var env = ProcessInfo.processInfo.environment
        env["LEADSCORE"] = binary
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadscore-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    static func write(_ text: String, to path: String) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}

extension CLI {
    /// `leadscore train ARGS --out FILE`, run once per test process for each distinct ARGS and
    /// environment: training is seeded and deterministic, so every test that asks for the same model
    /// gets the bytes a run of its own would write, without repeating a training of several seconds
    /// (the default one cross-validates shapes, pairs and λ). Returns the model's path and that
    /// run's result. The file is shared: a test that changes a model copies it first (`copy`).
    static func trainedOnce(_ args: [String], environment: [String: String] = [:]) throws -> (path: String, result: Result) {
        let key = (args + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "\u{1F}")
        return try trainedModels.value(for: key) {
            let path = trainedModelFolder + "/model-\(UUID().uuidString).json"
            let r = try run(["train"] + args + ["--out", path], environment: environment)
            guard r.status == 0 else { throw TrainingFailed(stderr: r.stderr) }
            return (path, r)
        }
    }

    private static let trainedModels = OncePerKey<(path: String, result: Result)>()
    private static let trainedModelFolder = temporaryDirectory()

    /// Copies `from` to `to` (a test's own copy of a shared model).
    @discardableResult
    static func copy(_ from: String, to: String) throws -> String {
        if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
        try FileManager.default.copyItem(atPath: from, toPath: to)
        return to
    }
}
