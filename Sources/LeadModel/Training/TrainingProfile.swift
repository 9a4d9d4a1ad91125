import Foundation
import LeadData
import LeadSupport
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A compact picture of the training leads, stored in the model file (`"training_profile"`) so a later
/// run can tell how far new leads have moved from them (`leadscore drift`) without the training data.
///
/// Per model column: the missing rate and either the numeric bins (edges at the training deciles,
/// with each bin's share: ties make them differ from 10%) or the share of each level group (pooled
/// rare levels as `(other)`). The score gets the same bins on the 0–100 scale. Older models lack the
/// key; drift says so.
public struct TrainingProfile: Codable, Sendable, Equatable {
    /// Training leads the profile was taken from.
    public var rows: Int
    public var columns: [ProfiledColumn]
    /// The 0–100 score of the training leads.
    public var score: ProfileBins

    public init(rows: Int, columns: [ProfiledColumn], score: ProfileBins) {
        self.rows = rows
        self.columns = columns
        self.score = score
    }
}

/// One model column in the training profile.
public struct ProfiledColumn: Codable, Sendable, Equatable {
    public var name: String
    public var missingRate: Double
    /// Numeric and boolean columns: bins of the non-missing values.
    public var bins: ProfileBins?
    /// Categorical columns: share of each level group among all leads (missing included as its level).
    public var levels: [LevelShare]?

    enum CodingKeys: String, CodingKey {
        case name, bins, levels
        case missingRate = "missing_rate"
    }

    public init(name: String, missingRate: Double, bins: ProfileBins? = nil, levels: [LevelShare]? = nil) {
        self.name = name
        self.missingRate = missingRate
        self.bins = bins
        self.levels = levels
    }
}

/// Bins of a numeric distribution: bin 0 is (−∞, edges[0]], bin k is (edges[k−1], edges[k]], the last
/// is (edges.last, ∞); `shares` has edges.count + 1 entries adding up to 1.
public struct ProfileBins: Codable, Sendable, Equatable {
    public var edges: [Double]
    public var shares: [Double]

    public init(edges: [Double], shares: [Double]) {
        self.edges = edges
        self.shares = shares
    }

    /// Bins at the deciles of `values` (NaN ignored; repeated edges merged), with their shares.
    public static func deciles(of values: [Double]) -> ProfileBins? {
        // In ascending order (a radix sort: 1M values in ~15 ms; −0 counted as 0).
        var v = values.compactMap { $0.isNaN ? nil : $0 + 0 }
        RadixSort.sort(&v)
        guard !v.isEmpty else { return nil }
        var edges: [Double] = []
        for k in 1..<10 {
            let e = v[min(v.count - 1, (k * v.count) / 10)]
            if edges.last != e { edges.append(e) }
        }
        if edges.last == v.last { edges.removeLast() }
        if edges.isEmpty { edges = [v[0]] }
        let counts = ProfileBins(edges: edges, shares: []).counts(v)
        return ProfileBins(edges: edges, shares: counts.map { Double($0) / Double(v.count) })
    }

    /// The bin of `x`.
    @inline(__always)
    public func bin(_ x: Double) -> Int {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// How many of `values` (NaN ignored) fall in each bin.
    public func counts(_ values: [Double]) -> [Int] {
        var c = [Int](repeating: 0, count: edges.count + 1)
        for x in values where !x.isNaN { c[bin(x)] += 1 }
        return c
    }
}

/// A level group and its share of the training leads.
public struct LevelShare: Codable, Sendable, Equatable {
    public var level: String
    public var share: Double

    public init(level: String, share: Double) {
        self.level = level
        self.share = share
    }
}

/// Leads without outcomes, read through a model's design: values per column and the score.
public struct ProfiledLeads: Sendable {
    public var levels: [[Int32]]
    public var numbers: [[Double]]
    /// Per column: whether the raw field was missing.
    public var missing: [[Bool]]
    public var score: [Double]
    public var rows: Int { score.count }
    public var skippedRows = 0
    public var rowErrors: [InputError] = []

