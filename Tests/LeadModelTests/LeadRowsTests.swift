import Foundation
import Testing
import LeadData
@testable import LeadModel

/// The one row stream (`LeadRows`): what every command's row loop does with good and bad rows.
@Suite struct LeadRowsTests {
    static let header = "lead_id,created_at,lead_source,industry,country,company_size,job_level,email_type,page_views,days_since_last_activity,webinar_attended,budget_confirmed,marketing_touches,newsletter,status,reject_reason"

    static func row(_ id: String, date: String = "2026-04-28", pageViews: String = "3", status: String = "rejected") -> String {
        "\(id),\(date),cold_list,software,ES,185,c_level,corporate,\(pageViews),2,no,no,3,no,\(status),no_budget"
    }

    static func stream(_ lines: [String], policy: OnError) throws -> LeadRows<CSVReader> {
        let model = try LeadScoreModel.load(from: Paths.root + "/models/leads.json")
        let path = Paths.write(([header] + lines).joined(separator: "\n") + "\n")
        let reader = try CSVReader(path: path)
        let head = try reader.readHeader()
        let parser = FieldParser()
        var roles = RowRoles(file: path, header: head, parser: parser)
        try roles.readTarget(model.target)
        try roles.readTime("created_at")
        try roles.readID("lead_id")
        let resolver = try RowResolver(design: model.design, header: head, file: path, parser: parser)
        return LeadRows(source: reader, roles: roles, resolver: resolver, policy: policy)
    }

    @Test func skipReportsEachBadRowWithLineColumnAndIDAndGoesOn() throws {
        var rows = try LeadRowsTests.stream([
            LeadRowsTests.row("A1", status: "accepted"),
            LeadRowsTests.row("A2", status: "maybe"),
            LeadRowsTests.row("A3", date: "yesterday"),
            LeadRowsTests.row("A4", pageViews: "many"),
            LeadRowsTests.row("A5", status: ""),
            "A6,too,few",
            LeadRowsTests.row("A7"),
        ], policy: .skip)
        var used: [(String, UInt8, Int)] = []
        while try rows.next() {
            used.append((rows.roles.idText(of: rows.record, row: rows.recordsRead), rows.outcome, rows.recordsRead))
            #expect(rows.day != nil)
            #expect(rows.values.count == rows.resolver.design.columns.count)
        }
        #expect(used.map(\.0) == ["A1", "A7"])
        #expect(used.map(\.1) == [1, 0])
        #expect(used.map(\.2) == [1, 7])
        #expect(rows.recordsRead == 7)
        #expect(rows.errors.count == 5)
        let e = rows.errors.kept
        #expect(e.map(\.line) == [3, 4, 5, 6, 7])
        #expect(e.map(\.leadID) == ["A2", "A3", "A4", "A5", "A6"])
        #expect(e[0].column == 15 && e[0].message.contains("neither the positive value 'accepted'"))
        #expect(e[1].column == 2 && e[1].message.contains("ISO 8601 date"))
        #expect(e[2].column == 9 && e[2].columnName == "page_views" && e[2].value == "many")
        #expect(e[3].column == 15 && e[3].message == "the target value is missing")
        #expect(e[4].message == "expected 16 fields, found 3")
    }

    @Test func failThrowsTheFirstBadRowAfterTheGoodOnesBeforeIt() throws {
        var rows = try LeadRowsTests.stream([LeadRowsTests.row("B1"), LeadRowsTests.row("B2", pageViews: "x"), LeadRowsTests.row("B3")], policy: .fail)
        #expect(try rows.next())
        let error = #expect(throws: InputError.self) { try rows.next() }
        #expect(error?.line == 3 && error?.leadID == "B2" && error?.columnName == "page_views")
        // Thrown, not counted: the command stops there.
        #expect(rows.errors.count == 0)
    }

    @Test func anUnterminatedQuoteIsOneReportedRowAndEndsACSV() throws {
        var rows = try LeadRowsTests.stream([LeadRowsTests.row("C1"), "C2,\"2026-04-28,cold_list", LeadRowsTests.row("C3")], policy: .skip)
        var steps: [String] = []
        while true {
            let step = try rows.step()
            if case .end = step { break }
            if case .row = step { steps.append("row") }
            if case .rejected = step { steps.append("rejected") }
        }
        #expect(steps == ["row", "rejected"])
        #expect(rows.errors.count == 1)
        #expect(rows.recordsRead == 2)
    }

