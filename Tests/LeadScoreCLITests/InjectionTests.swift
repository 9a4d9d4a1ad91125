import Foundation
import Testing

/// Issue #9, items 6 and 7: values from data that a spreadsheet would run as formulas, or a terminal
/// would run as escape sequences. A small model is trained on leads whose column names and levels
/// are such values; every human-facing output must neutralize them, and `score`'s output must not.
@Suite(.serialized) struct InjectionTests {
    static let esc = "\u{1B}"
    /// A column whose name retitles the terminal window (OSC 0, ended by BEL).
    static let oscColumn = "col\u{1B}]0;pwned\u{07}"
    static let oscColumnShown = "col\\x1b]0;pwned\\x07"
    static let hyperlink = "=HYPERLINK(\"http://x\")"
    /// A level that colours the terminal red: sales rejects these leads, so it leads the segments.
    static let redLevel = "\u{1B}[31mred\u{1B}[0m"
    static let header = ["id", hyperlink, "@SUM(A1)", "-2+3", oscColumn, "y", "reason"]

    let dir = CLI.temporaryDirectory()

    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// 240 leads (seeded), the first one with id `=1+1` and rejected, with every kind of hostile value.
    func writeLeads() -> String {
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let first = ["+1", Self.hyperlink, "plain"]
        let second = ["-2+3", "@SUM(A1)", "\t=1+2", Self.redLevel, "bell\u{07}", "\u{202E}evil", "csi\u{9B}2J"]
        let reasons = [Self.hyperlink, "not_ready", "@SUM(A1)\u{1B}[2J"]
        var lines = [Self.header.map(Self.field).joined(separator: ",")]
        for i in 0..<240 {
            let a = first[Int(next() * 3)], b = second[Int(next() * 7)], n = Int(next() * 21), c = next() < 0.5 ? "a" : "b"
            let p = b == Self.redLevel ? 0.1 : 0.35 + (a == "plain" ? 0.2 : 0) + 0.02 * Double(n)
            let accepted = i > 1 && next() < p
            let id = i == 0 ? "=1+1" : i == 1 ? "-3" : "L\(i)"
            lines.append([id, a, b, "\(n)", c, accepted ? "yes" : "no", accepted ? "" : reasons[Int(next() * 3)]].map(Self.field).joined(separator: ","))
        }
        let path = dir + "/leads.csv"
        CLI.write(lines.joined(separator: "\n") + "\n", to: path)
        return path
    }

    func train() throws -> (data: String, model: String, run: CLI.Result) {
        let data = writeLeads()
        let model = dir + "/model.json"
        let r = try CLI.run(["train", data, "--target", "y", "--positive", "yes", "--id", "id", "--exclude", "reason",
                             "--min-level-count", "1", "--holdout", "0", "--out", model])
        #expect(r.status == 0, "\(r.stderr)")
        return (data, model, r)
    }

    /// A character a terminal acts on: C0 controls but the line feed, DEL, C1, bidi overrides.
    static func rawControls(_ s: String) -> [String] {
        s.unicodeScalars.filter { u in
            (u.value < 0x20 && u != "\n") || (0x7F...0x9F).contains(u.value) || (0x202A...0x202E).contains(u.value) || (0x2066...0x2069).contains(u.value)
        }.map { "U+" + String($0.value, radix: 16) }
    }

