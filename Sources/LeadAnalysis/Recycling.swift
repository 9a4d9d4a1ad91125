import LeadModel

/// The recycling agreement: which rejected leads go back to marketing for nurturing, which are dropped.
///
/// A rejected lead is recommended for **recycle** when its reason is a matter of timing (one of
/// `recycleReasons`, e.g. not_ready) and its fit is good otherwise: the acceptance model gives it at
/// least `threshold` (default: the overall acceptance rate, i.e. at least as good as the average
/// lead). That probability is reported as the chance it would be accepted later, once the timing is
/// right. Without a reason column, the fit alone decides. Everything else: **discard**.
public struct Recycling: Sendable {
    public struct Row: Sendable {
        public var id: String
        public var recommendation: String
        public var probability: Double
        public var reason: String
        public var predictedReason: String
        public var mainDriver: String
        /// The reason models' normalized probabilities, in `reasonNames` order (empty without reasons).
        public var reasonProbabilities: [Double]
    }

    public struct Summary: Codable, Sendable {
        public var rejected: Int
        public var recycle: Int
        public var discard: Int
        public var threshold: Double
        public var recycleReasons: [String]

        enum CodingKeys: String, CodingKey {
            case rejected, recycle, discard, threshold
            case recycleReasons = "recycle_reasons"
        }
    }

    public var rows: [Row]
    public var summary: Summary
    public var reasonNames: [String] = []

    public static func decide(_ table: LeadTable, model: LeadScoreModel, reasons: ReasonModels?, recycleReasons: [String],
                              threshold: Double?, hasReasonColumn: Bool) -> Recycling {
        let positives = table.positive.reduce(0) { $0 + Int($1) }
        let cut = threshold ?? (table.rows > 0 ? Double(positives) / Double(table.rows) : 0.5)
        let timing = Set(recycleReasons)
        let explainer = Explainer(model: model)
        var rows: [Row] = []
        var recycle = 0
        for i in 0..<table.rows where table.positive[i] == 0 {
            let reason = table.reason[i] >= 0 ? table.reasonNames[Int(table.reason[i])] : ""
            var predicted = ""
            var reasonProbabilities: [Double] = []
            if let reasons {
                let p = reasons.probabilities(table, lead: i)
                reasonProbabilities = p
                if let k = p.indices.max(by: { p[$0] < p[$1] }) { predicted = reasons.reasons[k].reason }
            }
            let p = table.probability[i]
            let timingOK = hasReasonColumn ? timing.contains(reason) : true
            let decision = timingOK && p >= cut ? "recycle" : "discard"
            if decision == "recycle" { recycle += 1 }
            let values = table.values(i)
            let driver = explainer.reasonCodes(values, raw: { _ in "" }, k: 1).first ?? ""
            rows.append(Row(id: table.ids[i], recommendation: decision, probability: p, reason: reason,
                            predictedReason: predicted, mainDriver: driver, reasonProbabilities: reasonProbabilities))
        }
        return Recycling(rows: rows, summary: Summary(rejected: rows.count, recycle: recycle, discard: rows.count - recycle,
                                                      threshold: cut, recycleReasons: hasReasonColumn ? recycleReasons : []),
                         reasonNames: reasons?.reasons.map(\.reason) ?? [])
    }

    /// CSV: id,recommendation,probability_accepted_later,reason,predicted_reason,main_driver, then one
    /// `p_<reason>` column per reason model (the lead's reason probabilities). A file for people: the
    /// text cells from data are spreadsheet-safe (`CSVText.spreadsheetCell`).
    public func write(to path: String) throws {
        let out = try OutputSink(path: path)
        let extra = reasonNames.map { "," + CSVText.escape("p_" + $0) }.joined()
        try out.write("id,recommendation,probability_accepted_later,reason,predicted_reason,main_driver" + extra + "\n")
        for r in rows {
            let probabilities = r.reasonProbabilities.map { ",\($0)" }.joined()
            try out.write([CSVText.spreadsheetCell(r.id), r.recommendation, "\(r.probability)", CSVText.spreadsheetCell(r.reason),
                           CSVText.spreadsheetCell(r.predictedReason), CSVText.spreadsheetCell(r.mainDriver)].joined(separator: ",") + probabilities + "\n")
        }
        try out.commit()
    }
}
