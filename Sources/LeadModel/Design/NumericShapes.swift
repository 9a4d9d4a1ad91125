import LinearAlgebra
import LeadSupport

/// How `train` enters numeric columns (`--numeric`, `--knots`, `--monotone`) and what it does with
/// rare 0/1 terms (`--min-level-count`).
public struct ShapeOptions: Sendable, Equatable {
    public enum Numeric: String, Sendable, CaseIterable {
        /// A spline, or a step function where cross-validation prefers it (the default;
        /// `ShapeSearch` settles it per column before the shapes are built).
        case auto
        /// A natural cubic spline with knots at training quantiles.
        case spline
        /// One standardized term: a straight line.
        case linear
        /// A step function: bins at training quantiles (`--bins`), the lowest the baseline.
        case bins
    }

    /// The default for every numeric column.
    public var numeric: Numeric = .auto
    /// Per-column overrides (`--numeric employees=linear`).
    public var columns: [String: Numeric] = [:]
    /// Knots of a spline (3 to 7; Harrell's quantiles for that count).
    public var knots = 5
    /// Bins of `--numeric bins` (2 to 50; equal-count at the training quantiles).
    public var bins = 10
    /// Bins of the columns `--numeric auto` made step functions (`ShapeSearch.bins`), where they
    /// differ from `bins`.
    public var columnBins: [String: Int] = [:]
    /// Columns fitted as monotone shapes (`--monotone page_views=increasing`).
    public var monotone: [String: MonotoneRamp.Direction] = [:]

    public init() {}

    public func numeric(for column: String) -> Numeric { columns[column] ?? numeric }
    public func bins(for column: String) -> Int { columnBins[column] ?? bins }

    /// The options as text, for the model's provenance.
    public var record: [String: String] {
        var r = ["numeric": numeric.rawValue, "knots": "\(knots)"]
        if !columns.isEmpty { r["numeric_columns"] = columns.keys.sorted().map { "\($0)=\(columns[$0]!.rawValue)" }.joined(separator: ",") }
        if numeric == .bins || columns.values.contains(.bins) { r["bins"] = "\(bins)" }
        if !monotone.isEmpty { r["monotone"] = monotone.keys.sorted().map { "\($0)=\(monotone[$0]!.rawValue)" }.joined(separator: ",") }
        return r
    }
}

/// Turns the design `DesignBuilder` made (one standardized term per numeric column) into the one the
/// model is fitted on: shapes for numeric columns, booleans on their 0/1 scale, rare 0/1 terms
/// dropped. Knots are training quantiles, which only exist once the training rows are read, so
/// training encodes rows with `readingDesign` (every number kept as it is, every missing value
/// flagged), then `expand` computes the shapes and rewrites the encoded rows into the final design.
public struct ShapePlan {
    public let options: ShapeOptions
    public let minLevelCount: Int
    /// The design the rows are read with: numbers unstandardized (mean 0, scale 1) and a missing
    /// indicator on every numeric and boolean column.
    public let readingDesign: Design
    /// The design `DesignBuilder` made (its standardizations and missing terms).
    let built: Design

    public init(design: Design, options: ShapeOptions, minLevelCount: Int) {
        self.options = options
        self.minLevelCount = minLevelCount
        built = design
        readingDesign = ShapePlan.reading(design)
    }

    /// The same plan with other options (the reading design does not depend on them).
    public func with(_ options: ShapeOptions) -> ShapePlan {
        ShapePlan(built: built, reading: readingDesign, options: options, minLevelCount: minLevelCount)
    }

    private init(built: Design, reading: Design, options: ShapeOptions, minLevelCount: Int) {
        self.built = built
        readingDesign = reading
        self.options = options
        self.minLevelCount = minLevelCount
    }

    private static func reading(_ design: Design) -> Design {
        var columns: [ColumnEncoding] = []
        var names: [String] = []
        for col in design.columns {
            var out = col
            switch col.kind {
            case .numeric(var e), .boolean(var e):
                e.standardization = Standardization(mean: 0, scale: 1)
                e.term = names.count
                names.append(col.name)
                e.missingTerm = names.count
                names.append("\(col.name)=\(ColumnEncoding.missingName)")
                if case .boolean = col.kind { out.kind = .boolean(e) } else { out.kind = .numeric(e) }
            case .categorical(var e):
                for g in e.groups.indices where e.groups[g].term != nil {
                    e.groups[g].term = names.count
                    names.append(ColumnEncoding.termName(column: col.name, group: e.groups[g]))
                }
                out.kind = .categorical(e)
            case .shape:
                preconditionFailure("ShapePlan: DesignBuilder makes no shapes")
            }
            columns.append(out)
        }
        return Design(columns: columns, termNames: names)
    }

