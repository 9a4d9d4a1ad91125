import LeadData
import LinearAlgebra

/// The map from a raw row to model terms: one encoding per feature column and the term names.
///
/// Term `j` (0 ≤ j < `termCount`) has coefficient `beta[j]`; the intercept is stored apart.
public struct Design: Codable, Sendable, Equatable {
    public var columns: [ColumnEncoding]
    public var termNames: [String]
    /// Mean of each term over the training rows: the "average lead" explanations compare against.
    public var termMeans: [Double]?
    /// Interactions between two columns (`train --interaction A:B`); their terms come after every
    /// column's. Absent (nil) in models without any, whose files are then unchanged.
    public var interactions: [InteractionEncoding]?

    enum CodingKeys: String, CodingKey {
        case columns, interactions
        case termNames = "term_names"
        case termMeans = "term_means"
    }

    public init(columns: [ColumnEncoding], termNames: [String], termMeans: [Double]? = nil, interactions: [InteractionEncoding]? = nil) {
        self.columns = columns
        self.termNames = termNames
        self.termMeans = termMeans
        self.interactions = interactions
    }

    public var termCount: Int { termNames.count }

    /// λ's multiplier per term for the fit (`LogisticObjective.penaltyWeights`):
    /// `QuantileBins.penaltyMultiplier` on a step function's jumps, 1 on every other term; nil when
    /// the design has no step function.
    public var penaltyWeights: [Double]? {
        var w: [Double]?
        for c in columns {
            guard case .shape(let e) = c.kind, case .bins = e.basis else { continue }
            if w == nil { w = [Double](repeating: 1, count: termCount) }
            for t in e.terms { w![t] = QuantileBins.penaltyMultiplier }
        }
        return w
    }

    /// How many contributions a lead's score has (one per column, one per interaction): the most
    /// reason codes `score --reasons K` can give.
    public var contributionCount: Int { columns.count + (interactions?.count ?? 0) }

    /// "12 columns" or "12 columns and 1 interaction": what `contributionCount` counts, for notices.
    public var contributionDescription: String {
        let pairs = interactions?.count ?? 0
        return "\(columns.count) columns" + (pairs == 0 ? "" : " and \(pairs) interaction\(pairs == 1 ? "" : "s")")
    }

    /// The term indices of each categorical column's level groups: one-hot in every encoded row
    /// of training data (at most one is 1), which the solver exploits.
    public var indicatorGroups: [[Int]] {
        columns.compactMap { $0.categorical?.groups.compactMap(\.term) }.filter { !$0.isEmpty }
            + (interactions ?? []).map(\.terms).filter { !$0.isEmpty }
    }

    /// The step functions (`--numeric bins`), each a table of its terms' values by bin: encoded rows
    /// keep their bin instead of the terms, and the solver sums by bin (`EncodedRows.steps`).
    public var stepTables: [StepTable] {
        columns.compactMap { c in
            guard case .shape(let e) = c.kind, case .bins = e.basis else { return nil }
            return StepTable(e)
        }
    }

    /// Index of the column that owns each term.
    public var termColumn: [Int] {
        var owner = [Int](repeating: -1, count: termCount)
        for (c, col) in columns.enumerated() { for t in col.terms { owner[t] = c } }
        return owner
    }
}

/// Writes resolved rows into a design matrix: the encoding of `ColumnEncoding.forEachTerm`, tabulated
/// once so the per-row work is a switch and a few stores per column. Every value that is not a
/// number (missing, a level, an unseen level) has its (term, value) pairs computed by
/// `forEachTerm` itself at init; a number goes through the column's `Standardization`, the formula
/// `NumericEncoding.forEachTerm` applies. A class: the encoder is shared by the rows and the
/// threads of a pass, and a struct of arrays captured by a per-row closure was copied (every array
/// retained and released) on each row.
public final class RowEncoder: Sendable {
    public let design: Design
    /// Per column: the term of a number and its standardization (term −1: the column has no numbers).
    private let numberTerm: [Int]
    private let standardization: [Standardization]
    /// Per column: its first slot. Slots of column c: missing, unseen, then one per level group.
    private let firstSlot: [Int]
    /// The (term, value) pairs of slot s are `pairTerm[k], pairValue[k]` for k in `slotStart[s]..<slotStart[s + 1]`.
    private let slotStart: [Int]
    private let pairTerm: [Int]
    private let pairValue: [Double]
    /// Where each term goes in `EncodedRows` of this design.
    private let layout: EncodedRows
    /// Per column: its step function's index in `layout.stepTables` (−1: not a step function).
    private let stepOfColumn: [Int]

