#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Checks on a model file before anything uses it: its size, its JSON (duplicate keys, numbers out of
/// a 64-bit float's range) and its content (lengths, term indices, levels, grades, the points scale).
/// Every refusal names the field by its JSON path, e.g. `design.columns[3].reference`.
public enum ModelFileLimits {
    /// The largest model file read (64 MB). A model of 5,000 terms with 10,000-level columns is a few
    /// megabytes; a larger file is refused without being read.
    public static let maxBytes = 64 << 20
    /// Deepest nesting of JSON arrays and objects accepted (a model nests 6 deep).
    public static let maxDepth = 64
}

/// An open or read failure (errno), before any byte was judged.
struct ModelFileReadError: Error {
    var code: Int32
    var reason: String { String(cString: strerror(code)) }
}

enum ModelFileBytes {
    /// Reads at most `limit + 1` bytes of `path`: a longer file is known to be too large without
    /// reading it all (a regular file by its size, a pipe or device by the extra byte).
    static func read(_ path: String, limit: Int) throws(ModelFileReadError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFileReadError(code: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFileReadError(code: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw ModelFileReadError(code: EISDIR) }
        if (st.st_mode & S_IFMT) == S_IFREG && Int(st.st_size) > limit {
            return Data(count: limit + 1)
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while data.count <= limit {
            let want = min(chunk.count, limit + 1 - data.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelFileReadError(code: errno)
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data
    }
}

/// A JSON path: keys joined by dots, array indices in brackets (`design.columns[3].reference`).
struct JSONPath {
    enum Component { case key(String), index(Int) }
    var components: [Component] = []

    var text: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let i): s += "[\(i)]"
            }
        }
        return s.isEmpty ? "(top level)" : s
    }

    /// The path of a decoding error's coding path.
    static func of(_ codingPath: [any CodingKey]) -> String {
        JSONPath(components: codingPath.map { $0.intValue.map(Component.index) ?? .key($0.stringValue) }).text
    }

    func appending(_ c: Component) -> JSONPath { JSONPath(components: components + [c]) }
}

/// A walk over JSON bytes that the decoder's own checks miss: a key given twice in one object
/// (`JSONDecoder` silently keeps one of them) and a number beyond a 64-bit float (`1e999`).
struct JSONShapeScanner {
    struct Problem: Error {
        var path: String
        var message: String
    }

    private let bytes: [UInt8]
    private var i = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    /// Throws the first problem found; syntax errors are left to the decoder (it reports them).
    static func check(_ data: Data) throws(Problem) {
        var s = JSONShapeScanner(data)
        s.skipSpace()
        guard s.i < s.bytes.count else { return }
        try s.value(JSONPath(), depth: 0)
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private func syntax(_ path: JSONPath) -> Problem {
        Problem(path: path.text, message: "not valid JSON at byte \(i + 1) (corrupt or truncated?)")
    }

    private mutating func value(_ path: JSONPath, depth: Int) throws(Problem) {
        guard i < bytes.count else { throw syntax(path) }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            guard depth < ModelFileLimits.maxDepth else { throw Problem(path: path.text, message: "nested more than \(ModelFileLimits.maxDepth) levels deep") }
            i += 1
            var seen = Set<String>()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw syntax(path) }
                let key = try string(path)
                let inner = path.appending(.key(key))
                guard seen.insert(key).inserted else {
                    throw Problem(path: inner.text, message: "the key \"\(key)\" appears twice in one object")
                }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw syntax(inner) }
                i += 1
                skipSpace()
                try value(inner, depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw syntax(path) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw syntax(path) }
                i += 1
                return
            }
        case UInt8(ascii: "["):
            guard depth < ModelFileLimits.maxDepth else { throw Problem(path: path.text, message: "nested more than \(ModelFileLimits.maxDepth) levels deep") }
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            var index = 0
            while true {
                skipSpace()
                try value(path.appending(.index(index)), depth: depth + 1)
                index += 1
                skipSpace()
                guard i < bytes.count else { throw syntax(path) }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw syntax(path) }
                i += 1
                return
            }
        case UInt8(ascii: "\""):
            _ = try string(path)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            while i < bytes.count, let c = Optional(bytes[i]),
                  (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { i += 1 }
            let literal = String(decoding: bytes[start..<i], as: UTF8.self)
            if let x = Double(literal), !x.isFinite {
                throw Problem(path: path.text, message: "the number \(literal) is beyond a 64-bit float")
            }
        default:
            // true, false, null: letters; anything else is the decoder's to report.
            while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
        }
    }

    /// Reads a string at `i` (on its opening quote) and returns it with escapes decoded, so that
    /// `"a"` and `"\u0061"` are the same key.
    private mutating func string(_ path: JSONPath) throws(Problem) -> String {
        i += 1
        var out: [UInt8] = []
        var units: [UInt16] = []
        func flushUnits() {
            if !units.isEmpty { out += Array(String(decoding: units, as: UTF16.self).utf8); units = [] }
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                flushUnits()
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { throw syntax(path) }
                let e = bytes[i + 1]
                i += 2
                if e == UInt8(ascii: "u") {
                    guard i + 4 <= bytes.count, let u = UInt16(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                        throw syntax(path)
                    }
                    units.append(u)
                    i += 4
                    continue
                }
                flushUnits()
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                default: out.append(e)  // \" \\ \/
                }
                continue
            }
            flushUnits()
            out.append(c)
            i += 1
        }
        throw syntax(path)
    }
}