    public struct Expanded {
        public var design: Design
        public var train: EncodedRows
        public var holdout: Matrix
        /// Names of the columns dropped (rare yes/no values), for the schema.
        public var dropped: [(column: String, note: String)]
        public var notices: [String]
        /// Per coefficient (terms, then the intercept): +1 / −1 for monotone slopes, 0 free.
        public var signs: [Int]
    }

    /// The final design, and the training and holdout rows (encoded with `readingDesign`) rewritten
    /// into it.
    public func expand(train x: EncodedRows, holdout h: Matrix) -> Expanded {
        let reading = readingDesign
        let n = x.rows
        var columns: [ColumnEncoding] = []
        var names: [String] = []
        var notices: [String] = []
        var dropped: [(String, String)] = []
        /// Where each kept column's values come from in the reading design.
        var sources: [Int] = []
        for (c, col) in reading.columns.enumerated() {
            let builtColumn = built.columns[c]
            switch col.kind {
            case .categorical(var e):
                for g in e.groups.indices where e.groups[g].term != nil {
                    e.groups[g].term = names.count
                    names.append(ColumnEncoding.termName(column: col.name, group: e.groups[g]))
                }
                var out = col
                out.kind = .categorical(e)
                columns.append(out)
                sources.append(c)
            case .boolean(let e):
                // A yes/no column is a 0/1 term like a level: centered, never divided by its sd (a
                // rare "yes" would otherwise get a tiny sd, and the penalty would almost vanish on it).
                let values = observed(x, e)
                let yes = values.reduce(0, +)
                let minority = Int(min(yes, Double(values.count) - yes))
                if minority < minLevelCount {
                    let note = "only \(minority) training lead(s) hold its rarer value (fewer than --min-level-count \(minLevelCount)): too few to estimate an effect"
                    dropped.append((col.name, note))
                    notices.append("column '\(col.name)' dropped: \(note)")
                    continue
                }
                var f = e
                f.standardization = Standardization(mean: yes / Double(values.count), scale: 1)
                f.term = names.count
                names.append(col.name)
                f.missingTerm = missingTerm(col, builtColumn, &names, &notices)
                columns.append(ColumnEncoding(name: col.name, kind: .boolean(f), missingCount: col.missingCount))
                sources.append(c)
            case .numeric(let e):
                let linear = builtColumn.numeric!
                var values = observed(x, e)
                RadixSort.sort(&values)
                var shape: ShapeEncoding.Basis?
                if let direction = options.monotone[col.name] {
                    if let points = MonotoneRamp.breakpoints(sortedValues: values, knots: options.knots) {
                        shape = .monotone(MonotoneRamp(breakpoints: points, direction: direction))
                    }
                } else if options.numeric(for: col.name) == .bins {
                    if let cuts = QuantileBins.cuts(sortedValues: values, bins: options.bins(for: col.name), minCount: minLevelCount) {
                        shape = .bins(QuantileBins(cuts: cuts))
                    } else {
                        notices.append("column '\(col.name)': too few distinct values for bins of at least \(minLevelCount) leads; entered as a straight line")
                    }
                } else if [.spline, .auto].contains(options.numeric(for: col.name)) {
                    if let knots = RestrictedCubicSpline.knots(sortedValues: values, count: options.knots) {
                        shape = .spline(RestrictedCubicSpline(knots: knots, lower: values[0], upper: values[values.count - 1]))
                    } else {
                        notices.append("column '\(col.name)': too few distinct values for a spline (\(Set(values).count)); entered as a straight line")
                    }
                }
                guard let basis = shape else {
                    var f = linear
                    f.term = names.count
                    names.append(col.name)
                    f.missingTerm = missingTerm(col, builtColumn, &names, &notices)
                    f.quantiles = ShapePlan.quartiles(values)
                    columns.append(ColumnEncoding(name: col.name, kind: .numeric(f), missingCount: col.missingCount))
                    sources.append(c)
                    continue
                }
                let terms = (0..<basis.termCount).map { names.count + $0 }
                for j in 0..<basis.termCount { names.append(ShapeEncoding.termName(column: col.name, basis: basis, index: j)) }
                // Means and sds of the basis terms over the training values.
                var probe = ShapeEncoding(basis: basis, terms: terms, means: Array(repeating: 0, count: terms.count),
                                          scales: Array(repeating: 1, count: terms.count), missingTerm: nil,
                                          minimum: values[0], maximum: values[values.count - 1],
                                          average: linear.mean)
                // The values are sorted: each distinct value's basis is written once and weighted
                // by how many rows hold it (integer columns have few distinct values; a million
                // rows of them cost a few hundred evaluations, not two million).
                var sum = [Double](repeating: 0, count: terms.count), sumSquares = sum
                let count = Double(values.count)
                var means: [Double] = []
                var runs: [(value: Double, count: Double)] = []
                var start = 0
                while start < values.count {
                    var end = start + 1
                    while end < values.count && values[end] == values[start] { end += 1 }
                    runs.append((values[start], Double(end - start)))
                    start = end
                }
                withUnsafeTemporaryAllocation(of: Double.self, capacity: terms.count) { b in
                    let b = b.baseAddress!
                    for run in runs {
                        probe.writeBasis(run.value, into: b)
                        for j in 0..<terms.count { sum[j] += run.count * b[j] }
                    }
                    means = sum.map { $0 / count }
                    for run in runs {
                        probe.writeBasis(run.value, into: b)
                        for j in 0..<terms.count { sumSquares[j] += run.count * (b[j] - means[j]) * (b[j] - means[j]) }
                    }
                }
                // A basis function constant over the training values (heavy ties) keeps scale 1.
                let scales = sumSquares.map { s -> Double in let sd = (s / count).squareRoot(); return sd > 0 && sd.isFinite ? sd : 1 }
                probe.means = means
                probe.scales = scales
                probe.missingTerm = missingTerm(col, builtColumn, &names, &notices)
                probe.quantiles = ShapePlan.quartiles(values)
                probe.deciles = (0...10).map { ShapePlan.rounded9(quantile(sorted: values, Double($0) / 10)) }
                columns.append(ColumnEncoding(name: col.name, kind: .shape(probe), missingCount: col.missingCount))
                sources.append(c)
            case .shape:
                preconditionFailure("ShapePlan: the reading design has no shapes")
            }
        }
        // A shape asked for a column that is not numeric (a category, yes/no) cannot apply: say so.
        let numbers = Set(reading.columns.filter { if case .numeric = $0.kind { true } else { false } }.map(\.name))
        for (name, option) in options.columns.map({ ($0.key, "--numeric \($0.key)=\($0.value.rawValue)") }).sorted(by: { $0.0 < $1.0 })
            + options.monotone.map({ ($0.key, "--monotone \($0.key)=\($0.value.rawValue)") }).sorted(by: { $0.0 < $1.0 })
        where !numbers.contains(name) && reading.columns.contains(where: { $0.name == name }) {
            notices.append("\(option) ignored: '\(name)' is not a numeric column")
        }
        var design = Design(columns: columns, termNames: names)
        design.termMeans = nil
        let train = rewrite(x, into: design, sources: sources)
        let holdout = rewrite(h, into: design, sources: sources)
        var signs = [Int](repeating: 0, count: names.count + 1)
        for col in columns { if case .shape(let s) = col.kind { for t in s.terms { signs[t] = s.sign } } }
        _ = n
        return Expanded(design: design, train: train, holdout: holdout, dropped: dropped, notices: notices, signs: signs)
    }

