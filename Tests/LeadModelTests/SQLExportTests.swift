import Foundation
import Testing
@testable import LeadModel
@testable import LeadSupport

/// `leadscore export sql`: quoting and literals per dialect, and the shape of the generated script.
/// Whether the SQL scores as `leadscore score` does is checked on the real engines by
/// `Tests/Engines/check_sql.py` (`make test-engines`).
@Suite struct SQLExportTests {
    static let nasty = [
        "x'); DROP TABLE leads; --", "back\\slash", "naïve 日本 ü", "say \"hi\"", "tick`tock", "$ls$", "a$ls", "$ls",
        "end\\", "'", "''", "\\'", "", "multi\nline", "semi;colon", "-- comment", "$ls1$ and $ls$", "a$",
    ]

    /// Random strings over the characters that matter to some dialect's quoting.
    static func randomStrings(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let alphabet: [String] = ["'", "\\", "\"", "`", "$", "l", "s", "1", ";", "-", "日", "\n", "a", " "]
        return (0..<count).map { _ in
            let n = Int(rng.next() % 12)
            return (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
        }
    }

    // MARK: - Decoders: what each engine's lexer makes of a literal (only the forms the export writes)

    /// The text of a quoted identifier, or nil when `quoted` is not one well-formed identifier.
    static func decodeIdentifier(_ quoted: String, quote: Character) -> String? {
        var chars = Array(quoted)
        guard chars.count >= 2, chars.first == quote, chars.last == quote else { return nil }
        chars = Array(chars.dropFirst().dropLast())
        var out = ""
        var i = 0
        while i < chars.count {
            if chars[i] == quote {
                guard i + 1 < chars.count, chars[i + 1] == quote else { return nil }  // a lone quote ends it early
                i += 1
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }

    /// DuckDB and PostgreSQL `'…'` (quotes doubled, backslash ordinary), PostgreSQL `$tag$…$tag$`.
    static func decodeStandardString(_ literal: String) -> String? {
        if literal.hasPrefix("$") {
            let body = literal.dropFirst()
            guard let end = body.firstIndex(of: "$") else { return nil }
            let tag = "$" + body[..<end] + "$"
            var rest = String(literal.dropFirst(tag.count))
            // The lexer ends the string at the first occurrence of the tag.
            guard let close = rest.range(of: tag) else { return nil }
            let text = String(rest[..<close.lowerBound])
            rest = String(rest[close.upperBound...])
            return rest.isEmpty ? text : nil
        }
        return decodeIdentifier(literal, quote: "'")
    }

    /// Spark: `'…'` holding neither `'` nor `\`, or `concat` of those and `char(39)` / `char(92)`.
    static func decodeSparkString(_ literal: String) -> String? {
        func plain(_ s: Substring) -> String? {
            guard s.count >= 2, s.first == "'", s.last == "'" else { return nil }
            let inner = s.dropFirst().dropLast()
            return inner.contains("'") || inner.contains("\\") ? nil : String(inner)
        }
        if literal == "char(39)" { return "'" }
        if literal == "char(92)" { return "\\" }
        guard literal.hasPrefix("concat(") else { return plain(Substring(literal)) }
        var rest = literal.dropFirst("concat(".count)
        var out = ""
        while !rest.isEmpty {
            if rest.hasPrefix("char(39)") { out += "'"; rest = rest.dropFirst(8) }
            else if rest.hasPrefix("char(92)") { out += "\\"; rest = rest.dropFirst(8) }
            else if rest.hasPrefix("'") {
                guard let end = rest.dropFirst().firstIndex(of: "'"), let text = plain(rest[...end]) else { return nil }
                out += text
                rest = rest[rest.index(after: end)...]
            } else { return nil }
            if rest.hasPrefix(", ") { rest = rest.dropFirst(2) } else if rest == ")" { rest = "" } else { return nil }
        }
        return out
    }

    // MARK: - Quoting

    @Test(arguments: SQLDialect.allCases)
    func identifiersReadBackExactly(_ d: SQLDialect) {
        for name in Self.nasty + Self.randomStrings(count: 300, seed: 1) {
            let quoted = d.identifier(name)
            #expect(Self.decodeIdentifier(quoted, quote: d == .spark ? "`" : "\"") == name, "\(d) \(quoted)")
        }
        #expect(d.qualifiedName("crm.le\"ads") == [d.identifier("crm"), d.identifier("le\"ads")].joined(separator: "."))
    }

    @Test(arguments: SQLDialect.allCases)
    func stringsReadBackExactly(_ d: SQLDialect) {
        for text in Self.nasty + Self.randomStrings(count: 500, seed: 2) {
            let literal = d.string(text)
            let decoded = d == .spark ? Self.decodeSparkString(literal) : Self.decodeStandardString(literal)
            #expect(decoded == text, "\(d): \(literal)")
            switch d {
            case .spark:
                // No backslash at all: its meaning depends on spark.sql.parser.escapedStringLiterals.
                #expect(!literal.contains("\\"))
            case .postgres:
                // A backslash only inside dollar quotes: '…' depends on standard_conforming_strings.
                if text.contains("\\") { #expect(literal.hasPrefix("$")) }
            case .duckdb:
                #expect(literal.hasPrefix("'"))
            }
        }
        #expect(SQLDialect.duckdb.string("x'); DROP TABLE leads; --") == "'x''); DROP TABLE leads; --'")
        #expect(SQLDialect.postgres.string("a\\b") == "$ls$a\\b$ls$")
        #expect(SQLDialect.postgres.string("$ls$\\") == "$ls1$$ls$\\$ls1$")
        #expect(SQLDialect.postgres.string("\\$ls") == "$ls1$\\$ls$ls1$")
        #expect(SQLDialect.spark.string("it's") == "concat('it', char(39), 's')")
    }

    @Test(arguments: SQLDialect.allCases)
    func doublesReadBackExactly(_ d: SQLDialect) {
        var rng = SplitMix64(seed: 3)
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-300, 5e-324, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-5, 123456789.125]
        for _ in 0..<2000 {
            let x = Double(bitPattern: rng.next())
            if x.isFinite { values.append(x) }
        }
        for x in values {
            let literal = d.double(x)
            let prefix = d == .postgres ? "'" : "CAST('"
            let suffix = d == .postgres ? "'::float8" : "' AS DOUBLE)"
            #expect(literal.hasPrefix(prefix) && literal.hasSuffix(suffix))
            let text = literal.dropFirst(prefix.count).dropLast(suffix.count)
            let back = Double(String(text))
            #expect(back?.bitPattern == x.bitPattern, "\(d): \(literal)")
        }
    }

    // MARK: - The script

    static func bundledModel() throws -> LeadScoreModel {
        try LeadScoreModel.load(from: Paths.root + "/models/leads.json")
    }

    @Test(arguments: SQLDialect.allCases)
    func everyLevelAndConstantIsInTheQuery(_ d: SQLDialect) throws {
        let model = try Self.bundledModel()
        let export = try SQLExport(model: model, options: SQLExportOptions(dialect: d))
        let sql = export.script
        #expect(export.tableColumns.isEmpty)
        for col in model.design.columns {
            #expect(sql.contains(d.identifier(col.name)))
            for group in col.categorical?.groups ?? [] where !group.value.isEmpty && group.value != ColumnEncoding.otherName {
                #expect(sql.contains(" WHEN \(d.string(group.value)) THEN "), "\(col.name)=\(group.value)")
            }
        }
        // η is summed in design order, from the intercept, as CompiledScorer.logOdds adds it.
        let sum = ([d.double(model.coefficients.intercept)] + model.design.columns.indices.map { "lo_\($0)" }).joined(separator: " + ")
        #expect(sql.contains(sum))
        for band in model.grades { #expect(sql.contains("WHEN score >= \(d.double(band.minScore)) THEN \(d.string(band.grade))")) }
        #expect(sql.contains("FROM \(d.identifier("leads"))"))
        #expect(sql.hasSuffix(";\n"))
        #expect(!sql.contains("reason_1"))
    }

    @Test func reasonsAreCappedAtTheColumnCountAsInScore() throws {
        let model = try Self.bundledModel()
        var o = SQLExportOptions(dialect: .duckdb)
        o.reasons = 99
        let export = try SQLExport(model: model, options: o)
        // One per column and one per interaction (the bundled model has one).
        let c = model.design.columns.count + (model.design.interactions?.count ?? 0)
        #expect(model.design.interactions?.count == 1)
        #expect(export.reasons == c)
        #expect(export.notices.contains { $0.contains("capped at \(c)") })
        #expect(export.script.contains("reason_\(c)"))
        #expect(!export.script.contains("reason_\(c + 1)"))
    }

    @Test func aModelWithoutAnIDNeedsOne() throws {
        var model = try Self.bundledModel()
        model.idColumn = nil
        #expect(throws: SQLExportError.self) { try SQLExport(model: model, options: SQLExportOptions(dialect: .postgres)) }
        var o = SQLExportOptions(dialect: .postgres)
        o.idColumn = "crm key"
        let sql = try SQLExport(model: model, options: o).script
        #expect(sql.contains("\"crm key\" AS leadscore_id"))
        #expect(sql.contains("leadscore_id AS \"crm key\""))
    }

    @Test(arguments: SQLDialect.allCases)
    func viewsAndQualifiedTables(_ d: SQLDialect) throws {
        var o = SQLExportOptions(dialect: d)
        o.view = "lead_scores"
        o.table = "crm.leads"
        let sql = try SQLExport(model: try Self.bundledModel(), options: o).script
        let create = d == .spark ? "CREATE OR REPLACE TEMPORARY VIEW" : "CREATE OR REPLACE VIEW"
        #expect(sql.contains("\(create) \(d.identifier("lead_scores")) AS\nSELECT "))
        #expect(sql.contains("FROM \(d.identifier("crm")).\(d.identifier("leads"))"))
    }

    /// The bundled model with `extra` rare levels pooled into industry's (other) group.
    static func modelWithPooledLevels(_ extra: Int) throws -> LeadScoreModel {
        var model = try bundledModel()
        let c = model.design.columns.firstIndex { $0.name == "industry" }!
        guard case .categorical(var industry) = model.design.columns[c].kind else { fatalError("industry is categorical") }
        let g = industry.otherGroup!
        industry.groups[g].pooled! += (0..<extra).map { "pooled level \($0)" }
        model.design.columns[c].kind = .categorical(industry)
        return model
    }

    @Test func theLevelsTableTakesOverAboveEachDialectsThreshold() throws {
        #expect(SQLExport.levelsTableThreshold(.spark) < SQLExport.levelsTableThreshold(.duckdb))
        for d in SQLDialect.allCases {
            let threshold = SQLExport.levelsTableThreshold(d)
            let model = try Self.modelWithPooledLevels(0)
            let industry = model.design.columns.first { $0.name == "industry" }!
            let levels = industry.categorical!.groups.reduce(0) { $0 + 1 + ($1.pooled?.count ?? 0) }
            let below = try SQLExport(model: try Self.modelWithPooledLevels(threshold - levels), options: SQLExportOptions(dialect: d))
            #expect(below.tableColumns.isEmpty, "\(d)")
            let above = try SQLExport(model: try Self.modelWithPooledLevels(threshold - levels + 1), options: SQLExportOptions(dialect: d))
            #expect(above.tableColumns == ["industry"], "\(d)")
            #expect(above.script.contains("pooled level 7") && above.script.contains("leadscore_levels"))
            #expect(!above.script.contains("WHEN \(d.string("pooled level 7")) THEN"))
            var never = SQLExportOptions(dialect: d)
            never.levelsTable = .never
            #expect(try SQLExport(model: try Self.modelWithPooledLevels(threshold), options: never).tableColumns.isEmpty)
        }
    }

    @Test(arguments: SQLDialect.allCases)
    func theLevelsTableHoldsEveryLevelOnce(_ d: SQLDialect) throws {
        let model = try Self.bundledModel()
        var o = SQLExportOptions(dialect: d)
        o.levelsTable = .always
        o.view = "scores"
        let export = try SQLExport(model: model, options: o)
        let categorical = model.design.columns.filter { $0.type == .categorical }
        #expect(export.tableColumns == categorical.map(\.name))
        let rows = export.script.split(separator: "\n").filter { $0.hasPrefix("  (") }
        let levels = categorical.reduce(0) { n, col in n + (col.categorical?.groups ?? []).reduce(0) { $0 + ($1.value == ColumnEncoding.otherName ? ($1.pooled ?? []).filter { !$0.isEmpty }.count : ($1.value.isEmpty ? 0 : 1)) } }
        #expect(rows.count == levels)
        #expect(export.script.contains(d.identifier("scores_levels")))
        if d == .postgres { #expect(export.script.contains("BEGIN;") && export.script.contains("COMMIT;")) }
    }
}
