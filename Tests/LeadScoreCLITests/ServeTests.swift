#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import Testing

/// `leadscore serve`: the built binary on a free port of 127.0.0.1, talked to over a socket; every
/// expected number comes from `leadscore score` / `leadscore explain` on the same leads.
@Suite(.serialized) struct ServeTests {
    static let model = "models/leads.json"

    /// The bundled new leads as JSON Lines: numbers as JSON numbers, yes/no as true/false, so the
    /// server and `score` read the same typed values.
    static func newLeadsJSONL(limit: Int = 400, dropping: Set<String> = []) -> (objects: [[String: Any]], text: String) {
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var objects: [[String: Any]] = []
        var text = ""
        for line in lines.dropFirst().prefix(limit) {
            var object: [String: Any] = [:]
            for (k, v) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)) where !dropping.contains(k) {
                if k == "lead_id" || k == "created_at" { object[k] = v }
                else if v.isEmpty { object[k] = NSNull() }
                else if let n = Int(v) { object[k] = n }
                else if v == "yes" || v == "no" { object[k] = v == "yes" }
                else { object[k] = v }
            }
            objects.append(object)
            text += String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
        }
        return (objects, text)
    }

    /// `leadscore score FILE.jsonl --format jsonl --reasons K`'s output.
    static func cliScores(_ jsonl: String, reasons: Int = 3, model: String = ServeTests.model) throws -> String {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        CLI.write(jsonl, to: dir + "/leads.jsonl")
        let r = try CLI.run(["score", dir + "/leads.jsonl", "--model", model, "--format", "jsonl", "--reasons", String(reasons), "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func scoreEqualsTheCLIByteForByte() throws {
        let server = try ServeProcess(model: Self.model)
        let leads = Self.newLeadsJSONL()
        let expected = try Self.cliScores(leads.text)
        #expect(expected.split(separator: "\n").count == 400)

        // JSON Lines in, JSON Lines out: the same bytes.
        let lines = try server.request("POST", "/v1/score", body: leads.text)
        #expect(lines.status == 200)
        #expect(lines.headers["content-type"] == "application/x-ndjson")
        #expect(lines.text == expected)

        // An array: the same objects, in order.
        let arrayBody = String(decoding: try JSONSerialization.data(withJSONObject: leads.objects), as: UTF8.self)
        let array = try server.request("POST", "/v1/score", body: arrayBody)
        #expect(array.status == 200)
        #expect(array.text == "[" + expected.split(separator: "\n").joined(separator: ",") + "]\n")

        // One lead at a time, keys in any order: each its line of the CLI's output.
        let expectedLines = expected.split(separator: "\n").map { $0 + "\n" }
        for i in [0, 1, 7, 123, 399] {
            let one = try server.request("POST", "/v1/score", body: String(decoding: try JSONSerialization.data(withJSONObject: leads.objects[i]), as: UTF8.self))
            #expect(one.status == 200)
            #expect(one.text == expectedLines[i], "lead \(i)")
        }

        // Other reason counts, as --reasons K.
        for k in [0, 1, 12] {
            let r = try server.request("POST", "/v1/score?reasons=\(k)", body: leads.text)
            #expect(r.text == (try Self.cliScores(leads.text, reasons: k)), "reasons \(k)")
        }
    }

    /// Leads in every JSON form a client may send (the server reads the common ones itself and the
    /// rest with JSONSerialization, as `score` does): the same bytes as `score` on the same lines.
    @Test func unusualJSONScoresAsTheCLIReadsIt() throws {
        let server = try ServeProcess(model: Self.model)
        let base = #""lead_source": "event", "industry": "retail", "country": "US", "company_size": 113, "job_level": "manager", "email_type": "corporate", "days_since_last_activity": 8, "webinar_attended": "no", "budget_confirmed": false, "marketing_touches": 3, "newsletter": true"#
        let lines = [
            #"{"lead_id": "A1", "page_views": 5.0, "#,
            #"{"lead_id": "A2", "page_views": 1e1, "#,
            #"{"lead_id": "A3", "page_views": -0, "#,
            #"{"lead_id": 12.50, "page_views": 2, "#,
            #"{"lead_id": 123456789012345678901, "page_views": 2, "#,
            #"{"lead_id": "A\u00e9\n\"x\"\/", "page_views": 007e0, "#,
            #"{"lead_id": "A7", "page_views": 3, "page_views": 9, "#,
            #"{"lead_id": "A8\ud83d\ude00", "page_views": 3.25, "#,
            #"{ "lead_id" : "A9\u00e9\t" , "page_views" : null , "#,
        ].map { $0 + base + "}" }
        let jsonl = lines.joined(separator: "\n") + "\n"
        let expected = try Self.cliScores(jsonl.replacingOccurrences(of: "007e0", with: "7"))
        #expect(expected.split(separator: "\n").count == lines.count)
        var servedLines: [String] = []
        for line in lines {
            let r = try server.request("POST", "/v1/score", body: line.replacingOccurrences(of: "007e0", with: "7"))
            #expect(r.status == 200, "\(line): \(r.text)")
            servedLines.append(r.text)
        }
        #expect(servedLines.joined() == expected)
        // A number JSON does not allow is refused as the CLI refuses it.
        #expect(try server.request("POST", "/v1/score", body: lines[5]).status == 400)
        #expect(try server.request("POST", "/v1/score", body: jsonl).status == 400)
    }

    /// A JSON Lines body of 64 KB or more is read in two halves on two threads: the leads, their
    /// numbers and the lines errors name are those of one reading.
    @Test func largeJSONLinesBodiesReadInTwoHalvesAsOne() throws {
        let server = try ServeProcess(model: Self.model)
        let leads = Self.newLeadsJSONL(limit: 1000, dropping: ["lead_id"])
        #expect(leads.text.utf8.count > 2 * 64 * 1024)
        var lines = leads.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.insert("", at: 10)  // a blank line in the first half: still a line
        let body = lines.joined(separator: "\n")
        let expected = try Self.cliScores(body)
        let r = try server.request("POST", "/v1/score", body: body)
        #expect(r.status == 200)
        #expect(r.text == expected)
        #expect(r.text.split(separator: "\n").last?.hasPrefix("{\"row\":\"1000\",") == true)
        // A value that does not fit on physical line 902 (lead 901), in the second half.
        var bad = lines
        bad[901] = bad[901].replacingOccurrences(of: "\"company_size\":", with: "\"company_size\":\"big\",\"x\":")
        let refused = try server.request("POST", "/v1/score", body: bad.joined(separator: "\n"))
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.json["line"] as? Int == 902 && refused.json["value"] as? String == "big", "\(refused.text)")
        // A number only JSONSerialization reads as `score` does (5.0), in the second half: the whole
        // body is read that way, the same bytes.
        var unusual = lines
        unusual[950] = unusual[950].replacingOccurrences(of: "\"page_views\":", with: "\"page_views\":5.0,\"y\":")
        let body2 = unusual.joined(separator: "\n")
        #expect(try server.request("POST", "/v1/score", body: body2).text == (try Self.cliScores(body2)))
    }

    @Test func leadsWithoutAnIDAreNumberedAsScoreNumbersRows() throws {
        let server = try ServeProcess(model: Self.model)
        let leads = Self.newLeadsJSONL(limit: 30, dropping: ["lead_id"])
        let r = try server.request("POST", "/v1/score", body: leads.text)
        #expect(r.status == 200)
        #expect(r.text == (try Self.cliScores(leads.text)))
        #expect(r.text.hasPrefix("{\"row\":\"1\","))
    }

    @Test func explainEqualsTheCLIsJSON() throws {
        let server = try ServeProcess(model: Self.model)
        let leads = [
            #"{"lead_source": "cold_list", "page_views": 3}"#,
            #"{"lead_id": "X1", "lead_source": "event", "industry": "retail", "budget_confirmed": false, "webinar_attended": "no", "page_views": 5, "days_since_last_activity": 8}"#,
            #"{"industry": "never-seen-industry", "company_size": 99999999, "email_type": null}"#,
        ]
        for lead in leads {
            let cli = try CLI.run(["explain", "--model", Self.model, "--format", "json"], stdin: lead)
            #expect(cli.status == 0, "\(cli.stderr)")
            let r = try server.request("POST", "/v1/explain", body: lead)
            #expect(r.status == 200)
            #expect(r.text == cli.stdout)
        }
        let cli = try CLI.run(["explain", "--model", Self.model, "--format", "json", "--suggestions", "5"], stdin: leads[0])
        #expect(try server.request("POST", "/v1/explain?suggestions=5", body: leads[0]).text == cli.stdout)
    }

    @Test func modelHealthAndMetrics() throws {
        let server = try ServeProcess(model: Self.model)
        let sha = try CLI.shell("sha256sum \(Self.model) | cut -d' ' -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let model = try server.request("GET", "/v1/model")
        #expect(model.status == 200)
        #expect(model.json["fingerprint"] as? String == sha)
        #expect(model.headers["x-model-fingerprint"] == sha)
        let columns = (model.json["columns"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(columns.contains("lead_source") && columns.contains("page_views") && columns.count == 12)
        #expect((model.json["grades"] as? [[String: Any]])?.compactMap { $0["grade"] as? String } == ["A", "B", "C", "D"])

        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200 && health.json["status"] as? String == "ok")

        let leads = Self.newLeadsJSONL(limit: 25)
        #expect(try server.request("POST", "/v1/score", body: leads.text).status == 200)
        #expect(try server.request("POST", "/v1/score", body: "{").status == 400)
        _ = try server.request("GET", "/nowhere")
        let metrics = try server.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        #expect(text.contains("leadscore_leads_scored_total 25\n"))
        #expect(text.contains("leadscore_http_requests_total{route=\"/v1/score\",code=\"200\"} 1\n"))
        #expect(text.contains("leadscore_http_requests_total{route=\"/v1/score\",code=\"400\"} 1\n"))
        #expect(text.contains("leadscore_http_errors_total{route=\"/v1/score\",class=\"4xx\"} 1\n"))
        #expect(text.contains("leadscore_http_requests_total{route=\"other\",code=\"404\"} 1\n"))
        #expect(text.contains("leadscore_http_request_duration_seconds_count{route=\"/v1/score\"} 2\n"))
        #expect(text.contains("leadscore_model_info{fingerprint=\"\(sha)\""))
        #expect(text.contains("leadscore_model_reloads_total{result=\"ok\"} 0\n"))
    }

    @Test func requestIDsInResponsesAndStructuredLogs() throws {
        let server = try ServeProcess(model: Self.model)
        let given = try server.request("GET", "/healthz", headers: ["X-Request-Id": "crm-42.a"])
        #expect(given.headers["x-request-id"] == "crm-42.a")
        let made = try server.request("POST", "/v1/score", body: "[1]")
        let id = try #require(made.headers["x-request-id"])
        #expect(made.json["request_id"] as? String == id)
        // A header that is not a plain token is not echoed.
        #expect(try server.request("GET", "/healthz", headers: ["X-Request-Id": "<script>"]).headers["x-request-id"] != "<script>")
        #expect(server.waitForLog(id))
        // Every log line is a JSON object; request lines carry the id, route and status.
        let requestLine = try #require(server.logLines.first { $0.contains("\"request_id\":\"\(id)\"") && $0.contains("\"msg\":\"request\"") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(requestLine.utf8)) as? [String: Any])
        #expect(fields["status"] as? Int == 400 && fields["path"] as? String == "/v1/score" && fields["level"] as? String == "info")
        #expect(server.waitForLog("crm-42.a"))
        for line in server.logLines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)")
        }
    }
}
