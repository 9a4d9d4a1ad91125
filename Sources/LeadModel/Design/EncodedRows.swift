import LinearAlgebra
import LeadSupport

/// A design matrix kept the way lead data is shaped: the dense terms (numbers, booleans, missing
/// indicators, the intercept) as a column-major matrix, each categorical column's one-hot terms
/// as one index per row (the term holding the row's 1, or −1 for the reference level), and each
/// step function's terms (`--numeric bins`) as the row's bin, whose term values a `StepTable` gives.
///
/// Logically it is the n × k matrix X of `Design` (intercept last); physically a 1M-row lead file
/// with 65 terms takes ~100 MB instead of ~500 MB, and every pass over it (η, the gradient, XᵀWX,
/// means) reads that much less. `matrix()` gives the dense X back (tests, small data).
public struct EncodedRows: Sendable {
    public let rows: Int
    /// Columns of the logical X (terms + intercept).
    public let cols: Int
    /// Logical column of each dense column.
    public let denseTerms: [Int]
    /// rows × denseTerms.count, column-major.
    public internal(set) var dense: Matrix
    /// The logical columns of each one-hot group.
    public let groupTerms: [[Int]]
    /// Group q's index of row i at `levels[q * rows + i]`: a logical column of the group, or −1.
    public internal(set) var levels: [Int32]
    /// Per logical column: its dense position, or −1 when it belongs to a group.
    public let densePosition: [Int]
    /// Per logical column: the group it belongs to, or −1 when it is dense.
    public let groupOf: [Int]
    /// The step functions whose terms are kept as each row's bin (up to 49 terms a column, which as
    /// dense columns took most of the memory and of the solver's time).
    public let stepTables: [StepTable]
    /// Step function s's bin of row i at `steps[s * rows + i]`, or −1 when every term is 0 (missing).
    public internal(set) var steps: [Int32]
    /// Per logical column: the step function it belongs to, or −1.
    public let stepOf: [Int]

    /// The layout for `design` with `rows` rows, zeroed (every row at its reference levels).
    public init(design: Design, rows: Int) {
        self.init(rows: rows, cols: design.termCount + 1, groups: design.indicatorGroups, steps: design.stepTables, zeroed: true)
    }