    @Test func aBadJSONLineIsOneReportedRowAndTheNextIsRead() throws {
        let model = try LeadScoreModel.load(from: Paths.root + "/models/leads.json")
        let fields = model.design.columns.map { "\"\($0.name)\": null" }.joined(separator: ", ")
        let path = Paths.write("{\(fields)}\nnot json\n{\(fields)}\n", name: "leads.jsonl")
        let reader = try JSONLinesReader(path: path)
        let parser = FieldParser()
        let resolver = try RowResolver(design: model.design, header: reader.header, file: path, parser: parser)
        var rows = LeadRows(source: reader, roles: RowRoles(file: path, header: reader.header, parser: parser), resolver: resolver, policy: .skip)
        var used = 0
        while try rows.next() { used += 1 }
        #expect(used == 2)
        #expect(rows.errors.count == 1)
        #expect(rows.errors.kept.first?.line == 2)
        #expect(rows.recordsRead == 3)
    }

    @Test func skippedRecordsAreNeitherCheckedNorReportedAndTheLimitEndsTheStream() throws {
        var rows = try LeadRowsTests.stream([LeadRowsTests.row("D1", pageViews: "bad"), LeadRowsTests.row("D2"), LeadRowsTests.row("D3"), LeadRowsTests.row("D4")], policy: .fail)
        rows.recordLimit = 3
        var ids: [String] = []
        while try rows.next(skipping: { _, row in row == 1 }) { ids.append(rows.roles.idText(of: rows.record, row: rows.recordsRead)) }
        #expect(ids == ["D2", "D3"])
        #expect(rows.recordsRead == 3)
    }

    @Test func errorsFromChunksAppendInOrderUpToTheKeptLimit() throws {
        var a = RowErrors(.skip), b = RowErrors(.skip)
        for i in 0..<(OnError.keptErrors - 1) { try a.report(InputError(file: "f", line: i + 2, message: "a")) }
        for i in 0..<3 { try b.report(InputError(file: "f", line: 5000 + i, message: "b")) }
        a.append(b)
        #expect(a.count == OnError.keptErrors + 2)
        #expect(a.kept.count == OnError.keptErrors)
        #expect(a.kept.last?.line == 5000)
        var fail = RowErrors(.fail)
        #expect(throws: InputError.self) { try fail.report(InputError(file: "f", message: "x")) }
    }

    /// `RowResolver.resolve(_:into:)` takes shorter ways for common fields (no trimming when the
    /// ends are not spaces, whole numbers, `yes`/`no`, one level lookup with the missing markers in
    /// the level table): every value of every column must resolve as `resolve(_:_:)` resolves its
    /// trimmed bytes, or fail with its message at its column, with the standard markers and with
    /// extra ones that start with a digit, are `no`, or are longer than 16 bytes.
    @Test(arguments: [[], ["Select", "9", "no", "not given at all by the customer"]])
    func resolvingARowGivesWhatEachColumnResolvesTo(extraMissing: [String]) throws {
        let model = try LeadScoreModel.load(from: Paths.root + "/models/leads.json")
        let header = LeadRowsTests.header.split(separator: ",").map(String.init)
        let resolver = try RowResolver(design: model.design, header: header, file: "t.csv", parser: FieldParser(extraMissing: extraMissing))
        var values = ["", " ", "\t", "NA", " NA ", "N/A", "null", "NULL", "Null", "na", "Select", "select", "9", "99", "0", "007",
                      "42", " 42", "42 ", "\t7\t", "123456789012345", "1234567890123456", "3.5", "1e2", "-0", "+5", ".5", "5.",
                      "1e400", "12x", "yes", "no", "YES", "No", "True", "false", " yes", "no ", "1", "1.0", "2", "y",
                      "not given at all by the customer", "\u{e9}l\u{e8}ve"]
        for col in model.design.columns {
            for g in col.categorical?.groups ?? [] {
                for l in [g.value] + (g.pooled ?? []) { values += [l, " " + l, l + "\t", l.uppercased(), String(l.dropLast()), l + "x", "x" + l, l + l] }
            }
        }
        let template = LeadRowsTests.row("R1").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var out: [ResolvedValue] = []
        for (c, col) in model.design.columns.enumerated() {
            let f = resolver.fieldIndex[c]
            for v in values {
                var fields = template
                fields[f] = v
                let expected = Array(v.utf8).withUnsafeBufferPointer { resolver.resolve(c, FieldParser.trim($0)) }
                do {
                    try resolver.resolve(CSVRecord(fields: fields, line: 2), into: &out)
                    guard case .success(let value) = expected else { Issue.record("\(col.name) '\(v)' resolved; expected \(expected)"); continue }
                    #expect(out[c] == value, "\(col.name) '\(v)'")
                } catch {
                    guard case .failure(let problem) = expected else { Issue.record("\(col.name) '\(v)': \(error.message)"); continue }
                    #expect(error.column == f + 1 && error.message == problem.message, "\(col.name) '\(v)'")
                }
            }
        }
    }
}
