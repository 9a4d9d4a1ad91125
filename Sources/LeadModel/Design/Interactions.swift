import LinearAlgebra
import LeadSupport

/// How finely an interaction cuts its two columns: at most `categorical` cells of a categorical side
/// (its largest levels, the rest with the reference), `numeric` quantile bins of a numeric one.
/// `--interaction A:B` uses `coarse`; `--interactions auto` tries each pair both ways and keeps
/// the one that validates better (`InteractionSearch`).
public struct InteractionCells: Sendable, Equatable {
    public var categorical: Int
    public var numeric: Int
    public static let coarse = InteractionCells(categorical: 6, numeric: 4)
    public static let fine = InteractionCells(categorical: 8, numeric: 6)
}

/// An interaction between two input columns (`train --interaction A:B`), EBM-like: each column is
/// cut into a few cells, and the interaction's terms are 0/1 indicators of cell pairs (a, b) with
/// a ≥ 1 and b ≥ 1. Cell 0 of each side is the reference (no term), so the main effects stay the
/// columns' own terms and a fit without a penalty stays identifiable.
///
/// - A categorical side: its reference level (with the levels past the largest `InteractionCells.categorical − 1`
///   and those under `--min-level-count`) is cell 0, each of the other largest levels a cell of its own.
///   A level never seen in training is in the cell of `(other)` when the column scores it so, else in
///   a last cell `column=(unseen)`.
/// - A numeric, shape or yes/no side: quantile bins of the training values, the cut points in original
///   units (cell j holds cuts[j−1] ≤ x < cuts[j]); a missing value is the last cell, `column=(missing)`.
///
/// A cell no pair of which reaches `--min-level-count` training rows (an unseen level always, rare
/// missing values) has no term and scores as cell 0 does; it exists so reason codes name what the lead has.
/// (Models written before the unseen and missing cells existed put those values in cell 0.)
///
/// Cell pairs with fewer than `--min-level-count` training rows get no term. At most one of an
/// interaction's terms is 1 in a row: it is an indicator group like a categorical column's.
public struct InteractionEncoding: Codable, Sendable, Equatable {
    public var first: InteractionSide
    public var second: InteractionSide
    /// The cell pairs that have a term, a-major.
    public var cells: [Cell]

    public struct Cell: Codable, Sendable, Equatable {
        public var a: Int
        public var b: Int
        public var term: Int
        /// Training rows in the cell pair.
        public var count: Int
    }

    public init(first: InteractionSide, second: InteractionSide, cells: [Cell]) {
        self.first = first
        self.second = second
        self.cells = cells
    }

    /// "lead_source × job_level": the interaction's line in explanations and drivers.
    public var name: String { "\(first.column) × \(second.column)" }

    public var terms: [Int] { cells.map(\.term) }

    /// Per cell pair (a · second.cellCount + b): its term, or −1.
    public func termTable() -> [Int] {
        var table = [Int](repeating: -1, count: first.cellCount * second.cellCount)
        for c in cells { table[c.a * second.cellCount + c.b] = c.term }
        return table
    }

    /// The term that is 1 for a row whose two columns resolved to `a` and `b` (nil: none is).
    public func term(_ a: ResolvedValue, _ b: ResolvedValue) -> Int? {
        let ca = first.cell(a), cb = second.cell(b)
        return cells.first { $0.a == ca && $0.b == cb }?.term
    }

    /// The term that is 1 for a row of `values` (one per design column).
    public func term(_ values: [ResolvedValue]) -> Int? { term(values[first.columnIndex], values[second.columnIndex]) }

    /// The name of cell pair (a, b): "lead_source=event × job_level=individual".
    public func label(_ a: Int, _ b: Int) -> String { first.labels[a] + " × " + second.labels[b] }

    /// The reason code of a row: its cell pair's name.
    public func code(_ values: [ResolvedValue]) -> String {
        label(first.cell(values[first.columnIndex]), second.cell(values[second.columnIndex]))
    }
}

