import Foundation
import LinearAlgebra

/// Warnings about the training design that the fit itself cannot give: columns that nearly determine
/// each other (collinearity), and columns that alone predict the outcome suspiciously well (leakage).
///
/// **Collinearity.** From the correlation matrix R of the terms (intercept left out, constant terms
/// ignored), each column gets its generalized variance-inflation factor (Fox & Monette 1992),
/// GVIF = det R_CC · det R_OO / det R (C its terms, O all others): for a one-term column it is the
/// usual VIF 1/(1 − R²), and GVIF^(1/df) puts columns of several terms (levels, spline bases) on the
/// same footing. A column is *collinear* when GVIF^(1/df) ≥ `vifLimit` (10, the common rule of thumb:
/// 90% of its variance is explained by the others). Collinear columns are grouped when a pair of
/// their terms correlates at |r| ≥ `pairLimit` or has a partial correlation (given every other term)
/// of at least `partialLimit`: the group is what the summary names and what `explain` shows on one
/// line. The condition number of the standardized design, √(λmax/λmin) of R, is reported beside
/// them (Belsley: above 30, near-dependencies degrade the estimates).
///
/// **Leakage.** A column's own AUC: each training row scored by the positive rate of its level (a
/// numeric column: of its twentieth by the first term's value), in sample. At or above `leakAUC`
/// (0.95) a column separates the outcomes almost perfectly by itself — a value sales enters after the
/// fact, like X Education's `Tags` — and is flagged as a possible leak; from `strongAUC` (0.90) it is
/// named as strong enough to check. Measured: X Education's Tags 0.923, bank marketing's duration
/// 0.818 (no single-column figure tells duration from pdays' 0.776: when a value becomes known is not
/// in the data).
///
/// Above `sampleRows` training rows both run on a seeded sample of that many rows (correlations and
/// AUCs to about ±0.005, far inside the thresholds' margins).
public struct DesignDiagnostics: Sendable {
    /// One input column and its terms (logical columns of the encoded rows).
    public struct Column: Sendable {
        public var name: String
        public var terms: [Int]
        /// Levels (one row's key is its level) rather than numbers (binned into twentieths).
        public var categorical: Bool
        public init(name: String, terms: [Int], categorical: Bool) {
            self.name = name
            self.terms = terms
            self.categorical = categorical
        }
    }

    public struct CollinearGroup: Sendable, Equatable, Codable {
        /// Column names, in design order.
        public var columns: [String]
        /// GVIF^(1/df) of each, in the same order.
        public var inflation: [Double]
    }

    public struct Leak: Sendable, Equatable, Codable {
        public var column: String
        public var auc: Double
        /// ≥ `leakAUC`: possible leak; otherwise only strong.
        public var possibleLeak: Bool
        enum CodingKeys: String, CodingKey {
            case column, auc
            case possibleLeak = "possible_leak"
        }
    }

    public var inflation: [String: Double] = [:]
    public var groups: [CollinearGroup] = []
    public var conditionNumber: Double?
    public var leaks: [Leak] = []

    public static let vifLimit = 10.0
    public static let pairLimit = 0.8
    public static let partialLimit = 0.5
    public static let leakAUC = 0.95
    public static let strongAUC = 0.90
    public static let sampleRows = 50_000

    public init() {}

    /// Runs both checks on the training rows.
    public static func run(data full: EncodedRows, y fullY: [Double], columns: [Column], seed: UInt64 = 42) -> DesignDiagnostics {
        var data = full
        var y = fullY
        if full.rows > sampleRows {
            let sample = LambdaSearch.stratifiedSample(y: fullY, count: sampleRows, seed: seed)
            data = full.selecting(sample)
            y = sample.map { fullY[$0] }
        }
        var out = DesignDiagnostics()
        out.collinearity(data: data, columns: columns)
        out.leaks = leakage(data: data, y: y, columns: columns)
        return out
    }

    // MARK: - Collinearity

