import LeadData

/// The SQL engines `leadscore export sql` writes for, and how each spells what the scoring query
/// needs: quoted identifiers, string and double literals, text casts, trimming, the plain-decimal
/// test, sorting a row's contributions and the levels table.
///
/// Quoting never depends on a server setting:
/// - DuckDB and PostgreSQL: identifiers `"…"` with `"` doubled; strings `'…'` with `'` doubled (no
///   `E'…'` strings, so a backslash is an ordinary character). PostgreSQL reads a backslash in `'…'`
///   literally only while `standard_conforming_strings` is on (the default since 9.1), so a string that
///   holds one is written dollar-quoted instead (`$ls$a\b$ls$`, with a tag the text does not contain),
///   which no setting changes.
/// - Spark SQL: identifiers `` `…` `` with `` ` `` doubled. Spark's `'…'` literals treat a backslash
///   as an escape by default (and literally when `spark.sql.parser.escapedStringLiterals` is on), so
///   the two characters whose meaning depends on it, `'` and `\`, are never written inside a literal:
///   a string holding them is built with `concat('x', char(39), '); DROP …')` (char(39) = `'`,
///   char(92) = `\`), folded to a constant by Spark's optimizer.
public enum SQLDialect: String, Sendable, CaseIterable {
    case duckdb, postgres, spark

    // MARK: - Quoting

    /// A quoted identifier (column, table or view name).
    public func identifier(_ name: String) -> String {
        switch self {
        case .duckdb, .postgres: return "\"" + name.replacingAll("\"", with: "\"\"") + "\""
        case .spark: return "`" + name.replacingAll("`", with: "``") + "`"
        }
    }

    /// A possibly qualified name (`schema.table`): each dot-separated part quoted.
    public func qualifiedName(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { identifier(String($0)) }.joined(separator: ".")
    }

    /// A string literal that reads back as exactly `text`, whatever the server's settings.
    public func string(_ text: String) -> String {
        switch self {
        case .duckdb:
            return "'" + text.replacingAll("'", with: "''") + "'"
        case .postgres:
            guard text.contains("\\") else { return "'" + text.replacingAll("'", with: "''") + "'" }
            // The closing tag is the first occurrence of the tag after the opening one: the text must
            // hold no occurrence, not even one that runs on into the closing tag (a text ending "$ls").
            var tag = "$ls$"
            var n = 0
            while String((text + tag).dropLast()).contains(tag) { n += 1; tag = "$ls\(n)$" }
            return tag + text + tag
        case .spark:
            guard text.contains("'") || text.contains("\\") else { return "'" + text + "'" }
            var parts: [String] = []
            var run = ""
            for ch in text {
                if ch == "'" || ch == "\\" {
                    if !run.isEmpty { parts.append("'" + run + "'"); run = "" }
                    parts.append(ch == "'" ? "char(39)" : "char(92)")
                } else {
                    run.append(ch)
                }
            }
            if !run.isEmpty { parts.append("'" + run + "'") }
            return parts.count == 1 ? parts[0] : "concat(" + parts.joined(separator: ", ") + ")"
        }
    }

    /// A DOUBLE literal that reads back as exactly `x` (finite). Plain decimals are DECIMAL or NUMERIC
    /// in all three engines, so the shortest round-trip text is cast from a string, which each engine
    /// converts with a correctly rounded parser (fast_float, strtod, Java's `Double.parseDouble`).
    public func double(_ x: Double) -> String {
        precondition(x.isFinite, "SQL export: a non-finite constant")
        let text = "\(x)"
        switch self {
        case .duckdb, .spark: return "CAST('\(text)' AS DOUBLE)"
        case .postgres: return "'\(text)'::float8"
        }
    }

    // MARK: - Types and functions

    /// The engine's text type.
    var textType: String {
        switch self {
        case .duckdb: return "VARCHAR"
        case .postgres: return "text"
        case .spark: return "STRING"
        }
    }

    var doubleType: String { self == .postgres ? "float8" : "DOUBLE" }

    /// A column read as text and trimmed of spaces, tabs, line feeds and carriage returns (what
    /// `FieldParser.trim` removes). Text columns are read as they are; typed columns are cast to text
    /// (numbers cast to text read back exactly; NULL stays NULL, which is missing).
    func trimmedText(_ column: String) -> String {
        let cast = "CAST(\(column) AS \(textType))"
        switch self {
        case .duckdb: return "trim(\(cast), ' ' || chr(9) || chr(10) || chr(13))"
        case .postgres: return "btrim(\(cast), ' ' || chr(9) || chr(10) || chr(13))"
        case .spark: return "trim(BOTH concat(' ', char(9), char(10), char(13)) FROM \(cast))"
        }
    }

