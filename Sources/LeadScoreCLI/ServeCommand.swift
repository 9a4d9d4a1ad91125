import ArgumentParser
import Dispatch
import Foundation
import LeadModel
import LeadServe
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve scores and explanations over HTTP, with a page for the sales team.",
        discussion: """
            Routes:
              POST /v1/score     one lead (a JSON object), many (an array, or JSON Lines): the rows of \
            'score --format jsonl --reasons K', byte for byte (?reasons=K, default 3); a CSV body \
            (Content-Type: text/csv, header line first): the CSV of 'score --reasons K' on it
              POST /v1/explain   one lead (a JSON object): the JSON of 'explain --format json' (?suggestions=N)
              GET  /v1/model     version, columns, grades, fingerprint
              GET  /healthz      200 while serving
              GET  /metrics      Prometheus text: requests and errors by route, latency, leads, reloads
              GET  /             the page for sales reps

            The model file is checked every second and reloaded when it is replaced (a new inode, size \
            or modification time), and on SIGHUP; a file that cannot be loaded is refused with a log \
            line and the previous model keeps serving. SIGTERM or SIGINT: stop accepting, finish the \
            requests in flight, exit 0. Logs are JSON lines on standard error, each with its request id.

            Example:
              leadscore serve --model models/leads.json --port 8080
              curl -s localhost:8080/v1/score -d '{"lead_id": "L1", "lead_source": "referral", …}'
              curl -s localhost:8080/v1/score -H 'Content-Type: text/csv' --data-binary @leads.csv > scored.csv
            """
    )

    @Option(help: ArgumentHelp("The model file (watched: replace it to switch models).", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("The address to listen on (0.0.0.0 for every interface).", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The port (0: any free port, given in the 'listening' log line).", valueName: "n"))
    var port = 8080

    @Option(help: ArgumentHelp("The largest request body read, in bytes (K and M suffixes work); larger ones get 413.", valueName: "bytes"))
    var maxBody = "4M"

    @Option(help: ArgumentHelp("Reason codes per lead in /v1/score when the request does not say (?reasons=K).", valueName: "k"))
    var reasons = 3

    @Option(help: ArgumentHelp("Seconds between checks of the model file.", valueName: "seconds"))
    var reloadInterval = 1.0

    @Option(help: ArgumentHelp("Seconds a client has to send a request body (408 after).", valueName: "seconds"))
    var bodyTimeout = 10.0

    @Option(help: ArgumentHelp("Log level: trace, debug, info (a line per request), notice, warning, error.", valueName: "level"))
    var logLevel = "info"

    @Option(name: .customLong("missing"), help: ArgumentHelp("A value that means missing, besides the model's (repeatable).", valueName: "value"))
    var missing: [String] = []

    @Option(help: ArgumentHelp("CSV batches scored at once (each uses every core); more wait their turn. Default: twice the cores.", valueName: "n"))
    var bulkRuns: Int?

    var maxBodyBytes: Int? {
        let text = maxBody.uppercased()
        let (digits, unit) = text.hasSuffix("M") ? (text.dropLast(), 1 << 20) : text.hasSuffix("K") ? (text.dropLast(), 1 << 10) : (Substring(text), 1)
        guard let n = Int(digits), n > 0, n <= (1 << 30) / unit else { return nil }
        return n * unit
    }

    func validate() throws {
        if maxBodyBytes == nil { throw ValidationError("--max-body must be a size from 1 byte to 1G (e.g. 4M, 512K, 100000), got '\(maxBody)'.") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535, got \(port).") }
        if reasons < 0 { throw ValidationError("--reasons must be ≥ 0.") }
        if let bulkRuns, !(1...256).contains(bulkRuns) { throw ValidationError("--bulk-runs must be from 1 to 256, got \(bulkRuns).") }
        if !(reloadInterval >= 0.05 && reloadInterval <= 3600) { throw ValidationError("--reload-interval must be from 0.05 to 3600 seconds.") }
        if !(bodyTimeout > 0 && bodyTimeout <= 3600) { throw ValidationError("--body-timeout must be more than 0 and at most 3600 seconds.") }
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'.")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        var options = ServeOptions(modelPath: model)
        options.host = host
        options.port = port
        options.maxBodyBytes = maxBodyBytes!
        options.defaultReasons = reasons
        options.reloadInterval = .milliseconds(Int(reloadInterval * 1000))
        options.bodyTimeout = .milliseconds(Int(bodyTimeout * 1000))
        options.extraMissing = missing
        if let bulkRuns { options.bulkRuns = bulkRuns }
        options.logLevel = Logger.Level(rawValue: logLevel)!
        try runReportingErrors {
            // The server is async; this command waits for it on the main thread.
            let outcome = ServeOutcome()
            let done = DispatchSemaphore(value: 0)
            let serving = options
            Task.detached {
                do { try await LeadServer.run(serving) } catch { outcome.error = error }
                done.signal()
            }
            done.wait()
            if let error = outcome.error as? LeadServer.ListenError {
                Terminal.error(error.description)
                throw ExitCode(ExitStatus.unavailable)
            }
            if let error = outcome.error { throw error }
        }
    }
}

/// What the server task ended with, handed to the waiting main thread.
private final class ServeOutcome: @unchecked Sendable {
    var error: Error?
}
