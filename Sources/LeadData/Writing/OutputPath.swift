#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Where an output path leads, decided before anything is written.
public enum OutputPath {
    public enum Destination: Equatable {
        /// An open descriptor: "-" (1), /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N.
        case descriptor(Int32)
        /// An existing FIFO, device or socket: opened and written in place, nothing renamed.
        case inPlace(String)
        /// A regular file, existing or not: written beside it and renamed over it. For a symbolic
        /// link this is the file it leads to, so the link is kept and its target replaced.
        case replace(String)
    }

    /// - Throws: `OutputSink.OutputError.cannotWrite` for a folder, a loop of links, or a link in a
    ///   sticky world-writable folder (such as /tmp) owned by someone else, which is refused as the
    ///   kernel's `protected_symlinks` would refuse to open it.
    public static func destination(of path: String) throws -> Destination {
        if let d = descriptor(path) { return .descriptor(d) }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw OutputSink.OutputError.cannotWrite(path, TemporaryFile.reason(EISDIR)) }
            if (st.st_mode & S_IFMT) != S_IFREG { return .inPlace(path) }
        }
        return .replace(try resolvingLinks(path))
    }

    /// The descriptor a path names, if it is one of the special names for them.
    static func descriptor(_ path: String) -> Int32? {
        switch path {
        case "-", "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// Follows symbolic links at the last component until a name that is not a link (which may not
    /// exist yet).
    static func resolvingLinks(_ path: String) throws -> String {
        var current = path
        var hops = 0
        var st = stat()
        while lstat(current, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
            let folder = split(current).folder
            guard mayFollow(link: st, in: folder) else {
                throw OutputSink.OutputError.cannotWrite(path, "a symbolic link in a shared folder (sticky, world-writable) owned by another user; give the file it points to instead")
            }
            hops += 1
            guard hops <= 40 else { throw OutputSink.OutputError.cannotWrite(path, TemporaryFile.reason(ELOOP)) }
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &target, target.count - 1)
            guard n > 0 else { throw OutputSink.OutputError.cannotWrite(path, TemporaryFile.reason(errno)) }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") || !current.contains("/") ? link : folder + "/" + link
        }
        return current
    }

    /// Linux's `protected_symlinks` rule: outside a sticky world-writable folder, or a link owned
    /// by this user or by the folder's owner.
    private static func mayFollow(link: stat, in folder: String) -> Bool {
        var dir = stat()
        guard stat(folder, &dir) == 0 else { return true }
        let shared = (dir.st_mode & S_ISVTX) != 0 && (dir.st_mode & S_IWOTH) != 0
        return !shared || link.st_uid == geteuid() || link.st_uid == dir.st_uid
    }

    /// Folder and last component; the folder of a bare name is ".".
    public static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// Whether two output paths lead to the same file: the same device and inode when it exists,
    /// else the same folder (resolved) and name once links are followed. Character devices (a
    /// terminal, /dev/null) can take two outputs and are never "the same".
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let x = identity(a), let y = identity(b) else { return false }
        return x == y
    }

    private enum Identity: Equatable {
        case inode(UInt64, UInt64)
        case path(String)
    }

    private static func identity(_ path: String) -> Identity? {
        var st = stat()
        let found = descriptor(path).map { fstat($0, &st) == 0 } ?? (stat(path, &st) == 0)
        if found {
            if (st.st_mode & S_IFMT) == S_IFCHR { return nil }
            return .inode(UInt64(st.st_dev), UInt64(st.st_ino))
        }
        guard descriptor(path) == nil else { return nil }
        let target = (try? resolvingLinks(path)) ?? path
        let (folder, name) = split(target)
        guard let real = realpath(folder, nil) else { return .path(target) }
        defer { free(real) }
        return .path(String(cString: real) + "/" + name)
    }
}
