import LeadData

/// Options for bulk scoring.
public struct ScoringOptions: Sendable {
    public enum OnError: String, Sendable, CaseIterable { case fail, skip }
    public var dataPath: String
    public var outPath = "-"
    /// Id column to copy to the output; nil = the model's, or the row number when the file lacks it.
    public var idColumn: String?
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var extraMissing: [String] = []
    public var onError: OnError = .fail
    public var errorsPath: String?
    /// Adds `reason_1`…`reason_K`: codes of the K contributions that pull the score down most.
    public var reasons = 0
    /// Read JSON Lines instead of CSV, and write JSON Lines instead of CSV.
    public var jsonInput = false
    public var jsonOutput = false

    public init(dataPath: String) { self.dataPath = dataPath }
}

/// What a scoring run did: `rowsRead = rowsScored + rowsReported`, always.
public struct ScoringSummary: Sendable {
    public var rowsRead = 0
    public var rowsScored = 0
    public var rowsReported = 0
    /// Rows with a level not seen in training, per column.
    public var unseenLevels: [String: Int] = [:]
    /// Missing values in columns that had none in training (imputed at the training mean), per column.
    public var imputedMissing: [String: Int] = [:]
    /// Numbers outside the training range (scored by extrapolating the line), per column.
    public var outOfRange: [String: Int] = [:]
    /// The first errors, for the message on standard error.
    public var firstErrors: [InputError] = []
    public var notices: [String] = []
}

/// Streams a CSV of leads through a model: one output row per input row, in input order.
///
/// With an id column and more than one thread, the input is cut into chunks of whole records
/// (`RecordChunker`) that are parsed and scored in parallel and written in order: the output bytes
/// are the same whatever the thread count. Without an id column rows are numbered, which needs the
/// count of records before each chunk, so that case stays sequential.
public struct Scorer {
    public let model: LeadScoreModel
    public var progress: ((Int, Int, Int?) -> Void)?
    /// Worker threads (default: the cores available, at most 8).
    public var threads = ScoringThreads.default

    public init(model: LeadScoreModel) { self.model = model }

    /// What one stretch of records produced.
    struct ChunkResult: Sendable {
        var output: [UInt8] = []
        var errorLines: [UInt8] = []
        var read = 0
        var scored = 0
        var reported = 0
        var unseen: [Int]
        var imputed: [Int]
        var outOfRange: [Int]
        var firstErrors: [InputError] = []
        /// Set in fail mode: the error that stopped the run (rows before it are in `output`).
        var failure: InputError?

        init(columns: Int) {
            unseen = [Int](repeating: 0, count: columns)
            imputed = [Int](repeating: 0, count: columns)
            outOfRange = [Int](repeating: 0, count: columns)
        }
    }

    /// Everything the per-row work needs, shared read-only by the workers.
    struct Context: @unchecked Sendable {
        let resolver: RowResolver
        let compiled: CompiledScorer
        let scorecard: Scorecard
        let reasons: Int
        let idIndex: Int?
        let failFast: Bool
        let writeErrors: Bool
        let gradeBytes: [[UInt8]]
        let gradeFloors: [Double]
        let hasMissingTerm: [Bool]
        let jsonOutput: Bool
        let idName: String
        /// Training range of numeric columns (−∞…∞ for the others).
        let lower: [Double]
        let upper: [Double]

