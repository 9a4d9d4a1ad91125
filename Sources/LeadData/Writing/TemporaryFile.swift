#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A temporary file created exclusively, under a name only this run can have, and removed if the
/// run is interrupted.
///
/// The name is `.NAME.partial-PID-XXXXXX` in the given folder: `mkstemp` fills in the six random
/// characters and creates the file with `O_CREAT | O_EXCL`, so an existing file or a symbolic link
/// planted at that name makes it pick another name instead of writing through it. The PID lets a
/// later run recognise the files of runs that were killed (`removeStale(in:)`). Every temporary file
/// is registered with `TemporaryFile.Registry`, whose SIGINT/SIGTERM/SIGHUP handler unlinks it.
public struct TemporaryFile {
    public let path: String
    /// Open for reading and writing; closed by `closeDescriptor()` or `discard()`.
    public let descriptor: Int32

    /// The marker between the file's own name and the PID.
    static let marker = ".partial-"

    /// Creates `folder/.NAME.partial-PID-XXXXXX` with `mode` (less the umask).
    /// - Throws: `OutputSink.OutputError.cannotWrite(reportedPath, strerror)`.
    public init(folder: String, name: String, mode: mode_t = 0o666, reportedPath: String? = nil) throws {
        // Handlers first: from the moment the file exists, a signal finds it registered (but for
        // the instant between mkstemp and the registration, left to removeStale).
        Registry.prepare()
        let stem = TemporaryFile.shortened(name, toBytes: 180)
        let template = (folder.hasSuffix("/") ? folder : folder + "/") + "." + stem + TemporaryFile.marker + "\(getpid())-XXXXXX"
        var buffer = Array(template.utf8CString)
        let fd = mkstemp(&buffer)
        guard fd >= 0 else {
            throw OutputSink.OutputError.cannotWrite(reportedPath ?? folder + "/" + name, TemporaryFile.reason(errno))
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fchmod(fd, mode & ~TemporaryFile.umaskValue)
        path = String(cString: buffer)
        descriptor = fd
        Registry.add(path)
    }

    /// Closes the file without removing it (it stays registered until `discard()` or `rename(to:)`).
    public func closeDescriptor() { close(descriptor) }

    /// Removes the file; `closeDescriptor()` must not be called as well.
    public func discard() {
        close(descriptor)
        TemporaryFile.remove(path)
    }

    /// Unlinks a registered temporary file and forgets it.
    public static func remove(_ path: String) {
        unlink(path)
        Registry.forget(path)
    }

    /// Renames the (closed) file to `target`, atomically replacing whatever entry has that name.
    public func rename(to target: String) throws {
        if Glibc.rename(path, target) != 0 {
            let reason = TemporaryFile.reason(errno)
            TemporaryFile.remove(path)
            throw OutputSink.OutputError.cannotWrite(target, reason)
        }
        Registry.forget(path)
    }

    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static let umaskValue: mode_t = {
        let m = umask(0o022)
        umask(m)
        return m
    }()

    /// At most `limit` UTF-8 bytes of `name`, cut between characters (a file name is at most 255 bytes).
    private static func shortened(_ name: String, toBytes limit: Int) -> String {
        guard name.utf8.count > limit else { return name }
        var out = ""
        for c in name {
            if out.utf8.count + String(c).utf8.count > limit { break }
            out.append(c)
        }
        return out
    }
}

// MARK: - Stale files of killed runs

extension TemporaryFile {
    /// Removes, from `folder`, temporary files left by runs that were killed: regular files owned by
    /// this user whose name is the tool's pattern (`.NAME.partial-PID-XXXXXX`, or the older
    /// `.NAME.partial-PID` and `.NAME.tmp-PID`) and whose PID is no longer running
    /// (`kill(pid, 0)` fails with ESRCH). `onlyName` restricts it to one NAME (for shared folders
    /// such as /tmp). Failures are ignored: this is housekeeping.
    public static func removeStale(in folder: String, onlyName: String? = nil) {
        guard let dir = opendir(folder.isEmpty ? "." : folder) else { return }
        defer { closedir(dir) }
        let dfd = dirfd(dir)
        let me = getpid()
        let uid = geteuid()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            guard let (stem, pid) = parse(name), pid != me else { continue }
            if let onlyName, stem != onlyName { continue }
            var st = stat()
            guard fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0,
                  (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == uid else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlinkat(dfd, name, 0) }
        }
    }

