import Testing
@testable import LinearAlgebra

@Suite struct CholeskyTests {
    let a = Matrix(rowMajor: [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]])

    @Test func solveRecoversKnownSolution() throws {
        let x = [1.0, -2.0, 0.5]
        let b = a.times(x)
        let solved = try Cholesky(a).solve(b)
        for i in 0..<3 { #expect(abs(solved[i] - x[i]) < 1e-12) }
    }

    @Test func inverseTimesMatrixIsIdentity() throws {
        let inv = try Cholesky(a).inverse()
        let product = multiply(a, inv)
        for i in 0..<3 {
            for j in 0..<3 { #expect(abs(product[i, j] - (i == j ? 1 : 0)) < 1e-12) }
        }
    }

    @Test func notPositiveDefiniteIsATypedError() {
        let bad = Matrix(rowMajor: [[1, 2], [2, 1]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) { try Cholesky(bad) }
    }

    @Test func logDeterminantMatchesProductOfEigenvaluesFor2x2() throws {
        let m = Matrix(rowMajor: [[3, 1], [1, 2]])
        let expected = 5.0  // 3·2 − 1·1
        #expect(abs(try Cholesky(m).logDeterminant - expected.logValue) < 1e-12)
    }
}

extension Double {
    var logValue: Double {
        // ln via the series-free identity ln(x) = 2 atanh((x−1)/(x+1)), enough for a test oracle.
        let y = (self - 1) / (self + 1)
        var term = y, sum = 0.0, k = 1.0
        for _ in 0..<200 { sum += term / k; term *= y * y; k += 2 }
        return 2 * sum
    }
}

@Suite struct BLASTests {
    @Test func gramUpdateMatchesNaiveProduct() {
        // 7×3 matrix with distinct entries.
        var x = Matrix(rows: 7, cols: 3)
        for i in 0..<7 { for j in 0..<3 { x[i, j] = Double((i + 1) * (j + 2) % 5) - 1.5 + Double(j) * 0.25 } }
        var g = Matrix(rows: 3, cols: 3)
        x.storage.withUnsafeBufferPointer { gramUpdate($0, rows: 7, cols: 3, lda: 7, into: &g, alpha: 1, beta: 0) }
        g.symmetrizeFromUpper()
        for a in 0..<3 {
            for b in 0..<3 {
                var s = 0.0
                for i in 0..<7 { s += x[i, a] * x[i, b] }
                #expect(abs(g[a, b] - s) < 1e-12)
            }
        }
    }

    @Test func matrixVectorProductsAgreeWithLoops() {
        let m = Matrix(rowMajor: [[1, 2, 3], [4, 5, 6]])
        #expect(m.times([1, 0, -1]) == [-2, -2])
        #expect(m.transposeTimes([1, 1]) == [5, 7, 9])
    }

    @Test func pivotedRankFindsTheDuplicateColumn() throws {
        // Columns 0 and 2 identical: rank 2 of 3.
        let x = Matrix(rowMajor: [[1, 0, 1], [0, 1, 0], [1, 1, 1], [0, 0, 0], [1, 2, 1]])
        var g = Matrix(rows: 3, cols: 3)
        x.storage.withUnsafeBufferPointer { gramUpdate($0, rows: 5, cols: 3, lda: 5, into: &g, alpha: 1, beta: 0) }
        g.symmetrizeFromUpper()
        let r = try PivotedRank(g, tolerance: 1e-10)
        #expect(r.rank == 2)
        #expect(r.dependent.count == 1)
        #expect([0, 2].contains(r.dependent[0]))
    }
}
