#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// A `leadscore serve` process on a free port of 127.0.0.1, with its log lines collected.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let lock = NSLock()
    private var logText = ""
    private var reader: Thread?

    /// Starts `leadscore serve --model MODEL --port 0 ARGS…` and waits for its "listening" line.
    init(model: String, _ args: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--model", model, "--port", "0"] + args
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = err.fileHandleForReading
        let thread = Thread { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                guard let self else { return }
                self.lock.lock()
                self.logText += String(decoding: data, as: UTF8.self)
                self.lock.unlock()
            }
        }
        thread.start()
        reader = thread
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = logLines.first(where: { $0.contains("\"msg\":\"listening\"") }),
               let range = line.range(of: "\"port\":") {
                port = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        stop()
        throw StartFailed(log: log)
    }

    struct StartFailed: Error { var log: String }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return logText
    }

    var logLines: [String] { log.split(separator: "\n").map(String.init) }

    /// Waits until a log line contains `text` (true) or `seconds` pass (false).
    func waitForLog(_ text: String, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for the process to end (up to `seconds`); its exit status, or nil if it still runs.
    func waitForExit(seconds: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if waitForExit() == nil { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
    }

    deinit { stop() }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws -> HTTPReply {
        try HTTPReply.send(port: port, method: method, path: path, body: body.map { Array($0.utf8) }, headers: headers)
    }
}

/// A response read off the socket: status, headers (lower-cased names) and the exact body bytes.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// A connected TCP socket to 127.0.0.1:port, with receive and send timeouts.
    static func connect(port: Int, timeout: Int = 30) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect: \(errno)") }
        return fd
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: \(errno)") }
            offset += n
        }
    }

    static func head(method: String, path: String, bodyLength: Int?, headers: [String: String]) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let bodyLength { text += "Content-Length: \(bodyLength)\r\n" }
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// Reads a whole response: up to its Content-Length, or until the server closes the connection.
    static func read(_ fd: Int32) throws -> HTTPReply {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let reply = try? parse(data), let length = reply.headers["content-length"].flatMap({ Int($0) }), reply.body.count >= length {
                return reply
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET && !data.isEmpty { break }
                throw Failure(description: "recv: \(errno) after \(data.count) bytes")
            }
            data.append(contentsOf: buffer[0..<n])
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> HTTPReply {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no complete response head in \(data.count) bytes")
        }
        let lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var decoded: [UInt8] = []
            var i = 0
            while i < body.count, let crlf = (i..<body.count - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) {
                let size = Int(String(decoding: body[i..<crlf], as: UTF8.self), radix: 16) ?? 0
                if size == 0 { break }
                decoded.append(contentsOf: body[(crlf + 2)..<(crlf + 2 + size)])
                i = crlf + 2 + size + 2
            }
            body = decoded
        }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    static func send(port: Int, method: String, path: String, body: [UInt8]?, headers: [String: String] = [:]) throws -> HTTPReply {
        let fd = try connect(port: port)
        defer { close(fd) }
        try write(fd, head(method: method, path: path, bodyLength: body?.count ?? (method == "POST" ? 0 : nil), headers: headers) + (body ?? []))
        return try read(fd)
    }
}
