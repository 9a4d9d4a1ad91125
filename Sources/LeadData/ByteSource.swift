#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads bytes from a file descriptor in large chunks: a file by path, or standard input for "-";
/// or from bytes already in memory (a request body), named `path` in messages.
public final class ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// The bytes of an in-memory source, and how many were read.
    private let memory: [UInt8]?
    private var memoryRead = 0

    /// Opens `path` for reading; "-" means standard input.
    public init(path: String) throws(InputError) {
        self.path = path
        memory = nil
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            let d = open(path, O_RDONLY)
            if d < 0 {
                let reason = String(cString: strerror(errno))
                throw InputError(file: path, message: "cannot open file: \(reason)", isMissingInput: true)
            }
            var st = stat()
            if fstat(d, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                close(d)
                throw InputError(file: path, message: "is a directory, expected a data file", isMissingInput: true)
            }
            fd = d
            ownsDescriptor = true
        }
    }

    /// Reads `bytes` (held, not copied) as if they were a file named `path`.
    public init(bytes: [UInt8], path: String) {
        self.path = path
        fd = -1
        ownsDescriptor = false
        memory = bytes
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Size in bytes when the source is a regular file (for progress and ETA), else nil.
    public var sizeInBytes: Int? {
        if let memory { return memory.count }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// Fills `buffer` with the bytes of a regular file from `offset` on (for workers re-reading a chunk).
    public static func readRange(path: String, offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(InputError) {
        let d = open(path, O_RDONLY)
        if d < 0 { throw InputError(file: path, message: "cannot open file: \(String(cString: strerror(errno)))", isMissingInput: true) }
        defer { close(d) }
        let length = buffer.count
        var done = 0
        while done < length {
            let n = pread(d, buffer.baseAddress! + done, length - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError(file: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw InputError(file: path, message: "read failed: \(String(cString: strerror(EIO)))") }
            done += n
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let memory {
            let n = min(buffer.count, memory.count - memoryRead)
            if n > 0 {
                memory.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + memoryRead, byteCount: n) }
            }
            memoryRead += n
            return n
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(file: path, message: "read failed: \(String(cString: strerror(errno)))")
        }
    }
}
