import LeadData
import LeadSupport
import LinearAlgebra

/// Options for bulk scoring.
public struct ScoringOptions: Sendable {
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
    /// Stop each row after this stage and write nothing: the floors of scoring, for benchmarks
    /// (`score --stop-after`). Rows are counted as scored.
    public var stopAfter: ScoringStage?

    public init(dataPath: String) { self.dataPath = dataPath }
}

/// Where a run with `ScoringOptions.stopAfter` stops each row.
public enum ScoringStage: String, Sendable, CaseIterable {
    /// Records read and split into fields, their field count checked.
    case parse
    /// Then every value the model uses resolved: numbers parsed, levels looked up.
    case resolve
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
/// are the same whatever the thread count. Without an id column rows are numbered: a chunk's rows are
/// scored without their numbers, which the writer adds in input order (`RowNumbering`). The input is
/// read exactly once on every path, so standard input works like a file.
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
        /// With deferred row numbers (no id column, parallel chunks): for each scored row, its record
        /// number within the chunk and where its text starts in `output`. The text lacks the number,
        /// which the writer puts in front once it knows how many records came before the chunk.
        var rowOrdinals: [Int32] = []
        var rowStarts: [Int] = []

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
        let scorecard: Scorecard.Compiled
        let reasons: Int
        let idIndex: Int?
        let policy: OnError
        let writeErrors: Bool
        /// The grades' names back to back, grade g's ending at `gradeEnds[g]`: appended from one
        /// shared buffer, not as an array per grade whose reference count both workers would bump per row.
        let gradeText: [UInt8]
        let gradeEnds: [Int]
        let gradeFloors: [Double]
        let hasMissingTerm: [Bool]
        let jsonOutput: Bool
        let idName: String
        /// No id column and chunks parsed in parallel: row numbers are written by `RowNumbering`.
        let deferRowNumbers: Bool
        /// Training range of numeric columns (−∞…∞ for the others).
        let lower: [Double]
        let upper: [Double]
        let stopAfter: ScoringStage?

        /// The row stream of `source` as this run reads it (its policy, its id column).
        func rows<Source: RecordSource>(_ source: Source) -> LeadRows<Source> {
            var roles = RowRoles(file: resolver.file, header: resolver.header, parser: resolver.parser)
            if let idIndex { roles.readID(at: idIndex) }
            var rows = LeadRows(source: source, roles: roles, resolver: resolver, policy: policy)
            rows.resolves = stopAfter != .parse
            return rows
        }

