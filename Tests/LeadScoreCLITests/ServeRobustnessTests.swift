#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import Testing

/// Bad input never takes `leadscore serve` down: every refusal is a 4xx JSON error naming what is
/// wrong, the server answers the next request, and SIGTERM ends it cleanly.
@Suite(.serialized) struct ServeRobustnessTests {
    static let model = ServeTests.model
    static let lead = #"{"lead_id": "R1", "lead_source": "referral", "industry": "retail", "country": "US", "company_size": 40, "job_level": "manager", "email_type": "corporate", "page_views": 7, "days_since_last_activity": 3, "webinar_attended": true, "budget_confirmed": "yes", "marketing_touches": 2, "newsletter": "no"}"#

    /// The lead with one key's JSON value replaced.
    static func lead(with key: String, _ json: String) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(lead.utf8)) as! [String: Any]
        object[key] = try! JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test func badRequestsGet4xxJSONNamingTheField() throws {
        let server = try ServeProcess(model: Self.model, ["--max-body", "64K"])
        struct Case { var path: String; var body: String; var status: Int; var fields: [String]?; var says: String }
        let cases: [Case] = [
            Case(path: "/v1/score", body: "", status: 400, fields: nil, says: "empty body"),
            Case(path: "/v1/score", body: "{\"lead_id\": ", status: 400, fields: nil, says: "not valid JSON"),
            Case(path: "/v1/score", body: "lead_source=referral", status: 400, fields: nil, says: "not JSON"),
            Case(path: "/v1/score", body: "[1, 2]", status: 400, fields: nil, says: "lead 0 of the array is not a JSON object"),
            Case(path: "/v1/score", body: Self.lead + "\nnot json\n", status: 400, fields: nil, says: "line 2 is not a JSON object"),
            Case(path: "/v1/score", body: Self.lead(with: "page_views", "\"many\""), status: 422, fields: ["page_views"], says: "text in a numeric column"),
            Case(path: "/v1/score", body: Self.lead(with: "page_views", "[1, 2]"), status: 422, fields: ["page_views"], says: "holds an array"),
            Case(path: "/v1/score", body: Self.lead(with: "industry", "{\"a\": 1}"), status: 422, fields: ["industry"], says: "holds an object"),
            Case(path: "/v1/score", body: Self.lead(with: "webinar_attended", "\"maybe\""), status: 422, fields: ["webinar_attended"], says: "expected a boolean"),
            Case(path: "/v1/score", body: #"{"lead_id": "R2", "Page Views": 3}"#, status: 422, fields: nil, says: "'Page Views' for 'page_views'"),
            Case(path: "/v1/score?reasons=-1", body: Self.lead, status: 400, fields: ["reasons"], says: "whole number"),
            Case(path: "/v1/explain", body: #"{"Lead Source": "referral"}"#, status: 422, fields: ["Lead Source"], says: "did you mean 'lead_source'"),
            Case(path: "/v1/explain", body: "[" + Self.lead + "]", status: 400, fields: nil, says: "not one JSON object"),
            Case(path: "/v1/explain", body: #"{"page_views": "lots"}"#, status: 422, fields: ["page_views"], says: "text in a numeric column"),
            Case(path: "/v1/explain", body: String(repeating: "[", count: 60_000), status: 400, fields: nil, says: "not one JSON object"),
        ]
        for c in cases {
            let r = try server.request("POST", c.path, body: c.body)
            #expect(r.status == c.status, "\(c.path) \(c.body.prefix(80)): \(r.status) \(r.text)")
            #expect(r.headers["content-type"] == "application/json")
            let message = r.json["error"] as? String ?? ""
            #expect(message.contains(c.says), "\(message)")
            if let fields = c.fields { #expect(r.json["fields"] as? [String] == fields, "\(r.text)") }
        }
        // Missing columns: every one named, and the look-alike key beside it.
        let missing = try server.request("POST", "/v1/score", body: #"{"lead_id": "R2", "Page Views": 3}"#)
        #expect((missing.json["fields"] as? [String])?.count == 12)
        #expect((missing.json["lookalikes"] as? [String: [String]])?["page_views"] == ["Page Views"])
        // A wrong value's line and value.
        let twoLines = Self.lead + "\n" + Self.lead(with: "company_size", "\"big\"") + "\n"
        let second = try server.request("POST", "/v1/score", body: twoLines)
        #expect(second.json["line"] as? Int == 2 && second.json["value"] as? String == "big")

        // Unknown route, wrong method.
        let unknown = try server.request("GET", "/v2/score")
        #expect(unknown.status == 404 && (unknown.json["error"] as? String)?.contains("no such route") == true)
        let wrongMethod = try server.request("GET", "/v1/score")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")

        // Too large: 413 whether the length is declared or the body is streamed in chunks.
        let big = String(repeating: " ", count: 70 * 1024) + Self.lead
        #expect(try server.request("POST", "/v1/score", body: big).status == 413)
        let fd = try HTTPReply.connect(port: server.port)
        defer { close(fd) }
        var streamed = Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for _ in 0..<20 { streamed += Array("1000\r\n".utf8) + [UInt8](repeating: 0x20, count: 0x1000) + Array("\r\n".utf8) }
        try? HTTPReply.write(fd, streamed)
        let chunked = try HTTPReply.read(fd)
        #expect(chunked.status == 413, "\(chunked.text)")

        // Still serving, and no 5xx was ever answered.
        #expect(try server.request("POST", "/v1/score", body: Self.lead).status == 200)
        let metrics = try server.request("GET", "/metrics").text
        #expect(!metrics.contains("code=\"5"))
        #expect(server.process.isRunning)
    }

    @Test func slowClientsGet408AndDoNotHoldOthersUp() throws {
        let server = try ServeProcess(model: Self.model, ["--body-timeout", "1"])
        // Declares 100 bytes, sends 10, then stalls.
        let stalled = try HTTPReply.connect(port: server.port)
        defer { close(stalled) }
        try HTTPReply.write(stalled, HTTPReply.head(method: "POST", path: "/v1/score", bodyLength: 100, headers: [:]) + Array("{\"lead_id\"".utf8))
        // A client that sends its head a byte at a time is answered meanwhile by others being served.
        let started = Date()
        #expect(try server.request("POST", "/v1/score", body: Self.lead).status == 200)
        #expect(Date().timeIntervalSince(started) < 1)
        let reply = try HTTPReply.read(stalled)
        #expect(reply.status == 408)
        #expect((reply.json["error"] as? String)?.contains("did not arrive") == true)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try server.request("GET", "/healthz").status == 200)
    }

    @Test func manyConnectionsAtOnce() throws {
        let server = try ServeProcess(model: Self.model)
        // This process holds the client ends: its soft descriptor limit (1,024 on many machines) is
        // raised to the hard one, as the server raises its own.
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        if getrlimit(resource, &limit) == 0, limit.rlim_cur < 4096 {
            limit.rlim_cur = min(limit.rlim_max, 4096)
            _ = setrlimit(resource, &limit)
        }
        // 1,500 idle connections held open, then requests on some of them and on new ones.
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for _ in 0..<1500 { sockets.append(try HTTPReply.connect(port: server.port)) }
        let request = Array("POST /v1/score HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(Self.lead.utf8.count)\r\n\r\n\(Self.lead)".utf8)
        var ok = 0
        for fd in sockets.prefix(200) {
            try HTTPReply.write(fd, request)
        }
        for fd in sockets.prefix(200) where (try? HTTPReply.read(fd))?.status == 200 { ok += 1 }
        #expect(ok == 200)
        #expect(try server.request("GET", "/healthz").status == 200)
        #expect(server.process.isRunning)
    }

    @Test func sigtermFinishesTheRequestInFlightThenExitsZero() throws {
        let server = try ServeProcess(model: Self.model)
        let body = Array(Self.lead.utf8)
        let fd = try HTTPReply.connect(port: server.port)
        defer { close(fd) }
        // Half a request is in flight when SIGTERM comes; the rest follows, and is answered.
        try HTTPReply.write(fd, HTTPReply.head(method: "POST", path: "/v1/score", bodyLength: body.count, headers: [:]) + Array(body[0..<20]))
        usleep(200_000)
        server.signal(SIGTERM)
        usleep(300_000)
        try HTTPReply.write(fd, Array(body[20...]))
        let reply = try HTTPReply.read(fd)
        #expect(reply.status == 200)
        #expect(reply.text.hasPrefix("{\"lead_id\":\"R1\""))
        #expect(server.waitForExit() == 0)
        #expect(server.log.contains("\"msg\":\"stopped\""))
        // New connections are refused once it has stopped.
        #expect((try? HTTPReply.connect(port: server.port)) == nil)
    }

    @Test func aPortInUseIsStatus69() throws {
        let server = try ServeProcess(model: Self.model)
        let second = try CLI.run(["serve", "--model", Self.model, "--port", String(server.port)])
        #expect(second.status == 69)
        #expect(second.stderr.contains("cannot serve on 127.0.0.1:\(server.port)"))
        let missing = try CLI.run(["serve", "--model", "models/no-such-model.json", "--port", "0"])
        #expect(missing.status == 66)
    }
}
