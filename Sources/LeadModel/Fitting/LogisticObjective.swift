import LinearAlgebra
import LeadSupport

/// The penalized, weighted logistic loss over an encoded training matrix.
///
///     f(β) = Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (λ/2) Σ_{j ≠ intercept} βⱼ²,   η = X β
///     ∇f   = Xᵀ (w ∘ (σ(η) − y)) + λ β'
///     ∇²f  = Xᵀ diag(w σ(η)(1 − σ(η))) X + λ I'
///
/// X is n × k, with the intercept column (all ones) last and unpenalized, as in scikit-learn. With unit weights, λ = 1/C for scikit-learn's `LogisticRegression(C=…)`.
/// The objective holds no hidden state: every method takes the point and returns what it computed.
///
/// **One-hot structure.** X comes as `EncodedRows`: the categorical columns' one-hot terms are one
/// level index per row, so every pass reads the dense columns and those small index arrays instead
/// of the whole matrix: η takes β of the row's level, the gradient adds the residual to its level,
/// and XᵀWX adds the row's weight at (level, level′) pairs and its weighted dense values at
/// (level, dense) pairs. A plain `Matrix` is accepted too, with the groups to look for in it.
///
/// **Step functions.** A step function's terms are kept as each row's bin (`EncodedRows.steps`).
/// Its terms are then X_s = B V, B the one-hot matrix of the bins and V the term values by bin
/// (`StepTable`): the rows are summed by bin as if each bin were a level (B's columns, after the k
/// logical ones), and XᵀWX = Sᵀ (B-space sums) S and ∇ = Sᵀ (B-space gradient), S mapping each bin
/// to its terms' values, at the end. Per row that is one more level, not up to 49 dense columns.
///
/// **Threads and determinism.** Rows are cut into fixed blocks of `blockRows`; blocks run on every
/// core and their partial sums are added in block order, so the result does not depend on the
/// number of threads.
public struct LogisticObjective: Sendable {
    public let data: EncodedRows
    public let y: [Double]
    public let weights: [Double]
    public let lambda: Double
    /// A multiplier of λ per non-intercept term (nil: 1 for every term): term j's penalty is
    /// (λ · penaltyWeights[j] / 2) βⱼ². `train` shrinks a step function's jumps harder than other
    /// terms (`Design.penaltyWeights`).
    public let penaltyWeights: [Double]?

    public var rows: Int { data.rows }
    public var dimension: Int { data.cols }
    /// How many one-hot groups are read through their level index.
    public var indicatorGroupCount: Int { data.groupTerms.count }

    /// Rows per block: the unit of parallel work and of the fixed summation order.
    public static let blockRows = 8192
    /// Blocks run together before their sums are added.
    static let batchBlocks = 32

    public init(data: EncodedRows, y: [Double], weights: [Double], lambda: Double, penaltyWeights: [Double]? = nil) {
        precondition(y.count == data.rows && weights.count == data.rows,
                     "LogisticObjective: X has \(data.rows) rows, y \(y.count), weights \(weights.count)")
        precondition(lambda >= 0, "LogisticObjective: lambda must be ≥ 0, got \(lambda)")
        precondition(penaltyWeights.map { $0.count == data.cols - 1 && $0.allSatisfy { $0 >= 0 } } ?? true,
                     "LogisticObjective: need one penalty weight ≥ 0 per non-intercept term")
        self.data = data
        self.y = y
        self.weights = weights
        self.lambda = lambda
        self.penaltyWeights = penaltyWeights
    }

    /// The L2 strength on term j (not the intercept): λ times its weight.
    @inline(__always)
    public func penalty(term j: Int) -> Double { penaltyWeights.map { lambda * $0[j] } ?? lambda }

    /// X as a dense matrix; `indicatorGroups` that are one-hot in it are read through a level index
    /// (`EncodedRows(matrix:indicatorGroups:)`), the others as dense columns: the same result.
    public init(x: Matrix, y: [Double], weights: [Double], lambda: Double, indicatorGroups: [[Int]] = []) {
        self.init(data: EncodedRows(matrix: x, indicatorGroups: indicatorGroups), y: y, weights: weights, lambda: lambda)
    }

    private var blocks: Int { (rows + LogisticObjective.blockRows - 1) / LogisticObjective.blockRows }
    private func blockRange(_ b: Int) -> Range<Int> {
        let s = b * LogisticObjective.blockRows
        return s..<min(rows, s + LogisticObjective.blockRows)
    }

    /// η = X β.
    public func linearPredictor(_ beta: [Double]) -> [Double] { evaluate(beta).eta }

