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

    /// With LEADSCORE_TIMING set, each stage's wall time goes to standard error (for profiling).
    private static let timing = ProcessInfo.processInfo.environment["LEADSCORE_TIMING"] != nil
    private static let clockStart = Date()
    private func stage(_ name: String) {
        if Trainer.timing { FileHandle.standardError.write(Data(String(format: "%8.3f s  %@\n", Date().timeIntervalSince(Trainer.clockStart), name).utf8)) }
    }

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

    /// Copies standard input to `$TMPDIR/.leadscore-stdin.partial-PID-XXXXXX` (mode 0600, created
    /// exclusively, removed on SIGINT/SIGTERM/SIGHUP; spools of killed runs are removed here).
    /// The caller removes it with `TemporaryFile.remove(_:)`.
    static func spoolStandardInput() throws -> String {
        let folder = FileManager.default.temporaryDirectory.path
        TemporaryFile.removeStale(in: folder, onlyName: "leadscore-stdin")
        let spool: TemporaryFile
        do {
            spool = try TemporaryFile(folder: folder, name: "leadscore-stdin", mode: 0o600)
        } catch {
            throw InputError(file: "-", message: "cannot create a temporary file to hold standard input (\(error))")
        }
        let fd = spool.descriptor
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = Glibc.read(0, chunk.baseAddress, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = Glibc.write(fd, chunk.baseAddress! + off, n - off)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 {
                    let reason = TemporaryFile.reason(errno)
                    spool.discard()
                    throw InputError(file: "-", message: "cannot write standard input to a temporary file: \(reason)")
                }
                off += w
            }
        }
        spool.closeDescriptor()
        return spool.path
    }

    // MARK: - Pass 1

    private struct FirstPass {
        var header: [String] = []
        var targetIndex = 0
        var idIndex: Int?
        var timeIndex: Int?
        var features: [Int] = []
        var profiles: [ColumnProfile] = []
        var targetCounts: [String: (count: Int, line: Int)] = [:]
        var badRows = Set<Int>()
        var errors: [InputError] = []
        var records = 0
        var trainingRows = 0
        var holdoutRows = 0
        var firstTime = Double.infinity
        var lastTime = -Double.infinity
        /// Where each chunk of records lies and how many training and holdout rows it holds, so the
        /// second pass can encode chunks in parallel straight into their rows.
        var plan: [ChunkPlan] = []
    }

    struct ChunkPlan: Sendable {
        var offset: Int
        var length: Int
        var firstLine: Int
        var firstRecord: Int
        var trainingStart: Int
        var holdoutStart: Int
    }

    private func isHoldout(index: Int, time: Double?) -> Bool {
        Trainer.isHoldout(index: index, time: time, seed: options.seed, fraction: options.holdoutFraction, after: options.holdoutAfter)
    }

    private func firstPass(path: String, display: String, parser: FieldParser) throws -> FirstPass {
        var pass = FirstPass()
        let chunker = try RecordChunker(path: path, delimiter: options.delimiter, chunkSize: 1 << 20)
        pass.header = try chunker.readHeader()
        let header = pass.header
        let position = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func column(_ name: String, _ role: String) throws -> Int {
            guard let i = position[name] else {
                throw InputError(file: display, line: 1, columnName: name,
                                 message: "no \(role) column '\(name)' in the header; columns are: \(header.map { "'\($0)'" }.joined(separator: ", "))")
            }
            return i
        }
        pass.targetIndex = try column(options.target, "target")
        if let id = options.idColumn { pass.idIndex = try column(id, "id") }
        if let t = options.timeColumn { pass.timeIndex = try column(t, "time") }
        var excluded = Set<Int>()
        for e in options.exclude { excluded.insert(try column(e, "excluded")) }
        for name in options.types.keys { _ = try column(name, "--type") }
        for name in options.shapes.columns.keys.sorted() { _ = try column(name, "--numeric") }
        for name in options.shapes.monotone.keys.sorted() { _ = try column(name, "--monotone") }
        pass.features = header.indices.filter {
            $0 != pass.targetIndex && $0 != pass.idIndex && $0 != pass.timeIndex && !excluded.contains($0)
        }
        for pair in options.interactions {
            for name in [pair.first, pair.second] where !pass.features.contains(try column(name, "--interaction")) {
                throw InputError(file: display, line: 1, columnName: name,
                                 message: "--interaction \(pair.text): '\(name)' is the target, id, time or an excluded column, not a feature the model can use")
            }
        }
        pass.profiles = pass.features.map { ColumnProfile(name: header[$0], levelLimit: options.maxLevels) }
        let overrides = pass.features.map { options.types[header[$0]] }
        let positive = options.positive
        let allowed = options.negatives.isEmpty ? nil : Set(options.negatives + [positive])

        let scanner = FirstPassScanner(options: options, header: header, targetIndex: pass.targetIndex, timeIndex: pass.timeIndex, idIndex: pass.idIndex,
                                       features: pass.features, overrides: overrides, allowed: allowed, parser: parser, display: display)
        let threads = ScoringThreads.default
        var nextRecord = 0
        batches: while true {
            var chunks: [(RecordChunker.Chunk, Int)] = []
            while chunks.count < max(2, threads * 2), let chunk = try chunker.nextChunk() {
                chunks.append((chunk, nextRecord))
                nextRecord += chunk.records
            }
            if chunks.isEmpty { break }
            let batch = chunks
            let parts = ParallelMap.run(batch.count, threads: threads) { k in scanner.scan(batch[k].0, firstRecord: batch[k].1) }
            for (k, part) in parts.enumerated() {
                let chunk = batch[k].0
                pass.plan.append(ChunkPlan(offset: chunk.offset, length: chunk.slice.count, firstLine: chunk.firstLine,
                                           firstRecord: batch[k].1, trainingStart: pass.trainingRows, holdoutStart: pass.holdoutRows))
                pass.records += part.records
                pass.trainingRows += part.trainingRows
                pass.holdoutRows += part.holdoutRows
                pass.firstTime = min(pass.firstTime, part.firstTime)
                pass.lastTime = max(pass.lastTime, part.lastTime)
                for (value, entry) in part.targetCounts {
                    if let seen = pass.targetCounts[value] {
                        pass.targetCounts[value] = (seen.count + entry.count, min(seen.line, entry.line))
                    } else {
                        pass.targetCounts[value] = entry
                    }
                }
                for (c, profile) in part.profiles.enumerated() { pass.profiles[c].merge(profile) }
                for (index, error) in part.rejected {
                    try reject(error, index: index, into: &pass)
                }
                if part.stopped { break batches }
            }
            progress?("read \(pass.records) rows")
        }
        return pass
    }

    private func reject(_ error: InputError, index: Int, into pass: inout FirstPass) throws {
        if options.onError == .fail { throw error }
        pass.badRows.insert(index)
        if pass.errors.count < OnError.keptErrors { pass.errors.append(error) }
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
        let plan = ShapePlan(design: design, options: options.shapes, minLevelCount: options.minLevelCount)
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
        var skipped = pass.badRows.count
        let positiveBytes = Array(options.positive.utf8)
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
            var record = CSVRecord()
            var values: [ResolvedValue] = []
            while true {
                // A record the first pass could not read (an unterminated quote) was reported there.
                guard (try? reader.next(into: &record)) == true else { break }
                if pass.badRows.contains(record.index) { continue }
                do {
                    try resolver.resolve(record, into: &values)
                } catch {
                    let e = error.withLeadID(of: record, idIndex: pass.idIndex)
                    if options.onError == .fail { throw e }
                    skipped += 1
                    if rowErrors.count < OnError.keptErrors { rowErrors.append(e) }
                    continue
                }
                var time: Double?
                if let ti = pass.timeIndex { time = record.withField(ti) { FieldParser.date(FieldParser.trim($0)) } }
                let holdout = isHoldout(index: record.index, time: time)
                let y: Double = record.withField(pass.targetIndex) { Array(FieldParser.trim($0)) == positiveBytes ? 1 : 0 }
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
        // The raw values of the columns interactions need, before the shapes replace the numbers.
        var trainValues: [String: [ResolvedValue]] = [:], holdValues: [String: [ResolvedValue]] = [:]
        let needed = options.interactionsAuto ? Set(design.columns.map(\.name)) : Set(options.interactions.flatMap { [$0.first, $0.second] })
        for name in needed {
            guard let c = design.columns.firstIndex(where: { $0.name == name }) else { continue }
            trainValues[name] = InteractionBuilder.readingValues(design, column: c, train: xTrain)
            holdValues[name] = InteractionBuilder.readingValues(design, column: c, holdout: xHold)
        }
        var expanded = plan.expand(train: xTrain, holdout: xHold)
        /// Adds the interactions of `pairs` to the design and the encoded rows.
        func addInteractions(_ pairs: [(String, String)]) {
            let extended = InteractionBuilder.extend(
                design: expanded.design, train: expanded.train, holdout: expanded.holdout, signs: expanded.signs,
                pairs: pairs, trainValues: trainValues, holdoutValues: holdValues, minLevelCount: options.minLevelCount)
            expanded.design = extended.design
            expanded.train = extended.train
            expanded.holdout = extended.holdout
            expanded.signs = extended.signs
            expanded.notices += extended.notices
        }
        if !options.interactions.isEmpty { addInteractions(options.interactions.map { ($0.first, $0.second) }) }
        var interactionSearch: InteractionSearch?
        if options.interactionsAuto {
            if xTrain.rows < InteractionSearch.minimumRows {
                expanded.notices.append("--interactions auto: \(xTrain.rows) training rows are fewer than \(InteractionSearch.minimumRows); no pairs were searched")
            } else {
                progress?("searching interactions")
                let search = InteractionBuilder.search(
                    design: expanded.design, train: expanded.train, y: yTrain, weights: classWeights(yTrain), signs: expanded.signs,
                    values: trainValues, minLevelCount: options.minLevelCount,
                    lambda: options.penalty == .none ? 0 : options.lambdaAuto ? 1 : options.lambda, seed: options.seed,
                    maxIterations: options.maxIterations, sampleRows: options.interactionSampleRows)
                interactionSearch = search
                if !search.kept.isEmpty { addInteractions(search.kept.map { ($0.first, $0.second) }) }
                stage("interactions searched")
            }
        }
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
        var selection: LambdaSelection?
        if options.penalty == .l2 && options.lambdaAuto {
            (selection, lambda) = chooseLambda(x: xTrain, y: yTrain, weights: weights, notices: &notices)
            stage("lambda chosen")
        }
        stage("pass 2 done")
        progress?("fitting: \(nTrain) rows × \(k) terms (newton-cholesky)")
        var result = LogisticFit.fit(data: xTrain, y: yTrain, weights: weights, lambda: lambda, signs: expanded.signs,
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
            createdAt: Trainer.timestamp(), target: target, idColumn: options.idColumn, schema: schema,
            design: design, coefficients: coefficients, scorecard: scorecard, grades: grades, inference: inference, fit: fit,
            metrics: MetricsSummary(train: trainMetrics, holdout: holdMetrics),
            provenance: Provenance(
                dataFile: display, dataSHA256: try fingerprint.value(), rowsRead: pass.records,
                rowsSkipped: skipped, trainingRows: nTrain, holdoutRows: nHold,
                holdout: options.holdoutAfterText.map { "after \($0) by \(options.timeColumn ?? "?")" }
                    ?? (options.holdoutFraction > 0 ? "random \(options.holdoutFraction) (seed \(options.seed))" : "none"),
                timeColumn: options.timeColumn,
                timeWindow: pass.firstTime.isFinite ? .init(first: Trainer.dayString(pass.firstTime), last: Trainer.dayString(pass.lastTime)) : nil,
                options: options.record),
            notices: notices, missingMarkers: options.extraMissing,
            lambdaSelection: selection, collinearGroups: diagnostics.groups.isEmpty ? nil : diagnostics.groups,
            interactionSearch: interactionSearch)
        stage("model assembled (fingerprint waited for)")
        model.coefficients.original = model.originalUnits()
        model.coefficients.originalIntercept = model.originalIntercept()
        // The training leads' profile for `drift`: a third read of the file, training rows only.
        let timeIndex = pass.timeIndex
        model.trainingProfile = try TrainingProfile.measure(model: model, path: path, delimiter: options.delimiter, extraMissing: options.extraMissing) { record in
            !isHoldout(index: record.index, time: timeIndex.flatMap { ti in record.withField(ti) { FieldParser.date(FieldParser.trim($0)) } })
        }
        stage("training profile")
        let infinite = model.coefficients.original.filter { !$0.coefficient.isFinite }.map(\.term)
            + (model.coefficients.originalIntercept.isFinite ? [] : ["(intercept)"])
        if !infinite.isEmpty {
            model.notices.append("coefficients in original units beyond a 64-bit float, written as null: \(infinite.map { "'\($0)'" }.joined(separator: ", ")) (scores use the standardized coefficients and are not affected)")
        }
        return TrainingOutcome(model: model, rowErrors: rowErrors, skippedRows: skipped)
    }

    /// Second pass on every core: each chunk the first pass planned is read again (`pread`), parsed
    /// and encoded straight into its rows of X, which the plan's running counts fix in advance. The
    /// result is the same matrix the sequential pass builds. Returns false, leaving the caller to
    /// run the sequential pass, when a chunk does not encode exactly the rows the first pass counted.
    private func encodeInParallel(path: String, display: String, pass: FirstPass, resolver: RowResolver,
                                  xTrain: inout EncodedRows, yTrain: inout [Double], xHold: inout Matrix, yHold: inout [Double]) -> Bool {
        let plan = pass.plan
        let badRows = pass.badRows
        let encoder = RowEncoder(design: resolver.design)
        let termCount = resolver.design.termCount
        let denseCount = xTrain.denseTerms.count, groupCount = xTrain.groupTerms.count
        let nTrainTotal = xTrain.rows, nHoldTotal = xHold.rows
        let delimiter = options.delimiter
        let targetIndex = pass.targetIndex, timeIndex = pass.timeIndex
        let positiveBytes = Array(options.positive.utf8)
        let seed = options.seed, fraction = options.holdoutFraction, after = options.holdoutAfter
        var ok = true
        // Raw addresses (Sendable) of the storage every worker writes its own rows of.
        func address<T>(_ buffer: UnsafeMutableBufferPointer<T>) -> UInt { UInt(bitPattern: buffer.baseAddress) }
        xTrain.dense.storage.withUnsafeMutableBufferPointer { dt in
            xTrain.levels.withUnsafeMutableBufferPointer { lt in
            xHold.storage.withUnsafeMutableBufferPointer { xh in
                yTrain.withUnsafeMutableBufferPointer { yt in
                    yHold.withUnsafeMutableBufferPointer { yh in
                        let addresses = (address(dt), address(lt), address(xh), address(yt), address(yh))
                        let results = ParallelMap.run(plan.count, threads: ScoringThreads.default) { c -> Bool in
                            let chunk = plan[c]
                            guard let bytes = try? ByteBuffer.read(path: path, offset: chunk.offset, length: chunk.length) else { return false }
                            let reader = CSVReader(slice: ByteSlice(bytes), path: display, delimiter: delimiter,
                                                   firstLine: chunk.firstLine, firstIndex: chunk.firstRecord)
                            let denseBase = UnsafeMutablePointer<Double>(bitPattern: addresses.0)
                            let levelBase = UnsafeMutablePointer<Int32>(bitPattern: addresses.1)
                            let xHoldBase = UnsafeMutablePointer<Double>(bitPattern: addresses.2)
                            let yTrainBase = UnsafeMutablePointer<Double>(bitPattern: addresses.3)
                            let yHoldBase = UnsafeMutablePointer<Double>(bitPattern: addresses.4)
                            var trainRow = chunk.trainingStart, holdRow = chunk.holdoutStart
                            let trainEnd = c + 1 < plan.count ? plan[c + 1].trainingStart : nTrainTotal
                            let holdEnd = c + 1 < plan.count ? plan[c + 1].holdoutStart : nHoldTotal
                            // This chunk's rows start at zero (dense 0, level −1): nothing was pre-filled.
                            if trainEnd > trainRow {
                                guard let denseBase else { return false }
                                for a in 0..<denseCount { (denseBase + a * nTrainTotal + trainRow).update(repeating: 0, count: trainEnd - trainRow) }
                                if groupCount > 0 {
                                    guard let levelBase else { return false }
                                    for q in 0..<groupCount { (levelBase + q * nTrainTotal + trainRow).update(repeating: -1, count: trainEnd - trainRow) }
                                }
                            }
                            if holdEnd > holdRow {
                                guard let xHoldBase else { return false }
                                for j in 0..<termCount + 1 { (xHoldBase + j * nHoldTotal + holdRow).update(repeating: 0, count: holdEnd - holdRow) }
                            }
                            // A design without categorical terms has no level storage (and writes none).
                            let noLevels = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
                            defer { noLevels.deallocate() }
                            guard let denseBase else { return false }
                            let trainTarget = RowEncoder.Target(dense: denseBase, levels: levelBase ?? noLevels, rows: nTrainTotal)
                            var record = CSVRecord()
                            var values: [ResolvedValue] = []
                            while true {
                                // A record the first pass could not read was reported there.
                                guard (try? reader.next(into: &record)) == true else { break }
                                if badRows.contains(record.index) { continue }
                                guard (try? resolver.resolve(record, into: &values)) != nil else { return false }
                                var time: Double?
                                if let ti = timeIndex { time = record.withField(ti) { FieldParser.date(FieldParser.trim($0)) } }
                                let holdout = Trainer.isHoldout(index: record.index, time: time, seed: seed, fraction: fraction, after: after)
                                let y: Double = record.withField(targetIndex) { FieldParser.trim($0).elementsEqual(positiveBytes) ? 1 : 0 }
                                if holdout {
                                    guard holdRow < holdEnd, let xHoldBase, let yHoldBase else { return false }
                                    encoder.encode(values, row: holdRow, into: xHoldBase, rows: nHoldTotal)
                                    yHoldBase[holdRow] = y
                                    holdRow += 1
                                } else {
                                    guard trainRow < trainEnd, let yTrainBase else { return false }
                                    guard encoder.encode(values, row: trainRow, into: trainTarget) else { return false }
                                    yTrainBase[trainRow] = y
                                    trainRow += 1
                                }
                            }
                            return trainRow == trainEnd && holdRow == holdEnd
                        }
                        ok = results.allSatisfy { $0 }
                    }
                }
            }
            }
        }
        return ok
    }

    /// `--lambda auto`: λ by cross-validated deviance on the training rows (`LambdaSearch`), or λ = 1
    /// with a notice when there are too few rows of one outcome to fill the folds.
    private func chooseLambda(x: EncodedRows, y: [Double], weights: [Double],
                              notices: inout [String]) -> (LambdaSelection?, Double) {
        let positives = Int(y.reduce(0, +))
        let minority = min(positives, y.count - positives)
        guard minority >= 2 * options.folds else {
            notices.append("λ = 1: \(minority) training lead(s) of the rarer outcome are too few to choose λ by \(options.folds)-fold cross-validation (at least \(2 * options.folds) are needed)")
            return (nil, 1)
        }
        var search = LambdaSearch()
        search.folds = options.folds
        search.rule = options.lambdaRule
        search.seed = options.seed
        search.maxIterations = options.maxIterations
        let s = search.choose(data: x, y: y, weights: weights) { progress?($0) }
        if s.method == "holdout-sample" {
            notices.append("λ chosen on a held-out 20% of a \(s.rows)-row sample instead of \(options.folds) folds: above \(LambdaSelection.foldRowLimit) training rows k paths would cost more than the fit itself, and λ matters less as rows grow")
        }
        if s.chosenIndex == s.lambdas.count - 1 {
            notices.append("the smallest λ tried (\(String(format: "%.3g", s.chosen))) validated best: the data ask for little penalty")
        } else if s.chosenIndex == 0 {
            notices.append("the largest λ tried (\(String(format: "%.3g", s.chosen))) validated best: the columns barely predict the outcome")
        }
        if s.unconverged > 0 {
            notices.append("choosing λ: the fit did not converge at \(s.unconverged) of \(s.lambdas.count) grid points in some fold")
        }
        return (s, s.chosen)
    }

    /// The holdout rule as a pure function (for the parallel pass).
    static func isHoldout(index: Int, time: Double?, seed: UInt64, fraction: Double, after: Double?) -> Bool {
        if let after, let time { return time > after }
        if after != nil { return false }
        return fraction > 0 && SplitMix64.rowUniform(seed: seed, index: index) < fraction
    }

    private func classWeights(_ y: [Double]) -> [Double] {
        guard options.classWeight == .balanced else { return [Double](repeating: 1, count: y.count) }
        let n = Double(y.count)
        let pos = y.reduce(0, +)
        let neg = n - pos
        let wPos = pos > 0 ? n / (2 * pos) : 1
        let wNeg = neg > 0 ? n / (2 * neg) : 1
        return y.map { $0 > 0.5 ? wPos : wNeg }
    }

    /// The intercept shift that undoes class weights' effect on the odds: a weighted fit sees the
    /// positive odds as w₁n₁ / (w₀n₀) instead of n₁ / n₀, so its intercept is off by the log of
    /// their ratio. Shift = log(π₁/π₀) − log(w₁π₁ / (w₀π₀)) = log(w₀ / w₁); with balanced weights
    /// w = n / (2 · class count) that is log(n₁ / n₀), the training log-odds of the positive class.
    static func priorCorrection(weights: [Double], y: [Double]) -> Double {
        var n1 = 0.0, n0 = 0.0, w1 = 0.0, w0 = 0.0
        for (w, v) in zip(weights, y) {
            if v > 0.5 { n1 += 1; w1 += w } else { n0 += 1; w0 += w }
        }
        guard n1 > 0, n0 > 0, w1 > 0, w0 > 0 else { return 0 }
        return log(n1 / n0) - log(w1 / w0)
    }

    /// Why a design with more than `TrainingOptions.maxTerms` terms is refused, and what to do.
    static func tooManyTermsMessage(design: Design) -> String {
        let widest = design.columns.sorted { $0.terms.count > $1.terms.count }.prefix(3)
            .map { "'\($0.name)' (\($0.terms.count))" }.joined(separator: ", ")
        return "the design has \(design.termCount) terms from \(design.columns.count) columns, more than the \(TrainingOptions.maxTerms) a model may have (the fit holds several terms × terms matrices: \(design.termCount) terms would need about \(Int((8 * pow(Double(design.termCount), 2) / 1e9 * 6).rounded(.up))) GB); most terms: \(widest). Keep fewer columns with --exclude, or pool rare levels with a higher --min-level-count"
    }

    private func resolveTarget(_ pass: FirstPass, display: String) throws -> TargetSpec {
        let seen = pass.targetCounts.sorted { $0.value.count > $1.value.count }
        let listing = seen.prefix(8).map { "'\($0.key)' (\($0.value.count) rows)" }.joined(separator: ", ")
        guard pass.targetCounts[options.positive] != nil else {
            throw InputError(file: display, columnName: options.target,
                             message: "the positive value '\(options.positive)' never occurs in the target column; values seen: \(listing)")
        }
        if !options.negatives.isEmpty {
            return TargetSpec(column: options.target, positive: options.positive, negatives: options.negatives)
        }
        let others = seen.filter { $0.key != options.positive }
        if others.isEmpty {
            throw InputError(file: display, columnName: options.target,
                             message: "every row has the positive value '\(options.positive)'; a model needs both outcomes")
        }
        if others.count > 1 {
            let second = others[1]
            throw InputError(file: display, line: second.value.line, columnName: options.target, value: second.key,
                             message: "the target column has \(others.count) values besides the positive '\(options.positive)': \(others.prefix(8).map { "'\($0.key)' (\($0.value.count))" }.joined(separator: ", ")); name the negative ones with --negative, or fix the rows")
        }
        return TargetSpec(column: options.target, positive: options.positive, negatives: [others[0].key])
    }

    /// Levels (and missing indicators) whose leads all had the same outcome: their coefficient has no
    /// finite maximum-likelihood value, which is worth saying in words.
    private func separationNotices(design: Design, x: EncodedRows, y: [Double], target: TargetSpec) -> [String] {
        var out: [String] = []
        let levels = x.levelTallies(y)
        for col in design.columns {
            for t in col.indicatorTerms {
                var count = 0.0
                var positives = 0.0
                if let tally = levels[t] {
                    (count, positives) = tally
                } else {
                    for (i, v) in x.column(t).enumerated() where v == 1 { count += 1; positives += y[i] }
                }
                if count > 0 && (positives == 0 || positives == count) {
                    let outcome = positives == 0 ? "not '\(target.positive)'" : "'\(target.positive)'"
                    out.append("separation: every one of the \(Int(count)) training leads with \(design.termNames[t]) was \(outcome); without a penalty its coefficient runs off to infinity (the default --penalty l2 keeps it finite)")
                }
            }
        }
        return out
    }

    /// Numeric and boolean columns whose observed training values alone separate the outcomes (the
    /// largest value of one class at or below the smallest of the other): without a penalty their
    /// coefficient runs off to infinity, as a level's does.
    private func numericSeparationNotices(design: Design, x: EncodedRows, y: [Double], target: TargetSpec) -> [String] {
        var out: [String] = []
        for col in design.columns {
            guard let e = col.numeric else { continue }
            let values = x.column(e.term)
            let missing = e.missingTerm.map { x.column($0) }
            var low = [Double.infinity, Double.infinity], high = [-Double.infinity, -Double.infinity]
            for i in values.indices where missing?[i] != 1 {
                let c = y[i] > 0.5 ? 1 : 0
                low[c] = min(low[c], values[i])
                high[c] = max(high[c], values[i])
            }
            guard low[0].isFinite, low[1].isFinite else { continue }
            // Positives above negatives (c = 1 high) or below them.
            let up = high[0] <= low[1], down = high[1] <= low[0]
            guard up || down else { continue }
            func raw(_ v: Double) -> String { "\(rounded(e.standardization.original(v), 9))" }
            let (hi, lo) = up ? (1, 0) : (0, 1)
            let outcome = { (c: Int) in c == 1 ? "'\(target.positive)'" : "not '\(target.positive)'" }
            var what: String
            if high[lo] < low[hi] {
                what = "every training lead with \(col.name) ≥ \(raw(low[hi])) was \(outcome(hi)) and every one with \(col.name) ≤ \(raw(high[lo])) was \(outcome(lo))"
            } else {
                // Both outcomes only at the one value t where the classes meet (quasi-separation).
                let t = raw(low[hi])
                var sides: [String] = []
                if low[lo] < low[hi] { sides.append("every training lead with \(col.name) < \(t) was \(outcome(lo))") }
                if high[hi] > high[lo] { sides.append("every training lead with \(col.name) > \(t) was \(outcome(hi))") }
                what = sides.joined(separator: " and ") + " (both outcomes only at \(t))"
            }
            out.append("separation: column '\(col.name)' alone separates the outcomes: \(what); without a penalty its coefficient runs off to infinity (the default --penalty l2 keeps it finite)")
        }
        return out
    }

    private func collinearityNotices(design: Design, gram start: Matrix) -> [String] {
        let k = start.cols
        guard k > 1 else { return [] }
        var gram = start
        // Scale to a correlation-like matrix so the tolerance means the same for every term.
        let d = gram.diagonal.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        for j in 0..<k { for i in 0..<k { gram[i, j] *= d[i] * d[j] } }
        guard let rank = try? PivotedRank(gram, tolerance: 1e-10), !rank.dependent.isEmpty else { return [] }
        var out: [String] = []
        for t in rank.dependent where t < design.termCount {
            var twin: String?
            for u in 0..<design.termCount where u != t {
                if abs(gram[t, u] - 1) < 1e-12 { twin = design.termNames[u]; break }
            }
            let what = twin.map { "is identical to '\($0)'" } ?? "is a linear combination of other terms"
            out.append("collinear: term '\(design.termNames[t])' \(what); without a penalty its coefficient is not identified (exclude one of the columns, or keep --penalty l2)")
        }
        return out
    }

    /// 10th, 25th, 50th, 75th and 90th percentiles of a numeric column's observed training values.
    static func quantiles(of col: NumericEncoding, x: EncodedRows) -> [Double] {
        // A numeric column's terms are dense columns of X: read them in place.
        let n = x.rows
        let t = x.densePosition[col.term]
        let m = col.missingTerm.map { x.densePosition[$0] }
        var values: [Double] = []
        values.reserveCapacity(n)
        x.dense.storage.withUnsafeBufferPointer { s in
            for i in 0..<n {
                if let m, s[m * n + i] == 1 { continue }
                values.append(col.standardization.original(s[t * n + i]))
            }
        }
        guard !values.isEmpty else { return [] }
        RadixSort.sort(&values)
        return [0.10, 0.25, 0.50, 0.75, 0.90].map { q in
            let pos = q * Double(values.count - 1)
            let lo = Int(pos.rounded(.down))
            let hi = min(lo + 1, values.count - 1)
            let v = values[lo] + (values[hi] - values[lo]) * (pos - Double(lo))
            // Rounded to 1e-9, except beyond ~1e299 where v · 1e9 would overflow (v is whole there anyway).
            return abs(v) < 1e290 ? (v * 1e9).rounded() / 1e9 : v
        }
    }

    /// Grades A–D. Default cut-offs: the training scores' quartiles (A = top quarter of training
    /// leads, D = bottom quarter); `cutoffs` overrides them (three descending scores for A, B, C).
    static func gradeBands(scores: [Double], outcomes: [Double], cutoffs: [Double]?) throws -> [GradeBand] {
        var limits: [Double]
        if let cutoffs {
            limits = cutoffs
        } else {
            let sorted = RadixSort.sorted(scores)
            func q(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
            }
            limits = [q(0.75), q(0.5), q(0.25)]
        }
        limits.append(0)
        var bands: [GradeBand] = []
        for (k, grade) in ["A", "B", "C", "D"].enumerated() {
            let lower = limits[k]
            let upper = k == 0 ? Double.infinity : limits[k - 1]
            var count = 0
            var positives = 0.0
            for (s, y) in zip(scores, outcomes) where (k == 3 ? s < upper : s >= lower && s < upper) {
                count += 1
                positives += y
            }
            bands.append(GradeBand(grade: grade, minScore: k == 3 ? 0 : lower, trainingLeads: count,
                                   trainingPositiveRate: count > 0 ? positives / Double(count) : 0))
        }
        return bands
    }

    static func sha256(path: String) throws -> String {
        let source = try ByteSource(path: path)
        var digest = SHA256Digest()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try source.read(into: chunk)
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return digest.finalizeHex()
    }

    static func timestamp() -> String {
        if let fixed = ProcessInfo.processInfo.environment["LEADSCORE_CREATED_AT"] { return fixed }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    static func dayString(_ days: Double) -> String { FieldParser.isoDate(days: Int(days.rounded(.down))) }
}

func rounded(_ x: Double, _ digits: Int) -> Double {
    let p = pow(10.0, Double(digits))
    return (x * p).rounded() / p
}

extension Matrix {
    /// The first `n` rows, as a new matrix.
    func topRows(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: cols)
        for j in 0..<cols { for i in 0..<n { m[i, j] = self[i, j] } }
        return m
    }
}

