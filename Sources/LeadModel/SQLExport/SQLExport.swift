import LeadData

/// What `leadscore export sql` writes.
public struct SQLExportOptions: Sendable {
    /// Whether categorical levels come from a levels table (joined) or from `CASE` expressions.
    public enum LevelsTable: String, Sendable, CaseIterable {
        /// A table for the columns with more levels than the dialect's `SQLExport.levelsTableThreshold`.
        case auto
        /// A table for every categorical column.
        case always
        /// `CASE` expressions only, however long.
        case never
    }

    public var dialect: SQLDialect
    /// The table (or view) holding the leads; dotted parts are quoted one by one (`crm.leads`).
    public var table = "leads"
    /// When set, the query is written as `CREATE OR REPLACE VIEW` (Spark: a temporary view).
    public var view: String?
    /// The id column copied to the output (default: the model's id column).
    public var idColumn: String?
    /// `reason_1`…`reason_K`, as `score --reasons K`.
    public var reasons = 0
    public var levelsTable: LevelsTable = .auto
    /// Name of the levels table (default `<view>_levels`, or `leadscore_levels` without a view).
    public var levelsTableName: String?
    /// How the table holds the model's numeric columns.
    public var input: Input = .text

    public enum Input: String, Sendable, CaseIterable {
        /// Any type: every column is cast to text and parsed as `score` parses a CSV field (a CSV
        /// loaded as text, or a table whose numbers may hold text).
        case text
        /// Numeric columns already have a numeric type (a warehouse table, a CSV read with the
        /// engine's type detection): they are cast to a double, NULL is missing. Categorical and
        /// yes/no columns are read as text as before.
        case typed
    }

    public init(dialect: SQLDialect) { self.dialect = dialect }
}

/// Why a model cannot be exported as asked.
public enum SQLExportError: Error, CustomStringConvertible, Sendable {
    case noIDColumn

    public var description: String {
        switch self {
        case .noIDColumn:
            return "the model has no id column: name the table's key with --id (SQL rows have no order, so score's row numbers cannot be reproduced)"
        }
    }
}

/// The model as SQL: a script whose last statement is a query (or a view) computing, per lead, what
/// `leadscore score` computes: the id, `probability`, `score`, `grade` and `reason_1`…`reason_K`.
///
/// The query reads the model's columns as text (casting typed columns; with `--input typed` numeric
/// columns are cast to a double instead, NULL missing) in layers:
///
/// 1. `leadscore_text`: each column cast to text and trimmed (`FieldParser.trim`).
/// 2. `leadscore_values`: missing or not (NULL, empty, `NA`, `N/A`, `null`, `NULL` and the model's
///    `missing_markers`), numbers (plain decimals only, as `FieldParser.number`), booleans
///    (yes/no/true/false in any case, or a number equal to 1 or 0) and level groups (a `CASE` over the
///    levels, or a join with the levels table).
/// 3. `leadscore_terms`: each column's log-odds and reason code, with the constants of
///    `CompiledScorer` (the same doubles, written so they read back exactly).
/// 4. `leadscore_eta`: η = intercept + the columns' log-odds, added in design order as
///    `CompiledScorer.logOdds` adds them; the contributions (log-odds − the column's base) sorted.
/// 5. the probability (`StableMath.sigmoid`'s branch on the sign), the points clamped to 0–100 and
///    rounded half away from zero to one decimal as Swift's `rounded()` does (`floor(x)` plus one when
///    `x − floor(x) ≥ 0.5`: `round` is half-even in PostgreSQL and decimal-based in Spark), the grade
///    (the first band whose `min_score` the score reaches) and the reason codes (the K most negative
///    contributions at or below −0.5 points, ties by column order: `CompiledScorer.appendReasonCodes`).
///
/// A row `score` would report instead of scoring (text in a numeric column, a boolean column holding
/// neither yes/no/true/false nor 1/0, a number beyond a 64-bit float, log-odds that are not a number)
/// gets NULL probability, score, grade and reasons. PostgreSQL refuses float8 arithmetic that
/// overflows, so a number so large that a term is infinite stops the query there.
///
/// Each design column becomes SQL through one switch over its kind (`columnSQL`): a new kind of term
/// (numeric splines with clamping, interactions) is one new case there, written with the dialect's
/// helpers, and every engine test then covers it.
public struct SQLExport {
    public let model: LeadScoreModel
    public let options: SQLExportOptions
    /// The reason codes written (K capped at the model's contributions: columns and interactions).
    public let reasons: Int
    /// Categorical columns whose levels are read from the levels table.
    public let tableColumns: [String]
    /// The whole script: the levels table's statements (when any), then the query or view.
    public let script: String
    /// Things the caller should tell the user (a capped K, the levels table).
    public let notices: [String]