        /// Appends the name of grade `g` (nothing for nil).
        @inline(__always)
        func appendGrade(_ g: Int?, to out: inout [UInt8]) {
            guard let g else { return }
            let start = g == 0 ? 0 : gradeEnds[g - 1]
            gradeText.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<gradeEnds[g]])) }
        }

        /// Appends a CSV row's id (escaped) or number (or nothing), probability, score and grade, and its line end
        /// when there are no reasons to follow: written through a pointer into one stack buffer and appended
        /// once, instead of about eight appends that each checked the array's uniqueness and capacity.
        @inline(__always)
        func appendRow(id: UnsafeBufferPointer<UInt8>?, number: Int?, _ p: Double, _ score: Double, _ grade: Int?,
                       to out: inout [UInt8]) {
            let room = (id.map { 2 * $0.count + 2 } ?? 20) + 2 * CSVText.maximumNumberText + 4 + gradeText.count
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
                let b = buffer.baseAddress!
                var n = 0
                if let id { n = CSVText.writeEscaped(id, to: b) } else if let number { n = CSVText.writeInteger(number, to: b) }
                b[n] = UInt8(ascii: ","); n += 1
                n += CSVText.writeShortest(p, to: b + n)
                b[n] = UInt8(ascii: ","); n += 1
                n += CSVText.writeOneDecimal(score, to: b + n)
                b[n] = UInt8(ascii: ","); n += 1
                if let g = grade {
                    let start = g == 0 ? 0 : gradeEnds[g - 1], count = gradeEnds[g] - start
                    if count > 0 { gradeText.withUnsafeBufferPointer { (b + n).update(from: $0.baseAddress! + start, count: count) } }
                    n += count
                }
                if reasons == 0 { b[n] = UInt8(ascii: "\n"); n += 1 }
                out.append(contentsOf: UnsafeBufferPointer(start: b, count: n))
            }
        }

        /// Reads records from `rows` until it is exhausted or `limit` records were read.
        func process<Source: RecordSource>(_ rows: inout LeadRows<Source>, into r: inout ChunkResult, limit: Int = .max) {
            let first = rows.recordsRead
            defer { r.read += rows.recordsRead - first }
            // Whether `r.failure` is set, kept apart: testing the optional error itself copied and
            // destroyed it on every row (about 150 instructions).
            var failed = r.failure != nil
            /// Counts a reported row; with --on-error fail it is the failure that stops the run.
            func count(_ e: InputError, failure: Bool) {
                r.reported += 1
                if r.firstErrors.count < OnError.keptErrors { r.firstErrors.append(e) }
                if failure { r.failure = e; failed = true } else if writeErrors { r.errorLines.append(contentsOf: CSVText.errorRow(e).utf8) }
            }
            func reject(_ e: InputError) {
                do { if case .rejected(let e) = try rows.reject(e) { count(e, failure: false) } } catch { count(error, failure: true) }
            }
            // A local copy, made once: reached through `self` in the closures below, the scorer's
            // 192 bytes were copied to the stack for every row.
            let compiled = self.compiled
            while rows.recordsRead - first < limit && !failed {
                do {
                    switch try rows.step() {
                    case .end: return
                    case .rejected(let e): count(e, failure: false); continue
                    case .row: break
                    }
                } catch {
                    count(error, failure: true)
                    return
                }
                if stopAfter != nil {
                    r.scored += 1
                    continue
                }
                let rowNumber = rows.recordsRead
                let record = rows.record
                let values = rows.values
                for c in 0..<values.count {
                    switch values[c] {
                    case .unseen: r.unseen[c] += 1
                    case .missing where !hasMissingTerm[c]: r.imputed[c] += 1
                    case .number(let x) where x < lower[c] || x > upper[c]: r.outOfRange[c] += 1
                    default: break
                    }
                }
                if let idIndex, !record.withField(idIndex, { FieldParser.isValidUTF8($0) }) {
                    reject(InputError(file: resolver.file, line: record.line, column: idIndex + 1, columnName: resolver.header[idIndex],
                                      value: record.displayString(idIndex), message: ValueProblem.invalidUTF8.message))
                    continue
                }
                let eta = values.withUnsafeBufferPointer { compiled.logOdds($0) }
                if eta.isNaN {
                    // Opposite infinite contributions (numbers near the largest double): no probability
                    // can be given, so the row is reported rather than written as "nan".
                    reject(InputError(file: resolver.file, line: record.line,
                                      message: "numbers too large for the model: the lead's log-odds is not a number"))
                    continue
                }
                let p = StableMath.sigmoid(eta)
                let score = scorecard.score(logOdds: eta)
                let grade = GradeBand.index(score: score, floors: gradeFloors)
                if deferRowNumbers {
                    r.rowOrdinals.append(Int32(truncatingIfNeeded: rowNumber))
                    r.rowStarts.append(r.output.count)
                }
                if jsonOutput {
                    var line = ""
                    if !deferRowNumbers {
                        let id = idIndex.map { record.displayString($0) } ?? String(rowNumber)
                        line = "{" + JSONText.quoted(idName) + ":" + JSONText.quoted(id)
                    }
                    line += ",\"probability\":\(p),\"score\":"
                    line.append(String(decoding: { var b: [UInt8] = []; CSVText.appendOneDecimal(score, to: &b); return b }(), as: UTF8.self))
                    var gradeName: [UInt8] = []
                    appendGrade(grade, to: &gradeName)
                    line += ",\"grade\":" + JSONText.quoted(String(decoding: gradeName, as: UTF8.self))
                    r.output.append(contentsOf: line.utf8)
                    if reasons > 0 {
                        r.output.append(contentsOf: ",\"reasons\":[".utf8)
                        values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: reasons, to: &r.output, json: true) }
                        r.output.append(UInt8(ascii: "]"))
                    }
                    r.output.append(contentsOf: "}\n".utf8)
                } else {
                    if let idIndex {
                        record.withField(idIndex) { appendRow(id: $0, number: nil, p, score, grade, to: &r.output) }
                    } else {
                        appendRow(id: nil, number: deferRowNumbers ? nil : rowNumber, p, score, grade, to: &r.output)
                    }
                    if reasons > 0 {
                        values.withUnsafeBufferPointer { compiled.appendReasonCodes($0, k: reasons, to: &r.output) }
                        r.output.append(UInt8(ascii: "\n"))
                    }
                }
                r.scored += 1
            }
        }
    }

    public func run(_ options: ScoringOptions) throws -> ScoringSummary {
        try run(options, input: { () throws(InputError) in try ByteSource(path: options.dataPath) },
                chunkSize: 1 << 20, output: { try OutputSink(path: options.outPath) })
    }

    /// Scores `bytes` (a request body) exactly as `run` scores a file holding them, named
    /// `options.dataPath` in messages, and returns what `run` would write (`outPath` is not used).
    /// Chunks are cut so that every thread gets one even for a small input.
    public func run(_ options: ScoringOptions, bytes: [UInt8]) throws -> (ScoringSummary, [UInt8]) {
        let sink = OutputSink(collectingAs: options.outPath)
        let chunkSize = min(1 << 20, max(1 << 16, bytes.count / max(1, threads) + 1))
        let summary = try run(options, input: { ByteSource(bytes: bytes, path: options.dataPath) }, chunkSize: chunkSize, output: { sink })
        return (summary, sink.collected)
    }

    private func run(_ options: ScoringOptions, input: () throws(InputError) -> ByteSource, chunkSize: Int,
                     output: () throws -> OutputSink) throws -> ScoringSummary {
        // Scoring uses no BLAS: its idle workers would only spin against the scoring threads.
        preferOwnThreadsOverBLAS()
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

        // Chunks are parsed in parallel when there is more than one thread. The input is opened once
        // and read once, whatever happens (standard input cannot be read twice).
        var chunker: RecordChunker?
        var reader: (any RecordSource)?
        var header: [String]
        if options.jsonInput {
            // JSON Lines has no header: the keys of the first objects stand for it, so a file whose
            // keys do not cover the model's columns is refused like a CSV that lacks them.
            let r = try JSONLinesReader(source: try input())
            header = r.header
            if header.isEmpty {  // no object at all: nothing to score, and nothing is missing
                header = model.design.columns.map(\.name)
                if let id = options.idColumn ?? model.idColumn, !header.contains(id) { header.append(id) }
            }
            reader = r
        } else if threads > 1 {
            let c = RecordChunker(source: try input(), delimiter: options.delimiter, chunkSize: chunkSize)
            header = try c.readHeader()
            chunker = c
        } else {
            let r = CSVReader(source: try input(), delimiter: options.delimiter, inPlace: true)
            header = try r.readHeader()
            reader = r
        }
        let resolver = try RowResolver(design: model.design, header: header, file: options.dataPath, parser: parser)
        let (idIndex, idName) = try idIndexIn(header)

        let out = try output()
        let errors = try options.errorsPath.map { try OutputSink(path: $0) }
        try errors?.write(CSVText.errorHeader)
        if !options.jsonOutput && options.stopAfter == nil {
            var headerLine = CSVText.escape(idName) + ",probability,score,grade"
            for k in 0..<options.reasons { headerLine += ",reason_\(k + 1)" }
            try out.write(headerLine + "\n")
        }

        let design = model.design
        let context = Context(
            model: model, resolver: resolver, compiled: CompiledScorer(model: model), reasons: options.reasons,
            idIndex: idIndex, idName: idName, policy: options.onError, writeErrors: errors != nil,
            jsonOutput: options.jsonOutput, deferRowNumbers: idIndex == nil && chunker != nil, stopAfter: options.stopAfter)
        var unseen = [Int](repeating: 0, count: design.columns.count)
        var imputed = unseen
        var outOfRange = unseen

        let numbering = RowNumbering(idName: idName, json: options.jsonOutput)
        func absorb(_ r: ChunkResult) throws {
            if context.deferRowNumbers {
                try numbering.write(r, firstRow: summary.rowsRead, to: out)
            } else {
                try r.output.withUnsafeBufferPointer { try out.write($0) }
            }
            if let errors { try r.errorLines.withUnsafeBufferPointer { try errors.write($0) } }
            summary.rowsRead += r.read
            summary.rowsScored += r.scored
            summary.rowsReported += r.reported
            for c in unseen.indices { unseen[c] += r.unseen[c]; imputed[c] += r.imputed[c]; outOfRange[c] += r.outOfRange[c] }
            for e in r.firstErrors where summary.firstErrors.count < OnError.keptErrors { summary.firstErrors.append(e) }
            if let failure = r.failure {
                // Rows before the failure reach standard output; a file is discarded (never half-written).
                if options.outPath == "-" { try? out.flush() }
                throw failure
            }
        }

        /// One reader on this thread, 8,192 records at a time.
        func scoreSequentially<Source: RecordSource>(_ reader: Source) throws {
            var rows = context.rows(reader)
            // Room for a batch's output at once, the last batch's length and an eighth: growing
            // from empty, the array doubled and copied itself about fifteen times per batch.
            var room = 0
            while true {
                var r = ChunkResult(columns: design.columns.count)
                r.output.reserveCapacity(room)
                context.process(&rows, into: &r, limit: 8192)
                room = r.output.count + r.output.count / 8
                let done = r.read == 0 || r.failure != nil || r.read < 8192
                try absorb(r)
                if let csv = reader as? CSVReader { progress?(summary.rowsRead, csv.bytesConsumed, csv.sizeInBytes) }
                if let jsonl = reader as? JSONLinesReader { progress?(summary.rowsRead, jsonl.bytesConsumed, jsonl.sizeInBytes) }
                if done { break }
            }
        }

        if let csv = reader as? CSVReader {
            try scoreSequentially(csv)  // the concrete type: the row loop specialized, no generic metadata per row
        } else if let reader {
            try scoreSequentially(reader)
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
                        // Room for the chunk's output at once (about as long as its input, longer with
                        // reasons), instead of the array doubling and copying itself as it grows.
                        r.output.reserveCapacity(batchChunks[k].slice.count + batchChunks[k].slice.count / 2)
                        let chunkReader = CSVReader(slice: batchChunks[k].slice, path: path, delimiter: delimiter,
                                                    firstLine: batchChunks[k].firstLine, firstIndex: 0)
                        var rows = context.rows(chunkReader)
                        context.process(&rows, into: &r)
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

/// Writes rows scored in parallel without an id column, numbering them in input order: each row's
/// text was written without its number, which only the writer knows (the records before its chunk).
struct RowNumbering {
    let prefix: [UInt8]
    let suffix: [UInt8]

    init(idName: String, json: Bool) {
        prefix = json ? Array(("{" + JSONText.quoted(idName) + ":\"").utf8) : []
        suffix = json ? [UInt8(ascii: "\"")] : []
    }

    func write(_ r: Scorer.ChunkResult, firstRow: Int, to out: OutputSink) throws {
        var text: [UInt8] = []
        text.reserveCapacity(r.output.count + r.rowStarts.count * 12)
        for i in r.rowStarts.indices {
            let end = i + 1 < r.rowStarts.count ? r.rowStarts[i + 1] : r.output.count
            text.append(contentsOf: prefix)
            text.append(contentsOf: String(firstRow + Int(r.rowOrdinals[i])).utf8)
            text.append(contentsOf: suffix)
            text.append(contentsOf: r.output[r.rowStarts[i]..<end])
        }
        try text.withUnsafeBufferPointer { try out.write($0) }
    }
}
