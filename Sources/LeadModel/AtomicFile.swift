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

/// Reading a whole file with POSIX calls, so a failure says why (errno).
public enum FileContents {
    public struct ReadError: Error {
        public var code: Int32
        public var reason: String { TemporaryFile.reason(code) }
    }

    /// The file's bytes; a folder fails with EISDIR.
    public static func read(_ path: String) throws(ReadError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(code: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ReadError(code: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw ReadError(code: EISDIR) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(code: errno)
            }
            if n == 0 { return data }
            data.append(contentsOf: chunk[0..<n])
        }
    }
}
