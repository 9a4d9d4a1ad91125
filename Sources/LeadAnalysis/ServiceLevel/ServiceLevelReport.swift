import LeadData
import LeadModel

/// The service level between marketing and sales, from a CRM export: how long sales takes to decide
/// on a lead after the hand-off (by source, grade and owner), which leads sales held past the agreed
/// days, which rejected leads go back to marketing for nurturing (and by when) and which are
/// discarded, with the reason (`patterns`' recycling rule), and how leads that came back fared.
public struct ServiceLevelReport: Codable, Sendable {
    public var data: String
    public var model: String
    public var leads: Int
    public var maxDays: Double
    /// The moment "now" for undecided leads (the latest hand-off or decision in the file, or --as-of).
    public var asOf: String
    public var overall: DecisionTimes
    public var bySource: [GroupTimes]
    public var byGrade: [GroupTimes]
    public var byOwner: [GroupTimes]
    /// Leads decided after more than `maxDays`, or still undecided past them.
    public var heldPastMaxDays: Int
    public var held: [HeldLead]
    public var recycle: RecycleSplit
    public var returned: ReturnedLeads?
    public var skippedRows: Int
    public var notes: [String]

    /// Days from hand-off to decision.
    public struct DecisionTimes: Codable, Sendable {
        public var decided: Int
        public var undecided: Int
        public var medianDays: Double?
        public var p90Days: Double?
        public var meanDays: Double?
        /// Share of decided leads decided within `maxDays`.
        public var withinMaxDays: Double?
        public var acceptanceRate: Double?
    }

    public struct GroupTimes: Codable, Sendable {
        public var group: String
        public var times: DecisionTimes
    }

    public struct HeldLead: Codable, Sendable {
        public var id: String
        public var owner: String
        public var source: String
        public var handedOffAt: String
        /// Days held: to the decision, or to `asOf` when undecided.
        public var days: Double
        public var decided: Bool
    }

    /// Rejected leads: back to marketing (nurture until a date) or discarded, by reason.
    public struct RecycleSplit: Codable, Sendable {
        public var rejected: Int
        public var recycle: Int
        public var discard: Int
        public var threshold: Double
        public var recycleReasons: [String]
        public var nurtureDays: Double
        public var byReason: [ReasonSplit]
    }

    public struct ReasonSplit: Codable, Sendable {
        public var reason: String
        public var recycle: Int
        public var discard: Int
    }

    /// Leads that are an earlier rejected lead come back, and how sales decided the second time.
    public struct ReturnedLeads: Codable, Sendable {
        public var returned: Int
        public var accepted: Int
        public var acceptanceRate: Double?
        /// Acceptance rate of the leads that did not come back, for comparison.
        public var otherAcceptanceRate: Double?
        /// Returned leads whose earlier rejection the recycling rule had sent back to marketing.
        public var recommendedBefore: Int
        public var recommendedAccepted: Int
    }

    /// One row of the marketing queue: a rejected lead and what to do with it.
    public struct QueueRow: Sendable {
        public var id: String
        public var owner: String
        public var source: String
        public var decidedAt: String
        public var reason: String
        public var recommendation: String
        /// For recycled leads: the date marketing nurtures them until before handing them over again.
        public var nurtureUntil: String
        public var probability: Double
        public var mainDriver: String
    }

    public struct Columns: Sendable {
        public var handoff = "handed_off_at"
        public var decision = "decided_at"
        public var owner = "owner"
        public var source = "lead_source"
        public var reason = "reject_reason"
        public var returnedFrom: String? = "returned_from"
        public init() {}
    }

    public static func times(_ days: [Double?], _ accepted: [Bool], maxDays: Double) -> DecisionTimes {
        let done = days.compactMap { $0 }.sorted()
        func quantile(_ q: Double) -> Double? {
            guard !done.isEmpty else { return nil }
            let pos = q * Double(done.count - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, done.count - 1)
            return done[lo] + (done[hi] - done[lo]) * (pos - Double(lo))
        }
        let decidedAccepted = zip(days, accepted).filter { $0.0 != nil }.map(\.1)
        return DecisionTimes(decided: done.count, undecided: days.count - done.count, medianDays: quantile(0.5), p90Days: quantile(0.9),
                             meanDays: done.isEmpty ? nil : done.reduce(0, +) / Double(done.count),
                             withinMaxDays: done.isEmpty ? nil : Double(done.filter { $0 <= maxDays }.count) / Double(done.count),
                             acceptanceRate: decidedAccepted.isEmpty ? nil : Double(decidedAccepted.filter { $0 }.count) / Double(decidedAccepted.count))
    }

