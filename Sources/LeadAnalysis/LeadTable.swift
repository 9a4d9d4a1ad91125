import LeadModel
import LinearAlgebra

/// The leads of one file held in memory, column by column, resolved through a model's design: what
/// pattern mining, model-gap tests, reason models and recycling all read.
///
/// Per design column: the level group (categorical) or the raw value (numeric, boolean as 0/1, NaN
/// when missing). Per lead: the outcome, the model's acceptance probability, the reject reason, the
/// month and the `--by` level. Rows that cannot be read are counted and reported, never dropped silently.
public struct LeadTable: Sendable {
    public let design: Design
    public var rows: Int { positive.count }
    /// 1 when the lead got the positive outcome (accepted), 0 when rejected.
    public var positive: [UInt8] = []
    /// The model's probability of the positive outcome.
    public var probability: [Double] = []
    /// Per design column: group index for categorical columns (-1 = unseen level), else -2.
    public var levels: [[Int32]] = []
    /// Per design column: the value for numeric/boolean columns (NaN = missing), empty otherwise.
    public var numbers: [[Double]] = []
    /// Reject reason index into `reasonNames` (-1 = none given).
    public var reason: [Int32] = []
    public var reasonNames: [String] = []
    /// Month index into `monthNames` (-1 = no time column).
    public var month: [Int32] = []
    public var monthNames: [String] = []
    /// `--by` level index into `byNames` (-1 = none).
    public var by: [Int32] = []
    public var byNames: [String] = []
    /// Lead ids (the id column, or the 1-based row number).
    public var ids: [String] = []
    public var rowErrors: [InputError] = []
    public var skippedRows = 0

    public struct Options: Sendable {
        public var path: String
        public var delimiter: UInt8 = UInt8(ascii: ",")
        public var target: TargetSpec
        public var idColumn: String?
        public var reasonColumn: String?
        public var timeColumn: String?
        public var byColumn: String?
        public var extraMissing: [String] = []
        public var onError = OnError.fail
        /// `onError == .skip`, for callers written before `onError`.
        public var skipBadRows: Bool {
            get { onError == .skip }
            set { onError = newValue ? .skip : .fail }
        }

        public init(path: String, target: TargetSpec) {
            self.path = path
            self.target = target
        }
    }

    /// Reads `options.path` through `model`'s design.
    public static func load(_ options: Options, model: LeadScoreModel) throws -> LeadTable {
        var table = LeadTable(design: model.design)
        let parser = FieldParser(extraMissing: model.missingMarkers + options.extraMissing)
        let reader = try CSVReader(path: options.path, delimiter: options.delimiter)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: model.design, header: header, file: options.path, parser: parser)
        var roles = RowRoles(file: options.path, header: header, parser: parser)
        try roles.readTarget(options.target)
        if let id = options.idColumn { try roles.readID(id) }
        if let time = options.timeColumn { try roles.readTime(time) }
        let reasonIndex = try options.reasonColumn.map { name throws(InputError) in try roles.locate(name, role: "reason") }
        let byIndex = try options.byColumn.map { name throws(InputError) in try roles.locate(name, role: "--by") }
        let columnCount = model.design.columns.count
        table.levels = Array(repeating: [], count: columnCount)
        table.numbers = Array(repeating: [], count: columnCount)
        var reasonLookup: [String: Int32] = [:]
        var monthLookup: [String: Int32] = [:]
        var byLookup: [String: Int32] = [:]

        func intern(_ s: String, _ lookup: inout [String: Int32], _ names: inout [String]) -> Int32 {
            if let i = lookup[s] { return i }
            let i = Int32(names.count)
            lookup[s] = i
            names.append(s)
            return i
        }

        var rows = LeadRows(source: reader, roles: roles, resolver: resolver, policy: options.onError)
        while try rows.next() {
            let record = rows.record, values = rows.values
            let y = rows.outcome
            var monthCode: Int32 = -1
            if let day = rows.day {
                let month = String(FieldParser.isoDate(days: Int(day.rounded(.down))).prefix(7))
                monthCode = intern(month, &monthLookup, &table.monthNames)
            }
            table.positive.append(y)
            table.probability.append(StableMath.sigmoid(model.logOdds(values)))
            for c in 0..<columnCount {
                switch values[c] {
                case .level(let g):
                    table.levels[c].append(Int32(g))
                case .unseen:
                    table.levels[c].append(-1)
                case .number(let x):
                    table.numbers[c].append(x)
                case .missing:
                    table.numbers[c].append(.nan)
                }
            }
            if let ri = reasonIndex {
                let r = record.displayString(ri).trimmedWhitespace
                let missing = record.withField(ri) { parser.isMissing(FieldParser.trim($0)) }
                table.reason.append(missing ? -1 : intern(r, &reasonLookup, &table.reasonNames))
            } else {
                table.reason.append(-1)
            }
            table.month.append(monthCode)
            if let bi = byIndex {
                table.by.append(intern(record.displayString(bi).trimmedWhitespace, &byLookup, &table.byNames))
            } else {
                table.by.append(-1)
            }
            table.ids.append(roles.idText(of: record, row: rows.recordsRead))
        }
        table.rowErrors = rows.errors.kept
        table.skippedRows = rows.errors.count
        return table
    }

    /// The resolved value of design column `c` for lead `i`.
    @inline(__always)
    public func value(_ i: Int, column c: Int) -> ResolvedValue {
        switch design.columns[c].kind {
        case .categorical:
            let g = levels[c][i]
            return g < 0 ? .unseen : .level(Int(g))
        case .numeric, .boolean, .shape:
            let x = numbers[c][i]
            return x.isNaN ? .missing : .number(x)
        }
    }

    /// All resolved values of lead `i`.
    public func values(_ i: Int) -> [ResolvedValue] {
        (0..<design.columns.count).map { value(i, column: $0) }
    }

    /// The design matrix (intercept column last) of the leads in `subset`.
    public func matrix(rows subset: [Int]) -> Matrix {
        var x = Matrix(rows: subset.count, cols: design.termCount + 1)
        let encoder = RowEncoder(design: design)
        for (r, i) in subset.enumerated() { encoder.encode(values(i), row: r, into: &x) }
        return x
    }

    /// The `subset` leads encoded for the solver: one-hot groups as level indices, written straight
    /// from the leads' values. A lead with a level training never saw (spread over the average level,
    /// which no level index can hold) sends the whole subset through the dense matrix instead, whose
    /// groups that are one-hot stay indexed (`EncodedRows(matrix:)`): the same rows either way.
    public func encodedRows(rows subset: [Int]) -> EncodedRows {
        EncodedRows(design: design, rows: subset.count) { values(subset[$0]) }
            ?? EncodedRows(matrix: matrix(rows: subset), indicatorGroups: design.indicatorGroups)
    }
}

extension LeadTable {
    init(design: Design) { self.design = design }
}
