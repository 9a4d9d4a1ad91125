import Foundation

/// Writing a file so that readers see either the old content or the complete new content.
///
/// POSIX calls throughout (via `OutputSink`: an exclusive temporary file beside the target, write,
/// fsync, rename), so every failure carries the OS's reason and surfaces as
/// `OutputSink.OutputError.cannotWrite` (status 73 in the CLI).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let target = path == "-" ? "./-" : path
        try createFolders(for: target)
        let sink = try OutputSink(path: target)
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
