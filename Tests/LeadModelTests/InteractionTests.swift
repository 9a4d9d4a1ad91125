import Foundation
import PropertyBased
import Testing
@testable import LeadModel
import LinearAlgebra
@testable import SyntheticLeads
import LeadSupport

/// `train --interaction A:B`: the interaction's terms reach every consumer with the same numbers.
@Suite struct InteractionTests {
    static func resolve(_ model: LeadScoreModel, _ lead: [String: String]) throws -> [ResolvedValue] {
        let names = model.design.columns.map(\.name)
        let resolver = try RowResolver(design: model.design, header: names, file: "lead", parser: FieldParser())
        var values: [ResolvedValue] = []
        try resolver.resolve(CSVRecord(fields: names.map { lead[$0] ?? "" }, line: 1), into: &values)
        return values
    }

    /// The compiled scorer's `reason_1…reason_k` fields, the empty ones dropped.
    static func reasonColumns(_ compiled: CompiledScorer, _ values: [ResolvedValue], k: Int) -> [String] {
        var bytes: [UInt8] = []
        values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: k, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: true).map(String.init)
    }

    /// True when the model, written and loaded (validated), has the same design and bytes.
    static func readsBack(_ model: LeadScoreModel) throws -> Bool {
        let path = Paths.temporary("model.json")
        try model.write(to: path)
        let loaded = try LeadScoreModel.load(from: path)
        return try loaded.design == model.design && loaded.jsonData() == model.jsonData()
    }

    /// Random models with one or two interactions between random columns (every pairing of
    /// numeric, categorical and yes/no; numbers as splines, straight lines or bins), random leads (unseen levels, gaps, numbers far outside the
    /// training range): contributions add up to the log-odds (1e-9) and points, the compiled scorer
    /// agrees with explain (1e-12) and gives the same reason codes, and the file reads back to the
    /// same bytes.
    @Test func contributionsAddUpAndTheCompiledScorerAgrees() async {
        let fitted = Counter()
        await propertyCheck(count: 40, input: Gen.int(in: 1...1_000_000), Gen.int(in: 200...500)) { seed, rows in
            let data = RandomLeads.csv(seed: UInt64(seed), rows: rows)
            let features = Array(data.header.dropLast())
            guard features.count >= 2 else { return }
            var o = TrainingOptions(dataPath: Paths.write(data.text), target: "y", positive: "1")
            o.holdoutFraction = seed % 3 == 0 ? 0.2 : 0
            o.minLevelCount = 5
            o.penalty = seed % 4 == 0 ? .none : .l2
            if seed % 5 == 0 { o.shapes.columns = Dictionary(uniqueKeysWithValues: features.map { ($0, .linear) }) }
            if seed % 5 == 1 { o.shapes.numeric = .bins; o.shapes.bins = 2 + seed % 9 }
            let a = seed % features.count, b = (a + 1 + (seed / 7) % (features.count - 1)) % features.count
            o.interactions = [InteractionPair(features[a], features[b])]
            if features.count >= 3 {
                let c = (b + 1) % features.count
                if c != a { o.interactions.append(InteractionPair(features[c], features[a])) }
            }
            let model: LeadScoreModel
            do { model = try Trainer(options: o).train().model } catch {
                Issue.record("seed \(seed): training failed: \(error)")
                return
            }
            let interactions = model.design.interactions ?? []
            if !interactions.isEmpty { fitted.add() }
            let compiled = CompiledScorer(model: model)
            let explainer = Explainer(model: model)
            for k in 0..<6 {
                let lead = RandomLeads.lead(for: model, seed: UInt64(seed * 31 + k))
                guard let values = try? Self.resolve(model, lead) else {
                    Issue.record("lead could not be resolved: \(lead)")
                    return
                }
                let names = model.design.columns.map(\.name)
                let e = explainer.explain(id: "x", values: values, raw: { lead[names[$0]] ?? "" })
                let sum = e.contributions.reduce(0) { $0 + $1.logOdds }
                #expect(abs(e.baseLogOdds + sum - e.logOdds) <= 1e-9 * max(1, abs(e.logOdds)), "seed \(seed)")
                let points = e.contributions.reduce(0) { $0 + $1.points }
                #expect(abs(e.baseScore + points - e.points) <= 1e-9 * max(1, abs(e.points)))
                #expect(e.contributions.count == model.design.columns.count + interactions.count)
                for i in interactions { #expect(e.contributions.contains { $0.column == i.name }) }
                let fast = values.withUnsafeBufferPointer { compiled.logOdds($0) }
                #expect(abs(fast - e.logOdds) <= 1e-12 * max(1, abs(e.logOdds)), "seed \(seed): \(fast) vs \(e.logOdds)")
                // The design matrix row (RowEncoder) times β gives the same log-odds.
                var x = Matrix(rows: 1, cols: model.design.termCount + 1)
                RowEncoder(design: model.design).encode(values, row: 0, into: &x)
                let beta = model.coefficients.terms + [model.coefficients.intercept]
                let eta = (0..<x.cols).reduce(0.0) { $0 + x[0, $1] * beta[$1] }
                #expect(abs(eta - e.logOdds) <= 1e-9 * max(1, abs(e.logOdds)), "seed \(seed): encoded row \(eta) vs \(e.logOdds)")
                #expect(Self.reasonColumns(compiled, values, k: 4) == explainer.reasonCodes(values, raw: { _ in "" }, k: 4))
            }
            #expect((try? Self.readsBack(model)) == true, "seed \(seed): the model does not read back to the same bytes")
        }
        #expect(fitted.value >= 20, "only \(fitted.value) of 40 random models kept an interaction")
    }

    /// Interactions' terms are the training rows' cell pairs: each term's mean in the model is the
    /// share of training rows in its cell pair, as counted in the file.
    @Test func termMeansAreTheCellPairShares() throws {
        let (model, _) = try Self.shaped(rows: 3000, interactions: [InteractionPair("lead_source", "job_level")], lambda: 1)
        let i = try #require(model.design.interactions?.first)
        let n = Double(model.provenance.trainingRows)
        for cell in i.cells { #expect(abs(model.design.termMeans![cell.term] - Double(cell.count) / n) < 1e-12) }
        let counted = i.cells.reduce(0) { $0 + $1.count }
        #expect(counted > 0 && counted < model.provenance.trainingRows)
    }

    /// The keys of the model file's design object.
    static func designKeys(_ model: LeadScoreModel) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: try model.jsonData()) as! [String: Any]
        return Set((object["design"] as! [String: Any]).keys)
    }

    /// A model trained on `generate --shapes` leads (seed 21), with `adjust` applied to the options.
    static func shaped(rows: Int, interactions: [InteractionPair], lambda: Double?,
                       adjust: (inout TrainingOptions) -> Void = { _ in }) throws -> (LeadScoreModel, String) {
        let path = Paths.temporary("shaped.csv")
        let sink = try OutputSink(path: path)
        try ShapedLeadGenerator(seed: 21).write(rows: rows, to: sink)
        try sink.commit()
        var o = TrainingOptions(dataPath: path, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason", "created_at"]
        if let lambda { o.lambda = lambda }
        o.interactions = interactions
        o.interactionsAuto = false
        adjust(&o)
        return (try Trainer(options: o).train().model, path)
    }

    /// `generate --shapes` plants −1.5 on lead_source=event ∧ job_level=individual: the fitted cell
    /// is near it, the other cells of the pair are near 0, and the holdout AUC improves.
    @Test func thePlantedInteractionIsRecovered() throws {
        let pair = InteractionPair("lead_source", "job_level")
        let (with, _) = try Self.shaped(rows: 20000, interactions: [pair], lambda: 0.1)
        let (without, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 0.1)
        let names = with.design.termNames
        let planted = try #require(names.firstIndex(of: "lead_source=event × job_level=individual"))
        let fitted = with.coefficients.terms[planted]
        // Within three standard errors of the planted effect (the fit's own uncertainty on ~580 leads).
        let se = try #require(with.coefficients.standardErrors?[planted])
        #expect(se > 0.05 && se < 0.3)
        #expect(abs(fitted - ShapedLeadGenerator.planted["lead_source=event × job_level=individual"]!) < 3 * se, "fitted \(fitted) ± \(se)")
        let others = with.design.interactions![0].terms.filter { $0 != planted }.map { with.coefficients.terms[$0] }
        #expect(abs(others.reduce(0, +) / Double(others.count)) < 0.2, "other cells \(others)")
        let aucWith = try #require(with.metrics.holdout?.auc), aucWithout = try #require(without.metrics.holdout?.auc)
        #expect(aucWith > aucWithout, "holdout AUC \(aucWith) with the interaction, \(aucWithout) without")
        #expect(with.metrics.holdout!.logLoss < without.metrics.holdout!.logLoss)
        // drivers: the pair's joint test is one line, with every cell pair's term.
        let driver = try #require(with.inference.columns.first { $0.column == "lead_source × job_level" })
        #expect(driver.df == with.design.interactions![0].cells.count && driver.terms.count == driver.df)
        #expect((driver.pValue ?? 1) < 1e-6)
        // Without interactions the model file has no such key (models trained before are unchanged).
        #expect(without.design.interactions == nil)
        #expect(try Self.designKeys(without).contains("interactions") == false)
    }

    /// `--interactions auto` on `generate --shapes`: the planted pair is screened first and kept, the
    /// pairs with nothing planted are rejected, and each verdict follows the documented margin.
    @Test func theSearchKeepsThePlantedPairOnly() throws {
        let (model, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 1) { $0.interactionsAuto = true }
        let search = try #require(model.interactionSearch)
        #expect(search.trials.count == InteractionSearch.defaultCap)
        #expect(search.trials.first?.pair == "lead_source:job_level", "\(search.trials.map(\.pair))")
        #expect(search.kept.map(\.pair) == ["lead_source:job_level"], "\(search.trials)")
        for t in search.trials {
            #expect(t.kept == (t.validationDevianceBefore - t.validationDevianceAfter >= search.margin), "\(t)")
            #expect(t.screenGain > Double(t.degreesOfFreedom))
        }
        #expect(model.design.interactions?.map(\.name) == ["lead_source × job_level"])
        #expect(search.validationRows == model.provenance.trainingRows)
        #expect(model.provenance.options["interactions"] == "auto")
    }

    /// The screen in front of each refit: a pair whose cells alone (the rest held fixed) gain less
    /// than `refitShare` of the margin is rejected without a refit, marked so; the search keeps the
    /// same pairs as one that refits every candidate, and every kept pair was refitted.
    @Test func theScreenedSearchKeepsWhatRefittingEveryPairKeeps() throws {
        let (screened, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 1) { $0.interactionsAuto = true }
        let (everyPair, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 1) {
            $0.interactionsAuto = true
            $0.interactionRefitShare = -.infinity
        }
        let a = try #require(screened.interactionSearch), b = try #require(everyPair.interactionSearch)
        #expect(a.kept.map(\.pair) == b.kept.map(\.pair))
        #expect(a.trials.map(\.pair) == b.trials.map(\.pair))
        #expect(b.trials.allSatisfy { $0.refitted == true })
        #expect(a.kept.allSatisfy { $0.refitted == true })
        // The rest held fixed, a pair never gains more than refitted (here), and the screened-out
        // pairs are those below the share.
        let threshold = a.margin * InteractionSearch.refitShare
        var screenedOut = 0
        for (t, full) in zip(a.trials, b.trials) where t.refitted == false {
            screenedOut += 1
            #expect(t.validationDevianceBefore - t.validationDevianceAfter < threshold, "\(t)")
            #expect(!t.kept)
            #expect(!full.kept, "\(full)")
        }
        #expect(screenedOut >= 2, "the screen spared few refits: \(a.trials)")
    }

    /// Each searched pair is judged cut two ways (`InteractionCells`): the coarse cut's verdict is
    /// the one a search with that cut alone gives, and the finer cut is taken only when it is kept
    /// and validates better. On the bundled leads (the demo's options) `lead_source × company_size`
    /// is kept cut finer: its company_size side has 6 bins, more than the coarse cut's 4.
    @Test func theFinerCutIsTakenOnlyWhenItValidatesBetter() throws {
        func train(_ cuts: [InteractionCells]) throws -> LeadScoreModel {
            var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
            o.idColumn = "lead_id"
            o.exclude = ["reject_reason"]
            o.timeColumn = "created_at"
            o.holdoutAfter = FieldParser.date("2026-06-30")
            o.holdoutAfterText = "2026-06-30"
            o.interactionCuts = cuts
            return try Trainer(options: o).train().model
        }
        let both = try train([.coarse, .fine]), coarse = try train([.coarse])
        let a = try #require(both.interactionSearch), b = try #require(coarse.interactionSearch)
        #expect(b.trials.allSatisfy { $0.finerCells == false })
        // The first pair is tried against the same model in both searches.
        let (first, alone) = (try #require(a.trials.first), try #require(b.trials.first))
        #expect(first.pair == alone.pair && first.validationDevianceBefore == alone.validationDevianceBefore)
        if first.finerCells == true {
            #expect(first.kept)
            if alone.kept { #expect(first.validationDevianceAfter < alone.validationDevianceAfter, "\(first) \(alone)") }
        } else {
            #expect(first.validationDevianceAfter == alone.validationDevianceAfter && first.kept == alone.kept)
        }
        #expect(first.pair == "lead_source:company_size" && first.kept && first.finerCells == true, "\(first)")
        let pair = try #require(both.design.interactions?.first { $0.name == "lead_source × company_size" })
        #expect(pair.second.cuts?.count == InteractionCells.fine.numeric - 1)
        let coarsePair = try #require(coarse.design.interactions?.first { $0.name == "lead_source × company_size" })
        #expect(coarsePair.second.cuts?.count == InteractionCells.coarse.numeric - 1)
    }

    /// A numeric side's cut points over a narrow range: at 3 significant digits 199.17 and 199.33
    /// both read "199" and two terms would share a name (a model every reader refuses). The labels
    /// take the digits that tell the cuts apart; a negative bound reads "a to b".
    @Test func cellLabelsTellEveryCutApart() throws {
        #expect(InteractionBuilder.cutTexts([199.17, 199.33, 199.5, 199.66, 199.83]) == ["199.2", "199.3", "199.5", "199.7", "199.8"])
        #expect(InteractionBuilder.cutTexts([1.0001, 1.0002, 1.0004]) == ["1.0001", "1.0002", "1.0004"])
        #expect(InteractionBuilder.cutTexts([3, 10, 250]) == ["3", "10", "250"])
        #expect(InteractionBuilder.cutTexts([4.958, 4.963]) == ["4.958", "4.963"])
        // Through a trained pair: list_price spread over 199.00–199.99, cut finely, with a pair
        // planted on it; the model's term names are distinct and the model reads back.
        let path = Paths.temporary("narrow.csv")
        var rng = SplitMix64(seed: 3)
        var text = "lead_id,plan,list_price,y\n"
        let plans = ["basic", "pro", "team", "ent"]
        for i in 0..<6000 {
            let plan = plans[Int(rng.next() % 4)]
            let price = 199 + Double(rng.next() % 100) / 100
            let eta = (plan == "pro" ? 1.5 : -0.3) * (price - 199.5) * 4
            let y = Double(rng.next() % 10_000) / 10_000 < StableMath.sigmoid(eta) ? "won" : "lost"
            text += "L\(i),\(plan),\(price),\(y)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var o = TrainingOptions(dataPath: path, target: "y", positive: "won")
        o.idColumn = "lead_id"
        o.interactions = [InteractionPair("plan", "list_price")]
        o.interactionsAuto = false
        let model = try Trainer(options: o).train().model
        #expect(Set(model.design.termNames).count == model.design.termNames.count)
        let labels = try #require(model.design.interactions?.first?.second.labels)
        #expect(Set(labels).count == labels.count, "\(labels)")
        #expect(try Self.readsBack(model))
    }

    /// `--monotone` promises the score never moves against the direction given: the pair search
    /// never pairs a monotone column (a pair's cells would bend its shape).
    @Test func thePairSearchNeverPairsAMonotoneColumn() throws {
        let (model, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 1) {
            $0.interactionsAuto = true
            $0.shapes.monotone["company_size"] = .increasing
        }
        let search = try #require(model.interactionSearch)
        #expect(!search.trials.isEmpty)
        #expect(search.trials.allSatisfy { $0.first != "company_size" && $0.second != "company_size" }, "\(search.trials.map(\.pair))")
        #expect((model.design.interactions ?? []).allSatisfy { $0.first.column != "company_size" && $0.second.column != "company_size" })
    }

    /// `FoldDeviance.heldFixed` fits each cell's value with the rest held fixed: at the values it
    /// returns, each cell's penalized gradient over the fold's fitting rows is zero, and the fold's
    /// deviance is its held-out rows' scored with them.
    @Test func theHeldFixedScreenSolvesEachCell() {
        var rng = SplitMix64(seed: 5)
        let n = 3000, cells = 7
        let cell = (0..<n).map { _ in Int32(Int(rng.next() % UInt64(cells + 1)) - 1) }
        let base = (0..<n).map { _ in Double(rng.next() % 2001) / 1000 - 1 }
        let effect = (0..<cells).map { Double($0) / 3 - 1 }
        let y = (0..<n).map { i -> Double in
            let e = base[i] + (cell[i] >= 0 ? effect[Int(cell[i])] : 0)
            return Double(rng.next() % 10_000) / 10_000 < StableMath.sigmoid(e) ? 1 : 0
        }
        let weights = [Double](repeating: 1, count: n)
        let deviance = FoldDeviance(y: y, weights: weights, folds: 5, seed: 42, lambda: 1, maxIterations: 50)
        let etas = Array(repeating: base, count: 5)
        let penalties = (0..<cells).map { 0.5 + Double($0) }
        let held = deviance.heldFixed(etas: etas, cell: cell, cells: cells, penalties: penalties)
        var total = 0.0
        for f in 0..<5 {
            let gamma = held.cellValues[f]
            for c in 0..<cells {
                var g = penalties[c] * gamma[c]
                for i in 0..<n where deviance.fold[i] != f && Int(cell[i]) == c {
                    g += StableMath.sigmoid(base[i] + gamma[c]) - y[i]
                }
                #expect(abs(g) < 1e-8, "fold \(f) cell \(c): gradient \(g)")
            }
            var sum = 0.0, rows = 0
            for i in 0..<n where deviance.fold[i] == f {
                let e = base[i] + (cell[i] >= 0 ? gamma[Int(cell[i])] : 0)
                sum += 2 * (StableMath.log1pexp(e) - y[i] * e)
                rows += 1
            }
            #expect(abs(sum / Double(rows) - held.foldDeviance[f]) < 1e-12)
            total += sum
        }
        #expect(abs(total / Double(n) - held.deviance) < 1e-12)
        // The cells carry a planted effect: fitted, the held-out deviance falls below the base's.
        let none = deviance.heldFixed(etas: etas, cell: [Int32](repeating: -1, count: n), cells: cells, penalties: penalties)
        #expect(held.deviance < none.deviance - 0.01)
    }

    /// Above `interactionSampleRows` training rows the search cross-validates on a stratified
    /// sample of that many (50,000 by default), and still finds the planted pair.
    @Test func aLargeTrainingSetIsSearchedOnASample() throws {
        let (model, _) = try Self.shaped(rows: 20000, interactions: [], lambda: 1) {
            $0.interactionsAuto = true
            $0.interactionSampleRows = 12000
        }
        let search = try #require(model.interactionSearch)
        #expect(abs(search.validationRows - 12000) <= 1, "\(search.validationRows)")
        #expect(model.provenance.trainingRows > 15000)
        #expect(search.kept.map(\.pair) == ["lead_source:job_level"], "\(search.trials)")
        // The kept pair is built on every training row, not the sample: each cell's count is its
        // term's mean over all training rows times their number.
        let n = Double(model.provenance.trainingRows)
        for cell in model.design.interactions![0].cells {
            #expect(abs(model.design.termMeans![cell.term] * n - Double(cell.count)) < 1e-6)
        }
    }

    /// A pair none of whose cell pairs has --min-level-count training leads is left out with a
    /// notice, and the model is written as one without interactions.
    @Test func aPairWithoutEnoughLeadsIsLeftOutWithANotice() throws {
        let (model, _) = try Self.shaped(rows: 2000, interactions: [InteractionPair("lead_source", "job_level")], lambda: 1) {
            $0.minLevelCount = 400
        }
        #expect(model.design.interactions == nil)
        #expect(model.notices.contains { $0.hasPrefix("interaction lead_source × job_level left out: no pair of its cells has --min-level-count 400") },
                "\(model.notices)")
        #expect(try Self.designKeys(model).contains("interactions") == false)
    }

    /// Numeric sides: cut points in original units, a missing value in its own cell, values beyond
    /// the cuts in the end cells; the cell names say the ranges.
    @Test func numericCellsAreQuantileRangesInOriginalUnits() throws {
        let (model, path) = try Self.shaped(rows: 3000, interactions: [InteractionPair("company_size", "days_since_last_activity")], lambda: 1)
        let i = try #require(model.design.interactions?.first)
        let cuts = try #require(i.first.cuts)
        #expect(cuts.count == 3)
        // The cuts are the training values' quartiles (company sizes are whole numbers).
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var sizes = text.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[5])! }
        sizes.sort()
        #expect(cuts.allSatisfy { $0 == $0.rounded() && $0 >= sizes.first! && $0 <= sizes.last! })
        #expect(i.first.cell(.number(-1e9)) == 0 && i.first.cell(.number(1e12)) == 3 && i.first.cell(.number(cuts[1])) == 2)
        #expect(i.first.labels[1] == "company_size \(compact(cuts[0]))–\(compact(cuts[1]))")
        #expect(i.second.missingCell == i.second.cellCount - 1)
        #expect(i.second.cell(.missing) == i.second.missingCell)
        #expect(i.second.labels.last == "days_since_last_activity=(missing)")
    }

    /// A lead whose number is missing where training had none, or whose level training never saw,
    /// is in a cell of its own that has no term: it scores as cell 0 does, and its reason code names
    /// what it has (`company_size=(missing)`, `job_level=(unseen)`), not the lowest bin's range or
    /// the reference level.
    @Test func missingAndUnseenValuesHaveCellsOfTheirOwnWithoutTerms() throws {
        let (model, _) = try Self.shaped(rows: 3000, interactions: [InteractionPair("company_size", "job_level")], lambda: 1)
        let i = try #require(model.design.interactions?.first)
        #expect(model.design.columns[i.first.columnIndex].missingCount == 0)
        let missingCell = try #require(i.first.missingCell)
        #expect(i.first.labels[missingCell] == "company_size=(missing)")
        let unseenCell = try #require(i.second.unseenCell)
        #expect(i.second.labels[unseenCell] == "job_level=(unseen)" || i.second.labels[unseenCell] == "job_level=(other)")
        #expect(!i.cells.contains { $0.a == missingCell || $0.b == unseenCell && i.second.labels[unseenCell].hasSuffix("(unseen)") })
        let explainer = Explainer(model: model)
        let names = model.design.columns.map(\.name)
        var lead = RandomLeads.lead(for: model, seed: 5)
        lead["job_level"] = "manager"
        func interaction(_ lead: [String: String]) throws -> Contribution {
            let values = try Self.resolve(model, lead)
            let e = explainer.explain(id: "x", values: values, raw: { lead[names[$0]] ?? "" })
            return try #require(e.contributions.first { $0.column == i.name })
        }
        lead["company_size"] = ""
        let missing = try interaction(lead)
        #expect(missing.code.hasPrefix("company_size=(missing) × "), "\(missing.code)")
        lead["company_size"] = "\(compact(i.first.cuts![0] - 1))"
        let lowest = try interaction(lead)
        #expect(lowest.code.hasPrefix("company_size < "))
        #expect(missing.logOdds == lowest.logOdds)
        lead["company_size"] = "120"
        lead["job_level"] = "astronaut"
        let unseen = try interaction(lead)
        #expect(!unseen.code.contains("job_level=manager") && !unseen.code.contains("(rest)"), "\(unseen.code)")
    }

    /// A cell pair whose training leads all had one outcome is named in a separation notice, as a
    /// level would be.
    @Test func aCellPairWithOneOutcomeIsASeparationNotice() throws {
        var rng = SplitMix64(seed: 3)
        var lines = ["plan,region,y"]
        for _ in 0..<900 {
            // basic and north are the most frequent: the reference levels.
            let plan = ["basic", "basic", "pro", "team"][Int(rng.next() % 4)], region = ["north", "north", "south"][Int(rng.next() % 3)]
            // Every pro lead from the south converted; elsewhere about half did.
            let y = plan == "pro" && region == "south" ? 1 : Int(rng.next() % 2)
            lines.append("\(plan),\(region),\(y)")
        }
        var o = TrainingOptions(dataPath: Paths.write(lines.joined(separator: "\n") + "\n"), target: "y", positive: "1")
        o.holdoutFraction = 0
        o.interactions = [InteractionPair("plan", "region")]
        let model = try Trainer(options: o).train().model
        let i = try #require(model.design.interactions?.first)
        let cell = try #require(i.cells.first { i.label($0.a, $0.b) == "plan=pro × region=south" }, "\(i.first.labels) \(i.second.labels)")
        #expect(model.notices.contains { $0.hasPrefix("separation: every one of the \(cell.count) training leads with plan=pro × region=south was '1'") },
                "\(model.notices)")
    }

    /// A damaged interaction is refused on load, by its JSON path.
    @Test(arguments: [
        ("term", "design.interactions[0].cells[0].term"),
        ("column_index", "design.interactions[0].first.column_index"),
        ("group_cells", "design.interactions[0].first.group_cells"),
        ("cell", "design.interactions[0].cells[0].a"),
    ])
    func aDamagedInteractionIsRefused(damage: String, path: String) throws {
        let (model, _) = try Self.shaped(rows: 2000, interactions: [InteractionPair("lead_source", "job_level")], lambda: 1)
        var json = try JSONSerialization.jsonObject(with: model.jsonData()) as! [String: Any]
        var design = json["design"] as! [String: Any]
        var interactions = design["interactions"] as! [[String: Any]]
        var first = interactions[0]["first"] as! [String: Any]
        var cells = interactions[0]["cells"] as! [[String: Any]]
        switch damage {
        case "term": cells[0]["term"] = model.design.termCount + 3
        case "column_index": first["column_index"] = 99
        case "group_cells": first["group_cells"] = [0]
        default: cells[0]["a"] = 0
        }
        interactions[0]["first"] = first
        interactions[0]["cells"] = cells
        design["interactions"] = interactions
        json["design"] = design
        let file = Paths.temporary("damaged.json")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: file))
        do {
            _ = try LeadScoreModel.load(from: file)
            Issue.record("a model with a damaged \(damage) loaded")
        } catch {
            #expect("\(error)".contains(path), "\(error)")
        }
    }

    /// serve's scorer (`LeadScorer`, the JSON Lines rows of score) gives an interaction model's
    /// leads the compiled scorer's log-odds and reasons, interaction reasons included.
    @Test func serveScoresInteractionsAsScoreDoes() throws {
        let (model, _) = try Self.shaped(rows: 3000, interactions: [InteractionPair("lead_source", "job_level")], lambda: 0.1)
        let scorer = try LeadScorer(model: model)
        let lead = ["lead_source": "event", "job_level": "individual", "industry": "retail", "country": "US", "company_size": "80",
                    "email_type": "corporate", "page_views": "5", "days_since_last_activity": "3", "webinar_attended": "no",
                    "budget_confirmed": "yes", "marketing_touches": "2", "newsletter": "no"]
        let out = String(decoding: try scorer.scoreJSONLines([.init(line: 1, fields: lead)], reasons: 3), as: UTF8.self)
        let row = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let values = try Self.resolve(model, lead)
        let eta = values.withUnsafeBufferPointer { CompiledScorer(model: model).logOdds($0) }
        #expect(out.contains("\"probability\":\(StableMath.sigmoid(eta)),"), "\(out)")
        let expected = Explainer(model: model).reasonCodes(values, raw: { _ in "" }, k: 3)
        #expect(row["reasons"] as? [String] == expected)
        #expect(expected.contains("lead_source=event × job_level=individual"), "\(expected)")
    }
}

/// A count shared by the concurrent cases of a property check.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
