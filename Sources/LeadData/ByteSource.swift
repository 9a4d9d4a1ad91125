#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads bytes from a file descriptor in large chunks: a file by path, or standard input for "-".
public final class ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; "-" means standard input.
    public init(path: String) throws(InputError) {
        self.path = path
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

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Size in bytes when the source is a regular file (for progress and ETA), else nil.
    public var sizeInBytes: Int? {
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
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw InputError(file: path, message: "read failed: \(String(cString: strerror(errno)))")
        }
    }
}