    /// `rows` rows of resolved values (`values(i)` for row i) encoded with `design`'s `RowEncoder`;
    /// nil when a row holds a value no level index can (a level unseen in training, spread over the
    /// average level): such rows need the dense form (`init(matrix:indicatorGroups:)`).
    public init?(design: Design, rows: Int, values: (Int) -> [ResolvedValue]) {
        self.init(design: design, rows: rows)
        guard rows > 0 else { return }
        let encoder = RowEncoder(design: design)
        let fits = dense.storage.withUnsafeMutableBufferPointer { dense in
            levels.withUnsafeMutableBufferPointer { levels in
                steps.withUnsafeMutableBufferPointer { steps in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1) { none in
                        let target = RowEncoder.Target(dense: dense.baseAddress!, levels: levels.baseAddress ?? none.baseAddress!,
                                                       steps: steps.baseAddress, rows: rows)
                        return (0..<rows).allSatisfy { encoder.encode(values($0), row: $0, into: target) }
                    }
                }
            }
        }
        if !fits { return nil }
    }

    /// The layout for `design` whose dense values and level indices the caller writes before reading
    /// (the parallel encoder fills disjoint row ranges, each zeroing its own rows first).
    public init(design: Design, rowsToBeWritten rows: Int) {
        self.init(rows: rows, cols: design.termCount + 1, groups: design.indicatorGroups, steps: design.stepTables, zeroed: false)
    }

    /// `zeroed`: nil leaves the storage empty (the caller sets it), false allocates it unwritten.
    init(rows: Int, cols: Int, groups: [[Int]], steps tables: [StepTable] = [], zeroed: Bool?) {
        self.rows = rows
        self.cols = cols
        groupTerms = groups
        stepTables = tables
        var stepOf = [Int](repeating: -1, count: cols)
        for (s, table) in tables.enumerated() { for t in table.terms { stepOf[t] = s } }
        self.stepOf = stepOf
        let grouped = Set(groups.joined())
        denseTerms = (0..<cols).filter { !grouped.contains($0) && stepOf[$0] < 0 }
        var position = [Int](repeating: -1, count: cols)
        for (a, t) in denseTerms.enumerated() { position[t] = a }
        densePosition = position
        var groupOf = [Int](repeating: -1, count: cols)
        for (q, group) in groups.enumerated() { for t in group { groupOf[t] = q } }
        self.groupOf = groupOf
        switch zeroed {
        case nil:
            dense = Matrix(rows: 0, cols: 0)
            levels = []
            steps = []
        case true:
            dense = Matrix(rows: rows, cols: denseTerms.count)
            levels = [Int32](repeating: -1, count: groups.count * rows)
            steps = [Int32](repeating: -1, count: tables.count * rows)
        case false:
            dense = Matrix(rowsToBeWritten: rows, cols: denseTerms.count)
            levels = [Int32](unsafeUninitializedCapacity: groups.count * rows) { _, count in count = groups.count * rows }
            steps = [Int32](unsafeUninitializedCapacity: tables.count * rows) { _, count in count = tables.count * rows }
        }
    }

    /// X as given, with the `indicatorGroups` that really are one-hot in it (at most one 1 per row,
    /// every entry 0 or 1, no column in two groups) kept as level indices; the rest stays dense.
    public init(matrix x: Matrix, indicatorGroups: [[Int]] = []) {
        let candidates = indicatorGroups.filter { g in !g.isEmpty && g.allSatisfy { $0 >= 0 && $0 < x.cols } }
        let found = ParallelMap.run(candidates.count, threads: ScoringThreads.default) { g in
            EncodedRows.oneHotIndex(x, columns: candidates[g])
        }
        var used = Set<Int>()
        var groups: [[Int]] = []
        var indices: [[Int32]] = []
        for (g, index) in found.enumerated() {
            guard let index, used.isDisjoint(with: candidates[g]) else { continue }
            used.formUnion(candidates[g])
            groups.append(candidates[g])
            indices.append(index)
        }
        self.init(rows: x.rows, cols: x.cols, groups: groups, zeroed: nil)
        levels = Array(indices.joined())
        if groups.isEmpty {
            dense = x
        } else {
            dense = Matrix(rowsToBeWritten: x.rows, cols: denseTerms.count)
            let n = x.rows
            let positions = denseTerms
            dense.storage.withUnsafeMutableBufferPointer { d in
                x.storage.withUnsafeBufferPointer { s in
                    for (a, t) in positions.enumerated() {
                        (d.baseAddress! + a * n).update(from: s.baseAddress! + t * n, count: n)
                    }
                }
            }
        }
    }

    /// The column holding each row's 1 among `columns` (−1 when all are 0), or nil when some entry
    /// is neither 0 nor 1 or a row has two 1s.
    static func oneHotIndex(_ x: Matrix, columns: [Int]) -> [Int32]? {
        let n = x.rows
        var index = [Int32](repeating: -1, count: n)
        let ok = x.storage.withUnsafeBufferPointer { xs in
            index.withUnsafeMutableBufferPointer { ix in
                for c in columns {
                    let col = xs.baseAddress! + c * n
                    for i in 0..<n {
                        let v = col[i]
                        if v == 0 { continue }
                        if v != 1 || ix[i] >= 0 { return false }
                        ix[i] = Int32(c)
                    }
                }
                return true
            }
        }
        return ok ? index : nil
    }

    /// Writes Σ_t β_t x_it for the rows in `range` into `out` (range.count values), over the logical
    /// columns t with `mask[t]` (all of them when nil).
    func combination(_ beta: UnsafeBufferPointer<Double>, mask: [Bool]?, rows range: Range<Int>,
                     into out: UnsafeMutablePointer<Double>) {
        let n = rows
        let m = range.count
        for i in 0..<m { out[i] = 0 }
        dense.storage.withUnsafeBufferPointer { xs in
            for (a, t) in denseTerms.enumerated() where mask?[t] ?? true {
                let bt = beta[t]
                if bt == 0 { continue }
                let col = xs.baseAddress! + a * n + range.lowerBound
                for i in 0..<m { out[i] += bt * col[i] }
            }
        }
        levels.withUnsafeBufferPointer { lv in
            for (q, group) in groupTerms.enumerated() {
                let wanted = group.filter { mask?[$0] ?? true }.count
                if wanted == 0 { continue }
                let ix = lv.baseAddress! + q * n + range.lowerBound
                if wanted == group.count {
                    for i in 0..<m {
                        let t = Int(ix[i])
                        if t >= 0 { out[i] += beta[t] }
                    }
                } else {
                    let mask = mask!
                    for i in 0..<m {
                        let t = Int(ix[i])
                        if t >= 0 && mask[t] { out[i] += beta[t] }
                    }
                }
            }
        }
        guard !stepTables.isEmpty else { return }
        steps.withUnsafeBufferPointer { st in
            for (s, table) in stepTables.enumerated() where table.terms.contains(where: { mask?[$0] ?? true }) {
                // Each bin's Σ β_t x_t once, then one lookup per row.
                let sums = table.combination(beta, mask: mask)
                let ix = st.baseAddress! + s * n + range.lowerBound
                for i in 0..<m {
                    let z = Int(ix[i])
                    if z >= 0 { out[i] += sums[z] }
                }
            }
        }
    }

    /// X β.
    public func times(_ beta: [Double]) -> [Double] {
        precondition(beta.count == cols, "times: β has \(beta.count) values, X has \(cols) columns")
        var out = [Double](repeating: 0, count: rows)
        beta.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { combination(b, mask: nil, rows: 0..<rows, into: $0.baseAddress!) }
        }
        return out
    }

    /// Σ_{t ∈ terms} β_t x_it for every row (`beta` indexed by logical column).
    public func combination(_ beta: [Double], terms: [Int]) -> [Double] {
        var out = [Double](repeating: 0, count: rows)
        var mask = [Bool](repeating: false, count: cols)
        for t in terms { mask[t] = true }
        beta.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { combination(b, mask: mask, rows: 0..<rows, into: $0.baseAddress!) }
        }
        return out
    }

    /// Logical column `t` as an array.
    public func column(_ t: Int) -> [Double] {
        if densePosition[t] >= 0 { return dense.column(densePosition[t]) }
        var unit = [Double](repeating: 0, count: cols)
        unit[t] = 1
        return combination(unit, terms: [t])
    }

    /// The mean of every logical column, each summed in row order (the same bytes whatever the
    /// thread count).
    public func columnMeans() -> [Double] {
        guard rows > 0 else { return [Double](repeating: 0, count: cols) }
        var means = [Double](repeating: 0, count: cols)
        let n = rows
        let x = dense
        let sums = ParallelMap.run(denseTerms.count, threads: ScoringThreads.default) { a in
            x.storage.withUnsafeBufferPointer { s in
                var sum = 0.0
                for i in 0..<n { sum += s[a * n + i] }
                return sum
            }
        }
        for (a, t) in denseTerms.enumerated() { means[t] = sums[a] / Double(n) }
        for (t, tally) in levelTallies() { means[t] = tally.count / Double(n) }
        for (s, table) in stepTables.enumerated() {
            // Σ over rows = Σ over bins of (rows in the bin) × the bin's value.
            var count = [Double](repeating: 0, count: table.states)
            for i in 0..<n { let z = Int(steps[s * n + i]); if z >= 0 { count[z] += 1 } }
            for (j, t) in table.terms.enumerated() {
                var sum = 0.0
                for z in 0..<table.states { sum += count[z] * table.value(bin: z, term: j) }
                means[t] = sum / Double(n)
            }
        }
        return means
    }

    /// For every grouped column, the rows at that level and the sum of `y` over them (0 without `y`).
    public func levelTallies(_ y: [Double]? = nil) -> [Int: (count: Double, sum: Double)] {
        var tallies: [Int: (count: Double, sum: Double)] = [:]
        let n = rows
        var count = [Double](repeating: 0, count: cols)
        var sum = [Double](repeating: 0, count: cols)
        levels.withUnsafeBufferPointer { lv in
            for q in groupTerms.indices {
                for i in 0..<n {
                    let t = Int(lv[q * n + i])
                    if t >= 0 {
                        count[t] += 1
                        if let y { sum[t] += y[i] }
                    }
                }
            }
        }
        for t in groupTerms.joined() { tallies[t] = (count[t], sum[t]) }
        return tallies
    }

    /// The first `n` rows.
    public func topRows(_ n: Int) -> EncodedRows {
        var out = EncodedRows(rows: n, cols: cols, groups: groupTerms, steps: stepTables, zeroed: false)
        let d = denseTerms.count
        dense.storage.withUnsafeBufferPointer { s in
            out.dense.storage.withUnsafeMutableBufferPointer { o in
                for a in 0..<d { (o.baseAddress! + a * n).update(from: s.baseAddress! + a * rows, count: n) }
            }
        }
        levels.withUnsafeBufferPointer { s in
            out.levels.withUnsafeMutableBufferPointer { o in
                for q in groupTerms.indices { (o.baseAddress! + q * n).update(from: s.baseAddress! + q * rows, count: n) }
            }
        }
        steps.withUnsafeBufferPointer { s in
            out.steps.withUnsafeMutableBufferPointer { o in
                for q in stepTables.indices { (o.baseAddress! + q * n).update(from: s.baseAddress! + q * rows, count: n) }
            }
        }
        return out
    }

    /// The dense n × k matrix X.
    public func matrix() -> Matrix {
        var x = Matrix(rows: rows, cols: cols)
        for (a, t) in denseTerms.enumerated() {
            for i in 0..<rows { x[i, t] = dense[i, a] }
        }
        for q in groupTerms.indices {
            for i in 0..<rows where levels[q * rows + i] >= 0 { x[i, Int(levels[q * rows + i])] = 1 }
        }
        for (s, table) in stepTables.enumerated() {
            for i in 0..<rows where steps[s * rows + i] >= 0 {
                let z = Int(steps[s * rows + i])
                for (j, t) in table.terms.enumerated() { x[i, t] = table.value(bin: z, term: j) }
            }
        }
        return x
    }

    /// Bytes held (for the memory figures).
    public var byteCount: Int { dense.storage.count * 8 + levels.count * 4 + steps.count * 4 }
}