    /// The missing indicator of the final design: kept when training saw at least `minLevelCount`
    /// missing values; fewer are too few to estimate (the value is then scored at the mean).
    private func missingTerm(_ col: ColumnEncoding, _ built: ColumnEncoding, _ names: inout [String], _ notices: inout [String]) -> Int? {
        let missing = col.missingCount ?? 0
        guard built.numeric?.missingTerm != nil, missing > 0 else { return nil }
        if missing < minLevelCount {
            notices.append("column '\(col.name)': its \(missing) missing value(s) are fewer than --min-level-count \(minLevelCount): no missing indicator (a missing value is scored as the average lead's)")
            return nil
        }
        names.append("\(col.name)=\(ColumnEncoding.missingName)")
        return names.count - 1
    }

    /// The observed (not missing) training values of a column of the reading design.
    func observed(_ x: EncodedRows, _ e: NumericEncoding) -> [Double] {
        let v = x.column(e.term)
        let m = x.column(e.missingTerm!)
        var out: [Double] = []
        out.reserveCapacity(v.count)
        for i in v.indices where m[i] != 1 { out.append(v[i]) }
        return out
    }

    /// Rewrites rows encoded with the reading design into `design`: categorical terms moved to
    /// their new indices, every numeric value re-encoded by its final column's `forEachTerm`.
    private func rewrite(_ x: EncodedRows, into design: Design, sources: [Int]) -> EncodedRows {
        let n = x.rows
        var out = EncodedRows(design: design, rows: n)
        let reading = readingDesign
        var termMap = [Int](repeating: -1, count: reading.termCount + 1)
        termMap[reading.termCount] = design.termCount
        for (c, source) in sources.enumerated() {
            if case .categorical(let old) = reading.columns[source].kind, case .categorical(let new) = design.columns[c].kind {
                for (a, b) in zip(old.groups, new.groups) { if let t = a.term { termMap[t] = b.term! } }
            }
        }
        // Levels: remapped indices; the intercept's dense column stays 1.
        for (q, group) in x.groupTerms.enumerated() {
            guard let first = group.first, termMap[first] >= 0 else { continue }
            let newGroup = out.groupOf[termMap[first]]
            for i in 0..<n {
                let t = x.levels[q * n + i]
                out.levels[newGroup * n + i] = t < 0 ? -1 : Int32(termMap[Int(t)])
            }
        }
        let intercept = out.densePosition[design.termCount]
        for i in 0..<n { out.dense[i, intercept] = 1 }
        // Each numeric column writes its own dense columns: the columns run on every core.
        let numeric = sources.indices.filter { reading.columns[sources[$0]].numeric != nil }
        let positions = out.densePosition
        let stepOf = out.stepOf, stepTables = out.stepTables
        x.dense.storage.withUnsafeBufferPointer { from in
            out.dense.storage.withUnsafeMutableBufferPointer { to in
            out.steps.withUnsafeMutableBufferPointer { bins in
                let source = UInt(bitPattern: from.baseAddress), target = UInt(bitPattern: to.baseAddress)
                let binTarget = UInt(bitPattern: bins.baseAddress)
                _ = ParallelMap.run(numeric.count, threads: ScoringThreads.default) { k -> Bool in
                    guard let from = UnsafePointer<Double>(bitPattern: source), let to = UnsafeMutablePointer<Double>(bitPattern: target) else { return false }
                    let c = numeric[k]
                    let e = reading.columns[sources[c]].numeric!
                    let value = from + x.densePosition[e.term] * n, missing = from + x.densePosition[e.missingTerm!] * n
                    // Each row as its column's encoding defines it (`ShapeEncoding.writeTerms`, the
                    // `forEachTerm` of a straight line or yes/no column), the encoding taken out of
                    // the column once: going through `ColumnEncoding` copied it (its arrays
                    // retained) on every row.
                    switch design.columns[c].kind {
                    case .shape(let shape):
                        if case .bins = shape.basis, let bins = UnsafeMutablePointer<Int32>(bitPattern: binTarget) {
                            // A step function keeps each row's bin (−1 when missing, as zeroed).
                            let step = stepOf[shape.terms[0]], table = stepTables[step]
                            let into = bins + step * n
                            let indicator = shape.missingTerm.map { to + positions[$0] * n }
                            for i in 0..<n {
                                if missing[i] == 1 { indicator?[i] = 1; continue }
                                into[i] = table.bin(of: value[i])
                            }
                            return true
                        }
                        let terms = shape.terms.map { to + positions[$0] * n }
                        let indicator = shape.missingTerm.map { to + positions[$0] * n }
                        withUnsafeTemporaryAllocation(of: Double.self, capacity: terms.count) { b in
                            let b = b.baseAddress!
                            for i in 0..<n {
                                // Missing: the indicator 1, the basis terms at 0 (as written).
                                if missing[i] == 1 { indicator?[i] = 1; continue }
                                shape.writeTerms(value[i], into: b)
                                for j in 0..<terms.count { terms[j][i] = b[j] }
                            }
                        }
                    case .numeric(let e), .boolean(let e):
                        for i in 0..<n {
                            e.forEachTerm(missing[i] == 1 ? .missing : .number(value[i])) { t, z in to[positions[t] * n + i] = z }
                        }
                    case .categorical:
                        break
                    }
                    return true
                }
            }
            }
        }
        return out
    }