    /// η = X β and f(β) in one pass over the rows (the line search needs both).
    public func evaluate(_ beta: [Double]) -> (eta: [Double], value: Double) {
        precondition(beta.count == dimension, "evaluate: β has \(beta.count) values, X has \(dimension) columns")
        let out = SharedDoubles(count: rows)
        let losses = ParallelMap.run(blocks, threads: ScoringThreads.default) { b in
            let range = blockRange(b)
            let eta = out.pointer + range.lowerBound
            beta.withUnsafeBufferPointer { data.combination($0, mask: nil, rows: range, into: eta) }
            return loss(range, eta: UnsafeBufferPointer(start: eta, count: range.count))
        }
        return (out.array(), losses.reduce(0, +) + penalty(beta))
    }

    /// Σ over the block of wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ], `eta` holding the block's η.
    private func loss(_ range: Range<Int>, eta: UnsafeBufferPointer<Double>) -> Double {
        var loss = 0.0
        for (i, row) in range.enumerated() {
            loss += weights[row] * (StableMath.log1pexp(eta[i]) - y[row] * eta[i])
        }
        return loss
    }

    private func penalty(_ beta: [Double]) -> Double {
        var sum = 0.0
        if penaltyWeights == nil {
            for j in 0..<(dimension - 1) { sum += beta[j] * beta[j] }
            return 0.5 * lambda * sum
        }
        for j in 0..<(dimension - 1) { sum += penalty(term: j) * beta[j] * beta[j] }
        return 0.5 * sum
    }

    /// f(β) given η = X β.
    public func value(_ beta: [Double], eta: [Double]) -> Double {
        let parts = ParallelMap.run(blocks, threads: ScoringThreads.default) { b in
            let range = blockRange(b)
            return eta.withUnsafeBufferPointer { loss(range, eta: UnsafeBufferPointer(rebasing: $0[range])) }
        }
        return parts.reduce(0, +) + penalty(beta)
    }

    /// ∇f(β) given η.
    public func gradient(_ beta: [Double], eta: [Double]) -> [Double] {
        accumulate(beta, eta: eta, hessian: false).gradient
    }

    /// ∇²f(β) given η, full symmetric matrix.
    public func hessian(eta: [Double]) -> Matrix {
        gradientAndHessian(nil, eta: eta).hessian
    }

    /// ∇f(β) and ∇²f(β) in one pass over the rows. Pass `beta` = nil to skip the penalty's part of
    /// the gradient (the gradient returned is then that of the loss alone).
    public func gradientAndHessian(_ beta: [Double]?, eta: [Double]) -> (gradient: [Double], hessian: Matrix) {
        let r = accumulate(beta, eta: eta, hessian: true)
        return (r.gradient, r.hessian!)
    }

    /// Partial sums of one block: the gradient and, when asked, XᵀWX with every unordered pair of
    /// columns added once at (a, b) or (b, a); the full matrix is M + Mᵀ off the diagonal.
    private struct Partial: Sendable {
        var gradient: [Double]
        var pairs: [Double]
    }

    /// Columns the blocks sum into: the logical ones, then one per bin of every step function.
    private var summedColumns: Int { dimension + data.stepTables.reduce(0) { $0 + $1.states } }

    /// The summed column of each step function's first bin (its bins follow it).
    private var firstBinColumns: [Int] {
        var first: [Int] = [], at = dimension
        for table in data.stepTables { first.append(at); at += table.states }
        return first
    }

    private func accumulate(_ beta: [Double]?, eta: [Double], hessian: Bool) -> (gradient: [Double], hessian: Matrix?) {
        let k = summedColumns
        var g = [Double](repeating: 0, count: k)
        var m = [Double](repeating: 0, count: hessian ? k * k : 0)
        // Blocks in batches, so at most `batchBlocks` k × k partial sums are held at once (years of
        // leads with hundreds of terms would otherwise hold one per block), added in block order.
        var first = 0
        while first < blocks {
            let count = min(LogisticObjective.batchBlocks, blocks - first)
            let start = first
            let parts = ParallelMap.run(count, threads: ScoringThreads.default) { b in
                block(blockRange(start + b), eta: eta, hessian: hessian)
            }
            for part in parts {
                for j in 0..<k { g[j] += part.gradient[j] }
                if hessian { for j in 0..<(k * k) { m[j] += part.pairs[j] } }
            }
            first += count
        }
        var h: Matrix?
        if hessian {
            var full = Matrix(rows: k, cols: k)
            for a in 0..<k {
                full[a, a] = m[a + a * k]
                for c in (a + 1)..<max(a + 1, k) {
                    let v = m[a + c * k] + m[c + a * k]
                    full[a, c] = v
                    full[c, a] = v
                }
            }
            h = full
        }
        if k > dimension { (g, h) = fromBins(gradient: g, hessian: h) }
        let p = dimension
        if let beta { for j in 0..<(p - 1) { g[j] += penalty(term: j) * beta[j] } }
        guard var h else { return (g, nil) }
        for j in 0..<(p - 1) { h[j, j] += penalty(term: j) }
        return (g, h)
    }