/// One column of an interaction, as cells.
public struct InteractionSide: Codable, Sendable, Equatable {
    public var column: String
    /// Index of the column in `design.columns`.
    public var columnIndex: Int
    /// A categorical side: the cell of each level group (indexed as the column's groups).
    public var groupCells: [Int]?
    /// A categorical side: the cell of a level never seen in training.
    public var unseenCell: Int?
    /// A numeric side: cut points in original units, ascending.
    public var cuts: [Double]?
    /// A numeric side: the cell of a missing value (nil: cell 0).
    public var missingCell: Int?
    /// A readable name per cell ("job_level=individual", "page_views 3–7").
    public var labels: [String]

    enum CodingKeys: String, CodingKey {
        case column, cuts, labels
        case columnIndex = "column_index"
        case groupCells = "group_cells"
        case unseenCell = "unseen_cell"
        case missingCell = "missing_cell"
    }

    public var cellCount: Int { labels.count }

    /// The cell of a value of the column.
    @inline(__always)
    public func cell(_ value: ResolvedValue) -> Int {
        switch value {
        case .level(let g): return groupCells?[g] ?? 0
        case .unseen: return unseenCell ?? 0
        case .missing: return missingCell ?? 0
        case .number(let x):
            guard let cuts else { return 0 }
            var j = 0
            while j < cuts.count && x >= cuts[j] { j += 1 }
            return j
        }
    }
}

extension Design {
    /// The interactions' terms through `set(term, 1)` for a row of `values` (one per column).
    @inline(__always)
    public func forEachInteractionTerm(_ values: [ResolvedValue], _ set: (Int, Double) -> Void) {
        guard let interactions else { return }
        for i in interactions { if let t = i.term(values) { set(t, 1) } }
    }

    /// `start` plus Σ β_t x_t over every term of a row of `values`: the columns' in design order,
    /// then the interactions' (the order of additions of `LeadScoreModel.logOdds`).
    @inline(__always)
    public func logOdds(_ values: [ResolvedValue], beta: UnsafeBufferPointer<Double>, start: Double) -> Double {
        var s = start
        for (c, v) in values.enumerated() { s += columns[c].logOdds(v, beta: beta) }
        forEachInteractionTerm(values) { t, x in s += beta[t] * x }
        return s
    }
}

// MARK: - Training

/// `train --interaction A:B`: the interactions' cells from the training rows, and the encoded rows
/// extended with their terms.
public enum InteractionBuilder {
    /// The values of design column `c` in rows encoded with a `ShapePlan.readingDesign` (numbers as
    /// they are, a missing indicator on every numeric column).
    static func readingValues(_ design: Design, column c: Int, train x: EncodedRows, rows: [Int]? = nil) -> [ResolvedValue] {
        let col = design.columns[c]
        let n = x.rows
        let count = rows?.count ?? n
        @inline(__always) func row(_ i: Int) -> Int { rows?[i] ?? i }
        switch col.kind {
        case .categorical(let e):
            // The group of each term, by term index (a dictionary lookup per row cost more than the rest).
            let reference = e.groups.firstIndex { $0.term == nil } ?? 0
            guard let first = e.groups.compactMap(\.term).first else { return Array(repeating: .level(reference), count: count) }
            var groupOfTerm = [Int](repeating: reference, count: design.termCount + 1)
            for (g, group) in e.groups.enumerated() { if let t = group.term { groupOfTerm[t] = g } }
            let q = x.groupOf[first]
            return x.levels.withUnsafeBufferPointer { levels in
                (0..<count).map { i in
                    let t = Int(levels[q * n + row(i)])
                    return .level(t < 0 ? reference : groupOfTerm[t])
                }
            }
        case .numeric(let e), .boolean(let e):
            guard x.densePosition[e.term] >= 0, x.densePosition[e.missingTerm!] >= 0 else {
                let v = x.column(e.term), m = x.column(e.missingTerm!)
                return (0..<count).map { i in m[row(i)] == 1 ? .missing : .number(v[row(i)]) }
            }
            let value = x.densePosition[e.term] * n, missing = x.densePosition[e.missingTerm!] * n
            return x.dense.storage.withUnsafeBufferPointer { d in
                (0..<count).map { i in
                    let r = row(i)
                    return d[missing + r] == 1 ? .missing : .number(d[value + r])
                }
            }
        case .shape:
            preconditionFailure("InteractionBuilder: the reading design has no shapes")
        }
    }