    public static func load(path: String, model: LeadScoreModel, delimiter: UInt8 = UInt8(ascii: ","),
                            extraMissing: [String] = [], skipBadRows: Bool = false, checkUnseen: Bool = true,
                            keep: ((CSVRecord) -> Bool)? = nil) throws -> ProfiledLeads {
        let parser = FieldParser(extraMissing: model.missingMarkers + extraMissing)
        let reader = try CSVReader(path: path, delimiter: delimiter)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: model.design, header: header, file: path, parser: parser)
        var leads = ProfiledLeads(columns: model.design.columns.count)
        let roles = RowRoles(file: path, header: header, parser: parser)
        var rows = LeadRows(source: reader, roles: roles, resolver: resolver, policy: skipBadRows ? .skip : .fail)
        try leads.read(&rows, model: model, compiled: CompiledScorer(model: model), checkUnseen: checkUnseen,
                       skipping: keep.map { keep in { record, _ in !keep(record) } })
        leads.skippedRows = rows.errors.count
        leads.rowErrors = rows.errors.kept
        return leads
    }

    init(levels: [[Int32]], numbers: [[Double]], missing: [[Bool]], score: [Double]) {
        self.levels = levels
        self.numbers = numbers
        self.missing = missing
        self.score = score
    }

    init(columns n: Int) {
        levels = Array(repeating: [], count: n)
        numbers = Array(repeating: [], count: n)
        missing = Array(repeating: [], count: n)
        score = []
    }

    /// Appends the usable leads of `rows` that `skipping` does not skip: each column's level or
    /// number, whether its field was missing, and the score.
    mutating func read<Source: RecordSource>(_ rows: inout LeadRows<Source>, model: LeadScoreModel, compiled: CompiledScorer,
                                             checkUnseen: Bool, skipping: ((CSVRecord, Int) -> Bool)?) throws(InputError) {
        let n = model.design.columns.count
        let resolver = rows.resolver, parser = resolver.parser
        // Categorical columns: every level seen in training (pooled ones included), to tell a level
        // never seen from one the model pools, whatever the column's policy for unseen levels.
        // (Training rows need no check: every level they hold is one of the design's, by construction.)
        let known: [Set<String>?] = model.design.columns.map { column in
            checkUnseen ? column.categorical.map { Set($0.groups.flatMap { [$0.value] + ($0.pooled ?? []) }) } : nil
        }
        while try rows.next(skipping: skipping) {
            let record = rows.record
            var values = rows.values
            for c in 0..<n {
                let isMissing = record.withField(resolver.fieldIndex[c]) { parser.isMissing(FieldParser.trim($0)) }
                missing[c].append(isMissing)
                if let levels = known[c], case .level = values[c] {
                    let raw = isMissing ? "" : record.displayString(resolver.fieldIndex[c]).trimmedWhitespace
                    if !levels.contains(raw) { values[c] = .unseen }
                }
                switch values[c] {
                case .level(let g): levels[c].append(Int32(g)); numbers[c].append(.nan)
                case .unseen: levels[c].append(-1); numbers[c].append(.nan)
                case .number(let x): levels[c].append(-2); numbers[c].append(x)
                case .missing: levels[c].append(-2); numbers[c].append(.nan)
                }
            }
            let eta = values.withUnsafeBufferPointer { compiled.logOdds($0) }
            score.append(model.scorecard.score(logOdds: eta))
        }
    }

}

extension TrainingProfile {
    /// The profile of training leads given column by column (what `train` stores in the model).
    public static func of(model: LeadScoreModel, levels: [[Int32]], numbers: [[Double]], missing: [[Bool]], score: [Double]) -> TrainingProfile {
        of(model: model, parts: [ProfiledLeads(levels: levels, numbers: numbers, missing: missing, score: score)])
    }