extension LeadScoreModel {
    /// `design.interactions`: columns that exist and match their kind, cells in range, each term in
    /// range and owned once (interaction k owns its terms as columns.count + k).
    private func validateInteractions(owner: inout [Int], fail: (String, String) -> ModelFileError) throws {
        let p = design.termCount
        for (k, i) in (design.interactions ?? []).enumerated() {
            let at = "design.interactions[\(k)]"
            for (key, side) in [("first", i.first), ("second", i.second)] {
                let here = "\(at).\(key)"
                guard side.columnIndex >= 0 && side.columnIndex < design.columns.count else {
                    throw fail("\(here).column_index", "column \(side.columnIndex) is out of range (the model has \(design.columns.count) columns)")
                }
                let col = design.columns[side.columnIndex]
                guard col.name == side.column else { throw fail("\(here).column", "'\(side.column)' is not design.columns[\(side.columnIndex)] ('\(col.name)')") }
                guard !side.labels.isEmpty else { throw fail("\(here).labels", "no cells") }
                let cells = side.labels.count
                if let e = col.categorical {
                    guard let g = side.groupCells, g.count == e.groups.count else {
                        throw fail("\(here).group_cells", "needs one cell per level group (\(e.groups.count))")
                    }
                    for (j, c) in g.enumerated() where !(0..<cells).contains(c) { throw fail("\(here).group_cells[\(j)]", "cell \(c) is out of range (\(cells) cells)") }
                    if let u = side.unseenCell, !(0..<cells).contains(u) { throw fail("\(here).unseen_cell", "cell \(u) is out of range (\(cells) cells)") }
                } else {
                    guard let cuts = side.cuts else { throw fail("\(here).cuts", "a numeric side needs cut points") }
                    for (j, c) in cuts.enumerated() {
                        guard c.isFinite else { throw fail("\(here).cuts[\(j)]", "\(c) is not a finite number") }
                        if j > 0 && !(c > cuts[j - 1]) { throw fail("\(here).cuts[\(j)]", "cut points must ascend") }
                    }
                    let needed = cuts.count + 1 + (side.missingCell == nil ? 0 : 1)
                    guard cells == needed else { throw fail("\(here).labels", "\(cells) labels for \(needed) cells") }
                    if let m = side.missingCell, m != cuts.count + 1 { throw fail("\(here).missing_cell", "the missing cell must be the last (\(cuts.count + 1))") }
                }
            }
            var pairs = Set<Int>()
            for (j, cell) in i.cells.enumerated() {
                let here = "\(at).cells[\(j)]"
                guard (1..<i.first.cellCount).contains(cell.a) else { throw fail("\(here).a", "cell \(cell.a) is out of range 1..<\(i.first.cellCount)") }
                guard (1..<i.second.cellCount).contains(cell.b) else { throw fail("\(here).b", "cell \(cell.b) is out of range 1..<\(i.second.cellCount)") }
                guard pairs.insert(cell.a * i.second.cellCount + cell.b).inserted else { throw fail(here, "the cell pair (\(cell.a), \(cell.b)) appears twice") }
                guard cell.term >= 0 && cell.term < p else { throw fail("\(here).term", "term \(cell.term) is out of range (the model has \(p) terms)") }
                guard owner[cell.term] < 0 else { throw fail("\(here).term", "term \(cell.term) already belongs to another column or interaction") }
                owner[cell.term] = design.columns.count + k
            }
        }
    }

