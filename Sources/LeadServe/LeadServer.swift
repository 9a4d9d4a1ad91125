#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch
import Foundation
import Hummingbird
import LeadData
import LeadModel
import Logging

/// A header's name (HTTPTypes' `HTTPField.Name`, reached through Hummingbird's exports).
typealias HeaderName = HTTPFields.Element.Name

/// `leadscore serve`: scores and explanations over HTTP, and a page for the sales team.
///
/// Routes: `POST /v1/score`, `POST /v1/explain`, `GET /v1/model`, `GET /healthz`, `GET /metrics`,
/// `GET /` (the page). The model file is watched and swapped atomically when replaced (and on
/// SIGHUP); SIGTERM and SIGINT stop accepting, finish the requests in flight, then return.
public enum LeadServer {
    /// Why the server could not start listening (the CLI exits with its own status for it).
    public struct ListenError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads the model (throwing `ModelFileError` when it cannot be used) and serves until SIGTERM
    /// or SIGINT.
    public static func run(_ options: ServeOptions) async throws {
        let level = options.logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        // Log lines are written by their own thread (`LogWriter`): every one is out before this returns.
        defer { LogWriter.shared.flush() }
        let logger = {
            var logger = Logger(label: "leadscore.serve")
            logger.logLevel = level
            return logger
        }()
        raiseOpenFileLimit(logger: logger)

        let metrics = ServeMetrics()
        let store = try ModelStore(path: options.modelPath, extraMissing: options.extraMissing, logger: logger, metrics: metrics)
        let router = makeRouter(store: store, metrics: metrics, options: options)

        let model = store.current
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .init(options.idleTimeout))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil, backlog: 4096),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                logger.notice("listening", metadata: [
                    "address": .string("http://\(options.host):\(port)/"), "port": .stringConvertible(port),
                    "model": .string(options.modelPath), "fingerprint": .string(model.fingerprint),
                    "max_body_bytes": .stringConvertible(options.maxBodyBytes),
                ])
            },
            logger: logger
        )

        // Reloads run on one task, one at a time: every `reloadInterval` (the file is checked) and
        // on SIGHUP (reloaded whatever the file looks like).
        let (triggers, trigger) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(4))
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { trigger.yield(true) }
        hangup.resume()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: options.reloadInterval)
                trigger.yield(false)
            }
        }
        let watcher = Task {
            for await forced in triggers {
                store.reload(force: forced, reason: forced ? "SIGHUP" : "file changed")
            }
        }
        defer {
            ticker.cancel()
            trigger.finish()
            watcher.cancel()
            hangup.cancel()
        }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            let text = "\(error)"
            logger.error("server stopped", metadata: ["error": .string(text)])
            throw ListenError(description: "cannot serve on \(options.host):\(options.port): \(text)")
        }
        logger.notice("stopped", metadata: ["reason": .string("signal")])
    }

    /// Thousands of client connections need as many descriptors: the soft limit is raised to the
    /// hard one.
    static func raiseOpenFileLimit(logger: Logger) {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        let wanted = min(limit.rlim_max, 1 << 20)
        limit.rlim_cur = wanted
        if setrlimit(resource, &limit) != 0 {
            logger.warning("cannot raise the open file limit", metadata: ["errno": .stringConvertible(errno)])
        }
    }

    // MARK: - Routes

    static func makeRouter(store: ModelStore, metrics: ServeMetrics, options: ServeOptions) -> Router<BasicRequestContext> {
        let bulk = BulkGate(limit: options.bulkRuns)
        let router = Router()
        router.add(middleware: ServeMiddleware(metrics: metrics))

        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                            .contentSecurityPolicy: SalesPage.contentSecurityPolicy],
                     body: .init(byteBuffer: ByteBuffer(string: SalesPage.html)))
        }

        router.post("/v1/score") { request, context in
            let served = store.current  // this request's model, whatever reloads happen meanwhile
            let reasons = try queryCount(request, "reasons", default: options.defaultReasons, max: served.model.design.contributionCount)
            let data = try await readBody(request, options: options)
            if LeadBody.isCSV(request.headers[.contentType]) {
                // A CSV file's bytes: `score`'s own bulk path, its chunks scored on every core.
                try LeadBody.checkCSV(data)
                let scored: (scored: Int, output: [UInt8])
                do {
                    let scorer = served.scorer
                    scored = try await bulk.run { try scorer.scoreCSV(data, reasons: reasons) }
                } catch {
                    throw ServeError(error, shape: .csv)
                }
                metrics.scored(scored.scored)
                context.logger.debug("scored", metadata: ["leads": .stringConvertible(scored.scored)])
                return answer(scored.output, contentType: "text/csv; charset=utf-8", fingerprint: served.fingerprint)
            }
            let (shape, leads) = try LeadBody.leads(data)
            let lines: [UInt8]
            do {
                lines = try served.scorer.scoreJSONLines(leads, reasons: reasons)
            } catch {
                throw ServeError(error, shape: shape)
            }
            metrics.scored(leads.count)
            context.logger.debug("scored", metadata: ["leads": .stringConvertible(leads.count)])
            switch shape {
            case .object, .lines, .csv:
                return answer(lines, contentType: shape == .lines ? "application/x-ndjson" : "application/json",
                            fingerprint: served.fingerprint)
            case .array:
                // The same objects, as one JSON array: the line ends become commas.
                var out: [UInt8] = [UInt8(ascii: "[")]
                out.reserveCapacity(lines.count + 2)
                for b in lines.dropLast() { out.append(b == UInt8(ascii: "\n") ? UInt8(ascii: ",") : b) }
                out.append(contentsOf: "]\n".utf8)
                return answer(out, contentType: "application/json", fingerprint: served.fingerprint)
            }
        }

        router.post("/v1/explain") { request, context in
            let served = store.current
            let suggestions = try queryCount(request, "suggestions", default: 3, max: served.model.design.columns.count)
            let data = try await readBody(request, options: options)
            let pairs = try LeadBody.object(data)
            let explanation: LeadExplanation
            do {
                explanation = try GivenLead.explain(pairs, explainer: served.explainer, parser: served.parser,
                                                    idColumn: served.model.idColumn, improvements: suggestions)
            } catch {
                throw ServeError(error, shape: .object)
            }
            metrics.explained(1)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]  // as `explain --format json`
            var out = Array(try encoder.encode(explanation))
            out.append(UInt8(ascii: "\n"))
            return answer(out, contentType: "application/json", fingerprint: served.fingerprint)
        }

        router.get("/v1/model") { _, _ in
            let served = store.current
            return answer(served.description, contentType: "application/json", fingerprint: served.fingerprint)
        }

        router.get("/healthz") { _, _ in
            let served = store.current
            let body = "{\"status\":\"ok\",\"fingerprint\":" + JSONText.quoted(served.fingerprint)
                + ",\"created_at\":" + JSONText.quoted(served.model.createdAt) + "}\n"
            return answer(Array(body.utf8), contentType: "application/json", fingerprint: served.fingerprint)
        }

        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    /// Runs `work` on a thread of its own and waits without blocking: bulk scoring waits for its
    /// chunks' workers (Dispatch threads), and a request's thread of the cooperative pool that
    /// waited so would hold up the other requests until Dispatch added a thread (up to a second).
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// At most `limit` bulk runs at once: thousands of concurrent CSV requests queue here (awaiting,
    /// holding no thread) instead of starting a thread each.
    actor BulkGate {
        let limit: Int
        private var running = 0
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(limit: Int) { self.limit = max(1, limit) }

        private func enter() async {
            if running < limit {
                running += 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        /// The slot passes to the longest waiting run, if any.
        private func leave() {
            if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
        }

        /// `work` on a thread of its own (`onOwnThread`) once a slot is free.
        nonisolated func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            await enter()
            let result: Result<T, any Error>
            do { result = .success(try await LeadServer.onOwnThread(work)) } catch { result = .failure(error) }
            await leave()
            return try result.get()
        }
    }

    static let fingerprintHeader = HeaderName("X-Model-Fingerprint")!

    static func answer(_ bytes: [UInt8], contentType: String, fingerprint: String) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers[fingerprintHeader] = fingerprint
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A count from the query string (`?reasons=3`), at most `max`.
    static func queryCount(_ request: Request, _ name: String, default value: Int, max: Int) throws(ServeError) -> Int {
        guard let text = request.uri.queryParameters[Substring(name)] else { return Swift.min(value, max) }
        guard let n = Int(text), n >= 0 else {
            throw ServeError(.badRequest, "query parameter '\(name)' must be a whole number ≥ 0, got '\(text)'", fields: [name])
        }
        return Swift.min(n, max)
    }

    /// The request body, at most `maxBodyBytes` (413 beyond, without reading it all when the length
    /// is declared) and within `bodyTimeout` (408 for a client that sends too slowly).
    static func readBody(_ request: Request, options: ServeOptions) async throws(ServeError) -> [UInt8] {
        let limit = options.maxBodyBytes
        func tooLarge() -> ServeError {
            var e = ServeError(.contentTooLarge, "the body is larger than \(limit) bytes, the most this server reads (serve --max-body); send fewer leads per request")
            e.closeConnection = true
            return e
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge() }
        let body = request.body
        let collector = Task { try await body.collect(upTo: limit) }
        let timer = Task {
            try await Task.sleep(for: options.bodyTimeout)
            collector.cancel()
        }
        defer { timer.cancel() }
        do {
            let buffer = try await collector.value
            return Array(buffer.readableBytesView)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw tooLarge()
        } catch {
            var e = ServeError(.requestTimeout, collector.isCancelled
                               ? "the body did not arrive within \(options.bodyTimeout) (serve closes slow requests)"
                               : "the body could not be read: \(error)")
            e.closeConnection = true
            throw e
        }
    }
}