        /// Reads records from `reader` until it is exhausted or `limit` records were read.
        func process(_ reader: some RecordSource, into r: inout ChunkResult, rowNumber: inout Int, limit: Int = .max) {
            var record = CSVRecord()
            var values: [ResolvedValue] = []
            values.reserveCapacity(hasMissingTerm.count)
            var count = 0
            func report(_ e: InputError) {
                r.reported += 1
                if r.firstErrors.count < 20 { r.firstErrors.append(e) }
                if failFast { r.failure = e; return }
                if writeErrors { r.errorLines.append(contentsOf: CSVText.errorRow(e).utf8) }
            }
            while count < limit && r.failure == nil {
                let more: Bool
                do {
                    more = try reader.next(into: &record)
                } catch {
                    r.read += 1
                    report(error)
                    // A JSON line that does not parse is one bad row; an unterminated CSV quote
                    // swallows the rest of the input.
                    if reader is JSONLinesReader { count += 1; rowNumber += 1; continue }
                    return
                }
                guard more else { return }
                count += 1
                r.read += 1
                rowNumber += 1
                do {
                    try resolver.resolve(record, into: &values)
                } catch {
                    report(error)
                    continue
                }
                for c in 0..<values.count {
                    switch values[c] {
                    case .unseen: r.unseen[c] += 1
                    case .missing where !hasMissingTerm[c]: r.imputed[c] += 1
                    case .number(let x) where x < lower[c] || x > upper[c]: r.outOfRange[c] += 1
                    default: break
                    }
                }
                if let idIndex, !record.withField(idIndex, { FieldParser.isValidUTF8($0) }) {
                    report(InputError(file: reader.path, line: record.line, column: idIndex + 1, columnName: resolver.header[idIndex],
                                      value: record.displayString(idIndex), message: ValueProblem.invalidUTF8.message))
                    continue
                }
                let eta = values.withUnsafeBufferPointer { compiled.logOdds($0) }
                let p = StableMath.sigmoid(eta)
                let score = scorecard.score(logOdds: eta)
                let grade = gradeFloors.firstIndex(where: { score >= $0 }).map { gradeBytes[$0] } ?? gradeBytes.last ?? []
                if jsonOutput {
                    let id = idIndex.map { record.displayString($0) } ?? String(rowNumber)
                    var line = "{" + JSONText.quoted(idName) + ":" + JSONText.quoted(id) + ",\"probability\":\(p),\"score\":"
                    line.append(String(decoding: { var b: [UInt8] = []; CSVText.appendOneDecimal(score, to: &b); return b }(), as: UTF8.self))
                    line += ",\"grade\":" + JSONText.quoted(String(decoding: grade, as: UTF8.self))
                    r.output.append(contentsOf: line.utf8)
                    if reasons > 0 {
                        r.output.append(contentsOf: ",\"reasons\":[".utf8)
                        values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: reasons, to: &r.output, json: true) }
                        r.output.append(UInt8(ascii: "]"))
                    }
                    r.output.append(contentsOf: "}\n".utf8)
                } else {
                    if let idIndex {
                        record.withField(idIndex) { CSVText.appendEscaped($0, to: &r.output) }
                    } else {
                        r.output.append(contentsOf: String(rowNumber).utf8)
                    }
                    r.output.append(UInt8(ascii: ","))
                    CSVText.appendShortest(p, to: &r.output)
                    r.output.append(UInt8(ascii: ","))
                    CSVText.appendOneDecimal(score, to: &r.output)
                    r.output.append(UInt8(ascii: ","))
                    r.output.append(contentsOf: grade)
                    if reasons > 0 {
                        values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: reasons, to: &r.output) }
                    }
                    r.output.append(UInt8(ascii: "\n"))
                }
                r.scored += 1
            }
        }
    }

    public func run(_ options: ScoringOptions) throws -> ScoringSummary {
        var summary = ScoringSummary()
        let parser = FieldParser(extraMissing: model.missingMarkers + options.extraMissing)
        let idIndexIn: (([String]) throws -> (Int?, String))  = { header in
            if let wanted = options.idColumn {
                guard let i = header.firstIndex(of: wanted) else {
                    throw InputError(file: options.dataPath, line: 1, columnName: wanted, message: "no id column '\(wanted)' in the header")
                }
                return (i, wanted)
            }
            if let modelID = self.model.idColumn {
                if let i = header.firstIndex(of: modelID) { return (i, modelID) }
                summary.notices.append("the file has no id column '\(modelID)' (the model's); rows are identified by number")
            }
            return (nil, "row")
        }

        // Parallel when there is an id column to copy and more than one thread.
        var chunker: RecordChunker?
        var reader: (any RecordSource)?
        var header: [String]
        if options.jsonInput {
            header = model.design.columns.map(\.name)
            let id = options.idColumn ?? model.idColumn
            if let id, !header.contains(id) { header.append(id) }
            reader = try JSONLinesReader(path: options.dataPath, header: header)
        } else if threads > 1 {
            let c = try RecordChunker(path: options.dataPath, delimiter: options.delimiter, chunkSize: 1 << 20)
            header = try c.readHeader()
            chunker = c
        } else {
            let r = try CSVReader(path: options.dataPath, delimiter: options.delimiter)
            header = try r.readHeader()
            reader = r
        }
        let resolver = try RowResolver(design: model.design, header: header, file: options.dataPath, parser: parser)
        let (idIndex, idName) = try idIndexIn(header)
        if idIndex == nil, chunker != nil {
            // Row numbers need the sequential reader: restart from the top.
            chunker = nil
            let r = try CSVReader(path: options.dataPath, delimiter: options.delimiter)
            _ = try r.readHeader()
            reader = r
        }

        let out = try OutputSink(path: options.outPath)
        let errors = try options.errorsPath.map { try OutputSink(path: $0) }
        try errors?.write(CSVText.errorHeader)
        if !options.jsonOutput {
            var headerLine = CSVText.escape(idName) + ",probability,score,grade"
            for k in 0..<options.reasons { headerLine += ",reason_\(k + 1)" }
            try out.write(headerLine + "\n")
        }

        let design = model.design
        let context = Context(
            resolver: resolver, compiled: CompiledScorer(model: model), scorecard: model.scorecard,
            reasons: options.reasons, idIndex: idIndex,
            failFast: options.onError == .fail, writeErrors: errors != nil,
            gradeBytes: model.grades.map { Array($0.grade.utf8) }, gradeFloors: model.grades.map(\.minScore),
            hasMissingTerm: design.columns.map { $0.type == .categorical || $0.missingTerm != nil },
            jsonOutput: options.jsonOutput, idName: idName,
            lower: design.columns.map { $0.type == .numeric ? ($0.minimum ?? -.infinity) : -.infinity },
            upper: design.columns.map { $0.type == .numeric ? ($0.maximum ?? .infinity) : .infinity })
        var unseen = [Int](repeating: 0, count: design.columns.count)
        var imputed = unseen
        var outOfRange = unseen

        func absorb(_ r: ChunkResult) throws {
            try r.output.withUnsafeBufferPointer { try out.write($0) }
            if let errors { try r.errorLines.withUnsafeBufferPointer { try errors.write($0) } }
            summary.rowsRead += r.read
            summary.rowsScored += r.scored
            summary.rowsReported += r.reported
            for c in unseen.indices { unseen[c] += r.unseen[c]; imputed[c] += r.imputed[c]; outOfRange[c] += r.outOfRange[c] }
            for e in r.firstErrors where summary.firstErrors.count < 20 { summary.firstErrors.append(e) }
            if let failure = r.failure {
                // Rows before the failure reach standard output; a file is discarded (never half-written).
                if options.outPath == "-" { try? out.flush() }
                throw failure
            }
        }

        if let reader {
            var rowNumber = 0
            while true {
                var r = ChunkResult(columns: design.columns.count)
                context.process(reader, into: &r, rowNumber: &rowNumber, limit: 8192)
                let done = r.read == 0 || r.failure != nil || r.read < 8192
                try absorb(r)
                if let csv = reader as? CSVReader { progress?(summary.rowsRead, csv.bytesConsumed, csv.sizeInBytes) }
                if let jsonl = reader as? JSONLinesReader { progress?(summary.rowsRead, jsonl.bytesConsumed, jsonl.sizeInBytes) }
                if done { break }
            }
        } else if let chunker {
            // Pipelined: while the workers score batch k, this thread reads batch k+1 and writes
            // batch k−1's output, in input order.
            let batch = threads * 2
            let columnCount = design.columns.count
            let path = options.dataPath
            let delimiter = options.delimiter
            var inFlight: BatchJob<ChunkResult>?
            while true {
                var chunks: [RecordChunker.Chunk] = []
                while chunks.count < batch, let c = try chunker.nextChunk() { chunks.append(c) }
                var next: BatchJob<ChunkResult>?
                if !chunks.isEmpty {
                    let batchChunks = chunks
                    next = BatchJob<ChunkResult>.launch(count: batchChunks.count, threads: threads) { k -> ChunkResult in
                        var r = ChunkResult(columns: columnCount)
                        let chunkReader = CSVReader(slice: batchChunks[k].slice, path: path, delimiter: delimiter,
                                                    firstLine: batchChunks[k].firstLine, firstIndex: 0)
                        var rowNumber = 0
                        context.process(chunkReader, into: &r, rowNumber: &rowNumber)
                        return r
                    }
                }
                if let previous = inFlight {
                    do {
                        for r in previous.wait() { try absorb(r) }
                    } catch {
                        _ = next?.wait()
                        throw error
                    }
                    progress?(summary.rowsRead, chunker.bytesConsumed, chunker.sizeInBytes)
                }
                inFlight = next
                if next == nil { break }
            }
        }
        try out.commit()
        try errors?.commit()
        for c in 0..<design.columns.count {
            if unseen[c] > 0 { summary.unseenLevels[design.columns[c].name] = unseen[c] }
            if imputed[c] > 0 { summary.imputedMissing[design.columns[c].name] = imputed[c] }
            if outOfRange[c] > 0 { summary.outOfRange[design.columns[c].name] = outOfRange[c] }
        }
        return summary
    }
}
