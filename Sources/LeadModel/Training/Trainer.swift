import Foundation
import LeadData
import LinearAlgebra
import LeadSupport

/// What `train` produced, with everything the summary prints.
public struct TrainingOutcome: Sendable {
    public var model: LeadScoreModel
    /// Rows not used, with their errors (only with `--on-error skip`).
    public var rowErrors: [InputError]
    public var skippedRows: Int
}

/// Trains a scoring model from a CSV export in two streaming passes.
///
/// Pass 1 infers column types and learns levels and moments from the training rows (the holdout only
/// counts towards types); pass 2 encodes rows straight into the column-major design matrix. Memory is
/// the encoded matrix plus one record, whatever the file size. Standard input is spooled to a
/// temporary file first, since it cannot be read twice.
public struct Trainer {
    public var options: TrainingOptions
    /// Called with a line of progress (stage, rows) for long runs; the CLI decides whether to show it.
    public var progress: (@Sendable (String) -> Void)?

    public init(options: TrainingOptions) { self.options = options }

    /// Called as each stage ends, with its name (for profiling; the CLI shows it with LEADSCORE_TIMING).
    public var stageEnded: (@Sendable (String) -> Void)?

    private func stage(_ name: String) { stageEnded?(name) }

    /// λ of the searches' fits (shapes, interactions): 1 when λ is chosen afterwards, on the final design.
    private var searchLambda: Double { options.penalty == .none ? 0 : options.lambdaAuto ? 1 : options.lambda }

    public func train() throws -> TrainingOutcome {
        preferOwnThreadsOverBLAS()
        var path = options.dataPath
        var spooled: String?
        if path == "-" {
            spooled = try Trainer.spoolStandardInput()
            path = spooled!
        }
        defer { if let spooled { TemporaryFile.remove(spooled) } }
        return try train(path: path, displayName: options.dataPath)
    }

    // MARK: - Whole run

