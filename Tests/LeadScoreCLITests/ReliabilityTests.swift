import Foundation
import Testing

/// Regression tests for issue #9's data-loss and wrong-answer items: standard input read once, JSON
/// Lines schema drift, large numbers in `explain`, options that cannot be right, row numbers.
@Suite(.serialized) struct ReliabilityTests {
    let dir = CLI.temporaryDirectory()

    /// `datasets/new-leads.csv` without its id column, repeated so it spans many 1 MB chunks.
    func leadsWithoutID(copies: Int) throws -> String {
        let path = dir + "/noid-\(copies).csv"
        if FileManager.default.fileExists(atPath: path) { return path }
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.isEmpty }
            .map { $0.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)[1] }
        var text = String(lines[0]) + "\n"
        for _ in 0..<copies { for l in lines.dropFirst() { text += String(l) + "\n" } }
        CLI.write(text, to: path)
        return path
    }

    // MARK: - 1. standard input is read exactly once

    @Test(arguments: ["1", "2"])
    func standardInputWithoutAnIdScoresEveryRow(threads: String) throws {
        let file = try leadsWithoutID(copies: 16)  // 80,000 rows, ~4 MB: several 1 MB chunks
        let fromFile = try CLI.run(["score", file, "--model", "models/leads.json", "--quiet"], environment: ["LEADSCORE_THREADS": "1"])
        let piped = try CLI.shell("LEADSCORE_THREADS=\(threads) \"$LEADSCORE\" score - --model models/leads.json < '\(file)'")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stderr.contains("scored 80000 of 80000 rows"), "\(piped.stderr)")
        let lines = piped.stdout.split(separator: "\n")
        #expect(lines.count == 80_001)
        #expect(lines.last?.hasPrefix("80000,") == true)
        #expect(piped.stdout == fromFile.stdout, "piped and file outputs differ")
        // Through a real pipe (not a redirected file), too.
        let cat = try CLI.shell("cat '\(file)' | LEADSCORE_THREADS=\(threads) \"$LEADSCORE\" score - --model models/leads.json --quiet")
        #expect(cat.stdout == fromFile.stdout)
    }

    @Test func aSmallPipedFileWithoutAnIdIsScored() throws {
        let r = try CLI.shell("head -n 4 datasets/new-leads.csv | cut -d, -f2- | LEADSCORE_THREADS=2 \"$LEADSCORE\" score - --model models/leads.json")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").map { $0.split(separator: ",")[0] } == ["row", "1", "2", "3"])
    }

    @Test func parallelRowNumbersMatchTheSequentialOnesWithBadRowsAndJSON() throws {
        // Bad rows in the middle still take their number; JSON output numbers rows the same way.
        let file = try leadsWithoutID(copies: 8)
        var text = CLI.read(file)
        let lines = text.split(separator: "\n", maxSplits: 2)
        let column = lines[0].split(separator: ",").firstIndex(of: "page_views")!
        var bad = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        bad[column] = "notanumber"
        text += bad.joined(separator: ",") + "\n" + lines[1] + "\n"
        let dirty = dir + "/dirty-noid.csv"
        CLI.write(text, to: dirty)
        for format in ["csv", "jsonl"] {
            var outputs: [String] = []
            for threads in ["1", "2"] {
                let r = try CLI.run(["score", dirty, "--model", "models/leads.json", "--on-error", "skip", "--format", format, "--quiet"],
                                    environment: ["LEADSCORE_THREADS": threads])
                #expect(r.status == 3)
                outputs.append(r.stdout)
            }
            #expect(outputs[0] == outputs[1], "\(format): thread counts disagree")
            let last = outputs[0].split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix(format == "csv" ? "40002," : "{\"row\":\"40002\""), "\(last)")
        }
    }

    // MARK: - 2. JSON Lines keys are checked like a CSV header

    func jsonLines(_ transform: (Int, inout [String: String]) -> Void, rows: Int = 20) -> String {
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        var out = ""
        for (i, line) in lines.dropFirst().prefix(rows).enumerated() {
            var object: [String: String] = [:]
            for (k, v) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) { object[k] = String(v) }
            transform(i, &object)
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            out += String(decoding: data, as: UTF8.self) + "\n"
        }
        return out
    }

    @Test func jsonLinesWithRenamedOrMissingKeysAreRefused() throws {
        let path = dir + "/renamed.jsonl"
        CLI.write(jsonLines { _, o in
            o["Page Views"] = o.removeValue(forKey: "page_views")
            o["INDUSTRY"] = o.removeValue(forKey: "industry")
            o.removeValue(forKey: "country")
        }, to: path)
        let r = try CLI.run(["score", path, "--model", "models/leads.json"])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty, "nothing may be scored")
        for text in ["lacks 3 column(s)", "'page_views'", "'industry'", "'country'", "'Page Views' for 'page_views'", "'INDUSTRY' for 'industry'"] {
            #expect(r.stderr.contains(text), "\(text) in \(r.stderr)")
        }
    }

    @Test func aKeyAbsentFromOneLineIsAMissingValue() throws {
        let path = dir + "/one-missing.jsonl"
        CLI.write(jsonLines { i, o in if i == 3 { o.removeValue(forKey: "page_views") } }, to: path)
        let r = try CLI.run(["score", path, "--model", "models/leads.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 20)
        #expect(r.stderr.contains("imputed at the training mean): page_views 1"), "\(r.stderr)")
    }

    @Test func jsonOnStandardInputReadAsCSVSaysItLooksLikeJSON() throws {
        let r = try CLI.run(["score", "-", "--model", "models/leads.json"], stdin: jsonLines { _, _ in })
        #expect(r.status == 65)
        #expect(r.stderr.contains("looks like JSON"), "\(r.stderr)")
        #expect(r.stderr.contains("--input-format jsonl"))
        let ok = try CLI.run(["score", "-", "--model", "models/leads.json", "--input-format", "jsonl", "--quiet"], stdin: jsonLines { _, _ in })
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.split(separator: "\n").count == 20)
    }

    @Test func aCSVWithCaseVariantsOfColumnsNamesThem() throws {
        let lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n")
        let path = dir + "/case.csv"
        CLI.write(lines[0].replacingOccurrences(of: "page_views", with: "Page_Views") + "\n" + lines[1] + "\n", to: path)
        let r = try CLI.run(["score", path, "--model", "models/leads.json"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("'Page_Views' for 'page_views'"), "\(r.stderr)")
    }

    // MARK: - 3. no arithmetic on data traps

    @Test(arguments: ["page_views=1e19", "page_views=12345678901234567890", "page_views=1e300,company_size=-1e300", "page_views=-1e308"])
    func explainSurvivesHugeValues(lead: String) throws {
        for format in ["text", "json"] {
            let r = try CLI.run(["explain", "--model", "models/leads.json", "--lead", lead, "--format", format])
            #expect(r.status == 0, "\(lead) \(format): \(r.stderr)")
            if format == "json" {
                #expect(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) is [String: Any])
            } else {
                #expect(r.stdout.contains("outside the training range"))
                // No 300-digit numbers.
                #expect(!r.stdout.contains("000000000000000000"), "\(r.stdout)")
            }
        }
    }

    @Test func aTwentyDigitNumberInAFileKeepsEveryEarlierLead() throws {
        var lines = CLI.read(CLI.root + "/datasets/new-leads.csv").split(separator: "\n").prefix(6).map(String.init)
        var fields = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let column = lines[0].split(separator: ",").firstIndex(of: "page_views")!
        fields[column] = "98765432109876543210"
        lines[3] = fields.joined(separator: ",")
        let path = dir + "/twenty-digits.csv"
        CLI.write(lines.joined(separator: "\n") + "\n", to: path)
        let r = try CLI.run(["explain", "--model", "models/leads.json", "--data", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 5)
    }

    /// A model whose coefficients are ±1e308: contributions overflow to ±inf and their sum to NaN.
    func overflowingModel() throws -> String {
        let path = dir + "/overflow.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/models/leads.json"))
        var model = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let design = try #require(model["design"] as? [String: Any])
        let names = try #require(design["term_names"] as? [String])
        var coefficients = try #require(model["coefficients"] as? [String: Any])
        var terms = try #require(coefficients["terms"] as? [Double])
        // Every value term of the two columns (a straight line's one term, or a shape's basis terms).
        func owned(_ name: String, by column: String) -> Bool { name == column || name.hasPrefix(column + ":") }
        var changed = 0
        for (t, name) in names.enumerated() {
            if owned(name, by: "page_views") { terms[t] = 1e308; changed += 1 }
            if owned(name, by: "company_size") { terms[t] = -1e308; changed += 1 }
        }
        #expect(changed >= 2, "the bundled model has no page_views or company_size terms: \(names)")
        coefficients["terms"] = terms
        model["coefficients"] = coefficients
        try JSONSerialization.data(withJSONObject: model, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func overflowingModelNeverTraps() throws {
        let model = try overflowingModel()
        let load = try CLI.run(["drivers", "--model", model])
        if load.status == 65 {
            // Refused as implausible by the model validator: also an acceptable, non-crashing outcome.
            #expect(load.stderr.contains("corrupt model"), "\(load.stderr)")
            return
        }
        for format in ["text", "json"] {
            let r = try CLI.run(["explain", "N0000005", "--model", model, "--data", "datasets/new-leads.csv", "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr)")
        }
        let json = try CLI.run(["explain", "N0000005", "--model", model, "--data", "datasets/new-leads.csv", "--format", "json"])
        #expect(json.stdout.contains("null"))
        // Rows whose log-odds is NaN are reported, never written as "nan".
        let errors = dir + "/overflow-errors.csv"
        let s = try CLI.run(["score", "datasets/new-leads.csv", "--model", model, "--on-error", "skip", "--errors", errors])
        #expect(!s.stdout.contains("nan"))
        let scored = s.stdout.split(separator: "\n").count - 1
        let reported = CLI.read(errors).split(separator: "\n").count - 1
        #expect(scored + reported == 5000)
        if reported > 0 { #expect(CLI.read(errors).contains("log-odds is not a number")) }
    }

    // MARK: - 11. options that cannot be right are refused

    @Test(arguments: [
        (["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--id", "status"], "--id and --target"),
        (["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--exclude", "reject_reason,status"], "--exclude names the target"),
        (["train", "datasets/leads.csv", "--target", "status", "--positive", "accepted", "--out", "-"], "cannot go to standard output"),
        (["explain", "--model", "models/leads.json", "--lead", "page_views=1,page_views=2"], "twice"),
        (["explain", "--model", "models/leads.json", "--lead", "pageviews=3"], "did you mean 'page_views'"),
    ])
    func impossibleOptionsAreRefused(args: [String], message: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func reasonsAreCappedAtTheModelsColumns() throws {
        let r = try CLI.run(["score", "Tests/Fixtures/dirty/clean.csv", "--model", "models/leads.json", "--reasons", "40"])
        #expect(r.status == 0)
        // 12 columns and the pair the default search kept: one contribution each.
        #expect(r.stderr.contains("--reasons 40 capped at 13: the model has 12 columns and 1 interaction"), "\(r.stderr)")
        let header = r.stdout.split(separator: "\n")[0]
        #expect(header.hasSuffix(",reason_13"))
    }

    // MARK: - 13. explain finds a lead by the row number score prints

    @Test func explainTakesTheRowNumbersScorePrints() throws {
        let file = try leadsWithoutID(copies: 1)
        let scores = try CLI.run(["score", file, "--model", "models/leads.json", "--quiet"])
        let row42 = try #require(scores.stdout.split(separator: "\n").first { $0.hasPrefix("42,") })
        let r = try CLI.run(["explain", "42", "--model", "models/leads.json", "--data", file, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["id"] as? String == "42")
        let probability = try #require(Double(row42.split(separator: ",")[1]))
        #expect(abs(probability - (o["probability"] as! Double)) <= 1e-15 * probability)
        let beyond = try CLI.run(["explain", "5001", "--model", "models/leads.json", "--data", file])
        #expect(beyond.status == 65)
        #expect(beyond.stderr.contains("5000 data rows"), "\(beyond.stderr)")
    }

    @Test func errorRowsCarryTheLeadID() throws {
        // Training: a bad target and a bad number, each reported with its lead's id beside the line.
        var lines = CLI.read(CLI.root + "/datasets/leads.csv").split(separator: "\n").prefix(800).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func corrupt(_ row: Int, _ column: String, _ value: String) {
            var fields = lines[row].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[header.firstIndex(of: column)!] = value
            lines[row] = fields.joined(separator: ",")
        }
        corrupt(10, "status", "maybe")
        corrupt(20, "page_views", "lots")
        let ids = [10, 20].map { String(lines[$0].split(separator: ",")[0]) }
        let data = dir + "/train-dirty.csv"
        CLI.write(lines.joined(separator: "\n") + "\n", to: data)
        let errors = dir + "/train-errors.csv"
        let r = try CLI.run(["train", data, "--target", "status", "--positive", "accepted", "--negative", "rejected", "--id", "lead_id",
                             "--exclude", "reject_reason", "--type", "page_views=numeric", "--on-error", "skip", "--errors", errors,
                             "--out", dir + "/m.json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = CLI.read(errors).split(separator: "\n").map(String.init)
        #expect(rows.first == "line,id,column,message")
        #expect(rows.contains { $0.hasPrefix("11,\(ids[0]),status,") }, "\(rows)")
        #expect(rows.contains { $0.hasPrefix("21,\(ids[1]),page_views,") }, "\(rows)")
    }

    @Test func jsonLinesWithABOMNestedValuesAndHugeNumbers() throws {
        // A byte order mark is skipped; an array or object value is a bad row naming its key; a
        // number beyond a double makes the line unreadable: reported, never scored as something else.
        var lines = jsonLines({ _, _ in }, rows: 4).split(separator: "\n").map(String.init)
        lines[0] = "\u{FEFF}" + lines[0]
        lines[1] = lines[1].replacingOccurrences(of: "\"industry\":\"", with: "\"industry\":[\"")
            .replacingOccurrences(of: "\",\"job_level\"", with: "\"],\"job_level\"")
        lines[2] = lines[2].replacingOccurrences(of: "\"page_views\":\"", with: "\"page_views\":1e400,\"x\":\"")
        let path = dir + "/odd.jsonl"
        CLI.write(lines.joined(separator: "\n") + "\n", to: path)
        let errors = dir + "/odd-errors.csv"
        let r = try CLI.run(["score", path, "--model", "models/leads.json", "--on-error", "skip", "--errors", errors])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 2, "\(r.stdout)")
        let rows = CLI.read(errors).split(separator: "\n").map(String.init)
        #expect(rows.count == 3, "\(rows)")
        #expect(rows.contains { $0.hasPrefix("2,N0000002,industry,") && $0.contains("found an array") }, "\(rows)")
        #expect(rows.contains { $0.hasPrefix("3,") }, "\(rows)")
    }

    @Test(arguments: ["0", "-2", "many", "100000"])
    func aMistypedThreadCountIsAUsageError(value: String) throws {
        let r = try CLI.run(["score", "Tests/Fixtures/dirty/clean.csv", "--model", "models/leads.json"], environment: ["LEADSCORE_THREADS": value])
        #expect(r.status == 64)
        #expect(r.stderr.contains("LEADSCORE_THREADS must be a whole number from 1 to 64"), "\(r.stderr)")
    }
}
