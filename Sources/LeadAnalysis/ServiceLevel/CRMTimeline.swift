import LeadData
import LeadModel
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LeadSupport

/// The CRM side of synthetic leads (`leadscore generate --crm`): who owns each lead, when marketing
/// handed it to sales, when sales decided, and which leads are earlier rejections come back.
///
/// Added to the generator's rows after the fact, from a random stream of its own (seeded from the
/// generator's seed), so the generator's own columns are the same bytes with or without `--crm`.
/// What is planted: decisions take a log-normal number of days (median 3); rep_07 takes 2.5 times
/// as long and partner leads 1.5 times; up to 5% of the leads created more than 90 days after the first
/// are an earlier lead rejected as not_ready, created at least 30 days before, come back
/// (`returned_from` names it).
public struct CRMTimeline {
    public static let columns = ["owner", "handed_off_at", "decided_at", "returned_from"]
    public var seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    static func timestamp(_ days: Double) -> String {
        let day = Int(days.rounded(.down))
        let minutes = Int(((days - Double(day)) * 1440).rounded(.down))
        return FieldParser.isoDate(days: day) + String(format: "T%02d:%02d:00Z", minutes / 60, minutes % 60)
    }

    /// Reads generated leads from `input` and writes them to `out` with the CRM columns appended.
    public func extend(input: String, to out: OutputSink) throws {
        let reader = try CSVReader(path: input)
        let header = try reader.readHeader()
        guard let created = header.firstIndex(of: "created_at"), let source = header.firstIndex(of: "lead_source"),
              let id = header.firstIndex(of: "lead_id") else {
            throw InputError(file: input, message: "generated leads lack lead_id, created_at or lead_source")
        }
        let reason = header.firstIndex(of: "reject_reason")
        try out.write((header + Self.columns).map(CSVText.escape).joined(separator: ",") + "\n")
        var rows: [[String]] = []
        var record = CSVRecord()
        while try reader.next(into: &record) { rows.append((0..<header.count).map { record.displayString($0) }) }
        let firstDay = rows.compactMap { FieldParser.date($0[created]) }.min() ?? 0
        var rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x43524D5F54494D45))
        var notReady: [(id: String, day: Double)] = []
        for fields in rows {
            let createdDay = FieldParser.date(fields[created]) ?? 0
            let owner = 1 + Int(rng.uniform() * 8)
            let handoff = createdDay + 0.375 + rng.uniform() * 2
            var days = exp(log(3) + 0.6 * rng.normal())
            if owner == 7 { days *= 2.5 }
            if fields[source] == "partner" { days *= 1.5 }
            let labeled = reason != nil
            let decided = labeled ? Self.timestamp(handoff + days) : ""
            var returned = ""
            let draw = rng.uniform(), pick = rng.uniform()
            if createdDay - firstDay > 90, draw < 0.05, !notReady.isEmpty {
                // An earlier not_ready rejection, created at least 30 days before this lead.
                let k = min(notReady.count - 1, Int(pick * Double(notReady.count)))
                if notReady[k].day <= createdDay - 30 { returned = notReady.remove(at: k).id }
            }
            if let reason, fields[reason] == "not_ready" { notReady.append((fields[id], createdDay)) }
            let extra = [String(format: "rep_%02d", owner), Self.timestamp(handoff), decided, returned]
            try out.write((fields.map(CSVText.escape) + extra).joined(separator: ",") + "\n")
        }
    }
}