    /// Levels a categorical column may have before `--levels-table auto` moves it into the levels
    /// table: a `CASE` compares a lead's text with the levels one by one, while a join looks it up in a
    /// hash table, and very long queries strain each engine differently. Spark compiles each query to
    /// Java bytecode, where a method is limited to 64 KB and a larger one falls back to slow
    /// interpreted code, so its threshold is lowest; DuckDB and PostgreSQL parse long queries without
    /// trouble but evaluate a long `CASE` row by row.
    public static func levelsTableThreshold(_ dialect: SQLDialect) -> Int {
        switch dialect {
        case .duckdb, .postgres: return 1000
        case .spark: return 200
        }
    }

    public init(model: LeadScoreModel, options: SQLExportOptions) throws(SQLExportError) {
        self.model = model
        self.options = options
        guard options.idColumn ?? model.idColumn != nil else { throw .noIDColumn }
        var notices: [String] = []
        // As `score`: K capped at the model's contributions (columns and interactions), one each.
        let contributions = model.design.contributionCount
        var k = max(0, options.reasons)
        if k > contributions {
            notices.append("--reasons \(k) capped at \(contributions): the model has \(model.design.contributionDescription), one contribution each")
            k = contributions
        }
        reasons = k
        let threshold = SQLExport.levelsTableThreshold(options.dialect)
        var table: [Int] = []
        for (c, col) in model.design.columns.enumerated() {
            guard let categorical = col.categorical else { continue }
            let levels = categorical.groups.reduce(0) { $0 + 1 + ($1.pooled?.count ?? 0) }
            switch options.levelsTable {
            case .always: table.append(c)
            case .never: break
            case .auto: if levels > threshold { table.append(c) }
            }
        }
        tableColumns = table.map { model.design.columns[$0].name }
        let builder = QueryBuilder(model: model, options: options, reasons: k, tableColumns: Set(table))
        if !table.isEmpty {
            notices.append("levels of \(table.count) column(s) are read from the table \(builder.levelsTableName): the script creates it first")
        }
        script = builder.script()
        self.notices = notices
    }
}

/// Builds the script; see `SQLExport` for the layers.
struct QueryBuilder {
    let model: LeadScoreModel
    let options: SQLExportOptions
    let reasons: Int
    let tableColumns: Set<Int>
    let compiled: CompiledScorer
    let d: SQLDialect

    init(model: LeadScoreModel, options: SQLExportOptions, reasons: Int, tableColumns: Set<Int>) {
        self.model = model
        self.options = options
        self.reasons = reasons
        self.tableColumns = tableColumns
        compiled = CompiledScorer(model: model)
        d = options.dialect
    }

    var levelsTableName: String {
        options.levelsTableName ?? options.view.map { $0 + "_levels" } ?? "leadscore_levels"
    }

    /// One design column in SQL: what layer 2 computes from its text (and the joins it needs), and
    /// its log-odds and reason code in layer 3.
    struct ColumnSQL {
        var values: [(alias: String, expression: String)] = []
        var joins: [String] = []
        var logOdds: String
        var code: String
    }

    /// The text of column `c` in layer 2.
    func text(_ c: Int) -> String { "leadscore_text.t_\(c)" }

    /// True for a numeric or shape column read as a number (`--input typed`): its layer-1 value is a
    /// double, NULL when missing.
    func isTypedNumber(_ c: Int) -> Bool {
        guard options.input == .typed else { return false }
        switch model.design.columns[c].kind {
        case .numeric, .shape: return true
        case .boolean, .categorical: return false
        }
    }