    /// The NAME and PID of a temporary-file name, or nil when it is not one.
    static func parse(_ file: String) -> (name: String, pid: pid_t)? {
        let b = Array(file.utf8)
        guard b.first == UInt8(ascii: ".") else { return nil }
        for marker in [Array(marker.utf8), Array(".tmp-".utf8)] {
            guard let m = lastOffset(of: marker, in: b), m > 1 else { continue }
            var digits = b[(m + marker.count)...]
            if marker.count > 5 {  // .partial-PID-XXXXXX (or PID alone, from older versions)
                if let dash = digits.lastIndex(of: UInt8(ascii: "-")) {
                    let suffix = digits[(dash + 1)...]
                    guard suffix.count == 6, suffix.allSatisfy({ isalnum(Int32($0)) != 0 }) else { return nil }
                    digits = digits[..<dash]
                }
            }
            guard !digits.isEmpty, digits.count < 11, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let pid = pid_t(String(decoding: digits, as: UTF8.self)), pid > 0 else { return nil }
            return (String(decoding: b[1..<m], as: UTF8.self), pid)
        }
        return nil
    }

    private static func lastOffset(of needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in stride(from: hay.count - needle.count, through: 0, by: -1) where hay[i..<(i + needle.count)].elementsEqual(needle) {
            return i
        }
        return nil
    }
}

// MARK: - Cleanup on signals

extension TemporaryFile {
    /// The temporary files of this process, kept where a signal handler can reach them: a buffer
    /// allocated once, one slot per file (a flag byte, then the path as a C string). The handler
    /// only reads the buffer and calls `unlink` and `raise`, which are async-signal-safe.
    public enum Registry {
        static let slots = 64
        static let slotSize = Int(PATH_MAX) + 2
        nonisolated(unsafe) static var buffer: UnsafeMutablePointer<CChar>?
        nonisolated(unsafe) static var lock = pthread_mutex_t()
        /// The signals after which temporary files are removed.
        public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

        /// Registers `path` (after `prepare()`).
        static func add(_ path: String) {
            let bytes = Array(path.utf8CString)
            guard bytes.count < slotSize - 1 else { return }  // too long to keep: left to removeStale
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            guard let base = buffer else { return }
            for i in 0..<slots where base[i * slotSize] == 0 {
                let slot = base + i * slotSize
                bytes.withUnsafeBufferPointer { (slot + 1).update(from: $0.baseAddress!, count: $0.count) }
                markActive(slot)
                return
            }
        }

        /// Forgets `path` (already renamed or unlinked).
        static func forget(_ path: String) {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            guard let base = buffer else { return }
            for i in 0..<slots where base[i * slotSize] != 0 && strcmp(base + i * slotSize + 1, path) == 0 {
                base[i * slotSize] = 0
            }
        }

        /// The paths registered now (for tests).
        public static var registered: [String] {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            guard let base = buffer else { return [] }
            return (0..<slots).filter { base[$0 * slotSize] != 0 }.map { String(cString: base + $0 * slotSize + 1) }
        }

        /// The path is written before the flag; the opaque call keeps the compiler from reordering them.
        @inline(never)
        private static func markActive(_ slot: UnsafeMutablePointer<CChar>) {
            _ = getpid()
            slot[0] = 1
        }

        /// Allocates the buffer and installs the handlers, once.
        static func prepare() {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            guard buffer == nil, let zeroed = calloc(slots, slotSize) else { return }
            buffer = zeroed.assumingMemoryBound(to: CChar.self)
            for s in signals {
                var old = sigaction()
                guard sigaction(s, nil, &old) == 0 else { continue }
                // Leave a signal ignored by the caller (nohup, background jobs) ignored.
                if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
                var action = sigaction()
                action.__sigaction_handler.sa_handler = temporaryFileSignalHandler
                sigemptyset(&action.sa_mask)
                // Back to the default disposition on entry, so the re-raised signal ends the process.
                action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
                sigaction(s, &action, nil)
            }
        }

        /// Called from the signal handler only.
        static func unlinkAllFromSignalHandler() {
            guard let base = buffer else { return }
            for i in 0..<slots where base[i * slotSize] != 0 {
                unlink(base + i * slotSize + 1)
            }
        }
    }
}

/// Unlinks the registered temporary files, then raises the signal again: the disposition is back
/// to the default (SA_RESETHAND), so the process ends by that signal and its exit status says so.
private func temporaryFileSignalHandler(_ signal: Int32) {
    TemporaryFile.Registry.unlinkAllFromSignalHandler()
    raise(signal)
}