    /// The same for the holdout (a dense matrix, where a level unseen in training is spread over the
    /// groups or is the `(other)` group's 1).
    static func readingValues(_ design: Design, column c: Int, holdout h: Matrix) -> [ResolvedValue] {
        let col = design.columns[c]
        switch col.kind {
        case .categorical(let e):
            let reference = e.groups.firstIndex { $0.term == nil } ?? 0
            return (0..<h.rows).map { i in
                var found: ResolvedValue = .level(reference)
                for (g, group) in e.groups.enumerated() {
                    guard let t = group.term else { continue }
                    let v = h[i, t]
                    if v == 1 { found = .level(g) } else if v != 0 { return .unseen }
                }
                return found
            }
        case .numeric(let e), .boolean(let e):
            return (0..<h.rows).map { h[$0, e.missingTerm!] == 1 ? .missing : .number(h[$0, e.term]) }
        case .shape:
            preconditionFailure("InteractionBuilder: the reading design has no shapes")
        }
    }

    /// The cut points as the cells' labels show them: integers as they are, other values with the
    /// fewest significant digits (3 at least) that tell every cut apart. The labels are term names,
    /// which must be distinct: cuts 199.17 and 199.33 at 3 digits both read "199", and a model
    /// with two terms of one name is refused by every command that reads it.
    static func cutTexts(_ cuts: [Double]) -> [String] {
        for digits in 3...17 {
            let texts = cuts.map { x in x == x.rounded() && abs(x) < 1e15 ? compact(x) : formatted(x, "%.\(digits)g") }
            if Set(texts).count == cuts.count { return texts }
        }
        return cuts.map { "\($0)" }
    }

