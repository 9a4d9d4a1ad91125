import LeadSupport
import Logging

/// What `leadscore serve` is told on its command line.
public struct ServeOptions: Sendable {
    public var modelPath: String
    public var host = "127.0.0.1"
    /// 0 picks a free port (the log line "listening" says which).
    public var port = 8080
    /// Request bodies larger than this are refused with 413 before they are read in full.
    public var maxBodyBytes = 4 << 20
    /// Reason codes per lead in `/v1/score` unless the request asks (`?reasons=K`).
    public var defaultReasons = 3
    /// How often the model file is checked for a replacement (its inode, size and modification time).
    public var reloadInterval: Duration = .seconds(1)
    /// A request whose body has not arrived in full by then gets 408 (a slow or stalled client).
    public var bodyTimeout: Duration = .seconds(10)
    /// Keep-alive connections idle this long are closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Extra missing-value markers, besides the model's.
    public var extraMissing: [String] = []
    public var logLevel: Logger.Level = .info
    /// CSV batches scored at once (each on a thread of its own, its chunks on every core); later
    /// ones wait their turn without holding a thread.
    public var bulkRuns = 2 * ScoringThreads.default

    public init(modelPath: String) { self.modelPath = modelPath }
}