    /// The same from consecutive stretches of the leads (chunks read in parallel), one column at a
    /// time: only that column's numbers are ever put together, not a second copy of every column.
    /// The columns (and the score, last) run on every core, each on its own: at most one column's
    /// numbers per thread are put together.
    static func of(model: LeadScoreModel, parts: [ProfiledLeads]) -> TrainingProfile {
        let rows = parts.reduce(0) { $0 + $1.rows }
        let design = model.design
        let count = design.columns.count
        enum Result: Sendable { case column(ProfiledColumn), score(ProfileBins) }
        let results = ParallelMap.run(count + 1, threads: ScoringThreads.default) { c -> Result in
            guard c < count else {
                let score = parts.count == 1 ? parts[0].score : parts.flatMap(\.score)
                return .score(ProfileBins.deciles(of: score) ?? ProfileBins(edges: [50], shares: [0.5, 0.5]))
            }
            let column = design.columns[c]
            let missingCount = parts.reduce(0) { $0 + $1.missing[c].reduce(0) { $0 + ($1 ? 1 : 0) } }
            let missingRate = rows > 0 ? Double(missingCount) / Double(rows) : 0
            if let groups = column.categorical?.groups {
                var counts = [Int](repeating: 0, count: groups.count)
                for part in parts { for g in part.levels[c] where g >= 0 { counts[Int(g)] += 1 } }
                return .column(ProfiledColumn(name: column.name, missingRate: missingRate,
                                              levels: groups.indices.map { LevelShare(level: groups[$0].value, share: rows > 0 ? Double(counts[$0]) / Double(rows) : 0) }))
            }
            let numbers = parts.count == 1 ? parts[0].numbers[c] : parts.flatMap { $0.numbers[c] }
            return .column(ProfiledColumn(name: column.name, missingRate: missingRate, bins: ProfileBins.deciles(of: numbers)))
        }
        var columns: [ProfiledColumn] = []
        var score = ProfileBins(edges: [50], shares: [0.5, 0.5])
        for r in results {
            switch r {
            case .column(let column): columns.append(column)
            case .score(let bins): score = bins
            }
        }
        return TrainingProfile(rows: rows, columns: columns, score: score)
    }
}


extension TrainingProfile {
    /// The profile of the training rows of `path`, read again chunk by chunk on every core (the
    /// chunks training's first pass planned, merged in file order, so the profile is the same at
    /// any thread count). `isTraining` says whether a usable row is a training row (not holdout);
    /// `badRows` (reported by training) and records from `readable` on are left out.
    static func measure(model: LeadScoreModel, path: String, display: String, header: [String], timeIndex: Int?, delimiter: UInt8, extraMissing: [String],
                        plan: [Trainer.ChunkPlan], readable: Int, badRows: Set<Int>,
                        isTraining: @escaping @Sendable (CSVRecord, Double?) -> Bool) throws -> TrainingProfile {
        let parser = FieldParser(extraMissing: model.missingMarkers + extraMissing)
        let resolver = try RowResolver(design: model.design, header: header, file: display, parser: parser)
        let roles = RowRoles(file: display, header: header, parser: parser)
        let compiled = CompiledScorer(model: model)
        let columns = model.design.columns.count
        let parts = ParallelMap.run(plan.count, threads: ScoringThreads.default) { c -> Result<ProfiledLeads, InputError> in
            let chunk = plan[c]
            var leads = ProfiledLeads(columns: columns)
            do throws(InputError) {
                let bytes = try ByteBuffer.read(path: path, offset: chunk.offset, length: chunk.length)
                let reader = CSVReader(slice: ByteSlice(bytes), path: display, delimiter: delimiter,
                                       firstLine: chunk.firstLine, firstIndex: chunk.firstRecord)
                // Rows training used are usable here; any other was reported by training.
                var rows = LeadRows(source: reader, roles: roles, resolver: resolver, policy: .skip)
                rows.recordLimit = readable - chunk.firstRecord
                try leads.read(&rows, model: model, compiled: compiled, checkUnseen: false) { record, _ in
                    if badRows.contains(record.index) { return true }
                    let day = timeIndex.flatMap { t in record.withField(t) { FieldParser.date(FieldParser.trim($0)) } }
                    return !isTraining(record, day)
                }
                return .success(leads)
            } catch {
                return .failure(error)
            }
        }
        return .of(model: model, parts: try parts.map { try $0.get() })
    }
}

