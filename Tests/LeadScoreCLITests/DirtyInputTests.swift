import Foundation
import Testing

/// The dirty-input corpus (Tests/Fixtures/dirty, made by make_dirty.py): each file has a documented
/// outcome, and `rows in = rows scored + rows reported` always holds.
@Suite(.serialized) struct DirtyInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var status: Int32
        var rowsIn: Int
        var scored: Int
        /// Expected prefixes of the error rows (`line,id,column,message`, the message CSV-quoted when it
        /// holds a comma or a quote).
        var errors: [String]
        /// Text expected on standard error.
        var note: String?
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "clean.csv", status: 0, rowsIn: 5, scored: 5, errors: []),
        Case(file: "quoted-commas.csv", status: 0, rowsIn: 5, scored: 5, errors: []),
        Case(file: "crlf.csv", status: 0, rowsIn: 5, scored: 5, errors: []),
        Case(file: "bom.csv", status: 0, rowsIn: 5, scored: 5, errors: []),
        Case(file: "too-few-fields.csv", status: 3, rowsIn: 5, scored: 4, errors: ["4,D3,13,\"expected 14 fields, found 13\""]),
        Case(file: "too-many-fields.csv", status: 3, rowsIn: 5, scored: 4, errors: ["5,D4,15,\"expected 14 fields, found 15\""]),
        Case(file: "unterminated-quote.csv", status: 3, rowsIn: 6, scored: 5, errors: ["7,,3,unterminated quoted field"]),
        Case(file: "invalid-utf8.csv", status: 3, rowsIn: 5, scored: 4, errors: ["3,D2,industry,\"value is not valid UTF-8"]),
        Case(file: "nan-inf-overflow.csv", status: 3, rowsIn: 5, scored: 2,
             errors: ["2,D1,company_size,\"text in a numeric column", "3,D2,page_views,\"text in a numeric column", "4,D3,page_views,\"number out of range"]),
        Case(file: "negative-zero-and-counts.csv", status: 0, rowsIn: 5, scored: 5, errors: [],
             note: "numbers outside the training range (a shape scores the range's end, a straight line extends): marketing_touches 1, page_views 1"),
        Case(file: "huge-field.csv", status: 0, rowsIn: 5, scored: 5, errors: [], note: "industry 1"),
        Case(file: "header-only.csv", status: 0, rowsIn: 0, scored: 0, errors: []),
        Case(file: "reordered-columns.csv", status: 0, rowsIn: 5, scored: 5, errors: []),
        Case(file: "unseen-category.csv", status: 0, rowsIn: 5, scored: 5, errors: [], note: "country 1, lead_source 1"),
    ]

    let dir = CLI.temporaryDirectory()

    @Test(arguments: cases)
    func documentedOutcome(_ c: Case) throws {
        for threads in ["1", "2"] {
            let out = dir + "/\(threads)-\(c.file).scores"
            let errors = dir + "/\(threads)-\(c.file).errors"
            let r = try CLI.run(["score", "Tests/Fixtures/dirty/" + c.file, "--model", "models/leads.json", "--on-error", "skip",
                                 "--errors", errors, "--out", out], environment: ["LEADSCORE_THREADS": threads])
            #expect(r.status == c.status, "\(c.file): \(r.stderr)")
            let scored = CLI.read(out).split(separator: "\n").count - 1
            let errorRows = CLI.read(errors).split(separator: "\n").dropFirst()
            #expect(scored == c.scored, "\(c.file) scored")
            #expect(scored + errorRows.count == c.rowsIn, "\(c.file): rows in = scored + reported")
            #expect(errorRows.count == c.errors.count)
            for (row, expected) in zip(errorRows, c.errors) { #expect(row.hasPrefix(expected), "\(row) vs \(expected)") }
            if let note = c.note { #expect(r.stderr.contains(note), "\(r.stderr)") }
        }
        // Same bytes whatever the thread count.
        #expect(CLI.read(dir + "/1-\(c.file).scores") == CLI.read(dir + "/2-\(c.file).scores"))
    }

    @Test func reorderedColumnsScoreLikeTheOriginal() throws {
        let a = try CLI.run(["score", "Tests/Fixtures/dirty/clean.csv", "--model", "models/leads.json", "--quiet"])
        let b = try CLI.run(["score", "Tests/Fixtures/dirty/reordered-columns.csv", "--model", "models/leads.json", "--quiet"])
        #expect(a.stdout == b.stdout)
        let q = try CLI.run(["score", "Tests/Fixtures/dirty/quoted-commas.csv", "--model", "models/leads.json", "--quiet"])
        #expect(q.stdout.contains("\"D3, \"\"the\"\" lead\","))
    }

    @Test(arguments: [("empty.csv", "the file is empty"), ("duplicate-header.csv", "1:14: duplicate column name")])
    func unusableFilesAreRefused(file: String, message: String) throws {
        let r = try CLI.run(["score", "Tests/Fixtures/dirty/" + file, "--model", "models/leads.json", "--on-error", "skip"])
        #expect(r.status == 65)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}

@Suite(.serialized) struct JSONLinesTests {
    let dir = CLI.temporaryDirectory()

    @Test func jsonLinesInScoreLikeTheSameCSVRows() throws {
        let csv = try CLI.run(["score", "Tests/Fixtures/dirty/clean.csv", "--model", "models/leads.json", "--quiet"])
        let errors = dir + "/jsonl-errors.csv"
        let out = dir + "/scores.csv"
        let r = try CLI.run(["score", "Tests/Fixtures/dirty/leads.jsonl", "--model", "models/leads.json", "--out", out,
                             "--on-error", "skip", "--errors", errors])
        #expect(r.status == 3)
        #expect(CLI.read(out) == csv.stdout, "JSON Lines and CSV disagree")
        let errorRows = CLI.read(errors).split(separator: "\n")
        #expect(errorRows.count == 2)
        #expect(errorRows[1].hasPrefix("4,,,not a JSON object"))
    }

    @Test func jsonLinesOut() throws {
        let r = try CLI.run(["score", "Tests/Fixtures/dirty/clean.csv", "--model", "models/leads.json", "--format", "jsonl", "--reasons", "2", "--quiet"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["lead_id"] as? String == "D1")
        for key in ["probability", "score", "grade", "reasons"] { #expect(first[key] != nil, "\(key)") }
    }
}
