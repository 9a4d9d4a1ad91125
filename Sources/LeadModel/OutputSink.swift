#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Buffered output to standard output or to a file that appears only when complete.
///
/// A file is written under a temporary name in the same folder and renamed on `commit()`, so a killed
/// run never leaves a half file that looks whole. A closed pipe (`leadscore score … | head`) surfaces
/// as `OutputError.closedPipe`, which the CLI turns into a quiet exit.
public final class OutputSink {
    public let path: String
    private let fd: Int32
    private let temporaryPath: String?
    private var buffer: [UInt8] = []
    private let capacity = 1 << 18
    private var committed = false

    public enum OutputError: Error, CustomStringConvertible {
        case closedPipe
        case cannotWrite(String, String)
        public var description: String {
            switch self {
            case .closedPipe: return "output pipe closed"
            case .cannotWrite(let path, let reason): return "\(path): cannot write: \(reason)"
            }
        }
    }

    /// "-" is standard output.
    public init(path: String) throws {
        self.path = path
        buffer.reserveCapacity(capacity + 4096)
        if path == "-" {
            fd = 1
            temporaryPath = nil
        } else {
            let slash = path.lastIndex(of: "/")
            let dir = slash.map { String(path[..<$0]) } ?? "."
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(name).partial-\(getpid())"
            let d = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if d < 0 { throw OutputError.cannotWrite(path, String(cString: strerror(errno))) }
            fd = d
            temporaryPath = tmp
        }
    }

    deinit {
        if let temporaryPath, !committed {
            close(fd)
            unlink(temporaryPath)
        }
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
        var off = 0
        try buffer.withUnsafeBytes { raw in
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw OutputError.closedPipe }
                    throw OutputError.cannotWrite(path, String(cString: strerror(errno)))
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and, for a file, makes it appear under its real name.
    public func commit() throws {
        try flush()
        guard let temporaryPath else { return }
        if fsync(fd) != 0 && errno != EINVAL { throw OutputError.cannotWrite(path, String(cString: strerror(errno))) }
        close(fd)
        committed = true
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputError.cannotWrite(path, reason)
        }
    }
}