    /// The gradient and XᵀWX over the logical columns from the sums over the logical columns and
    /// the step functions' bins (`summedColumns`): a step term's entry is the bins' entries
    /// weighted by its values in them (`StepTable`), Sᵀ g and Sᵀ H S.
    private func fromBins(gradient gv: [Double], hessian hv: Matrix?) -> ([Double], Matrix?) {
        let p = dimension, kv = summedColumns
        let tables = data.stepTables
        let first = firstBinColumns
        var g = Array(gv[0..<p])
        for (s, table) in tables.enumerated() {
            for (j, t) in table.terms.enumerated() {
                var sum = 0.0
                for z in 0..<table.states { sum += table.value(bin: z, term: j) * gv[first[s] + z] }
                g[t] = sum
            }
        }
        guard let hv else { return (g, nil) }
        // A = hv S for every summed row and every step term (column-major, kv × step terms); each
        // entry summed over the bins in order.
        let stepTerms = tables.flatMap(\.terms)
        let st = stepTerms.count
        var a = [Double](repeating: 0, count: kv * st)
        var h = [Double](repeating: 0, count: p * p)
        hv.storage.withUnsafeBufferPointer { hv in
            a.withUnsafeMutableBufferPointer { a in
                var col = 0
                for (s, table) in tables.enumerated() {
                    for j in table.terms.indices {
                        let out = a.baseAddress! + col * kv
                        for z in 0..<table.states {
                            let v = table.value(bin: z, term: j)
                            let from = hv.baseAddress! + (first[s] + z) * kv
                            for r in 0..<kv { out[r] += from[r] * v }
                        }
                        col += 1
                    }
                }
            }
            h.withUnsafeMutableBufferPointer { h in
                for c in 0..<p { (h.baseAddress! + c * p).update(from: hv.baseAddress! + c * kv, count: p) }
            }
        }
        a.withUnsafeBufferPointer { a in
            h.withUnsafeMutableBufferPointer { h in
                let h = h.baseAddress!
                var col = 0
                for table in tables {
                    for t in table.terms {
                        let from = a.baseAddress! + col * kv
                        for r in 0..<p where data.stepOf[r] < 0 {
                            h[r + t * p] = from[r]
                            h[t + r * p] = from[r]
                        }
                        col += 1
                    }
                }
                // The step × step block: Sᵀ A.
                for (s, table) in tables.enumerated() {
                    for (j, t) in table.terms.enumerated() {
                        for (c, u) in stepTerms.enumerated() {
                            let from = a.baseAddress! + c * kv + first[s]
                            var sum = 0.0
                            for z in 0..<table.states { sum += table.value(bin: z, term: j) * from[z] }
                            h[t + u * p] = sum
                        }
                    }
                }
            }
        }
        return (g, Matrix(rows: p, cols: p, columnMajor: h))
    }