    /// Internal consistency of a decoded model: every array as long as the terms it describes, every
    /// term index in range and owned by one column, levels and references that exist, grades best
    /// first, a positive points scale, finite numbers where scoring needs them.
    /// - Throws: `ModelFileError` "corrupt model: PATH: what is wrong".
    func validate(path: String) throws {
        func fail(_ field: String, _ what: String) -> ModelFileError {
            ModelFileError(path: path, message: "corrupt model: \(field): \(what)")
        }
        func finite(_ x: Double, _ field: String) throws {
            guard x.isFinite else { throw fail(field, "\(x) is not a finite number") }
        }
        let p = design.termCount
        guard target.column.isEmpty == false else { throw fail("target.column", "empty") }
        guard target.positive.isEmpty == false else { throw fail("target.positive", "empty") }
        if let k = target.negatives.firstIndex(of: target.positive) {
            throw fail("target.negatives[\(k)]", "'\(target.positive)' is also the positive value")
        }
        var names = Set<String>()
        for (t, name) in design.termNames.enumerated() where !names.insert(name).inserted {
            throw fail("design.term_names[\(t)]", "the term '\(name)' is named twice")
        }
        guard coefficients.terms.count == p else {
            throw fail("coefficients.terms", "\(coefficients.terms.count) coefficients for \(p) terms (design.term_names)")
        }
        for (t, b) in coefficients.terms.enumerated() { try finite(b, "coefficients.terms[\(t)]") }
        try finite(coefficients.intercept, "coefficients.intercept")
        if let se = coefficients.standardErrors {
            guard se.count == p else { throw fail("coefficients.standard_errors", "\(se.count) standard errors for \(p) terms") }
            for (t, s) in se.enumerated() where !(s >= 0 && s.isFinite) {
                throw fail("coefficients.standard_errors[\(t)]", "\(s) is not a standard error")
            }
        }
        guard coefficients.original.count == p else {
            throw fail("coefficients.original", "\(coefficients.original.count) entries for \(p) terms")
        }
        if let c = coefficients.priorCorrection { try finite(c, "coefficients.prior_correction") }
        if let means = design.termMeans {
            guard means.count == p else { throw fail("design.term_means", "\(means.count) means for \(p) terms") }
            for (t, m) in means.enumerated() { try finite(m, "design.term_means[\(t)]") }
        }

        let features = Set(schema.filter { $0.role == .feature }.map(\.name))
        var columnNames = Set<String>()
        var owner = [Int](repeating: -1, count: p)
        for (c, col) in design.columns.enumerated() {
            let at = "design.columns[\(c)]"
            guard columnNames.insert(col.name).inserted else { throw fail("\(at).name", "the column '\(col.name)' appears twice") }
            guard features.contains(col.name) else { throw fail("\(at).name", "'\(col.name)' is not a feature column of the schema") }
            func own(_ t: Int?, _ field: String) throws {
                guard let t else { return }
                guard t >= 0 && t < p else { throw fail("\(at).\(field)", "term \(t) is out of range (the model has \(p) terms)") }
                guard owner[t] < 0 else { throw fail("\(at).\(field)", "term \(t) already belongs to design.columns[\(owner[t])]") }
                owner[t] = c
            }
            // The kind and its required fields were checked when decoding (`ColumnEncoding.init(from:)`).
            switch col.kind {
            case .numeric(let e), .boolean(let e):
                try own(e.term, "term")
                try own(e.missingTerm, "missing_term")
                try finite(e.mean, "\(at).mean")
                guard e.scale > 0 && e.scale.isFinite else { throw fail("\(at).scale", "\(e.scale) is not a positive number") }
                if let lo = e.minimum, let hi = e.maximum {
                    try finite(lo, "\(at).minimum")
                    try finite(hi, "\(at).maximum")
                    guard lo <= hi else { throw fail("\(at).minimum", "\(lo) is above the maximum \(hi)") }
                }
                if let q = e.quantiles {
                    guard q.count == 5 else { throw fail("\(at).quantiles", "\(q.count) values, expected 5 (10th, 25th, 50th, 75th, 90th percentiles)") }
                    for (k, v) in q.enumerated() { try finite(v, "\(at).quantiles[\(k)]") }
                    for k in 1..<5 where q[k] < q[k - 1] { throw fail("\(at).quantiles[\(k)]", "percentiles out of order") }
                }
            case .shape(let e):
                // Basis, knots, means and scales were checked when decoding (`ShapeEncoding.init(from:)`).
                for (j, t) in e.terms.enumerated() { try own(t, "shape.terms[\(j)]") }
                try own(e.missingTerm, "shape.missing_term")
                if let q = e.quantiles {
                    guard q.count == 5 else { throw fail("\(at).shape.quantiles", "\(q.count) values, expected 5 (10th, 25th, 50th, 75th, 90th percentiles)") }
                    for (k, v) in q.enumerated() { try finite(v, "\(at).shape.quantiles[\(k)]") }
                }
                if let d = e.deciles { for (k, v) in d.enumerated() { try finite(v, "\(at).shape.deciles[\(k)]") } }
            case .categorical(let e):
                let groups = e.groups
                var values = Set<String>()
                for (g, group) in groups.enumerated() {
                    guard values.insert(group.value).inserted else { throw fail("\(at).groups[\(g)].value", "the level '\(group.value)' appears twice") }
                    guard group.count >= 0 else { throw fail("\(at).groups[\(g)].count", "\(group.count) is negative") }
                    if group.pooled != nil && group.value != ColumnEncoding.otherName {
                        throw fail("\(at).groups[\(g)].pooled", "only the '\(ColumnEncoding.otherName)' group pools levels")
                    }
                }
                guard let r = groups.firstIndex(where: { $0.value == e.reference }) else {
                    throw fail("\(at).reference", "'\(e.reference)' is not one of the column's levels")
                }
                for (g, group) in groups.enumerated() {
                    if g == r {
                        guard group.term == nil else { throw fail("\(at).groups[\(g)].term", "the reference level has no term") }
                    } else {
                        guard group.term != nil else { throw fail("\(at).groups[\(g)].term", "missing: every level but the reference has a term") }
                        try own(group.term, "groups[\(g)].term")
                    }
                }
                if e.unseen == .other && !values.contains(ColumnEncoding.otherName) {
                    throw fail("\(at).unseen", "'other' needs an '\(ColumnEncoding.otherName)' level")
                }
            }
        }
        try validateInteractions(owner: &owner, fail: fail)
        if let t = owner.firstIndex(of: -1) {
            throw fail("design.term_names[\(t)]", "the term '\(design.termNames[t])' belongs to no column")
        }

        try finite(scorecard.pdo, "scorecard.pdo")
        guard scorecard.pdo > 0 else { throw fail("scorecard.pdo", "\(scorecard.pdo) points to double the odds: must be positive") }
        try finite(scorecard.referenceScore, "scorecard.reference_score")
        guard scorecard.referenceOdds > 0 && scorecard.referenceOdds.isFinite else {
            throw fail("scorecard.reference_odds", "\(scorecard.referenceOdds) is not a positive number")
        }

        guard !grades.isEmpty else { throw fail("grades", "no grades") }
        var gradeNames = Set<String>()
        for (g, band) in grades.enumerated() {
            guard !band.grade.isEmpty else { throw fail("grades[\(g)].grade", "empty") }
            guard gradeNames.insert(band.grade).inserted else { throw fail("grades[\(g)].grade", "the grade '\(band.grade)' appears twice") }
            try finite(band.minScore, "grades[\(g)].min_score")
            if g > 0 && !(band.minScore <= grades[g - 1].minScore) {
                throw fail("grades[\(g)].min_score", "\(band.minScore) is above grades[\(g - 1)].min_score \(grades[g - 1].minScore) (grades run best first)")
            }
        }
    }
}