    /// True when `text` is a plain decimal number as `FieldParser.number` reads one: an optional sign,
    /// digits with an optional point (at least one digit), an optional exponent with digits, at most
    /// 400 characters. `NaN`, `inf`, hexadecimal and `1,000` are not.
    func isPlainDecimal(_ text: String) -> String {
        let pattern = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
        let match: String
        switch self {
        case .duckdb: match = "regexp_matches(\(text), '\(pattern)')"
        case .postgres: match = "\(text) ~ '\(pattern)'"
        case .spark: match = "\(text) RLIKE '\(pattern)'"
        }
        return "(\(match) AND length(\(text)) <= 400)"
    }

    /// `text` (a plain decimal of at most 400 characters) as `strtod` reads it: values beyond a 64-bit
    /// float come out infinite (the caller turns them into NULL: `score` reports them), values too
    /// small for one come out 0.
    ///
    /// DuckDB and Spark convert so. PostgreSQL's `float8in` raises an error for both instead, so there
    /// only short plain numbers (no exponent, at most 300 characters: within 1e-300…1e300) are cast
    /// directly; a number with an exponent of at most three digits is first read as `numeric` (which
    /// holds exponents up to ±1000) and compared with the largest double's rounding boundary,
    /// 2^1024 − 2^970, and half the smallest subnormal, 2^−1075; with a longer exponent the number,
    /// whose digits are at most 400, is beyond either end (0 when the exponent is negative or the
    /// digits are all zeros, too large otherwise).
    func castDouble(_ text: String) -> String {
        switch self {
        case .duckdb: return "TRY_CAST(\(text) AS DOUBLE)"
        case .spark: return "CAST(\(text) AS DOUBLE)"
        case .postgres:
            let overflow = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792"
            let halfSubnormal = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324"
            let infinity = "'Infinity'::float8"
            return "(CASE WHEN length(\(text)) <= 300 AND \(text) !~ '[eE]' THEN CAST(\(text) AS float8)"
                + " WHEN \(text) ~ '[eE][+-]?0*[0-9]{1,3}$' THEN (CASE WHEN abs(CAST(\(text) AS numeric)) >= \(overflow)::numeric THEN \(infinity)"
                + " WHEN abs(CAST(\(text) AS numeric)) <= \(halfSubnormal)::numeric THEN \(double(0)) ELSE CAST(\(text) AS float8) END)"
                + " WHEN \(text) ~ '[eE]-' OR \(text) ~ '^[+-]?[0.]*[eE]' THEN \(double(0)) ELSE \(infinity) END)"
        }
    }

    /// True when `x` is not a number.
    func isNaN(_ x: String) -> String {
        switch self {
        case .duckdb, .spark: return "isnan(\(x))"
        case .postgres: return "\(x) = 'NaN'::float8"
        }
    }

    /// `floor(x)` as a double (Spark's `floor` returns a BIGINT).
    func floorDouble(_ x: String) -> String {
        self == .spark ? "CAST(floor(\(x)) AS DOUBLE)" : "floor(\(x))"
    }

    /// `StableMath.sigmoid(eta)`: 1 / (1 + e^−η) for η ≥ 0, e^η / (1 + e^η) below, so exp never
    /// overflows. Beyond |η| = 745.2, e^−|η| is 0 in a double and the result is exactly 1 or 0;
    /// PostgreSQL refuses an `exp` whose result is subnormal (η below −708.39), so there e^η is taken
    /// as e^(η/2)·e^(η/2) (equal to about 1e-15 relative down to 1e-315).
    func sigmoid(_ eta: String) -> String {
        let one = double(1)
        let expNegative: String
        switch self {
        case .postgres:
            expNegative = "(CASE WHEN \(eta) < \(double(-708)) THEN exp(\(eta) / 2) * exp(\(eta) / 2) ELSE exp(\(eta)) END)"
        case .duckdb, .spark:
            expNegative = "exp(\(eta))"
        }
        return "CASE WHEN \(eta) >= 0 THEN (CASE WHEN \(eta) > \(double(745.2)) THEN \(one) ELSE \(one) / (\(one) + exp(-\(eta))) END)"
            + " WHEN \(eta) < \(double(-745.2)) THEN \(double(0))"
            + " ELSE \(expNegative) / (\(one) + \(expNegative)) END"
    }
}
