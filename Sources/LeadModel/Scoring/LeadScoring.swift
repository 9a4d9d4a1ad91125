import LeadData

/// Scores leads given as fields (the keys and values of JSON objects, as `score` reads JSON Lines)
/// through the very loop `Scorer` runs over a file, so the output is byte for byte the JSON Lines
/// rows of `leadscore score --format jsonl --reasons K` on the same leads.
///
/// For a server: built once per model, then shared by every request (it holds no mutable state).
/// A request's leads are checked as `score` checks a JSON Lines file: the keys of the first
/// `JSONLinesReader.headerLines` leads stand for a header, which must cover the model's columns
/// (the error names every absent column and the keys that look like them); a key absent from one
/// lead only is a missing value there. Other keys are ignored, as extra columns are.
public struct LeadScorer: Sendable {
    public let model: LeadScoreModel
    let compiled: CompiledScorer
    /// The model's columns (then the id column, when the leads carry it): the header the fields are
    /// laid out in, whatever order or extra keys the leads have.
    let withID: RowResolver?
    let withoutID: RowResolver
    /// Markers of a missing value besides the model's.
    let extraMissing: [String]

    /// The source name error messages give (`request:3: …`).
    public static let source = "request"

    public init(model: LeadScoreModel, extraMissing: [String] = []) throws {
        self.model = model
        self.extraMissing = extraMissing
        compiled = CompiledScorer(model: model)
        let parser = FieldParser(extraMissing: model.missingMarkers + extraMissing)
        let columns = model.design.columns.map(\.name)
        withoutID = try RowResolver(design: model.design, header: columns, file: LeadScorer.source, parser: parser)
        if let id = model.idColumn, !columns.contains(id) {
            withID = try RowResolver(design: model.design, header: columns + [id], file: LeadScorer.source, parser: parser)
        } else {
            withID = nil
        }
    }