    private func train(path: String, displayName display: String) throws -> TrainingOutcome {
        // The file's fingerprint is computed on another thread while the passes run.
        let fingerprint = BackgroundValue { try Trainer.sha256(path: path) }
        let parser = FieldParser(extraMissing: options.extraMissing)
        stage("start")
        progress?("pass 1: reading \(display)")
        let pass = try firstPass(path: path, display: display, parser: parser)
        let usable = pass.trainingRows + pass.holdoutRows
        guard usable > 0 else {
            throw InputError(file: display, message: pass.records == 0 ? "no data rows after the header" : "no usable rows: all \(pass.records) rows had errors")
        }
        guard pass.trainingRows > 0 else {
            throw InputError(file: display, message: "every usable row fell into the holdout; nothing is left to train on (check --holdout / --holdout-after)")
        }
        let target = try resolveTarget(pass, display: display)

        var built = DesignBuilder(minLevelCount: options.minLevelCount, types: options.types).build(pass.profiles)
        var notices = built.notices
        var schema = [SchemaColumn]()
        // Schema in file order, with the non-feature roles filled in.
        var byName = Dictionary(built.schema.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, name) in pass.header.enumerated() {
            if let s = byName.removeValue(forKey: name) { schema.append(s); continue }
            let role: SchemaColumn.Role = i == pass.targetIndex ? .target : i == pass.idIndex ? .id : i == pass.timeIndex ? .time : .excluded
            schema.append(SchemaColumn(name: name, type: role == .time ? .date : .categorical, role: role, missing: 0, distinct: nil, note: nil))
        }
        var design = built.design
        built.schema = []
        // Refused here, before any matrix exists: the solver holds several k × k matrices (8·k² bytes
        // each), so 30,000 terms would need tens of gigabytes.
        if design.termCount > TrainingOptions.maxTerms {
            throw InputError(file: display, message: Trainer.tooManyTermsMessage(design: design))
        }
        if design.termCount == 0 {
            notices.append("no usable feature columns: the model is the intercept only")
        }

        // Rows are read with every number as it is (and every missing value flagged): the shapes'
        // knots are training quantiles, known once the rows are read (`ShapePlan.expand`).
        var plan = ShapePlan(design: design, options: options.shapes, minLevelCount: options.minLevelCount)
        design = plan.readingDesign

        // MARK: Pass 2: encode.
        stage("pass 1 done")
        progress?("pass 2: encoding \(pass.trainingRows) training rows into \(design.termCount) terms")
        var k = design.termCount + 1
        let resolver = try RowResolver(design: design, header: pass.header, file: display, parser: parser)
        let encoder = RowEncoder(design: design)
        // Written row range by row range by the parallel encoder (which zeroes its rows first); the
        // sequential path below starts again from zeroed ones. Training rows are kept as encoded
        // rows (one-hot groups as level indices); the holdout, which may hold levels training never
        // saw (spread over the average level), as a dense matrix.
        var xTrain = EncodedRows(design: design, rowsToBeWritten: pass.trainingRows)
        var yTrain = [Double](repeating: 0, count: pass.trainingRows)
        var xHold = Matrix(rowsToBeWritten: pass.holdoutRows, cols: k)
        var yHold = [Double](repeating: 0, count: pass.holdoutRows)
        var nTrain = 0
        var nHold = 0
        var rowErrors = pass.errors
        let parallel = ScoringThreads.default > 1 && pass.plan.count > 1
            && encodeInParallel(path: path, display: display, pass: pass, resolver: resolver,
                                xTrain: &xTrain, yTrain: &yTrain, xHold: &xHold, yHold: &yHold)
        if parallel {
            nTrain = pass.trainingRows
            nHold = pass.holdoutRows
        } else {
            // Sequential (one core, one chunk, or a row the first pass did not foresee failing).
            xTrain = EncodedRows(design: design, rows: pass.trainingRows)
            xHold = Matrix(rows: pass.holdoutRows, cols: k)
            let reader = try CSVReader(path: path, delimiter: options.delimiter)
            _ = try reader.readHeader()
            var rows = LeadRows(source: reader, roles: pass.roles, resolver: resolver, policy: options.onError)
            rows.recordLimit = pass.readableRecords
            let badRows = pass.badRows
            defer { rowErrors.append(rows.errors) }
            while try rows.next(skipping: { record, _ in badRows.contains(record.index) }) {
                let record = rows.record, values = rows.values
                let holdout = isHoldout(index: record.index, time: rows.day)
                let y = Double(rows.outcome)
                if holdout {
                    guard nHold < xHold.rows else { continue }
                    encoder.encode(values, row: nHold, into: &xHold)
                    yHold[nHold] = y
                    nHold += 1
                } else {
                    guard nTrain < xTrain.rows else { continue }
                    let written = xTrain.dense.storage.withUnsafeMutableBufferPointer { dense in
                        xTrain.levels.withUnsafeMutableBufferPointer { levels in
                            encoder.encode(values, row: nTrain, into: .init(dense: dense.baseAddress!, levels: levels.baseAddress!, rows: xTrain.rows))
                        }
                    }
                    guard written else {
                        throw InputError(file: display, line: record.line, message: "internal error: a training row holds a level the first pass did not count; please report this file")
                    }
                    yTrain[nTrain] = y
                    nTrain += 1
                }
            }
        }
        if nTrain < xTrain.rows { xTrain = xTrain.topRows(nTrain); yTrain = Array(yTrain.prefix(nTrain)) }
        stage(parallel ? "encoded in parallel chunks" : "encoded sequentially")
        if nHold < xHold.rows { xHold = xHold.topRows(nHold); yHold = Array(yHold.prefix(nHold)) }

        // On the numbers as read (every numeric column, whatever its shape), except columns dropped.
        let separated = numericSeparationNotices(design: design, x: xTrain, y: yTrain, target: target)
        // The raw values of a column an interaction needs are read back from the rows as read
        // (before the shapes replace the numbers), only for the columns of the pairs added: a value
        // per row of every column, for the search, would hold more than the encoded rows.
        let readingDesign = design
        var readingRows: (train: EncodedRows, holdout: Matrix)? = (xTrain, xHold)
        func readingValues(_ names: [String]) -> (train: [String: [ResolvedValue]], holdout: [String: [ResolvedValue]]) {
            var train: [String: [ResolvedValue]] = [:], holdout: [String: [ResolvedValue]] = [:]
            guard let rows = readingRows else { return (train, holdout) }
            for name in Set(names) {
                guard let c = readingDesign.columns.firstIndex(where: { $0.name == name }) else { continue }
                train[name] = InteractionBuilder.readingValues(readingDesign, column: c, train: rows.train)
                holdout[name] = InteractionBuilder.readingValues(readingDesign, column: c, holdout: rows.holdout)
            }
            return (train, holdout)
        }
        // The training rows' values as read, for the drift profile once the model exists.
        let capture = options.storesProfile ? ProfileCapture.capture(design: design, x: xTrain) : nil
        // `--numeric auto`: a spline or steps per column, chosen by cross-validation (`ShapeSearch`).
        var shapeSearch: ShapeSearch?
        var shapeSolutions: FoldDeviance.Solutions?
        if !plan.searchedColumns.isEmpty {
            progress?("choosing numeric shapes")
            let chosen = plan.chooseShapes(train: xTrain, y: yTrain, weights: classWeights(yTrain), lambda: searchLambda,
                                           seed: options.seed, maxIterations: options.maxIterations, sampleRows: options.interactionSampleRows)
            plan = plan.with(chosen.options)
            shapeSearch = chosen.search
            shapeSolutions = chosen.solutions
            if options.searchesAsked { notices += chosen.notices }
            stage("shapes chosen")
        }
        var expanded = plan.expand(train: xTrain, holdout: xHold)
        stage("shapes expanded")
        /// Adds the interactions of `pairs` to the design and the encoded rows (those named in `fine`
        /// with `InteractionCells.fine`).
        func addInteractions(_ pairs: [(String, String)], fine: Set<String> = []) {
            let values = readingValues(pairs.flatMap { [$0.0, $0.1] })
            let extended = InteractionBuilder.extend(
                design: expanded.design, train: expanded.train, holdout: expanded.holdout, signs: expanded.signs,
                pairs: pairs, trainValues: values.train, holdoutValues: values.holdout, minLevelCount: options.minLevelCount,
                fine: fine)
            expanded.design = extended.design
            expanded.train = extended.train
            expanded.holdout = extended.holdout
            expanded.signs = extended.signs
            expanded.notices += extended.notices
        }
        if !pass.interactions.isEmpty {
            // A given pair on a monotone column is built as asked, and said to bend the promise.
            for pair in pass.interactions {
                for name in [pair.first, pair.second] {
                    guard expanded.design.columns.first(where: { $0.name == name })?.isMonotone == true else { continue }
                    notices.append("--interaction \(pair.first):\(pair.second): '\(name)' is --monotone, and the pair's cells add to its shape: the score is monotone in '\(name)' only within each cell of the other column (--interactions auto never pairs a monotone column)")
                }
            }
            addInteractions(pass.interactions.map { ($0.first, $0.second) })
            stage("given interactions added")
        }
        var interactionSearch: InteractionSearch?
        if options.interactionsAuto {
            if xTrain.rows < InteractionSearch.minimumRows {
                if options.searchesAsked { expanded.notices.append("--interactions auto: \(xTrain.rows) training rows are fewer than \(InteractionSearch.minimumRows); no pairs were searched") }
            } else {
                progress?("searching interactions")
                let search = InteractionBuilder.search(
                    design: expanded.design, train: expanded.train, y: yTrain, weights: classWeights(yTrain), signs: expanded.signs,
                    values: { rows in
                        guard let reading = readingRows?.train else { return [:] }
                        var out: [String: [ResolvedValue]] = [:]
                        for (c, col) in readingDesign.columns.enumerated() {
                            out[col.name] = InteractionBuilder.readingValues(readingDesign, column: c, train: reading, rows: rows)
                        }
                        return out
                    }, minLevelCount: options.minLevelCount,
                    lambda: searchLambda, seed: options.seed,
                    maxIterations: options.maxIterations, sampleRows: options.interactionSampleRows,
                    refitShare: options.interactionRefitShare, cuts: options.interactionCuts, from: shapeSolutions)
                interactionSearch = search
                stage("pairs searched")
                if !search.kept.isEmpty {
                    addInteractions(search.kept.map { ($0.first, $0.second) }, fine: Set(search.kept.filter { $0.finerCells == true }.map(\.pair)))
                }
                stage("interactions searched")
            }
        }
        readingRows = nil
        notices += separated.filter { n in !expanded.dropped.contains { n.hasPrefix("separation: column '\($0.column)' ") } }
        design = expanded.design
        xTrain = expanded.train
        xHold = expanded.holdout
        k = design.termCount + 1
        notices += expanded.notices
        for (name, note) in expanded.dropped {
            if let i = schema.firstIndex(where: { $0.name == name }) { schema[i].role = .dropped; schema[i].note = note }
        }
        stage("shapes")
        notices += separationNotices(design: design, x: xTrain, y: yTrain, target: target)
        if options.penalty == .none && k > nTrain {
            notices.append("\(k - 1) terms and an intercept for \(nTrain) training rows: without a penalty the coefficients are not identified (keep --penalty l2, or exclude columns)")
        }

        // MARK: Fit.
        let weights = classWeights(yTrain)
        var lambda = options.penalty == .none ? 0 : options.lambda
        let penaltyWeights = design.penaltyWeights
        var selection: LambdaSelection?
        if options.penalty == .l2 && options.lambdaAuto {
            (selection, lambda) = chooseLambda(x: xTrain, y: yTrain, weights: weights, penaltyWeights: penaltyWeights, notices: &notices)
            stage("lambda chosen")
        }
        stage("pass 2 done")
        progress?("fitting: \(nTrain) rows × \(k) terms (newton-cholesky)")
        var result = LogisticFit.fit(data: xTrain, y: yTrain, weights: weights, lambda: lambda, penaltyWeights: penaltyWeights, signs: expanded.signs,
                                     maxIterations: options.maxIterations, gradientTolerance: options.gradientTolerance) { it, g in
            progress?("  iteration \(it): gradient \(g)")
        }
        stage("fit done")
        var fit = result.report
        notices += collinearityNotices(design: design, gram: result.initialGram)
        let diagnostics = DesignDiagnostics.run(data: xTrain, y: yTrain, columns: design.columns.map {
            DesignDiagnostics.Column(name: $0.name, terms: $0.terms, categorical: $0.type == .categorical)
        }, seed: options.seed)
        notices += diagnostics.notices
        stage("diagnostics")
        let p = design.termCount
        let beta = result.beta
        // Class weights change the odds the fit sees; the prior correction moves the intercept back
        // so probabilities are of the positive outcome at the training base rate (README, Fitting).
        let priorCorrection = options.classWeight == .balanced ? Trainer.priorCorrection(weights: weights, y: yTrain) : nil
        if let shift = priorCorrection, shift != 0 {
            result.intercept += shift
            for i in result.eta.indices { result.eta[i] += shift }
            notices.append("class weights balanced: the intercept was shifted by \(rounded(shift, 4)) (prior correction) so probabilities are of '\(target.positive)' at the training base rate; ranking is unchanged")
        }
        let intercept = result.intercept
        if options.penalty == .none {
            let largest = beta.indices.max { abs(beta[$0]) < abs(beta[$1]) }
            if let j = largest, abs(beta[j]) > 15 || !fit.converged {
                fit.warnings.append("quasi-complete separation suspected: term '\(design.termNames[j])' has coefficient \(rounded(beta[j], 3)) on the standardized scale; the maximum-likelihood estimate may not exist and its standard errors are unreliable. Use --penalty l2.")
            }
        }

        // Standard errors from the inverse Hessian at the optimum.
        var se: [Double]?
        var interceptSE: Double?
        let covariance = result.covariance
        if let inv = covariance, inv.diagonal.allSatisfy({ $0 >= 0 && $0.isFinite }) {
            let all = inv.diagonal.map { $0.squareRoot() }
            se = Array(all.prefix(p))
            interceptSE = all[p]
        } else if covariance != nil {
            notices.append("standard errors are not available: the inverse Hessian has a negative or infinite variance (separation or collinear terms)")
        } else {
            notices.append("standard errors are not available: the Hessian is singular at the solution (collinear terms)")
        }

        stage("collinearity, separation, covariance done")
        // Numeric quantiles (a sort per column) on the other threads while the metrics are computed.
        let quantileColumns = design.columns.indices.filter { design.columns[$0].numeric != nil }
        let xSnapshot = xTrain
        let numericSnapshot = quantileColumns.compactMap { design.columns[$0].numeric }
        let quantileJob = BatchJob<[Double]>.launch(count: quantileColumns.count, threads: ScoringThreads.default) { j in
            Trainer.quantiles(of: numericSnapshot[j], x: xSnapshot)
        }

        // Metrics.
        let trainProb = result.eta.map(StableMath.sigmoid)
        let trainMetrics = ClassificationMetrics(probabilities: trainProb, outcomes: yTrain)
        var holdMetrics: ClassificationMetrics?
        if nHold > 0 {
            let eta = xHold.times(beta + [intercept])
            holdMetrics = ClassificationMetrics(probabilities: eta.map(StableMath.sigmoid), outcomes: yHold)
        }

        stage("metrics")
        // Scorecard.
        var scorecard = options.pdo.map {
            Scorecard(pdo: $0, referenceScore: options.referenceScore, referenceOdds: options.referenceOdds ?? 1)
        } ?? Scorecard.fitted(to: result.eta)
        if options.pdo == nil {
            scorecard.referenceScore = options.referenceScore
            if let odds = options.referenceOdds { scorecard.referenceOdds = odds }
        }

        // The average training lead (term means) and numeric quantiles, for explanations.
        design.termMeans = Array(xTrain.columnMeans().prefix(p))
        stage("term means")
        for (j, q) in quantileJob.wait().enumerated() { design.columns[quantileColumns[j]].updateNumeric { $0.quantiles = q } }
        stage("quantiles waited for")
        let trainPoints = result.eta.map { scorecard.score(logOdds: $0) }
        let grades = try Trainer.gradeBands(scores: trainPoints, outcomes: yTrain, cutoffs: options.gradeCutoffs)
        stage("grades")
        let inference = ModelInference.compute(design: design, beta: beta, intercept: intercept, covariance: covariance,
                                               rows: xTrain, scorecard: scorecard, approximate: lambda > 0)

        stage("metrics, means, quantiles, grades, inference done")
        let coefficients = Coefficients(
            terms: beta, intercept: intercept, standardErrors: se, interceptStandardError: interceptSE,
            standardErrorsApproximate: lambda > 0,
            original: [], originalIntercept: 0, priorCorrection: priorCorrection)
        var model = LeadScoreModel(
            format: LeadScoreModel.formatString, toolVersion: options.toolVersion,
            createdAt: options.createdAt ?? Trainer.timestamp(), target: target, idColumn: options.idColumn, schema: schema,
            design: design, coefficients: coefficients, scorecard: scorecard, grades: grades, inference: inference, fit: fit,
            metrics: MetricsSummary(train: trainMetrics, holdout: holdMetrics),
            provenance: Provenance(
                dataFile: display, dataSHA256: try fingerprint.value(), rowsRead: pass.records,
                rowsSkipped: rowErrors.count, trainingRows: nTrain, holdoutRows: nHold,
                holdout: options.holdoutAfterText.map { "after \($0) by \(options.timeColumn ?? "?")" }
                    ?? (options.holdoutFraction > 0 ? "random \(options.holdoutFraction) (seed \(options.seed))" : "none"),
                timeColumn: options.timeColumn,
                timeWindow: pass.firstTime.isFinite ? .init(first: Trainer.dayString(pass.firstTime), last: Trainer.dayString(pass.lastTime)) : nil,
                options: options.record),
            notices: notices, missingMarkers: options.extraMissing,
            lambdaSelection: selection, collinearGroups: diagnostics.groups.isEmpty ? nil : diagnostics.groups,
            interactionSearch: interactionSearch, shapeSearch: shapeSearch)
        stage("model assembled (fingerprint waited for)")
        model.coefficients.original = model.originalUnits()
        model.coefficients.originalIntercept = model.originalIntercept()
        // The training leads' profile for `drift`: from the values pass 2 read, or (when they cannot
        // tell a missing category from pooled levels) a third read of the file in parallel chunks.
        let seed = options.seed, fraction = options.holdoutFraction, after = options.holdoutAfter
        if let profile = capture?.profile(model: model) {
            model.trainingProfile = profile
        } else if options.storesProfile { model.trainingProfile = try TrainingProfile.measure(
            model: model, path: path, display: display, header: pass.header, timeIndex: pass.timeIndex,
            delimiter: options.delimiter, extraMissing: options.extraMissing, plan: pass.plan, readable: pass.readableRecords, badRows: pass.badRows) { record, day in
            !Trainer.isHoldout(index: record.index, time: day, seed: seed, fraction: fraction, after: after)
        } }
        stage("training profile")
        let infinite = model.coefficients.original.filter { !$0.coefficient.isFinite }.map(\.term)
            + (model.coefficients.originalIntercept.isFinite ? [] : ["(intercept)"])
        if !infinite.isEmpty {
            model.notices.append("coefficients in original units beyond a 64-bit float, written as null: \(infinite.map { "'\($0)'" }.joined(separator: ", ")) (scores use the standardized coefficients and are not affected)")
        }
        return TrainingOutcome(model: model, rowErrors: rowErrors.kept, skippedRows: rowErrors.count)
    }
}
