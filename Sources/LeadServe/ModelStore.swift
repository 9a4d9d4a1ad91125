import Foundation
import LeadModel
import Logging

/// The model being served, swapped whole when the file is replaced.
///
/// Requests read `current` once and keep that snapshot to the end, so a reload never changes a
/// model under a request and never waits for one. A new file is loaded and checked completely before
/// the swap; a file that cannot be loaded is refused with a log line, the old model stays, and the
/// same bad version is not tried again until the file changes once more.
final class ModelStore: @unchecked Sendable {
    private let lock = NSLock()
    private var model: ServingModel
    /// The version of the file last refused, so a bad file is reported once, not every second.
    private var refused: FileIdentity?
    private let path: String
    private let extraMissing: [String]
    private let logger: Logger
    let metrics: ServeMetrics

    init(path: String, extraMissing: [String], logger: Logger, metrics: ServeMetrics) throws {
        self.path = path
        self.extraMissing = extraMissing
        self.logger = logger
        self.metrics = metrics
        model = try ServingModel(path: path, extraMissing: extraMissing)
        metrics.modelLoaded(model)
    }

    var current: ServingModel {
        lock.lock()
        defer { lock.unlock() }
        return model
    }

    /// Reloads when the file now at the path is another version than the one served (or, with
    /// `force`, whatever it is: SIGHUP). Runs on one task at a time (the watcher), never on a request.
    func reload(force: Bool, reason: String) {
        guard let now = FileIdentity.of(path) else {
            if force || refused != nil { logger.error("model reload failed: cannot read the model file", metadata: ["file": .string(path), "trigger": .string(reason)]) }
            return
        }
        let served = current.identity
        if !force && (now == served || now == refused) { return }
        do {
            let next = try ServingModel(path: path, extraMissing: extraMissing)
            lock.lock()
            let previous = model
            model = next
            refused = nil
            lock.unlock()
            metrics.modelLoaded(next)
            metrics.reloaded(ok: true)
            logger.notice("model reloaded", metadata: [
                "file": .string(path), "trigger": .string(reason), "fingerprint": .string(next.fingerprint),
                "previous_fingerprint": .string(previous.fingerprint), "created_at": .string(next.model.createdAt),
            ])
        } catch {
            refused = now
            metrics.reloaded(ok: false)
            logger.error("model reload refused: the new file cannot be used; still serving the previous model", metadata: [
                "file": .string(path), "trigger": .string(reason), "error": .string("\(error)"),
                "fingerprint": .string(current.fingerprint),
            ])
        }
    }
}