    public init(design: Design) {
        self.design = design
        var numberTerm: [Int] = [], standardization: [Standardization] = []
        var firstSlot: [Int] = [], slotStart: [Int] = [], pairTerm: [Int] = [], pairValue: [Double] = []
        for col in design.columns {
            let numeric = col.numeric
            numberTerm.append(numeric?.term ?? -1)
            standardization.append(numeric?.standardization ?? Standardization(mean: 0, scale: 1))
            firstSlot.append(slotStart.count)
            let levels = col.categorical?.groups.count ?? 0
            for value in [ResolvedValue.missing, .unseen] + (0..<levels).map(ResolvedValue.level) {
                slotStart.append(pairTerm.count)
                col.forEachTerm(value) { t, x in pairTerm.append(t); pairValue.append(x) }
            }
        }
        slotStart.append(pairTerm.count)
        self.numberTerm = numberTerm
        self.standardization = standardization
        self.firstSlot = firstSlot
        self.slotStart = slotStart
        self.pairTerm = pairTerm
        self.pairValue = pairValue
        let layout = EncodedRows(design: design, rows: 0)
        self.layout = layout
        stepOfColumn = design.columns.map { col in
            guard case .shape(let e) = col.kind, case .bins = e.basis else { return -1 }
            return layout.stepOf[e.terms[0]]
        }
    }

    /// Calls `set(term, x)` for each term `ColumnEncoding.forEachTerm` sets for the row, then for
    /// the intercept (last column). With `bin`, a step function's number calls `bin(step, its bin)`
    /// instead of setting its terms.
    @inline(__always)
    private func forEachTerm(_ values: [ResolvedValue], bin: ((Int, Int32) -> Void)? = nil, _ set: (Int, Double) -> Void) {
        for c in 0..<values.count {
            let slot: Int
            switch values[c] {
            case .number(let x):
                if numberTerm[c] >= 0 {
                    set(numberTerm[c], standardization[c](x))
                } else if let bin, stepOfColumn[c] >= 0 {
                    bin(stepOfColumn[c], layout.stepTables[stepOfColumn[c]].bin(of: x))
                } else {
                    design.columns[c].forEachTerm(values[c], set)
                }
                continue
            case .missing: slot = firstSlot[c]
            case .unseen: slot = firstSlot[c] + 1
            case .level(let g): slot = firstSlot[c] + 2 + g
            }
            for k in slotStart[slot]..<slotStart[slot + 1] { set(pairTerm[k], pairValue[k]) }
        }
        design.forEachInteractionTerm(values, set)
        set(design.termCount, 1)
    }

    /// Raw storage of `EncodedRows` for workers writing disjoint rows at once.
    public struct Target {
        public let dense: UnsafeMutablePointer<Double>
        public let levels: UnsafeMutablePointer<Int32>
        /// The step functions' bins (nil when the design has none).
        public let steps: UnsafeMutablePointer<Int32>?
        public let rows: Int
        public init(dense: UnsafeMutablePointer<Double>, levels: UnsafeMutablePointer<Int32>, steps: UnsafeMutablePointer<Int32>? = nil, rows: Int) {
            self.dense = dense
            self.levels = levels
            self.steps = steps
            self.rows = rows
        }
    }

