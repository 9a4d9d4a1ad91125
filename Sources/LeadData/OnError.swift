/// What a command does with a row it cannot use: stop at the first (`fail`, the default; status 65)
/// or report it and go on (`skip`; counted, listed with `--errors`, status 3). The one choice behind
/// every command's `--on-error`.
public enum OnError: String, Sendable, CaseIterable {
    case fail, skip

    /// Rows reported in full (the summary, `--errors` files); the rest are only counted. The same
    /// number for every command.
    public static let keptErrors = 1000
}

/// The rows a command could not use, under one `OnError` policy: with `fail` the first is thrown;
/// with `skip` every one is counted and the first `OnError.keptErrors` are kept (for the summary and
/// `--errors`). Every command's row loop reports through one of these (`LeadRows`).
public struct RowErrors: Sendable {
    public let policy: OnError
    /// Rows reported.
    public private(set) var count = 0
    /// The first `OnError.keptErrors` of them, in input order.
    public private(set) var kept: [InputError] = []

    public init(_ policy: OnError) { self.policy = policy }

    /// Throws `error` with `fail`; counts (and keeps) it with `skip`.
    public mutating func report(_ error: InputError) throws(InputError) {
        if policy == .fail { throw error }
        count += 1
        if kept.count < OnError.keptErrors { kept.append(error) }
    }

    /// Adds another stretch's errors (a chunk read in parallel) after these, keeping input order.
    public mutating func append(_ other: RowErrors) {
        count += other.count
        kept += other.kept.prefix(OnError.keptErrors - kept.count)
    }
}

extension InputError {
    /// A record with more or fewer fields than the header (the column is the first one missing or extra).
    public static func wrongFieldCount(file: String, line: Int, found: Int, expected: Int) -> InputError {
        InputError(file: file, line: line, column: min(found, expected + 1), message: "expected \(expected) fields, found \(found)")
    }

    /// A target value that is neither the positive value nor one of the negative ones.
    public static func unexpectedOutcome(file: String, line: Int, column: Int, columnName: String, value: String,
                                         positive: String, negatives: [String]) -> InputError {
        InputError(file: file, line: line, column: column, columnName: columnName, value: value,
                   message: "target value is neither the positive value '\(positive)' nor a negative one (\(negatives.joined(separator: ", ")))")
    }

    /// A time column value that is not a date.
    public static func notADate(file: String, line: Int, column: Int, columnName: String, value: String) -> InputError {
        InputError(file: file, line: line, column: column, columnName: columnName, value: value,
                   message: "expected an ISO 8601 date (YYYY-MM-DD) in the time column")
    }
}