    /// True when column `c`'s value is missing: NULL, or (read as text) one of the missing markers.
    func isMissing(column c: Int) -> String {
        isTypedNumber(c) ? "(\(text(c)) IS NULL)" : isMissing(text(c))
    }

    /// True when the trimmed text is missing: NULL, or one of the missing markers.
    func isMissing(_ t: String) -> String {
        var markers: [String] = []
        for m in FieldParser.standardMissing + model.missingMarkers where !markers.contains(m) { markers.append(m) }
        return "(\(t) IS NULL OR \(t) IN (" + markers.map(d.string).joined(separator: ", ") + "))"
    }

    func code(_ bytes: [UInt8]) -> String { d.string(String(decoding: bytes, as: UTF8.self)) }

    /// The one switch over the kinds of term: add a case here for a new kind.
    func columnSQL(_ c: Int) -> ColumnSQL? {
        let col = model.design.columns[c]
        let t = text(c)
        switch col.kind {
        case .numeric, .boolean:
            // x: the number (NULL when not one); m: missing.
            let number = self.number(c)
            let x = "x_\(c)", m = "m_\(c)"
            let largest = d.double(.greatestFiniteMagnitude)
            // CompiledScorer.logOdds: β · ((x − mean) / scale), or the missing value (β·0 + γ).
            let logOdds = "CASE WHEN \(m) THEN \(d.double(compiled.missingValue[c]))"
                + " WHEN abs(\(x)) <= \(largest) THEN \(d.double(compiled.beta[c])) * ((\(x) - \(d.double(compiled.standardization[c].mean))) / \(d.double(compiled.standardization[c].scale))) END"
            let code = "CASE WHEN \(m) THEN \(self.code(compiled.missingCode[c])) WHEN \(x) >= \(d.double(compiled.standardization[c].mean))"
                + " THEN \(self.code(compiled.highCode[c])) ELSE \(self.code(compiled.lowCode[c])) END"
            return ColumnSQL(values: [(m, isMissing(column: c)), (x, number)], logOdds: logOdds, code: code)
        case .shape(let shape):
            // x: the number; v: x clamped to the training range (ShapeEncoding.clamped); m: missing.
            let number = self.number(c)
            let x = "x_\(c)", v = "v_\(c)", m = "m_\(c)"
            let clamped = "least(greatest(\(number), \(d.double(shape.minimum))), \(d.double(shape.maximum)))"
            let zero = d.double(0)
            // The basis in `RestrictedCubicSpline.write` / `MonotoneRamp.write` / `QuantileBins.write`'s operations and order.
            func positivePart(_ knot: Double) -> String { "greatest(\(v) - \(d.double(knot)), \(zero))" }
            func cube(_ knot: Double) -> String { let p = positivePart(knot); return "(\(p) * \(p) * \(p))" }
            var basis: [String] = []
            switch shape.basis {
            case .spline(let spline):
                let k = spline.knots.count
                basis.append(v)
                for j in 0..<(k - 2) {
                    basis.append("((\(cube(spline.knots[j])) - \(cube(spline.knots[k - 2])) * \(d.double(spline.a[j])) + \(cube(spline.knots[k - 1])) * \(d.double(spline.c[j]))) / \(d.double(spline.divisor)))")
                }
            case .monotone(let ramp):
                let s = ramp.breakpoints
                for j in 0..<ramp.termCount {
                    basis.append("least(\(positivePart(s[j])), \(d.double(s[j + 1] - s[j])))")
                }
            case .bins(let bins):
                for cut in bins.cuts { basis.append("(CASE WHEN \(v) >= \(d.double(cut)) THEN \(d.double(1)) ELSE \(zero) END)") }
            }
            // ShapeEncoding.logOdds: Σⱼ βⱼ · ((bⱼ − meanⱼ) / scaleⱼ), added left to right.
            let sum = basis.enumerated().map { j, b in
                "\(d.double(compiled.terms[shape.terms[j]])) * ((\(b) - \(d.double(shape.means[j]))) / \(d.double(shape.scales[j])))"
            }.joined(separator: " + ")
            let largest = d.double(.greatestFiniteMagnitude)
            let logOdds = "CASE WHEN \(m) THEN \(d.double(compiled.missingValue[c])) WHEN abs(\(x)) <= \(largest) THEN (\(sum)) END"
            let code = "CASE WHEN \(m) THEN \(self.code(compiled.missingCode[c])) WHEN \(x) >= \(d.double(shape.average))"
                + " THEN \(self.code(compiled.highCode[c])) ELSE \(self.code(compiled.lowCode[c])) END"
            return ColumnSQL(values: [(m, isMissing(column: c)), (x, number), (v, clamped)], logOdds: logOdds, code: code)
        case .categorical(let categorical):
            let groups = categorical.groups
            // RowResolver: a missing value is the missing level's group (the "" level, or (other)
            // when it pooled ""), otherwise an unseen level.
            var missingGroup: Int?
            for (g, group) in groups.enumerated() {
                if group.value.isEmpty || (group.value == ColumnEncoding.otherName && (group.pooled ?? []).contains("")) { missingGroup = g }
            }
            let values = compiled.groupValues(c)
            let missingValue = missingGroup.map { values[$0] } ?? compiled.unseenValue[c]
            let missingCode = missingGroup.map { compiled.groupCodes[c][$0] } ?? compiled.unseenCode[c]
            if tableColumns.contains(c) {
                let l = "leadscore_l\(c)"
                let join = "LEFT JOIN \(d.qualifiedName(levelsTableName)) AS \(l) ON \(l).column_index = \(c) AND \(l).level = \(t)"
                return ColumnSQL(
                    values: [("a_\(c)", "CASE WHEN \(isMissing(t)) THEN \(d.double(missingValue)) ELSE coalesce(\(l).log_odds, \(d.double(compiled.unseenValue[c]))) END"),
                             ("k_\(c)", "CASE WHEN \(isMissing(t)) THEN \(self.code(missingCode)) ELSE coalesce(\(l).code, \(self.code(compiled.unseenCode[c]))) END")],
                    joins: [join], logOdds: "a_\(c)", code: "k_\(c)")
            }
            var whens = ""
            for (level, g) in levelGroups(categorical) { whens += " WHEN \(d.string(level)) THEN \(g)" }
            let group = "CASE WHEN \(isMissing(t)) THEN \(missingGroup ?? -1) ELSE "
                + (whens.isEmpty ? "-1" : "(CASE \(t)\(whens) ELSE -1 END)") + " END"
            let g = "g_\(c)"
            var logOdds = "CASE \(g)", code = "CASE \(g)"
            for i in groups.indices {
                logOdds += " WHEN \(i) THEN \(d.double(values[i]))"
                code += " WHEN \(i) THEN \(self.code(compiled.groupCodes[c][i]))"
            }
            logOdds += " ELSE \(d.double(compiled.unseenValue[c])) END"
            code += " ELSE \(self.code(compiled.unseenCode[c])) END"
            return ColumnSQL(values: [(g, group)], logOdds: logOdds, code: code)
        }
    }