    /// RFC 4180 records (enough for these files: quoted fields, doubled quotes, no newlines in fields).
    static func records(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            var fields: [String] = [], field = "", quoted = false
            var chars = Array(line)[...]
            while let ch = chars.popFirst() {
                if quoted {
                    if ch == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(ch) }
                } else if ch == "\"" { quoted = true } else if ch == "," { fields.append(field); field = "" } else { field.append(ch) }
            }
            return fields + [field]
        }
    }

    /// What a spreadsheet would run: a cell starting with = + - @ tab or CR that is not a number.
    static func isFormula(_ cell: String) -> Bool {
        guard let c = cell.first, "=+-@\t\r".contains(c) else { return false }
        return Double(cell) == nil
    }

    @Test func trainSummaryAndDriversTextShowControlsVisibly() throws {
        let (_, model, t) = try train()
        #expect(Self.rawControls(t.stdout + t.stderr).isEmpty, "\(Self.rawControls(t.stdout + t.stderr))")
        #expect(t.stdout.contains(Self.oscColumnShown), "\(t.stdout)")
        let d = try CLI.run(["drivers", "--model", model])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(Self.rawControls(d.stdout + d.stderr).isEmpty, "\(Self.rawControls(d.stdout))")
        #expect(d.stdout.contains(Self.oscColumnShown))
        #expect(d.stdout.contains("@SUM(A1)=\\x1b[31mred\\x1b[0m"), "\(d.stdout)")
        #expect(d.stdout.contains("@SUM(A1)=\\u{202e}evil"), "\(d.stdout)")
        #expect(d.stdout.contains("@SUM(A1)=csi\\u{9b}2J"), "\(d.stdout)")
    }

    @Test func driversCSVNeutralizesFormulasButNotNumbers() throws {
        let (_, model, _) = try train()
        let r = try CLI.run(["drivers", "--model", model, "--format", "csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = Self.records(r.stdout)
        #expect(rows.first?.first == "column")
        for row in rows.dropFirst() {
            // 12 term columns, then reference_level (text) and the shape point's quantile, value, points.
            #expect(row.count == 16, "\(row)")
            for cell in row { #expect(!Self.isFormula(cell), "\(row)") }
            for number in row[1...3] + row[5...11] + row[13...] { #expect(number.isEmpty || Double(number) != nil, "\(row)") }
        }
        for cell in ["'-2+3", "'" + Self.hyperlink, "'@SUM(A1)", "'" + Self.hyperlink + "=plain", "'@SUM(A1)=-2+3", "'@SUM(A1)==1+2"] {
            #expect(rows.contains { $0[0] == cell || $0[4] == cell || $0[12] == cell }, "\(cell)")
        }
        // The tool's own negative numbers stay numbers, unquoted.
        #expect(r.stdout.contains(",-0."), "\(r.stdout)")
        #expect(r.stdout.contains("\"'=HYPERLINK(\"\"http://x\"\")\","))
    }

    @Test func recycleOutNeutralizesIdsReasonsAndDriversAndPatternsTextIsVisible() throws {
        let data = writeLeads()
        let recycle = dir + "/recycle.csv"
        let r = try CLI.run(["patterns", data, "--target", "y", "--positive", "yes", "--id", "id", "--reason-column", "reason",
                             "--min-level-count", "1", "--recycle-reasons", Self.hyperlink, "--recycle-out", recycle])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.rawControls(r.stdout + r.stderr).isEmpty, "\(Self.rawControls(r.stdout + r.stderr))")
        // The planted segment and a reason carry escapes: shown, not run.
        #expect(r.stdout.contains("@SUM(A1) = \\x1b[31mred\\x1b[0m"), "\(r.stdout)")
        #expect(r.stdout.contains("@SUM(A1)\\x1b[2J"), "\(r.stdout)")
        let rows = Self.records(CLI.read(recycle))
        #expect(rows.first?.prefix(6) == ["id", "recommendation", "probability_accepted_later", "reason", "predicted_reason", "main_driver"])
        #expect(rows.count > 20)
        for row in rows.dropFirst() {
            for cell in row { #expect(!Self.isFormula(cell), "\(row)") }
            #expect(Double(row[2]) != nil, "\(row)")
        }
        let first = try #require(rows.first { $0[0] == "'=1+1" }, "the lead =1+1 is rejected and listed, neutralized")
        #expect(["'" + Self.hyperlink, "not_ready", "'@SUM(A1)\u{1B}[2J"].contains(first[3]), "\(first)")
        #expect(rows.contains { $0[0] == "-3" }, "a plain number id stays as it is")
        #expect(rows.contains { $0[3] == "'" + Self.hyperlink && $0[4].hasPrefix("'") })
        #expect(rows.contains { $0[5].hasPrefix("'-2+3:") || $0[5].hasPrefix("'=HYPERLINK") || $0[5].hasPrefix("'@SUM(A1)=") }, "\(rows.map { $0[5] })")
    }

    @Test func scoreErrorsAreSafeButItsOutputStaysByteExact() throws {
        let (data, model, _) = try train()
        var lines = CLI.read(data).split(separator: "\n").prefix(6).map(String.init)
        lines.append("L900,plain,never\u{1B}[2Jseen,many\u{1B}]0;x\u{07},a,no,")
        lines.append("L901,+1,\u{202E}unseen,3,c\u{9B}z,no,")
        let input = dir + "/new.csv"
        CLI.write(lines.joined(separator: "\n") + "\n", to: input)
        let out = dir + "/scored.csv", errors = dir + "/errors.csv"
        let r = try CLI.run(["score", input, "--model", model, "--reasons", "2", "--on-error", "skip", "--errors", errors, "--out", out])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(Self.rawControls(r.stderr).isEmpty, "\(Self.rawControls(r.stderr))")
        #expect(r.stderr.contains("@SUM(A1) 1, \(Self.oscColumnShown) 1"), "\(r.stderr)")
        #expect(r.stderr.contains("(column '-2+3', value \"many\\x1b]0;x\\x07\")"), "\(r.stderr)")
        #expect(CLI.read(errors) == "line,id,column,message\n7,L900,\"'-2+3\",\"text in a numeric column: expected a number (value \"\"many\\x1b]0;x\\x07\"\")\"\n")
        // score's output is for machines: the id and the reason codes are written as they came.
        let scored = CLI.read(out)
        #expect(scored.contains("\n=1+1,"), "\(scored)")
        #expect(!scored.contains("'=1+1"))
        #expect(scored.contains(Self.oscColumn + "=a"), "reason codes keep their bytes")
        #expect(scored.contains("\"" + Self.hyperlink.replacingOccurrences(of: "\"", with: "\"\"") + "=" + Self.hyperlink.replacingOccurrences(of: "\"", with: "\"\"")))
        // With --on-error fail the message stops the run, still visible.
        let failing = try CLI.run(["score", input, "--model", model])
        #expect(failing.status == 65)
        #expect(Self.rawControls(failing.stderr).isEmpty)
        #expect(failing.stderr.contains("value \"many\\x1b]0;x\\x07\""), "\(failing.stderr)")
    }

    @Test func explainTextShowsControlsVisiblyAndJSONEscapesThem() throws {
        let (data, model, _) = try train()
        let r = try CLI.run(["explain", "=1+1", "--model", model, "--data", data])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.rawControls(r.stdout + r.stderr).isEmpty, "\(Self.rawControls(r.stdout))")
        #expect(r.stdout.hasPrefix("Lead =1+1: score"))
        #expect(r.stdout.contains("[\(Self.oscColumnShown)="), "\(r.stdout)")
        let lead = "@SUM(A1)=\u{1B}[31mred\u{1B}[0m"
        let inline = try CLI.run(["explain", "--model", model, "--lead", lead + ",\(Self.oscColumn)=b\u{07}"])
        #expect(inline.status == 0, "\(inline.stderr)")
        #expect(Self.rawControls(inline.stdout + inline.stderr).isEmpty, "\(Self.rawControls(inline.stdout + inline.stderr))")
        #expect(inline.stdout.contains("\\x1b[31mred\\x1b[0m"), "\(inline.stdout)")
        #expect(inline.stdout.contains("b\\x07"), "\(inline.stdout)")
        let json = try CLI.run(["explain", "--model", model, "--lead", lead, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "JSON escapes C0 controls itself")
        #expect(json.stdout.contains("\\u001b[31mred"), "\(json.stdout)")
    }

    /// A usage error raised while running can quote data too (here the keys of a JSON lead).
    @Test func usageErrorsQuotingDataShowControlsVisibly() throws {
        let (_, model, _) = try train()
        let r = try CLI.run(["explain", "--model", model], stdin: "{\"x\\u001b[2J\": 1, \"y\\u0007\": 2}")
        #expect([0, 64].contains(r.status), "ignored with a note, or refused as a usage error: \(r.stderr)")
        #expect(Self.rawControls(r.stderr).isEmpty, "\(Self.rawControls(r.stderr))")
        #expect(r.stderr.contains("x\\x1b[2J"), "\(r.stderr)")
    }
}