    /// The same for a dense matrix (the holdout): categorical columns copied to their new indices,
    /// numeric values re-encoded.
    private func rewrite(_ h: Matrix, into design: Design, sources: [Int]) -> Matrix {
        let n = h.rows
        let reading = readingDesign
        var out = Matrix(rows: n, cols: design.termCount + 1)
        for i in 0..<n { out[i, design.termCount] = 1 }
        for (c, source) in sources.enumerated() {
            switch (reading.columns[source].kind, design.columns[c].kind) {
            case (.categorical(let old), .categorical(let new)):
                for (a, b) in zip(old.groups, new.groups) {
                    guard let from = a.term, let to = b.term else { continue }
                    for i in 0..<n { out[i, to] = h[i, from] }
                }
            default:
                guard let e = reading.columns[source].numeric else { continue }
                let col = design.columns[c]
                for i in 0..<n {
                    let v: ResolvedValue = h[i, e.missingTerm!] == 1 ? .missing : .number(h[i, e.term])
                    col.forEachTerm(v) { t, z in out[i, t] = z }
                }
            }
        }
        return out
    }

    /// 10th, 25th, 50th, 75th and 90th percentiles (rounded to 1e-9), as `Trainer.quantiles`.
    static func quartiles(_ sorted: [Double]) -> [Double]? {
        guard !sorted.isEmpty else { return nil }
        return [0.10, 0.25, 0.50, 0.75, 0.90].map { rounded9(quantile(sorted: sorted, $0)) }
    }

    static func rounded9(_ v: Double) -> Double { abs(v) < 1e290 ? (v * 1e9).rounded() / 1e9 : v }
}
