/// What a command does with a row it cannot use: stop at the first (`fail`, the default; status 65)
/// or report it and go on (`skip`; counted, listed with `--errors`, status 3). The one choice behind
/// every command's `--on-error`.
public enum OnError: String, Sendable, CaseIterable {
    case fail, skip

    /// Rows reported in full (the summary, `--errors` files); the rest are only counted. The same
    /// number for every command.
    public static let keptErrors = 1000
}

extension InputError {
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