    /// The number in the text of numeric, shape or boolean column `c` (NULL when it is not one).
    /// Booleans read yes/no/true/false (any case) or a number equal to 1 or 0 (FieldParser.boolean,
    /// then RowResolver.resolve).
    func number(_ c: Int) -> String {
        let t = text(c)
        if isTypedNumber(c) { return t }
        if case .boolean = model.design.columns[c].kind {
            return "CASE WHEN lower(\(t)) IN ('yes', 'true') THEN \(d.double(1)) WHEN lower(\(t)) IN ('no', 'false') THEN \(d.double(0))"
                + " WHEN \(d.isPlainDecimal(t)) THEN (CASE \(d.castDouble(t)) WHEN 1 THEN \(d.double(1)) WHEN 0 THEN \(d.double(0)) END) END"
        }
        return "CASE WHEN \(d.isPlainDecimal(t)) THEN \(d.castDouble(t)) END"
    }

    /// The cell of one side of an interaction (`InteractionSide.cell`), from its column's text: NULL
    /// for a row `score` reports (text in a numeric column), whose η is NULL anyway.
    func cell(_ side: InteractionSide) -> String {
        let c = side.columnIndex
        let t = text(c)
        if case .categorical(let categorical) = model.design.columns[c].kind, let cells = side.groupCells {
            // RowResolver: a missing value is the missing level's group, otherwise an unseen level.
            let unseen = side.unseenCell ?? 0
            var missing = unseen
            for (g, group) in categorical.groups.enumerated() {
                if group.value.isEmpty || (group.value == ColumnEncoding.otherName && (group.pooled ?? []).contains("")) { missing = cells[g] }
            }
            var whens = ""
            for (level, g) in levelGroups(categorical) where cells[g] != unseen { whens += " WHEN \(d.string(level)) THEN \(cells[g])" }
            return "CASE WHEN \(isMissing(t)) THEN \(missing) ELSE " + (whens.isEmpty ? "\(unseen)" : "(CASE \(t)\(whens) ELSE \(unseen) END)") + " END"
        }
        let x = number(c)
        var out = "CASE WHEN \(isMissing(column: c)) THEN \(side.missingCell ?? 0)"
        for (j, cut) in (side.cuts ?? []).enumerated().reversed() { out += " WHEN (\(x)) >= \(d.double(cut)) THEN \(j + 1)" }
        return out + " WHEN (\(x)) IS NOT NULL THEN 0 END"
    }