    /// Writes one row into encoded rows whose row `row` is zeroed (dense 0, levels and bins −1).
    /// Returns false for a value a level index cannot hold (a level unseen in training spread over
    /// the average level), which training rows never have: their levels are the ones the design was
    /// built from.
    public func encode(_ values: [ResolvedValue], row: Int, into x: Target) -> Bool {
        let n = x.rows
        var fits = true
        precondition(layout.stepTables.isEmpty || x.steps != nil, "RowEncoder: the design has step functions, the target no room for their bins")
        forEachTerm(values, bin: { s, z in x.steps![s * n + row] = z }) { t, value in
            let a = layout.densePosition[t]
            if a >= 0 {
                x.dense[row + a * n] = value
            } else if layout.stepOf[t] >= 0 {
                // A missing number: its step terms are 0, as the row's bin −1 says.
                if value != 0 { fits = false }
            } else if value == 1 && x.levels[layout.groupOf[t] * n + row] < 0 {
                x.levels[layout.groupOf[t] * n + row] = Int32(t)
            } else if value != 0 {
                fits = false
            }
        }
        return fits
    }

    /// Writes the terms of one row (and the intercept's 1 in the last column) into row `row` of `x`,
    /// a column-major matrix with `termCount + 1` columns whose other entries in that row are 0.
    public func encode(_ values: [ResolvedValue], row: Int, into x: inout Matrix) {
        let n = x.rows
        x.storage.withUnsafeMutableBufferPointer { encode(values, row: row, into: $0.baseAddress!, rows: n) }
    }

    /// The same into raw column-major storage of `n` rows (workers encoding disjoint rows at once).
    public func encode(_ values: [ResolvedValue], row: Int, into x: UnsafeMutablePointer<Double>, rows n: Int) {
        forEachTerm(values) { t, value in x[row + t * n] = value }
    }
}

/// A design bound to one file's header: the field index of each column and fast level lookups.
public struct RowResolver: Sendable {
    public let design: Design
    public let file: String
    public let header: [String]
    /// Field index in the record of each design column.
    public let fieldIndex: [Int]
    /// Every categorical column's levels in one table, salted by column index.
    private let levels: ByteKeyTable
    public let parser: FieldParser
    /// What `resolve(_:into:)` and `resolve(_:_:)` need per design column, in one array: the field, the type, the value
    /// of a missing field.
    private let plan: [ColumnPlan]
    /// False when a missing marker starts with a digit (`--missing 9999`): fields of digits then go
    /// through the missing test first.
    private let digitsAreNumbers: Bool
    /// False when `yes` or `no` is a missing marker.
    private let yesNoAreBooleans: Bool

    struct ColumnPlan {
        let field: Int
        let type: ColumnType
        /// What a missing field resolves to: the missing level's group, `.unseen` for a categorical
        /// column without one, `.missing` otherwise.
        let missing: ResolvedValue
    }

    /// Binds `design` to `header`.
    /// - Throws: an `InputError` that lists every column the model needs and the file lacks.
    public init(design: Design, header: [String], file: String, parser: FieldParser) throws(InputError) {
        self.design = design
        self.file = file
        self.header = header
        self.parser = parser
        var position: [String: Int] = [:]
        for (i, h) in header.enumerated() { position[h] = i }
        var indices: [Int] = []
        var absent: [String] = []
        for col in design.columns {
            if let i = position[col.name] { indices.append(i) } else { absent.append(col.name); indices.append(-1) }
        }
        if !absent.isEmpty {
            throw RowResolver.missingColumnsError(absent: absent, header: header, file: file)
        }
        fieldIndex = indices
        var table = ByteKeyTable(capacity: 64)
        var missing: [Int?] = []
        for (c, col) in design.columns.enumerated() {
            if let categorical = col.categorical {
                var missingIndex: Int?
                for (g, group) in categorical.groups.enumerated() {
                    if group.value == ColumnEncoding.otherName {
                        for v in group.pooled ?? [] {
                            if v.isEmpty { missingIndex = g } else { table.set(v, g, salt: c) }
                        }
                    } else if group.value.isEmpty {
                        missingIndex = g
                    } else {
                        table.set(group.value, g, salt: c)
                    }
                }
                missing.append(missingIndex)
                // The missing markers resolve to the missing level in the same lookup (entered last,
                // so a marker that is also a level's value is missing, as `isMissing` comes first).
                for marker in parser.missingMarkers {
                    table.set(String(decoding: marker, as: UTF8.self), missingIndex ?? RowResolver.unseenMarker, salt: c)
                }
            } else {
                missing.append(nil)
            }
        }
        levels = table
        plan = design.columns.indices.map { c in
            let type = design.columns[c].type
            let missingValue: ResolvedValue = type != .categorical ? .missing : missing[c].map { .level($0) } ?? .unseen
            return ColumnPlan(field: indices[c], type: type, missing: missingValue)
        }
        digitsAreNumbers = !parser.missingMarkers.contains { $0.first.map { $0 &- 48 < 10 } ?? false }
        yesNoAreBooleans = !parser.missingMarkers.contains(Array("yes".utf8)) && !parser.missingMarkers.contains(Array("no".utf8))
    }

