import LeadModel

/// Rejection rate by month and by a chosen column: the shared funnel table both teams look at.
///
/// A cell is flagged when its rate rose against the same level's previous month: one-sided
/// two-proportion test, Benjamini–Hochberg over all comparisons, q < alpha.
public struct FunnelTable: Codable, Sendable {
    public struct Cell: Codable, Sendable {
        public var period: String
        public var level: String
        public var leads: Int
        public var rejected: Int
        public var rejectionRate: Double
        public var previousRate: Double?
        public var qValue: Double?
        public var flagged: Bool

        enum CodingKeys: String, CodingKey {
            case period, level, leads, rejected, flagged
            case rejectionRate = "rejection_rate"
            case previousRate = "previous_rate"
            case qValue = "q_value"
        }
    }

    public var by: String?
    public var cells: [Cell]

    public static func build(_ table: LeadTable, by: String?, alpha: Double) -> FunnelTable? {
        guard !table.monthNames.isEmpty else { return nil }
        let periods = table.monthNames.indices.sorted { table.monthNames[$0] < table.monthNames[$1] }
        let levelCount = max(1, table.byNames.count)
        var leads = [[Int]](repeating: [Int](repeating: 0, count: levelCount), count: table.monthNames.count)
        var rejected = leads
        for i in 0..<table.rows where table.month[i] >= 0 {
            let m = Int(table.month[i])
            let l = table.by[i] >= 0 ? Int(table.by[i]) : 0
            leads[m][l] += 1
            if table.positive[i] == 0 { rejected[m][l] += 1 }
        }
        var cells: [Cell] = []
        var comparisons: [(cell: Int, p: Double)] = []
        let levels = (0..<levelCount).sorted { (table.byNames.isEmpty ? "" : table.byNames[$0]) < (table.byNames.isEmpty ? "" : table.byNames[$1]) }
        for l in levels {
            var previous: (rejected: Int, leads: Int)?
            for m in periods where leads[m][l] > 0 {
                let rate = Double(rejected[m][l]) / Double(leads[m][l])
                var cell = Cell(period: table.monthNames[m], level: table.byNames.isEmpty ? "(all)" : table.byNames[l], leads: leads[m][l],
                                rejected: rejected[m][l], rejectionRate: rate, previousRate: nil, qValue: nil, flagged: false)
                if let previous {
                    cell.previousRate = Double(previous.rejected) / Double(previous.leads)
                    comparisons.append((cells.count, SegmentStatistics.increaseP(rejected[m][l], leads[m][l], previous.rejected, previous.leads)))
                }
                cells.append(cell)
                previous = (rejected[m][l], leads[m][l])
            }
        }
        let q = SegmentStatistics.benjaminiHochberg(comparisons.map(\.p))
        for (k, c) in comparisons.enumerated() {
            cells[c.cell].qValue = q[k]
            cells[c.cell].flagged = q[k] < alpha
        }
        return FunnelTable(by: by, cells: cells)
    }
}