    /// Interaction `k` in SQL: its two cells in layer 2, its log-odds (the cell pair's coefficient, 0
    /// without a term: `CompiledScorer.interactionValues`) and reason code (the cell pair's name) in layer 3.
    func interactionSQL(_ k: Int) -> ColumnSQL {
        let i = model.design.interactions![k]
        let a = "ia_\(k)", b = "ib_\(k)"
        let width = i.second.cellCount
        var logOdds = "CASE \(a) * \(width) + \(b)"
        for cell in i.cells { logOdds += " WHEN \(cell.a * width + cell.b) THEN \(d.double(compiled.interactionValues[k][cell.a * width + cell.b]))" }
        logOdds += " ELSE \(d.double(0)) END"
        var code = "CASE \(a) * \(width) + \(b)"
        for ca in 0..<i.first.cellCount { for cb in 0..<width { code += " WHEN \(ca * width + cb) THEN \(d.string(i.label(ca, cb)))" } }
        code += " END"
        return ColumnSQL(values: [(a, cell(i.first)), (b, cell(i.second))], logOdds: logOdds, code: code)
    }

    /// Every non-missing level of a categorical column with its group index, pooled levels with
    /// their `(other)` group's, in the model's order.
    func levelGroups(_ col: CategoricalEncoding) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for (g, group) in col.groups.enumerated() {
            if group.value == ColumnEncoding.otherName {
                for v in group.pooled ?? [] where !v.isEmpty { out.append((v, g)) }
            } else if !group.value.isEmpty {
                out.append((group.value, g))
            }
        }
        return out
    }

    func script() -> String {
        var statements: [String] = []
        if !tableColumns.isEmpty { statements += levelsTableStatements() }
        let query = self.query()
        if let view = options.view {
            let create = d == .spark ? "CREATE OR REPLACE TEMPORARY VIEW" : "CREATE OR REPLACE VIEW"
            statements.append("\(create) \(d.qualifiedName(view)) AS\n\(query)")
        } else {
            statements.append(query)
        }
        let header = "-- leadscore \(d.rawValue) scoring query: id, probability, score, grade"
            + (reasons > 0 ? ", reason_1..reason_\(reasons)" : "") + "\n-- Generated by `leadscore export sql` from the model file; do not edit.\n"
        return header + statements.joined(separator: ";\n\n") + ";\n"
    }

    /// PostgreSQL pulls subqueries up into their parent and substitutes their expressions wherever
    /// they are referenced (η a dozen times): `OFFSET 0` keeps each layer computed once per row.
    var fence: String { d == .postgres ? "\n  OFFSET 0" : "" }

    func query() -> String {
        // Each column, then each interaction (numbered after the columns, as `CompiledScorer` orders
        // contributions), with the average lead's log-odds from it.
        let columnCount = model.design.columns.count
        let columns = model.design.columns.indices.compactMap { c in columnSQL(c).map { (c, $0) } }
            + (model.design.interactions ?? []).indices.map { (columnCount + $0, interactionSQL($0)) }
        func base(_ c: Int) -> Double { c < columnCount ? compiled.columnBase[c] : compiled.interactionBase[c - columnCount] }
        let idName = options.idColumn ?? model.idColumn!
        let id = "leadscore_id"
        // 1. text
        var text = ["\(d.identifier(idName)) AS \(id)"]
        for (c, _) in columns where c < columnCount {
            let column = d.identifier(model.design.columns[c].name)
            text.append((isTypedNumber(c) ? "CAST(\(column) AS \(d.doubleType))" : d.trimmedText(column)) + " AS t_\(c)")
        }
        let layer1 = "SELECT " + text.joined(separator: ",\n    ") + "\n  FROM \(d.qualifiedName(options.table))"
        // 2. values
        var values = ["leadscore_text.\(id)"]
        var joins: [String] = []
        for (_, sql) in columns {
            for v in sql.values { values.append("\(v.expression) AS \(v.alias)") }
            joins += sql.joins
        }
        let layer2 = "SELECT " + values.joined(separator: ",\n    ")
            + "\n  FROM (\n  \(layer1)\n  ) AS leadscore_text" + joins.map { "\n  " + $0 }.joined()
        // 3. terms
        var terms = [id]
        for (c, sql) in columns {
            terms.append("\(sql.logOdds) AS lo_\(c)")
            if reasons > 0 { terms.append("\(sql.code) AS code_\(c)") }
        }
        let layer3 = "SELECT " + terms.joined(separator: ",\n    ") + "\n  FROM (\n  \(layer2)\(fence)\n  ) AS leadscore_values"
        // 4. η (NaN when opposite infinite contributions meet: reported by score, NULL here) and the
        // contributions, most negative first.
        let sum = ([d.double(compiled.intercept)] + columns.map { "lo_\($0.0)" }).joined(separator: " + ")
        var eta = [id, "CASE WHEN \(d.isNaN("leadscore_sum")) THEN NULL ELSE leadscore_sum END AS eta"]
        var reasonFrom = ""
        if reasons > 0 {
            func contribution(_ c: Int) -> String { "lo_\(c) - \(d.double(base(c)))" }
            switch d {
            case .duckdb:
                eta.append("list_sort([" + columns.map { "{'v': \(contribution($0.0)), 'c': \($0.0), 'k': code_\($0.0)}" }.joined(separator: ", ") + "]) AS leadscore_r")
            case .spark:
                eta.append("array_sort(array(" + columns.map { "named_struct('v', \(contribution($0.0)), 'c', \($0.0), 'k', code_\($0.0))" }.joined(separator: ", ") + ")) AS leadscore_r")
            case .postgres:
                eta.append("leadscore_reasons.codes AS leadscore_r")
                reasonFrom = "\n  CROSS JOIN LATERAL (SELECT array_agg(k ORDER BY v, c) AS codes FROM (SELECT v, c, k FROM (VALUES "
                    + columns.map { "(\(contribution($0.0)), \($0.0), code_\($0.0))" }.joined(separator: ", ")
                    + ") AS r(v, c, k) WHERE v <= \(d.double(compiled.reasonThreshold)) ORDER BY v, c LIMIT \(reasons)) AS top) AS leadscore_reasons"
            }
        }
        let layer4 = "SELECT " + eta.joined(separator: ",\n    ") + "\n  FROM (SELECT *, \(sum) AS leadscore_sum FROM (\n  \(layer3)\(fence)\n  ) AS leadscore_terms\(fence)) AS leadscore_sums" + reasonFrom
        // 5. probability and points ×10, clamped
        let sc = model.scorecard
        let points = "\(d.double(sc.offset)) + \(d.double(sc.factor)) * eta"
        var probability = [id, "\(d.sigmoid("eta")) AS probability",
                           "CASE WHEN eta IS NOT NULL THEN least(\(d.double(100)), greatest(\(d.double(0)), \(points))) * \(d.double(10)) END AS x10"]
        var reasonColumns: [String] = []
        for j in 1...max(reasons, 1) where reasons > 0 {
            let pick: String
            switch d {
            case .duckdb: pick = "CASE WHEN eta IS NOT NULL AND leadscore_r[\(j)].v <= \(d.double(compiled.reasonThreshold)) THEN leadscore_r[\(j)].k END"
            case .spark: pick = "CASE WHEN eta IS NOT NULL AND leadscore_r[\(j - 1)].v <= \(d.double(compiled.reasonThreshold)) THEN leadscore_r[\(j - 1)].k END"
            case .postgres: pick = "CASE WHEN eta IS NOT NULL THEN leadscore_r[\(j)] END"
            }
            probability.append("\(pick) AS reason_\(j)")
            reasonColumns.append("reason_\(j)")
        }
        let layer5 = "SELECT " + probability.joined(separator: ",\n    ") + "\n  FROM (\n  \(layer4)\(fence)\n  ) AS leadscore_eta"
        // 6. score: rounded half away from zero (x10 ≥ 0), as Swift's rounded()
        let floor = d.floorDouble("x10")
        let score = "(\(floor) + CASE WHEN x10 - \(floor) >= \(d.double(0.5)) THEN \(d.double(1)) ELSE \(d.double(0)) END) / \(d.double(10))"
        let layer6 = "SELECT \(id), probability, \(score) AS score" + reasonColumns.map { ", " + $0 }.joined()
            + "\n  FROM (\n  \(layer5)\(fence)\n  ) AS leadscore_points"
        // 7. grade: the first band whose min_score the score reaches, else the last
        var grade = "CASE WHEN score IS NULL THEN NULL"
        for band in model.grades { grade += " WHEN score >= \(d.double(band.minScore)) THEN \(d.string(band.grade))" }
        grade += " ELSE \(d.string(model.grades.last?.grade ?? "")) END"
        return "SELECT \(id) AS \(d.identifier(idName)), probability, score, \(grade) AS grade"
            + reasonColumns.map { ", " + $0 }.joined()
            + "\nFROM (\n  \(layer6)\(fence)\n) AS leadscore_scores"
    }

    /// The levels table: one row per non-missing level of the columns in `tableColumns`, with its
    /// log-odds, its points against the average lead and its reason code.
    func levelsTableStatements() -> [String] {
        let name = d.qualifiedName(levelsTableName)
        var rows: [String] = []
        for c in tableColumns.sorted() {
            let col = model.design.columns[c]
            guard let categorical = col.categorical else { continue }
            let values = compiled.groupValues(c)
            for (level, g) in levelGroups(categorical) {
                let lo = values[g]
                let points = (lo - compiled.columnBase[c]) * model.scorecard.factor
                rows.append("(\(c), \(d.string(col.name)), \(d.string(level)), \(d.double(lo)), \(d.double(points)), \(code(compiled.groupCodes[c][g])))")
            }
        }
        let columns = "column_index, column_name, level, log_odds, points, code"
        switch d {
        case .spark:
            return ["CREATE OR REPLACE TEMPORARY VIEW \(name) AS SELECT * FROM VALUES\n  " + rows.joined(separator: ",\n  ") + "\n  AS leadscore_levels(\(columns))"]
        case .duckdb, .postgres:
            let t = d.textType, f = d.doubleType
            var out: [String] = []
            if d == .duckdb {
                out.append("CREATE OR REPLACE TABLE \(name) (column_index INTEGER, column_name \(t), level \(t), log_odds \(f), points \(f), code \(t), PRIMARY KEY (column_index, level))")
            } else {
                out.append("BEGIN")
                out.append("CREATE TABLE IF NOT EXISTS \(name) (column_index integer, column_name \(t), level \(t), log_odds \(f), points \(f), code \(t), PRIMARY KEY (column_index, level))")
                out.append("TRUNCATE \(name)")
            }
            var i = 0
            while i < rows.count {
                out.append("INSERT INTO \(name) (\(columns)) VALUES\n  " + rows[i..<min(i + 1000, rows.count)].joined(separator: ",\n  "))
                i += 1000
            }
            if d == .postgres { out.append("COMMIT") }
            return out
        }
    }
}
