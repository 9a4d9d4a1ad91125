import LeadData

/// A lead given by hand, column by column (`explain --lead`, a JSON object on standard input, the
/// sales page): columns not given are missing, a column given twice or not in the model is refused.
public enum GivenLead {
    /// Why the given columns cannot be explained; `columns` are the names at fault.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var columns: [String]
        public var description: String { message }
    }

    /// The explanation of the lead whose columns are `pairs` (column, text), as `leadscore explain`
    /// gives it. The id is the `idColumn` value when given, else "lead".
    ///
    /// - Throws: `Problem` for a column given twice or not in the model (naming the column it
    ///   probably meant: another case, spacing or punctuation), `InputError` for a value that does
    ///   not fit its column.
    public static func explain(_ pairs: [(String, String)], explainer: Explainer, parser: FieldParser, idColumn: String?,
                               improvements: Int) throws -> LeadExplanation {
        let design = explainer.model.design
        var given: [String: String] = [:]
        for (k, v) in pairs {
            if given[k] != nil { throw Problem(message: "The lead gives '\(k)' twice; give each column once.", columns: [k]) }
            given[k] = v
        }
        let known = design.columns.map(\.name) + [idColumn].compactMap { $0 }
        let unknown = pairs.map(\.0).filter { !known.contains($0) }
        if !unknown.isEmpty {
            // A misspelt column would silently be "missing": refuse, and name what was probably meant.
            let described = unknown.map { name -> String in
                let close = RowResolver.lookalikes(of: name, among: known)
                return "'\(name)'" + (close.isEmpty ? "" : " (did you mean '\(close[0])'?)")
            }
            throw Problem(message: "The lead names \(unknown.count == 1 ? "a column" : "columns") the model does not have: "
                          + described.joined(separator: ", ") + ". Its columns: " + known.joined(separator: ", ") + ".",
                          columns: unknown)
        }
        let header = design.columns.map(\.name)
        let record = CSVRecord(fields: header.map { given[$0] ?? "" }, line: 1)
        let resolver = try RowResolver(design: design, header: header, file: "lead", parser: parser)
        var values: [ResolvedValue] = []
        try resolver.resolve(record, into: &values)
        var e = explainer.explain(id: idColumn.flatMap { given[$0] } ?? "lead", values: values,
                                  raw: { c in (given[header[c]] ?? "").trimmedWhitespace }, improvements: improvements)
        let absent = header.filter { given[$0] == nil }
        if !absent.isEmpty { e.notes.append("not given, treated as missing: " + absent.joined(separator: ", ")) }
        return e
    }
}
