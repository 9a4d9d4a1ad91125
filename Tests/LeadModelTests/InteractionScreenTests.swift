import Testing
import LinearAlgebra
import Foundation
@testable import LeadModel
@testable import LeadSupport

/// The residual pair screen ranks a planted interaction first and finds little where none is.
@Suite struct InteractionScreenTests {
    /// Columns: source (3 levels: terms 0, 1), job (3 levels: terms 2, 3), region (3 levels: terms
    /// 4, 5, no effect), size (a number: term 6); intercept 7. `planted`: source level 2 × job level
    /// 1 adds −1.5 to the log-odds.
    static func problem(_ n: Int, planted: Double) -> (EncodedRows, [Double], [[Int]]) {
        var x = Matrix(rows: n, cols: 8)
        var y = [Double](repeating: 0, count: n)
        var rng = SplitMix64(seed: 17)
        for i in 0..<n {
            let s = Int(rng.uniform() * 3), j = Int(rng.uniform() * 3), r = Int(rng.uniform() * 3)
            if s > 0 { x[i, s - 1] = 1 }
            if j > 0 { x[i, 1 + j] = 1 }
            if r > 0 { x[i, 3 + r] = 1 }
            x[i, 6] = rng.normal()
            x[i, 7] = 1
            var eta = -0.3 + 0.6 * x[i, 0] - 0.4 * x[i, 1] + 0.5 * x[i, 3] + 0.7 * x[i, 6]
            if s == 2 && j == 1 { eta += planted }
            y[i] = rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0
        }
        return (EncodedRows(matrix: x, indicatorGroups: [[0, 1], [2, 3], [4, 5]]), y, [[0, 1], [2, 3], [4, 5], [6]])
    }

    static func screen(planted: Double) -> [InteractionScreen.Candidate] {
        let (data, y, terms) = problem(6000, planted: planted)
        let fit = LogisticFit.fit(data: data, y: y, lambda: 1)
        let names = ["source", "job", "region", "size"]
        let cells = terms.enumerated().map { c, t in
            InteractionScreen.cells(name: names[c], data: data, terms: t, categorical: c < 3)
        }
        return InteractionScreen.rank(cells, y: y, eta: fit.eta, weights: [Double](repeating: 1, count: y.count))
    }

    @Test func plantedInteractionRanksFirst() {
        let ranked = Self.screen(planted: -1.5)
        #expect(ranked.count == 6)
        #expect(ranked[0].first == "source" && ranked[0].second == "job")
        // Far ahead of every pair without one.
        #expect(ranked[0].excess > 5 * max(1, ranked[1].excess))
        #expect(ranked[0].degreesOfFreedom == 4)
    }

    @Test func withoutInteractionEveryGainIsNoiseSized() {
        let ranked = Self.screen(planted: 0)
        // Under no interaction each gain is roughly a χ² with its degrees of freedom (4 for two
        // 3-level columns, 14 with the 8 bins of size): its excess stays far below the planted pair's.
        #expect(ranked.allSatisfy { $0.excess < 15 })
        let planted = Self.screen(planted: -1.5)[0].gain
        #expect(planted > 60)
    }

    @Test func numericColumnsAreCutIntoQuantileBins() {
        let (data, _, _) = Self.problem(800, planted: 0)
        let c = InteractionScreen.cells(name: "size", data: data, terms: [6], categorical: false)
        #expect(c.count == InteractionScreen.maxCells)
        var sizes = [Int](repeating: 0, count: c.count)
        for v in c.cell { sizes[Int(v)] += 1 }
        #expect(sizes.allSatisfy { $0 == 100 })
    }
}
