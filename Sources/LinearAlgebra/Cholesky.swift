internal import CLAPACKE
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The Cholesky factor U of a symmetric positive-definite matrix, A = UᵀU (`dpotrf`, upper).
///
/// Used for Newton steps (`solve`) and for the inverse Hessian that gives standard errors (`inverse`).
public struct Cholesky: Sendable {
    /// The factor in the upper triangle; the strict lower triangle holds leftovers of A.
    public let factor: Matrix

    /// Factors `a` (only its upper triangle is read).
    /// - Throws: `LinearAlgebraError.notPositiveDefinite` when a pivot is not positive.
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        precondition(a.rows == a.cols, "Cholesky needs a square matrix, got \(a.rows)×\(a.cols)")
        var f = a
        let n = a.rows
        if n > 0 {
            let info = f.storage.withUnsafeMutableBufferPointer { p in
                LAPACKE_dpotrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), p.baseAddress, Int32(n))
            }
            if info > 0 { throw .notPositiveDefinite(order: Int(info)) }
            if info < 0 { throw .illegalArgument(routine: "dpotrf", position: Int(-info)) }
        }
        factor = f
    }

    /// Solves A · x = b (`dpotrs`).
    public func solve(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        let n = factor.rows
        precondition(b.count == n, "Cholesky.solve: b has \(b.count) values, A is \(n)×\(n)")
        guard n > 0 else { return [] }
        var x = b
        let info = factor.storage.withUnsafeBufferPointer { fp in
            x.withUnsafeMutableBufferPointer { xp in
                LAPACKE_dpotrs(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), 1,
                               fp.baseAddress, Int32(n), xp.baseAddress, Int32(n))
            }
        }
        if info < 0 { throw .illegalArgument(routine: "dpotrs", position: Int(-info)) }
        return x
    }

    /// A⁻¹ from the factor (`dpotri`), both triangles filled.
    public func inverse() throws(LinearAlgebraError) -> Matrix {
        var inv = factor
        let n = factor.rows
        guard n > 0 else { return inv }
        let info = inv.storage.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotri(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), p.baseAddress, Int32(n))
        }
        if info > 0 { throw .singular(routine: "dpotri", index: Int(info)) }
        if info < 0 { throw .illegalArgument(routine: "dpotri", position: Int(-info)) }
        inv.symmetrizeFromUpper()
        return inv
    }

    /// log det A = 2 Σ log Uᵢᵢ.
    public var logDeterminant: Double {
        var s = 0.0
        for i in 0..<factor.rows { s += 2 * log(factor[i, i]) }
        return s
    }
}


/// Numerical rank of a symmetric positive semi-definite matrix by Cholesky with complete pivoting
/// (`dpstrf`), and the terms found dependent on the others.
public struct PivotedRank: Sendable {
    public let rank: Int
    /// 0-based indices of the columns beyond the rank: each is (numerically) a linear combination
    /// of the columns that precede it in pivot order.
    public let dependent: [Int]

    /// - Parameter tolerance: pivots below it count as zero; LAPACK's default (n · ε · max pivot) when nil.
    public init(_ a: Matrix, tolerance: Double? = nil) throws(LinearAlgebraError) {
        precondition(a.rows == a.cols, "PivotedRank needs a square matrix")
        let n = a.rows
        guard n > 0 else { rank = 0; dependent = []; return }
        var f = a
        var piv = [Int32](repeating: 0, count: n)
        var r: Int32 = 0
        let info = f.storage.withUnsafeMutableBufferPointer { p in
            piv.withUnsafeMutableBufferPointer { pp in
                LAPACKE_dpstrf(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "U")), Int32(n), p.baseAddress, Int32(n),
                               pp.baseAddress, &r, tolerance ?? -1)
            }
        }
        if info < 0 { throw .illegalArgument(routine: "dpstrf", position: Int(-info)) }
        rank = Int(r)
        dependent = piv[Int(r)...].map { Int($0) - 1 }.sorted()
    }
}
