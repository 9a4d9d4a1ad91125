#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import Testing

/// Hot reload: a model file replaced atomically is served from the next request on, requests in
/// flight finish on the model they started with, a corrupt file is refused (the old model stays),
/// and SIGHUP reloads.
@Suite(.serialized) struct ServeReloadTests {
    /// A folder with `model.json` (the bundled demo model) and `other.json` (another fit of the
    /// bundled leads, with other coefficients).
    static func models() throws -> (dir: String, served: String, other: String) {
        let dir = CLI.temporaryDirectory()
        try FileManager.default.copyItem(atPath: CLI.root + "/" + ServeTests.model, toPath: dir + "/model.json")
        let r = try CLI.run(["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "lead_id",
                             "--exclude", "reject_reason", "--lambda", "25", "--out", dir + "/other.json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, dir + "/model.json", dir + "/other.json")
    }

    /// Replaces `path` the way `train --out` does: a new file renamed over it.
    static func replace(_ path: String, with contents: Data) {
        let temporary = path + ".partial"
        #expect(FileManager.default.createFile(atPath: temporary, contents: contents))
        #expect(rename(temporary, path) == 0)
    }

    static func sha256(_ path: String) throws -> String {
        try CLI.shell("sha256sum '\(path)' | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func replacedFileIsServedWithoutDroppingRequests() throws {
        let (dir, served, other) = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let leads = ServeTests.newLeadsJSONL(limit: 50)
        let expected = [try Self.sha256(served): try ServeTests.cliScores(leads.text, model: served),
                        try Self.sha256(other): try ServeTests.cliScores(leads.text, model: other)]
        #expect(Set(expected.values).count == 2)  // the two models score differently
        let oldFingerprint = try Self.sha256(served), newFingerprint = try Self.sha256(other)

        let server = try ServeProcess(model: served, ["--reload-interval", "0.2"])
        // A request that has started (head and part of its body sent) before the swap.
        let body = Array(leads.text.utf8)
        let inFlight = try HTTPReply.connect(port: server.port)
        defer { close(inFlight) }
        try HTTPReply.write(inFlight, HTTPReply.head(method: "POST", path: "/v1/score", bodyLength: body.count, headers: [:]) + Array(body[0..<100]))
        usleep(200_000)

        // Clients keep scoring while the file is replaced, until each has had answers from the new
        // model (or a deadline passes): every answer is 200 and exactly the CLI's output for the
        // model its fingerprint names. (A fixed number of requests could all finish before the swap
        // on a fast build.)
        let replies = Replies()
        let text = leads.text
        let deadline = Date().addingTimeInterval(60)
        let clients = (0..<2).map { _ in
            Thread {
                var fromNewModel = 0
                while fromNewModel < 5 && Date() < deadline {
                    guard let r = try? server.request("POST", "/v1/score", body: text) else { continue }
                    replies.append((r.status, r.headers["x-model-fingerprint"], r.text))
                    if r.headers["x-model-fingerprint"] == newFingerprint { fromNewModel += 1 }
                }
            }
        }
        clients.forEach { $0.start() }
        usleep(300_000)
        let beforeSwap = replies.all.count
        Self.replace(served, with: try Data(contentsOf: URL(fileURLWithPath: other)))
        #expect(server.waitForLog("\"msg\":\"model reloaded\""))
        while clients.contains(where: { !$0.isFinished }) { usleep(20_000) }
        let answered = replies.all
        #expect(beforeSwap > 0, "no request was answered before the swap")
        #expect(answered.contains { $0.1 == oldFingerprint })
        for (status, fingerprint, text) in answered {
            #expect(status == 200)
            #expect(fingerprint.flatMap { expected[$0] } == text)
        }
        #expect(answered.filter { $0.1 == newFingerprint }.count >= 10)
        #expect(try server.request("GET", "/healthz").json["fingerprint"] as? String == newFingerprint)

        // The request in flight finishes on the model it started with.
        try HTTPReply.write(inFlight, Array(body[100...]))
        let finished = try HTTPReply.read(inFlight)
        #expect(finished.status == 200)
        #expect(finished.headers["x-model-fingerprint"] == oldFingerprint)
        #expect(finished.text == expected[oldFingerprint])

        // A corrupt file is refused with a log line; the model stays and keeps scoring.
        Self.replace(served, with: Data("{\"format\": \"leadscore-model/1\", \"truncated".utf8))
        #expect(server.waitForLog("\"msg\":\"model reload refused"))
        let after = try server.request("POST", "/v1/score", body: leads.text)
        #expect(after.status == 200 && after.text == expected[newFingerprint])
        #expect(try server.request("GET", "/healthz").json["fingerprint"] as? String == newFingerprint)
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("leadscore_model_reloads_total{result=\"ok\"} 1\n"))
        #expect(metrics.contains("leadscore_model_reloads_total{result=\"failed\"} 1\n"))
        // Reported once, not at every check.
        usleep(600_000)
        #expect(server.logLines.filter { $0.contains("model reload refused") }.count == 1)

        // Fixed: served again.
        Self.replace(served, with: try Data(contentsOf: URL(fileURLWithPath: dir + "/other.json")))
        #expect(server.waitForLog("\"previous_fingerprint\":\"\(newFingerprint)\""))
    }

    @Test func sighupReloads() throws {
        let (dir, served, other) = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // No polling to speak of: only the signal can bring the new file in.
        let server = try ServeProcess(model: served, ["--reload-interval", "3600"])
        let oldFingerprint = try Self.sha256(served)
        Self.replace(served, with: try Data(contentsOf: URL(fileURLWithPath: other)))
        usleep(300_000)
        #expect(try server.request("GET", "/healthz").json["fingerprint"] as? String == oldFingerprint)
        server.signal(SIGHUP)
        #expect(server.waitForLog("\"trigger\":\"SIGHUP\""))
        #expect(try server.request("GET", "/healthz").json["fingerprint"] as? String == (try Self.sha256(other)))
        #expect(server.process.isRunning)
    }
}

/// Replies collected by client threads.
final class Replies: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, String?, String)] = []
    func append(_ item: (Int, String?, String)) { lock.lock(); items.append(item); lock.unlock() }
    var all: [(Int, String?, String)] { lock.lock(); defer { lock.unlock() }; return items }
}
