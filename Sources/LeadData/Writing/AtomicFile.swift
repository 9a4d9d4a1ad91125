import Foundation

/// Writing a file so that readers see either the old content or the complete new content.
///
/// POSIX calls throughout (via `OutputSink`: an exclusive temporary file beside the target, write,
/// fsync, rename), so every failure carries the OS's reason and surfaces as
/// `OutputSink.OutputError.cannotWrite` (status 73 in the CLI).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        try write(data, into: open(path))
    }

    /// Opens `path` for writing (missing folders created, the temporary file made) without writing
    /// anything yet: a command with long work ahead (`train`) opens its output first, so a path
    /// that cannot be written fails at once instead of after the work. Nothing appears under
    /// `path` until `write(_:into:)`; the temporary file goes when the sink is dropped or the run
    /// is interrupted.
    public static func open(_ path: String) throws -> OutputSink {
        let target = path == "-" ? "./-" : path
        try createFolders(for: target)
        return try OutputSink(path: target)
    }

    /// Writes `data` into a sink from `open(_:)` and makes it appear under its name.
    public static func write(_ data: Data, into sink: OutputSink) throws {
        try data.withUnsafeBytes { try sink.write($0.bindMemory(to: UInt8.self)) }
        try sink.commit()
    }

    /// `mkdir -p` of the folder `path` goes in.
    static func createFolders(for path: String) throws {
        let folder = OutputPath.split(path).folder
        var st = stat()
        guard stat(folder, &st) != 0 else { return }
        guard errno == ENOENT else { throw OutputSink.OutputError.cannotWrite(path, TemporaryFile.reason(errno)) }
        try createFolders(for: folder)
        if mkdir(folder, 0o777) != 0 && errno != EEXIST {
            throw OutputSink.OutputError.cannotWrite(path, "cannot create the folder \(folder): \(TemporaryFile.reason(errno))")
        }
    }
}
