internal import CLAPACKE
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Level 2

/// y ← alpha · A · x + beta · y  (`dgemv`, no transpose).
///
/// `a` is column-major with leading dimension `lda` (≥ rows); rows and columns are the logical shape.
public func multiply(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, lda: Int,
    _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>,
    alpha: Double = 1, beta: Double = 0
) {
    precondition(x.count >= cols, "multiply: x has \(x.count) values, A has \(cols) columns")
    precondition(y.count >= rows, "multiply: y has \(y.count) values, A has \(rows) rows")
    precondition(lda >= max(1, rows), "multiply: lda \(lda) < rows \(rows)")
    guard rows > 0 else { return }
    if cols == 0 {
        for i in 0..<rows { y[i] *= beta }
        return
    }
    cblas_dgemv(CblasColMajor, CblasNoTrans, Int32(rows), Int32(cols), alpha,
                a.baseAddress, Int32(lda), x.baseAddress, 1, beta, y.baseAddress, 1)
}

/// y ← alpha · Aᵀ · x + beta · y  (`dgemv`, transposed).
public func multiplyTransposed(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, lda: Int,
    _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>,
    alpha: Double = 1, beta: Double = 0
) {
    precondition(x.count >= rows, "multiplyTransposed: x has \(x.count) values, A has \(rows) rows")
    precondition(y.count >= cols, "multiplyTransposed: y has \(y.count) values, A has \(cols) columns")
    precondition(lda >= max(1, rows), "multiplyTransposed: lda \(lda) < rows \(rows)")
    guard cols > 0 else { return }
    if rows == 0 {
        for j in 0..<cols { y[j] *= beta }
        return
    }
    cblas_dgemv(CblasColMajor, CblasTrans, Int32(rows), Int32(cols), alpha,
                a.baseAddress, Int32(lda), x.baseAddress, 1, beta, y.baseAddress, 1)
}

extension Matrix {
    /// A · x.
    public func times(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: rows)
        storage.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    multiply(a, rows: rows, cols: cols, lda: max(1, rows), xp, into: yp)
                }
            }
        }
        return y
    }

    /// Aᵀ · x.
    public func transposeTimes(_ x: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: cols)
        storage.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    multiplyTransposed(a, rows: rows, cols: cols, lda: max(1, rows), xp, into: yp)
                }
            }
        }
        return y
    }
}

// MARK: - Level 3

/// C ← alpha · Aᵀ · A + beta · C on the upper triangle of C (`dsyrk`, transposed).
///
/// `a` is a `rows` × `cols` column-major block; `c` is `cols` × `cols`. Only the upper triangle of
/// `c` is written; call `symmetrizeFromUpper()` when the full matrix is needed.
public func gramUpdate(
    _ a: UnsafeBufferPointer<Double>, rows: Int, cols: Int, lda: Int,
    into c: inout Matrix, alpha: Double = 1, beta: Double = 1
) {
    precondition(c.rows == cols && c.cols == cols, "gramUpdate: C is \(c.rows)×\(c.cols), needs \(cols)×\(cols)")
    precondition(lda >= max(1, rows), "gramUpdate: lda \(lda) < rows \(rows)")
    guard cols > 0, rows > 0 else { return }
    c.storage.withUnsafeMutableBufferPointer { cp in
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(cols), Int32(rows), alpha,
                    a.baseAddress, Int32(lda), beta, cp.baseAddress, Int32(cols))
    }
}

/// A · B as a new matrix (`dgemm`, no transposes, alpha 1, beta 0), all column-major.
public func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.cols == b.rows, "multiply: \(a.rows)×\(a.cols) times \(b.rows)×\(b.cols)")
    var c = Matrix(rows: a.rows, cols: b.cols)
    guard a.rows > 0, b.cols > 0, a.cols > 0 else { return c }
    a.storage.withUnsafeBufferPointer { ap in
        b.storage.withUnsafeBufferPointer { bp in
            c.storage.withUnsafeMutableBufferPointer { cp in
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(a.rows), Int32(b.cols), Int32(a.cols),
                            1, ap.baseAddress, Int32(a.rows), bp.baseAddress, Int32(b.rows), 0, cp.baseAddress, Int32(a.rows))
            }
        }
    }
    return c
}

/// Number of threads OpenBLAS uses; set before heavy work (1 keeps results bit-for-bit reproducible
/// across machines with different core counts).
public func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(max(1, n)))
}

/// One OpenBLAS thread unless `OPENBLAS_NUM_THREADS` asks for more. LeadScore's passes over the
/// data run on its own threads; OpenBLAS is left the small factorizations (k × k, k ≈ 60), where
/// its idle workers would only spin against those threads.
///
/// OpenBLAS (pthreads build) starts its workers when the library loads, and an idle worker spins
/// on `sched_yield` until a timeout (about 0.1 s) before it sleeps: measured as 9% of the CPU time of
/// `score` on 1M rows, on a core the scoring threads want. With one BLAS thread they are never
/// used, so they are stopped (OpenBLAS starts them again if a later call asks for more threads).
public func preferOwnThreadsOverBLAS() {
    if getenv("OPENBLAS_NUM_THREADS") == nil {
        setBLASThreads(1)
        _ = idleBLASWorkersStopped
    }
}

/// Stops OpenBLAS's worker threads once per process (`blas_thread_shutdown_`, looked up at run time:
/// serial and OpenMP builds have no such workers, or no such symbol).
private let idleBLASWorkersStopped: Bool = {
    guard let symbol = dlsym(nil, "blas_thread_shutdown_") else { return false }
    typealias Shutdown = @convention(c) () -> Int32
    _ = unsafeBitCast(symbol, to: Shutdown.self)()
    return true
}()
