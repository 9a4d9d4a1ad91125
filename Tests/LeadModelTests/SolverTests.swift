import Testing
import LinearAlgebra
import Foundation
@testable import LeadModel
@testable import LeadSupport

@Suite struct StableMathTests {
    @Test(arguments: [-800.0, -40, -37, -20, -1, 0, 1, 18, 20, 34, 800])
    func log1pexpIsFiniteAndAccurate(x: Double) {
        let v = StableMath.log1pexp(x)
        #expect(v.isFinite)
        #expect(v >= 0)
        if x > 40 { #expect(v == x) }
        if x < -40 { #expect(v > 0 || x < -745) }
        // log(1 + e^x) − log(1 + e^−x) = x, a check independent of the cut-offs.
        #expect(abs((v - StableMath.log1pexp(-x)) - x) <= 1e-12 * max(1, abs(x)))
    }

    @Test(arguments: [-800.0, -30, -1, 0, 1, 30, 800])
    func sigmoidIsBoundedAndSymmetric(x: Double) {
        let s = StableMath.sigmoid(x)
        #expect(s >= 0 && s <= 1 && s.isFinite)
        #expect(abs(s + StableMath.sigmoid(-x) - 1) < 1e-15)
    }
}

/// Problems with known solutions, built from the optimality conditions.
@Suite struct NewtonSolverTests {
    /// n rows of 2 features + intercept from a fixed pattern.
    static func design(_ n: Int) -> Matrix {
        var x = Matrix(rows: n, cols: 3)
        var rng = SplitMix64(seed: 99)
        for i in 0..<n {
            x[i, 0] = rng.normal()
            x[i, 1] = rng.uniform() < 0.3 ? 1 : 0
            x[i, 2] = 1
        }
        return x
    }

    static func outcomes(_ x: Matrix, beta: [Double], seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return x.times(beta).map { rng.uniform() < StableMath.sigmoid($0) ? 1 : 0 }
    }

    @Test func gradientIsZeroAtTheSolution() {
        let x = Self.design(2000)
        let y = Self.outcomes(x, beta: [0.8, -1.2, 0.3], seed: 5)
        let f = LogisticObjective(x: x, y: y, weights: Array(repeating: 1, count: 2000), lambda: 0.5)
        let r = NewtonSolver().minimize(f)
        #expect(r.report.converged)
        let g = f.gradient(r.beta, eta: f.linearPredictor(r.beta))
        #expect(g.allSatisfy { abs($0) < 1e-8 })
        // The gradient computed by finite differences of the value agrees with the analytic one.
        let probe = [0.1, 0.2, -0.3]
        let ga = f.gradient(probe, eta: f.linearPredictor(probe))
        for j in 0..<3 {
            var up = probe, down = probe
            up[j] += 1e-6
            down[j] -= 1e-6
            let numeric = (f.value(up, eta: f.linearPredictor(up)) - f.value(down, eta: f.linearPredictor(down))) / 2e-6
            #expect(abs(numeric - ga[j]) < 1e-4 * max(1, abs(ga[j])))
        }
    }

    @Test func weightTwoEqualsDuplicatedRows() {
        let x = Self.design(300)
        let y = Self.outcomes(x, beta: [1, 0.5, -0.2], seed: 11)
        var w = [Double](repeating: 1, count: 300)
        for i in stride(from: 0, to: 300, by: 3) { w[i] = 2 }
        let weighted = NewtonSolver().minimize(LogisticObjective(x: x, y: y, weights: w, lambda: 1))
        // Duplicate every third row.
        let extra = Array(stride(from: 0, to: 300, by: 3))
        var dx = Matrix(rows: 300 + extra.count, cols: 3)
        var dy = y
        for i in 0..<300 { for j in 0..<3 { dx[i, j] = x[i, j] } }
        for (k, i) in extra.enumerated() {
            for j in 0..<3 { dx[300 + k, j] = x[i, j] }
            dy.append(y[i])
        }
        let duplicated = NewtonSolver().minimize(LogisticObjective(x: dx, y: dy, weights: Array(repeating: 1, count: dx.rows), lambda: 1))
        for j in 0..<3 { #expect(abs(weighted.beta[j] - duplicated.beta[j]) < 1e-9) }
    }

    @Test func recoversTrueCoefficientsOnALargeSample() {
        let x = Self.design(60_000)
        let truth = [0.8, -1.2, 0.3]
        let y = Self.outcomes(x, beta: truth, seed: 3)
        let r = NewtonSolver().minimize(LogisticObjective(x: x, y: y, weights: Array(repeating: 1, count: x.rows), lambda: 0))
        for j in 0..<3 { #expect(abs(r.beta[j] - truth[j]) < 0.06, "β\(j) = \(r.beta[j])") }
    }

    @Test func separableDataDoesNotCrashAndIsReported() {
        // y = 1 exactly when the feature is positive: the MLE does not exist.
        var x = Matrix(rows: 200, cols: 2)
        var y = [Double]()
        for i in 0..<200 {
            x[i, 0] = Double(i - 100) / 10 + 0.05
            x[i, 1] = 1
            y.append(x[i, 0] > 0 ? 1 : 0)
        }
        let r = NewtonSolver().minimize(LogisticObjective(x: x, y: y, weights: Array(repeating: 1, count: 200), lambda: 0))
        #expect(r.beta.allSatisfy { $0.isFinite })
        #expect(abs(r.beta[0]) > 10)
    }

    @Test func collinearTermsWithoutPenaltyTakeRegularizedSteps() {
        var x = Matrix(rows: 100, cols: 3)
        var rng = SplitMix64(seed: 1)
        var y = [Double]()
        for i in 0..<100 {
            x[i, 0] = rng.normal()
            x[i, 1] = x[i, 0]  // identical column
            x[i, 2] = 1
            y.append(rng.uniform() < 0.5 ? 1 : 0)
        }
        let r = NewtonSolver().minimize(LogisticObjective(x: x, y: y, weights: Array(repeating: 1, count: 100), lambda: 0))
        #expect(r.report.regularizedSteps > 0)
        #expect(!r.report.warnings.isEmpty)
        #expect(r.beta.allSatisfy { $0.isFinite })
    }
}

/// The one-hot path (indicator groups read through a level index, blocks on every core) against the
/// plain dense sums of the definition, on a design that crosses several blocks.
@Suite struct IndicatorGroupTests {
    /// Columns: 0 numeric, 1–3 one-hot group A (level 0 = reference, all zero), 4–5 group B,
    /// 6–7 "group" C that is not one-hot (a 0.5 entry), 8 intercept.
    static func design(_ n: Int) -> Matrix {
        var x = Matrix(rows: n, cols: 9)
        var rng = SplitMix64(seed: 21)
        for i in 0..<n {
            x[i, 0] = rng.normal()
            let a = Int(rng.uniform() * 4)
            if a > 0 { x[i, a] = 1 }
            let b = Int(rng.uniform() * 3)
            if b > 0 { x[i, 3 + b] = 1 }
            x[i, 6] = rng.uniform() < 0.4 ? 1 : 0
            x[i, 7] = i % 97 == 0 ? 0.5 : (rng.uniform() < 0.2 ? 1 : 0)
            x[i, 8] = 1
        }
        return x
    }

    /// f, ∇f and ∇²f straight from the formulas, row by row.
    static func reference(_ x: Matrix, _ y: [Double], _ w: [Double], _ beta: [Double], lambda: Double)
        -> (value: Double, gradient: [Double], hessian: Matrix) {
        let k = x.cols
        var value = 0.0
        var g = [Double](repeating: 0, count: k)
        var h = Matrix(rows: k, cols: k)
        for i in 0..<x.rows {
            var eta = 0.0
            for j in 0..<k { eta += x[i, j] * beta[j] }
            let p = 1 / (1 + exp(-eta))
            value += w[i] * (log1p(exp(eta)) - y[i] * eta)
            for a in 0..<k {
                g[a] += w[i] * (p - y[i]) * x[i, a]
                for b in 0..<k { h[a, b] += w[i] * p * (1 - p) * x[i, a] * x[i, b] }
            }
        }
        for j in 0..<(k - 1) {
            value += 0.5 * lambda * beta[j] * beta[j]
            g[j] += lambda * beta[j]
            h[j, j] += lambda
        }
        return (value, g, h)
    }

    @Test func oneHotPathEqualsTheDefinition() {
        let n = 3 * LogisticObjective.blockRows + 123
        let x = Self.design(n)
        let beta = [0.3, -0.5, 0.2, 0.9, -0.4, 0.1, 0.6, -0.7, -0.2]
        let y = NewtonSolverTests.outcomes(x, beta: beta, seed: 4)
        var rng = SplitMix64(seed: 8)
        let w = (0..<n).map { _ in rng.uniform() < 0.5 ? 1.0 : 2.5 }
        let f = LogisticObjective(x: x, y: y, weights: w, lambda: 0.7, indicatorGroups: [[1, 2, 3], [4, 5], [6, 7]])
        // A and B are one-hot; C has a 0.5 and stays dense.
        #expect(f.indicatorGroupCount == 2)
        let probe = [0.1, -0.2, 0.4, 0.05, 0.3, -0.6, 0.2, 0.15, -0.1]
        let eta = f.linearPredictor(probe)
        let expected = Self.reference(x, y, w, probe, lambda: 0.7)
        let plainEta = x.times(probe)
        for i in 0..<n { #expect(abs(eta[i] - plainEta[i]) <= 1e-13, "row \(i)") }
        #expect(abs(f.value(probe, eta: eta) - expected.value) <= 1e-10 * abs(expected.value))
        let (g, h) = f.gradientAndHessian(probe, eta: eta)
        for a in 0..<9 {
            #expect(abs(g[a] - expected.gradient[a]) <= 1e-9 * max(1, abs(expected.gradient[a])), "g[\(a)]")
            for b in 0..<9 {
                #expect(abs(h[a, b] - expected.hessian[a, b]) <= 1e-9 * max(1, abs(expected.hessian[a, b])), "H[\(a),\(b)]")
            }
        }
        // The same fit with and without the groups.
        let plain = LogisticFit.fit(x: x, y: y, weights: w, lambda: 0.7)
        let grouped = LogisticFit.fit(x: x, y: y, weights: w, lambda: 0.7, indicatorGroups: [[1, 2, 3], [4, 5], [6, 7]])
        for j in 0..<8 { #expect(abs(plain.beta[j] - grouped.beta[j]) <= 1e-10) }
        #expect(abs(plain.intercept - grouped.intercept) <= 1e-10)
    }

    /// More blocks than one batch: the batched sums equal the definition.
    @Test func sumsOverSeveralBatchesOfBlocks() {
        let n = (LogisticObjective.batchBlocks + 3) * LogisticObjective.blockRows + 17
        let x = NewtonSolverTests.design(n)
        let beta = [0.4, -0.9, 0.2]
        let y = NewtonSolverTests.outcomes(x, beta: beta, seed: 6)
        let w = [Double](repeating: 1, count: n)
        let f = LogisticObjective(x: x, y: y, weights: w, lambda: 0.3, indicatorGroups: [[1]])
        #expect(f.indicatorGroupCount == 1)
        let (g, h) = f.gradientAndHessian(beta, eta: f.linearPredictor(beta))
        let expected = Self.reference(x, y, w, beta, lambda: 0.3)
        for a in 0..<3 {
            #expect(abs(g[a] - expected.gradient[a]) <= 1e-8 * max(1, abs(expected.gradient[a])))
            for b in 0..<3 { #expect(abs(h[a, b] - expected.hessian[a, b]) <= 1e-9 * max(1, abs(expected.hessian[a, b]))) }
        }
    }

    @Test func overlappingOrInvalidGroupsAreIgnored() {
        let x = Self.design(500)
        let y = [Double](repeating: 0, count: 500).enumerated().map { Double($0.offset % 3 == 0 ? 1 : 0) }
        let w = [Double](repeating: 1, count: 500)
        // [2, 3] overlaps [1, 2, 3]; [40] is out of range; [] is empty.
        let f = LogisticObjective(x: x, y: y, weights: w, lambda: 1, indicatorGroups: [[1, 2, 3], [2, 3], [40], []])
        #expect(f.indicatorGroupCount == 1)
        let beta = [Double](repeating: 0.1, count: 9)
        let expected = Self.reference(x, y, w, beta, lambda: 1)
        let g = f.gradient(beta, eta: f.linearPredictor(beta))
        for a in 0..<9 { #expect(abs(g[a] - expected.gradient[a]) <= 1e-9 * max(1, abs(expected.gradient[a]))) }
    }
}

@Suite struct MetricsTests {
    @Test func aucCountsTiesAsHalf() {
        #expect(ClassificationMetrics.rocAUC([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75)
        #expect(ClassificationMetrics.rocAUC([0.5, 0.5], [0, 1]) == 0.5)
        #expect(ClassificationMetrics.rocAUC([0.5, 0.5], [1, 1]) == nil)
    }

    @Test func logLossOfAPerfectAndAHalfGuess() {
        let m = ClassificationMetrics(probabilities: [0.5, 0.5], outcomes: [0, 1])
        #expect(abs(m.logLoss - 0.6931471805599453) < 1e-15)
        #expect(m.brier == 0.25)
    }
}

@Suite struct SHA256Tests {
    /// FIPS 180-4 test vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(input: String, digest: String) {
        var d = SHA256Digest()
        d.update(Array(input.utf8))
        #expect(d.finalizeHex() == digest)
    }

    /// The hardware block function (when this CPU has it) against the portable one, on lengths around
    /// block boundaries and a long input in uneven pieces.
    @Test func hardwareAndPortableAgree() {
        var rng = SplitMix64(seed: 77)
        let bytes = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: Int(rng.uniform() * 256)) }
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 300_000] {
            var fast = SHA256Digest()
            var portable = SHA256Digest(portable: true)
            fast.update(Array(bytes.prefix(length)))
            var i = 0
            var size = 1
            while i < length {
                portable.update(Array(bytes[i..<min(length, i + size)]))
                i += size
                size = size * 3 + 1
            }
            #expect(fast.finalizeHex() == portable.finalizeHex(), "length \(length)")
        }
        // A known vector through each path.
        for portable in [false, true] {
            var d = SHA256Digest(portable: portable)
            d.update(Array(String(repeating: "a", count: 1000).utf8))
            #expect(d.finalizeHex() == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        }
    }

    @Test func streamingInPiecesEqualsOneUpdate() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256Digest()
        whole.update(bytes)
        var pieces = SHA256Digest()
        var i = 0
        for size in [1, 7, 64, 63, 65, 200, 600] where i < bytes.count {
            pieces.update(Array(bytes[i..<min(bytes.count, i + size)]))
            i += size
        }
        #expect(whole.finalizeHex() == pieces.finalizeHex())
    }
}

@Suite struct RadixSortTests {
    /// The radix sort orders like `sorted()`: negatives, zeros of both signs, infinities, repeats,
    /// values differing only in the last bit, and arrays whose keys share most digits.
    @Test(arguments: [0, 1, 255, 256, 1000, 70_000])
    func ordersLikeTheStandardSort(count: Int) {
        var rng = SplitMix64(seed: UInt64(count) + 3)
        var values: [Double] = (0..<count).map { i in
            switch i % 7 {
            case 0: return rng.normal() * 1e6
            case 1: return -rng.uniform()
            case 2: return Double(Int(rng.uniform() * 5))
            case 3: return 0.5 + Double(Int(rng.uniform() * 4)) * Double.ulpOfOne
            case 4: return rng.uniform() < 0.5 ? -0.0 : 0.0
            case 5: return rng.uniform() < 0.5 ? -.infinity : .infinity
            default: return rng.uniform()
            }
        }
        values.shuffle(using: &rng)
        let radix = RadixSort.sorted(values)
        let standard = values.sorted()
        #expect(radix.count == standard.count)
        #expect(zip(radix, standard).allSatisfy { $0 == $1 })
        // Probabilities in (0, 1): keys share their top digits, which the sort skips.
        let probabilities = (0..<count).map { _ in rng.uniform() }
        #expect(RadixSort.sorted(probabilities) == probabilities.sorted())
    }
}