extension LeadScoreModel {
    /// Coefficients in each column's original units (see `Coefficients.original`).
    func originalUnits() -> [Coefficients.OriginalTerm] {
        var out: [Coefficients.OriginalTerm] = []
        let beta = coefficients.terms
        for col in design.columns {
            switch col.kind {
            case .numeric(let e), .boolean(let e):
                let original = e.originalUnits(beta: beta)
                out.append(.init(term: design.termNames[e.term], coefficient: original.perUnit))
                if let m = e.missingTerm, let missing = original.missing {
                    out.append(.init(term: design.termNames[m], coefficient: missing))
                }
            case .categorical(let e):
                for g in e.groups { if let t = g.term { out.append(.init(term: design.termNames[t], coefficient: beta[t])) } }
            case .shape(let e):
                // Per unit of each raw basis function; the missing indicator against raw basis 0.
                for (j, t) in e.terms.enumerated() { out.append(.init(term: design.termNames[t], coefficient: beta[t] / e.scales[j])) }
                if let m = e.missingTerm { out.append(.init(term: design.termNames[m], coefficient: beta[m] + e.interceptShift(beta: beta))) }
            }
        }
        // An interaction's 0/1 terms are in original units already.
        for i in design.interactions ?? [] { for t in i.terms { out.append(.init(term: design.termNames[t], coefficient: beta[t])) } }
        return out
    }