    /// The cells of column `c` of the final design from its training values.
    static func side(_ design: Design, column c: Int, values: [ResolvedValue], minLevelCount: Int,
                     cells resolution: InteractionCells = .coarse) -> InteractionSide {
        let col = design.columns[c]
        let name = col.name
        switch col.kind {
        case .categorical(let e):
            let reference = e.groups.firstIndex { $0.value == e.reference } ?? 0
            let order = e.groups.indices.filter { $0 != reference && e.groups[$0].count >= minLevelCount }
                .sorted { e.groups[$0].count != e.groups[$1].count ? e.groups[$0].count > e.groups[$1].count : $0 < $1 }
                .prefix(resolution.categorical - 1)
            var cells = [Int](repeating: 0, count: e.groups.count)
            let rest = order.count + 1 < e.groups.count
            var labels = ["\(name)=" + (rest ? "(rest)" : ColumnEncoding.display(e.reference))]
            for (k, g) in order.enumerated() {
                cells[g] = k + 1
                labels.append(ColumnEncoding.termName(column: name, group: e.groups[g]))
            }
            // A level never seen in training: the (other) cell when the column scores it as (other),
            // else a cell of its own (no training row, so no term: it adds what cell 0 adds), so
            // that its reason code names it rather than the reference level.
            let unseen: Int
            if e.unseen == .other, let other = e.otherGroup {
                unseen = cells[other]
            } else {
                unseen = labels.count
                labels.append("\(name)=(unseen)")
            }
            return InteractionSide(column: name, columnIndex: c, groupCells: cells, unseenCell: unseen, cuts: nil, missingCell: nil, labels: labels)
        case .numeric, .boolean, .shape:
            var observed: [Double] = []
            var missing = 0
            for v in values {
                if case .number(let x) = v { observed.append(x) } else { missing += 1 }
            }
            RadixSort.sort(&observed)
            var cuts: [Double] = []
            let n = observed.count
            if n > 0 {
                for q in 1..<resolution.numeric {
                    let v = observed[min(n - 1, q * n / resolution.numeric)]
                    if v > observed[0] && cuts.last.map({ v > $0 }) ?? true { cuts.append(v) }
                }
            }
            var labels: [String] = []
            if case .boolean = col.kind, cuts == [1] {
                labels = ["\(name)=no", "\(name)=yes"]
            } else {
                let text = InteractionBuilder.cutTexts(cuts)
                for j in 0...cuts.count {
                    if cuts.isEmpty { labels.append(name) } else if j == 0 { labels.append("\(name) < \(text[0])") } else if j == cuts.count {
                        labels.append("\(name) ≥ \(text[j - 1])")
                    } else {
                        // "4–6"; "-1.8 to -0.1" when a bound is negative (a dash beside a minus misreads).
                        let range = cuts[j - 1] < 0 || cuts[j] < 0 ? " to " : "–"
                        labels.append("\(name) \(text[j - 1])\(range)\(text[j])")
                    }
                }
            }
            // A missing value is a cell of its own, whatever its count: with fewer than
            // --min-level-count training rows its pairs get no term (it adds what cell 0 adds), but
            // its reason code names it instead of the lowest bin's range.
            let missingCell = labels.count
            labels.append("\(name)=\(ColumnEncoding.missingName)")
            _ = missing
            return InteractionSide(column: name, columnIndex: c, groupCells: nil, unseenCell: nil, cuts: cuts, missingCell: missingCell, labels: labels)
        }
    }

    /// The interaction of columns `a` and `b` of `design`, its terms numbered from `firstTerm`,
    /// given both columns' training values.
    static func interaction(_ design: Design, a: Int, b: Int, valuesA: [ResolvedValue], valuesB: [ResolvedValue],
                            minLevelCount: Int, firstTerm: Int, cells resolution: InteractionCells = .coarse) -> InteractionEncoding {
        let first = side(design, column: a, values: valuesA, minLevelCount: minLevelCount, cells: resolution)
        let second = side(design, column: b, values: valuesB, minLevelCount: minLevelCount, cells: resolution)
        let width = second.cellCount
        var counts = [Int](repeating: 0, count: first.cellCount * width)
        for i in valuesA.indices { counts[first.cell(valuesA[i]) * width + second.cell(valuesB[i])] += 1 }
        var cells: [InteractionEncoding.Cell] = []
        for ca in 1..<max(1, first.cellCount) {
            for cb in 1..<max(1, width) where counts[ca * width + cb] >= minLevelCount {
                cells.append(.init(a: ca, b: cb, term: firstTerm + cells.count, count: counts[ca * width + cb]))
            }
        }
        return InteractionEncoding(first: first, second: second, cells: cells)
    }

    /// What `extend` produced.
    public struct Extended {
        public var design: Design
        public var train: EncodedRows
        public var holdout: Matrix
        public var signs: [Int]
        public var notices: [String]
    }

