/// A dense column-major matrix of `Double`, the layout BLAS and LAPACK expect.
///
/// Element (i, j) lives at `storage[i + j * rows]`.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public var storage: [Double]

    /// A `rows` × `cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative, got \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = Array(repeating: value, count: rows * cols)
    }

    /// A `rows` × `cols` matrix whose entries the caller must write before reading any of them (the
    /// parallel encoder zeroes and fills disjoint row ranges on several threads, so no single thread
    /// has to touch the whole matrix first). For trivial `Double` storage only.
    public init(rowsToBeWritten rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative, got \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [Double](unsafeUninitializedCapacity: rows * cols) { _, count in count = rows * cols }
    }

    /// A matrix from column-major storage.
    public init(rows: Int, cols: Int, columnMajor storage: [Double]) {
        precondition(storage.count == rows * cols,
                     "Matrix storage holds \(storage.count) values, \(rows)×\(cols) needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from an array of rows (convenient in tests).
    public init(rowMajor values: [[Double]]) {
        let r = values.count
        let c = values.first?.count ?? 0
        var m = Matrix(rows: r, cols: c)
        for i in 0..<r {
            precondition(values[i].count == c, "Row \(i) has \(values[i].count) values, expected \(c)")
            for j in 0..<c { m[i, j] = values[i][j] }
        }
        self = m
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] {
        Array(storage[(j * rows)..<((j + 1) * rows)])
    }

    /// The diagonal of a square matrix.
    public var diagonal: [Double] {
        precondition(rows == cols, "diagonal needs a square matrix, got \(rows)×\(cols)")
        return (0..<rows).map { self[$0, $0] }
    }

    /// Copies the upper triangle into the lower one (after SYRK/POTRI, which fill only one triangle).
    public mutating func symmetrizeFromUpper() {
        precondition(rows == cols, "symmetrize needs a square matrix")
        for j in 0..<cols {
            for i in (j + 1)..<max(j + 1, rows) { self[i, j] = self[j, i] }
        }
    }
}
