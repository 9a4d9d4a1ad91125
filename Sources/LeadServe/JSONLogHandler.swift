#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import LeadData
import Logging

/// Structured logs: one JSON object per line on standard error, `{"ts", "level", "msg", …metadata}`,
/// so a log shipper reads the request id, route, status and duration as fields.
///
/// A line is formatted on the caller's thread and handed whole to `LogWriter`, which writes it from
/// its own thread: lines of concurrent requests never interleave, and no request waits on a write.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String

    init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var line = "{\"ts\":" + JSONText.quoted(JSONLogHandler.timestamp()) + ",\"level\":" + JSONText.quoted(event.level.rawValue)
            + ",\"msg\":" + JSONText.quoted(event.message.description)
        for key in fields.keys.sorted() {
            // Hummingbird's own request id is ours under a shorter name.
            let name = key == "hb.request.id" ? "request_id" : key
            line += "," + JSONText.quoted(name) + ":" + JSONLogHandler.json(fields[key]!)
        }
        line += "}\n"
        LogWriter.shared.append(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return JSONText.quoted(s)
        case .stringConvertible(let c):
            if let n = c as? Int { return String(n) }
            if let d = c as? Double, d.isFinite { return String(d) }
            return JSONText.quoted(c.description)
        case .array(let a): return "[" + a.map(json).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { JSONText.quoted($0) + ":" + json(d[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// UTC, millisecond precision: `2026-11-20T10:15:02.123Z`.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        var text = [CChar](repeating: 0, count: 40)
        _ = withVaList([Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
                        Int(parts.tm_min), Int(parts.tm_sec), Int(ts.tv_nsec / 1_000_000)]) {
            vsnprintf(&text, 40, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%03ldZ", $0)
        }
        return String(cString: text)
    }
}

/// Writes log lines to standard error from one thread of its own, off the request path: callers
/// append a whole line to a buffer (a lock, a copy); the writer takes everything appended so far and
/// writes it with as few `write(2)` calls as it can, so under load lines go out in batches. `flush()`
/// returns once every line appended before it is written (the server calls it when it stops).
final class LogWriter: @unchecked Sendable {
    static let shared = LogWriter()

    private let condition = NSCondition()
    private var pending: [UInt8] = []
    /// Lines appended, and lines written (whole batches), for `flush`.
    private var appended = 0
    private var written = 0

    private init() {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "leadscore-log"
        thread.start()
    }

    func append(_ line: String) {
        condition.lock()
        pending.append(contentsOf: line.utf8)
        appended += 1
        condition.signal()
        condition.unlock()
    }

    /// Waits until every line appended so far has been written.
    func flush() {
        condition.lock()
        let target = appended
        while written < target { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            swap(&batch, &pending)
            let count = appended
            condition.unlock()
            LogWriter.writeAll(batch)
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            written = count
            condition.broadcast()
            condition.unlock()
        }
    }

    private static func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                let n = write(2, b.baseAddress! + offset, b.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
