import Foundation
import LeadData

/// Counters and a latency histogram for `GET /metrics`, in the Prometheus text format (0.0.4).
///
/// Routes are a fixed set (an unknown path counts as `other`), so a client sending random paths
/// cannot grow the series without bound.
final class ServeMetrics: @unchecked Sendable {
    static let routes = ["/", "/v1/score", "/v1/explain", "/v1/model", "/healthz", "/metrics", "other"]
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]

    private let lock = NSLock()
    /// Per route: responses by status code.
    private var responses: [[Int: Int]]
    /// Per route: bucket counts (the last one is +Inf), sum of seconds, count.
    private var bucketCounts: [[Int]]
    private var latencySum: [Double]
    private var leadsScored = 0
    private var leadsExplained = 0
    private var reloadsOK = 0
    private var reloadsFailed = 0
    private var model: (fingerprint: String, createdAt: String, toolVersion: String, loadedAt: Double)?
    private let started = Date()

    init() {
        responses = Array(repeating: [:], count: ServeMetrics.routes.count)
        bucketCounts = Array(repeating: Array(repeating: 0, count: ServeMetrics.buckets.count + 1), count: ServeMetrics.routes.count)
        latencySum = Array(repeating: 0, count: ServeMetrics.routes.count)
    }

    static func routeIndex(_ path: String) -> Int {
        routes.firstIndex(of: path) ?? routes.count - 1
    }

    func record(route: Int, status: Int, seconds: Double) {
        let bucket = ServeMetrics.buckets.firstIndex { seconds <= $0 } ?? ServeMetrics.buckets.count
        lock.lock()
        responses[route][status, default: 0] += 1
        bucketCounts[route][bucket] += 1
        latencySum[route] += seconds
        lock.unlock()
    }

    func scored(_ n: Int) {
        lock.lock()
        leadsScored += n
        lock.unlock()
    }

    func explained(_ n: Int) {
        lock.lock()
        leadsExplained += n
        lock.unlock()
    }

    func reloaded(ok: Bool) {
        lock.lock()
        if ok { reloadsOK += 1 } else { reloadsFailed += 1 }
        lock.unlock()
    }

    func modelLoaded(_ m: ServingModel) {
        lock.lock()
        model = (m.fingerprint, m.model.createdAt, m.model.toolVersion, m.loadedAt.timeIntervalSince1970)
        lock.unlock()
    }

    /// The exposition text.
    func render() -> String {
        lock.lock()
        let responses = self.responses, bucketCounts = self.bucketCounts, latencySum = self.latencySum
        let scored = leadsScored, explained = leadsExplained, ok = reloadsOK, failed = reloadsFailed, model = self.model
        lock.unlock()
        /// A label value: backslash, double quote and line feed escaped.
        func label(_ s: String) -> String {
            s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
        }
        var t = ""
        /// A metric family: its HELP and TYPE lines, then its samples (`labels` → value).
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            t += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { t += name + (labels.isEmpty ? "" : "{\(labels)}") + " \(value)\n" }
        }
        let routes = ServeMetrics.routes.enumerated()
        family("leadscore_http_requests_total", "counter", "HTTP requests answered, by route and status code.",
               routes.flatMap { r, route in responses[r].keys.sorted().map { ("route=\"\(route)\",code=\"\($0)\"", "\(responses[r][$0]!)") } })
        family("leadscore_http_errors_total", "counter", "HTTP requests answered with a 4xx or 5xx status, by route and class.",
               routes.flatMap { r, route in
                   [("4xx", 400..<500), ("5xx", 500..<600)].map { name, codes in
                       ("route=\"\(route)\",class=\"\(name)\"", "\(responses[r].filter { codes.contains($0.key) }.values.reduce(0, +))")
                   }
               })
        // The histogram's series: _bucket (cumulative, le = upper bound), _sum and _count per route.
        t += "# HELP leadscore_http_request_duration_seconds Time from the request's head to its response, by route.\n"
        t += "# TYPE leadscore_http_request_duration_seconds histogram\n"
        for (r, route) in routes {
            var cumulative = 0
            for (b, bound) in (ServeMetrics.buckets.map { "\($0)" } + ["+Inf"]).enumerated() {
                cumulative += bucketCounts[r][b]
                t += "leadscore_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            t += "leadscore_http_request_duration_seconds_sum{route=\"\(route)\"} \(latencySum[r])\n"
            t += "leadscore_http_request_duration_seconds_count{route=\"\(route)\"} \(cumulative)\n"
        }
        family("leadscore_leads_scored_total", "counter", "Leads scored by /v1/score.", [("", "\(scored)")])
        family("leadscore_leads_explained_total", "counter", "Leads explained by /v1/explain.", [("", "\(explained)")])
        family("leadscore_model_reloads_total", "counter", "Model file reloads, by result (failed: the new file was refused and the old model kept).",
               [("result=\"ok\"", "\(ok)"), ("result=\"failed\"", "\(failed)")])
        if let model {
            family("leadscore_model_info", "gauge", "The model being served: its file's SHA-256, creation time and the version of leadscore that trained it.",
                   [("fingerprint=\"\(label(model.fingerprint))\",created_at=\"\(label(model.createdAt))\",tool_version=\"\(label(model.toolVersion))\"", "1")])
            family("leadscore_model_loaded_timestamp_seconds", "gauge", "When the model being served was loaded (Unix time).", [("", "\(model.loadedAt)")])
        }
        family("leadscore_uptime_seconds", "gauge", "Seconds since the server started.", [("", "\(Date().timeIntervalSince(started))")])
        return t
    }
}