    /// Reads the CRM export `path` (with outcomes) and measures the service level; the model gives
    /// each lead its grade and the acceptance probability the recycling rule needs.
    public static func measure(path: String, model: LeadScoreModel, modelName: String, columns: Columns, maxDays: Double,
                               recycleReasons: [String], threshold: Double?, nurtureDays: Double, asOf: String?,
                               tableOptions: LeadTable.Options) throws -> (ServiceLevelReport, [QueueRow]) {
        var options = tableOptions
        options.reasonColumn = columns.reason
        options.byColumn = columns.source
        let table = try LeadTable.load(options, model: model)
        let scored = ScoredLeads(table: table, model: model)
        // The CRM columns, read in the same pass order (rows the table skipped are skipped here too).
        let reader = try CSVReader(path: path, delimiter: options.delimiter)
        let header = try reader.readHeader()
        func index(_ name: String, _ role: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw InputError(file: path, line: 1, columnName: name, message: "no \(role) column '\(name)' in the header")
            }
            return i
        }
        let handoffIndex = try index(columns.handoff, "hand-off time")
        let decisionIndex = try index(columns.decision, "decision time")
        let ownerIndex = try index(columns.owner, "owner")
        let returnedIndex = try columns.returnedFrom.flatMap { header.contains($0) ? try index($0, "returned-from") : nil }
        let skipped = Set(table.rowErrors.map(\.line))
        var handoff: [Double] = [], decision: [Double?] = [], owner: [String] = [], returnedFrom: [String] = [], decidedText: [String] = [], handoffText: [String] = []
        var record = CSVRecord()
        while try reader.next(into: &record) {
            if skipped.contains(record.line) { continue }
            let h = record.displayString(handoffIndex).trimmedWhitespace
            let d = record.displayString(decisionIndex).trimmedWhitespace
            guard let hd = FieldParser.date(h) else {
                throw InputError(file: path, line: record.line, column: handoffIndex + 1, columnName: columns.handoff, value: h,
                                 message: "expected an ISO 8601 date or time of the hand-off")
            }
            let dd: Double? = d.isEmpty ? nil : FieldParser.date(d)
            if !d.isEmpty && dd == nil {
                throw InputError(file: path, line: record.line, column: decisionIndex + 1, columnName: columns.decision, value: d,
                                 message: "expected an ISO 8601 date or time of the decision, or nothing while undecided")
            }
            handoff.append(hd)
            decision.append(dd)
            handoffText.append(h)
            decidedText.append(d)
            owner.append(record.displayString(ownerIndex).trimmedWhitespace)
            returnedFrom.append(returnedIndex.map { record.displayString($0).trimmedWhitespace } ?? "")
        }
        guard handoff.count == table.rows else {
            throw InputError(file: path, message: "read \(handoff.count) CRM rows for \(table.rows) leads: run with --on-error fail to see the first bad row")
        }
        let n = table.rows
        let now = asOf.flatMap { FieldParser.date($0) } ?? max(handoff.max() ?? 0, decision.compactMap { $0 }.max() ?? 0)
        let days: [Double?] = (0..<n).map { i in decision[i].map { max(0, $0 - handoff[i]) } }
        let accepted = (0..<n).map { table.positive[$0] == 1 }
        func grouped(_ key: (Int) -> String, order: [String]? = nil) -> [GroupTimes] {
            var members: [String: [Int]] = [:]
            for i in 0..<n { members[key(i), default: []].append(i) }
            let names = order?.filter { members[$0] != nil } ?? members.keys.sorted { members[$0]!.count != members[$1]!.count ? members[$0]!.count > members[$1]!.count : $0 < $1 }
            return names.map { g in GroupTimes(group: g, times: times(members[g]!.map { days[$0] }, members[g]!.map { accepted[$0] }, maxDays: maxDays)) }
        }
        let source = (0..<n).map { table.by[$0] >= 0 ? table.byNames[Int(table.by[$0])] : "" }
        var held: [HeldLead] = []
        for i in 0..<n {
            let d = days[i] ?? (now - handoff[i])
            if d > maxDays {
                held.append(HeldLead(id: table.ids[i], owner: owner[i], source: source[i], handedOffAt: handoffText[i], days: d, decided: days[i] != nil))
            }
        }
        held.sort { $0.days != $1.days ? $0.days > $1.days : $0.id < $1.id }

