import Foundation
import Testing
@testable import LeadModel
@testable import SyntheticLeads
import LeadData

/// `--numeric auto` (`ShapeSearch`): a spline, or steps where cross-validation prefers them.
@Suite struct ShapeSearchTests {
    /// `generate --shapes` plants a step at 30 days without activity and a smooth, saturating effect
    /// of page views. The search makes the step column steps, keeps page views a spline, and every
    /// verdict follows the documented margin.
    @Test func aThresholdBecomesStepsAndASmoothCurveStaysASpline() throws {
        let (model, _) = try InteractionTests.shaped(rows: 20000, interactions: [], lambda: 1)
        let search = try #require(model.shapeSearch)
        #expect(Set(search.columns) == ["company_size", "page_views", "days_since_last_activity", "marketing_touches"])
        let days = try #require(search.trials.first { $0.column == "days_since_last_activity" })
        #expect(days.kept, "\(search.trials)")
        #expect(search.kept.allSatisfy { $0.column != "page_views" }, "\(search.trials)")
        for t in search.trials {
            #expect(t.kept == (t.validationDevianceBefore - t.validationDevianceAfter >= search.margin), "\(t)")
            #expect(t.screenGain > Double(t.degreesOfFreedom))
        }
        // What was kept is a step function in the model; the rest are splines.
        for column in model.design.columns {
            guard case .shape(let s) = column.kind else { continue }
            let steps = search.kept.contains { $0.column == column.name }
            switch s.basis {
            case .bins(let b):
                #expect(steps, "\(column.name)")
                #expect(b.cuts.count + 1 <= ShapeSearch.bins)
            case .spline: #expect(!steps, "\(column.name)")
            case .monotone: Issue.record("no monotone column was asked for")
            }
        }
        // The steps are worth it on leads the model never saw: the holdout (20%, seeded) log loss
        // is lower than with every column a spline.
        let (splines, _) = try InteractionTests.shaped(rows: 20000, interactions: [], lambda: 1) { $0.shapes.numeric = .spline }
        #expect(splines.shapeSearch == nil)
        #expect(try #require(model.metrics.holdout).logLoss < (try #require(splines.metrics.holdout)).logLoss)
    }

    /// Fewer than 1,000 training rows: no search, every column a spline, and a notice only when
    /// `--numeric auto` was asked for by name.
    @Test func fewRowsKeepSplines() throws {
        for asked in [false, true] {
            let (model, _) = try InteractionTests.shaped(rows: 1000, interactions: [], lambda: 1) {
                $0.holdoutFraction = 0.2
                $0.searchesAsked = asked
            }
            #expect(model.shapeSearch == nil)
            #expect(model.design.columns.allSatisfy { if case .shape(let s) = $0.kind, case .bins = s.basis { false } else { true } })
            #expect(model.notices.contains { $0.hasPrefix("--numeric auto: ") && $0.contains("training rows are fewer than 1000") } == asked, "\(model.notices)")
        }
    }

    /// Cuts sit on training values: a column of a few frequent values gets one step per value (its
    /// levels), and a rare value shares the bin below it.
    @Test func binsOfAFewValuesAreTheirLevels() throws {
        var values: [Double] = []
        for (v, n) in [(0.0, 400), (1, 300), (2, 150), (3, 80), (5, 40), (9, 3)] { values += Array(repeating: v, count: n) }
        let cuts = try #require(QuantileBins.cuts(sortedValues: values, bins: ShapeSearch.bins, minCount: 10))
        #expect(cuts == [1, 2, 3, 5])
        let continuous = (0..<1000).map { Double($0) * 0.37 + 0.001 * Double($0 % 7) }.sorted()
        let c = try #require(QuantileBins.cuts(sortedValues: continuous, bins: 10, minCount: 10))
        #expect(c.count == 9 && c.allSatisfy { continuous.contains($0) })
    }
}
