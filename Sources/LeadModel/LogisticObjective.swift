import LinearAlgebra

/// The penalized, weighted logistic loss over an encoded training matrix.
///
///     f(β) = Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (λ/2) Σ_{j ≠ intercept} βⱼ²,   η = X β
///     ∇f   = Xᵀ (w ∘ (σ(η) − y)) + λ β'
///     ∇²f  = Xᵀ diag(w σ(η)(1 − σ(η))) X + λ I'
///
/// X is column-major, n × k, with the intercept column (all ones) last and unpenalized, as in
/// scikit-learn. With unit weights, λ = 1/C for scikit-learn's `LogisticRegression(C=…)`.
/// The objective holds no hidden state: every method takes the point and returns what it computed.
public struct LogisticObjective: Sendable {
    public let x: Matrix
    public let y: [Double]
    public let weights: [Double]
    public let lambda: Double

    public var rows: Int { x.rows }
    public var dimension: Int { x.cols }

    public init(x: Matrix, y: [Double], weights: [Double], lambda: Double) {
        precondition(y.count == x.rows && weights.count == x.rows,
                     "LogisticObjective: X has \(x.rows) rows, y \(y.count), weights \(weights.count)")
        precondition(lambda >= 0, "LogisticObjective: lambda must be ≥ 0, got \(lambda)")
        self.x = x
        self.y = y
        self.weights = weights
        self.lambda = lambda
    }

    /// η = X β.
    public func linearPredictor(_ beta: [Double]) -> [Double] { x.times(beta) }

    /// f(β) given η = X β.
    public func value(_ beta: [Double], eta: [Double]) -> Double {
        var loss = 0.0
        for i in 0..<rows {
            loss += weights[i] * (StableMath.log1pexp(eta[i]) - y[i] * eta[i])
        }
        var penalty = 0.0
        for j in 0..<(dimension - 1) { penalty += beta[j] * beta[j] }
        return loss + 0.5 * lambda * penalty
    }

    /// ∇f(β) given η.
    public func gradient(_ beta: [Double], eta: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: rows)
        for i in 0..<rows { r[i] = weights[i] * (StableMath.sigmoid(eta[i]) - y[i]) }
        var g = x.transposeTimes(r)
        for j in 0..<(dimension - 1) { g[j] += lambda * beta[j] }
        return g
    }

    /// Rows per block when forming XᵀWX: a block of √W·X fits in cache-friendly scratch and the whole
    /// product is a sum of `dsyrk` updates, so memory stays X plus one block.
    public static let blockRows = 4096

    /// ∇²f(β) given η, full symmetric matrix.
    public func hessian(eta: [Double]) -> Matrix {
        gradientAndHessian(nil, eta: eta).hessian
    }

    /// ∇f(β) and ∇²f(β) in one pass over X: each row block is scaled by √w into scratch for `dsyrk`,
    /// and, while the block is in cache, multiplied by the residuals for the gradient (`dgemv`).
    /// Pass `beta` = nil to skip the gradient.
    public func gradientAndHessian(_ beta: [Double]?, eta: [Double]) -> (gradient: [Double], hessian: Matrix) {
        let k = dimension
        var h = Matrix(rows: k, cols: k)
        var g = [Double](repeating: 0, count: k)
        let n = rows
        let block = min(LogisticObjective.blockRows, max(n, 1))
        var scratch = [Double](repeating: 0, count: block * k)
        var residual = [Double](repeating: 0, count: block)
        var sw = [Double](repeating: 0, count: block)
        var start = 0
        x.storage.withUnsafeBufferPointer { xs in
            while start < n {
                let m = min(block, n - start)
                for i in 0..<m {
                    let p = StableMath.sigmoid(eta[start + i])
                    let w = weights[start + i]
                    sw[i] = (w * p * (1 - p)).squareRoot()
                    residual[i] = w * (p - y[start + i])
                }
                for j in 0..<k {
                    let src = j * n + start
                    let dst = j * m
                    for i in 0..<m { scratch[dst + i] = xs[src + i] * sw[i] }
                }
                scratch.withUnsafeBufferPointer { sp in
                    gramUpdate(sp, rows: m, cols: k, lda: m, into: &h, alpha: 1, beta: 1)
                }
                if beta != nil {
                    residual.withUnsafeBufferPointer { rp in
                        g.withUnsafeMutableBufferPointer { gp in
                            multiplyTransposed(UnsafeBufferPointer(rebasing: xs[start...]), rows: m, cols: k, lda: n,
                                               rp, into: gp, alpha: 1, beta: 1)
                        }
                    }
                }
                start += m
            }
        }
        h.symmetrizeFromUpper()
        for j in 0..<(k - 1) { h[j, j] += lambda }
        if let beta { for j in 0..<(k - 1) { g[j] += lambda * beta[j] } }
        return (g, h)
    }
}