    func originalIntercept() -> Double {
        var b0 = coefficients.intercept
        for e in design.columns.compactMap(\.numeric) { b0 -= e.originalUnits(beta: coefficients.terms).interceptShift }
        for col in design.columns { if case .shape(let e) = col.kind { b0 -= e.interceptShift(beta: coefficients.terms) } }
        return b0
    }
}

/// The first pass over one chunk: row checks, holdout assignment and column profiles. Chunks are
/// scanned in parallel and their results merged in file order (`ColumnProfile.merge`).
struct FirstPassScanner: Sendable {
    let options: TrainingOptions
    let header: [String]
    let targetIndex: Int
    let timeIndex: Int?
    let idIndex: Int?
    let features: [Int]
    let overrides: [ColumnType?]
    let allowed: Set<String>?
    let parser: FieldParser
    let display: String

    struct Part: Sendable {
        var profiles: [ColumnProfile]
        var records = 0
        var trainingRows = 0
        var holdoutRows = 0
        var firstTime = Double.infinity
        var lastTime = -Double.infinity
        var targetCounts: [String: (count: Int, line: Int)] = [:]
        /// Rows that cannot be used, by record index, in order.
        var rejected: [(Int, InputError)] = []
        /// True when reading must stop here (an unreadable record, or the first error with --on-error fail).
        var stopped = false
    }

