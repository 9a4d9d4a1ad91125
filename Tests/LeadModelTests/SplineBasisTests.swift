import Testing
import Foundation
import LinearAlgebra
import PropertyBased
@testable import LeadModel
@testable import LeadSupport

/// Tests/Fixtures/spline-reference.json, written by Tests/Fixtures/make_spline_fixtures.py.
struct SplineReference: Decodable {
    struct Penalized: Decodable {
        var lambda: Double
        var term_means: [Double]
        var term_sds: [Double]
        var coefficients: [Double]
        var intercept: Double
        var probabilities: [Double]
    }
    struct Monotone: Decodable {
        var lambda: Double
        var breakpoints: [Double]
        var term_means: [Double]
        var term_sds: [Double]
        var coefficients: [Double]
        var intercept: Double
        var unconstrained_coefficients: [Double]
        var decreasing_coefficients: [Double]
        var decreasing_intercept: Double
    }
    var file: String
    var rows: Int
    var knots: [Double]
    var unpenalized_probabilities: [Double]
    var harrell_points: [Double]
    var harrell_basis: [[Double]]
    var penalized: Penalized
    var monotone: Monotone
    var truth_points: [Double]
    var truth_values: [Double]

    static func load() throws -> SplineReference {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("spline-reference.json")))
        return try JSONDecoder().decode(SplineReference.self, from: data)
    }

    /// The fixture's data: x and y (1 = "yes").
    static func data() throws -> (x: [Double], y: [Double]) {
        let text = try String(contentsOfFile: Paths.fixture("spline-curve.csv"), encoding: .utf8)
        var x: [Double] = [], y: [Double] = []
        for line in text.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ",")
            x.append(Double(parts[0])!)
            y.append(parts[1] == "yes" ? 1 : 0)
        }
        return (x, y)
    }
}

/// n × (columns + 1) matrix of the given term columns and a last column of ones.
func withIntercept(_ columns: [[Double]]) -> Matrix {
    let n = columns.first?.count ?? 0
    var m = Matrix(rows: n, cols: columns.count + 1)
    for (j, c) in columns.enumerated() { for i in 0..<n { m[i, j] = c[i] } }
    for i in 0..<n { m[i, columns.count] = 1 }
    return m
}

