#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Buffered output to standard output or to a file that appears only when complete.
///
/// A regular file is written under a temporary name in its folder (`TemporaryFile`: created
/// exclusively, removed on SIGINT/SIGTERM/SIGHUP) and renamed on `commit()`, so a killed run never
/// leaves a half file that looks whole. Where the path leads is decided by `OutputPath.destination`:
/// a symbolic link is written through (its target replaced, the link kept), a FIFO or device is
/// written in place. A closed pipe (`leadscore score … | head`) surfaces as
/// `OutputError.closedPipe`, which the CLI turns into a quiet exit.
public final class OutputSink {
    public let path: String
    private let fd: Int32
    /// Set when writing a regular file: the temporary file and the name it gets on commit.
    private let temporary: (file: TemporaryFile, target: String)?
    private let ownsDescriptor: Bool
    /// Keeps every byte in `buffer` instead of writing it (`collected`, for a server's answer).
    private let collects: Bool
    private var buffer: [UInt8] = []
    private let capacity = 1 << 18
    private var done = false

    public enum OutputError: Error, CustomStringConvertible {
        case closedPipe
        case cannotWrite(String, String)
        public var description: String {
            switch self {
            case .closedPipe: return "output pipe closed"
            case .cannotWrite(let path, let reason):
                return "\(path == "-" ? "standard output" : path): cannot write: \(reason)"
            }
        }
    }

    /// "-" is standard output.
    public init(path: String) throws {
        self.path = path
        collects = false
        buffer.reserveCapacity(capacity + 4096)
        switch try OutputPath.destination(of: path) {
        case .descriptor(let d):
            fd = d
            temporary = nil
            ownsDescriptor = false
        case .inPlace(let target):
            let d = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            if d < 0 { throw OutputError.cannotWrite(path, TemporaryFile.reason(errno)) }
            fd = d
            temporary = nil
            ownsDescriptor = true
        case .replace(let target):
            let (folder, name) = OutputPath.split(target)
            TemporaryFile.removeStale(in: folder)
            let file = try TemporaryFile(folder: folder, name: name, reportedPath: path)
            fd = file.descriptor
            temporary = (file, target)
            ownsDescriptor = true
        }
    }

    /// Output kept in memory (`collected`), named `path` in messages; nothing is written anywhere.
    public init(collectingAs path: String) {
        self.path = path
        fd = -1
        temporary = nil
        ownsDescriptor = false
        collects = true
    }

    /// Everything written, for an output kept in memory.
    public var collected: [UInt8] { buffer }

    deinit {
        guard !done else { return }
        if let temporary { temporary.file.discard() } else if ownsDescriptor { close(fd) }
    }

    @inline(__always)
    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { try flush() }
    }

    @inline(__always)
    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        if collects { return }
        var off = 0
        try buffer.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw OutputError.closedPipe }
                    throw OutputError.cannotWrite(path, TemporaryFile.reason(errno))
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and, for a file, makes it appear under its real name.
    public func commit() throws {
        try flush()
        guard let (file, target) = temporary else {
            if ownsDescriptor {
                done = true
                if close(fd) != 0 && errno != EINTR { throw OutputError.cannotWrite(path, TemporaryFile.reason(errno)) }
            }
            return
        }
        if fsync(fd) != 0 && errno != EINVAL { throw OutputError.cannotWrite(path, TemporaryFile.reason(errno)) }
        done = true
        if close(fd) != 0 && errno != EINTR {
            let reason = TemporaryFile.reason(errno)
            TemporaryFile.remove(file.path)
            throw OutputError.cannotWrite(path, reason)
        }
        try file.rename(to: target)
        // The rename itself reaches the disk with the folder.
        let folder = open(OutputPath.split(target).folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { fsync(folder); close(folder) }
    }
}