    func scan(_ chunk: RecordChunker.Chunk, firstRecord: Int) -> Part {
        var part = Part(profiles: [])
        var profiles = features.map { ColumnProfile(name: header[$0], levelLimit: options.maxLevels) }
        // Target values by their bytes (a handful of distinct ones): a String only for a new value.
        var targetBytes: [[UInt8]] = []
        var targetTally: [(count: Int, line: Int)] = []
        let reader = CSVReader(slice: chunk.slice, path: display, delimiter: options.delimiter, firstLine: chunk.firstLine, firstIndex: firstRecord)
        var record = CSVRecord()
        let fail = options.onError == .fail
        // Locals, not properties: a property read inside the per-field closure copies the struct
        // (and retains its arrays) once per field.
        let parser = self.parser
        let features = self.features
        let targetIndex = self.targetIndex, timeIndex = self.timeIndex
        let seed = options.seed, fraction = options.holdoutFraction, after = options.holdoutAfter
        let fieldCount = header.count
        let check = RowCheck(scanner: self)
        profiles.withUnsafeMutableBufferPointer { profile in
            while true {
                let more: Bool
                do throws(InputError) { more = try reader.next(into: &record) } catch var e {
                    e.file = display
                    part.rejected.append((firstRecord + part.records, e))
                    part.records += 1
                    part.stopped = true
                    return
                }
                guard more else { return }
                part.records += 1
                var time: Double?
                let defect: RowDefect? = record.fieldCount != fieldCount ? .fieldCount : record.withFields { fields in
                    if let ti = timeIndex { time = FieldParser.date(FieldParser.trim(fields[ti])) }
                    return check.defect(fields, time: time)
                }
                if let defect {
                    part.rejected.append((record.index, error(defect, record)))
                    if fail { part.stopped = true; return }
                    continue
                }
                let holdout = Trainer.isHoldout(index: record.index, time: time, seed: seed, fraction: fraction, after: after)
                if holdout { part.holdoutRows += 1 } else {
                    part.trainingRows += 1
                    if let time {
                        part.firstTime = min(part.firstTime, time)
                        part.lastTime = max(part.lastTime, time)
                    }
                }
                let known = record.withField(targetIndex) { raw -> Int? in
                    let value = FieldParser.trim(raw)
                    return targetBytes.firstIndex { $0.elementsEqual(value) }
                }
                if let known {
                    targetTally[known].count += 1
                } else {
                    targetBytes.append(record.withField(targetIndex) { Array(FieldParser.trim($0)) })
                    targetTally.append((1, record.line))
                }
                let line = record.line
                record.withFields { fields in
                    for k in 0..<features.count {
                        profile[k].observe(FieldParser.trim(fields[features[k]]), parser: parser, line: line, training: !holdout)
                    }
                }
            }
        }
        part.profiles = profiles
        for (bytes, tally) in zip(targetBytes, targetTally) {
            part.targetCounts[String(decoding: bytes, as: UTF8.self)] = tally
        }
        return part
    }