/// Per request: the request id (the client's `X-Request-Id` when it is a plain token, else a new
/// one) in every log line and in the response, errors as JSON, a log line, metrics.
struct ServeMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServeMetrics
    static let requestIDHeader = HeaderName("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let id: String
        if let given = request.headers[ServeMiddleware.requestIDHeader], ServeMiddleware.isToken(given) {
            id = given
            context.logger[metadataKey: "hb.request.id"] = .string(given)
        } else {
            id = context.id
        }
        var response: Response
        var failure: String?
        do {
            response = try await next(request, context)
        } catch let e as ServeError {
            response = ServeMiddleware.response(e, id: id)
            failure = e.message
        } catch let e as any HTTPResponseError {
            // The router's own refusals: an unknown path, or a known one with another method (405).
            var refusal = ServeError(e.status, e.status.reasonPhrase)
            if e.status == .notFound, let allowed = ServeMiddleware.methods[request.uri.path] {
                refusal = ServeError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path): use \(allowed)")
                refusal.allow = allowed
            } else if e.status == .notFound {
                refusal.message = "no such route: \(request.method) \(request.uri.path) (the routes: " + ServeMiddleware.methods.keys.sorted().map { "\(ServeMiddleware.methods[$0]!) \($0)" }.joined(separator: ", ") + ")"
            }
            response = ServeMiddleware.response(refusal, id: id)
            failure = refusal.message
        } catch {
            context.logger.error("internal error", metadata: ["error": .string("\(error)")])
            response = ServeMiddleware.response(ServeError(.internalServerError, "internal error (logged with this request id)"), id: id)
            failure = "internal error"
        }
        response.headers[ServeMiddleware.requestIDHeader] = id
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let status = response.status.code
        metrics.record(route: ServeMetrics.routeIndex(request.uri.path), status: status, seconds: seconds)
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(status), "duration_ms": .stringConvertible((seconds * 1e5).rounded() / 100),
        ]
        if let failure { metadata["error"] = .string(failure) }
        context.logger.log(level: status >= 500 ? .error : .info, "request", metadata: metadata)
        return response
    }

    /// The routes and the method each takes.
    static let methods = ["/": "GET", "/v1/score": "POST", "/v1/explain": "POST", "/v1/model": "GET", "/healthz": "GET", "/metrics": "GET"]

    static func response(_ e: ServeError, id: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if e.closeConnection { headers[.connection] = "close" }
        if let allow = e.allow { headers[.allow] = allow }
        return Response(status: e.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: e.body(requestID: id))))
    }

    /// At most 128 characters of letters, digits and `-_.:`: safe to echo in a header and a log.
    static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
        }
    }
}