    mutating func collinearity(data: EncodedRows, columns: [Column]) {
        let n = data.rows
        guard n > 2 else { return }
        // XᵀX from the objective's Hessian at η = 0 with unit weights (¼ XᵀX): one pass, the same code
        // the fit uses for one-hot groups.
        let objective = LogisticObjective(data: data, y: [Double](repeating: 0, count: n),
                                          weights: [Double](repeating: 4, count: n), lambda: 0)
        let gram = objective.hessian(eta: [Double](repeating: 0, count: n))
        let k = data.cols - 1
        let intercept = data.cols - 1
        let mean = (0..<k).map { gram[$0, intercept] / Double(n) }
        var sd = [Double](repeating: 0, count: k)
        for j in 0..<k { sd[j] = max(0, gram[j, j] / Double(n) - mean[j] * mean[j]).squareRoot() }
        // Terms that vary, and the columns that own them.
        let owner: [Int: Int] = Dictionary(columns.enumerated().flatMap { c, col in col.terms.map { ($0, c) } },
                                           uniquingKeysWith: { a, _ in a })
        let live = (0..<k).filter { sd[$0] > 1e-12 * max(1, abs(mean[$0])) && owner[$0] != nil }
        guard live.count >= 2 else { return }
        let m = live.count
        var r = Matrix(rows: m, cols: m)
        for (a, ta) in live.enumerated() {
            for (b, tb) in live.enumerated() where b >= a {
                let cov = gram[ta, tb] / Double(n) - mean[ta] * mean[tb]
                let v = a == b ? 1 : cov / (sd[ta] * sd[tb])
                r[a, b] = v
                r[b, a] = v
            }
        }
        // A ridge of 1e-10 keeps exactly dependent designs factorable (their GVIF is then ~1e10:
        // flagged, as it should be; the exact case also gets the fit's own "collinear" notice).
        for j in 0..<m { r[j, j] += 1e-10 }
        guard let whole = try? Cholesky(r) else { return }
        let logDetR = whole.logDeterminant
        var termsOf: [Int: [Int]] = [:]
        for (a, t) in live.enumerated() { termsOf[owner[t]!, default: []].append(a) }
        var flagged: [Int] = []
        for (c, members) in termsOf.sorted(by: { $0.key < $1.key }) where members.count < m {
            let others = (0..<m).filter { !members.contains($0) }
            guard let inside = try? Cholesky(r.submatrix(members)), let outside = try? Cholesky(r.submatrix(others)) else { continue }
            let logGVIF = inside.logDeterminant + outside.logDeterminant - logDetR
            let perDF = exp(logGVIF / Double(members.count))
            inflation[columns[c].name] = perDF
            if perDF >= DesignDiagnostics.vifLimit { flagged.append(c) }
        }
        conditionNumber = DesignDiagnostics.conditionNumber(r, cholesky: whole)
        guard flagged.count >= 2, let precision = try? whole.inverse() else { return }
        // Union-find over the flagged columns joined by a strong pair of terms.
        var parent = Dictionary(uniqueKeysWithValues: flagged.map { ($0, $0) })
        func root(_ c: Int) -> Int { var c = c; while parent[c]! != c { c = parent[c]! }; return c }
        for (i, a) in flagged.enumerated() {
            for b in flagged[(i + 1)...] {
                var joined = false
                for ta in termsOf[a]! {
                    for tb in termsOf[b]! {
                        let partial = -precision[ta, tb] / (precision[ta, ta] * precision[tb, tb]).squareRoot()
                        if abs(r[ta, tb]) >= DesignDiagnostics.pairLimit || abs(partial) >= DesignDiagnostics.partialLimit {
                            joined = true
                        }
                    }
                }
                if joined { parent[root(b)] = root(a) }
            }
        }
        var members: [Int: [Int]] = [:]
        for c in flagged { members[root(c), default: []].append(c) }
        groups = members.values.filter { $0.count >= 2 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }.map { cols in
            CollinearGroup(columns: cols.map { columns[$0].name }, inflation: cols.map { inflation[columns[$0].name]! })
        }
    }

    /// √(λmax / λmin) of a correlation matrix: λmax by power iteration, λmin by inverse iteration
    /// through the Cholesky factor (60 steps each: ample for a ratio reported to two digits).
    static func conditionNumber(_ r: Matrix, cholesky: Cholesky) -> Double? {
        let m = r.rows
        func normalize(_ v: inout [Double]) -> Double {
            let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if s > 0 { for i in v.indices { v[i] /= s } }
            return s
        }
        var v = (0..<m).map { 1 + Double($0 % 7) / 10 }
        _ = normalize(&v)
        var largest = 0.0
        for _ in 0..<60 {
            v = r.times(v)
            largest = normalize(&v)
        }
        var u = (0..<m).map { 1 + Double(($0 * 3) % 5) / 10 }
        _ = normalize(&u)
        var inverseLargest = 0.0
        for _ in 0..<60 {
            guard let next = try? cholesky.solve(u) else { return nil }
            u = next
            inverseLargest = normalize(&u)
        }
        guard largest > 0, inverseLargest > 0 else { return nil }
        return (largest * inverseLargest).squareRoot()
    }