    /// One lead: its line (or position) in the request, and its fields; a key that is absent is not
    /// given, an empty value is missing.
    public struct Lead: Sendable {
        public var line: Int
        public var fields: [String: String]
        public init(line: Int, fields: [String: String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// Leads whose keys do not cover the model's columns, as `score` refuses such a file.
    public struct MissingColumns: Error, Sendable, CustomStringConvertible {
        /// Every column the model needs and no lead's key names.
        public var columns: [String]
        /// For an absent column, the keys that differ from it only in case, spacing or punctuation.
        public var lookalikes: [String: [String]]
        /// The message `score` gives for such a file.
        public var message: String
        public var description: String { message }
    }

    /// The JSON Lines rows of `score --format jsonl --reasons K` for `leads`, one line each, in order.
    /// Without the model's id column among the keys, leads are numbered from 1, as `score` numbers rows.
    ///
    /// - Throws: `MissingColumns` for keys that do not cover the model's columns (every absent column
    ///   named, with look-alike keys), an `InputError` for the first lead whose value does not fit
    ///   its column (line, column and value), exactly as `score --on-error fail` stops.
    public func scoreJSONLines(_ leads: [Lead], reasons: Int) throws -> [UInt8] {
        // The keys standing for a header: in the order first seen, each lead's keys sorted, as
        // `JSONLinesReader` learns them.
        var keys: [String] = []
        var seen = Set<String>()
        for lead in leads.prefix(JSONLinesReader.headerLines) {
            for key in lead.fields.keys.sorted() where seen.insert(key).inserted { keys.append(key) }
        }
        if !leads.isEmpty { try checkColumns(keys) }
        let carriesID = model.idColumn.map { seen.contains($0) } ?? false
        let resolver = carriesID ? (withID ?? withoutID) : withoutID
        let idIndex = resolver.header.count > model.design.columns.count ? resolver.header.count - 1 : nil
        let context = Scorer.Context(model: model, resolver: resolver, compiled: compiled, reasons: min(reasons, model.design.contributionCount),
                                     idIndex: idIndex, idName: idIndex.map { resolver.header[$0] } ?? "row",
                                     policy: .fail, writeErrors: false, jsonOutput: true, deferRowNumbers: false)
        var rows = context.rows(LeadRecords(leads: leads, header: resolver.header))
        var result = Scorer.ChunkResult(columns: model.design.columns.count)
        context.process(&rows, into: &result)
        if let failure = result.failure { throw failure }
        return result.output
    }
}

extension LeadScorer {
    /// Refuses a header (or the keys standing for one) that does not cover the model's columns.
    func checkColumns(_ header: [String]) throws(MissingColumns) {
        let present = Set(header)
        let absent = model.design.columns.map(\.name).filter { !present.contains($0) }
        guard !absent.isEmpty else { return }
        var lookalikes: [String: [String]] = [:]
        for name in absent {
            let found = RowResolver.lookalikes(of: name, among: header)
            if !found.isEmpty { lookalikes[name] = found }
        }
        throw MissingColumns(columns: absent, lookalikes: lookalikes,
                             message: RowResolver.missingColumnsError(absent: absent, header: header, file: LeadScorer.source, request: true).message)
    }

    /// The CSV that `score --reasons K` writes for a file holding `csv` (a header line, then one
    /// lead per record), byte for byte: `Scorer` runs on the bytes in memory, its chunks parsed and
    /// scored on every thread. Leads are numbered by row when the header lacks the model's id column.
    ///
    /// - Throws: `MissingColumns` for a header that does not cover the model's columns, an
    ///   `InputError` for the first record that cannot be scored (line, column and value), exactly
    ///   as `score --on-error fail` stops.
    public func scoreCSV(_ csv: [UInt8], reasons: Int) throws -> (scored: Int, output: [UInt8]) {
        let header = try CSVReader(source: ByteSource(bytes: csv, path: LeadScorer.source), chunkSize: 1 << 16).readHeader()
        try checkColumns(header)
        var options = ScoringOptions(dataPath: LeadScorer.source)
        options.reasons = min(reasons, model.design.contributionCount)
        options.extraMissing = extraMissing
        let (summary, output) = try Scorer(model: model).run(options, bytes: csv)
        return (summary.rowsScored, output)
    }
}

/// Leads laid out as records of a fixed header, for `Scorer.Context.process`.
final class LeadRecords: RecordSource {
    let path = LeadScorer.source
    private let leads: [LeadScorer.Lead]
    private let header: [String]
    private var next = 0

    init(leads: [LeadScorer.Lead], header: [String]) {
        self.leads = leads
        self.header = header
    }

    func next(into record: inout CSVRecord) throws(InputError) -> Bool {
        guard next < leads.count else { return false }
        let lead = leads[next]
        next += 1
        record = CSVRecord(fields: header.map { lead.fields[$0] ?? "" }, line: lead.line)
        return true
    }
}

extension Scorer.Context {
    /// The per-row work of scoring with `model` through `resolver`: shared by `Scorer.run` (a file)
    /// and `LeadScorer` (leads of a request).
    init(model: LeadScoreModel, resolver: RowResolver, compiled: CompiledScorer, reasons: Int, idIndex: Int?, idName: String,
         policy: OnError, writeErrors: Bool, jsonOutput: Bool, deferRowNumbers: Bool, stopAfter: ScoringStage? = nil) {
        let design = model.design
        self.init(
            resolver: resolver, compiled: compiled, scorecard: model.scorecard.compiled,
            reasons: reasons, idIndex: idIndex, policy: policy, writeErrors: writeErrors,
            gradeText: model.grades.flatMap { Array($0.grade.utf8) },
            gradeEnds: model.grades.reduce(into: []) { ends, g in ends.append((ends.last ?? 0) + g.grade.utf8.count) },
            gradeFloors: model.grades.map(\.minScore),
            hasMissingTerm: design.columns.map { col in
                if case .shape(let e) = col.kind { return e.missingTerm != nil }
                return col.categorical != nil || col.numeric?.missingTerm != nil
            },
            jsonOutput: jsonOutput, idName: idName, deferRowNumbers: deferRowNumbers,
            lower: design.columns.map { if case .numeric(let e) = $0.kind { e.minimum ?? -.infinity } else if case .shape(let e) = $0.kind { e.minimum } else { -.infinity } },
            upper: design.columns.map { if case .numeric(let e) = $0.kind { e.maximum ?? .infinity } else if case .shape(let e) = $0.kind { e.maximum } else { .infinity } },
            stopAfter: stopAfter)
    }
}