/// Columns standardized by their mean and population sd (LeadScore's design).
func standardized(_ columns: [[Double]]) -> (columns: [[Double]], means: [Double], sds: [Double]) {
    var out: [[Double]] = [], means: [Double] = [], sds: [Double] = []
    for c in columns {
        let n = Double(c.count)
        let m = c.reduce(0, +) / n
        let sd = (c.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
        out.append(c.map { ($0 - m) / sd })
        means.append(m)
        sds.append(sd)
    }
    return (out, means, sds)
}

@Suite struct RestrictedCubicSplineTests {
    @Test func knotsAreHarrellsQuantilesAndTheBasisHisFormula() throws {
        let ref = try SplineReference.load()
        let (x, _) = try SplineReference.data()
        let knots = try #require(RestrictedCubicSpline.knots(sortedValues: x.sorted(), count: 5))
        #expect(knots.count == 5)
        for (a, b) in zip(knots, ref.knots) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "knot \(a) vs \(b)") }
        let spline = RestrictedCubicSpline(knots: ref.knots, lower: x.min()!, upper: x.max()!)
        for (p, expected) in zip(ref.harrell_points, ref.harrell_basis) {
            let got = spline.evaluateUnclamped(p)
            for (a, b) in zip(got, expected) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "basis at \(p): \(got) vs \(expected)") }
        }
    }

    /// Beyond the boundary knots every term is linear (second differences vanish) before clamping;
    /// below the first knot the cubic terms are 0. For random knots.
    @Test func naturalSplineIsLinearBeyondTheBoundaryKnots() async {
        await propertyCheck(count: 100, input: Gen.int(in: 3...7), Gen.int(in: 1...1_000_000)) { k, seed in
            var rng = SplitMix64(seed: UInt64(seed))
            var knots: [Double] = [rng.normal() * 10]
            for _ in 1..<k { knots.append(knots[knots.count - 1] + 0.1 + rng.uniform() * 5) }
            let s = RestrictedCubicSpline(knots: knots, lower: knots[0], upper: knots[k - 1])
            let span = knots[k - 1] - knots[0]
            for side in [-1.0, 1.0] {
                let x0 = (side < 0 ? knots[0] : knots[k - 1]) + side * span * (0.1 + rng.uniform())
                let h = span * 0.37
                let a = s.evaluateUnclamped(x0), b = s.evaluateUnclamped(x0 + side * h), c = s.evaluateUnclamped(x0 + 2 * side * h)
                for j in 1..<(k - 1) {
                    let second = c[j] - 2 * b[j] + a[j]
                    #expect(abs(second) <= 1e-9 * max(1, abs(a[j]), abs(c[j])), "k=\(k) term \(j) side \(side): \(second)")
                    if side < 0 { #expect(a[j] == 0) }
                }
                // Inside, the cubic terms are not linear (the basis is not degenerate).
                let m = (knots[0] + knots[k - 1]) / 2
                let mid = zip(zip(s.evaluateUnclamped(m - h / 3), s.evaluateUnclamped(m)), s.evaluateUnclamped(m + h / 3)).map { $0.0 - 2 * $0.1 + $1 }
                #expect(mid.dropFirst().contains { abs($0) > 1e-12 })
            }
        }
    }

    /// Clamping: a value outside the training range gets the basis of the range's end, so no
    /// combination of coefficients gives it more than the most extreme training value.
    @Test func valuesOutsideTheTrainingRangeAreClamped() async {
        await propertyCheck(count: 100, input: Gen.int(in: 1...1_000_000)) { seed in
            var rng = SplitMix64(seed: UInt64(seed))
            let values = (0..<200).map { _ in exp(rng.normal() * 2) }.sorted()
            guard let knots = RestrictedCubicSpline.knots(sortedValues: values, count: 5) else { return }
            let s = RestrictedCubicSpline(knots: knots, lower: values[0], upper: values[values.count - 1])
            let beta = (0..<s.termCount).map { _ in rng.normal() * 3 }
            func effect(_ x: Double) -> Double { zip(s.evaluate(x), beta).reduce(0) { $0 + $1.0 * $1.1 } }
            let extreme = values.map(effect).map(abs).max()!
            for x in [s.upper * 1.5, s.upper + 1e6, 1e300, s.lower - 1, -1e300] {
                #expect(abs(effect(x)) <= extreme + 1e-9 * max(1, extreme))
            }
            #expect(s.evaluate(1e300) == s.evaluate(s.upper))
            #expect(s.evaluate(-1e300) == s.evaluate(s.lower))
        }
    }

    @Test func fewDistinctValuesGetFewerKnotsOrNone() {
        // Four distinct values: at most 3 knots (10/50/90%); two or three distinct values: none.
        let four = (0..<400).map { Double($0 % 4) }.sorted()
        #expect(RestrictedCubicSpline.knots(sortedValues: four, count: 5) == [0, 1.5, 3])
        let two = (0..<400).map { Double($0 % 2) }.sorted()
        #expect(RestrictedCubicSpline.knots(sortedValues: two, count: 5) == nil)
        let three = (0..<300).map { Double($0 % 3) }.sorted()
        #expect(RestrictedCubicSpline.knots(sortedValues: three, count: 5) == nil)
        // Piled up at the minimum (60% zeros): the minimum, then quantiles of the values above it.
        let tied = ([Double](repeating: 0, count: 600) + (1...400).map(Double.init)).sorted()
        let above = (1...400).map(Double.init)
        #expect(RestrictedCubicSpline.knots(sortedValues: tied, count: 5) == [0] + [0.275, 0.5, 0.725, 0.95].map { quantile(sorted: above, $0) })
        // Ties in the middle that no placement separates: fewer knots.
        let middle = ((0..<10).map(Double.init) + [Double](repeating: 50, count: 980) + (90..<100).map(Double.init)).sorted()
        #expect(RestrictedCubicSpline.knots(sortedValues: middle, count: 5) == nil)
        let many = (0..<1001).map(Double.init)
        #expect(RestrictedCubicSpline.knots(sortedValues: many, count: 5) == [50, 275, 500, 725, 950])
        #expect(RestrictedCubicSpline.knots(sortedValues: many, count: 3) == [100, 500, 900])
    }

    /// Without a penalty the fit depends only on the space the basis spans: LeadScore's Harrell basis
    /// gives statsmodels' probabilities on patsy's natural cubic regression spline (another basis).
    @Test func unpenalizedFitMatchesStatsmodelsOnPatsysNaturalSpline() throws {
        let ref = try SplineReference.load()
        let (x, y) = try SplineReference.data()
        let s = RestrictedCubicSpline(knots: ref.knots, lower: x.min()!, upper: x.max()!)
        let rows = x.map(s.evaluate)
        let columns = (0..<s.termCount).map { j in rows.map { $0[j] } }
        let fit = LogisticFit.fit(x: withIntercept(standardized(columns).columns), y: y, lambda: 0)
        #expect(fit.report.converged)
        for (a, b) in zip(fit.eta.map(StableMath.sigmoid), ref.unpenalized_probabilities) {
            #expect(abs(a - b) <= 1e-9, "\(a) vs \(b)")
        }
    }

    /// Penalized, on the standardized basis: scikit-learn's LogisticRegression(C = 1/λ).
    @Test func penalizedFitMatchesScikitLearnOnTheStandardizedBasis() throws {
        let ref = try SplineReference.load()
        let (x, y) = try SplineReference.data()
        let s = RestrictedCubicSpline(knots: ref.knots, lower: x.min()!, upper: x.max()!)
        let rows = x.map(s.evaluate)
        let z = standardized((0..<s.termCount).map { j in rows.map { $0[j] } })
        for (a, b) in zip(z.means, ref.penalized.term_means) { #expect(abs(a - b) <= 1e-10 * max(1, abs(b))) }
        for (a, b) in zip(z.sds, ref.penalized.term_sds) { #expect(abs(a - b) <= 1e-10 * max(1, abs(b))) }
        let fit = LogisticFit.fit(x: withIntercept(z.columns), y: y, lambda: ref.penalized.lambda)
        for (a, b) in zip(fit.beta, ref.penalized.coefficients) { #expect(abs(a - b) <= 1e-6, "\(a) vs \(b)") }
        #expect(abs(fit.intercept - ref.penalized.intercept) <= 1e-6)
        for (a, b) in zip(fit.eta.map(StableMath.sigmoid), ref.penalized.probabilities) { #expect(abs(a - b) <= 1e-7) }
    }

    /// The fitted shape recovers the planted curve (up to the intercept): within 0.3 log-odds at the
    /// script's points, where a straight line in x misses by more than 1.
    @Test func fittedSplineRecoversThePlantedCurve() throws {
        let ref = try SplineReference.load()
        let (x, y) = try SplineReference.data()
        let s = RestrictedCubicSpline(knots: ref.knots, lower: x.min()!, upper: x.max()!)
        let rows = x.map(s.evaluate)
        let columns = (0..<s.termCount).map { j in rows.map { $0[j] } }
        let fit = LogisticFit.fit(x: withIntercept(columns), y: y, lambda: 0)
        func shape(_ v: Double) -> Double { fit.intercept + zip(s.evaluate(v), fit.beta).reduce(0) { $0 + $1.0 * $1.1 } }
        let line = LogisticFit.fit(x: withIntercept([x]), y: y, lambda: 0)
        var worstLine = 0.0
        for (p, truth) in zip(ref.truth_points, ref.truth_values) {
            #expect(abs(shape(p) - truth) <= 0.3, "at \(p): fitted \(shape(p)), truth \(truth)")
            worstLine = max(worstLine, abs(line.intercept + line.beta[0] * p - truth))
        }
        #expect(worstLine > 1)
    }
}

@Suite struct MonotoneRampTests {
    @Test func rampsAreFlatOutsideTheirSegmentAndSumToTheClampedValue() throws {
        let r = MonotoneRamp(breakpoints: [0, 1, 4, 10], direction: .increasing)
        #expect(r.evaluate(-5) == [0, 0, 0])
        #expect(r.evaluate(2) == [1, 1, 0])
        #expect(r.evaluate(10) == [1, 3, 6])
        #expect(r.evaluate(1e9) == r.evaluate(10))
        // Σ ramps = clamp(x) − lower: equal slopes give a straight line.
        for v in stride(from: -2.0, through: 12, by: 0.5) {
            #expect(abs(r.evaluate(v).reduce(0, +) - (min(max(v, 0), 10) - 0)) < 1e-12)
        }
        #expect(MonotoneRamp.breakpoints(sortedValues: [1, 1, 1], knots: 5) == nil)
        let v = (0...100).map(Double.init)
        let points = try #require(MonotoneRamp.breakpoints(sortedValues: v, knots: 5))
        #expect(points.count == 7)
        for (a, b) in zip(points, [0, 5, 27.5, 50, 72.5, 95, 100]) { #expect(abs(a - b) < 1e-12) }
    }
}

@Suite struct ConstrainedNewtonSolverTests {
    func rampProblem(_ ref: SplineReference) throws -> (LogisticObjective, Int) {
        let (x, y) = try SplineReference.data()
        let r = MonotoneRamp(breakpoints: ref.monotone.breakpoints, direction: .increasing)
        let rows = x.map(r.evaluate)
        let z = standardized((0..<r.termCount).map { j in rows.map { $0[j] } })
        for (a, b) in zip(z.means, ref.monotone.term_means) { #expect(abs(a - b) <= 1e-10 * max(1, abs(b))) }
        let f = LogisticObjective(x: withIntercept(z.columns), y: y, weights: Array(repeating: 1, count: y.count), lambda: ref.monotone.lambda)
        return (f, r.termCount)
    }

    /// Increasing and decreasing fits equal scipy's L-BFGS-B with bounds (its precision ~1e-6).
    @Test(arguments: [1, -1]) func matchesScipyWithBounds(sign: Int) throws {
        let ref = try SplineReference.load()
        let (f, m) = try rampProblem(ref)
        let r = ConstrainedNewtonSolver().minimize(f, signs: Array(repeating: sign, count: m) + [0])
        #expect(r.report.converged, "\(r.report.reason)")
        let expected = sign > 0 ? ref.monotone.coefficients : ref.monotone.decreasing_coefficients
        let intercept = sign > 0 ? ref.monotone.intercept : ref.monotone.decreasing_intercept
        for (a, b) in zip(r.beta.prefix(m), expected) {
            #expect(abs(a - b) <= 2e-5, "\(Array(r.beta.prefix(m))) vs \(expected)")
            #expect(Double(sign) * a >= 0)
        }
        #expect(abs(r.beta[m] - intercept) <= 2e-5)
        // The constraint matters: some unconstrained coefficient has the forbidden sign.
        #expect(ref.monotone.unconstrained_coefficients.contains { Double(sign) * $0 < 0 })
    }

    /// KKT at the solution for random problems: feasible, zero gradient on the free coefficients,
    /// a gradient pushing outward on those held at zero; without constraints, NewtonSolver's answer.
    @Test func satisfiesKKTOnRandomProblems() async {
        await propertyCheck(count: 30, input: Gen.int(in: 1...1_000_000), Gen.int(in: 2...6)) { seed, p in
            var rng = SplitMix64(seed: UInt64(seed))
            let n = 400
            var x = Matrix(rows: n, cols: p + 1)
            let truth = (0..<p).map { _ in rng.normal() * 1.5 }
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var eta = 0.2
                for j in 0..<p { x[i, j] = rng.normal(); eta += truth[j] * x[i, j] }
                x[i, p] = 1
                y[i] = rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0
            }
            let f = LogisticObjective(x: x, y: y, weights: Array(repeating: 1, count: n), lambda: 0.5)
            let signs = (0..<p).map { _ in [1, -1, 0][Int(rng.uniform() * 3) % 3] } + [0]
            let r = ConstrainedNewtonSolver().minimize(f, signs: signs)
            #expect(r.report.converged, "\(r.report.reason)")
            let g = f.gradient(r.beta, eta: f.linearPredictor(r.beta))
            for j in 0...p {
                let s = Double(signs[j])
                #expect(s * r.beta[j] >= 0)
                if signs[j] != 0 && r.beta[j] == 0 {
                    #expect(s * g[j] >= -1e-8, "j \(j): gradient \(g[j]) pulls back inside")
                } else {
                    #expect(abs(g[j]) <= 1e-7, "j \(j): gradient \(g[j]) at a free coefficient")
                }
            }
            let free = ConstrainedNewtonSolver().minimize(f, signs: Array(repeating: 0, count: p + 1))
            let plain = NewtonSolver().minimize(f)
            for (a, b) in zip(free.beta, plain.beta) { #expect(abs(a - b) <= 1e-10) }
        }
    }
}

/// Item 7 of #10: with shapes (splines of 3–7 knots, monotone columns, straight lines) explanations
/// stay exact and the compiled scorer agrees with them, for random models and random leads (gaps,
/// unseen levels, values far outside the training range).
@Suite struct ShapeModelPropertyTests {
    static func explain(_ model: LeadScoreModel, _ lead: [String: String]) throws -> (LeadExplanation, [ResolvedValue]) {
        let names = model.design.columns.map(\.name)
        let resolver = try RowResolver(design: model.design, header: names, file: "lead", parser: FieldParser())
        var values: [ResolvedValue] = []
        try resolver.resolve(CSVRecord(fields: names.map { lead[$0] ?? "" }, line: 1), into: &values)
        return (Explainer(model: model).explain(id: "x", values: values, raw: { lead[names[$0]] ?? "" }), values)
    }

    @Test func contributionsAddUpAndTheCompiledScorerAgrees() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...1_000_000), Gen.int(in: 150...500)) { seed, rows in
            let data = RandomLeads.csv(seed: UInt64(seed), rows: rows)
            var o = TrainingOptions(dataPath: Paths.write(data.text), target: "y", positive: "1")
            o.holdoutFraction = 0
            o.minLevelCount = 5
            o.shapes.knots = 3 + seed % 5
            let features = data.header.dropLast()
            for (k, name) in features.enumerated() {
                switch (seed / 7 + k) % 4 {
                case 0: o.shapes.monotone[name] = seed % 2 == 0 ? .increasing : .decreasing
                case 1: o.shapes.columns[name] = .linear
                default: break
                }
            }
            let model: LeadScoreModel
            do { model = try Trainer(options: o).train().model } catch {
                Issue.record("seed \(seed): training failed: \(error)")
                return
            }
            let compiled = CompiledScorer(model: model)
            let explainer = Explainer(model: model)
            for k in 0..<6 {
                let lead = RandomLeads.lead(for: model, seed: UInt64(seed * 31 + k))
                guard let (e, values) = try? Self.explain(model, lead) else {
                    Issue.record("lead could not be explained: \(lead)")
                    return
                }
                let sum = e.contributions.reduce(0) { $0 + $1.logOdds }
                #expect(abs(e.baseLogOdds + sum - e.logOdds) <= 1e-9 * max(1, abs(e.logOdds)), "seed \(seed)")
                let points = e.contributions.reduce(0) { $0 + $1.points }
                #expect(abs(e.baseScore + points - e.points) <= 1e-9 * max(1, abs(e.points)))
                #expect(e.contributions.count == model.design.columns.count)
                let fast = values.withUnsafeBufferPointer { compiled.logOdds($0) }
                #expect(abs(fast - e.logOdds) <= 1e-12 * max(1, abs(e.logOdds)), "seed \(seed): \(fast) vs \(e.logOdds)")
                var bytes: [UInt8] = []
                values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: 3, to: &bytes) }
                var expected = explainer.reasonCodes(values, raw: { _ in "" }, k: 3)
                while expected.count < 3 { expected.append("") }
                #expect(String(decoding: bytes, as: UTF8.self) == "," + expected.joined(separator: ","))
            }
            // Shapes: clamped to the training range, and monotone ones never go the wrong way.
            for (c, col) in model.design.columns.enumerated() {
                guard case .shape(let s) = col.kind else { continue }
                let at = { (x: Double) in explainer.contribution(column: c, .number(x)) }
                #expect(at(s.maximum + 1e6) == at(s.maximum))
                #expect(at(s.minimum - 1e6) == at(s.minimum))
                // The scorer's table of whole numbers gives the basis's own doubles, in and out of
                // the table (fractions, both ends, beyond the range, -0, NaN excluded).
                let direct = { (x: Double) in model.coefficients.terms.withUnsafeBufferPointer { s.logOdds(x, beta: $0) } }
                let low = s.minimum.rounded(.down), high = s.maximum.rounded(.up)
                var probes: [Double] = [-0.0, 0.5, s.minimum, s.maximum, s.minimum - 0.25, s.maximum + 0.25, 1e300, -1e300]
                probes += (-3...300).map { low + Double($0) } + (-300...3).map { high + Double($0) }
                probes += (0..<50).map { low + Double($0) + 0.5 } + (0..<50).map { s.minimum + (s.maximum - s.minimum) * Double($0) / 49 }
                probes.append(low + Double(CompiledScorer.shapeTableSize) + 1)
                for x in probes {
                    let fast = compiled.numberLogOdds(c, x), slow = direct(x)
                    #expect(fast.bitPattern == slow.bitPattern, "seed \(seed): \(col.name) at \(x): \(fast) vs \(slow)")
                }
                if case .monotone(let r) = s.basis {
                    let grid = (0...40).map { s.minimum + (s.maximum - s.minimum) * Double($0) / 40 }.map(at)
                    for (a, b) in zip(grid, grid.dropFirst()) {
                        #expect(Double(r.sign) * (b - a) >= -1e-12, "seed \(seed): \(col.name) \(r.direction) goes the wrong way")
                    }
                }
            }
        }
    }
}