    /// The message for a row the first pass cannot use, naming line, column, value and the lead's id.
    func error(_ defect: RowDefect, _ record: CSVRecord) -> InputError {
        describe(defect, record).withLeadID(of: record, idIndex: idIndex)
    }

    private func describe(_ defect: RowDefect, _ record: CSVRecord) -> InputError {
        let ti = targetIndex
        switch defect {
        case .fieldCount:
            return InputError(file: display, line: record.line, column: min(record.fieldCount, header.count + 1),
                              message: "expected \(header.count) fields, found \(record.fieldCount)")
        case .missingTarget:
            return InputError(file: display, line: record.line, column: ti + 1, columnName: header[ti],
                              value: record.withField(ti) { String(decoding: FieldParser.trim($0), as: UTF8.self) },
                              message: "the target value is missing")
        case .targetNotAllowed:
            return .unexpectedOutcome(file: display, line: record.line, column: ti + 1, columnName: header[ti],
                                      value: record.withField(ti) { String(decoding: FieldParser.trim($0), as: UTF8.self) },
                                      positive: options.positive, negatives: options.negatives)
        case .badTime(let tix):
            return .notADate(file: display, line: record.line, column: tix + 1, columnName: header[tix], value: record.displayString(tix))
        case .badValue(let f, let message):
            return InputError(file: display, line: record.line, column: f + 1, columnName: header[f],
                              value: record.displayString(f).trimmedWhitespace, message: message)
        }
    }
}

