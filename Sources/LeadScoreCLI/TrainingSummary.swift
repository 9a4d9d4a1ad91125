import Foundation
import LeadModel

/// The summary `train` prints: for people (text) or pipelines (JSON).
enum TrainingSummary {
    static func text(_ outcome: TrainingOutcome, path: String) -> String {
        let m = outcome.model
        let p = m.provenance
        var lines: [String] = []
        lines.append("Model written to \(path)")
        lines.append("  data:     \(p.dataFile) (\(p.rowsRead) rows read; \(p.trainingRows) training, \(p.holdoutRows) holdout, \(p.rowsSkipped) skipped)")
        lines.append("  outcome:  '\(m.target.positive)' vs \(m.target.negatives.map { "'\($0)'" }.joined(separator: ", ")) in '\(m.target.column)'; positive rate \(percent(m.metrics.train.positiveRate)) (training)")
        let features = m.schema.filter { $0.role == .feature }.count
        let dropped = m.schema.filter { $0.role == .dropped }.map(\.name)
        lines.append("  design:   \(m.design.termCount) terms from \(features) columns\(dropped.isEmpty ? "" : "; dropped: \(dropped.joined(separator: ", "))")")
        var penalty = m.provenance.options["penalty"] == "none" ? "no penalty" : "L2 lambda \(m.provenance.options["lambda"] ?? "?")"
        if let s = m.lambdaSelection {
            let how = s.method == "cross-validation" ? "\(s.folds)-fold cross-validation" : "a held-out sample"
            penalty = "L2 lambda \(String(format: "%.4g", s.chosen)) (auto: \(s.rule.rawValue) rule, \(how))"
        }
        let f = m.fit
        lines.append("  fit:      \(f.solver), \(penalty); \(f.converged ? "converged" : "NOT converged") after \(f.iterations) iterations (\(f.reason); gradient \(String(format: "%.2e", f.gradientNorm)))")
        var perf = "training AUC \(m.metrics.train.auc.map { fmt($0) } ?? "n/a"), log loss \(fmt(m.metrics.train.logLoss))"
        if let h = m.metrics.holdout {
            perf = "holdout AUC \(h.auc.map { fmt($0) } ?? "n/a"), log loss \(fmt(h.logLoss)) on \(h.rows) rows (\(p.holdout)); " + perf
        }
        lines.append("  quality:  " + perf)
        lines.append("  score:    \(fmt(m.scorecard.referenceScore, 0)) points at odds \(m.scorecard.referenceOdds), \(fmt(m.scorecard.pdo, 0)) points to double the odds")
        lines.append("  grades:   " + m.grades.map { "\($0.grade) ≥ \(fmt($0.minScore, 1)) (\(percent($0.trainingPositiveRate)) '\(m.target.positive)')" }.joined(separator: ", "))
        let top = m.inference.columns.prefix(5)
        if !top.isEmpty {
            lines.append("  drivers:  (mean |points| per lead; joint p-value\(m.inference.standardErrorsApproximate ? ", approximate under L2" : ""))")
            for c in top {
                lines.append("            " + ExplanationText.pad(c.column, 30) + " " + String(format: "%6.2f", c.importancePoints) + "  p " + DriversTable.pValue(c.pValue))
            }
            lines.append("            (all: leadscore drivers --model \(path))")
        }
        for i in m.design.interactions ?? [] {
            lines.append("  interaction: \(i.name) (\(i.cells.count) terms; its line in drivers gives the joint test)")
        }
        if let search = m.shapeSearch {
            let steps = search.kept.map(\.column)
            lines.append("  shapes:   --numeric auto: \(search.columns.count - steps.count) numeric column(s) as splines\(steps.isEmpty ? "" : ", as steps: \(search.keptText)")")
            if !search.trials.isEmpty {
                lines.append("            steps tried by \(ShapeSearch.folds)-fold cross-validation on \(search.validationRows) training rows (kept when the deviance per row falls ≥ \(search.margin)):")
            }
            for t in search.trials {
                lines.append("            \(t.kept ? "kept    " : "rejected") \(t.column) as \(t.bins) bins: deviance \(String(format: "%.4f", t.validationDevianceBefore)) → \(String(format: "%.4f", t.validationDevianceAfter))")
            }
        }
        if let search = m.interactionSearch {
            if search.trials.isEmpty {
                lines.append("  interactions auto: no pair tried: no pair's screen gain beat chance")
            } else {
                lines.append("  interactions auto: the \(search.trials.count) best-screened pair(s) (at most \(search.cap)) tried by \(InteractionSearch.folds)-fold cross-validation on \(search.validationRows) training rows (kept when the deviance per row falls ≥ \(search.margin), and falls in at least \(InteractionSearch.folds - 1) of the \(InteractionSearch.folds) folds):")
            }
            for t in search.trials {
                // Why, when the deviance alone does not say: the folds rule, the screen, no terms.
                var why = ""
                if t.refitted == false {
                    why = " (not refitted: its cells alone, the rest held fixed, gained < \(String(format: "%g", search.margin * InteractionSearch.refitShare)))"
                } else if t.refitted == nil && t.foldsImproved == nil && t.validationDevianceAfter == t.validationDevianceBefore {
                    why = " (no cell pair has --min-level-count leads: no terms)"
                } else if let folds = t.foldsImproved {
                    why = " (better in \(folds) of \(InteractionSearch.folds) folds)"
                }
                let finer = t.finerCells == true ? " (finer cells)" : ""
                lines.append("            \(t.kept ? "kept    " : "rejected") \(t.first) × \(t.second): deviance \(String(format: "%.4f", t.validationDevianceBefore)) → \(String(format: "%.4f", t.validationDevianceAfter))\(finer)\(why)")
            }
        }
        if let s = m.lambdaSelection {
            lines.append("  lambda:   " + s.table[0])
            for row in s.table.dropFirst() { lines.append("          " + row) }
        }
        for w in f.warnings { lines.append("  warning:  " + w) }
        for n in m.notices { lines.append("  notice:   " + n) }
        return Terminal.printable(lines.joined(separator: "\n"))
    }