    private func block(_ range: Range<Int>, eta: [Double], hessian: Bool) -> Partial {
        let k = summedColumns
        let n = rows
        let m = range.count
        let s = range.lowerBound
        let dense = data.denseTerms
        let d = dense.count
        let levelGroups = data.groupTerms.count
        // Step functions are summed as further groups whose levels are their bins.
        let binBase = firstBinColumns
        let groups = levelGroups + binBase.count
        var g = [Double](repeating: 0, count: k)
        var pairs = [Double](repeating: 0, count: hessian ? k * k : 0)
        var curvature = [Double](repeating: 0, count: m)
        var residual = [Double](repeating: 0, count: m)
        // Row-major weighted dense values, for the (level, dense) pairs.
        var weightedRows = [Double](repeating: 0, count: hessian && groups > 0 ? m * d : 0)
        var weightedColumn = [Double](repeating: 0, count: hessian ? m : 0)
        // cross[t * d + a]: Σ w x_a over the rows at level t.
        var cross = [Double](repeating: 0, count: hessian && groups > 0 ? k * d : 0)
        var rowLevels = [Int](repeating: -1, count: groups)
        data.dense.storage.withUnsafeBufferPointer { xs in
        data.levels.withUnsafeBufferPointer { lv in
        data.steps.withUnsafeBufferPointer { bins in
        g.withUnsafeMutableBufferPointer { g in
        pairs.withUnsafeMutableBufferPointer { pairs in
        curvature.withUnsafeMutableBufferPointer { curvature in
        residual.withUnsafeMutableBufferPointer { residual in
        weightedRows.withUnsafeMutableBufferPointer { weightedRows in
        weightedColumn.withUnsafeMutableBufferPointer { weightedColumn in
        cross.withUnsafeMutableBufferPointer { cross in
        rowLevels.withUnsafeMutableBufferPointer { rowLevels in
            eta.withUnsafeBufferPointer { eta in
                y.withUnsafeBufferPointer { y in
                    weights.withUnsafeBufferPointer { weights in
                        for i in 0..<m {
                            let p = StableMath.sigmoid(eta[s + i])
                            let w = weights[s + i]
                            curvature[i] = w * p * (1 - p)
                            residual[i] = w * (p - y[s + i])
                        }
                    }
                }
            }
            for (a, ca) in dense.enumerated() {
                let xa = xs.baseAddress! + a * n + s
                g[ca] += dot(residual.baseAddress!, xa, m)
                guard hessian else { continue }
                for i in 0..<m { weightedColumn[i] = curvature[i] * xa[i] }
                for bIndex in 0...a {
                    let xb = xs.baseAddress! + bIndex * n + s
                    pairs[ca + dense[bIndex] * k] += dot(weightedColumn.baseAddress!, xb, m)
                }
            }
            guard groups > 0 else { return }
            if hessian && d > 0 {
                // The same products as `weightedColumn`, row by row: stores in order (written a
                // column at a time, each store was d doubles from the last, and missed the cache).
                let x0 = xs.baseAddress! + s
                for i in 0..<m {
                    let w = curvature[i]
                    let row = weightedRows.baseAddress! + i * d
                    for a in 0..<d { row[a] = w * x0[a * n + i] }
                }
            }
            let base = lv.baseAddress.map { $0 + s }
            let binRows = bins.baseAddress.map { $0 + s }
            for i in 0..<m {
                for q in 0..<levelGroups { rowLevels[q] = Int(base![q * n + i]) }
                for (b, first) in binBase.enumerated() {
                    let z = Int(binRows![b * n + i])
                    rowLevels[levelGroups + b] = z < 0 ? -1 : first + z
                }
                let r = residual[i]
                let w = curvature[i]
                for q in 0..<groups {
                    let t = rowLevels[q]
                    if t < 0 { continue }
                    g[t] += r
                    guard hessian else { continue }
                    pairs[t + t * k] += w
                    let row = weightedRows.baseAddress! + i * d
                    let into = cross.baseAddress! + t * d
                    for a in 0..<d { into[a] += row[a] }
                    for q2 in 0..<q {
                        let t2 = rowLevels[q2]
                        if t2 >= 0 { pairs[t2 + t * k] += w }
                    }
                }
            }
            if hessian {
                for t in 0..<k {
                    for (a, ca) in dense.enumerated() { pairs[ca + t * k] += cross[t * d + a] }
                }
            }
        }}}}}}}}}}}
        return Partial(gradient: g, pairs: pairs)
    }
}

/// Σ aᵢ bᵢ over n values with sixteen running sums (a single sum waits on each addition; these
/// overlap), added in a fixed order: the same result on every run.
@inline(__always)
func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
    var i = 0
    while i + 16 <= n {
        s0 += SIMD4(a[i], a[i + 1], a[i + 2], a[i + 3]) * SIMD4(b[i], b[i + 1], b[i + 2], b[i + 3])
        s1 += SIMD4(a[i + 4], a[i + 5], a[i + 6], a[i + 7]) * SIMD4(b[i + 4], b[i + 5], b[i + 6], b[i + 7])
        s2 += SIMD4(a[i + 8], a[i + 9], a[i + 10], a[i + 11]) * SIMD4(b[i + 8], b[i + 9], b[i + 10], b[i + 11])
        s3 += SIMD4(a[i + 12], a[i + 13], a[i + 14], a[i + 15]) * SIMD4(b[i + 12], b[i + 13], b[i + 14], b[i + 15])
        i += 16
    }
    var tail = 0.0
    while i < n { tail += a[i] * b[i]; i += 1 }
    return ((s0 + s1) + (s2 + s3)).sum() + tail
}

/// A buffer that parallel blocks fill at disjoint offsets.
final class SharedDoubles: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: count)
    }
    func array() -> [Double] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    deinit { pointer.deallocate() }
}
