import LeadData

/// Options for bulk scoring.
public struct ScoringOptions: Sendable {
    public enum OnError: String, Sendable, CaseIterable { case fail, skip }
    public var dataPath: String
    public var outPath = "-"
    /// Id column to copy to the output; nil = the model's, or the row number when the file lacks it.
    public var idColumn: String?
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var extraMissing: [String] = []
    public var onError: OnError = .fail
    public var errorsPath: String?
    /// Adds `reason_1`…`reason_K`: codes of the K contributions that pull the score down most.
    public var reasons = 0

    public init(dataPath: String) { self.dataPath = dataPath }
}

/// What a scoring run did: `rowsRead = rowsScored + rowsReported`, always.
public struct ScoringSummary: Sendable {
    public var rowsRead = 0
    public var rowsScored = 0
    public var rowsReported = 0
    /// Rows with a level not seen in training, per column.
    public var unseenLevels: [String: Int] = [:]
    /// Missing values in columns that had none in training (imputed at the training mean), per column.
    public var imputedMissing: [String: Int] = [:]
    /// The first errors, for the message on standard error.
    public var firstErrors: [InputError] = []
    public var notices: [String] = []
}

/// Streams a CSV of leads through a model: one output row per input row, in input order.
public struct Scorer {
    public let model: LeadScoreModel
    public var progress: ((Int, Int, Int?) -> Void)?

    public init(model: LeadScoreModel) { self.model = model }

    public func run(_ options: ScoringOptions) throws -> ScoringSummary {
        var summary = ScoringSummary()
        let parser = FieldParser(extraMissing: model.missingMarkers + options.extraMissing)
        let reader = try CSVReader(path: options.dataPath, delimiter: options.delimiter)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: model.design, header: header, file: options.dataPath, parser: parser)

        var idIndex: Int?
        var idName = "row"
        if let wanted = options.idColumn {
            guard let i = header.firstIndex(of: wanted) else {
                throw InputError(file: options.dataPath, line: 1, columnName: wanted, message: "no id column '\(wanted)' in the header")
            }
            idIndex = i
            idName = wanted
        } else if let modelID = model.idColumn {
            if let i = header.firstIndex(of: modelID) {
                idIndex = i
                idName = modelID
            } else {
                summary.notices.append("the file has no id column '\(modelID)' (the model's); rows are identified by number")
            }
        }

        let out = try OutputSink(path: options.outPath)
        let errors = try options.errorsPath.map { try OutputSink(path: $0) }
        try errors?.write("line,column,message\n")
        var headerLine = CSVText.escape(idName) + ",probability,score,grade"
        for k in 0..<options.reasons { headerLine += ",reason_\(k + 1)" }
        try out.write(headerLine + "\n")
        let explainer = options.reasons > 0 ? Explainer(model: model) : nil
        let gradeBytes = model.grades.map { Array($0.grade.utf8) }
        let gradeFloors = model.grades.map(\.minScore)

        let design = model.design
        let columnCount = design.columns.count
        var unseen = [Int](repeating: 0, count: columnCount)
        var imputed = [Int](repeating: 0, count: columnCount)
        let hasMissingTerm = design.columns.map { $0.type == .categorical || $0.missingTerm != nil }
        var record = CSVRecord()
        var values: [ResolvedValue] = []
        values.reserveCapacity(columnCount)
        let size = reader.sizeInBytes
        var rowNumber = 0
        let scorecard = model.scorecard

        func report(_ e: InputError) throws {
            summary.rowsReported += 1
            if summary.firstErrors.count < 20 { summary.firstErrors.append(e) }
            if options.onError == .fail { throw e }
            if let errors {
                let column = e.columnName ?? e.column.map { "\($0)" } ?? ""
                var message = e.message
                if let v = e.value { message += " (value \"\(InputError.abbreviate(v))\")" }
                try errors.write("\(e.line.map { "\($0)" } ?? ""),\(CSVText.escape(column)),\(CSVText.escape(message))\n")
            }
        }

        while true {
            let more: Bool
            do {
                more = try reader.next(into: &record)
            } catch {
                // An unterminated quote swallows the rest of the file: one reported row.
                summary.rowsRead += 1
                try report(error)
                break
            }
            guard more else { break }
            summary.rowsRead += 1
            rowNumber += 1
            do {
                try resolver.resolve(record, into: &values)
            } catch {
                try report(error)
                continue
            }
            for c in 0..<columnCount {
                switch values[c] {
                case .unseen: unseen[c] += 1
                case .missing where !hasMissingTerm[c]: imputed[c] += 1
                default: break
                }
            }
            let eta = model.logOdds(values)
            let p = StableMath.sigmoid(eta)
            if let idIndex {
                record.withField(idIndex) { CSVText.appendEscaped($0, to: out) }
            } else {
                out.append(Array(String(rowNumber).utf8))
            }
            out.write(byte: UInt8(ascii: ","))
            out.append(Array(p.description.utf8))
            out.write(byte: UInt8(ascii: ","))
            let score = scorecard.score(logOdds: eta)
            out.append(CSVText.oneDecimal(score))
            out.write(byte: UInt8(ascii: ","))
            if let g = gradeFloors.firstIndex(where: { score >= $0 }) { out.append(gradeBytes[g]) } else if let last = gradeBytes.last { out.append(last) }
            if let explainer {
                let codes = explainer.reasonCodes(values, raw: { _ in "" }, k: options.reasons)
                for k in 0..<options.reasons {
                    out.write(byte: UInt8(ascii: ","))
                    if k < codes.count { out.append(Array(CSVText.escape(codes[k]).utf8)) }
                }
            }
            out.write(byte: UInt8(ascii: "\n"))
            try out.flushIfFull()
            summary.rowsScored += 1
            if summary.rowsRead % 100_000 == 0 { progress?(summary.rowsRead, reader.bytesConsumed, size) }
        }
        try out.commit()
        try errors?.commit()
        for c in 0..<columnCount {
            if unseen[c] > 0 { summary.unseenLevels[design.columns[c].name] = unseen[c] }
            if imputed[c] > 0 { summary.imputedMissing[design.columns[c].name] = imputed[c] }
        }
        return summary
    }
}

/// CSV text output helpers: quoting only when needed, fixed-point numbers without Foundation.
public enum CSVText {
    public static func escape(_ s: String) -> String {
        if s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
            return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: OutputSink) {
        if bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
            out.write(byte: UInt8(ascii: "\""))
            for b in bytes {
                if b == UInt8(ascii: "\"") { out.write(byte: b) }
                out.write(byte: b)
            }
            out.write(byte: UInt8(ascii: "\""))
        } else {
            out.append(bytes)
        }
    }

    /// `x` (already rounded to one decimal) as text: "42.0", "7.5", "100.0".
    public static func oneDecimal(_ x: Double) -> [UInt8] {
        let tenths = Int((x * 10).rounded())
        let negative = tenths < 0
        let a = abs(tenths)
        var s = Array(String(a / 10).utf8)
        if negative { s.insert(UInt8(ascii: "-"), at: 0) }
        s.append(UInt8(ascii: "."))
        s.append(UInt8(48 + a % 10))
        return s
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