    /// The level table's value for a missing marker in a categorical column without a missing level.
    private static let unseenMarker = -1

    /// The error for a header (or the keys of JSON Lines objects) that lacks columns the model needs:
    /// every absent column, the names in the input that look like them (another case, spacing or
    /// punctuation), and what the input seems to be when it is not CSV with this delimiter.
    ///
    /// `request`: the input is an HTTP request's body (`serve`), so the advice names what to send,
    /// not command-line options the sender cannot give.
    static func missingColumnsError(absent: [String], header: [String], file: String, request: Bool = false) -> InputError {
        var message = "the input lacks \(absent.count) column(s) the model needs: " + absent.map { "'\($0)'" }.joined(separator: ", ")
        let lookalikes = absent.compactMap { name -> String? in
            let found = RowResolver.lookalikes(of: name, among: header)
            return found.isEmpty ? nil : found.map { "'\($0)'" }.joined(separator: " or ") + " for '\(name)'"
        }
        if !lookalikes.isEmpty {
            message += "; it has \(lookalikes.joined(separator: ", ")) (names must match exactly: rename them)"
        }
        if let first = header.first?.trimmedWhitespace, first.hasPrefix("{") || first.hasPrefix("[") {
            message += request ? "; the body looks like JSON: send it as Content-Type: application/json"
                               : "; the input looks like JSON: read it with --input-format jsonl (or name the file .jsonl)"
        } else if header.count == 1, let other = [";", "\t", "|", ","].first(where: { header[0].contains($0) }), !(request && other == ",") {
            let shown = other == "\t" ? "\\t" : other
            message += request
                ? "; the header is one field holding '\(shown)': a CSV body must be delimited by commas"
                : "; the header is one field holding '\(shown)': is the file delimited by it (--delimiter \(other == "\t" ? "tab" : "'\(other)'"))?"
        }
        return InputError(file: file, line: 1, message: message)
    }

    /// The names among `names` that differ from `name` only in case, spacing or punctuation
    /// (`Page Views`, `page-views` for `page_views`): what a person probably meant.
    public static func lookalikes(of name: String, among names: [String]) -> [String] {
        func folded(_ s: String) -> String {
            String(s.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(Character.init))
        }
        let key = folded(name)
        return names.filter { $0 != name && folded($0) == key }
    }

    /// Resolves design column `c` from its trimmed field bytes.
    @inline(__always)
    public func resolve(_ c: Int, _ trimmed: UnsafeBufferPointer<UInt8>) -> Result<ResolvedValue, ValueProblem> {
        if parser.isMissing(trimmed) { return .success(plan[c].missing) }
        switch plan[c].type {
        case .numeric:
            switch FieldParser.number(trimmed) {
            case .value(let v): return .success(.number(v))
            case .outOfRange: return .failure(.outOfRange)
            case .notANumber: return .failure(.expectedNumber)
            }
        case .boolean:
            if let b = FieldParser.boolean(trimmed) { return .success(.number(b ? 1 : 0)) }
            if case .value(let v) = FieldParser.number(trimmed), v == 0 || v == 1 { return .success(.number(v)) }
            return .failure(.expectedBoolean)
        case .categorical:
            if let g = levels.value(for: trimmed, salt: c) { return .success(g == RowResolver.unseenMarker ? .unseen : .level(g)) }
            if String(validating: trimmed, as: UTF8.self) == nil { return .failure(.invalidUTF8) }
            return .success(.unseen)
        case .date:
            return .success(.missing)
        }
    }