    static func json(_ outcome: TrainingOutcome, path: String, extra: [String: Any] = [:]) -> String {
        let m = outcome.model
        var dict: [String: Any] = [
            "model": path,
            "rows_read": m.provenance.rowsRead,
            "rows_skipped": m.provenance.rowsSkipped,
            "training_rows": m.provenance.trainingRows,
            "holdout_rows": m.provenance.holdoutRows,
            "terms": m.design.termCount,
            "converged": m.fit.converged,
            "iterations": m.fit.iterations,
            "train_auc": m.metrics.train.auc ?? NSNull(),
            "train_log_loss": m.metrics.train.logLoss,
            "positive_rate": m.metrics.train.positiveRate,
            "warnings": m.fit.warnings,
            "notices": m.notices,
            "top_drivers": m.inference.columns.prefix(5).map(\.column),
        ]
        if let s = m.lambdaSelection {
            dict["lambda"] = s.chosen
            dict["lambda_selection"] = ["method": s.method, "rule": s.rule.rawValue, "folds": s.folds,
                                        "lambdas": s.lambdas, "deviance": s.deviance, "standard_error": s.standardError,
                                        "chosen_index": s.chosenIndex] as [String: Any]
        }
        if let interactions = m.design.interactions { dict["interactions"] = interactions.map(\.name) }
        if let search = m.interactionSearch {
            dict["interaction_search"] = [
                "cap": search.cap, "margin": search.margin, "validation_rows": search.validationRows,
                "kept": search.kept.map(\.pair), "rejected": search.rejected.map(\.pair),
                "trials": search.trials.map { ["pair": $0.pair, "kept": $0.kept, "screen_gain": $0.screenGain, "degrees_of_freedom": $0.degreesOfFreedom,
                                               "validation_deviance_before": $0.validationDevianceBefore,
                                               "validation_deviance_after": $0.validationDevianceAfter, "refitted": $0.refitted ?? NSNull(),
                                               "folds_improved": $0.foldsImproved ?? NSNull(),
                                               "finer_cells": $0.finerCells ?? NSNull()] as [String: Any] },
            ] as [String: Any]
        }
        if let search = m.shapeSearch {
            dict["shape_search"] = [
                "columns": search.columns, "margin": search.margin, "validation_rows": search.validationRows,
                "steps": search.kept.map(\.column),
                "trials": search.trials.map { ["column": $0.column, "bins": $0.bins, "kept": $0.kept, "screen_gain": $0.screenGain,
                                               "degrees_of_freedom": $0.degreesOfFreedom,
                                               "validation_deviance_before": $0.validationDevianceBefore,
                                               "validation_deviance_after": $0.validationDevianceAfter] as [String: Any] },
            ] as [String: Any]
        }
        if let h = m.metrics.holdout {
            dict["holdout_auc"] = h.auc ?? NSNull()
            dict["holdout_log_loss"] = h.logLoss
        }
        dict.merge(extra) { _, new in new }
        let data = (try? JSONSerialization.data(withJSONObject: dict, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