    // MARK: - Leakage

    static func leakage(data: EncodedRows, y: [Double], columns: [Column]) -> [Leak] {
        let n = data.rows
        guard n > 0 else { return [] }
        var out: [Leak] = []
        for col in columns where !col.terms.isEmpty {
            var key = [Int](repeating: 0, count: n)
            if col.categorical {
                // Every term of the column is a 0/1 level indicator: the key is the level (0 = reference).
                key = data.levelKeys(col.terms).map { Int($0) }
            } else {
                let x = data.column(col.terms[0])
                let sorted = x.sorted()
                // Twentieths by value; equal values share a bin.
                let cuts = (1..<20).map { sorted[min(n - 1, $0 * n / 20)] }
                for i in 0..<n { key[i] = QuantileBins.bin(of: x[i], cuts: cuts) }
            }
            var count: [Int: Double] = [:], positive: [Int: Double] = [:]
            for i in 0..<n { count[key[i], default: 0] += 1; positive[key[i], default: 0] += y[i] }
            let score = (0..<n).map { positive[key[$0]]! / count[key[$0]]! }
            guard let auc = ClassificationMetrics.rocAUC(score, y), auc >= strongAUC else { continue }
            out.append(Leak(column: col.name, auc: auc, possibleLeak: auc >= leakAUC))
        }
        return out.sorted { $0.auc > $1.auc }
    }

    // MARK: - Words

    /// The train summary's lines (notices).
    public var notices: [String] {
        var lines: [String] = []
        for g in groups {
            let list = zip(g.columns, g.inflation).map { "'\($0)' (\(String(format: "%.0f", $1)))" }.joined(separator: ", ")
            lines.append("collinear group: \(list) nearly determine each other (variance inflation ≥ \(Int(DesignDiagnostics.vifLimit)) in brackets); their separate effects are poorly determined, so explain shows them together on one line")
        }
        if let kappa = conditionNumber, kappa >= 30 {
            lines.append("condition number of the standardized design: \(String(format: "%.0f", kappa)) (above 30: some columns nearly determine others)")
        }
        for leak in leaks {
            if leak.possibleLeak {
                lines.append("possible leak: column '\(leak.column)' alone separates the outcomes almost perfectly (AUC \(String(format: "%.3f", leak.auc)) by itself); if it is filled in after the outcome is known (by sales, after the call), exclude it with --exclude")
            } else {
                lines.append("strong column: '\(leak.column)' alone reaches AUC \(String(format: "%.3f", leak.auc)); make sure it is known when a lead is scored")
            }
        }
        return lines
    }
}

extension EncodedRows {
    /// For each row, 1 + the position in `terms` of the level indicator that is 1 (0 when none is):
    /// read from the level indices when the terms are one one-hot group, else column by column.
    func levelKeys(_ terms: [Int]) -> [Int32] {
        var key = [Int32](repeating: 0, count: rows)
        guard let first = terms.first else { return key }
        let q = groupOf[first]
        if q >= 0 && terms.allSatisfy({ groupOf[$0] == q }) {
            var position = [Int32](repeating: 0, count: cols)
            for (p, t) in terms.enumerated() { position[t] = Int32(p + 1) }
            levels.withUnsafeBufferPointer { lv in
                let base = lv.baseAddress! + q * rows
                for i in 0..<rows where base[i] >= 0 { key[i] = position[Int(base[i])] }
            }
            return key
        }
        for (p, t) in terms.enumerated() {
            let x = column(t)
            for i in 0..<rows where x[i] != 0 { key[i] = Int32(p + 1) }
        }
        return key
    }
}

extension Matrix {
    /// The square submatrix on `indices` (rows and columns).
    func submatrix(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, cols: indices.count)
        for (b, j) in indices.enumerated() { for (a, i) in indices.enumerated() { out[a, b] = self[i, j] } }
        return out
    }
}