/// Why the first pass cannot use a row (the message is built only for such a row).
enum RowDefect {
    case fieldCount, missingTarget, targetNotAllowed
    /// The time column (at this field) holds no date.
    case badTime(field: Int)
    /// A feature field that is not valid UTF-8 or does not fit its `--type`.
    case badValue(field: Int, message: String)
}

/// The first pass's row checks with the scanner's settings copied once per chunk. A class, made by
/// each chunk's thread: a struct captured by the per-row closure was copied on every row, retaining
/// arrays the threads share (their reference counts then bounced between the cores).
final class RowCheck {
    let parser: FieldParser
    let targetIndex: Int
    let features: [Int]
    let overrides: [ColumnType?]
    let hasOverrides: Bool
    let timeIndex: Int?
    let allowed: Set<String>?

    init(scanner: FirstPassScanner) {
        parser = scanner.parser
        targetIndex = scanner.targetIndex
        features = scanner.features
        overrides = scanner.overrides
        hasOverrides = overrides.contains { $0 != nil }
        timeIndex = scanner.timeIndex
        allowed = scanner.allowed
    }

    /// The first defect of a record with the right field count, in the order the messages were
    /// always given: target missing, target not allowed, time, UTF-8, `--type`. `time` is the parsed
    /// time column (nil when there is none or it is not a date).
    func defect(_ fields: CSVRecord.Fields, time: Double?) -> RowDefect? {
        let target = FieldParser.trim(fields[targetIndex])
        if parser.isMissing(target) { return .missingTarget }
        if let allowed, !allowed.contains(String(decoding: target, as: UTF8.self)) { return .targetNotAllowed }
        if let timeIndex, time == nil { return .badTime(field: timeIndex) }
        for f in features where !FieldParser.isValidUTF8(fields[f]) {
            return .badValue(field: f, message: ValueProblem.invalidUTF8.message)
        }
        guard hasOverrides else { return nil }
        for (k, f) in features.enumerated() {
            guard let type = overrides[k] else { continue }
            if let message = RowCheck.typeProblem(type, FieldParser.trim(fields[f]), parser: parser) {
                return .badValue(field: f, message: message)
            }
        }
        return nil
    }

    /// Why a trimmed value does not fit the type `--type` gave its column, or nil.
    static func typeProblem(_ type: ColumnType, _ v: UnsafeBufferPointer<UInt8>, parser: FieldParser) -> String? {
        if parser.isMissing(v) { return nil }
        switch type {
        case .numeric:
            switch FieldParser.number(v) {
            case .value: return nil
            case .outOfRange: return ValueProblem.outOfRange.message
            case .notANumber: return ValueProblem.expectedNumber.message
            }
        case .boolean:
            if FieldParser.boolean(v) != nil { return nil }
            if case .value(let x) = FieldParser.number(v), x == 0 || x == 1 { return nil }
            return ValueProblem.expectedBoolean.message
        case .date:
            return FieldParser.date(v) == nil ? "expected an ISO 8601 date" : nil
        case .categorical:
            return String(validating: v, as: UTF8.self) == nil ? ValueProblem.invalidUTF8.message : nil
        }
    }
}

/// A value computed on a background thread; `value()` waits for it (and rethrows its error).
final class BackgroundValue<T: Sendable>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        group.enter()
        DispatchQueue.global().async {
            self.result = Result { try body() }
            self.group.leave()
        }
    }

    func value() throws -> T {
        group.wait()
        return try result!.get()
    }
}