/// The training rows' values as pass 2 read them (the reading design's encoded rows, before the
/// shapes replace the numbers), kept compactly until the model exists, so that its profile for
/// `drift` needs no third read of the file. The profile made from it is the one a read of the
/// training rows gives (same values, same order, same arithmetic).
struct ProfileCapture {
    enum Column {
        /// Each row's level group, and the group a missing value resolves to (the "" level).
        case categorical(groups: [Int32], missingGroup: Int?)
        /// Each row's number, NaN when missing.
        case number([Double])
    }

    let rows: Int
    let columns: [String: Column]

    /// Nil when a column's missing values share a group with other levels (pooled into `(other)`):
    /// the encoded rows cannot tell them apart, and the profile reads the file instead.
    static func capture(design: Design, x: EncodedRows) -> ProfileCapture? {
        var columns: [String: Column] = [:]
        for (c, col) in design.columns.enumerated() {
            switch col.kind {
            case .categorical(let e) where e.groups.contains(where: { !$0.value.isEmpty && ($0.pooled ?? []).contains("") }): return nil
            case .shape: return nil  // the reading design has none
            default: break
            }
            // Each row's value as pass 2 resolved it (`InteractionBuilder.readingValues`), kept compactly.
            let values = InteractionBuilder.readingValues(design, column: c, train: x)
            switch col.kind {
            case .categorical(let e):
                let groups = values.map { value -> Int32 in if case .level(let g) = value { Int32(g) } else { -1 } }
                columns[col.name] = .categorical(groups: groups, missingGroup: e.groups.firstIndex { $0.value.isEmpty })
            default:
                columns[col.name] = .number(values.map { value in if case .number(let v) = value { v } else { .nan } })
            }
        }
        return ProfileCapture(rows: x.rows, columns: columns)
    }

    /// The profile of the captured rows through `model` (nil when the model has a column the capture lacks).
    func profile(model: LeadScoreModel) -> TrainingProfile? {
        let design = model.design
        var leads = ProfiledLeads(columns: design.columns.count)
        var sources: [Column] = []
        for (c, col) in design.columns.enumerated() {
            guard let source = columns[col.name] else { return nil }
            sources.append(source)
            switch source {
            case .categorical(let groups, let missingGroup):
                guard col.categorical != nil else { return nil }
                leads.levels[c] = groups
                leads.missing[c] = groups.map { Int($0) == missingGroup }
            case .number(let v):
                guard col.categorical == nil else { return nil }
                leads.numbers[c] = v
                leads.missing[c] = v.map(\.isNaN)
            }
        }
        // Each row's values through the compiled scorer, in row blocks on every core (each block
        // writes its own scores: the same numbers in the same order at any thread count).
        let compiled = CompiledScorer(model: model)
        let scorecard = model.scorecard
        let n = rows, count = sources.count
        let levels = sources.map { if case .categorical(let g, _) = $0 { g } else { [Int32]() } }
        let numbers = sources.map { if case .number(let v) = $0 { v } else { [Double]() } }
        let isCategorical = sources.map { if case .categorical = $0 { true } else { false } }
        let blocks = max(1, min(ScoringThreads.default * 4, n / 50_000))
        let parts = ParallelMap.run(blocks, threads: ScoringThreads.default) { b -> [Double] in
            let start = n * b / blocks, end = n * (b + 1) / blocks
            var values = [ResolvedValue](repeating: .missing, count: count)
            var out: [Double] = []
            out.reserveCapacity(end - start)
            for i in start..<end {
                for c in 0..<count {
                    if isCategorical[c] {
                        values[c] = .level(Int(levels[c][i]))
                    } else {
                        let x = numbers[c][i]
                        values[c] = x.isNaN ? .missing : .number(x)
                    }
                }
                out.append(scorecard.score(logOdds: values.withUnsafeBufferPointer { compiled.logOdds($0) }))
            }
            return out
        }
        leads.score = Array(parts.joined())
        return .of(model: model, parts: [leads])
    }
}
