import ArgumentParser
import Foundation
import LeadModel

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a lead's score: which columns pushed it down or up, in points that add up.",
        discussion: """
            Each column's contribution is measured against the average training lead (exact linear \
            SHAP): base score + the sum of contributions = the lead's points, to rounding. \
            Contributions come sorted by effect, each with a stable code (lead_source=cold_list, \
            page_views:low, days_since_last_activity:missing) and a sentence. An interaction of the \
            model (train --interaction A:B) is one more line, 'A × B', coded by the lead's cell pair \
            (lead_source=event × job_level=individual). After them come the single-column changes to \
            values common in training that would raise the score most.

            Where the lead comes from:
              leadscore explain L0000123 --model M --data leads.csv     one lead of a file, by id
              leadscore explain --model M --lead 'lead_source=cold_list,page_views=3'
                                                                         one lead inline (columns left out are missing)
              echo '{"lead_source": "cold_list"}' | leadscore explain --model M
                                                                         one lead as a JSON object on stdin
              leadscore explain --model M --data leads.csv               every lead: one JSON object per line

            JSON fields: id, probability, log_odds, score, points, grade, base_log_odds, base_score, \
            contributions [{column, value, log_odds, points, code, reason}], what_would_raise \
            [{column, from, to, points, new_score, reason}], notes.
            """
    )

    @Argument(help: ArgumentHelp("The id of the lead to explain (with --data).", valueName: "lead-id"))
    var leadID: String?

    @Option(help: ArgumentHelp("The model file.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("A CSV of leads ('-' for standard input).", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("The id column. Default: the one given at training.", valueName: "column"))
    var id: String?

    @Option(help: ArgumentHelp("One lead inline: 'column=value,column=value'. Values cannot contain commas (use JSON on stdin for those).", valueName: "pairs"))
    var lead: String?

    @Option(help: ArgumentHelp("text (a readable table) or json. Default: text for one lead, JSON lines for a whole file.", valueName: "text|json"))
    var format: OutputFormat?

    @Option(help: ArgumentHelp("How many 'what would raise it' suggestions.", valueName: "n"))
    var suggestions = 3

    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        if lead != nil && data != nil { throw ValidationError("Give the lead either inline (--lead) or from a file (--data), not both.") }
        if leadID != nil && data == nil { throw ValidationError("A lead id needs --data FILE to look it up in.") }
        if suggestions < 0 { throw ValidationError("--suggestions must be ≥ 0.") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let m = try LeadScoreModel.load(from: model)
            let explainer = Explainer(model: m)
            let parser = FieldParser(extraMissing: m.missingMarkers + dataOptions.missing)
            let idColumn = id ?? m.idColumn
            let out = try OutputSink(path: "-")
            var reported = 0
            if let data {
                reported = try explainFile(data, explainer: explainer, parser: parser, idColumn: idColumn, out: out)
            } else {
                let pairs: [(String, String)]
                if let lead {
                    pairs = try ExplainCommand.parseInline(lead)
                } else {
                    pairs = try ExplainCommand.parseJSON(FileHandle.standardInput.readDataToEndOfFile())
                }
                let explanation = try explainPairs(pairs, explainer: explainer, parser: parser, idColumn: idColumn)
                try emit(explanation, format: format ?? .text, out: out)
            }
            // The explanations written are kept when rows were reported (status 3 after them).
            try out.commit()
            if reported > 0 { throw ExitCode(ExitStatus.partial) }
        }
    }

    private func emit(_ e: LeadExplanation, format: OutputFormat, out: OutputSink) throws {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try out.write(String(decoding: try encoder.encode(e), as: UTF8.self) + "\n")
        case .text:
            try out.write(ExplanationText.render(e) + "\n")
        }
    }

    /// Explains the file's leads (or the one asked for) into `out`; returns how many rows were reported.
    private func explainFile(_ path: String, explainer: Explainer, parser: FieldParser, idColumn: String?, out: OutputSink) throws -> Int {
        let reader = try CSVReader(path: path, delimiter: dataOptions.delimiterByte)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: explainer.model.design, header: header, file: path, parser: parser)
        // Leads are found by id; without an id column, by the row number `score` prints for them
        // (1-based, every data record counted, bad ones included).
        var idIndex: Int?
        if let idColumn {
            idIndex = header.firstIndex(of: idColumn)
            if idIndex == nil && id != nil {
                throw InputError(file: path, line: 1, columnName: idColumn, message: "no id column '\(idColumn)' in the header")
            }
            if idIndex == nil && !dataOptions.quiet {
                Terminal.note("the file has no id column '\(idColumn)' (the model's); leads are identified by row number, as score does")
            }
        }
        if let leadID, idIndex == nil, Int(leadID).map({ $0 < 1 }) ?? true {
            throw ValidationError("Without an id column, a lead is found by its row number (the 'row' that score prints, from 1); got '\(leadID)'.")
        }
        var roles = RowRoles(file: path, header: header, parser: parser)
        if let idIndex { roles.readID(at: idIndex) }
        // A lead asked for by id stops at its first problem; otherwise rows follow --on-error.
        var rows = LeadRows(source: reader, roles: roles, resolver: resolver, policy: leadID != nil ? .fail : dataOptions.onError)
        let notAskedFor: ((CSVRecord, Int) -> Bool)? = leadID.map { leadID in
            { record, row in idIndex == nil ? Int(leadID) != row : roles.idText(of: record, row: row) != leadID }
        }
        while true {
            switch try rows.step(skipping: notAskedFor) {
            case .end: break
            case .rejected(let problem):
                Terminal.note("not explained: \(problem.description)")
                continue
            case .row:
                let record = rows.record
                let e = explainer.explain(id: roles.idText(of: record, row: rows.recordsRead), values: rows.values, raw: { c in
                    record.displayString(resolver.fieldIndex[c]).trimmedWhitespace
                }, improvements: suggestions)
                try emit(e, format: format ?? (leadID == nil ? .json : .text), out: out)
                if leadID != nil { return 0 }
                continue
            }
            break
        }
        let row = rows.recordsRead
        if let leadID {
            if idIndex == nil {
                throw InputError(file: path, value: leadID, message: "no row with this number: the file has \(row) data rows")
            }
            throw InputError(file: path, columnName: idColumn, value: leadID, message: "no lead with this id in the file")
        }
        return rows.errors.count
    }

    private func explainPairs(_ pairs: [(String, String)], explainer: Explainer, parser: FieldParser, idColumn: String?) throws -> LeadExplanation {
        do {
            return try GivenLead.explain(pairs, explainer: explainer, parser: parser, idColumn: idColumn, improvements: suggestions)
        } catch let problem as GivenLead.Problem {
            throw ValidationError(problem.message)
        }
    }

    /// 'a=1,b=two' → [(a, 1), (b, two)].
    static func parseInline(_ text: String) throws -> [(String, String)] {
        try text.split(separator: ",", omittingEmptySubsequences: true).map { pair in
            guard let eq = pair.firstIndex(of: "=") else {
                throw ValidationError("--lead takes 'column=value' pairs separated by commas; '\(pair)' has no '='.")
            }
            return (String(pair[..<eq]).trimmedWhitespace, String(pair[pair.index(after: eq)...]).trimmedWhitespace)
        }
    }

    /// A JSON object: strings, numbers, booleans (→ yes/no) and null (→ missing).
    static func parseJSON(_ data: Data) throws -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InputError(file: "-", message: "expected one JSON object on standard input (or use --lead / --data)")
        }
        return try object.keys.sorted().map { key in
            guard let text = JSONLinesReader.text(object[key]) else {
                throw InputError(file: "-", columnName: key, message: "expected a string, a number, true/false or null, found an array or an object")
            }
            return (key, text)
        }
    }
}