    /// The error for a record whose field count is not the header's, or nil.
    @inline(__always)
    public func fieldCountError(_ record: CSVRecord) -> InputError? {
        guard record.fieldCount != header.count else { return nil }
        return .wrongFieldCount(file: file, line: record.line, found: record.fieldCount, expected: header.count)
    }

    /// Resolves every design column of `record` into `values`.
    ///
    /// - Throws: an `InputError` naming line, column and value for a wrong field count or a value
    ///   that does not fit its column's type.
    public func resolve(_ record: CSVRecord, into values: inout [ResolvedValue]) throws(InputError) {
        if let e = fieldCountError(record) { throw e }
        let n = design.columns.count
        if values.count != n { values = [ResolvedValue](repeating: .missing, count: n) }
        // Written through one pointer: appending checked the array's uniqueness and capacity on
        // every column (3% of `score`'s samples). The common fields take a shorter way than
        // `resolve(_:_:)`, with the same results: a field whose first and last bytes are above a
        // space is not trimmed; a categorical field is looked up once, missing markers included
        // (they are in the level table); a field of up to 15 digits is its whole number, exactly as
        // `FieldParser.number` reads it; `yes` and `no` are booleans. The rest goes through
        // `resolve(_:_:)`.
        let failed = values.withUnsafeMutableBufferPointer { out -> (Int, ValueProblem)? in
            record.withFields { fields in
                plan.withUnsafeBufferPointer { plan in
                    for c in 0..<n {
                        let column = plan[c]
                        var v = fields[column.field]
                        if v.isEmpty || v[0] <= 0x20 || v[v.count - 1] <= 0x20 {
                            v = FieldParser.trim(v)
                            if v.isEmpty { out[c] = column.missing; continue }
                        }
                        switch column.type {
                        case .categorical:
                            if let g = levels.value(for: v, salt: c) {
                                out[c] = g == RowResolver.unseenMarker ? .unseen : .level(g)
                                continue
                            }
                        case .numeric:
                            if digitsAreNumbers, let x = FieldParser.wholeNumber(v) { out[c] = .number(x); continue }
                        case .boolean:
                            if yesNoAreBooleans {
                                if v.count == 3 && v[0] == UInt8(ascii: "y") && v[1] == UInt8(ascii: "e") && v[2] == UInt8(ascii: "s") {
                                    out[c] = .number(1)
                                    continue
                                }
                                if v.count == 2 && v[0] == UInt8(ascii: "n") && v[1] == UInt8(ascii: "o") {
                                    out[c] = .number(0)
                                    continue
                                }
                            }
                        case .date:
                            break
                        }
                        switch resolve(c, v) {
                        case .success(let value): out[c] = value
                        case .failure(let problem): return (column.field, problem)
                        }
                    }
                    return nil
                }
            }
        }
        if let (f, problem) = failed {
            throw InputError(file: file, line: record.line, column: f + 1, columnName: header[f],
                             value: record.displayString(f).trimmedWhitespace, message: problem.message)
        }
    }
}

/// Why a field could not be read as its column's type.
public enum ValueProblem: Error, Sendable {
    case expectedNumber, outOfRange, expectedBoolean, invalidUTF8

    public var message: String {
        switch self {
        case .expectedNumber: return "text in a numeric column: expected a number"
        case .outOfRange: return "number out of range for a 64-bit float"
        case .expectedBoolean: return "expected a boolean (true/false, yes/no, 1/0)"
        case .invalidUTF8: return "value is not valid UTF-8"
        }
    }
}
