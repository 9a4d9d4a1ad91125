import Foundation
import Testing

/// `POST /v1/score` with a CSV body (`Content-Type: text/csv`): the answer is the CSV `leadscore
/// score` writes for a file holding the body, byte for byte; a bad row is a 4xx JSON error naming
/// its line and column as `score` names them.
@Suite(.serialized) struct ServeCSVTests {
    static let model = ServeTests.model
    static let csv = ["Content-Type": "text/csv"]

    /// `leadscore score FILE.csv --reasons K`'s output, and its standard error.
    static func cliScores(_ csv: String, reasons: Int = 3) throws -> CLI.Result {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        CLI.write(csv, to: dir + "/leads.csv")
        return try CLI.run(["score", dir + "/leads.csv", "--model", Self.model, "--reasons", String(reasons), "--quiet"])
    }

    /// The bundled new leads' header and first `limit` rows.
    static func newLeads(limit: Int) -> String {
        CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").prefix(limit + 1).joined(separator: "\n") + "\n"
    }

    /// Concurrent CSV batches beyond `--bulk-runs` wait their turn (no thread each) and every one
    /// is answered in full: 16 at once through one slot.
    @Test func csvBatchesBeyondTheBulkSlotsWaitTheirTurn() throws {
        let server = try ServeProcess(model: Self.model, ["--bulk-runs", "1", "--log-level", "notice"])
        let leads = CLI.read(CLI.root + "/datasets/new-leads.csv")
        let expected = try Self.cliScores(leads)
        let replies = Replies()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let r = try? server.request("POST", "/v1/score", body: leads, headers: Self.csv)
            replies.add(r.map { "\($0.status) \($0.text == expected.stdout)" } ?? "failed")
        }
        #expect(replies.all == Array(repeating: "200 true", count: 16))
        let bad = try CLI.run(["serve", "--model", Self.model, "--bulk-runs", "0"])
        #expect(bad.status == 64 && bad.stderr.contains("--bulk-runs must be from 1 to 256"))
    }

    final class Replies: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func csvBatchEqualsScoreByteForByte() throws {
        let server = try ServeProcess(model: Self.model)
        // 400 leads, and all 5,000 (several chunks, scored on every thread): `score`'s bytes.
        for leads in [Self.newLeads(limit: 400), CLI.read(CLI.root + "/datasets/new-leads.csv")] {
            let expected = try Self.cliScores(leads)
            #expect(expected.status == 0, "\(expected.stderr)")
            let r = try server.request("POST", "/v1/score", body: leads, headers: Self.csv)
            #expect(r.status == 200, "\(r.text.prefix(300))")
            #expect(r.headers["content-type"] == "text/csv; charset=utf-8")
            #expect(r.text == expected.stdout)
            #expect(r.text.hasPrefix("lead_id,probability,score,grade,reason_1,reason_2,reason_3\n"))
        }
        // Other reason counts, as --reasons K; a charset parameter is fine.
        let leads = Self.newLeads(limit: 200)
        for k in [0, 1, 12] {
            let r = try server.request("POST", "/v1/score?reasons=\(k)", body: leads, headers: ["Content-Type": "text/csv; charset=utf-8"])
            #expect(r.text == (try Self.cliScores(leads, reasons: k)).stdout, "reasons \(k)")
        }
        // No id column: rows numbered as `score` numbers them (in a body of several chunks too);
        // CRLF line ends, quoted fields, columns in another order and extra columns.
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n")
        let withoutID = lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst().joined(separator: ",") }.joined(separator: "\n") + "\n"
        let reordered = "extra,\"page_views\"," + lines[0].replacingOccurrences(of: "page_views,", with: "") + "\r\n"
            + lines.dropFirst().prefix(300).map { line -> String in
                var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                let views = fields.remove(at: lines[0].split(separator: ",").firstIndex(of: "page_views")!)
                return "\"x, \"\"y\"\"\",\"\(views)\"," + fields.joined(separator: ",")
            }.joined(separator: "\r\n") + "\r\n"
        for body in [withoutID, reordered] {
            let expected = try Self.cliScores(body)
            #expect(expected.status == 0, "\(expected.stderr)")
            let r = try server.request("POST", "/v1/score", body: body, headers: Self.csv)
            #expect(r.status == 200)
            #expect(r.text == expected.stdout)
        }
        #expect(try server.request("POST", "/v1/score", body: withoutID, headers: Self.csv).text.hasPrefix("row,probability,score,grade,reason_1,reason_2,reason_3\n1,"))
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("leadscore_http_requests_total{route=\"/v1/score\",code=\"200\"} 8\n"))
    }

    @Test func aBadRowIsA4xxNamingItsLineAndColumn() throws {
        let server = try ServeProcess(model: Self.model)
        var lines = Self.newLeads(limit: 300).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let column = try #require(header.firstIndex(of: "company_size"))
        var fields = lines[120].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[column] = "many"
        lines[120] = fields.joined(separator: ",")
        let body = lines.joined(separator: "\n") + "\n"
        let r = try server.request("POST", "/v1/score", body: body, headers: Self.csv)
        #expect(r.status == 422, "\(r.text)")
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.json["line"] as? Int == 121)
        #expect(r.json["column"] as? Int == column + 1)
        #expect(r.json["fields"] as? [String] == ["company_size"])
        #expect(r.json["value"] as? String == "many")
        // The words of `score`'s message, the file named `request`.
        let cli = try Self.cliScores(body)
        #expect(cli.status == 65)
        let message = try #require(r.json["error"] as? String)
        #expect(message.hasPrefix("request:121:\(column + 1): "))
        let cliMessage = try #require(cli.stderr.split(separator: "\n").first { $0.contains(":121:\(column + 1): ") })
        #expect(cliMessage.hasSuffix(message.dropFirst("request".count)), "\(cliMessage) / \(message)")

        // An unterminated quote: its line; a header that lacks columns: each named, with look-alikes.
        let quote = try server.request("POST", "/v1/score", body: lines.prefix(4).joined(separator: "\n") + "\nN9,\"2026-01-01\n", headers: Self.csv)
        #expect(quote.status == 422 && quote.json["line"] as? Int == 5, "\(quote.text)")
        let renamed = try server.request("POST", "/v1/score", body: body.replacingOccurrences(of: "page_views", with: "Page Views"), headers: Self.csv)
        #expect(renamed.status == 422)
        #expect(renamed.json["fields"] as? [String] == ["page_views"])
        #expect((renamed.json["lookalikes"] as? [String: [String]])?["page_views"] == ["Page Views"])
        // A body delimited by ';': the advice is what to send, not `score`'s --delimiter option.
        let semicolons = try server.request("POST", "/v1/score", body: Self.newLeads(limit: 3).replacingOccurrences(of: ",", with: ";"), headers: Self.csv)
        let advice = semicolons.json["error"] as? String ?? ""
        #expect(semicolons.status == 422 && advice.contains("a CSV body must be delimited by commas") && !advice.contains("--"), "\(semicolons.text)")
        // Still serving, never a 5xx.
        #expect(try server.request("POST", "/v1/score", body: Self.newLeads(limit: 3), headers: Self.csv).status == 200)
        #expect(!(try server.request("GET", "/metrics").text.contains("code=\"5")))
    }

    @Test func anOverLimitCSVBodyGets413() throws {
        let server = try ServeProcess(model: Self.model, ["--max-body", "64K"])
        let small = Self.newLeads(limit: 400)   // under 64 KB
        let large = Self.newLeads(limit: 1000)  // over
        #expect(small.utf8.count < 64 * 1024 && large.utf8.count > 64 * 1024)
        let ok = try server.request("POST", "/v1/score", body: small, headers: Self.csv)
        let expected = try Self.cliScores(small).stdout
        #expect(ok.status == 200 && ok.text == expected)
        let refused = try server.request("POST", "/v1/score", body: large, headers: Self.csv)
        #expect(refused.status == 413)
        #expect((refused.json["error"] as? String)?.contains("larger than 65536 bytes") == true)
        #expect(try server.request("POST", "/v1/score", body: small, headers: Self.csv).status == 200)
    }

    @Test func theWrongContentTypeIsSaidClearly() throws {
        let server = try ServeProcess(model: Self.model)
        let leads = Self.newLeads(limit: 5)
        // CSV sent without text/csv: the JSON reader's refusal says how to send CSV.
        let untyped = try server.request("POST", "/v1/score", body: leads)
        #expect(untyped.status == 400)
        #expect((untyped.json["error"] as? String)?.contains("CSV sent with Content-Type: text/csv") == true, "\(untyped.text)")
        // JSON sent as text/csv, and an empty CSV.
        let json = try server.request("POST", "/v1/score", body: ServeRobustnessTests.lead, headers: Self.csv)
        #expect(json.status == 400)
        #expect((json.json["error"] as? String)?.contains("looks like JSON but was sent as Content-Type: text/csv") == true, "\(json.text)")
        let empty = try server.request("POST", "/v1/score", body: "\n", headers: Self.csv)
        #expect(empty.status == 400 && (empty.json["error"] as? String)?.hasPrefix("empty body") == true, "\(empty.text)")
        // A header only: no leads, `score`'s header line.
        let headerOnly = try server.request("POST", "/v1/score", body: String(leads.prefix { $0 != "\n" }) + "\n", headers: Self.csv)
        #expect(headerOnly.status == 200 && headerOnly.text == "lead_id,probability,score,grade,reason_1,reason_2,reason_3\n")
    }
}