    /// Adds the interactions of `pairs` (column names) to `design` and to the training and holdout
    /// rows encoded with it; `trainValues` / `holdoutValues` give every column's values by name.
    /// The pairs named in `fine` ("a:b") get `InteractionCells.fine`, the others `.coarse`.
    static func extend(design: Design, train x: EncodedRows, holdout h: Matrix, signs: [Int], pairs: [(String, String)],
                       trainValues: [String: [ResolvedValue]], holdoutValues: [String: [ResolvedValue]],
                       minLevelCount: Int, fine: Set<String> = []) -> Extended {
        var out = design
        var notices: [String] = []
        var interactions = design.interactions ?? []
        let p = design.termCount
        var names = design.termNames
        for (a, b) in pairs {
            guard let ca = design.columns.firstIndex(where: { $0.name == a }), let cb = design.columns.firstIndex(where: { $0.name == b }),
                  let va = trainValues[a], let vb = trainValues[b] else {
                notices.append("interaction \(a) × \(b) left out: \([a, b].filter { n in !design.columns.contains { $0.name == n } }.map { "'\($0)'" }.joined(separator: " and ")) is not in the model")
                continue
            }
            let i = interaction(design, a: ca, b: cb, valuesA: va, valuesB: vb, minLevelCount: minLevelCount, firstTerm: names.count,
                                cells: fine.contains("\(a):\(b)") ? .fine : .coarse)
            if i.cells.isEmpty {
                notices.append("interaction \(i.name) left out: no pair of its cells has --min-level-count \(minLevelCount) training leads")
                continue
            }
            names += i.cells.map { i.label($0.a, $0.b) }
            interactions.append(i)
        }
        out.interactions = interactions.isEmpty ? nil : interactions
        out.termNames = names
        let added = names.count - p
        guard added > 0 else { return Extended(design: design, train: x, holdout: h, signs: signs, notices: notices) }
        let q = names.count
        // Training rows: the dense columns and level groups as they were (the intercept moves to the
        // end), then one level group per interaction.
        let n = x.rows
        var train = EncodedRows(design: out, rows: n)
        // Whole columns at a time (element by element, every store checked the arrays' uniqueness).
        x.dense.storage.withUnsafeBufferPointer { from in
            train.dense.storage.withUnsafeMutableBufferPointer { to in
                for (a, t) in x.denseTerms.enumerated() {
                    let column = train.densePosition[t == p ? q : t]
                    (to.baseAddress! + column * n).update(from: from.baseAddress! + a * n, count: n)
                }
            }
        }
        precondition(x.groupTerms.indices.allSatisfy { train.groupTerms[$0] == x.groupTerms[$0] }, "InteractionBuilder: the level groups moved")
        x.levels.withUnsafeBufferPointer { from in
            train.levels.withUnsafeMutableBufferPointer { to in
                to.baseAddress!.update(from: from.baseAddress!, count: x.groupTerms.count * n)
            }
        }
        precondition(train.stepTables == x.stepTables, "InteractionBuilder: the step functions moved")
        train.steps = x.steps
        var holdout = Matrix(rows: h.rows, cols: q + 1)
        // Column-major: the first p columns are one block, then the intercept moves to the end.
        h.storage.withUnsafeBufferPointer { from in
            holdout.storage.withUnsafeMutableBufferPointer { to in
                guard h.rows > 0 else { return }
                to.baseAddress!.update(from: from.baseAddress!, count: p * h.rows)
                (to.baseAddress! + q * h.rows).update(from: from.baseAddress! + p * h.rows, count: h.rows)
            }
        }
        for inter in interactions where inter.cells.first.map({ $0.term >= p }) ?? false {
            let table = inter.termTable()
            let width = inter.second.cellCount
            let group = train.groupOf[inter.cells[0].term]
            let ta = trainValues[inter.first.column]!, tb = trainValues[inter.second.column]!
            train.levels.withUnsafeMutableBufferPointer { levels in
                let into = levels.baseAddress! + group * n
                for i in 0..<n {
                    let t = table[inter.first.cell(ta[i]) * width + inter.second.cell(tb[i])]
                    if t >= 0 { into[i] = Int32(t) }
                }
            }
            let ha = holdoutValues[inter.first.column]!, hb = holdoutValues[inter.second.column]!
            for i in 0..<h.rows {
                let t = table[inter.first.cell(ha[i]) * width + inter.second.cell(hb[i])]
                if t >= 0 { holdout[i, t] = 1 }
            }
        }
        let newSigns = Array(signs[0..<p]) + [Int](repeating: 0, count: added) + [signs[p]]
        return Extended(design: out, train: train, holdout: holdout, signs: newSigns, notices: notices)
    }
}
