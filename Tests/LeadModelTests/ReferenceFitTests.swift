import Foundation
import Testing
@testable import LeadModel

/// LeadScore's fits against statsmodels (unpenalized MLE) and scikit-learn (L2), on the bundled
/// synthetic leads (a 34-level categorical), the bundled copy of UCI bank marketing and X Education
/// (from ../shared/datasets; skipped, with the reason, where it is absent). Fixtures:
/// Tests/Fixtures/make_fixtures.py.
@Suite struct ReferenceFitTests {
    static let unpenalized = ["synthetic-leads", "bank-marketing"]
    static let penalized = ["synthetic-leads", "synthetic-leads-balanced", "bank-marketing", "bank-marketing-full"]

    @Test(.enabled(if: Paths.hasXEducation, Comment(rawValue: Paths.xEducationAbsent)))
    func xEducationMatchesScikitLearn() throws {
        try l2MatchesScikitLearn(name: "x-education")
        try holdoutAUCMatchesScikitLearnOnTheSameSplit(name: "x-education")
    }

    @Test(arguments: unpenalized)
    func maximumLikelihoodMatchesStatsmodels(name: String) throws {
        let fixture = try Fixture.load(name)
        let reference = try #require(fixture.statsmodels)
        let model = try Trainer(options: fixture.options(penalty: .none)).train().model
        #expect(model.design.termNames == fixture.terms)
        #expect(model.fit.converged)
        for (t, term) in model.design.termNames.enumerated() {
            let ref = try #require(reference.coefficients[term])
            #expect(relativeError(model.coefficients.terms[t], ref) < 1e-6, "\(name) \(term): \(model.coefficients.terms[t]) vs \(ref)")
            let se = try #require(model.coefficients.standardErrors?[t])
            let refSE = try #require(reference.std_errors?[term])
            #expect(relativeError(se, refSE) < 1e-5, "\(name) SE \(term): \(se) vs \(refSE)")
        }
        #expect(relativeError(model.coefficients.intercept, reference.intercept) < 1e-6)
        #expect(relativeError(model.coefficients.interceptStandardError!, reference.intercept_std_error!) < 1e-5)
        #expect(!model.coefficients.standardErrorsApproximate)
        try expectProbabilities(model, fixture: fixture, reference: reference.probabilities)
    }

    @Test(arguments: penalized)
    func l2MatchesScikitLearn(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try Trainer(options: fixture.options(penalty: .l2)).train().model
        #expect(model.design.termNames == fixture.terms)
        for (t, term) in model.design.termNames.enumerated() {
            let ref = try #require(fixture.sklearn.coefficients[term])
            #expect(relativeError(model.coefficients.terms[t], ref) < 1e-6, "\(name) \(term): \(model.coefficients.terms[t]) vs \(ref)")
        }
        // With balanced class weights the intercept is moved back to the training base rate after the
        // fit (prior correction); scikit-learn's is the fit's own.
        let shift = model.coefficients.priorCorrection ?? 0
        #expect((fixture.class_weight == "balanced") == (shift != 0))
        #expect(relativeError(model.coefficients.intercept - shift, fixture.sklearn.intercept) < 1e-6)
        #expect(model.coefficients.standardErrorsApproximate)
        try expectProbabilities(model, fixture: fixture,
                                reference: fixture.sklearn.probabilities.map { StableMath.sigmoid(StableMath.logit($0) + shift) })
    }

    /// The holdout AUC `train` prints equals scikit-learn's on the same seeded split.
    @Test(arguments: penalized)
    func holdoutAUCMatchesScikitLearnOnTheSameSplit(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try Trainer(options: fixture.options(penalty: .l2, holdout: fixture.holdout.fraction)).train().model
        let holdout = try #require(model.metrics.holdout)
        #expect(holdout.rows == fixture.holdout.rows)
        #expect(abs(try #require(holdout.auc) - fixture.holdout.sklearn_auc) < 1e-6)
        // The prior correction (balanced weights) changes probabilities, not their order: log loss is
        // scikit-learn's only without it.
        if fixture.class_weight != "balanced" {
            #expect(abs(holdout.logLoss - fixture.holdout.sklearn_log_loss) < 1e-6)
        }
    }

    /// Probabilities from the scoring path (CSV → resolver → model) agree with the reference fit on the
    /// sampled rows: scoring and fitting share one design.
    func expectProbabilities(_ model: LeadScoreModel, fixture: Fixture, reference: [Double]) throws {
        let out = Paths.temporary("scores.csv")
        var o = ScoringOptions(dataPath: fixture.path)
        o.outPath = out
        o.delimiter = fixture.delimiter.utf8.first!
        o.idColumn = nil
        let summary = try Scorer(model: model).run(o)
        #expect(summary.rowsScored == summary.rowsRead)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        for (k, row) in fixture.sample_rows.enumerated() {
            let fields = lines[row + 1].split(separator: ",", omittingEmptySubsequences: false)
            let p = try #require(Double(fields[1]))
            #expect(relativeError(p, reference[k], floor: 1e-12) < 1e-6, "\(fixture.dataset) row \(row): \(p) vs \(reference[k])")
        }
    }
}