/// A step function's terms as a table: a value in bin z (`QuantileBins.bin`, 0 below the first cut)
/// has term j equal to `value(bin: z, term: j)`, the number `ShapeEncoding.writeTerms` writes for
/// it; a missing value has every term 0.
public struct StepTable: Sendable, Equatable {
    /// The logical columns of the terms, in basis order.
    public let terms: [Int]
    /// Bins: cuts + 1.
    public let states: Int
    /// values[z * terms.count + j].
    public let values: [Double]
    /// The encoding and its cuts, that bin a number.
    let shape: ShapeEncoding
    let cuts: [Double]

    /// The table of a step function's encoding, computed as `writeTerms` computes each term:
    /// (1 or 0 − mean) / scale.
    public init(_ e: ShapeEncoding) {
        guard case .bins(let b) = e.basis else { preconditionFailure("StepTable: '\(e.basis)' is not a step function") }
        let k = e.terms.count
        terms = e.terms
        states = k + 1
        shape = e
        cuts = b.cuts
        var values = [Double](repeating: 0, count: (k + 1) * k)
        for z in 0...k {
            for j in 0..<k {
                let basis: Double = j < z ? 1 : 0
                values[z * k + j] = (basis - e.means[j]) / e.scales[j]
            }
        }
        self.values = values
    }

    @inline(__always)
    public func value(bin z: Int, term j: Int) -> Double { values[z * terms.count + j] }

    /// The bin of number `x`, clamped to the training range as `ShapeEncoding.writeTerms` clamps it.
    @inline(__always)
    func bin(of x: Double) -> Int32 { Int32(QuantileBins.bin(of: shape.clamped(x), cuts: cuts)) }

    /// Per bin, Σ_j β[terms[j]] · value(z, j) over the terms with `mask` (all when nil).
    func combination(_ beta: UnsafeBufferPointer<Double>, mask: [Bool]?) -> [Double] {
        (0..<states).map { z in
            var sum = 0.0
            for (j, t) in terms.enumerated() where mask?[t] ?? true { sum += beta[t] * value(bin: z, term: j) }
            return sum
        }
    }
}
