import LeadData

/// The columns of a file that play a role besides feature (the target, the time, the id), found by
/// name in its header, and how their values read. One place for the messages every command gives
/// about them: a missing column, a target value that is missing or unexpected, a time that is no date.
public struct RowRoles: Sendable {
    public let file: String
    public let header: [String]
    public private(set) var target: Int?
    public private(set) var time: Int?
    public private(set) var id: Int?
    private let parser: FieldParser
    private var targetSpec = TargetSpec(column: "", positive: "", negatives: [])
    private var positiveBytes: [UInt8] = []
    private var negativeBytes: [[UInt8]] = []

    public init(file: String, header: [String], parser: FieldParser) {
        self.file = file
        self.header = header
        self.parser = parser
    }

    /// The field index of column `name`, or an error naming the file's columns. `role` says what the
    /// column was wanted for ("target", "--interaction", …).
    public func locate(_ name: String, role: String) throws(InputError) -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw InputError(file: file, line: 1, columnName: name,
                             message: "no \(role) column '\(name)' in the header; columns are: \(header.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return i
    }

    /// Reads the outcome from `spec.column`: `spec.positive` is 1, a value in `spec.negatives` is 0
    /// (with no negatives named, any other value that is not missing).
    public mutating func readTarget(_ spec: TargetSpec) throws(InputError) {
        target = try locate(spec.column, role: "target")
        targetSpec = spec
        positiveBytes = Array(spec.positive.utf8)
        negativeBytes = spec.negatives.map { Array($0.utf8) }
    }

    /// Reads each row's day from the ISO 8601 dates of `column`.
    public mutating func readTime(_ column: String) throws(InputError) {
        time = try locate(column, role: "time")
    }

    /// Takes ids from `column`.
    public mutating func readID(_ column: String) throws(InputError) {
        id = try locate(column, role: "id")
    }

    /// Takes ids from field `index` (a header with a name twice, or an id column a caller appended).
    public mutating func readID(at index: Int) {
        id = index
    }

    /// 1 for the positive value, 0 for a negative one, nil for a missing or unexpected value (whose
    /// error `outcomeError` gives). `value` is the trimmed field.
    @inline(__always)
    public func outcome(_ value: UnsafeBufferPointer<UInt8>) -> UInt8? {
        if value.elementsEqual(positiveBytes) { return 1 }
        if parser.isMissing(value) { return nil }
        if negativeBytes.isEmpty { return 0 }
        for n in negativeBytes where value.elementsEqual(n) { return 0 }
        return nil
    }

    /// The record's outcome (the target column must be set with `readTarget`).
    @inline(__always)
    public func outcome(of record: CSVRecord) throws(InputError) -> UInt8 {
        if let y = record.withField(target!, { outcome(FieldParser.trim($0)) }) { return y }
        throw outcomeError(record)
    }

    /// Why the record's target value cannot be used: missing, or neither the positive value nor a negative one.
    public func outcomeError(_ record: CSVRecord) -> InputError {
        let t = target!
        let value = record.withField(t) { String(decoding: FieldParser.trim($0), as: UTF8.self) }
        if record.withField(t, { parser.isMissing(FieldParser.trim($0)) }) {
            return InputError(file: file, line: record.line, column: t + 1, columnName: header[t], value: value,
                              message: "the target value is missing")
        }
        return .unexpectedOutcome(file: file, line: record.line, column: t + 1, columnName: header[t], value: value,
                                  positive: targetSpec.positive, negatives: targetSpec.negatives)
    }

    /// The record's day (days since 1970-01-01) when there is a time column, else nil.
    @inline(__always)
    public func day(of record: CSVRecord) throws(InputError) -> Double? {
        guard let t = time else { return nil }
        if let day = record.withField(t, { FieldParser.date(FieldParser.trim($0)) }) { return day }
        throw timeError(record)
    }

    /// Why the record's time value cannot be used.
    public func timeError(_ record: CSVRecord) -> InputError {
        let t = time!
        return .notADate(file: file, line: record.line, column: t + 1, columnName: header[t], value: record.displayString(t))
    }

    /// The lead's id: the id column's trimmed value, or `row` (1-based, every record counted).
    public func idText(of record: CSVRecord, row: Int) -> String {
        id.map { record.displayString($0).trimmedWhitespace } ?? String(row)
    }
}
