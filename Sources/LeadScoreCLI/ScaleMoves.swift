import LeadModel

/// `train --scale-from`: how each grade fared on the earlier model's training leads and on the new
/// model's, on the same points scale and cut-offs: what "grade A" means this month against last.
struct ScaleMoves {
    struct Move {
        var grade: String
        var minScore: Double
        var lastShare: Double
        var newShare: Double
        var lastRate: Double
        var newRate: Double
    }

    var lastPath: String
    var scale: Scorecard
    var moves: [Move]

    init(last: LeadScoreModel, lastPath: String, new: LeadScoreModel) {
        self.lastPath = lastPath
        scale = new.scorecard
        let lastTotal = Double(max(last.grades.reduce(0) { $0 + $1.trainingLeads }, 1))
        let newTotal = Double(max(new.grades.reduce(0) { $0 + $1.trainingLeads }, 1))
        moves = new.grades.map { band in
            let before = last.grades.first { $0.grade == band.grade }
            return Move(grade: band.grade, minScore: band.minScore,
                        lastShare: Double(before?.trainingLeads ?? 0) / lastTotal, newShare: Double(band.trainingLeads) / newTotal,
                        lastRate: before?.trainingPositiveRate ?? .nan, newRate: band.trainingPositiveRate)
        }
    }

    var text: String {
        var lines = ["scale kept from \(lastPath): PDO \(fmt(scale.pdo, 0)), \(fmt(scale.referenceScore, 0)) points at odds \(scale.referenceOdds)",
                     "grade  min score   share of leads (last → now)   accepted (last → now)"]
        for m in moves {
            let rate = m.lastRate.isNaN ? "-" : percent(m.lastRate)
            let change = m.lastRate.isNaN ? "" : String(format: "  (%+.1f points)", (m.newRate - m.lastRate) * 100)
            lines.append(ExplanationText.pad(m.grade, 7) + ExplanationText.leftPad(fmt(m.minScore, 1), 9)
                         + ExplanationText.leftPad("\(percent(m.lastShare)) → \(percent(m.newShare))", 30)
                         + ExplanationText.leftPad("\(rate) → \(percent(m.newRate))", 24) + change)
        }
        return lines.joined(separator: "\n")
    }

    var json: [String: Any] {
        ["model": lastPath, "pdo": scale.pdo, "reference_score": scale.referenceScore, "reference_odds": scale.referenceOdds,
         "grades": moves.map { m -> [String: Any] in
             var d: [String: Any] = ["grade": m.grade, "min_score": m.minScore, "last_share": m.lastShare, "share": m.newShare,
                                     "rate": m.newRate]
             if !m.lastRate.isNaN { d["last_rate"] = m.lastRate }
             return d
         }]
    }
}
