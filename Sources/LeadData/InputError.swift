/// A problem with input data, located precisely enough for a person to open the file and fix it.
///
/// `line` is the 1-based physical line where the offending record starts (the header is line 1),
/// `column` the 1-based field position and `columnName` its header name when known.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var columnName: String?
    public var value: String?
    public var message: String
    /// True when the input itself could not be opened (exit status 66 rather than 65).
    public var isMissingInput = false
    /// The lead's id when the row has one (the `--errors` file carries it beside the line).
    public var leadID: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil,
                value: String? = nil, message: String, isMissingInput: Bool = false) {
        self.isMissingInput = isMissingInput
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.value = value
        self.message = message
    }

    /// `file:line:column: message (column 'name', value "…")`, the shape editors and grep understand.
    /// Everything in it is shown through `TerminalText.visible`: the file name, the message (which
    /// can quote data) and the column name as they are, the value abbreviated.
    public var description: String {
        var s = TerminalText.visible(file)
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        s += ": " + TerminalText.visible(message)
        var details: [String] = []
        if let columnName { details.append("column '\(TerminalText.visible(columnName, limit: InputError.shownLength + 1))'") }
        if let value { details.append("value \"\(InputError.abbreviate(value))\"") }
        if !details.isEmpty { s += " (" + details.joined(separator: ", ") + ")" }
        return s
    }

    /// Characters of a value or column name an error message shows before cutting it with `…`.
    public static let shownLength = 60

    /// Long values (a 1 MB field) are cut so an error message stays one readable line: control
    /// characters made visible, at most `shownLength` characters, then the value's size in bytes.
    public static func abbreviate(_ v: String) -> String {
        TerminalText.visible(v, limit: shownLength + 1, whenShortened: " (\(v.utf8.count) bytes)")
    }
}

extension String {
    /// Every `target` character replaced by `replacement` (no Foundation needed).
    public func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in self {
            if ch == target { out += replacement } else { out.append(ch) }
        }
        return out
    }
}

extension InputError {
    /// This error with the lead id of `record` (field `idIndex`) attached, when the record has that
    /// field and it is valid UTF-8 and not empty.
    public func withLeadID(of record: CSVRecord, idIndex: Int?) -> InputError {
        guard let idIndex, idIndex < record.fieldCount,
              let id = record.string(idIndex)?.trimmedWhitespace, !id.isEmpty else { return self }
        var e = self
        e.leadID = id
        return e
    }
}