/// The readable table for one explanation, with bars of points drawn with characters.
enum ExplanationText {
    static func render(_ e: LeadExplanation) -> String {
        var lines: [String] = []
        lines.append("Lead \(e.id): score \(fmt(e.score, 1)) (grade \(e.grade)), probability \(fmt(e.probability, 3))")
        lines.append("The average training lead scores \(fmt(e.baseScore, 1)) points; each column moves this lead from there:")
        lines.append("")
        let colWidth = min(28, max(6, e.contributions.map { TerminalText.visible($0.column).count }.max() ?? 6))
        let valWidth = min(22, max(5, e.contributions.map { displayValue($0.value).count }.max() ?? 5))
        let maxAbs = max(e.contributions.map { abs($0.points) }.max() ?? 1, 1e-9)
        let half = 16
        lines.append("  " + pad("column", colWidth) + "  " + pad("value", valWidth) + "  " + leftPad("points", 7) + "  " + leftPad("lower", half) + "│" + "higher")
        for c in e.contributions {
            // Bar length in whole characters; a contribution that is not finite gets a full bar or none.
            let ratio = abs(c.points) / maxAbs
            let n = ratio.isFinite ? Int((min(ratio, 1) * Double(half)).rounded()) : (abs(c.points).isInfinite ? half : 0)
            let bar = c.points < 0
                ? leftPad(String(repeating: "█", count: n), half) + "│"
                : String(repeating: " ", count: half) + "│" + String(repeating: "█", count: n)
            lines.append("  " + pad(c.column, colWidth) + "  " + pad(displayValue(c.value), valWidth) + "  " + leftPad(signedPoints(c.points), 7) + "  " + bar)
        }
        let total = e.contributions.reduce(0) { $0 + $1.points }
        lines.append("")
        lines.append("  \(fmt(e.baseScore, 1)) (average lead) \(signedPoints(total)) (contributions) = \(fmt(e.points, 1)) points" + ((e.points * 10).rounded() / 10 != e.score ? " (score shown clamped to 0–100: \(fmt(e.score, 1)))" : ""))
        let negatives = e.contributions.filter { $0.points <= -Explainer.minimumReasonPoints }.prefix(3)
        if !negatives.isEmpty {
            lines.append("")
            lines.append("Main reasons it scored lower:")
            for c in negatives { lines.append("  - " + c.reason + "  [\(c.code)]") }
        }
        if !e.improvements.isEmpty {
            lines.append("")
            lines.append("What would raise it (one column at a time, to values common in training):")
            for i in e.improvements { lines.append("  - \(i.reason) → score \(fmt(i.newScore, 1))") }
        }
        for n in e.notes { lines.append("note: " + n) }
        return Terminal.printable(lines.joined(separator: "\n"))
    }

    /// A value for the table: control characters visible, at most 22 characters.
    static func displayValue(_ v: String) -> String {
        TerminalText.visible(v.isEmpty ? "(missing)" : v, limit: 22)
    }

    /// `s` made visible, shortened to `w` characters and padded to them: table cells of every text report.
    static func pad(_ s: String, _ w: Int) -> String {
        let t = TerminalText.visible(s, limit: w)
        return t + String(repeating: " ", count: max(0, w - t.count))
    }

    static func leftPad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
}