        let recycling = Recycling.decide(table, model: model, reasons: nil, recycleReasons: recycleReasons, threshold: threshold, hasReasonColumn: true)
        var rowOf: [String: Int] = [:]
        for i in 0..<n { rowOf[table.ids[i]] = i }
        var queue: [QueueRow] = []
        var byReason: [String: (Int, Int)] = [:]
        var recommended = Set<String>()
        let explainer = Explainer(model: model)
        for r in recycling.rows {
            guard let i = rowOf[r.id] else { continue }
            let until = r.recommendation == "recycle" ? (decision[i] ?? now) + nurtureDays : nil
            if r.recommendation == "recycle" { recommended.insert(r.id) }
            var split = byReason[r.reason, default: (0, 0)]
            if r.recommendation == "recycle" { split.0 += 1 } else { split.1 += 1 }
            byReason[r.reason] = split
            let driver = explainer.reasonCodes(table.values(i), raw: { _ in "" }, k: 1).first ?? ""
            queue.append(QueueRow(id: r.id, owner: owner[i], source: source[i], decidedAt: decidedText[i], reason: r.reason,
                                  recommendation: r.recommendation, nurtureUntil: until.map { FieldParser.isoDate(days: Int($0.rounded(.down))) } ?? "",
                                  probability: r.probability, mainDriver: driver))
        }
        let split = RecycleSplit(rejected: recycling.summary.rejected, recycle: recycling.summary.recycle, discard: recycling.summary.discard,
                                 threshold: recycling.summary.threshold, recycleReasons: recycleReasons, nurtureDays: nurtureDays,
                                 byReason: byReason.keys.sorted().map { ReasonSplit(reason: $0, recycle: byReason[$0]!.0, discard: byReason[$0]!.1) })
        var returned: ReturnedLeads?
        if returnedIndex != nil {
            let back = (0..<n).filter { !returnedFrom[$0].isEmpty }
            let others = (0..<n).filter { returnedFrom[$0].isEmpty }
            let acceptedBack = back.filter { accepted[$0] }.count
            let wasRecommended = back.filter { recommended.contains(returnedFrom[$0]) }
            returned = ReturnedLeads(returned: back.count, accepted: acceptedBack,
                                     acceptanceRate: back.isEmpty ? nil : Double(acceptedBack) / Double(back.count),
                                     otherAcceptanceRate: others.isEmpty ? nil : Double(others.filter { accepted[$0] }.count) / Double(others.count),
                                     recommendedBefore: wasRecommended.count, recommendedAccepted: wasRecommended.filter { accepted[$0] }.count)
        }
        var notes: [String] = []
        let undecided = days.filter { $0 == nil }.count
        if undecided > 0 { notes.append("\(undecided) leads have no decision yet: held until \(FieldParser.isoDate(days: Int(now.rounded(.down))))") }
        let report = ServiceLevelReport(
            data: path, model: modelName, leads: n, maxDays: maxDays, asOf: FieldParser.isoDate(days: Int(now.rounded(.down))),
            overall: times(days, accepted, maxDays: maxDays),
            bySource: grouped { source[$0] },
            byGrade: grouped({ model.grades[scored.grade[$0]].grade }, order: model.grades.map(\.grade)),
            byOwner: grouped { owner[$0] },
            heldPastMaxDays: held.count, held: Array(held.prefix(50)), recycle: split, returned: returned,
            skippedRows: table.skippedRows, notes: notes)
        return (report, queue)
    }

    /// The marketing queue as CSV, spreadsheet-safe: one row per rejected lead.
    public static func queueCSV(_ rows: [QueueRow]) -> String {
        var out = "id,owner,source,decided_at,reason,recommendation,nurture_until,probability_accepted_later,main_driver\n"
        for r in rows {
            out += [CSVText.spreadsheetCell(r.id), CSVText.spreadsheetCell(r.owner), CSVText.spreadsheetCell(r.source), CSVText.spreadsheetCell(r.decidedAt),
                    CSVText.spreadsheetCell(r.reason), r.recommendation, r.nurtureUntil, "\(r.probability)", CSVText.spreadsheetCell(r.mainDriver)]
                .joined(separator: ",") + "\n"
        }
        return out
    }
}
