import Testing
import LinearAlgebra
import Foundation
@testable import LeadModel
@testable import LeadSupport

/// `--lambda auto`: the warm-started path, the folds, and the rules that pick λ off the CV curve.
@Suite struct LambdaSelectionTests {
    /// n rows: 3 dense numbers (one of them noise), a 4-level one-hot group, the intercept last.
    static func problem(_ n: Int, seed: UInt64 = 3) -> (EncodedRows, [Double]) {
        var x = Matrix(rows: n, cols: 7)
        var rng = SplitMix64(seed: seed)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            x[i, 0] = rng.normal()
            x[i, 1] = rng.normal()
            x[i, 2] = rng.normal()
            let level = Int(rng.uniform() * 4)
            if level > 0 { x[i, 2 + level] = 1 }
            x[i, 6] = 1
            let eta = -0.4 + 0.9 * x[i, 0] - 0.5 * x[i, 1] + 0.8 * x[i, 3] - 0.6 * x[i, 5]
            y[i] = rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0
        }
        return (EncodedRows(matrix: x, indicatorGroups: [[3, 4, 5]]), y)
    }

    @Test func warmStartedPathEqualsColdFitsAtEveryLambda() {
        let (data, y) = Self.problem(3000)
        let w = [Double](repeating: 1, count: y.count)
        let lambdas = PenaltyPath.grid(totalWeight: 3000, count: 9)
        var warm: [[Double]] = []
        var warmIterations = 0
        PenaltyPath.fit(data: data, y: y, weights: w, lambdas: lambdas) { _, point in
            #expect(point.report.converged)
            warm.append(point.beta)
            warmIterations += point.report.iterations
        }
        var coldIterations = 0
        for (k, lambda) in lambdas.enumerated() {
            let cold = LogisticFit.fit(data: data, y: y, lambda: lambda)
            coldIterations += cold.report.iterations
            let coldBeta = cold.beta + [cold.intercept]
            for j in coldBeta.indices {
                #expect(abs(warm[k][j] - coldBeta[j]) <= 1e-8 * max(1, abs(coldBeta[j])),
                        "λ = \(lambda), term \(j): warm \(warm[k][j]) vs cold \(coldBeta[j])")
            }
        }
        // Warm starts are the point of a path: fewer Newton steps than cold fits.
        #expect(warmIterations < coldIterations)
    }

    @Test func gridIsDescendingOverFiveDecadesOfTheRowWeight() {
        let g = PenaltyPath.grid(totalWeight: 2000, count: 16)
        #expect(g.count == 16)
        #expect(abs(g.first! - 2000) < 1e-9)
        #expect(abs(g.last! - 2000 * 1e-5) < 1e-12)
        #expect(zip(g, g.dropFirst()).allSatisfy { $0 > $1 })
    }

    @Test(arguments: [2, 5, 10])
    func foldsAreStratifiedBalancedAndSeeded(k: Int) {
        let (_, y) = Self.problem(1237)
        let folds = LambdaSearch.stratifiedFolds(y: y, folds: k, seed: 42)
        let positives = y.reduce(0, +)
        var sizes = [Int](repeating: 0, count: k), pos = [Double](repeating: 0, count: k)
        for (i, f) in folds.enumerated() { sizes[f] += 1; pos[f] += y[i] }
        #expect(sizes.max()! - sizes.min()! <= 1)
        for f in 0..<k {
            #expect(abs(pos[f] - positives / Double(k)) <= 1, "fold \(f) has \(pos[f]) positives")
        }
        #expect(LambdaSearch.stratifiedFolds(y: y, folds: k, seed: 42) == folds)
        #expect(LambdaSearch.stratifiedFolds(y: y, folds: k, seed: 43) != folds)
    }

    @Test(arguments: [LambdaSelection.Rule.min, .oneSE])
    func chosenLambdaFollowsTheRuleOnTheCurve(rule: LambdaSelection.Rule) {
        let (data, y) = Self.problem(1500)
        var search = LambdaSearch()
        search.rule = rule
        search.gridCount = 12
        let s = search.choose(data: data, y: y, weights: [Double](repeating: 1, count: y.count))
        #expect(s.method == "cross-validation" && s.folds == 5)
        #expect(s.deviance.count >= 4 && s.deviance.count <= 12 && s.lambdas.count == s.deviance.count)
        #expect(s.validationRows == 1500)
        let minimum = s.deviance.min()!
        #expect(s.deviance[s.minIndex] == minimum)
        // The 1se point: within one standard error of the minimum, and no larger λ is.
        let limit = minimum + s.standardError[s.minIndex]
        #expect(s.deviance[s.oneSEIndex] <= limit)
        #expect(s.oneSEIndex <= s.minIndex)
        for i in 0..<s.oneSEIndex { #expect(s.deviance[i] > limit) }
        #expect(s.chosenIndex == (rule == .min ? s.minIndex : s.oneSEIndex))
        #expect(s.chosen == s.lambdas[s.chosenIndex])
        // A path cut short stopped by its rule: the curve rose twice past its minimum, or flattened.
        let d = s.deviance, c = d.count
        if c < 12 {
            let flat = abs(d[c - 1] - d[c - 2]) < 1e-5 * abs(d[c - 1]) && abs(d[c - 2] - d[c - 3]) < 1e-5 * abs(d[c - 2])
            let rose = d[c - 1] > d[c - 2] && d[c - 2] > minimum
            #expect(flat || rose)
        }
        // With a real signal the curve is not flat: the largest λ (heavy shrinkage) validates worse.
        #expect(s.deviance[0] > minimum + 0.01)
    }

    /// The CV deviance is what it says: refitting fold by fold at one λ and scoring the held-out
    /// rows by hand gives the curve's value.
    @Test func curveValueIsTheHeldOutDevianceOfFoldFits() {
        let (data, y) = Self.problem(800)
        var search = LambdaSearch()
        search.gridCount = 5
        let s = search.choose(data: data, y: y, weights: [Double](repeating: 1, count: y.count))
        let folds = LambdaSearch.stratifiedFolds(y: y, folds: 5, seed: 42)
        let k = 2
        var total = 0.0
        for f in 0..<5 {
            let w = folds.map { $0 == f ? 0.0 : 1.0 }
            let fit = LogisticFit.fit(data: data, y: y, weights: w, lambda: s.lambdas[k])
            for i in y.indices where folds[i] == f {
                total += 2 * (StableMath.log1pexp(fit.eta[i]) - y[i] * fit.eta[i])
            }
        }
        // The path's fits stop at a Newton decrement of 1e-6 per row (`NewtonSolver.validationDecrement`),
        // the fits here at a gradient 1e-11 of its start: the held-out deviance per row agrees to
        // ~5e-8 (first order in the coefficients' last difference); a wrong fold, row or λ moves it by
        // far more than 1e-6.
        #expect(abs(total / 800 - s.deviance[k]) < 1e-6)
    }

    @Test func largeDataValidatesOnAHeldOutSample() {
        let (data, y) = Self.problem(3000)
        var search = LambdaSearch()
        search.foldRowLimit = 1000
        search.sampleRows = 2000
        search.gridCount = 6
        let s = search.choose(data: data, y: y, weights: [Double](repeating: 1, count: y.count))
        #expect(s.method == "holdout-sample")
        #expect(s.folds == 1)
        #expect(s.rows == 2000)
        #expect(s.validationRows == 400)
        #expect(s.deviance[s.minIndex] == s.deviance.min()!)
        let again = search.choose(data: data, y: y, weights: [Double](repeating: 1, count: y.count))
        #expect(again == s)
    }

    @Test func ruleIndicesOnAKnownCurve() {
        let (m, one) = LambdaSelection.ruleIndices(deviance: [1.30, 1.10, 1.02, 1.00, 1.01, 1.05],
                                                   standardError: [0.01, 0.01, 0.01, 0.03, 0.01, 0.01])
        #expect(m == 3)
        #expect(one == 2)
    }

    /// A per-term penalty (`penaltyWeights`, what a step function's jumps get) is the plain penalty
    /// on a rescaled design: λ·wⱼ on βⱼ of column xⱼ is λ on the coefficient of xⱼ/√wⱼ, which is
    /// βⱼ·√wⱼ. The two fits agree, and the intercept is never penalized.
    @Test func perTermPenaltyWeightsAreThePenaltyOfARescaledDesign() {
        let (data, y) = Self.problem(2000)
        let x = data.matrix()
        let w: [Double] = [4, 1, 100, 9, 1, 0.25]
        var scaled = x
        for i in 0..<x.rows { for j in 0..<6 { scaled[i, j] = x[i, j] / w[j].squareRoot() } }
        let lambda = 30.0
        let weighted = LogisticFit.fit(data: data, y: y, lambda: lambda, penaltyWeights: w)
        let plain = LogisticFit.fit(x: scaled, y: y, lambda: lambda)
        #expect(weighted.report.converged && plain.report.converged)
        for j in 0..<6 {
            #expect(abs(weighted.beta[j] - plain.beta[j] / w[j].squareRoot()) < 1e-8, "term \(j): \(weighted.beta[j]) vs \(plain.beta[j] / w[j].squareRoot())")
        }
        #expect(abs(weighted.intercept - plain.intercept) < 1e-8)
        // Heavier weights shrink harder: the 100× term is pulled far closer to 0 than under λ alone.
        let unweighted = LogisticFit.fit(data: data, y: y, lambda: lambda)
        #expect(abs(weighted.beta[2]) < 0.2 * abs(unweighted.beta[2]))
        // The Gram matrix the rank checks read is the data's, whatever the penalty.
        for j in 0..<6 { #expect(abs(weighted.initialGram[j, j] - unweighted.initialGram[j, j]) < 1e-9) }
    }
}
