import Foundation

/// Ranks column pairs by how much an interaction between them could lower the deviance of a fitted
/// main-effects model — a residual screen in the spirit of FAST (Lou et al. 2013, the pair screen of
/// EBM), done on the logistic model's own gradient and curvature instead of boosting residuals.
///
/// Each column is cut into a few cells (its levels, the rarest pooled into one cell past
/// `maxCells`; a number into `maxCells` quantile bins of its first term). For a pair (A, B) the rows
/// of each cell (a, b) give G = Σ w (y − p) and H = Σ w p(1 − p) at the main-effects fit p; one Newton
/// step of a free offset per cell lowers the deviance by about Σ G² / (H + κ). The part the margins
/// already explain — Σ_a G_a²/(H_a + κ) + Σ_b G_b²/(H_b + κ), near zero for levels the fit already
/// has — is subtracted, so what is left is the interaction's share:
///
///     gain(A, B) = Σ_ab G_ab²/(H_ab + κ) − Σ_a G_a²/(H_a + κ) − Σ_b G_b²/(H_b + κ)
///
/// κ = `smoothingRows` rows' worth of mean curvature keeps a cell of a handful of leads from ranking a
/// pair on noise. The screen only ranks: a pair enters the model only when a fit with it validates
/// better (`--interactions auto`).
public struct InteractionScreen: Sendable {
    public struct Candidate: Sendable, Equatable, Codable {
        public var first: String
        public var second: String
        /// Approximate deviance reduction (2 × log-likelihood gain) of the pair's cell offsets.
        public var gain: Double
        /// (cells of A − 1)(cells of B − 1) over the cells that hold rows: the gain's degrees of freedom.
        public var degreesOfFreedom: Int
        /// gain − degrees of freedom: the gain beyond what chance gives a pair without interaction (a
        /// χ² with that many degrees of freedom has that mean), which ranks pairs of many cells
        /// and of few on one footing.
        public var excess: Double { gain - Double(degreesOfFreedom) }
    }

    public static let maxCells = 8
    public static let smoothingRows = 20.0

    /// A column as cells: each row's cell index (0..<cells).
    public struct Cells: Sendable {
        public var name: String
        public var cell: [Int32]
        public var count: Int
        public init(name: String, cell: [Int32], count: Int) {
            self.name = name
            self.cell = cell
            self.count = count
        }
    }

    /// The cells of a column given its terms in the encoded rows (a categorical column's level
    /// indicators, or a number's terms of which the first orders the values).
    public static func cells(name: String, data: EncodedRows, terms: [Int], categorical: Bool) -> Cells {
        let n = data.rows
        var key = [Int32](repeating: 0, count: n)
        guard !terms.isEmpty else { return Cells(name: name, cell: key, count: 1) }
        if categorical {
            var size = [Int](repeating: 0, count: terms.count + 1)
            key = data.levelKeys(terms)
            for i in 0..<n { size[Int(key[i])] += 1 }
            // The largest levels keep a cell of their own; the rest share the last one.
            let order = size.indices.sorted { size[$0] != size[$1] ? size[$0] > size[$1] : $0 < $1 }
            var map = [Int32](repeating: Int32(maxCells - 1), count: size.count)
            for (rank, level) in order.enumerated() where rank < maxCells - 1 { map[level] = Int32(rank) }
            for i in 0..<n { key[i] = map[Int(key[i])] }
            return Cells(name: name, cell: key, count: min(maxCells, size.count))
        }
        let x = data.column(terms[0])
        let sorted = x.sorted()
        var cuts: [Double] = []
        for q in 1..<maxCells {
            let v = sorted[min(n - 1, q * n / maxCells)]
            if cuts.last != v { cuts.append(v) }
        }
        for i in 0..<n { key[i] = Int32(QuantileBins.bin(of: x[i], cuts: cuts)) }
        return Cells(name: name, cell: key, count: cuts.count + 1)
    }

    /// Each row's gradient and curvature at the fit (G and H summed per cell), and κ.
    struct Residuals {
        var g: [Double], h: [Double], kappa: Double

        init(y: [Double], eta: [Double], weights: [Double]) {
            let n = y.count
            g = [Double](repeating: 0, count: n)
            h = g
            var totalH = 0.0
            for i in 0..<n {
                let p = StableMath.sigmoid(eta[i])
                g[i] = weights[i] * (y[i] - p)
                h[i] = weights[i] * p * (1 - p)
                totalH += h[i]
            }
            kappa = smoothingRows * totalH / Double(max(1, n))
        }

        /// Σ G²/(H + κ) over cells: ½ of it is the log-likelihood gain of one Newton step of free
        /// cell offsets, so it is a deviance.
        func part(_ G: [Double], _ H: [Double]) -> Double {
            var s = 0.0
            for c in G.indices { s += G[c] * G[c] / (H[c] + kappa) }
            return s
        }

        /// G and H summed over the cells of `cells`.
        func sums(_ cells: Cells) -> (G: [Double], H: [Double]) {
            var G = [Double](repeating: 0, count: cells.count), H = G
            for i in g.indices { G[Int(cells.cell[i])] += g[i]; H[Int(cells.cell[i])] += h[i] }
            return (G, H)
        }
    }

    /// What free offsets for a column's cells could remove from the fit's deviance beyond one
    /// overall offset (the gain of `--numeric auto`'s step functions over the fitted spline), and
    /// the cells that hold rows.
    public static func gain(_ cells: Cells, y: [Double], eta: [Double], weights: [Double]) -> (gain: Double, usedCells: Int) {
        let r = Residuals(y: y, eta: eta, weights: weights)
        let (G, H) = r.sums(cells)
        return (r.part(G, H) - r.part([G.reduce(0, +)], [H.reduce(0, +)]), H.filter { $0 > 0 }.count)
    }

    /// Every pair of `columns` ranked by excess gain (largest first), given the main-effects fit's η.
    public static func rank(_ columns: [Cells], y: [Double], eta: [Double], weights: [Double]) -> [Candidate] {
        let n = y.count
        let r = Residuals(y: y, eta: eta, weights: weights)
        let g = r.g, h = r.h
        let part = r.part
        var out: [Candidate] = []
        for a in columns.indices {
            for b in columns.indices where b > a {
                let A = columns[a], B = columns[b]
                let width = B.count
                var G = [Double](repeating: 0, count: A.count * width), H = G
                var Ga = [Double](repeating: 0, count: A.count), Ha = Ga
                var Gb = [Double](repeating: 0, count: width), Hb = Gb
                for i in 0..<n {
                    let ca = Int(A.cell[i]), cb = Int(B.cell[i])
                    G[ca * width + cb] += g[i]; H[ca * width + cb] += h[i]
                    Ga[ca] += g[i]; Ha[ca] += h[i]
                    Gb[cb] += g[i]; Hb[cb] += h[i]
                }
                // ½ Σ G²/H is the log-likelihood gain of one Newton step: twice that is deviance.
                let gain = part(G, H) - part(Ga, Ha) - part(Gb, Hb)
                let usedA = Ha.filter { $0 > 0 }.count, usedB = Hb.filter { $0 > 0 }.count
                out.append(Candidate(first: A.name, second: B.name, gain: gain,
                                     degreesOfFreedom: max(0, usedA - 1) * max(0, usedB - 1)))
            }
        }
        return out.sorted { $0.excess != $1.excess ? $0.excess > $1.excess : ($0.first, $0.second) < ($1.first, $1.second) }
    }
}
